//! pi session files as 1.6.0 writes them: the header, a model and a thinking-level change, the
//! client's system prompt as a message, then per turn a user message, assistant messages with
//! text and a `bash` tool call, and a `toolResult` per call, each entry naming the one before.

use crate::rng::Rng;
use crate::{Obj, rfc3339};
use serde_json::json;

pub struct Session {
    pub id: String,
    /// `<start time, : and . as ->_<id>.jsonl`
    pub file_name: String,
    pub jsonl: Vec<u8>,
    pub end_ms: i64,
}

struct Writer<'a> {
    rng: &'a mut Rng,
    now_ms: i64,
    parent: Option<String>,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn entry(&mut self, kind: &str, rest: &[(&str, String)]) {
        self.now_ms += 20 + i64::try_from(self.rng.below(2_000)).unwrap_or(0);
        let id = self.rng.hex(8);
        let mut entry = Obj::new()
            .field("type", kind)
            .field("id", &id)
            .field("parentId", &self.parent)
            .field("timestamp", rfc3339(self.now_ms));
        for (key, json) in rest {
            entry = entry.raw(key, json);
        }
        let entry = entry.done();
        self.out.extend_from_slice(entry.as_bytes());
        self.out.push(b'\n');
        self.parent = Some(id);
    }

    fn message(&mut self, message: serde_json::Value) {
        self.entry("message", &[("message", message.to_string())]);
    }

    fn turn(&mut self, cwd: &str, max_output: usize) {
        let prompt = self.rng.text(8, 40);
        let user = json!({"role": "user", "content": [{"type": "text", "text": prompt}],
            "timestamp": self.now_ms});
        self.message(user);
        for _ in 0..1 + self.rng.below(4) {
            let call_id = format!("call_{}", self.rng.hex(24));
            let command = format!("rg -n {} {cwd}/src", self.rng.word());
            let text = self.rng.text(5, 30);
            let call = json!({"role": "assistant", "content": [
                    {"type": "text", "text": text},
                    {"type": "toolCall", "id": call_id, "name": "bash", "arguments": {"command": command}}],
                "api": "openai-completions", "provider": "mock", "model": "m",
                "usage": {"input": 12000, "output": 300, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 12300},
                "stopReason": "toolUse", "timestamp": self.now_ms});
            self.message(call);
            let size = self.rng.skewed(100, max_output);
            let output = self.rng.output(size);
            let result = json!({"role": "toolResult", "toolCallId": call_id, "toolName": "bash",
                "content": [{"type": "text", "text": output}], "isError": false,
                "timestamp": self.now_ms});
            self.message(result);
        }
        let text = self.rng.text(20, 80);
        let answer = json!({"role": "assistant", "content": [{"type": "text", "text": text}],
            "api": "openai-completions", "provider": "mock", "model": "m", "stopReason": "stop",
            "timestamp": self.now_ms});
        self.message(answer);
    }
}

pub fn session(
    rng: &mut Rng,
    cwd: &str,
    start_ms: i64,
    target_bytes: usize,
    max_output: usize,
) -> Session {
    let id = rng.uuid();
    let system = rng.sentence(600);
    let mut writer = Writer {
        rng,
        now_ms: start_ms,
        parent: None,
        out: Vec::with_capacity(target_bytes + 64 * 1024),
    };
    let start = rfc3339(start_ms);
    let header = Obj::new()
        .field("type", "session")
        .field("version", 3)
        .field("id", &id)
        .field("timestamp", &start)
        .field("cwd", cwd)
        .done();
    writer.out.extend_from_slice(header.as_bytes());
    writer.out.push(b'\n');
    writer.entry(
        "model_change",
        &[("provider", "\"mock\"".into()), ("modelId", "\"m\"".into())],
    );
    writer.entry(
        "thinking_level_change",
        &[("thinkingLevel", "\"off\"".into())],
    );
    writer.message(json!({"role": "system", "content": "", "sections": {"preamble": system}}));
    while writer.out.len() < target_bytes {
        writer.turn(cwd, max_output);
    }
    Session {
        file_name: format!("{}_{id}.jsonl", start.replace([':', '.'], "-")),
        id,
        jsonl: writer.out,
        end_ms: writer.now_ms,
    }
}
