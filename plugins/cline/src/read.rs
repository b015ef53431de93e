//! A Cline conversation as a transcript. Cline 3.x writes `<id>.messages.json`, an object whose
//! `messages` are Anthropic-style messages (`role`, `content` blocks: `text`, `thinking`,
//! `tool_use`, `tool_result`, `image`) with a `ts` and the `modelInfo` of each answer; older Cline
//! wrote the same messages as a bare list (`api_conversation_history.json`). Its manifest
//! `<id>.json` names the project, the model and the title.
//!
//! Cline shows the model each prompt wrapped as `<user_input mode="act">…</user_input>` and, in a
//! headless run, nudges it with user messages starting `[SYSTEM] `: the first is unwrapped to the
//! user's words, the second read as system messages (not the user's words, so other agents leave
//! them out).

use crate::tools;
use handoff_adapter_kit::loose::{LooseObject, LooseStr};
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{Media, Message, Part, Role, SessionMeta, Transcript};
use serde::Deserialize;
use serde_json::Value;

/// What Cline's runtime prefixes its own messages to the model with.
pub const SYSTEM_PREFIX: &str = "[SYSTEM] ";
const PROMPT_OPEN: &str = "<user_input";
const PROMPT_CLOSE: &str = "</user_input>";

/// The session manifest (`<id>.json`), as far as a transcript or a listing needs it.
#[derive(Debug, Default, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub cwd: LooseStr,
    #[serde(default)]
    pub started_at: LooseStr,
    #[serde(default)]
    pub model: LooseStr,
    #[serde(default)]
    pub prompt: LooseStr,
    #[serde(default)]
    pub metadata: LooseObject<Metadata>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub title: LooseStr,
}

impl Manifest {
    pub fn title(&self) -> Option<&str> {
        self.metadata
            .0
            .as_ref()
            .and_then(|m| m.title.as_deref())
            .or(self.prompt.as_deref())
    }
}

/// A conversation file's messages: the 3.x document's `messages`, or the older bare list.
pub struct Conversation {
    pub session_id: Option<String>,
    pub messages: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Document {
    Session {
        #[serde(rename = "sessionId", default)]
        session_id: LooseStr,
        messages: Vec<Value>,
    },
    Legacy(Vec<Value>),
}

/// The text of a conversation file as Cline decodes it: invalid UTF-8 becomes U+FFFD.
pub fn decoded(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(handoff_adapter_kit::listing::strip_bom(bytes))
}

/// The messages of a conversation file; `None` when it is not one.
pub fn conversation(bytes: &[u8]) -> Option<Conversation> {
    Some(match serde_json::from_str(&decoded(bytes)).ok()? {
        Document::Session {
            session_id,
            messages,
        } => Conversation {
            session_id: session_id.0,
            messages,
        },
        Document::Legacy(messages) => Conversation {
            session_id: None,
            messages,
        },
    })
}

/// One message as Cline stores it; anything else in the list is skipped as Cline skips it.
#[derive(Deserialize)]
struct Stored {
    role: String,
    content: Content,
    #[serde(default)]
    ts: Option<Value>,
    #[serde(rename = "modelInfo", default)]
    model_info: LooseObject<ModelInfo>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Blocks(Vec<Value>),
}

#[derive(Deserialize, Default)]
struct ModelInfo {
    #[serde(default)]
    id: LooseStr,
    #[serde(default)]
    provider: LooseStr,
}

/// Content block types of Cline's Anthropic-style messages (redacted thinking is opaque to any
/// other model and stays out).
pub const KNOWN_BLOCKS: &[&str] = &[
    "text",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "image",
];

/// The messages as a transcript, and how many stored messages or blocks were skipped.
pub fn transcript(conversation: Conversation, meta: SessionMeta) -> (Transcript, usize) {
    let mut skipped = 0;
    let mut messages = Vec::with_capacity(conversation.messages.len());
    for value in conversation.messages {
        let Ok(stored) = serde_json::from_value::<Stored>(value) else {
            skipped += 1;
            continue;
        };
        match message(stored, &mut skipped) {
            Some(message) => messages.push(message),
            None => skipped += 1,
        }
    }
    (Transcript::new(meta, messages), skipped)
}

fn message(stored: Stored, skipped: &mut usize) -> Option<Message> {
    let role = match stored.role.as_str() {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        _ => return None,
    };
    let (model, provider) = stored
        .model_info
        .0
        .map(|info| (info.id.0, info.provider.0))
        .unwrap_or_default();
    let mut parts = Vec::new();
    match stored.content {
        Content::Text(text) => parts.push(text_part(role, text)),
        Content::Blocks(blocks) => {
            for block in blocks {
                match part(role, &block, provider.as_deref()) {
                    Some(part) => parts.push(part),
                    None => *skipped += 1,
                }
            }
        }
    }
    let is_nudge = role == Role::User
        && !parts.is_empty()
        && parts
            .iter()
            .all(|p| matches!(p, Part::Text { text } if text.starts_with(SYSTEM_PREFIX)));
    let mut message = Message::new(if is_nudge { Role::System } else { role }, parts);
    message.timestamp_ms = stored.ts.as_ref().and_then(timestamp);
    if role == Role::Assistant {
        message.model = model;
    }
    Some(message)
}

/// A `ts` as Cline writes it (epoch milliseconds), or an RFC 3339 time.
fn timestamp(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => parse_rfc3339_ms(s),
        _ => None,
    }
}

fn text_part(role: Role, text: String) -> Part {
    let unwrapped = match role {
        Role::User => unwrap_prompt(&text).map(str::to_owned),
        _ => None,
    };
    Part::Text {
        text: unwrapped.unwrap_or(text),
    }
}

/// The user's words inside Cline's `<user_input mode="…">…</user_input>`.
pub fn unwrap_prompt(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(PROMPT_OPEN)?;
    let (_, inner) = rest.split_once('>')?;
    inner.strip_suffix(PROMPT_CLOSE)
}

fn str_field<'a>(block: &'a Value, key: &str) -> Option<&'a str> {
    block.get(key).and_then(Value::as_str)
}

fn part(role: Role, block: &Value, provider: Option<&str>) -> Option<Part> {
    match str_field(block, "type")? {
        "text" => Some(text_part(role, str_field(block, "text")?.to_owned())),
        "thinking" => Some(Part::Reasoning {
            text: str_field(block, "thinking")?.to_owned(),
            signature: str_field(block, "signature").map(str::to_owned),
            provider: provider.map(str::to_owned),
        }),
        "tool_use" => {
            let name = str_field(block, "name")?;
            let input = block.get("input").cloned().unwrap_or(Value::Null);
            Some(Part::ToolCall {
                id: str_field(block, "id")?.to_owned(),
                name: name.to_owned(),
                tool: tools::to_tool(name, &input),
                input,
            })
        }
        "tool_result" => {
            let (output, images, failed) = result_content(block.get("content"));
            let is_error = block.get("is_error").and_then(Value::as_bool) == Some(true) || failed;
            Some(Part::ToolResult {
                call_id: str_field(block, "tool_use_id")?.to_owned(),
                output,
                images,
                is_error,
            })
        }
        "image" => image(block).map(Part::Image),
        _ => None,
    }
}

fn image(block: &Value) -> Option<Media> {
    let source = block.get("source")?;
    let media_type = str_field(source, "media_type")
        .unwrap_or("image/png")
        .to_owned();
    match str_field(source, "type") {
        Some("base64") => Some(Media {
            media_type,
            data_base64: Some(str_field(source, "data")?.to_owned()),
            path: None,
            name: None,
        }),
        Some("url") => Some(Media {
            media_type,
            data_base64: None,
            path: Some(str_field(source, "url")?.to_owned()),
            name: None,
        }),
        _ => None,
    }
}

/// A tool result's text, images, and whether it failed. Cline's own tools answer with a list of
/// `{query, result, error, success}`, one per request the call made; the result failed when
/// every request did.
fn result_content(content: Option<&Value>) -> (String, Vec<Media>, bool) {
    let Some(content) = content else {
        return (String::new(), Vec::new(), false);
    };
    let items = match content {
        Value::String(text) => return (text.clone(), Vec::new(), false),
        Value::Array(items) => items,
        other => return (other.to_string(), Vec::new(), false),
    };
    let (mut texts, mut images) = (Vec::new(), Vec::new());
    let (mut requests, mut failures) = (0, 0);
    for item in items {
        if str_field(item, "type") == Some("image") {
            images.extend(image(item));
            continue;
        }
        if let Some(text) = str_field(item, "text").filter(|_| item.get("query").is_none()) {
            texts.push(text.to_owned());
            continue;
        }
        requests += 1;
        let failed = item.get("success").and_then(Value::as_bool) == Some(false);
        failures += usize::from(failed);
        let answer = match (str_field(item, "error"), item.get("result")) {
            (Some(error), _) if failed || !error.is_empty() => error.to_owned(),
            (_, Some(Value::String(result))) => result.clone(),
            (_, Some(Value::Null) | None) => String::new(),
            (_, Some(result)) => result.to_string(),
        };
        texts.push(answer);
    }
    (
        texts.join("\n"),
        images,
        requests > 0 && failures == requests,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prompts_are_unwrapped_and_only_when_whole() {
        assert_eq!(
            unwrap_prompt("<user_input mode=\"act\">fix it</user_input>"),
            Some("fix it")
        );
        assert_eq!(unwrap_prompt("<user_input mode=\"act\">fix it"), None);
        assert_eq!(unwrap_prompt("fix it"), None);
    }

    #[test]
    fn results_of_several_requests_fail_only_when_all_do() {
        let both = json!([
            {"query": "a", "result": "A", "success": true},
            {"query": "b", "result": "", "error": "no b", "success": false}
        ]);
        assert_eq!(
            result_content(Some(&both)),
            ("A\nno b".into(), Vec::new(), false)
        );
        let failed = json!([{"query": "b", "result": "", "error": "no b", "success": false}]);
        assert_eq!(
            result_content(Some(&failed)),
            ("no b".into(), Vec::new(), true)
        );
        let blocks = json!([{"type": "text", "text": "plain"}]);
        assert_eq!(
            result_content(Some(&blocks)),
            ("plain".into(), Vec::new(), false)
        );
    }
}
