//! `events.jsonl` → transcript. The events that carry the conversation: `session.start` (folder,
//! model), `user.message`, `assistant.message` (text, reasoning, tool requests),
//! `tool.execution_complete` (a call's result or error), `session.model_change`. The rest (turn
//! boundaries, usage, the client's own system prompt, shutdown) is bookkeeping.

use crate::tools;
use handoff_adapter_kit::jsonl;
use handoff_adapter_kit::loose::{LooseBool, LooseObject, LooseStr};
use handoff_adapter_kit::text::first_user_line;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{Message, Part, Role, SessionMeta, Transcript};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
pub struct Event {
    #[serde(rename = "type", default)]
    pub kind: LooseStr,
    #[serde(default)]
    pub timestamp: LooseStr,
    #[serde(default)]
    pub data: LooseObject<Data>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    #[serde(default)]
    pub content: LooseStr,
    #[serde(default)]
    pub reasoning_text: LooseStr,
    #[serde(default)]
    pub tool_requests: Option<Value>,
    #[serde(default)]
    pub tool_call_id: LooseStr,
    #[serde(default)]
    pub success: LooseBool,
    #[serde(default)]
    pub result: LooseObject<Outcome>,
    #[serde(default)]
    pub error: LooseObject<Outcome>,
    #[serde(default)]
    pub model: LooseStr,
    #[serde(default)]
    pub selected_model: LooseStr,
    #[serde(default)]
    pub new_model: LooseStr,
    #[serde(default)]
    pub session_id: LooseStr,
    #[serde(default)]
    pub start_time: LooseStr,
    #[serde(default)]
    pub context: LooseObject<Context>,
}

/// A tool's result (`content`) or error (`message`), read without building a JSON value: outputs
/// are most of a session's bytes.
#[derive(Deserialize, Default)]
pub struct Outcome {
    #[serde(default)]
    pub content: LooseStr,
    #[serde(default)]
    pub message: LooseStr,
}

#[derive(Deserialize, Default)]
pub struct Context {
    #[serde(default)]
    pub cwd: LooseStr,
    #[serde(default)]
    pub branch: LooseStr,
}

/// Event types the reader reads or knows to be Copilot's bookkeeping (turn marks, usage, the
/// system prompt, tool starts), seen in the sessions of the verified releases.
pub const KNOWN_EVENTS: &[&str] = &[
    "session.start",
    "session.model_change",
    "session.shutdown",
    "session.usage_record",
    "user.message",
    "system.message",
    "assistant.message",
    "assistant.turn_start",
    "assistant.turn_end",
    "tool.execution_start",
    "tool.execution_complete",
];

/// The events of `bytes`, and how many lines were not events.
pub fn events(bytes: &[u8]) -> jsonl::Lines<Event> {
    jsonl::parse(bytes)
}

/// The events of a whole file, parsed on every core.
pub fn read_events(path: &std::path::Path) -> std::io::Result<jsonl::Lines<Event>> {
    jsonl::read(std::fs::File::open(path)?)
}

/// The conversation of a session's events. `id` and `title` come from the folder and its
/// `workspace.yaml` when the events do not say.
pub fn transcript(events: &[(usize, Event)], id: &str, title: Option<String>) -> Transcript {
    let mut session = SessionMeta {
        id: id.to_owned(),
        agent: "copilot".into(),
        title,
        ..SessionMeta::default()
    };
    let mut messages: Vec<Message> = Vec::new();
    let mut model: Option<String> = None;
    for (_, event) in events {
        let Some(data) = &event.data.0 else { continue };
        let timestamp_ms = event.timestamp.as_deref().and_then(parse_rfc3339_ms);
        match event.kind.as_deref() {
            Some("session.start") => {
                if let Some(id) = data.session_id.as_deref() {
                    session.id = id.to_owned();
                }
                session.created_ms = data
                    .start_time
                    .as_deref()
                    .and_then(parse_rfc3339_ms)
                    .or(timestamp_ms);
                if let Some(context) = &data.context.0 {
                    session.cwd = context.cwd.0.clone();
                    session.git_branch = context.branch.0.clone();
                }
                model = data.selected_model.0.clone().or(model);
            }
            Some("session.model_change") => {
                model = data.new_model.0.clone().or(data.model.0.clone()).or(model);
            }
            Some("user.message") => {
                let mut parts = Vec::new();
                if let Some(text) = data.content.as_deref().filter(|t| !t.is_empty()) {
                    parts.push(Part::Text {
                        text: text.to_owned(),
                    });
                }
                if !parts.is_empty() {
                    let mut message = Message::new(Role::User, parts);
                    message.timestamp_ms = timestamp_ms;
                    messages.push(message);
                }
            }
            Some("assistant.message") => {
                let mut parts = Vec::new();
                if let Some(text) = data.reasoning_text.as_deref().filter(|t| !t.is_empty()) {
                    parts.push(Part::Reasoning {
                        text: text.to_owned(),
                        signature: None,
                        provider: None,
                    });
                }
                if let Some(text) = data.content.as_deref().filter(|t| !t.is_empty()) {
                    parts.push(Part::Text {
                        text: text.to_owned(),
                    });
                }
                for request in data
                    .tool_requests
                    .as_ref()
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let field = |key: &str| request.get(key).and_then(Value::as_str);
                    let (Some(id), Some(name)) = (field("toolCallId"), field("name")) else {
                        continue;
                    };
                    let input = request
                        .get("arguments")
                        .cloned()
                        .unwrap_or(Value::Object(serde_json::Map::new()));
                    parts.push(Part::ToolCall {
                        id: id.to_owned(),
                        name: name.to_owned(),
                        tool: tools::to_tool(name, &input),
                        input,
                    });
                }
                if !parts.is_empty() {
                    let mut message = Message::new(Role::Assistant, parts);
                    message.timestamp_ms = timestamp_ms;
                    message.model = data.model.0.clone().or(model.clone());
                    messages.push(message);
                }
            }
            Some("tool.execution_complete") => {
                let Some(call_id) = data.tool_call_id.as_deref() else {
                    continue;
                };
                let is_error = data.success.0 == Some(false);
                let result = data.result.0.as_ref().and_then(|r| r.content.0.clone());
                let error = data.error.0.as_ref().and_then(|e| e.message.0.clone());
                let output = if is_error { error.or(result) } else { result }.unwrap_or_default();
                let part = Part::ToolResult {
                    call_id: call_id.to_owned(),
                    output,
                    images: Vec::new(),
                    is_error,
                };
                match messages.last_mut() {
                    Some(last) if last.role == Role::Assistant => last.parts.push(part),
                    _ => {
                        let mut message = Message::new(Role::Assistant, vec![part]);
                        message.timestamp_ms = timestamp_ms;
                        messages.push(message);
                    }
                }
            }
            _ => {}
        }
    }
    session.model = model;
    session.updated_ms = messages.iter().rev().find_map(|m| m.timestamp_ms);
    if session.title.is_none() {
        session.title = first_user_line(&messages);
    }
    Transcript::new(session, messages)
}
