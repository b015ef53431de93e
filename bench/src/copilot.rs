//! Copilot CLI session folders as 1.0.102 writes them: `events.jsonl` (session start, the
//! client's system prompt, then per turn the user message, assistant messages with `bash` tool
//! requests, execution start and completion with output, usage records, turn boundaries) and
//! `workspace.yaml`.

use crate::rng::Rng;
use crate::{Obj, rfc3339};
use serde_json::json;

pub struct Session {
    pub id: String,
    pub events: Vec<u8>,
    pub workspace: String,
    pub end_ms: i64,
}

struct Writer<'a> {
    rng: &'a mut Rng,
    now_ms: i64,
    parent: Option<String>,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn event(&mut self, kind: &str, data: &str) {
        self.now_ms += 50 + i64::try_from(self.rng.below(2_000)).unwrap_or(0);
        let id = self.rng.uuid();
        let line = Obj::new()
            .field("type", kind)
            .raw("data", data)
            .field("id", &id)
            .field("timestamp", rfc3339(self.now_ms))
            .field("parentId", &self.parent)
            .done();
        self.out.extend_from_slice(line.as_bytes());
        self.out.push(b'\n');
        self.parent = Some(id);
    }

    fn turn(&mut self, index: usize, cwd: &str, max_output: usize) {
        let prompt = self.rng.text(8, 40);
        let user = Obj::new()
            .field("content", &prompt)
            .field(
                "transformedContent",
                format!(
                    "<current_datetime>{}</current_datetime>\n\n{prompt}",
                    rfc3339(self.now_ms)
                ),
            )
            .field("messageId", self.rng.uuid())
            .field("turnId", index.to_string())
            .done();
        self.event("user.message", &user);
        let turn = json!({"turnId": index.to_string()}).to_string();
        self.event("assistant.turn_start", &turn);
        for _ in 0..1 + self.rng.below(4) {
            let call_id = format!("call_{}", self.rng.hex(24));
            let arguments = json!({"command": format!("rg -n {} {cwd}/src", self.rng.word()),
                "description": self.rng.sentence(4)});
            let request = json!({"toolCallId": call_id, "name": "bash", "arguments": arguments,
                "type": "function", "intentionSummary": self.rng.sentence(5)});
            let message = Obj::new()
                .field("messageId", self.rng.uuid())
                .field("model", "gpt-4.1")
                .field("content", self.rng.text(5, 30))
                .field("toolRequests", [request])
                .field("turnId", index.to_string())
                .done();
            self.event("assistant.message", &message);
            let start = Obj::new()
                .field("toolCallId", &call_id)
                .field("toolName", "bash")
                .field("arguments", &arguments)
                .done();
            self.event("tool.execution_start", &start);
            let size = self.rng.skewed(100, max_output);
            let complete = Obj::new()
                .field("toolCallId", &call_id)
                .field("model", "gpt-4.1")
                .field("success", true)
                .field("result", json!({"content": self.rng.output(size)}))
                .done();
            self.event("tool.execution_complete", &complete);
        }
        let usage = json!({"usage": {"model": "gpt-4.1", "inputTokens": self.rng.below(50_000),
            "outputTokens": 900, "cost": 0.0}});
        self.event("session.usage_record", &usage.to_string());
        let answer = Obj::new()
            .field("messageId", self.rng.uuid())
            .field("model", "gpt-4.1")
            .field("content", self.rng.text(20, 80))
            .raw("toolRequests", "[]")
            .field("turnId", index.to_string())
            .done();
        self.event("assistant.message", &answer);
        self.event("assistant.turn_end", &turn);
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
    let system = rng.sentence(900);
    let mut writer = Writer {
        rng,
        now_ms: start_ms,
        parent: None,
        out: Vec::with_capacity(target_bytes + 64 * 1024),
    };
    let start = json!({"sessionId": id, "version": 1, "producer": "copilot-agent",
        "copilotVersion": "1.0.102", "startTime": rfc3339(start_ms), "selectedModel": "gpt-4.1",
        "context": {"cwd": cwd, "gitRoot": cwd, "branch": "main"}});
    writer.event("session.start", &start.to_string());
    writer.event(
        "system.message",
        &json!({"role": "system", "content": system}).to_string(),
    );
    let mut index = 0;
    while writer.out.len() < target_bytes {
        writer.turn(index, cwd, max_output);
        index += 1;
    }
    let name = writer.rng.text(4, 10);
    let workspace = format!(
        "id: {id}\ncwd: {cwd}\ngit_root: {cwd}\nbranch: main\nclient_name: github/cli\n\
         name: {}\nuser_named: false\nsummary_count: 0\nfork_count: 0\ncreated_at: {}\n\
         updated_at: {}\n",
        serde_json::to_string(&name).unwrap_or_default(),
        rfc3339(start_ms),
        rfc3339(writer.now_ms)
    );
    Session {
        id,
        events: writer.out,
        workspace,
        end_ms: writer.now_ms,
    }
}
