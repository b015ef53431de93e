//! A session file → transcript, read the way pi resumes it: line 1 is the header (`type:
//! "session"`), every other line an entry of a tree (`id`, `parentId`); the conversation is the
//! path from the file's last entry back to the root. On that path, `message` entries are the
//! messages (the client's own system prompt aside), a `compaction` stands for everything before
//! the entry it keeps from, a `branch_summary` and a `custom_message` are user text, a
//! `model_change` sets the model and a `session_info` the title; other entries are bookkeeping.

use crate::tools;
use handoff_adapter_kit::jsonl;
use handoff_adapter_kit::loose::{LooseBool, LooseList, LooseObject, LooseStr, present};
use handoff_adapter_kit::text::first_user_line;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{Media, Message, Part, Role, SessionMeta, Transcript};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(rename = "type", default)]
    pub kind: LooseStr,
    #[serde(default)]
    pub id: LooseStr,
    #[serde(default)]
    pub parent_id: LooseStr,
    #[serde(default)]
    pub timestamp: LooseStr,
    // The header's.
    #[serde(default)]
    pub cwd: LooseStr,
    #[serde(default)]
    pub message: LooseObject<PiMessage>,
    // compaction, branch_summary
    #[serde(default)]
    pub summary: LooseStr,
    #[serde(default)]
    pub first_kept_entry_id: LooseStr,
    // custom_message
    #[serde(default)]
    pub content: Content,
    // model_change
    #[serde(default)]
    pub provider: LooseStr,
    #[serde(default)]
    pub model_id: LooseStr,
    // session_info
    #[serde(default)]
    pub name: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PiMessage {
    #[serde(default)]
    pub role: LooseStr,
    #[serde(default)]
    pub content: Content,
    #[serde(default)]
    pub model: LooseStr,
    #[serde(default)]
    pub stop_reason: LooseStr,
    #[serde(default)]
    pub tool_call_id: LooseStr,
    #[serde(default)]
    pub is_error: LooseBool,
    // bashExecution
    #[serde(default)]
    pub command: LooseStr,
    #[serde(default)]
    pub output: LooseStr,
    #[serde(default)]
    pub exclude_from_context: LooseBool,
    // branchSummary, compactionSummary
    #[serde(default)]
    pub summary: LooseStr,
}

/// A message's content: a string, or a list of blocks (read as they are, without building a JSON
/// value for a tool's output).
#[derive(Default)]
pub struct Content(pub Vec<Block>);

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Block {
    #[serde(rename = "type", default)]
    pub kind: LooseStr,
    #[serde(default)]
    pub text: LooseStr,
    #[serde(default)]
    pub thinking: LooseStr,
    #[serde(default)]
    pub id: LooseStr,
    #[serde(default)]
    pub name: LooseStr,
    #[serde(default, deserialize_with = "present")]
    pub arguments: Option<Value>,
    #[serde(default)]
    pub data: LooseStr,
    #[serde(default)]
    pub mime_type: LooseStr,
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Content;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of blocks")
            }
            fn visit_str<E>(self, text: &str) -> Result<Content, E> {
                Ok(Content(vec![Block {
                    kind: LooseStr(Some("text".into())),
                    text: LooseStr(Some(text.to_owned())),
                    ..Block::default()
                }]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Content, A::Error> {
                let blocks: LooseList<Block> =
                    Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Content(blocks.0))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Content, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Content::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Content, E> {
                Ok(Content::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Content, E> {
                Ok(Content::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Content, E> {
                Ok(Content::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Content, E> {
                Ok(Content::default())
            }
            fn visit_unit<E>(self) -> Result<Content, E> {
                Ok(Content::default())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The lines of a whole file, parsed on every core.
pub fn read_entries(path: &std::path::Path) -> std::io::Result<jsonl::Lines<Entry>> {
    jsonl::read(std::fs::File::open(path)?)
}

/// A session: its header and the entries on the path the client resumes, root first.
pub struct Session {
    pub header: Entry,
    pub path: Vec<Entry>,
}

/// The header and the resumed path of a file's lines; `None` when the first line is not a header.
pub fn session(lines: Vec<(usize, Entry)>) -> Option<Session> {
    let mut lines = lines.into_iter().map(|(_, entry)| entry);
    let header = lines.next()?;
    if header.kind.as_deref() != Some("session") || header.id.0.is_none() {
        return None;
    }
    let entries: Vec<Entry> = lines.filter(|entry| entry.id.0.is_some()).collect();
    let Some(leaf) = entries.last().and_then(|entry| entry.id.0.clone()) else {
        return Some(Session {
            header,
            path: Vec::new(),
        });
    };
    let mut by_id: HashMap<String, Entry> = HashMap::with_capacity(entries.len());
    for entry in entries {
        if let Some(id) = entry.id.0.clone() {
            by_id.insert(id, entry);
        }
    }
    let mut seen = HashSet::new();
    let mut path = Vec::new();
    let mut next = Some(leaf);
    while let Some(id) = next.take() {
        if !seen.insert(id.clone()) {
            break;
        }
        let Some(entry) = by_id.remove(&id) else {
            break;
        };
        next.clone_from(&entry.parent_id.0);
        path.push(entry);
    }
    path.reverse();
    Some(Session { header, path })
}

/// The entries the model sees: from the last compaction on the path, its summary, the entries it
/// kept, and what came after it.
fn in_context(path: Vec<Entry>) -> Vec<Entry> {
    let Some(at) = path
        .iter()
        .rposition(|entry| entry.kind.as_deref() == Some("compaction"))
    else {
        return path;
    };
    let kept_from = path[..at]
        .iter()
        .position(|entry| entry.id.0.is_some() && entry.id == path[at].first_kept_entry_id)
        .unwrap_or(at);
    let mut path = path;
    let after = path.split_off(at + 1);
    let compaction = path.pop();
    let kept = path.split_off(kept_from);
    compaction.into_iter().chain(kept).chain(after).collect()
}

/// Entry types the reader reads or knows to carry nothing for the model (pi's thinking-level,
/// label and custom bookkeeping), from pi's session format.
pub const KNOWN_ENTRIES: &[&str] = &[
    "session",
    "message",
    "model_change",
    "thinking_level_change",
    "compaction",
    "branch_summary",
    "custom",
    "custom_message",
    "label",
    "session_info",
];

/// The conversation of a session.
pub fn transcript(session: Session) -> Transcript {
    let Session { header, path } = session;
    let mut meta = SessionMeta {
        id: header.id.0.unwrap_or_default(),
        agent: "pi".into(),
        cwd: header.cwd.0,
        created_ms: header.timestamp.as_deref().and_then(parse_rfc3339_ms),
        ..SessionMeta::default()
    };
    let mut messages: Vec<Message> = Vec::new();
    for entry in &path {
        match entry.kind.as_deref() {
            Some("session_info") => meta.title = entry.name.0.clone().or(meta.title.take()),
            Some("model_change") => {
                if let (Some(provider), Some(model)) = (&entry.provider.0, &entry.model_id.0) {
                    meta.model = Some(format!("{provider}/{model}"));
                }
            }
            _ => {}
        }
    }
    for entry in in_context(path) {
        let timestamp_ms = entry.timestamp.as_deref().and_then(parse_rfc3339_ms);
        let message = match entry.kind.as_deref() {
            Some("message") => entry.message.0.and_then(message),
            Some("compaction") => entry
                .summary
                .0
                .map(|summary| Message::new(Role::User, vec![Part::Compaction { summary }])),
            Some("branch_summary") => entry.summary.0.map(user_text),
            Some("custom_message") => {
                let text = blocks_text(entry.content);
                (!text.is_empty()).then(|| user_text(text))
            }
            _ => None,
        };
        if let Some(mut message) = message {
            message.timestamp_ms = timestamp_ms;
            meta.updated_ms = timestamp_ms.or(meta.updated_ms);
            messages.push(message);
        }
    }
    if meta.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        meta.title = first_user_line(&messages);
    }
    Transcript::new(meta, messages)
}

fn user_text(text: String) -> Message {
    Message::new(Role::User, vec![Part::Text { text }])
}

/// The message of a `message` entry, as pi puts it in the model's context.
fn message(message: PiMessage) -> Option<Message> {
    match message.role.as_deref()? {
        "user" => {
            let parts = blocks(message.content);
            (!parts.is_empty()).then(|| Message::new(Role::User, parts))
        }
        "assistant" => {
            // The client leaves failed turns out of what it resumes.
            if matches!(message.stop_reason.as_deref(), Some("error" | "aborted")) {
                return None;
            }
            let parts = blocks(message.content);
            (!parts.is_empty()).then(|| {
                let mut out = Message::new(Role::Assistant, parts);
                out.model = message.model.0;
                out
            })
        }
        "toolResult" => {
            let call_id = message.tool_call_id.0?;
            let mut output = Vec::new();
            let mut images = Vec::new();
            for part in blocks(message.content) {
                match part {
                    Part::Text { text } => output.push(text),
                    Part::Image(media) => images.push(media),
                    _ => {}
                }
            }
            Some(Message::new(
                Role::Assistant,
                vec![Part::ToolResult {
                    call_id,
                    output: output.join("\n"),
                    images,
                    is_error: message.is_error.is_true(),
                }],
            ))
        }
        "bashExecution" if !message.exclude_from_context.is_true() => {
            let command = message.command.0?;
            let output = message.output.0.unwrap_or_default();
            Some(user_text(format!("Ran `{command}`\n{output}")))
        }
        "branchSummary" | "compactionSummary" => message.summary.0.map(user_text),
        "custom" => {
            let text = blocks_text(message.content);
            (!text.is_empty()).then(|| user_text(text))
        }
        // The client's own system prompt, rebuilt on every resume.
        _ => None,
    }
}

/// The text of a content.
fn blocks_text(content: Content) -> String {
    blocks(content)
        .into_iter()
        .filter_map(|part| match part {
            Part::Text { text } => Some(text),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The parts of a message content.
fn blocks(content: Content) -> Vec<Part> {
    content.0.into_iter().filter_map(block).collect()
}

fn block(block: Block) -> Option<Part> {
    match block.kind.as_deref()? {
        "text" => Some(Part::Text {
            text: block.text.0.filter(|t| !t.is_empty())?,
        }),
        // `thinkingSignature` names where the provider's stream had the thinking; it signs
        // nothing another agent could check.
        "thinking" => Some(Part::Reasoning {
            text: block.thinking.0.filter(|t| !t.is_empty())?,
            signature: None,
            provider: None,
        }),
        "toolCall" => {
            let (id, name) = (block.id.0?, block.name.0?);
            let input = block
                .arguments
                .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
            Some(Part::ToolCall {
                tool: tools::to_tool(&name, &input),
                id,
                name,
                input,
            })
        }
        "image" => Some(Part::Image(Media {
            media_type: block.mime_type.0.unwrap_or_else(|| "image/png".into()),
            data_base64: block.data.0,
            path: None,
            name: None,
        })),
        _ => None,
    }
}
