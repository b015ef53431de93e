//! A transcript → a Crush session, shaped as Crush's agent writes one
//! (`internal/agent/agent.go`, `internal/message/message.go`):
//!
//! - a user message: its text, its attachments as `binary` parts, and the `finish` part with
//!   reason `stop` and time 0 that Crush adds to every message it does not generate;
//! - one assistant message per model step: reasoning (from a Crush transcript only: it is the
//!   model's own), one text, the tool calls, and a `finish` (`tool_use` when it called tools,
//!   else `end_turn`) whose time is also the row's `finished_at`;
//! - after a step, one `tool` message per result (with the same `stop` finish);
//! - a compaction: an assistant summary message (`is_summary_message`), named by the session's
//!   `summary_message_id` when it is the last one, which is where Crush's context starts.
//!
//! Text that follows a step's calls starts the next step. Assistant messages carry the user's
//! configured model (else the transcript's); the others an empty one, as Crush's. Times are Unix
//! seconds, never decreasing, never after now. The host pairs every call with one result before
//! this runs.

use crate::config::Model;
use crate::db::{NewMessage, NewSession};
use crate::parts::{self, Binary, Encoded, Finish, Reasoning, Text, ToolCall, ToolResult};
use crate::tools;
use handoff_adapter_kit::text::{first_user_line, media_note};
use handoff_plugin_api::{Media, Message, Part, Role, Transcript};
use serde_json::Value;
use std::collections::HashMap;

const TITLE_PREFIX: &str = "handoff: ";

/// The model step being built.
#[derive(Default)]
struct Step {
    /// Unix seconds of its first part: the assistant message's `created_at`.
    started: i64,
    reasoning: Option<Reasoning>,
    text: Vec<String>,
    calls: Vec<ToolCall>,
}

impl Step {
    fn is_empty(&self) -> bool {
        self.reasoning.is_none() && self.text.is_empty() && self.calls.is_empty()
    }
}

struct Writer {
    own: bool,
    /// The assistant's `model` and `provider` columns.
    model: (String, Option<String>),
    now_ms: i64,
    /// Milliseconds of the latest message.
    clock_ms: i64,
    step: Step,
    /// Calls written whose result has not been, by id: their tool name.
    open_calls: HashMap<String, String>,
    summary: Option<String>,
    messages: Vec<NewMessage>,
}

impl Writer {
    fn seconds(&self) -> i64 {
        self.clock_ms.div_euclid(1000)
    }

    /// A message created at `created_at` (Unix seconds); an assistant one finished now.
    fn push(
        &mut self,
        role: &'static str,
        parts: String,
        assistant: bool,
        created_at: i64,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let (model, provider) = if assistant {
            self.model.clone()
        } else {
            (String::new(), None)
        };
        self.messages.push(NewMessage {
            id: id.clone(),
            role,
            parts,
            model,
            provider,
            is_summary: false,
            created_at,
            finished_at: assistant.then(|| self.seconds()),
        });
        id
    }

    /// The `finish` part of a message Crush did not generate.
    fn stop() -> Finish {
        Finish {
            reason: "stop".into(),
            ..Finish::default()
        }
    }

    fn finish(&self, reason: &str) -> Finish {
        Finish {
            reason: reason.into(),
            time: self.seconds(),
            ..Finish::default()
        }
    }

    fn message(&mut self, message: &Message) {
        if let Some(ms) = message.timestamp_ms {
            self.clock_ms = self.clock_ms.max(ms.min(self.now_ms));
        }
        match message.role {
            Role::Assistant => {
                for part in &message.parts {
                    self.agent_part(part);
                }
            }
            // The source agent's own instructions are not the conversation.
            Role::System => {}
            Role::User | Role::Developer => self.user_message(message),
        }
    }

    /// A user message's words and attachments become a Crush user message; calls, results and
    /// compactions it carries are written in their place between them.
    fn user_message(&mut self, message: &Message) {
        let mut texts = Vec::new();
        let mut attachments = Vec::new();
        for part in &message.parts {
            match part {
                Part::Text { text } if !text.trim().is_empty() => texts.push(text.clone()),
                Part::Image(media) | Part::File(media) => match binary(media) {
                    Some(binary) => attachments.push(binary),
                    None => texts.push(media_note(media)),
                },
                Part::Compaction { .. } | Part::ToolCall { .. } | Part::ToolResult { .. } => {
                    self.user(&mut texts, &mut attachments);
                    self.agent_part(part);
                }
                _ => {}
            }
        }
        self.user(&mut texts, &mut attachments);
    }

    fn user(&mut self, texts: &mut Vec<String>, attachments: &mut Vec<Binary>) {
        if texts.is_empty() && attachments.is_empty() {
            return;
        }
        self.flush_step();
        let text = Text {
            text: std::mem::take(texts).join("\n\n"),
        };
        let attachments = std::mem::take(attachments);
        let stop = Self::stop();
        let mut encoded = Vec::with_capacity(attachments.len() + 2);
        if !text.text.is_empty() {
            encoded.push(Encoded::Text(text));
        }
        encoded.extend(attachments.iter().map(Encoded::Binary));
        encoded.push(Encoded::Finish(&stop));
        self.push("user", parts::encode(&encoded), false, self.seconds());
    }

    /// The open step, its start time set when this is its first part.
    fn step(&mut self) -> &mut Step {
        if self.step.is_empty() {
            self.step.started = self.seconds();
        }
        &mut self.step
    }

    fn agent_part(&mut self, part: &Part) {
        match part {
            Part::Text { text } if !text.trim().is_empty() => {
                if !self.step.calls.is_empty() {
                    self.flush_step();
                }
                self.step().text.push(text.clone());
            }
            Part::Image(media) | Part::File(media) => {
                if !self.step.calls.is_empty() {
                    self.flush_step();
                }
                self.step().text.push(media_note(media));
            }
            // Crush holds one reasoning a message, before its answer.
            Part::Reasoning {
                text,
                signature,
                provider,
            } if self.own && !text.is_empty() => {
                if !self.step.is_empty() {
                    self.flush_step();
                }
                let signature = signature.clone().unwrap_or_default();
                let google = provider.as_deref() == Some("google");
                let now = self.seconds();
                self.step().reasoning = Some(Reasoning {
                    thinking: text.clone(),
                    signature: if google {
                        String::new()
                    } else {
                        signature.clone()
                    },
                    thought_signature: if google { signature } else { String::new() },
                    started_at: now,
                    finished_at: now,
                    ..Reasoning::default()
                });
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let (name, input) = tools::to_native(self.own, name, input, tool);
                self.open_calls.insert(id.clone(), name.clone());
                self.step().calls.push(ToolCall {
                    id: id.clone(),
                    name,
                    input: native_input(&input),
                    provider_executed: false,
                    finished: true,
                });
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } => {
                self.flush_step();
                // A result without its call (or a second one) answers nothing.
                let Some(name) = self.open_calls.remove(call_id) else {
                    return;
                };
                self.tool_result(call_id, name, output, images, *is_error);
            }
            Part::Compaction { summary } => self.summary(summary),
            _ => {}
        }
    }

    /// A tool message. Crush gives a result one image (`data`); others are named in the text.
    fn tool_result(
        &mut self,
        call_id: &str,
        name: String,
        output: &str,
        images: &[Media],
        is_error: bool,
    ) {
        let mut content = output.to_owned();
        let mut media = None;
        for image in images {
            match (&media, image.data_base64.as_deref()) {
                (None, Some(data)) if parts::is_base64(data) => {
                    media = Some((data.to_owned(), image.media_type.clone()));
                }
                _ => {
                    content.push('\n');
                    content.push_str(&media_note(image));
                }
            }
        }
        let (data, mime_type) = media.unwrap_or_default();
        let result = ToolResult {
            tool_call_id: call_id.to_owned(),
            name,
            content,
            data,
            mime_type,
            metadata: String::new(),
            is_error,
        };
        let stop = Self::stop();
        let encoded = parts::encode(&[Encoded::ToolResult(&result), Encoded::Finish(&stop)]);
        self.push("tool", encoded, false, self.seconds());
    }

    fn summary(&mut self, summary: &str) {
        self.flush_step();
        if summary.trim().is_empty() {
            return;
        }
        let finish = self.finish("end_turn");
        let text = Text {
            text: summary.to_owned(),
        };
        let encoded = parts::encode(&[Encoded::Text(text), Encoded::Finish(&finish)]);
        let id = self.push("assistant", encoded, true, self.seconds());
        if let Some(message) = self.messages.last_mut() {
            message.is_summary = true;
        }
        self.summary = Some(id);
    }

    fn flush_step(&mut self) {
        let step = std::mem::take(&mut self.step);
        if step.is_empty() {
            return;
        }
        let finish = self.finish(if step.calls.is_empty() {
            "end_turn"
        } else {
            "tool_use"
        });
        let text = step.text.join("\n\n");
        let mut encoded = Vec::with_capacity(step.calls.len() + 3);
        if let Some(reasoning) = &step.reasoning {
            encoded.push(Encoded::Reasoning(reasoning));
        }
        if !text.is_empty() {
            encoded.push(Encoded::Text(Text { text }));
        }
        encoded.extend(step.calls.iter().map(Encoded::ToolCall));
        encoded.push(Encoded::Finish(&finish));
        self.push("assistant", parts::encode(&encoded), true, step.started);
    }
}

/// A call's arguments as the JSON text Crush stores; a string that is not JSON (what the reader
/// makes of nothing) is kept as it is.
fn native_input(input: &Value) -> String {
    match input {
        Value::String(text) if serde_json::from_str::<Value>(text).is_err() => text.clone(),
        other => other.to_string(),
    }
}

/// An attachment Crush can hold: inline bytes in strict base64.
fn binary(media: &Media) -> Option<Binary> {
    let data = media
        .data_base64
        .as_deref()
        .filter(|d| parts::is_base64(d))?;
    Some(Binary {
        path: media
            .path
            .clone()
            .or_else(|| media.name.clone())
            .unwrap_or_default(),
        mime_type: media.media_type.clone(),
        data: data.to_owned(),
    })
}

/// The columns an assistant message carries: the configured model, else the transcript's
/// (`provider/model` when it says so).
fn model_columns(transcript: &Transcript, configured: Option<&Model>) -> (String, Option<String>) {
    if let Some(model) = configured {
        return (model.model.clone(), Some(model.provider.clone()));
    }
    let source = transcript.session.model.clone().or_else(|| {
        transcript
            .messages
            .iter()
            .rev()
            .find_map(|m| m.model.clone())
    });
    match source.as_deref().and_then(|m| m.split_once('/')) {
        Some((provider, model)) => (model.to_owned(), Some(provider.to_owned())),
        None => (source.unwrap_or_default(), None),
    }
}

/// The session, or `None` when nothing in the transcript would reach the model.
pub fn build(
    transcript: &Transcript,
    id: String,
    model: Option<&Model>,
    now_ms: i64,
) -> Option<NewSession> {
    let first_ms = transcript
        .messages
        .iter()
        .find_map(|m| m.timestamp_ms)
        .unwrap_or(now_ms)
        .min(now_ms);
    let mut writer = Writer {
        own: transcript.session.agent == "crush",
        model: model_columns(transcript, model),
        now_ms,
        clock_ms: first_ms,
        step: Step::default(),
        open_calls: HashMap::new(),
        summary: None,
        messages: Vec::new(),
    };
    for message in &transcript.messages {
        writer.message(message);
    }
    writer.flush_step();
    if writer.messages.is_empty() {
        return None;
    }
    let title = transcript
        .session
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| first_user_line(&transcript.messages))
        .unwrap_or_else(|| "conversation".into());
    Some(NewSession {
        id,
        title: format!("{TITLE_PREFIX}{title}"),
        summary_message_id: writer.summary,
        created_at: now_ms.div_euclid(1000),
        messages: writer.messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{SessionMeta, Tool};
    use serde_json::json;

    const NOW_MS: i64 = 1_800_000_000_000;

    fn text(text: &str) -> Part {
        Part::Text { text: text.into() }
    }

    fn call(id: &str) -> Part {
        Part::ToolCall {
            id: id.into(),
            name: "bash".into(),
            input: json!({"command": "ls"}),
            tool: Tool::default(),
        }
    }

    fn result(id: &str) -> Part {
        Part::ToolResult {
            call_id: id.into(),
            output: "ok".into(),
            images: vec![],
            is_error: false,
        }
    }

    fn at(mut message: Message, ms: i64) -> Message {
        message.timestamp_ms = Some(ms);
        message
    }

    fn built(agent: &str, messages: Vec<Message>) -> NewSession {
        let transcript = Transcript::new(
            SessionMeta {
                agent: agent.into(),
                ..SessionMeta::default()
            },
            messages,
        );
        build(&transcript, "s".into(), None, NOW_MS).unwrap()
    }

    fn types(message: &NewMessage) -> Vec<String> {
        let parts: Vec<Value> = serde_json::from_str(&message.parts).unwrap();
        parts
            .iter()
            .map(|p| p["type"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn steps_end_at_their_results_and_text_after_calls_starts_the_next() {
        let session = built(
            "elsewhere",
            vec![
                at(
                    Message::new(Role::User, vec![text("go")]),
                    1_700_000_005_000,
                ),
                at(
                    Message::new(
                        Role::Assistant,
                        vec![text("a"), text("b"), call("1"), text("c"), call("2")],
                    ),
                    // Earlier than the prompt: the clock never goes back.
                    1_700_000_000_000,
                ),
                at(
                    Message::new(Role::User, vec![result("1"), result("2"), result("9")]),
                    // Later than now: clamped.
                    NOW_MS + 60_000,
                ),
            ],
        );
        let shape: Vec<(&str, Vec<String>)> = session
            .messages
            .iter()
            .map(|m| (m.role, types(m)))
            .collect();
        let of = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            shape,
            [
                ("user", of(&["text", "finish"])),
                ("assistant", of(&["text", "tool_call", "finish"])),
                ("assistant", of(&["text", "tool_call", "finish"])),
                // The result of an unknown call answers nothing.
                ("tool", of(&["tool_result", "finish"])),
                ("tool", of(&["tool_result", "finish"])),
            ]
        );
        let first: Vec<Value> = serde_json::from_str(&session.messages[1].parts).unwrap();
        assert_eq!(first[0]["data"]["text"], "a\n\nb");
        assert_eq!(first[2]["data"]["reason"], "tool_use");
        let times: Vec<i64> = session.messages.iter().map(|m| m.created_at).collect();
        assert_eq!(
            times,
            [
                1_700_000_005,
                1_700_000_005,
                1_700_000_005,
                1_800_000_000,
                1_800_000_000
            ]
        );
        assert_eq!(session.created_at, 1_800_000_000);
    }

    #[test]
    fn reasoning_goes_back_only_to_crush_with_its_own_signature() {
        let thinking = |provider: &str| Part::Reasoning {
            text: "hmm".into(),
            signature: Some("sig".into()),
            provider: Some(provider.into()),
        };
        let messages = vec![
            Message::new(Role::User, vec![text("go")]),
            Message::new(Role::Assistant, vec![thinking("google"), text("done")]),
        ];
        let own = built("crush", messages.clone());
        let parts: Vec<Value> = serde_json::from_str(&own.messages[1].parts).unwrap();
        assert_eq!(parts[0]["type"], "reasoning");
        assert_eq!(parts[0]["data"]["thought_signature"], "sig");
        assert_eq!(parts[0]["data"]["signature"], "");
        assert_eq!(parts[2]["data"]["reason"], "end_turn");
        let foreign = built("elsewhere", messages);
        assert_eq!(types(&foreign.messages[1]), ["text", "finish"]);
    }

    #[test]
    fn the_title_and_model_columns() {
        let session = built(
            "elsewhere",
            vec![
                Message::new(Role::System, vec![text("You are helpful")]),
                Message::new(Role::User, vec![text("\n  fix it  \nplease")]),
                Message::new(Role::Assistant, vec![text("ok")]),
            ],
        );
        assert_eq!(session.title, "handoff: fix it");
        assert_eq!(session.messages.len(), 2);
        let transcript = Transcript::new(
            SessionMeta {
                model: Some("openai/gpt-5".into()),
                ..SessionMeta::default()
            },
            vec![],
        );
        assert_eq!(
            model_columns(&transcript, None),
            ("gpt-5".into(), Some("openai".into()))
        );
        let configured = Model {
            provider: "anthropic".into(),
            model: "claude".into(),
        };
        assert_eq!(
            model_columns(&transcript, Some(&configured)),
            ("claude".into(), Some("anthropic".into()))
        );
    }
}
