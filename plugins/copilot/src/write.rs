//! A transcript as a Copilot CLI session folder: `events.jsonl` with the events its resume reads
//! (`session.start`, `user.message`, `assistant.message` with `toolRequests`,
//! `tool.execution_complete`), each linked to the one before, and the `workspace.yaml` its
//! session list shows. The host pairs every call with one result before this runs.

use crate::tools;
use crate::workspace::quote;
use handoff_adapter_kit::text::{Routed, first_user_line, media_note, route};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms};
use handoff_plugin_api::{Message, Part, Transcript};
use serde_json::{Value, json};
use std::collections::HashSet;

const TITLE_PREFIX: &str = "handoff: ";

/// The two files of a session folder.
pub struct Rendered {
    pub events: String,
    pub workspace: String,
}

struct Writer {
    lines: Vec<String>,
    parent: Option<String>,
    clock_ms: i64,
    own: bool,
    text: Vec<String>,
    requests: Vec<Value>,
    /// Calls written in an assistant message whose result has not been written yet.
    open_calls: HashSet<String>,
}

impl Writer {
    fn event(&mut self, kind: &str, data: Value) {
        let id = uuid::Uuid::new_v4().to_string();
        let event = json!({
            "type": kind,
            "data": data,
            "id": id,
            "timestamp": format_rfc3339_ms(self.clock_ms),
            "parentId": self.parent,
        });
        self.lines.push(event.to_string());
        self.parent = Some(id);
    }

    fn at(&mut self, message: &Message) {
        if let Some(ms) = message.timestamp_ms {
            self.clock_ms = self.clock_ms.max(ms);
        }
    }

    fn flush_assistant(&mut self) {
        if self.text.is_empty() && self.requests.is_empty() {
            return;
        }
        self.open_calls.extend(
            self.requests
                .iter()
                .filter_map(call_id_of)
                .map(str::to_owned),
        );
        let data = json!({
            "messageId": uuid::Uuid::new_v4().to_string(),
            "content": self.text.join("\n\n"),
            "toolRequests": std::mem::take(&mut self.requests),
        });
        self.text.clear();
        self.event("assistant.message", data);
    }

    fn user_text(&mut self, text: String) {
        self.flush_assistant();
        let data = json!({"content": text, "messageId": uuid::Uuid::new_v4().to_string()});
        self.event("user.message", data);
    }

    fn message(&mut self, message: &Message) {
        self.at(message);
        for routed in route(message) {
            match routed {
                Routed::Agent(part) => self.assistant_part(part),
                Routed::UserText(text) => self.user_text(text),
            }
        }
    }

    fn assistant_part(&mut self, part: &Part) {
        match part {
            Part::Text { text } if !text.is_empty() => {
                // Text after this message's calls starts the next assistant message.
                if !self.requests.is_empty() {
                    self.flush_assistant();
                }
                self.text.push(text.clone());
            }
            Part::Image(media) | Part::File(media) => self.text.push(media_note(media)),
            Part::Compaction { summary } => self.user_text(summary.clone()),
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let (name, arguments) = tools::to_native(self.own, name, input, tool);
                self.requests.push(json!({
                    "toolCallId": id,
                    "name": name,
                    "arguments": arguments,
                    "type": "function",
                }));
            }
            Part::ToolResult {
                call_id,
                output,
                is_error,
                ..
            } => {
                if self.requests.iter().any(|r| call_id_of(r) == Some(call_id)) {
                    self.flush_assistant();
                }
                // A result without its call (or a second one) has nothing to answer.
                if !self.open_calls.remove(call_id) {
                    return;
                }
                let data = if *is_error {
                    json!({"toolCallId": call_id, "success": false,
                        "error": {"message": output, "code": "failure"}})
                } else {
                    json!({"toolCallId": call_id, "success": true, "result": {"content": output}})
                };
                self.event("tool.execution_complete", data);
            }
            // Reasoning is the source model's; Copilot resends none of its own either.
            _ => {}
        }
    }
}

/// The call id of a tool request being built.
fn call_id_of(request: &Value) -> Option<&str> {
    request["toolCallId"].as_str()
}

/// The folder's files for session `id` in project `cwd`, started by Copilot `client_version`;
/// `None` when nothing would reach the model.
pub fn render(
    transcript: &Transcript,
    id: &str,
    cwd: &str,
    client_version: &str,
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
        own: transcript.session.agent == "copilot",
        text: Vec::new(),
        requests: Vec::new(),
        open_calls: HashSet::new(),
    };
    writer.event(
        "session.start",
        json!({
            "sessionId": id,
            "version": 1,
            "producer": "copilot-agent",
            "copilotVersion": client_version,
            "startTime": format_rfc3339_ms(first_ms),
            "context": {"cwd": cwd},
        }),
    );
    for message in &transcript.messages {
        writer.message(message);
    }
    writer.flush_assistant();
    if writer.lines.len() < 2 {
        return None;
    }
    let title = transcript
        .session
        .title
        .clone()
        .or_else(|| first_user_line(&transcript.messages))
        .unwrap_or_else(|| "conversation".into());
    let workspace = format!(
        "id: {id}\ncwd: {}\nname: {}\nuser_named: false\nsummary_count: 0\nfork_count: 0\n\
         created_at: {}\nupdated_at: {}\n",
        quote(cwd),
        quote(&format!("{TITLE_PREFIX}{title}")),
        format_rfc3339_ms(first_ms),
        format_rfc3339_ms(writer.clock_ms),
    );
    let mut events = writer.lines.join("\n");
    events.push('\n');
    Some(Rendered { events, workspace })
}
