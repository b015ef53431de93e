//! A transcript as a Gemini CLI session file: the metadata line (with the `summary` the session
//! picker shows), then `user` and `gemini` message records. A `gemini` record is one model turn:
//! its text and its calls, each call holding its own result as the client stores it; the client
//! rebuilds the model's `functionCall` parts and the following `functionResponse` turn from that.
//! The host pairs every call with one result before this runs.

use crate::tools;
use handoff_adapter_kit::genai;
use handoff_adapter_kit::text::{Routed, first_user_line, media_note, route};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms, utc_fields};
use handoff_plugin_api::{Message, Part, Transcript};
use serde_json::{Value, json};
use std::collections::HashMap;

const TITLE_PREFIX: &str = "handoff: ";

struct Writer {
    records: Vec<Value>,
    clock_ms: i64,
    own: bool,
    /// The model the user configured, for the `gemini` records; none when unset.
    model: Option<String>,
    /// The model turn being built: its text, thoughts and calls.
    text: Vec<String>,
    thoughts: Vec<Value>,
    calls: Vec<Value>,
    /// Where each written call is: record and call index.
    call_at: HashMap<String, (usize, usize)>,
}

impl Writer {
    fn timestamp(&self) -> String {
        format_rfc3339_ms(self.clock_ms)
    }

    fn at(&mut self, message: &Message) {
        if let Some(ms) = message.timestamp_ms {
            self.clock_ms = self.clock_ms.max(ms);
        }
    }

    fn flush_model_turn(&mut self) {
        if self.text.is_empty() && self.calls.is_empty() && self.thoughts.is_empty() {
            return;
        }
        let index = self.records.len();
        for (call_index, call) in self.calls.iter().enumerate() {
            if let Some(id) = call["id"].as_str() {
                self.call_at.insert(id.to_owned(), (index, call_index));
            }
        }
        let mut record = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "timestamp": self.timestamp(),
            "type": "gemini",
            "content": self.text.join("\n\n"),
            "thoughts": std::mem::take(&mut self.thoughts),
        });
        if let Some(model) = &self.model {
            record["model"] = json!(model);
        }
        if !self.calls.is_empty() {
            record["toolCalls"] = Value::Array(std::mem::take(&mut self.calls));
        }
        self.text.clear();
        self.records.push(record);
    }

    fn user_text(&mut self, text: String) {
        self.flush_model_turn();
        let record = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "timestamp": self.timestamp(),
            "type": "user",
            "content": [genai::text(&text)],
        });
        self.records.push(record);
    }

    fn message(&mut self, message: &Message) {
        self.at(message);
        for routed in route(message) {
            match routed {
                Routed::Agent(part) => self.model_part(part),
                Routed::UserText(text) => self.user_text(text),
            }
        }
    }

    fn model_part(&mut self, part: &Part) {
        match part {
            Part::Text { text } if !text.is_empty() => {
                // Text after this turn's calls starts the next model turn.
                if !self.calls.is_empty() {
                    self.flush_model_turn();
                }
                self.text.push(text.clone());
            }
            Part::Image(media) | Part::File(media) => self.text.push(media_note(media)),
            Part::Compaction { summary } => self.user_text(summary.clone()),
            // Thoughts are the model's own: only a Gemini transcript's go back.
            Part::Reasoning { text, .. } if self.own && !text.is_empty() => {
                self.thoughts.push(json!({
                    "subject": "",
                    "description": text,
                    "timestamp": self.timestamp(),
                }));
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let (name, args) = tools::to_native(self.own, name, input, tool);
                self.calls.push(json!({
                    "id": id,
                    "name": name,
                    "args": args,
                    "status": "success",
                    "timestamp": self.timestamp(),
                }));
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } => {
                if self.calls.iter().any(|call| call["id"] == call_id.as_str()) {
                    self.flush_model_turn();
                }
                // A result without its call (or a second one) has nothing to answer.
                let Some((record, call)) = self.call_at.remove(call_id) else {
                    return;
                };
                let Some(call) = self.records[record]["toolCalls"].get_mut(call) else {
                    return;
                };
                let name = call["name"].as_str().unwrap_or_default().to_owned();
                let mut result = vec![genai::function_response(call_id, &name, output, *is_error)];
                result.extend(images.iter().map(genai::media));
                call["result"] = Value::Array(result);
                if *is_error {
                    call["status"] = json!("error");
                }
            }
            _ => {}
        }
    }
}

/// The session file for session `id` of the project whose path hashes to `project_hash`; `None`
/// when nothing would reach the model.
pub fn render(
    transcript: &Transcript,
    id: &str,
    project_hash: &str,
    model: Option<String>,
) -> Option<String> {
    let first_ms = transcript
        .messages
        .iter()
        .find_map(|m| m.timestamp_ms)
        .unwrap_or_else(now_ms);
    let mut writer = Writer {
        records: Vec::new(),
        clock_ms: first_ms,
        own: transcript.session.agent == "gemini",
        model,
        text: Vec::new(),
        thoughts: Vec::new(),
        calls: Vec::new(),
        call_at: HashMap::new(),
    };
    for message in &transcript.messages {
        writer.message(message);
    }
    writer.flush_model_turn();
    // Calls whose result never came still need one for the model to read the turn.
    for record in &mut writer.records {
        for call in record["toolCalls"].as_array_mut().into_iter().flatten() {
            if call.get("result").is_none() {
                let id = call["id"].as_str().unwrap_or_default().to_owned();
                let name = call["name"].as_str().unwrap_or_default().to_owned();
                call["result"] = json!([genai::function_response(
                    &id,
                    &name,
                    handoff_plugin_api::INTERRUPTED_OUTPUT,
                    true
                )]);
                call["status"] = json!("error");
            }
        }
    }
    if writer.records.is_empty() {
        return None;
    }
    let title = transcript
        .session
        .title
        .clone()
        .or_else(|| first_user_line(&transcript.messages))
        .unwrap_or_else(|| "conversation".into());
    let metadata = json!({
        "sessionId": id,
        "projectHash": project_hash,
        "startTime": format_rfc3339_ms(first_ms),
        "lastUpdated": format_rfc3339_ms(writer.clock_ms.max(now_ms())),
        "kind": "main",
        "summary": format!("{TITLE_PREFIX}{title}"),
    });
    let mut out = metadata.to_string();
    for record in &writer.records {
        out.push('\n');
        out.push_str(&record.to_string());
    }
    out.push('\n');
    Some(out)
}

/// `session-<YYYY-MM-DDTHH-MM>-<first 8 of the id>.jsonl`, the minute in UTC, as the client
/// names a new session: the name sorts with the client's own by time.
pub fn file_name(id: &str, now_ms: i64) -> String {
    let (year, month, day, hour, minute, _) = utc_fields(now_ms);
    let short: String = id.chars().take(8).collect();
    format!(
        "{}{year:04}-{month:02}-{day:02}T{hour:02}-{minute:02}-{short}.jsonl",
        crate::paths::SESSION_PREFIX
    )
}

/// The model the user set in `settings.json` (`model.name`, or an older plain `model`).
pub fn configured_model(home: &std::path::Path) -> Option<String> {
    let settings: Value =
        serde_json::from_slice(&std::fs::read(home.join("settings.json")).ok()?).ok()?;
    match settings.get("model")? {
        Value::String(name) => Some(name.clone()),
        Value::Object(model) => model.get("name")?.as_str().map(str::to_owned),
        _ => None,
    }
    .filter(|name| !name.is_empty())
}
