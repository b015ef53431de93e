//! Claude Code sessions as the client writes them: one compact JSON row a line, a `parentUuid`
//! chain, one assistant row per content block, tool results as user rows (with `toolUseResult`),
//! thinking blocks, compactions, title rows and subagent transcripts.

use crate::rng::Rng;
use crate::{Obj, rfc3339};
use serde_json::json;

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
    fn line(&mut self, json: &str) {
        self.out.extend_from_slice(json.as_bytes());
        self.out.push(b'\n');
    }

    fn tick(&mut self, max_ms: usize) -> String {
        self.now_ms += 200 + i64::try_from(self.rng.below(max_ms)).unwrap_or(0);
        rfc3339(self.now_ms)
    }

    /// A conversation row with the client's envelope, in its key order (`type` before the
    /// message on user rows, after it on assistant rows); returns its uuid.
    fn row(&mut self, kind: &str, body: &[(&str, String)]) -> String {
        let uuid = self.rng.uuid();
        let timestamp = self.tick(4_000);
        let mut row = Obj::new()
            .field("parentUuid", &self.parent)
            .field("isSidechain", self.sidechain);
        if kind != "assistant" {
            row = row.field("type", kind);
        }
        for (key, json) in body {
            row = row.raw(key, json);
        }
        if kind == "assistant" {
            row = row.field("type", kind);
        }
        let row = row
            .field("uuid", &uuid)
            .field("timestamp", timestamp)
            .field("userType", "external")
            .field("entrypoint", "cli")
            .field("cwd", &self.cwd)
            .field("sessionId", &self.id)
            .field("version", "2.1.330")
            .field("gitBranch", "main")
            .done();
        self.line(&row);
        self.parent = Some(uuid.clone());
        uuid
    }

    fn user_text(&mut self, text: String) {
        let message = Obj::new()
            .field("role", "user")
            .field("content", text)
            .done();
        self.row("user", &[("message", message)]);
    }

    fn assistant(&mut self, message_id: &str, block: String, stop: &str) {
        let request = format!("req_{}", self.rng.hex(24));
        let input = self.rng.below(40_000);
        let usage = json!({"input_tokens": input, "cache_creation_input_tokens": 512,
                           "cache_read_input_tokens": input * 3, "output_tokens": 300,
                           "service_tier": "standard"});
        let message = Obj::new()
            .field("id", message_id)
            .field("type", "message")
            .field("role", "assistant")
            .field("model", "claude-sonnet-4-5-20250929")
            .raw("content", &format!("[{block}]"))
            .field("stop_reason", stop)
            .field("stop_sequence", ())
            .field("usage", usage)
            .done();
        self.row(
            "assistant",
            &[
                ("message", message),
                ("requestId", format!("\"{request}\"")),
            ],
        );
    }

    /// One tool call and its result; returns the output size.
    fn tool(&mut self, message_id: &str, max_output: usize) -> usize {
        let call_id = format!("toolu_{}", self.rng.hex(24));
        let (name, input) = match self.rng.below(4) {
            0 => (
                "Read",
                json!({"file_path": format!("{}/src/{}.rs", self.cwd, self.rng.word())}),
            ),
            1 => (
                "Grep",
                json!({"pattern": self.rng.word(), "path": self.cwd}),
            ),
            2 => (
                "Edit",
                json!({"file_path": format!("{}/src/{}.rs", self.cwd, self.rng.word()),
                                 "old_string": self.rng.sentence(6), "new_string": self.rng.sentence(7)}),
            ),
            _ => (
                "Bash",
                json!({"command": format!("cargo test {}", self.rng.word()),
                                 "description": self.rng.sentence(4)}),
            ),
        };
        let block = Obj::new()
            .field("type", "tool_use")
            .field("id", &call_id)
            .field("name", name)
            .field("input", input)
            .done();
        self.assistant(message_id, block, "tool_use");
        let size = self.rng.skewed(120, max_output);
        let output = self.rng.output(size);
        let is_error = self.rng.chance(0.05);
        let result = Obj::new()
            .field("tool_use_id", &call_id)
            .field("type", "tool_result")
            .field("content", &output)
            .field("is_error", is_error)
            .done();
        let message = Obj::new()
            .field("role", "user")
            .raw("content", &format!("[{result}]"))
            .done();
        let ui = Obj::new()
            .field("stdout", &output)
            .field("stderr", "")
            .field("interrupted", false)
            .field("isImage", false)
            .done();
        self.row("user", &[("message", message), ("toolUseResult", ui)]);
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
            let block = Obj::new()
                .field("type", "thinking")
                .field("thinking", thinking)
                .field("signature", signature)
                .done();
            self.assistant(&message_id, block, "tool_use");
        }
        let text = self.rng.text(12, 30);
        self.assistant(&message_id, text_block(&text), "tool_use");
        for _ in 0..1 + self.rng.below(4) {
            self.tool(&message_id, max_output);
        }
        let closing = format!("msg_{}", self.rng.hex(24));
        let text = self.rng.text(20, 80);
        self.assistant(&closing, text_block(&text), "end_turn");
    }

    fn compact(&mut self) {
        let logical = self.parent.take();
        let pre_tokens = 150_000 + self.rng.below(30_000);
        let metadata = Obj::new()
            .field("trigger", "auto")
            .field("preTokens", pre_tokens)
            .done();
        self.row(
            "system",
            &[
                ("subtype", "\"compact_boundary\"".into()),
                ("content", "\"Conversation compacted\"".into()),
                ("isMeta", "false".into()),
                ("level", "\"info\"".into()),
                (
                    "logicalParentUuid",
                    serde_json::to_string(&logical).unwrap_or_default(),
                ),
                ("compactMetadata", metadata),
            ],
        );
        let summary = format!(
            "This session is being continued from a previous conversation that ran out of context. \
             The conversation is summarized below:\n{}",
            self.rng.sentence(400)
        );
        let message = Obj::new()
            .field("role", "user")
            .field("content", summary)
            .done();
        self.row(
            "user",
            &[
                ("message", message),
                ("isCompactSummary", "true".into()),
                ("isVisibleInTranscriptOnly", "true".into()),
            ],
        );
    }
}

fn text_block(text: &str) -> String {
    Obj::new().field("type", "text").field("text", text).done()
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
        let row = Obj::new()
            .field("type", "summary")
            .field("summary", summary)
            .field("leafUuid", leaf)
            .done();
        writer.line(&row);
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
        let row = Obj::new()
            .field("type", "ai-title")
            .field("aiTitle", title)
            .field("sessionId", &id)
            .done();
        writer.line(&row);
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
