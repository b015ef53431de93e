//! A transcript as a pi session file: the header, a `session_info` naming it (the title pi's
//! session list shows), the user's configured model as a `model_change`, then one chain of
//! `message` entries (user; assistant with text and `toolCall` blocks; a `toolResult` per call),
//! each naming the one before as its parent, so that the file's last entry is the leaf pi resumes.
//! The host pairs every call with one result before this runs.

use crate::tools;
use handoff_adapter_kit::text::{Routed, first_user_line, media_note, route};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms};
use handoff_plugin_api::{Message, Part, Transcript};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

const TITLE_PREFIX: &str = "handoff: ";

/// The provider and model the user set as pi's default (`defaultProvider`, `defaultModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub provider: String,
    pub id: String,
}

impl Model {
    pub fn configured(settings: Option<&Value>) -> Option<Model> {
        let settings = settings?;
        let field = |key: &str| {
            settings
                .get(key)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Some(Model {
            provider: field("defaultProvider")?,
            id: field("defaultModel")?,
        })
    }
}

struct Writer {
    lines: Vec<String>,
    parent: Option<String>,
    clock_ms: i64,
    own: bool,
    model: Option<Model>,
    /// The assistant message being built.
    blocks: Vec<Value>,
    /// Calls written whose result has not been, by id: their tool name.
    open_calls: HashMap<String, String>,
    /// The entry ids written so far, so that a new one is unique within the file.
    entry_ids: HashSet<String>,
}

impl Writer {
    fn entry(&mut self, kind: &str, fields: Value) {
        // Eight hex digits, as pi makes them; unique within the file.
        let id = loop {
            let candidate = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
            if self.entry_ids.insert(candidate.clone()) {
                break candidate;
            }
        };
        let mut entry = json!({
            "type": kind,
            "id": id,
            "parentId": self.parent,
            "timestamp": format_rfc3339_ms(self.clock_ms),
        });
        if let (Value::Object(entry), Value::Object(fields)) = (&mut entry, fields) {
            entry.extend(fields);
        }
        self.lines.push(entry.to_string());
        self.parent = Some(id);
    }

    fn message_entry(&mut self, message: Value) {
        self.entry("message", json!({ "message": message }));
    }

    fn at(&mut self, message: &Message) {
        if let Some(ms) = message.timestamp_ms {
            self.clock_ms = self.clock_ms.max(ms);
        }
    }

    fn flush_assistant(&mut self) {
        if self.blocks.is_empty() {
            return;
        }
        let has_calls = self.blocks.iter().any(|b| b["type"] == "toolCall");
        for block in &self.blocks {
            if let (Some(id), Some(name)) = (block["id"].as_str(), block["name"].as_str()) {
                self.open_calls.insert(id.to_owned(), name.to_owned());
            }
        }
        let mut message = json!({
            "role": "assistant",
            "content": std::mem::take(&mut self.blocks),
            "usage": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 0,
                "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0}},
            "stopReason": if has_calls { "toolUse" } else { "stop" },
            "timestamp": self.clock_ms,
        });
        if let Some(model) = &self.model {
            message["provider"] = json!(model.provider);
            message["model"] = json!(model.id);
        }
        self.message_entry(message);
    }

    fn user_text(&mut self, text: &str) {
        self.flush_assistant();
        let message = json!({
            "role": "user",
            "content": [{"type": "text", "text": text}],
            "timestamp": self.clock_ms,
        });
        self.message_entry(message);
    }

    fn message(&mut self, message: &Message) {
        self.at(message);
        for routed in route(message) {
            match routed {
                Routed::Agent(part) => self.assistant_part(part),
                Routed::UserText(text) => self.user_text(&text),
            }
        }
    }

    fn assistant_part(&mut self, part: &Part) {
        match part {
            Part::Text { text } if !text.is_empty() => {
                // Text after this message's calls starts the next assistant message.
                if self.blocks.iter().any(|b| b["type"] == "toolCall") {
                    self.flush_assistant();
                }
                self.blocks.push(json!({"type": "text", "text": text}));
            }
            Part::Image(media) | Part::File(media) => {
                self.blocks
                    .push(json!({"type": "text", "text": media_note(media)}));
            }
            Part::Compaction { summary } => self.user_text(summary),
            // Thinking is the model's own: only a pi transcript's goes back.
            Part::Reasoning { text, .. } if self.own && !text.is_empty() => {
                self.blocks
                    .push(json!({"type": "thinking", "thinking": text}));
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let (name, arguments) = tools::to_native(self.own, name, input, tool);
                self.blocks.push(
                    json!({"type": "toolCall", "id": id, "name": name, "arguments": arguments}),
                );
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } => {
                self.flush_assistant();
                // A result without its call (or a second one) has nothing to answer.
                let Some(name) = self.open_calls.remove(call_id) else {
                    return;
                };
                let mut content = vec![json!({"type": "text", "text": output})];
                content.extend(images.iter().filter_map(|media| {
                    let data = media.data_base64.as_ref()?;
                    Some(json!({"type": "image", "data": data, "mimeType": media.media_type}))
                }));
                let message = json!({
                    "role": "toolResult",
                    "toolCallId": call_id,
                    "toolName": name,
                    "content": content,
                    "isError": is_error,
                    "timestamp": self.clock_ms,
                });
                self.message_entry(message);
            }
            _ => {}
        }
    }
}

/// A written session: its file's start time (for the file name) and its lines.
pub struct Rendered {
    pub timestamp: String,
    pub text: String,
}

/// The session file of session `id` in project `cwd`; `None` when nothing would reach the model.
pub fn render(
    transcript: &Transcript,
    id: &str,
    cwd: &str,
    model: Option<Model>,
) -> Option<Rendered> {
    let first_ms = transcript
        .messages
        .iter()
        .find_map(|m| m.timestamp_ms)
        .unwrap_or_else(now_ms);
    let mut writer = Writer {
        lines: Vec::new(),
        parent: None,
        clock_ms: first_ms,
        own: transcript.session.agent == "pi",
        model: model.clone(),
        blocks: Vec::new(),
        open_calls: HashMap::new(),
        entry_ids: HashSet::new(),
    };
    let title = transcript
        .session
        .title
        .clone()
        .or_else(|| first_user_line(&transcript.messages))
        .unwrap_or_else(|| "conversation".into());
    writer.entry(
        "session_info",
        json!({ "name": format!("{TITLE_PREFIX}{title}") }),
    );
    if let Some(model) = &model {
        writer.entry(
            "model_change",
            json!({"provider": model.provider, "modelId": model.id}),
        );
    }
    let preamble = writer.lines.len();
    for message in &transcript.messages {
        writer.message(message);
    }
    writer.flush_assistant();
    if writer.lines.len() == preamble {
        return None;
    }
    let timestamp = format_rfc3339_ms(first_ms);
    let header =
        json!({"type": "session", "version": 3, "id": id, "timestamp": timestamp, "cwd": cwd});
    let mut text = header.to_string();
    for line in &writer.lines {
        text.push('\n');
        text.push_str(line);
    }
    text.push('\n');
    Some(Rendered { timestamp, text })
}
