//! OpenCode 2.x records → the transcript model.
//!
//! 2.x keeps its sessions in `session_v2` and their messages in `session_message` of the same
//! database: one row per message, its kind in `type`, everything else (text, reasoning, tool calls
//! with their results) inside `data`. The layout is read from OpenCode's public source; no 2.x
//! client can be run here, so the extract report says where the session came from.
//!
//! What the model saw is what counts, as for 1.x: `synthetic` and `system` text is context the
//! client injected, not the user's words; failed replies are dropped; the switch, skill and idle
//! rows are bookkeeping. A `shell` row (a command the user ran) reads as the shell call and output
//! 1.x records for it.

use crate::read::{self, RawSession, str_at};
use handoff_adapter_kit::report;
use handoff_plugin_api::{ExtractReport, Extracted, Media, Message, Part, Role};
use serde_json::{Map, Value};

/// One `session_message` row as the client decodes it: `data`, with the row's id and type.
#[derive(Debug, Clone)]
pub struct V2Message {
    pub id: String,
    pub kind: String,
    pub data: Value,
}

/// Said in every report of a session read from 2.x tables.
pub const READ_WARNING: &str = "read from an OpenCode 2.x database (layout from its public \
                                source, not proven with the 2.x client)";

/// The message types of the 2.x model.
const KNOWN_TYPES: &[&str] = &[
    "agent-switched",
    "model-switched",
    "location-switched",
    "user",
    "synthetic",
    "system",
    "skill",
    "shell",
    "assistant",
    "compaction",
    "idle",
];

/// The kinds of an assistant message's content.
const KNOWN_CONTENT: &[&str] = &["text", "reasoning", "tool"];

pub fn to_extracted(
    agent: &str,
    session: &RawSession,
    messages: &[V2Message],
    source_path: &str,
    skipped: usize,
) -> Extracted {
    let mut report = ExtractReport {
        skipped_lines: skipped,
        sidechains: session.children,
        warnings: vec![READ_WARNING.to_owned()],
        ..ExtractReport::default()
    };
    report::count_unknown(
        &mut report,
        messages.iter().map(|m| m.kind.as_str()),
        KNOWN_TYPES,
    );
    let content_kinds = messages
        .iter()
        .filter(|m| m.kind == "assistant")
        .flat_map(|m| content(&m.data))
        .filter_map(|c| str_at(c, "type"));
    report::count_unknown(&mut report, content_kinds, KNOWN_CONTENT);

    let mut out = Vec::new();
    // The model in use: each reply names its own, a switch names the next one.
    let mut model = None;
    for message in messages {
        let data = &message.data;
        let read = match message.kind.as_str() {
            "user" => user(data),
            "assistant" => {
                let own = model_of(data);
                if own.is_some() {
                    model.clone_from(&own);
                }
                assistant(data, own)
            }
            "model-switched" => {
                model = model_of(data).or(model);
                None
            }
            "shell" => shell(message),
            "compaction" => compaction(data),
            _ => None,
        };
        out.extend(read);
    }
    read::extracted(session, agent, source_path, model, out, report)
}

fn user(data: &Value) -> Option<Message> {
    let mut parts = Vec::new();
    if let Some(text) = str_at(data, "text").filter(|t| !t.is_empty()) {
        parts.push(Part::Text {
            text: text.to_owned(),
        });
    }
    let files = data.get("files").and_then(Value::as_array);
    parts.extend(
        files
            .into_iter()
            .flatten()
            .filter_map(media)
            .map(read::media_part),
    );
    read::finish(Role::User, data, parts, None)
}

fn assistant(data: &Value, model: Option<String>) -> Option<Message> {
    if failed(data) {
        return None;
    }
    let mut parts = Vec::new();
    for item in content(data) {
        let text = str_at(item, "text").filter(|t| !t.is_empty());
        match (str_at(item, "type"), text) {
            (Some("text"), Some(text)) if !hidden(item) => parts.push(Part::Text {
                text: text.to_owned(),
            }),
            (Some("reasoning"), Some(text)) => parts.push(read::reasoning(text, provider(item))),
            (Some("tool"), _) => parts.extend(tool(item)),
            _ => {}
        }
    }
    read::finish(Role::Assistant, data, parts, model)
}

fn content(data: &Value) -> impl Iterator<Item = &Value> {
    data.get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Text the client marks as not sent to the model.
fn hidden(item: &Value) -> bool {
    ["ignored", "synthetic"]
        .iter()
        .any(|key| item.get(key).and_then(Value::as_bool) == Some(true))
}

/// A reply that failed, as the client drops it; one the user aborted keeps what it said.
fn failed(data: &Value) -> bool {
    let Some(error) = data.get("error").filter(|e| !e.is_null()) else {
        return false;
    };
    let aborted = ["name", "type", "_tag"]
        .iter()
        .filter_map(|key| str_at(error, key))
        .any(|name| name.to_ascii_lowercase().contains("abort"));
    !aborted
}

/// The provider's own data of a content item (where a reasoning signature rides); later
/// releases call it `native`.
fn provider(item: &Value) -> Option<&Value> {
    ["providerMetadata", "native", "state", "providerState"]
        .iter()
        .filter_map(|key| item.get(key))
        .find(|v| v.is_object())
}

fn tool(item: &Value) -> Vec<Part> {
    let (Some(id), Some(name)) = (str_at(item, "id"), str_at(item, "name")) else {
        return Vec::new();
    };
    let state = item.get("state").unwrap_or(&Value::Null);
    // A call still streaming keeps its input as the text received so far.
    let input = match state.get("input") {
        Some(Value::String(text)) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        Some(input) => input.clone(),
        None => Value::Object(Map::new()),
    };
    let outcome = match str_at(state, "status") {
        Some("completed") => {
            let attachments = state.get("attachments").and_then(Value::as_array);
            let images = outputs(state)
                .chain(attachments.into_iter().flatten())
                .filter_map(media)
                .collect();
            (output_text(state), images, false)
        }
        Some("error") => {
            let error = state.get("error").map(error_text).unwrap_or_default();
            let output = if error.is_empty() {
                output_text(state)
            } else {
                error
            };
            (output, Vec::new(), true)
        }
        _ => read::interrupted(),
    };
    read::call_and_result(id, name, input, outcome)
}

fn outputs(state: &Value) -> impl Iterator<Item = &Value> {
    state
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The text items of a tool's output, in order.
fn output_text(state: &Value) -> String {
    let texts: Vec<&str> = outputs(state)
        .filter_map(|item| item.as_str().or_else(|| str_at(item, "text")))
        .collect();
    texts.join("\n")
}

/// An error as text: itself, or its message.
fn error_text(error: &Value) -> String {
    match error {
        Value::String(text) => text.clone(),
        other => str_at(other, "message")
            .or_else(|| other.get("data").and_then(|d| str_at(d, "message")))
            .map(str::to_owned)
            .unwrap_or_else(|| other.to_string()),
    }
}

/// A file or image item: inline bytes (`data` with its type), or a `data:`/`file://` URL as 1.x
/// keeps them.
fn media(item: &Value) -> Option<Media> {
    let mime = str_at(item, "mime").or_else(|| str_at(item, "mediaType"));
    let name = str_at(item, "filename").or_else(|| str_at(item, "name"));
    if let (Some(data), Some(mime)) = (str_at(item, "data"), mime) {
        return Some(Media {
            media_type: mime.to_owned(),
            data_base64: Some(data.to_owned()),
            path: None,
            name: name.map(str::to_owned),
        });
    }
    let url = str_at(item, "url").or_else(|| str_at(item, "uri"))?;
    let mut file = Map::new();
    file.insert("url".into(), url.into());
    if let Some(mime) = mime {
        file.insert("mime".into(), mime.into());
    }
    if let Some(name) = name {
        file.insert("filename".into(), name.into());
    }
    read::media_of(&Value::Object(file))
}

/// A command the user ran, with its output: the shell call 1.x records for it.
fn shell(message: &V2Message) -> Option<Message> {
    let data = &message.data;
    let command = str_at(data, "command")?;
    let id = str_at(data, "callID")
        .or_else(|| str_at(data, "shellID"))
        .unwrap_or(&message.id);
    let output = str_at(data, "output");
    let finished = output.is_some() || data.pointer("/time/completed").is_some();
    let ended = |is_error| (output.unwrap_or("").to_owned(), Vec::new(), is_error);
    let outcome = match str_at(data, "status") {
        Some("error" | "failed") => ended(true),
        Some("completed") => ended(false),
        None if finished => ended(false),
        _ => read::interrupted(),
    };
    let mut input = Map::new();
    input.insert("command".into(), command.into());
    let parts = read::call_and_result(id, "bash", Value::Object(input), outcome);
    read::finish(Role::Assistant, data, parts, None)
}

/// A finished compaction: its summary stands for everything before it.
fn compaction(data: &Value) -> Option<Message> {
    if matches!(str_at(data, "status"), Some("running" | "failed")) {
        return None;
    }
    let summary = str_at(data, "summary").filter(|s| !s.is_empty())?;
    let parts = vec![Part::Compaction {
        summary: summary.to_owned(),
    }];
    read::finish(Role::User, data, parts, None)
}

fn model_of(data: &Value) -> Option<String> {
    data.get("model").and_then(read::model_of_session)
}
