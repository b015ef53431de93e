//! A rollout as a transcript: the `response_item` stream the model gets back on resume, without
//! the context Codex injects (environment, instructions), with compactions marked.

use crate::rollout::{Kind, Record, Rollout, str_field};
use crate::tools;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{Media, Message, Part, Role, SessionMeta, Transcript};
use serde_json::Value;

/// What a rollout says about its session besides the conversation.
#[derive(Debug, Default, Clone)]
pub struct Header {
    pub id: Option<String>,
    pub created_ms: Option<i64>,
    /// `session_meta.cwd`, overridden by the latest `turn_context.cwd`.
    pub cwd: Option<String>,
    pub model: Option<String>,
    pub git_branch: Option<String>,
    pub source: Option<String>,
}

impl Header {
    /// Takes what a record says about the session; later `turn_context` lines win.
    pub fn observe(&mut self, record: &Record) {
        let payload = &record.payload;
        match record.kind {
            // Forks and resumes may repeat meta lines: the first one is the session's own.
            Kind::SessionMeta if self.id.is_none() => {
                self.id = str_field(payload, "id").map(str::to_owned);
                self.created_ms = str_field(payload, "timestamp")
                    .and_then(parse_rfc3339_ms)
                    .or(record.timestamp_ms);
                self.source = payload.get("source").map(source_name);
                self.git_branch = payload
                    .get("git")
                    .and_then(|g| str_field(g, "branch"))
                    .map(str::to_owned);
                if self.cwd.is_none() {
                    self.cwd = str_field(payload, "cwd").map(str::to_owned);
                }
            }
            Kind::TurnContext => {
                if let Some(cwd) = str_field(payload, "cwd") {
                    self.cwd = Some(cwd.to_owned());
                }
                if let Some(model) = str_field(payload, "model") {
                    self.model = Some(model.to_owned());
                }
            }
            Kind::ResponseItem if self.cwd.is_none() => {
                // The oldest rollouts have no cwd field: their environment context names it.
                self.cwd = environment_cwd(payload);
            }
            _ => {}
        }
    }
}

/// `source` is a string (`"cli"`, `"exec"`) or, for subagents, an object.
fn source_name(source: &Value) -> String {
    match source {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

fn environment_cwd(item: &Value) -> Option<String> {
    let content = item.get("content")?.as_array()?;
    content.iter().find_map(|c| {
        let text = str_field(c, "text")?;
        let inner = text.split_once("<environment_context>")?.1;
        let cwd = inner.split_once("<cwd>")?.1.split_once("</cwd>")?.0;
        Some(cwd.trim().to_owned())
    })
}

/// Texts Codex puts into user messages that the user did not type. Used when a message has no
/// `content_item_kinds` metadata (files before 0.16x).
const INJECTED_PREFIXES: &[&str] = &[
    "<environment_context>",
    "<user_instructions>",
    "<INSTRUCTIONS>",
    "# AGENTS.md instructions",
    "<permissions instructions>",
    "<collaboration_mode>",
    "<skills_instructions>",
    "<apps_instructions>",
    "<skill>",
    "<turn_aborted>",
    "<user_shell_command>",
    "<personality_spec>",
    "<model_switch>",
];

pub fn is_injected_text(text: &str) -> bool {
    let text = text.trim_start();
    INJECTED_PREFIXES.iter().any(|p| text.starts_with(p))
}

/// Which content items of a user message the user wrote: by `content_item_kinds` (`user.*`)
/// when Codex recorded them, else by the injected-context tags.
fn user_authored(item: &Value, content: &[Value]) -> Vec<bool> {
    let kinds = item
        .get("internal_chat_message_metadata_passthrough")
        .and_then(|m| m.get("content_item_kinds"))
        .and_then(Value::as_array)
        .filter(|k| k.len() == content.len());
    match kinds {
        Some(kinds) => kinds
            .iter()
            .map(|k| k.as_str().is_some_and(|k| k.starts_with("user.")))
            .collect(),
        None => content
            .iter()
            .map(|c| str_field(c, "text").is_none_or(|t| !is_injected_text(t)))
            .collect(),
    }
}

/// The user's own text of a user message item, joined; `None` when it is all injected context.
pub fn user_text(item: &Value) -> Option<String> {
    if str_field(item, "type") != Some("message") || str_field(item, "role") != Some("user") {
        return None;
    }
    let content = item.get("content")?.as_array()?;
    let authored = user_authored(item, content);
    let texts: Vec<&str> = content
        .iter()
        .zip(authored)
        .filter(|(_, mine)| *mine)
        .filter_map(|(c, _)| str_field(c, "text"))
        .filter(|t| !t.trim().is_empty())
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

/// An `input_image` URL as media: inline for `data:` URLs, by reference otherwise.
fn image_media(url: &str) -> Media {
    if let Some((head, data)) = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
        && let Some(media_type) = head.strip_suffix(";base64")
    {
        return Media {
            media_type: media_type.to_owned(),
            data_base64: Some(data.to_owned()),
            path: None,
            name: None,
        };
    }
    let lower = url.to_ascii_lowercase();
    let media_type = [
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
        (".jpeg", "image/jpeg"),
        (".gif", "image/gif"),
        (".webp", "image/webp"),
    ]
    .iter()
    .find(|(ext, _)| lower.ends_with(ext))
    .map_or("image/png", |(_, t)| t);
    Media {
        media_type: media_type.to_owned(),
        data_base64: None,
        path: Some(url.to_owned()),
        name: None,
    }
}

/// A tool output (`output` of `function_call_output` / `custom_tool_call_output`): its text, its
/// images, and whether Codex recorded a failure.
fn tool_output(output: Option<&Value>) -> (String, Vec<Media>, bool) {
    match output {
        Some(Value::String(text)) => {
            let (text, failed) = unwrap_shell_output(text);
            (text, Vec::new(), failed)
        }
        Some(Value::Array(items)) => {
            let mut texts = Vec::new();
            let mut images = Vec::new();
            for item in items {
                match str_field(item, "type") {
                    Some("input_image") => {
                        if let Some(url) = str_field(item, "image_url") {
                            images.push(image_media(url));
                        }
                    }
                    _ => texts.extend(str_field(item, "text")),
                }
            }
            let text = texts.join("\n");
            let failed = exit_code_failed(&text);
            (text, images, failed)
        }
        // Older payloads: `{"content": "...", "success": false}`.
        Some(Value::Object(o)) => {
            let content = o.get("content").or_else(|| o.get("output"));
            let (text, images, failed) = tool_output(content);
            let success = o.get("success").and_then(Value::as_bool);
            (text, images, success.map_or(failed, |ok| !ok))
        }
        _ => (String::new(), Vec::new(), false),
    }
}

/// The shell tool's output: older Codex wrapped it as a JSON string
/// `{"output": …, "metadata": {"exit_code": N, …}}`; newer ones print `Exit code: N` or
/// `Process exited with code N` into the text.
fn unwrap_shell_output(text: &str) -> (String, bool) {
    if text.starts_with('{')
        && let Ok(Value::Object(wrapped)) = serde_json::from_str::<Value>(text)
        && let Some(Value::String(output)) = wrapped.get("output")
        && let Some(code) = wrapped
            .get("metadata")
            .and_then(|m| m.get("exit_code"))
            .and_then(Value::as_i64)
    {
        return (output.clone(), code != 0);
    }
    (text.to_owned(), exit_code_failed(text))
}

fn exit_code_failed(text: &str) -> bool {
    text.lines().take(6).any(|line| {
        let code = line
            .strip_prefix("Exit code: ")
            .or_else(|| line.strip_prefix("Process exited with code "));
        code.and_then(|c| c.trim().parse::<i64>().ok())
            .is_some_and(|c| c != 0)
    })
}

/// Builds the transcript's messages: user messages stand alone, everything the assistant side
/// produced in between (text, reasoning, calls, their outputs) goes into one assistant message,
/// in order.
#[derive(Default)]
struct Conversation {
    messages: Vec<Message>,
    model: Option<String>,
}

impl Conversation {
    /// A tool call, with its kind in the shared vocabulary.
    fn call(&mut self, timestamp_ms: Option<i64>, id: String, name: String, input: Value) {
        let tool = tools::to_tool(&name, &input);
        let part = Part::ToolCall {
            id,
            name,
            input,
            tool,
        };
        self.assistant_part(timestamp_ms, part);
    }

    fn assistant_part(&mut self, timestamp_ms: Option<i64>, part: Part) {
        match self.messages.last_mut() {
            Some(last) if last.role == Role::Assistant => last.parts.push(part),
            _ => {
                let mut message = Message::new(Role::Assistant, vec![part]);
                message.timestamp_ms = timestamp_ms;
                message.model = self.model.clone();
                self.messages.push(message);
            }
        }
    }

    fn user_message(&mut self, timestamp_ms: Option<i64>, parts: Vec<Part>) {
        let mut message = Message::new(Role::User, parts);
        message.timestamp_ms = timestamp_ms;
        self.messages.push(message);
    }

    /// One response item. Calls and outputs whose id or name is not a string are left out, as
    /// Codex leaves out lines it cannot deserialize: a nameless call cannot be answered or replayed.
    fn item(&mut self, timestamp_ms: Option<i64>, item: &Value) {
        let call_id = str_field(item, "call_id").map(str::to_owned);
        let name = str_field(item, "name").map(str::to_owned);
        match str_field(item, "type").unwrap_or_default() {
            "message" => self.message(timestamp_ms, item),
            "reasoning" => {
                let text = reasoning_text(item);
                let signature = str_field(item, "encrypted_content").map(str::to_owned);
                if !text.is_empty() || signature.is_some() {
                    self.assistant_part(
                        timestamp_ms,
                        Part::Reasoning {
                            text,
                            signature,
                            provider: Some("openai".into()),
                        },
                    );
                }
            }
            "function_call" => {
                let arguments = str_field(item, "arguments").unwrap_or_default();
                let input = serde_json::from_str(arguments)
                    .unwrap_or_else(|_| Value::String(arguments.to_owned()));
                let (Some(id), Some(name)) = (call_id, name) else {
                    return;
                };
                self.call(timestamp_ms, id, name, input);
            }
            "custom_tool_call" => {
                let (Some(id), Some(name)) = (call_id, name) else {
                    return;
                };
                let input = Value::String(str_field(item, "input").unwrap_or_default().to_owned());
                self.call(timestamp_ms, id, name, input);
            }
            "local_shell_call" => {
                let Some(id) = call_id.or_else(|| str_field(item, "id").map(str::to_owned)) else {
                    return;
                };
                let input = item.get("action").cloned().unwrap_or(Value::Null);
                self.call(timestamp_ms, id, "local_shell".into(), input);
            }
            "function_call_output" | "custom_tool_call_output" => {
                let Some(call_id) = call_id else {
                    return;
                };
                let (output, images, is_error) = tool_output(item.get("output"));
                let part = Part::ToolResult {
                    call_id,
                    output,
                    images,
                    is_error,
                };
                self.assistant_part(timestamp_ms, part);
            }
            // Web searches run at the provider and have no output item; ghost snapshots and
            // opaque compaction items are Codex's own bookkeeping.
            _ => {}
        }
    }

    fn message(&mut self, timestamp_ms: Option<i64>, item: &Value) {
        let Some(content) = item.get("content").and_then(Value::as_array) else {
            return;
        };
        match str_field(item, "role") {
            Some("user") => {
                let authored = user_authored(item, content);
                let parts: Vec<Part> = content
                    .iter()
                    .zip(authored)
                    .filter(|(_, mine)| *mine)
                    .filter_map(|(c, _)| content_part(c))
                    .collect();
                if !parts.is_empty() {
                    self.user_message(timestamp_ms, parts);
                }
            }
            Some("assistant") => {
                for part in content.iter().filter_map(content_part) {
                    self.assistant_part(timestamp_ms, part);
                }
            }
            // Developer and system messages are Codex's instructions to the model, not the
            // conversation.
            _ => {}
        }
    }
}

fn content_part(content: &Value) -> Option<Part> {
    match str_field(content, "type")? {
        "input_text" | "output_text" | "text" => {
            let text = str_field(content, "text")?;
            (!text.trim().is_empty()).then(|| Part::Text {
                text: text.to_owned(),
            })
        }
        "input_image" => str_field(content, "image_url").map(|url| Part::Image(image_media(url))),
        _ => None,
    }
}

fn reasoning_text(item: &Value) -> String {
    let texts = |key: &str| -> Vec<String> {
        item.get(key)
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| str_field(e, "text"))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let summary = texts("summary");
    if summary.is_empty() {
        // Some providers return raw reasoning text instead of a summary.
        texts("content").join("\n\n")
    } else {
        summary.join("\n\n")
    }
}

/// The transcript of a parsed rollout. `fallback_id` names the session when no meta line does.
pub fn transcript(rollout: &Rollout, fallback_id: &str) -> (Transcript, Header) {
    let mut header = Header::default();
    let mut conversation = Conversation::default();
    for record in &rollout.records {
        header.observe(record);
        match record.kind {
            Kind::ResponseItem => conversation.item(record.timestamp_ms, &record.payload),
            Kind::TurnContext => conversation.model.clone_from(&header.model),
            Kind::Compacted => compaction(&mut conversation, record),
            _ => {}
        }
    }
    let title = conversation
        .messages
        .iter()
        .filter(|m| m.role == Role::User)
        .find_map(|m| {
            m.parts.iter().find_map(|p| match p {
                Part::Text { text } => Some(title_of(text)),
                _ => None,
            })
        });
    let meta = SessionMeta {
        id: header.id.clone().unwrap_or_else(|| fallback_id.to_owned()),
        agent: "codex".into(),
        title,
        cwd: header.cwd.clone(),
        created_ms: header.created_ms,
        updated_ms: rollout.records.iter().rev().find_map(|r| r.timestamp_ms),
        model: header.model.clone(),
        git_branch: header.git_branch.clone(),
        source_path: None,
    };
    (Transcript::new(meta, conversation.messages), header)
}

/// `compacted`: with `replacement_history` the model's history restarts from it; without, the
/// summary follows what came before. Either way a marker shows where.
fn compaction(conversation: &mut Conversation, record: &Record) {
    // Codex cannot load a `compacted` line without its message text, and neither do we.
    let Some(summary) = str_field(&record.payload, "message").map(str::to_owned) else {
        return;
    };
    let replacement = record
        .payload
        .get("replacement_history")
        .and_then(Value::as_array);
    if replacement.is_some() {
        conversation.messages.clear();
    }
    conversation.user_message(record.timestamp_ms, vec![Part::Compaction { summary }]);
    for item in replacement.into_iter().flatten() {
        conversation.item(record.timestamp_ms, item);
    }
}

/// A list title: the first line of the first user text, at most 80 characters.
pub fn title_of(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::parse;

    fn transcript_of(text: &str) -> Transcript {
        transcript(&parse(text.as_bytes()), "fallback").0
    }

    #[test]
    fn injected_context_is_told_apart_by_kinds_then_by_tags() {
        let t = transcript_of(
            r#"{"timestamp":"2025-10-01T10:00:00.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"AGENTS rules"},{"type":"input_text","text":"real question"}],"internal_chat_message_metadata_passthrough":{"content_item_kinds":["agents_md.instructions","user.text"]}}}
{"timestamp":"2025-10-01T10:00:00.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>\n<cwd>/x</cwd>\n</environment_context>"}]}}
{"timestamp":"2025-10-01T10:00:00.000Z","type":"response_item","payload":{"type":"message","role":"developer","content":[{"type":"input_text","text":"be terse"}]}}"#,
        );
        assert_eq!(t.messages.len(), 1);
        assert_eq!(
            t.messages[0].parts,
            vec![Part::Text {
                text: "real question".into()
            }]
        );
        assert_eq!(t.session.cwd.as_deref(), Some("/x"));
    }

    #[test]
    fn shell_failures_are_errors_in_every_output_shape() {
        assert!(
            tool_output(Some(&Value::String(
                "Exit code: 1\nWall time: 0 s\nOutput:\n".into()
            )))
            .2
        );
        assert!(!tool_output(Some(&Value::String("Exit code: 0\nOutput:\nok".into()))).2);
        assert!(
            tool_output(Some(&Value::String(
                "Chunk ID: 1\nWall time: 0.0 seconds\nProcess exited with code 3\nOutput:\n".into()
            )))
            .2
        );
        let wrapped = r#"{"output":"boom","metadata":{"exit_code":2,"duration_seconds":0.1}}"#;
        assert_eq!(
            tool_output(Some(&Value::String(wrapped.into()))),
            ("boom".to_owned(), Vec::new(), true)
        );
        let object = serde_json::json!({"content": "denied", "success": false});
        assert!(tool_output(Some(&object)).2);
        assert!(!tool_output(Some(&Value::String("plain text".into()))).2);
    }

    #[test]
    fn titles_are_first_lines_cut_at_80_chars() {
        assert_eq!(title_of("  fix the bug\nmore"), "fix the bug");
        let long = "é".repeat(100);
        assert_eq!(title_of(&long).chars().count(), 81);
    }
}
