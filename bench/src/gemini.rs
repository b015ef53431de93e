//! Gemini CLI session files as 0.61.0 writes them: the metadata line, a `$set` checkpoint holding
//! the client's `<session_context>` message, then per turn the user record, each model record
//! written twice (bare, then again with its `toolCalls` and their results), the results once more
//! as a user record, and `$set` updates of `lastUpdated` between them.

use crate::rng::Rng;
use crate::{Obj, rfc3339};
use serde_json::json;

pub struct Session {
    pub id: String,
    /// `session-<YYYY-MM-DDTHH-MM>-<first 8 of the id>.jsonl`
    pub file_name: String,
    pub jsonl: Vec<u8>,
    pub end_ms: i64,
}

struct Writer<'a> {
    rng: &'a mut Rng,
    now_ms: i64,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn line(&mut self, line: &str) {
        self.out.extend_from_slice(line.as_bytes());
        self.out.push(b'\n');
    }

    fn tick(&mut self) -> String {
        self.now_ms += 20 + i64::try_from(self.rng.below(2_000)).unwrap_or(0);
        rfc3339(self.now_ms)
    }

    fn touched(&mut self) {
        let set = json!({"$set": {"lastUpdated": rfc3339(self.now_ms)}});
        self.line(&set.to_string());
    }

    fn model(&mut self, id: &str, text: &str, calls: Option<&serde_json::Value>) {
        let mut record = Obj::new()
            .field("id", id)
            .field("timestamp", rfc3339(self.now_ms))
            .field("type", "gemini")
            .field("content", text)
            .raw("thoughts", "[]")
            .raw(
                "tokens",
                r#"{"input":12000,"output":300,"cached":0,"thoughts":0,"tool":0,"total":12300}"#,
            )
            .field("model", "gemini-2.5-pro");
        if let Some(calls) = calls {
            record = record.field("toolCalls", calls);
        }
        let record = record.done();
        self.line(&record);
    }

    fn turn(&mut self, cwd: &str, max_output: usize) {
        let prompt = self.rng.text(8, 40);
        let user = Obj::new()
            .field("id", self.rng.uuid())
            .field("timestamp", self.tick())
            .field("type", "user")
            .field("content", [json!({"text": prompt})])
            .done();
        self.line(&user);
        self.touched();
        for _ in 0..1 + self.rng.below(4) {
            let id = self.rng.uuid();
            let text = self.rng.text(5, 30);
            self.tick();
            self.model(&id, &text, None);
            self.touched();
            let call_id = format!("run_shell_command__{}", self.rng.hex(16));
            let command = format!("rg -n {} {cwd}/src", self.rng.word());
            let size = self.rng.skewed(100, max_output);
            let output = format!(
                "<untrusted_context>\nOutput: {}\nProcess Group PGID: {}\n</untrusted_context>",
                self.rng.output(size),
                self.rng.below(90_000)
            );
            let response = json!({"functionResponse": {"id": call_id, "name": "run_shell_command",
                "response": {"output": output}}});
            let calls = json!([{"id": call_id, "name": "run_shell_command",
                "args": {"command": command}, "result": [response], "status": "success",
                "timestamp": self.tick(), "resultDisplay": "(output)",
                "description": command, "displayName": "Shell", "renderOutputAsMarkdown": false}]);
            self.model(&id, &text, Some(&calls));
            let results = Obj::new()
                .field("id", self.rng.uuid())
                .field("timestamp", self.tick())
                .field("type", "user")
                .field("content", [response])
                .done();
            self.line(&results);
            self.touched();
        }
        let id = self.rng.uuid();
        let answer = self.rng.text(20, 80);
        self.tick();
        self.model(&id, &answer, None);
        self.touched();
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
    let context = format!(
        "<session_context>\nThis is the Gemini CLI. We are setting up the context for our chat.\n\
         - **Workspace Directories:**\n  - {cwd}\n{}\n</session_context>",
        rng.sentence(300)
    );
    let mut writer = Writer {
        rng,
        now_ms: start_ms,
        out: Vec::with_capacity(target_bytes + 64 * 1024),
    };
    let start = rfc3339(start_ms);
    let meta = Obj::new()
        .field("sessionId", &id)
        .field("projectHash", writer.rng.hex(64))
        .field("startTime", &start)
        .field("lastUpdated", &start)
        .field("kind", "main")
        .done();
    writer.line(&meta);
    let checkpoint = json!({"$set": {"messages": [{"id": writer.rng.hex(32), "timestamp": start,
        "type": "user", "content": [{"text": context}]}], "lastUpdated": start}});
    writer.line(&checkpoint.to_string());
    while writer.out.len() < target_bytes {
        writer.turn(cwd, max_output);
    }
    let minute = start.get(..16).unwrap_or_default().replace(':', "-");
    Session {
        file_name: format!("session-{minute}-{}.jsonl", id.get(..8).unwrap_or_default()),
        id,
        jsonl: writer.out,
        end_ms: writer.now_ms,
    }
}
