//! Qwen Code session files as 0.24.4 writes them: one chain of records (`parentUuid`), per turn
//! the user record, telemetry system records, assistant records with text and `functionCall`
//! parts, and a `tool_result` record per call.

use crate::rng::Rng;
use crate::{Obj, rfc3339};
use serde_json::json;

pub struct Session {
    pub id: String,
    pub jsonl: Vec<u8>,
    pub end_ms: i64,
}

struct Writer<'a> {
    rng: &'a mut Rng,
    id: String,
    cwd: String,
    now_ms: i64,
    parent: Option<String>,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn record(&mut self, kind: &str, provenance: &str, rest: &[(&str, String)]) {
        self.now_ms += 20 + i64::try_from(self.rng.below(2_000)).unwrap_or(0);
        let uuid = self.rng.uuid();
        let mut record = Obj::new()
            .field("uuid", &uuid)
            .field("parentUuid", &self.parent)
            .field("sessionId", &self.id)
            .field("timestamp", rfc3339(self.now_ms))
            .field("type", kind)
            .field("provenance", provenance)
            .field("cwd", &self.cwd)
            .field("version", "0.24.4")
            .field("gitBranch", "main");
        for (key, json) in rest {
            record = record.raw(key, json);
        }
        let record = record.done();
        self.out.extend_from_slice(record.as_bytes());
        self.out.push(b'\n');
        self.parent = Some(uuid);
    }

    fn telemetry(&mut self) {
        let payload = json!({"uiEvent": {"event.name": "qwen-code.api_response",
            "model": "qwen3-coder", "status_code": 200, "duration_ms": self.rng.below(4_000),
            "input_token_count": self.rng.below(50_000), "output_token_count": 300}});
        self.record(
            "system",
            "system",
            &[
                ("subtype", "\"ui_telemetry\"".into()),
                ("systemPayload", payload.to_string()),
            ],
        );
    }

    fn turn(&mut self, max_output: usize) {
        let prompt = self.rng.text(8, 40);
        let message = json!({"role": "user", "parts": [{"text": prompt}]});
        self.record("user", "real_user", &[("message", message.to_string())]);
        for _ in 0..1 + self.rng.below(4) {
            self.telemetry();
            let call_id = format!("call_{}", self.rng.hex(24));
            let command = format!("rg -n {} {}/src", self.rng.word(), self.cwd);
            let message = json!({"role": "model", "parts": [{"text": self.rng.text(5, 30)},
                {"functionCall": {"id": call_id, "name": "run_shell_command",
                    "args": {"command": command}}}]});
            let usage =
                r#"{"promptTokenCount":12000,"candidatesTokenCount":300,"totalTokenCount":12300}"#;
            self.record(
                "assistant",
                "assistant_output",
                &[
                    ("model", "\"qwen3-coder\"".into()),
                    ("message", message.to_string()),
                    ("usageMetadata", usage.into()),
                ],
            );
            let size = self.rng.skewed(100, max_output);
            let output = self.rng.output(size);
            let message = json!({"role": "user", "parts": [{"functionResponse": {"id": call_id,
                "name": "run_shell_command", "response": {"output": format!(
                    "Command: {command}\nDirectory: (root)\nOutput: {output}\nError: (none)\nExit Code: 0")}}}]});
            let result = json!({"callId": call_id, "status": "success",
                "resultDisplay": {"type": "shell_result", "output": output}});
            self.record(
                "tool_result",
                "tool_result",
                &[
                    ("message", message.to_string()),
                    ("toolCallResult", result.to_string()),
                ],
            );
        }
        self.telemetry();
        let message = json!({"role": "model", "parts": [{"text": self.rng.text(20, 80)}]});
        self.record(
            "assistant",
            "assistant_output",
            &[
                ("model", "\"qwen3-coder\"".into()),
                ("message", message.to_string()),
            ],
        );
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
    let mut writer = Writer {
        rng,
        id: id.clone(),
        cwd: cwd.to_owned(),
        now_ms: start_ms,
        parent: None,
        out: Vec::with_capacity(target_bytes + 64 * 1024),
    };
    while writer.out.len() < target_bytes {
        writer.turn(max_output);
    }
    Session {
        id,
        jsonl: writer.out,
        end_ms: writer.now_ms,
    }
}
