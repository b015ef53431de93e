//! A session file → transcript, read the way Gemini CLI loads it: line 1 is the session's metadata;
//! a message record (`user`, `gemini`, `info`, `error`, `warning`) with an id seen before replaces
//! that message in place; `{"$set": …}` updates the metadata, and when it carries `messages` it is
//! a checkpoint that replaces the whole history (compression does this); `{"$rewindTo": id}` cuts
//! the history back to before that message. Files of older versions are one JSON object holding
//! everything, and are read the same way.

use crate::tools;
use handoff_adapter_kit::genai::{self, CallIds, PartList};
use handoff_adapter_kit::jsonl;
use handoff_adapter_kit::listing::strip_bom;
use handoff_adapter_kit::loose::{LooseList, LooseObject, LooseStr};
use handoff_adapter_kit::text::first_user_line;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{Message, Part, Role, SessionMeta, Transcript};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// One line of a session file: a message record, a metadata record, or an update. Every field is
/// loose, so a record of a newer shape still reads.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    #[serde(default)]
    pub id: LooseStr,
    #[serde(rename = "type", default)]
    pub kind: LooseStr,
    #[serde(default)]
    pub timestamp: LooseStr,
    #[serde(default)]
    pub content: PartList,
    #[serde(default)]
    pub tool_calls: LooseList<ToolCallRecord>,
    #[serde(default)]
    pub thoughts: LooseList<Thought>,
    #[serde(default)]
    pub model: LooseStr,
    #[serde(rename = "$rewindTo", default)]
    pub rewind_to: LooseStr,
    #[serde(rename = "$set", default)]
    pub set: LooseObject<Box<Line>>,
    #[serde(default)]
    pub messages: Option<LooseList<Line>>,
    // The session-level fields (of line 1, a `$set`, or an older whole-file record).
    #[serde(default)]
    pub session_id: LooseStr,
    #[serde(default)]
    pub start_time: LooseStr,
    #[serde(default)]
    pub last_updated: LooseStr,
    #[serde(default)]
    pub summary: LooseStr,
    /// `main`, or `subagent` for a session a tool call ran.
    #[serde(rename = "kind", default)]
    pub session_kind: LooseStr,
}

/// What is known about the session as a whole.
#[derive(Default, Clone)]
pub struct Metadata {
    pub session_id: LooseStr,
    pub start_time: LooseStr,
    pub last_updated: LooseStr,
    pub summary: LooseStr,
    pub kind: LooseStr,
}

impl Metadata {
    /// Takes the session-level fields `line` sets.
    pub fn update(&mut self, line: &mut Line) {
        for (mine, theirs) in [
            (&mut self.session_id, &mut line.session_id),
            (&mut self.start_time, &mut line.start_time),
            (&mut self.last_updated, &mut line.last_updated),
            (&mut self.summary, &mut line.summary),
            (&mut self.kind, &mut line.session_kind),
        ] {
            if theirs.0.is_some() {
                *mine = std::mem::take(theirs);
            }
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallRecord {
    #[serde(default)]
    pub id: LooseStr,
    #[serde(default)]
    pub name: LooseStr,
    #[serde(default, deserialize_with = "handoff_adapter_kit::loose::present")]
    pub args: Option<serde_json::Value>,
    #[serde(default)]
    pub result: Option<PartList>,
    #[serde(default)]
    pub status: LooseStr,
}

#[derive(Deserialize, Default)]
pub struct Thought {
    #[serde(default)]
    pub subject: LooseStr,
    #[serde(default)]
    pub description: LooseStr,
}

/// The lines of a file, parsed on every core. A `.json` file of an older version is one object
/// over many lines: read whole.
pub fn read_lines(path: &std::path::Path) -> std::io::Result<jsonl::Lines<Line>> {
    if path.extension().is_some_and(|ext| ext == "json") {
        let bytes = std::fs::read(path)?;
        return Ok(match serde_json::from_slice::<Line>(strip_bom(&bytes)) {
            Ok(line) => jsonl::Lines {
                rows: vec![(1, line)],
                skipped: 0,
            },
            Err(_) => jsonl::Lines {
                rows: Vec::new(),
                skipped: 1,
            },
        });
    }
    jsonl::read(std::fs::File::open(path)?)
}

/// The session a file's lines make: its metadata and its messages in order.
pub struct Session {
    pub meta: Metadata,
    pub messages: Vec<Line>,
}

/// Folds the lines into the session the client would load.
pub fn session(lines: Vec<(usize, Line)>) -> Session {
    let mut meta = Metadata::default();
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, Line> = HashMap::new();
    for (_, mut line) in lines {
        if let Some(target) = line.rewind_to.0.take() {
            match order.iter().position(|id| *id == target) {
                Some(at) => {
                    for id in order.drain(at..) {
                        by_id.remove(&id);
                    }
                }
                None => {
                    order.clear();
                    by_id.clear();
                }
            }
        } else if line.id.0.is_some() {
            keep(line, &mut order, &mut by_id);
        } else if let Some(mut set) = line.set.0.take() {
            if let Some(messages) = set.messages.take() {
                // A checkpoint: the history is these messages.
                order.clear();
                by_id.clear();
                for message in messages.0 {
                    keep(message, &mut order, &mut by_id);
                }
            }
            meta.update(&mut set);
        } else if line.session_id.0.is_some() {
            meta.update(&mut line);
            if let Some(messages) = line.messages.take() {
                // An older whole-file record adds its messages.
                for message in messages.0 {
                    keep(message, &mut order, &mut by_id);
                }
            }
        }
    }
    let messages = order.iter().filter_map(|id| by_id.remove(id)).collect();
    Session { meta, messages }
}

/// Adds a message record, or replaces the one with its id where it stands.
fn keep(message: Line, order: &mut Vec<String>, by_id: &mut HashMap<String, Line>) {
    let Some(id) = message.id.0.clone() else {
        return;
    };
    if by_id.insert(id.clone(), message).is_none() {
        order.push(id);
    }
}

/// User text the client does not resume as conversation: its own context blocks and commands.
pub fn is_ignored_user_text(text: &str) -> bool {
    let text = text.trim();
    text.is_empty()
        || text.starts_with('/')
        || text.starts_with('?')
        || text.starts_with("<session_context>")
        || text.starts_with("<hook_context>")
}

/// Message types the reader reads: the user's, the model's, and the notices the client showed.
pub const KNOWN_MESSAGES: &[&str] = &["user", "gemini", "info", "error", "warning"];

/// The conversation of a session. `id` stands when the metadata has none.
pub fn transcript(session: Session, id: &str) -> Transcript {
    let Session { meta, messages } = session;
    let mut out: Vec<Message> = Vec::new();
    let mut ids = CallIds::default();
    let mut answered: HashSet<String> = HashSet::new();
    let mut model = None;
    for record in messages {
        let timestamp_ms = record.timestamp.as_deref().and_then(parse_rfc3339_ms);
        let mut message = match record.kind.as_deref() {
            Some("user") => user_message(record, &mut ids, &mut answered),
            Some("gemini") => {
                if record.model.0.is_some() {
                    model.clone_from(&record.model.0);
                }
                assistant_message(record, &mut ids, &mut answered)
            }
            // Notices the client showed (and never sent to the model): kept as what happened.
            Some(kind @ ("info" | "error" | "warning")) => {
                let text = record.content.text();
                (!text.trim().is_empty()).then(|| {
                    Message::new(
                        Role::System,
                        vec![Part::Text {
                            text: format!("[{kind}] {text}"),
                        }],
                    )
                })
            }
            _ => None,
        };
        if let Some(message) = &mut message {
            message.timestamp_ms = timestamp_ms;
        }
        out.extend(message);
    }
    let mut session = SessionMeta {
        id: meta.session_id.0.clone().unwrap_or_else(|| id.to_owned()),
        agent: "gemini".into(),
        title: meta.summary.0.clone().filter(|s| !s.trim().is_empty()),
        created_ms: meta.start_time.as_deref().and_then(parse_rfc3339_ms),
        updated_ms: meta.last_updated.as_deref().and_then(parse_rfc3339_ms),
        model,
        ..SessionMeta::default()
    };
    if session.title.is_none() {
        session.title = first_user_line(&out);
    }
    if session.updated_ms.is_none() {
        session.updated_ms = out.iter().rev().find_map(|m| m.timestamp_ms);
    }
    Transcript::new(session, out)
}

fn user_message(
    record: Line,
    ids: &mut CallIds,
    answered: &mut HashSet<String>,
) -> Option<Message> {
    let text = record.content.text();
    let has_responses = record
        .content
        .0
        .iter()
        .any(|part| part.function_response.0.is_some());
    if is_ignored_user_text(&text) && !has_responses {
        return None;
    }
    let mut parts = Vec::new();
    for part in record.content.0 {
        if part.function_response.0.is_none() && is_ignored_user_text(&text) {
            continue;
        }
        match genai::read_part(part, ids, tools::to_tool) {
            // The client also records each call's result as a user message: the call already
            // carries it.
            Some(Part::ToolResult { call_id, .. }) if answered.contains(&call_id) => {}
            Some(Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            }) => {
                answered.insert(call_id.clone());
                parts.push(Part::ToolResult {
                    call_id,
                    output,
                    images,
                    is_error,
                });
            }
            Some(part) => parts.push(part),
            None => {}
        }
    }
    genai::message(false, parts)
}

fn assistant_message(
    record: Line,
    ids: &mut CallIds,
    answered: &mut HashSet<String>,
) -> Option<Message> {
    let mut parts: Vec<Part> = record
        .thoughts
        .0
        .into_iter()
        .filter_map(|thought| {
            let description = thought.description.0.unwrap_or_default();
            let text = match thought.subject.0.filter(|s| !s.is_empty()) {
                Some(subject) => format!("**{subject}** {description}"),
                None => description,
            };
            (!text.trim().is_empty()).then_some(Part::Reasoning {
                text,
                signature: None,
                provider: None,
            })
        })
        .collect();
    let calls_in_content = record
        .content
        .0
        .iter()
        .any(|part| part.function_call.0.is_some());
    parts.extend(
        record
            .content
            .0
            .into_iter()
            .filter_map(|part| genai::read_part(part, ids, tools::to_tool)),
    );
    let mut results = Vec::new();
    for call in record.tool_calls.0 {
        let name = call.name.0.unwrap_or_default();
        let id = if calls_in_content {
            call.id.0.unwrap_or_default()
        } else {
            let input = call.args.unwrap_or_else(|| serde_json::json!({}));
            let id = ids.call(call.id.as_deref(), &name);
            parts.push(Part::ToolCall {
                id: id.clone(),
                tool: tools::to_tool(&name, &input),
                name: name.clone(),
                input,
            });
            id
        };
        let failed = matches!(call.status.as_deref(), Some("error" | "cancelled"));
        for part in call.result.map(|list| list.0).unwrap_or_default() {
            let Some(part) = genai::read_part(part, ids, tools::to_tool) else {
                continue;
            };
            match part {
                Part::ToolResult {
                    call_id,
                    output,
                    images,
                    is_error,
                } if !answered.contains(&call_id) => {
                    answered.insert(call_id.clone());
                    results.push(Part::ToolResult {
                        call_id,
                        output,
                        images,
                        is_error: is_error || failed,
                    });
                }
                Part::ToolResult { .. } => {}
                // Text or media a tool returned belongs to its result.
                Part::Text { text } if !answered.contains(&id) => {
                    answered.insert(id.clone());
                    results.push(Part::ToolResult {
                        call_id: id.clone(),
                        output: text,
                        images: Vec::new(),
                        is_error: failed,
                    });
                }
                Part::Image(media) => {
                    if let Some(Part::ToolResult { images, .. }) = results.last_mut() {
                        images.push(media);
                    }
                }
                _ => {}
            }
        }
    }
    parts.extend(results);
    let mut message = genai::message(true, parts)?;
    message.model = record.model.0;
    Some(message)
}
