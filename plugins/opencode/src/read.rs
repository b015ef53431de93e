//! OpenCode records (from the database or the JSON tree) → the transcript model.
//!
//! What the model saw is what counts: user text that OpenCode marks `ignored` is not sent, and
//! `synthetic` user text is context OpenCode injected (file contents, reminders), not the user's
//! words. Assistant messages that failed (`error`) are dropped, as OpenCode drops them.

use crate::tools;
use handoff_adapter_kit::report;
use handoff_plugin_api::{
    ExtractReport, Extracted, INTERRUPTED_OUTPUT, Media, Message, Part, Role, SessionMeta,
    Transcript,
};
use serde_json::{Map, Value};

/// One message as stored: its info (role, time, model …) and its parts, ordered by id.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub id: String,
    pub info: Value,
    pub parts: Vec<Value>,
}

/// The session row, whichever store it came from.
#[derive(Debug, Clone, Default)]
pub struct RawSession {
    pub id: String,
    pub directory: Option<String>,
    pub title: Option<String>,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    /// `session.model` (`{"id","providerID"}`), when set.
    pub model: Option<Value>,
    /// Child sessions (subagents run by the `task` tool).
    pub children: usize,
}

/// Part types of OpenCode's message model: the ones read, and the step, snapshot, patch, agent
/// and retry marks that carry nothing for another agent.
const KNOWN_PARTS: &[&str] = &[
    "text",
    "reasoning",
    "tool",
    "file",
    "subtask",
    "compaction",
    "step-start",
    "step-finish",
    "snapshot",
    "patch",
    "agent",
    "retry",
];

pub fn to_extracted(
    agent: &str,
    session: &RawSession,
    messages: &[RawMessage],
    source_path: &str,
    skipped: usize,
) -> Extracted {
    let mut report = ExtractReport {
        skipped_lines: skipped,
        sidechains: session.children,
        ..ExtractReport::default()
    };
    let kinds = messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| str_at(p, "type"));
    report::count_unknown(&mut report, kinds, KNOWN_PARTS);
    let mut out = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        match str_at(&message.info, "role") {
            Some("user") => {
                if let Some(m) = user_message(
                    message,
                    messages.get(index + 1..).unwrap_or_default(),
                    &mut report,
                ) {
                    out.push(m);
                }
            }
            Some("assistant") => {
                if let Some(m) = assistant_message(message) {
                    out.push(m);
                }
            }
            _ => report.skipped_lines += 1,
        }
    }
    let last_user_model = messages
        .iter()
        .rev()
        .filter(|m| str_at(&m.info, "role") == Some("user"))
        .find_map(|m| m.info.get("model").and_then(model_of_user));
    extracted(session, agent, source_path, last_user_model, out, report)
}

/// A session's messages as what `extract` answers; `model` stands when the session row has none.
pub fn extracted(
    session: &RawSession,
    agent: &str,
    source_path: &str,
    model: Option<String>,
    messages: Vec<Message>,
    report: ExtractReport,
) -> Extracted {
    let meta = SessionMeta {
        id: session.id.clone(),
        agent: agent.into(),
        title: session.title.clone(),
        cwd: session.directory.clone(),
        created_ms: session.created_ms,
        updated_ms: session.updated_ms,
        model: session.model.as_ref().and_then(model_of_session).or(model),
        git_branch: None,
        source_path: Some(source_path.to_owned()),
    };
    Extracted {
        transcript: Transcript::new(meta, messages),
        report,
    }
}

fn user_message(
    message: &RawMessage,
    later: &[RawMessage],
    report: &mut ExtractReport,
) -> Option<Message> {
    let mut parts = Vec::new();
    for part in &message.parts {
        match str_at(part, "type") {
            Some("text") => {
                let hidden = part.get("synthetic").and_then(Value::as_bool) == Some(true)
                    || part.get("ignored").and_then(Value::as_bool) == Some(true);
                if let (false, Some(text)) = (hidden, str_at(part, "text")) {
                    parts.push(Part::Text {
                        text: text.to_owned(),
                    });
                }
            }
            Some("file") => parts.extend(file_part(part)),
            Some("compaction") => {
                // The summary is the reply of the assistant message marked `summary`.
                if let Some(summary) = compaction_summary(&message.id, later) {
                    parts.push(Part::Compaction { summary });
                }
            }
            // A subagent the user launched: its conversation is a child session.
            Some("subtask") => report.sidechains += 1,
            _ => {}
        }
    }
    finish(
        Role::User,
        &message.info,
        parts,
        message.info.get("model").and_then(model_of_user),
    )
}

fn assistant_message(message: &RawMessage) -> Option<Message> {
    let info = &message.info;
    // Failed replies and compaction summaries (read with their compaction) are not turns.
    let failed = info
        .get("error")
        .is_some_and(|e| !e.is_null() && str_at(e, "name") != Some("MessageAbortedError"));
    if failed || info.get("summary").and_then(Value::as_bool) == Some(true) {
        return None;
    }
    let mut parts = Vec::new();
    for part in &message.parts {
        match str_at(part, "type") {
            Some("text") => {
                if let Some(text) = str_at(part, "text").filter(|t| !t.is_empty()) {
                    parts.push(Part::Text {
                        text: text.to_owned(),
                    });
                }
            }
            Some("reasoning") => {
                if let Some(text) = str_at(part, "text").filter(|t| !t.is_empty()) {
                    parts.push(reasoning(text, part.get("metadata")));
                }
            }
            Some("tool") => parts.extend(tool(part)),
            Some("file") => parts.extend(file_part(part)),
            _ => {}
        }
    }
    let model = match (str_at(info, "providerID"), str_at(info, "modelID")) {
        (Some(provider), Some(model)) => Some(format!("{provider}/{model}")),
        (None, Some(model)) => Some(model.to_owned()),
        _ => None,
    };
    finish(Role::Assistant, info, parts, model)
}

/// A message of `parts` (none: no message), its time and agent read from `info`.
pub fn finish(
    role: Role,
    info: &Value,
    parts: Vec<Part>,
    model: Option<String>,
) -> Option<Message> {
    if parts.is_empty() {
        return None;
    }
    let mut extra = Map::new();
    if let Some(agent) = str_at(info, "agent") {
        extra.insert("opencode_agent".into(), Value::String(agent.to_owned()));
    }
    Some(Message {
        role,
        timestamp_ms: info
            .get("time")
            .and_then(|t| t.get("created"))
            .and_then(Value::as_i64),
        model,
        parts,
        extra,
    })
}

/// Reasoning is unsigned in OpenCode, but a provider's own signature may ride in its metadata
/// (Anthropic's thinking signature, OpenAI's encrypted content); keep it so that provider's
/// adapter can replay it.
pub fn reasoning(text: &str, metadata: Option<&Value>) -> Part {
    let signed = |provider: &str, key: &str| {
        metadata
            .and_then(|m| m.get(provider))
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| (provider.to_owned(), s.to_owned()))
    };
    let (provider, signature) = match signed("anthropic", "signature")
        .or_else(|| signed("openai", "reasoningEncryptedContent"))
    {
        Some((provider, signature)) => (provider, Some(signature)),
        None => ("opencode".to_owned(), None),
    };
    Part::Reasoning {
        text: text.to_owned(),
        signature,
        provider: Some(provider),
    }
}

fn tool(part: &Value) -> Vec<Part> {
    let (Some(call_id), Some(name)) = (str_at(part, "callID"), str_at(part, "tool")) else {
        return Vec::new();
    };
    let state = part.get("state").unwrap_or(&Value::Null);
    let input = state
        .get("input")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let (output, images, is_error) = match str_at(state, "status") {
        Some("completed") => {
            let images = state
                .get("attachments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(media_of)
                .collect();
            (
                str_at(state, "output").unwrap_or("").to_owned(),
                images,
                false,
            )
        }
        Some("error") => (
            str_at(state, "error").unwrap_or("").to_owned(),
            Vec::new(),
            true,
        ),
        // pending / running: the call never finished; said in the words every adapter uses.
        _ => interrupted(),
    };
    call_and_result(call_id, name, input, (output, images, is_error))
}

/// What a call that never finished returns.
pub fn interrupted() -> (String, Vec<Media>, bool) {
    (INTERRUPTED_OUTPUT.to_owned(), Vec::new(), true)
}

/// A tool call and its result `(output, images, is_error)`, side by side as OpenCode keeps them.
pub fn call_and_result(
    call_id: &str,
    name: &str,
    input: Value,
    (output, images, is_error): (String, Vec<Media>, bool),
) -> Vec<Part> {
    vec![
        Part::ToolCall {
            id: call_id.to_owned(),
            name: name.to_owned(),
            tool: tools::to_tool(name, &input),
            input,
        },
        Part::ToolResult {
            call_id: call_id.to_owned(),
            output,
            images,
            is_error,
        },
    ]
}

fn file_part(part: &Value) -> Option<Part> {
    media_of(part).map(media_part)
}

/// An image, or any other file.
pub fn media_part(media: Media) -> Part {
    if media.media_type.starts_with("image/") {
        Part::Image(media)
    } else {
        Part::File(media)
    }
}

/// A file part's `url` (`data:` inline bytes, or `file://` path) as media.
pub fn media_of(part: &Value) -> Option<Media> {
    let url = str_at(part, "url")?;
    let mime = str_at(part, "mime").unwrap_or("application/octet-stream");
    let name = str_at(part, "filename").map(str::to_owned);
    let (data_base64, path) = if let Some(data) = url.strip_prefix("data:") {
        let (header, payload) = data.split_once(',')?;
        if !header.ends_with(";base64") {
            return None;
        }
        (Some(payload.to_owned()), None)
    } else if let Some(path) = url.strip_prefix("file://") {
        (None, Some(path.to_owned()))
    } else {
        (None, Some(url.to_owned()))
    };
    Some(Media {
        media_type: mime.to_owned(),
        data_base64,
        path,
        name,
    })
}

fn compaction_summary(user_id: &str, later: &[RawMessage]) -> Option<String> {
    let reply = later.iter().find(|m| {
        str_at(&m.info, "role") == Some("assistant")
            && m.info.get("summary").and_then(Value::as_bool) == Some(true)
            && str_at(&m.info, "parentID") == Some(user_id)
    })?;
    let text: Vec<&str> = reply
        .parts
        .iter()
        .filter(|p| str_at(p, "type") == Some("text"))
        .filter_map(|p| str_at(p, "text"))
        .collect();
    (!text.is_empty()).then(|| text.join("\n"))
}

fn model_of_user(model: &Value) -> Option<String> {
    Some(format!(
        "{}/{}",
        str_at(model, "providerID")?,
        str_at(model, "modelID")?
    ))
}

pub fn model_of_session(model: &Value) -> Option<String> {
    let model = match model {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.clone(),
    };
    Some(format!(
        "{}/{}",
        str_at(&model, "providerID")?,
        str_at(&model, "id").or_else(|| str_at(&model, "modelID"))?
    ))
}

pub fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}
