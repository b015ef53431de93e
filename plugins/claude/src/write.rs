//! Writing a transcript as a Claude Code session the client resumes natively: compact JSON, the
//! full envelope on every row, one `parentUuid` chain, each `tool_result` in the row right after
//! the assistant row of its `tool_use`. The host pairs every call with one result before this runs.

use crate::read::REDACTED_THINKING_KEY;
use crate::tools;
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::text::media_note;
use handoff_adapter_kit::time;
use handoff_plugin_api::{Media, Message, Part, Role, Transcript};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

/// Title prefix that tells the user where the session came from.
const TITLE_PREFIX: &str = "handoff: ";

/// Where a part came from in the transcript, once flattened.
struct Item<'a> {
    role: Role,
    part: &'a Part,
    message: &'a Message,
    part_index: usize,
}

/// Renders `transcript` as the JSONL text of session `session_id` in project `cwd`, in
/// consecutive pieces of whole lines encoded on every core (written one after another they are
/// the session, never held whole a second time), its rows claiming `client_version`; `None` when
/// nothing in it would reach the model (the client cannot resume a session without rows).
pub fn render(
    transcript: &Transcript,
    session_id: &str,
    cwd: &str,
    client_version: &str,
) -> Option<Vec<String>> {
    /// Rows encoded together: enough pieces for the cores to share evenly.
    const ROWS_PER_PIECE: usize = 256;
    let own = transcript.session.agent == "claude";
    let mut writer = Writer::new(session_id, cwd, client_version, own);
    writer.write_all(transcript);
    if writer.rows.is_empty() {
        return None;
    }
    let mut pieces = par_map(
        &writer.rows.chunks(ROWS_PER_PIECE).collect::<Vec<_>>(),
        |rows| {
            let mut piece = String::new();
            for row in *rows {
                piece.push_str(&row.to_string());
                piece.push('\n');
            }
            piece
        },
    );
    let title = transcript
        .session
        .title
        .clone()
        .or_else(|| first_user_text(transcript));
    if let Some(title) = title {
        let title = if title.starts_with(TITLE_PREFIX) {
            title
        } else {
            format!("{TITLE_PREFIX}{title}")
        };
        let row = json!({"type": "custom-title", "customTitle": title, "sessionId": session_id});
        pieces.push(format!("{row}\n"));
    }
    Some(pieces)
}

fn first_user_text(transcript: &Transcript) -> Option<String> {
    transcript
        .messages
        .iter()
        .filter(|m| m.role == Role::User)
        .flat_map(|m| &m.parts)
        .find_map(|p| match p {
            Part::Text { text } => crate::read::title_from_text(text),
            _ => None,
        })
}

struct Writer<'a> {
    session_id: &'a str,
    cwd: &'a str,
    client_version: &'a str,
    rows: Vec<Value>,
    parent: Option<String>,
    last_ms: i64,
    /// Blocks of the assistant message being built, with its model.
    assistant: Vec<Value>,
    assistant_model: Option<String>,
    assistant_ms: Option<i64>,
    /// Source call id → written id, for calls of the last assistant message whose result has
    /// not been written yet.
    open_calls: HashMap<String, String>,
    used_ids: HashSet<String>,
    consumed: HashSet<usize>,
    /// The transcript is Claude's own: its calls are written as they were.
    own: bool,
}

impl<'a> Writer<'a> {
    fn new(session_id: &'a str, cwd: &'a str, client_version: &'a str, own: bool) -> Self {
        Self {
            session_id,
            cwd,
            client_version,
            rows: Vec::new(),
            parent: None,
            last_ms: 0,
            assistant: Vec::new(),
            assistant_model: None,
            assistant_ms: None,
            open_calls: HashMap::new(),
            used_ids: HashSet::new(),
            consumed: HashSet::new(),
            own,
        }
    }

    fn write_all(&mut self, transcript: &Transcript) {
        let items: Vec<Item> = transcript
            .messages
            .iter()
            .flat_map(|message| {
                message
                    .parts
                    .iter()
                    .enumerate()
                    .map(move |(part_index, part)| Item {
                        role: message.role,
                        part,
                        message,
                        part_index,
                    })
            })
            .collect();
        for (index, item) in items.iter().enumerate() {
            if self.consumed.contains(&index) {
                continue;
            }
            self.write_item(index, item, &items);
        }
        self.close_assistant(&items, items.len());
    }

    fn write_item(&mut self, index: usize, item: &Item, items: &[Item]) {
        match (item.part, item.role) {
            (Part::ToolResult { call_id, .. }, _) => {
                if self.open_calls.contains_key(call_id) {
                    self.write_assistant();
                } else {
                    // A result without its call is written as text below; the waiting calls
                    // get their results first.
                    self.close_assistant(items, index);
                }
                self.write_result(item);
            }
            (Part::Compaction { summary }, _) => {
                self.close_assistant(items, index);
                self.write_compaction(summary, item.message.timestamp_ms);
            }
            (
                Part::ToolCall {
                    id,
                    name,
                    input,
                    tool,
                },
                _,
            ) => {
                self.open_assistant(item, items, index);
                let written = self.call_id(id);
                self.open_calls.insert(id.clone(), written.clone());
                let (name, input) = tools::to_native(self.own, name, input, tool);
                self.assistant
                    .push(json!({"type": "tool_use", "id": written, "name": name, "input": input}));
            }
            (part, Role::Assistant) => {
                // Text after results of this message's calls starts a new message.
                if let Some(block) = assistant_block(part, item) {
                    self.open_assistant(item, items, index);
                    self.assistant.push(block);
                }
            }
            (part, _) => {
                self.close_assistant(items, index);
                if let Some(block) = user_block(part) {
                    self.write_user(vec![block], item.message.timestamp_ms, Map::new());
                }
            }
        }
    }

    /// Starts an assistant message unless one is open; a message whose calls still wait for
    /// results is closed first (the API wants the results right after it).
    fn open_assistant(&mut self, item: &Item, items: &[Item], index: usize) {
        if self.assistant.is_empty() {
            self.write_waiting_results(items, index);
            self.assistant_model = item
                .message
                .model
                .clone()
                .filter(|m| m.starts_with("claude"));
            self.assistant_ms = item.message.timestamp_ms;
        }
    }

    /// Writes the open assistant message, then the results of its calls.
    fn close_assistant(&mut self, items: &[Item], from: usize) {
        self.write_assistant();
        self.write_waiting_results(items, from);
    }

    /// Writes the results of the last assistant message's calls that other parts came before,
    /// taken from later in the transcript: the API wants them right after that message. A call
    /// whose result is nowhere stays without one.
    fn write_waiting_results(&mut self, items: &[Item], from: usize) {
        if self.open_calls.is_empty() {
            return;
        }
        for (index, item) in items.iter().enumerate().skip(from) {
            if let Part::ToolResult { call_id, .. } = item.part
                && self.open_calls.contains_key(call_id)
                && !self.consumed.contains(&index)
            {
                self.consumed.insert(index);
                self.write_result(item);
                if self.open_calls.is_empty() {
                    break;
                }
            }
        }
        self.open_calls.clear();
    }

    fn write_assistant(&mut self) {
        if self.assistant.is_empty() {
            return;
        }
        let blocks = std::mem::take(&mut self.assistant);
        let has_calls = blocks
            .iter()
            .any(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"));
        let hex = uuid::Uuid::new_v4().simple().to_string();
        let mut message = Map::new();
        message.insert("id".into(), json!(format!("msg_{}", &hex[..24])));
        message.insert("type".into(), json!("message"));
        message.insert("role".into(), json!("assistant"));
        if let Some(model) = self.assistant_model.take() {
            message.insert("model".into(), json!(model));
        }
        message.insert("content".into(), Value::Array(blocks));
        message.insert(
            "stop_reason".into(),
            json!(if has_calls { "tool_use" } else { "end_turn" }),
        );
        message.insert("stop_sequence".into(), Value::Null);
        message.insert(
            "usage".into(),
            json!({"input_tokens": 0, "output_tokens": 0}),
        );
        let mut extra = Map::new();
        extra.insert("requestId".into(), json!(format!("req_{}", &hex[8..])));
        let ms = self.assistant_ms.take();
        self.push_row("assistant", Value::Object(message), ms, extra);
    }

    fn write_result(&mut self, item: &Item) {
        let Part::ToolResult {
            call_id,
            output,
            images,
            is_error,
        } = item.part
        else {
            return;
        };
        let Some(written) = self.open_calls.remove(call_id) else {
            // A result whose call is not in the transcript: keep what it said as text.
            let text = format!("[tool result for {call_id}]\n{output}");
            self.write_user(
                vec![json!({"type": "text", "text": text})],
                item.message.timestamp_ms,
                Map::new(),
            );
            return;
        };
        let content = if images.is_empty() {
            json!(output)
        } else {
            let mut blocks = Vec::new();
            if !output.is_empty() {
                blocks.push(json!({"type": "text", "text": output}));
            }
            blocks.extend(images.iter().map(image_block));
            Value::Array(blocks)
        };
        let block = json!({"type": "tool_result", "tool_use_id": written, "content": content,
            "is_error": is_error});
        let mut extra = Map::new();
        if let Some(source) = self.last_assistant_uuid() {
            extra.insert("sourceToolAssistantUUID".into(), json!(source));
        }
        self.write_user(vec![block], item.message.timestamp_ms, extra);
    }

    fn last_assistant_uuid(&self) -> Option<String> {
        self.rows
            .iter()
            .rev()
            .find(|r| r.get("type").and_then(Value::as_str) == Some("assistant"))
            .and_then(|r| r.get("uuid").and_then(Value::as_str))
            .map(str::to_owned)
    }

    fn write_user(&mut self, blocks: Vec<Value>, ms: Option<i64>, extra: Map<String, Value>) {
        let content = match blocks.as_slice() {
            [block] if block.get("type").and_then(Value::as_str) == Some("text") => {
                block.get("text").cloned().unwrap_or(Value::Null)
            }
            _ => Value::Array(blocks),
        };
        let message = json!({"role": "user", "content": content});
        self.push_row("user", message, ms, extra);
    }

    /// A compaction as the client writes one: a boundary that cuts the chain, then the summary.
    fn write_compaction(&mut self, summary: &str, ms: Option<i64>) {
        let logical = self.parent.take();
        let ms = self.next_ms(ms);
        let uuid = uuid::Uuid::new_v4().to_string();
        let row = json!({
            "parentUuid": null,
            "logicalParentUuid": logical,
            "isSidechain": false,
            "userType": "external",
            "entrypoint": "cli",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": self.client_version,
            "gitBranch": "",
            "type": "system",
            "subtype": "compact_boundary",
            "content": "Conversation compacted",
            "isMeta": false,
            "timestamp": time::format_rfc3339_ms(ms),
            "uuid": uuid,
            "level": "info",
            "compactMetadata": {"trigger": "manual", "preTokens": 0},
        });
        self.rows.push(row);
        self.parent = Some(uuid);
        let mut extra = Map::new();
        extra.insert("isCompactSummary".into(), json!(true));
        extra.insert("isVisibleInTranscriptOnly".into(), json!(true));
        let message = json!({"role": "user", "content": summary});
        self.push_row("user", message, Some(ms), extra);
    }

    fn next_ms(&mut self, ms: Option<i64>) -> i64 {
        // Strictly increasing, so the last row is also the newest and stays the leaf.
        let ms = ms.unwrap_or_else(time::now_ms).max(self.last_ms + 1);
        self.last_ms = ms;
        ms
    }

    fn push_row(&mut self, kind: &str, message: Value, ms: Option<i64>, extra: Map<String, Value>) {
        let ms = self.next_ms(ms);
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut row = Map::new();
        row.insert("parentUuid".into(), json!(self.parent));
        row.insert("isSidechain".into(), json!(false));
        row.insert("userType".into(), json!("external"));
        row.insert("entrypoint".into(), json!("cli"));
        row.insert("cwd".into(), json!(self.cwd));
        row.insert("sessionId".into(), json!(self.session_id));
        row.insert("version".into(), json!(self.client_version));
        row.insert("gitBranch".into(), json!(""));
        row.insert("uuid".into(), json!(uuid));
        row.insert("timestamp".into(), json!(time::format_rfc3339_ms(ms)));
        row.insert("type".into(), json!(kind));
        row.insert("message".into(), message);
        row.extend(extra);
        self.rows.push(Value::Object(row));
        self.parent = Some(uuid);
    }

    /// The id a call is written with: the source id when the API accepts it and it is not
    /// taken yet, else a fresh `toolu_` id.
    fn call_id(&mut self, source: &str) -> String {
        let valid = !source.is_empty()
            && source.len() <= 64
            && source
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        let id = if valid && !self.used_ids.contains(source) {
            source.to_owned()
        } else {
            format!("toolu_{}", uuid::Uuid::new_v4().simple())
        };
        self.used_ids.insert(id.clone());
        id
    }
}

fn assistant_block(part: &Part, item: &Item) -> Option<Value> {
    match part {
        Part::Text { text } if !text.is_empty() => Some(json!({"type": "text", "text": text})),
        // Only Claude's own signed thinking goes back as thinking; anything else would need a
        // forged signature, so it is dropped (the documented foreign-reasoning rule).
        Part::Reasoning {
            text,
            signature: Some(signature),
            provider: Some(provider),
        } if provider == "anthropic" => {
            let redacted = item
                .message
                .extra
                .get(REDACTED_THINKING_KEY)
                .and_then(Value::as_array)
                .is_some_and(|l| l.iter().any(|i| i.as_u64() == Some(item.part_index as u64)));
            Some(if redacted {
                json!({"type": "redacted_thinking", "data": signature})
            } else {
                json!({"type": "thinking", "thinking": text, "signature": signature})
            })
        }
        Part::Image(media) | Part::File(media) => {
            Some(json!({"type": "text", "text": media_note(media)}))
        }
        _ => None,
    }
}

fn user_block(part: &Part) -> Option<Value> {
    match part {
        Part::Text { text } if !text.is_empty() => Some(json!({"type": "text", "text": text})),
        Part::Image(media) => Some(image_block(media)),
        Part::File(media)
            if media.media_type == "application/pdf" && media.data_base64.is_some() =>
        {
            Some(json!({"type": "document", "source": {"type": "base64",
                "media_type": media.media_type, "data": media.data_base64}}))
        }
        Part::File(media) => Some(json!({"type": "text", "text": media_note(media)})),
        // Foreign or unsigned reasoning in a user turn has nowhere to go.
        _ => None,
    }
}

fn image_block(media: &Media) -> Value {
    match (&media.data_base64, &media.path) {
        (Some(data), _) => json!({"type": "image", "source": {"type": "base64",
            "media_type": media.media_type, "data": data}}),
        (None, Some(url)) if url.starts_with("https://") || url.starts_with("http://") => {
            json!({"type": "image", "source": {"type": "url", "url": url}})
        }
        _ => json!({"type": "text", "text": media_note(media)}),
    }
}
