//! A transcript as a Qwen Code session file: one chain of records, each naming the one before
//! (`parentUuid`), as the client appends them: a `user` record per prompt, an `assistant` record
//! per model turn (its text and `functionCall` parts), a `tool_result` record per call's result,
//! and last a `custom_title` record the session picker shows. The host pairs every call with one
//! result before this runs.

use crate::tools;
use handoff_adapter_kit::genai;
use handoff_adapter_kit::text::{Routed, first_user_line, route};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms};
use handoff_plugin_api::{Message, Part, Transcript};
use serde_json::{Value, json};
use std::collections::HashMap;

const TITLE_PREFIX: &str = "handoff: ";

struct Writer<'a> {
    lines: Vec<String>,
    parent: Option<String>,
    clock_ms: i64,
    own: bool,
    session_id: &'a str,
    cwd: &'a str,
    client_version: &'a str,
    git_branch: Option<&'a str>,
    model: Option<String>,
    /// The model turn being built.
    parts: Vec<Value>,
    /// Calls written whose result has not been, by id: their name.
    open_calls: HashMap<String, String>,
}

impl Writer<'_> {
    fn record(&mut self, kind: &str, provenance: &str, extra: Value) {
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut record = json!({
            "uuid": uuid,
            "parentUuid": self.parent,
            "sessionId": self.session_id,
            "timestamp": format_rfc3339_ms(self.clock_ms),
            "type": kind,
            "provenance": provenance,
            "cwd": self.cwd,
            "version": self.client_version,
        });
        if let Some(branch) = self.git_branch {
            record["gitBranch"] = json!(branch);
        }
        if let (Value::Object(record), Value::Object(extra)) = (&mut record, extra) {
            record.extend(extra);
        }
        self.lines.push(record.to_string());
        self.parent = Some(uuid);
    }

    fn at(&mut self, message: &Message) {
        if let Some(ms) = message.timestamp_ms {
            self.clock_ms = self.clock_ms.max(ms);
        }
    }

    fn flush_model_turn(&mut self) {
        if self.parts.is_empty() {
            return;
        }
        for part in &self.parts {
            if let (Some(id), Some(name)) = (
                part.pointer("/functionCall/id").and_then(Value::as_str),
                part.pointer("/functionCall/name").and_then(Value::as_str),
            ) {
                self.open_calls.insert(id.to_owned(), name.to_owned());
            }
        }
        let mut extra = json!({
            "message": {"role": "model", "parts": std::mem::take(&mut self.parts)},
        });
        if let Some(model) = &self.model {
            extra["model"] = json!(model);
        }
        self.record("assistant", "assistant_output", extra);
    }

    fn has_calls(&self) -> bool {
        self.parts
            .iter()
            .any(|part| part.get("functionCall").is_some())
    }

    fn user_text(&mut self, text: &str) {
        self.flush_model_turn();
        let extra = json!({"message": {"role": "user", "parts": [genai::text(text)]}});
        self.record("user", "real_user", extra);
    }

    fn message(&mut self, message: &Message) {
        self.at(message);
        for routed in route(message) {
            match routed {
                Routed::Agent(part) => self.model_part(part),
                Routed::UserText(text) => self.user_text(&text),
            }
        }
    }

    fn model_part(&mut self, part: &Part) {
        match part {
            Part::Text { text } if !text.is_empty() => {
                // Text after this turn's calls starts the next model turn.
                if self.has_calls() {
                    self.flush_model_turn();
                }
                self.parts.push(genai::text(text));
            }
            Part::Image(media) | Part::File(media) => self.parts.push(genai::media(media)),
            Part::Compaction { summary } => self.user_text(summary),
            // Thoughts are the model's own: only a Qwen transcript's go back.
            Part::Reasoning { text, .. } if self.own && !text.is_empty() => {
                self.parts.push(json!({"text": text, "thought": true}));
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let (name, args) = tools::to_native(self.own, name, input, tool);
                self.parts.push(genai::function_call(id, &name, &args));
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } => {
                self.flush_model_turn();
                // A result without its call (or a second one) has nothing to answer.
                let Some(name) = self.open_calls.remove(call_id) else {
                    return;
                };
                let mut parts = vec![genai::function_response(call_id, &name, output, *is_error)];
                parts.extend(images.iter().map(genai::media));
                let status = if *is_error { "error" } else { "success" };
                let extra = json!({
                    "message": {"role": "user", "parts": parts},
                    "toolCallResult": {"callId": call_id, "status": status, "resultDisplay": output},
                });
                self.record("tool_result", "tool_result", extra);
            }
            _ => {}
        }
    }
}

/// The session file of session `id` in project `cwd`, written as Qwen Code `client_version`
/// writes; `None` when nothing would reach the model.
pub fn render(
    transcript: &Transcript,
    session_id: &str,
    cwd: &str,
    client_version: &str,
    model: Option<String>,
) -> Option<String> {
    let first_ms = transcript
        .messages
        .iter()
        .find_map(|m| m.timestamp_ms)
        .unwrap_or_else(now_ms);
    let mut writer = Writer {
        lines: Vec::new(),
        parent: None,
        clock_ms: first_ms,
        own: transcript.session.agent == "qwen",
        session_id,
        cwd,
        client_version,
        git_branch: transcript.session.git_branch.as_deref(),
        model,
        parts: Vec::new(),
        open_calls: HashMap::new(),
    };
    for message in &transcript.messages {
        writer.message(message);
    }
    writer.flush_model_turn();
    if writer.lines.is_empty() {
        return None;
    }
    let title = transcript
        .session
        .title
        .clone()
        .or_else(|| first_user_line(&transcript.messages))
        .unwrap_or_else(|| "conversation".into());
    // The picker finds the title by the compact text `"subtype":"custom_title"`.
    writer.record(
        "system",
        "system",
        json!({"subtype": "custom_title",
            "systemPayload": {"customTitle": format!("{TITLE_PREFIX}{title}"), "titleSource": "manual"}}),
    );
    let mut out = writer.lines.join("\n");
    out.push('\n');
    Some(out)
}

/// The model the user set in Qwen Code's `settings.json` (`model.name`).
pub fn configured_model(settings: Option<Value>) -> Option<String> {
    settings?
        .pointer("/model/name")?
        .as_str()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}
