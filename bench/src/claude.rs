//! Claude Code sessions as the client writes them: one compact JSON row a line, a `parentUuid`
//! chain, one assistant row per content block, tool results as user rows (with `toolUseResult`),
//! thinking blocks, compactions, title rows and subagent transcripts.

use crate::rfc3339;
use crate::rng::Rng;
use serde_json::{Value, json};

/// A generated session: its id, its rows and its subagents' files (`agent-<id>.jsonl`).
pub struct Session {
    pub id: String,
    pub jsonl: Vec<u8>,
    pub subagents: Vec<(String, Vec<u8>)>,
    /// Time of the last row.
    pub end_ms: i64,
}

/// The folder name Claude Code gives an ASCII project path.
pub fn project_key(cwd: &str) -> String {
    cwd.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

struct Writer<'a> {
    rng: &'a mut Rng,
    id: String,
    cwd: String,
    now_ms: i64,
    parent: Option<String>,
    out: Vec<u8>,
    sidechain: bool,
}

impl Writer<'_> {
    fn push(&mut self, value: &Value) {
        if let Ok(line) = serde_json::to_vec(value) {
            self.out.extend_from_slice(&line);
            self.out.push(b'\n');
        }
    }

    fn tick(&mut self, max_ms: usize) -> String {
        self.now_ms += 200 + i64::try_from(self.rng.below(max_ms)).unwrap_or(0);
        rfc3339(self.now_ms)
    }

    /// A conversation row with the client's envelope; returns its uuid.
    fn row(&mut self, kind: &str, body: Value) -> String {
        let uuid = self.rng.uuid();
        let timestamp = self.tick(4_000);
        let mut row = json!({
            "parentUuid": self.parent,
            "isSidechain": self.sidechain,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.id,
            "version": "2.1.330",
            "gitBranch": "main",
        });
        if let (Some(row), Value::Object(body)) = (row.as_object_mut(), body) {
            row.extend(body);
            row.insert("type".into(), kind.into());
            row.insert("uuid".into(), uuid.clone().into());
            row.insert("timestamp".into(), timestamp.into());
            row.insert("entrypoint".into(), "cli".into());
        }
        self.push(&row);
        self.parent = Some(uuid.clone());
        uuid
    }

    fn user_text(&mut self, text: String) {
        self.row("user", json!({"message": {"role": "user", "content": text}}));
    }

    fn assistant(&mut self, message_id: &str, block: Value, stop: &str) {
        let request = format!("req_{}", self.rng.hex(24));
        let input = self.rng.below(40_000);
        self.row(
            "assistant",
            json!({
                "requestId": request,
                "message": {
                    "id": message_id, "type": "message", "role": "assistant",
                    "model": "claude-sonnet-4-5-20250929", "content": [block],
                    "stop_reason": stop, "stop_sequence": null,
                    "usage": {"input_tokens": input, "cache_creation_input_tokens": 512,
                              "cache_read_input_tokens": input * 3, "output_tokens": 300,
                              "service_tier": "standard"}
                }
            }),
        );
    }

    /// One tool call and its result; returns the output size.
    fn tool(&mut self, message_id: &str, max_output: usize) -> usize {
        let call_id = format!("toolu_{}", self.rng.hex(24));
        let (name, input) = match self.rng.below(4) {
            0 => ("Read", json!({"file_path": format!("{}/src/{}.rs", self.cwd, self.rng.word())})),
            1 => ("Grep", json!({"pattern": self.rng.word(), "path": self.cwd})),
            2 => ("Edit", json!({"file_path": format!("{}/src/{}.rs", self.cwd, self.rng.word()),
                                 "old_string": self.rng.sentence(6), "new_string": self.rng.sentence(7)})),
            _ => ("Bash", json!({"command": format!("cargo test {}", self.rng.word()),
                                 "description": self.rng.sentence(4)})),
        };
        let block = json!({"type": "tool_use", "id": call_id, "name": name, "input": input});
        self.assistant(message_id, block, "tool_use");
        let size = self.rng.skewed(120, max_output);
        let output = self.rng.output(size);
        let is_error = self.rng.chance(0.05);
        self.row(
            "user",
            json!({
                "message": {"role": "user", "content": [
                    {"tool_use_id": call_id, "type": "tool_result", "content": output, "is_error": is_error}
                ]},
                "toolUseResult": {"stdout": output, "stderr": "", "interrupted": false, "isImage": false}
            }),
        );
        size
    }

    /// A user prompt and the assistant's turn: thinking, text, tool calls, a closing text.
    fn turn(&mut self, max_output: usize) {
        let words = 8 + self.rng.below(40);
        let prompt = self.rng.sentence(words);
        self.user_text(prompt);
        let message_id = format!("msg_{}", self.rng.hex(24));
        if self.rng.chance(0.3) {
            let thinking = self.rng.text(40, 120);
            let signature = self.rng.hex(600);
            let block = json!({"type": "thinking", "thinking": thinking, "signature": signature});
            self.assistant(&message_id, block, "tool_use");
        }
        let text = self.rng.text(12, 30);
        self.assistant(&message_id, json!({"type": "text", "text": text}), "tool_use");
        for _ in 0..1 + self.rng.below(4) {
            self.tool(&message_id, max_output);
        }
        let closing = format!("msg_{}", self.rng.hex(24));
        let text = self.rng.text(20, 80);
        self.assistant(&closing, json!({"type": "text", "text": text}), "end_turn");
    }

    fn compact(&mut self) {
        let logical = self.parent.take();
        let pre_tokens = 150_000 + self.rng.below(30_000);
        self.row(
            "system",
            json!({"subtype": "compact_boundary", "content": "Conversation compacted",
                   "isMeta": false, "level": "info", "logicalParentUuid": logical,
                   "compactMetadata": {"trigger": "auto", "preTokens": pre_tokens}}),
        );
        let summary = format!(
            "This session is being continued from a previous conversation that ran out of context. \
             The conversation is summarized below:\n{}",
            self.rng.sentence(400)
        );
        self.row(
            "user",
            json!({"isCompactSummary": true, "isVisibleInTranscriptOnly": true,
                   "message": {"role": "user", "content": summary}}),
        );
    }
}

/// Options of one session.
pub struct Shape {
    pub target_bytes: usize,
    pub start_ms: i64,
    /// Largest tool output.
    pub max_output: usize,
    pub compaction: bool,
    pub subagents: bool,
}

pub fn session(rng: &mut Rng, cwd: &str, shape: &Shape) -> Session {
    let id = rng.uuid();
    let mut writer = Writer {
        id: id.clone(),
        cwd: cwd.to_owned(),
        now_ms: shape.start_ms,
        parent: None,
        out: Vec::with_capacity(shape.target_bytes + 64 * 1024),
        sidechain: false,
        rng,
    };
    if writer.rng.chance(0.3) {
        let summary = writer.rng.sentence(6);
        let leaf = writer.rng.uuid();
        writer.push(&json!({"type": "summary", "summary": summary, "leafUuid": leaf}));
    }
    let compact_at = shape.target_bytes / 2;
    let mut compacted = !shape.compaction;
    let mut subagents = Vec::new();
    while writer.out.len() < shape.target_bytes {
        writer.turn(shape.max_output);
        if !compacted && writer.out.len() > compact_at {
            writer.compact();
            compacted = true;
        }
        if shape.subagents && subagents.len() < 3 && writer.rng.chance(0.15) {
            subagents.push(subagent(writer.rng, &id, cwd, writer.now_ms));
        }
    }
    if writer.rng.chance(0.3) {
        let title = writer.rng.sentence(5);
        writer.push(&json!({"type": "ai-title", "aiTitle": title, "sessionId": id}));
    }
    Session {
        id,
        jsonl: writer.out,
        subagents,
        end_ms: writer.now_ms,
    }
}

/// A subagent's transcript: sidechain rows of the same session.
fn subagent(rng: &mut Rng, session_id: &str, cwd: &str, now_ms: i64) -> (String, Vec<u8>) {
    let name = format!("agent-{}", rng.hex(17));
    let mut writer = Writer {
        id: session_id.to_owned(),
        cwd: cwd.to_owned(),
        now_ms,
        parent: None,
        out: Vec::new(),
        sidechain: true,
        rng,
    };
    for _ in 0..2 + writer.rng.below(4) {
        writer.turn(4_000);
    }
    (name, writer.out)
}
