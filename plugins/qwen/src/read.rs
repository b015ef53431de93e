//! A session file → transcript, read the way Qwen Code resumes it: records are a tree linked by
//! `parentUuid`, and the conversation is the chain from the last record back to the root; records
//! sharing a `uuid` are one message; `user`, `assistant` and `tool_result` records carry a genai
//! `Content`; a `system` record of subtype `chat_compression` replaces the history before it with
//! its `compressedHistory`; the other system records (telemetry, titles, snapshots) are links in
//! the chain and nothing more.

use crate::tools;
use handoff_adapter_kit::genai::{self, CallIds, PartList};
use handoff_adapter_kit::jsonl;
use handoff_adapter_kit::loose::{LooseList, LooseObject, LooseStr, present};
use handoff_adapter_kit::text::first_user_line;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{Message, SessionMeta, Transcript};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(default)]
    pub uuid: LooseStr,
    /// Present as a string or `null`; a record without the key is not one the client keeps.
    #[serde(default, deserialize_with = "present")]
    pub parent_uuid: Option<Value>,
    #[serde(default)]
    pub session_id: LooseStr,
    #[serde(default)]
    pub timestamp: LooseStr,
    #[serde(rename = "type", default)]
    pub kind: LooseStr,
    #[serde(default)]
    pub subtype: LooseStr,
    #[serde(default)]
    pub cwd: LooseStr,
    #[serde(default)]
    pub git_branch: LooseStr,
    #[serde(default)]
    pub model: LooseStr,
    #[serde(default)]
    pub message: LooseObject<Content>,
    #[serde(default)]
    pub system_payload: LooseObject<SystemPayload>,
}

/// A genai `Content`.
#[derive(Deserialize, Default)]
pub struct Content {
    #[serde(default)]
    pub role: LooseStr,
    #[serde(default)]
    pub parts: PartList,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SystemPayload {
    #[serde(default)]
    pub compressed_history: Option<LooseList<Content>>,
    #[serde(default)]
    pub custom_title: LooseStr,
}

impl Record {
    /// A record the client keeps: an id, a parent link (or `null`), a session and a known type.
    pub fn is_valid(&self) -> bool {
        let parent_ok = matches!(self.parent_uuid, Some(Value::String(_) | Value::Null));
        parent_ok
            && self.uuid.as_deref().is_some_and(|id| !id.is_empty())
            && self.session_id.as_deref().is_some_and(|id| !id.is_empty())
            && matches!(
                self.kind.as_deref(),
                Some("user" | "assistant" | "tool_result" | "system")
            )
    }

    fn parent(&self) -> Option<&str> {
        self.parent_uuid.as_ref().and_then(Value::as_str)
    }

    /// Records that describe the session rather than continue it are never the chain's end.
    fn continues_conversation(&self) -> bool {
        let subtype = self.subtype.as_deref().unwrap_or_default();
        !(self.kind.as_deref() == Some("system")
            && (subtype.starts_with("session_artifact_")
                || subtype.starts_with("managed_session_")
                || subtype == "session_sources_snapshot"))
    }
}

/// Record types Qwen Code writes (the system ones carry their subtype), from its chat recording.
pub const KNOWN_RECORDS: &[&str] = &["user", "assistant", "tool_result", "system"];

/// The records of a whole file, parsed on every core.
pub fn read_records(path: &std::path::Path) -> std::io::Result<jsonl::Lines<Record>> {
    jsonl::read(std::fs::File::open(path)?)
}

/// The chain of records the client resumes, root first; records sharing a uuid are grouped.
pub fn chain(records: Vec<Record>) -> Vec<Vec<Record>> {
    let records: Vec<Record> = records.into_iter().filter(Record::is_valid).collect();
    let Some(leaf) = records
        .iter()
        .rev()
        .find(|r| r.continues_conversation())
        .and_then(|r| r.uuid.0.clone())
    else {
        return Vec::new();
    };
    let mut groups: HashMap<String, Vec<Record>> = HashMap::new();
    for record in records {
        if let Some(uuid) = record.uuid.0.clone() {
            groups.entry(uuid).or_default().push(record);
        }
    }
    let mut seen = HashSet::new();
    let mut chain = Vec::new();
    let mut next = Some(leaf);
    while let Some(uuid) = next.take() {
        if !seen.insert(uuid.clone()) {
            break;
        }
        let Some(group) = groups.remove(&uuid) else {
            break;
        };
        next = group.first().and_then(Record::parent).map(str::to_owned);
        chain.push(group);
    }
    chain.reverse();
    chain
}

/// The conversation of a session's chain.
pub fn transcript(chain: Vec<Vec<Record>>, id: &str) -> Transcript {
    let mut session = SessionMeta {
        id: id.to_owned(),
        agent: "qwen".into(),
        ..SessionMeta::default()
    };
    if let Some(first) = chain.first().and_then(|group| group.first()) {
        if let Some(id) = first.session_id.0.clone() {
            session.id = id;
        }
        session.cwd.clone_from(&first.cwd.0);
        session.git_branch.clone_from(&first.git_branch.0);
        session.created_ms = first.timestamp.as_deref().and_then(parse_rfc3339_ms);
    }
    let mut messages: Vec<Message> = Vec::new();
    let mut ids = CallIds::default();
    for group in chain {
        for record in group {
            let timestamp_ms = record.timestamp.as_deref().and_then(parse_rfc3339_ms);
            session.updated_ms = timestamp_ms.or(session.updated_ms);
            if record.kind.as_deref() == Some("system") {
                let Some(payload) = record.system_payload.0 else {
                    continue;
                };
                match record.subtype.as_deref() {
                    Some("chat_compression") => {
                        if let Some(history) = payload.compressed_history {
                            messages.clear();
                            for content in history.0 {
                                messages.extend(content_message(content, &mut ids));
                            }
                        }
                    }
                    Some("custom_title") => {
                        session.title = payload.custom_title.0.or(session.title.take());
                    }
                    _ => {}
                }
                continue;
            }
            if record.kind.as_deref() == Some("assistant") && record.model.0.is_some() {
                session.model.clone_from(&record.model.0);
            }
            let Some(content) = record.message.0 else {
                continue;
            };
            if let Some(mut message) = content_message(content, &mut ids) {
                message.timestamp_ms = timestamp_ms;
                if message.role == handoff_plugin_api::Role::Assistant {
                    message.model = record.model.0;
                }
                messages.push(message);
            }
        }
    }
    if session.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        session.title = first_user_line(&messages);
    }
    Transcript::new(session, messages)
}

fn content_message(content: Content, ids: &mut CallIds) -> Option<Message> {
    let model = content.role.as_deref() == Some("model");
    let parts = content
        .parts
        .0
        .into_iter()
        .filter_map(|part| genai::read_part(part, ids, tools::to_tool))
        .collect();
    genai::message(model, parts)
}
