//! A transcript as a Cline 3.x session: the conversation `<id>.messages.json`, the manifest
//! `<id>.json` and the row in `sessions.db`, as Cline 3.0.65 writes them (`cline --id <id>` reads
//! the conversation; `cline history` lists the row).
//!
//! Messages keep Cline's shape: user words wrapped in `<user_input mode="act">`, each answer an
//! assistant message with its `tool_use` blocks, their results a user message of `tool_result`
//! blocks; an answer split over several messages is one message, as the model API wants.

use crate::read::{SYSTEM_PREFIX, unwrap_prompt};
use crate::tools;
use handoff_adapter_kit::text::{Routed, first_user_line, media_note, route};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms};
use handoff_plugin_api::{Part, Role, Transcript};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const TITLE_PREFIX: &str = "handoff: ";

/// The provider and model the user set Cline to (`data/settings/providers.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub provider: String,
    pub id: String,
}

impl Model {
    /// The last used provider's model, else the transcript's model under Cline's own provider.
    pub fn configured(providers_json: Option<&[u8]>, fallback: Option<&str>) -> Model {
        let configured = providers_json
            .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
            .and_then(|doc| {
                let provider = doc.get("lastUsedProvider")?.as_str()?.to_owned();
                let settings = doc.get("providers")?.get(&provider)?.get("settings")?;
                let id = settings.get("model")?.as_str()?.to_owned();
                Some(Model { provider, id })
            });
        configured.unwrap_or_else(|| Model {
            provider: "cline".into(),
            id: fallback.unwrap_or_default().to_owned(),
        })
    }
}

/// A new session id in Cline's shape: epoch milliseconds and five base-36 characters.
pub fn new_session_id() -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let random = uuid::Uuid::new_v4();
    let suffix: String = random.as_bytes()[..5]
        .iter()
        .map(|byte| char::from(DIGITS[usize::from(*byte) % DIGITS.len()]))
        .collect();
    format!("{}_{suffix}", now_ms())
}

/// Everything a session is made of, ready to write.
pub struct Rendered {
    pub messages_json: String,
    pub manifest_json: String,
    pub metadata_json: String,
    pub started_at: String,
    pub ended_at: String,
    pub prompt: String,
}

struct Writer {
    own: bool,
    model: Model,
    clock_ms: i64,
    messages: Vec<Value>,
    /// The native name of each call, which Cline repeats on its result.
    call_names: HashMap<String, String>,
}

impl Writer {
    fn tick(&mut self, at: Option<i64>) -> i64 {
        self.clock_ms = at.unwrap_or(self.clock_ms).max(self.clock_ms);
        self.clock_ms
    }

    /// Appends `blocks` as a message of `role`. The agent's blocks join the last message when it
    /// is an answer, or when both are tool results; the user's words are a message of their own,
    /// as Cline keeps them.
    fn push(&mut self, role: &str, blocks: Vec<Value>, at: i64) {
        if blocks.is_empty() {
            return;
        }
        let results = |blocks: &[Value]| blocks.iter().all(|b| b["type"] == "tool_result");
        if let Some(last) = self.messages.last_mut()
            && last["role"] == role
            && let Some(content) = last["content"].as_array_mut()
            && (role == "assistant" || (results(content) && results(&blocks)))
        {
            content.extend(blocks);
            return;
        }
        let mut message = json!({
            "id": message_id(role),
            "role": role,
            "content": blocks,
            "ts": at,
        });
        if role == "assistant" {
            message["modelInfo"] = json!({"id": self.model.id, "provider": self.model.provider});
        }
        self.messages.push(message);
    }

    fn agent_block(&mut self, part: &Part) -> Option<(&'static str, Value)> {
        Some(match part {
            Part::Text { text } if !text.is_empty() => {
                ("assistant", json!({"type": "text", "text": text}))
            }
            // Only a signature Cline's model issued goes back as thinking; another provider's
            // would have to be forged, so such reasoning is left out.
            Part::Reasoning {
                text,
                signature,
                provider,
            } if self.own || provider.as_deref() == Some("anthropic") => {
                let mut block = json!({"type": "thinking", "thinking": text});
                if let Some(signature) = signature {
                    block["signature"] = json!(signature);
                }
                ("assistant", block)
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let (name, input) = tools::to_native(self.own, name, input, tool);
                self.call_names.insert(id.clone(), name.clone());
                (
                    "assistant",
                    json!({"type": "tool_use", "id": id, "name": name, "input": input}),
                )
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } => {
                let mut text = output.clone();
                for image in images {
                    text.push_str(&format!("\n{}", media_note(image)));
                }
                let mut block = json!({
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "name": self.call_names.get(call_id).cloned().unwrap_or_default(),
                    "content": text,
                });
                if *is_error {
                    block["is_error"] = json!(true);
                }
                ("user", block)
            }
            Part::Image(media) | Part::File(media) => (
                "assistant",
                json!({"type": "text", "text": media_note(media)}),
            ),
            _ => return None,
        })
    }
}

/// `<user_input mode="act">…</user_input>`, as Cline hands the model a prompt.
fn wrap_prompt(text: &str) -> String {
    if unwrap_prompt(text).is_some() {
        return text.to_owned();
    }
    format!("<user_input mode=\"act\">{text}</user_input>")
}

/// Message ids in Cline's shapes: a UUID for the user's, `msg_` and eight characters for the rest.
fn message_id(role: &str) -> String {
    let id = uuid::Uuid::new_v4();
    if role == "user" {
        return id.to_string();
    }
    format!("msg_{}", &id.simple().to_string()[..8])
}

/// The session's files and row for `transcript`, as Cline `client_version` writes them; `None`
/// when it has nothing Cline can show.
pub fn render(
    transcript: &Transcript,
    session_id: &str,
    cwd: &str,
    client_version: &str,
    model: &Model,
    messages_path: &str,
) -> Option<Rendered> {
    let first_ms = transcript
        .messages
        .iter()
        .find_map(|m| m.timestamp_ms)
        .or(transcript.session.created_ms)
        .unwrap_or_else(now_ms);
    let mut writer = Writer {
        own: transcript.session.agent == "cline",
        model: model.clone(),
        clock_ms: first_ms,
        messages: Vec::new(),
        call_names: HashMap::new(),
    };
    for message in &transcript.messages {
        let at = writer.tick(message.timestamp_ms);
        // Cline's own runtime notes go back as it wrote them; another agent's system prompt
        // is not part of the conversation.
        if message.role == Role::System {
            if writer.own {
                let blocks = message
                    .parts
                    .iter()
                    .filter_map(|part| match part {
                        Part::Text { text } if text.starts_with(SYSTEM_PREFIX) => {
                            Some(json!({"type": "text", "text": text}))
                        }
                        _ => None,
                    })
                    .collect();
                writer.push("user", blocks, at);
            }
            continue;
        }
        for routed in route(message) {
            match routed {
                Routed::UserText(text) => {
                    let block = json!({"type": "text", "text": wrap_prompt(&text)});
                    writer.push("user", vec![block], at);
                }
                Routed::Agent(part) => {
                    if let Some((role, block)) = writer.agent_block(part) {
                        writer.push(role, vec![block], at);
                    }
                }
            }
        }
    }
    if writer.messages.is_empty() {
        return None;
    }
    let last_ms = writer.clock_ms;
    let started_at = format_rfc3339_ms(first_ms);
    let ended_at = format_rfc3339_ms(last_ms);
    let prompt = first_user_line(&transcript.messages).unwrap_or_default();
    let title = transcript
        .session
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| prompt.clone());
    let metadata = json!({
        "sessionHistoryOrigin": {"mode": "user", "version": client_version},
        "title": format!("{TITLE_PREFIX}{title}"),
    });
    let document = json!({
        "version": 1,
        "updated_at": ended_at,
        "agent": "lead",
        "sessionId": session_id,
        "origin": {"source": "cli", "mode": "user", "sessionId": session_id, "version": client_version},
        "messages": writer.messages,
    });
    let mut manifest = Map::new();
    for (key, value) in [
        ("version", json!(1)),
        ("session_id", json!(session_id)),
        ("source", json!("cli")),
        ("pid", json!(std::process::id())),
        ("started_at", json!(started_at)),
        ("ended_at", json!(ended_at)),
        ("exit_code", json!(0)),
        ("status", json!("completed")),
        ("interactive", json!(false)),
        ("provider", json!(model.provider)),
        ("model", json!(model.id)),
        ("cwd", json!(cwd)),
        ("workspace_root", json!(cwd)),
        ("enable_tools", json!(true)),
        ("enable_spawn", json!(false)),
        ("enable_teams", json!(false)),
        ("prompt", json!(prompt)),
        ("metadata", metadata.clone()),
        ("messages_path", json!(messages_path)),
    ] {
        manifest.insert(key.to_owned(), value);
    }
    // Cline writes both files indented by two spaces.
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    Some(Rendered {
        messages_json: pretty(&document),
        manifest_json: pretty(&Value::Object(manifest)),
        metadata_json: metadata.to_string(),
        started_at,
        ended_at,
        prompt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_clines_shape() {
        let id = new_session_id();
        let (ms, suffix) = id.split_once('_').unwrap();
        assert!(ms.parse::<i64>().unwrap() > 1_700_000_000_000);
        assert_eq!(suffix.len(), 5);
        assert!(
            suffix
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        );
        assert!(message_id("assistant").starts_with("msg_"));
        assert_eq!(message_id("assistant").len(), 12);
    }

    #[test]
    fn the_configured_model_is_the_last_used_providers() {
        let providers = br#"{"version":1,"lastUsedProvider":"openai-compatible","providers":{"openai-compatible":{"settings":{"provider":"openai-compatible","model":"m1"}}}}"#;
        assert_eq!(
            Model::configured(Some(providers), Some("x")),
            Model {
                provider: "openai-compatible".into(),
                id: "m1".into()
            }
        );
        assert_eq!(Model::configured(Some(b"{"), Some("x")).id, "x");
    }
}
