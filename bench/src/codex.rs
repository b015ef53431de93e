//! Codex rollouts as 0.169 writes them: `session_meta` (with base instructions), then per turn a
//! `turn_context`, the user message (injected environment context first), its `event_msg`,
//! encrypted reasoning, shell calls with their output, the answer and token counts.

use crate::rng::Rng;
use crate::{Obj, civil_from_days, rfc3339};
use serde_json::json;

pub struct Rollout {
    pub id: String,
    /// `sessions/YYYY/MM/DD/rollout-….jsonl`, relative to the Codex home.
    pub relative_path: String,
    pub jsonl: Vec<u8>,
    pub end_ms: i64,
}

struct Writer<'a> {
    rng: &'a mut Rng,
    now_ms: i64,
    out: Vec<u8>,
}

impl Writer<'_> {
    fn line(&mut self, kind: &str, payload: &str) {
        self.now_ms += 100 + i64::try_from(self.rng.below(3_000)).unwrap_or(0);
        let line = Obj::new()
            .field("timestamp", rfc3339(self.now_ms))
            .field("type", kind)
            .raw("payload", payload)
            .done();
        self.out.extend_from_slice(line.as_bytes());
        self.out.push(b'\n');
    }

    fn message(&mut self, role: &str, kind: &str, text: &str) {
        let content = Obj::new().field("type", kind).field("text", text).done();
        let payload = Obj::new()
            .field("type", "message")
            .field("role", role)
            .raw("content", &format!("[{content}]"))
            .done();
        self.line("response_item", &payload);
    }

    fn event(&mut self, kind: &str, message: &str) {
        let mut payload = Obj::new().field("type", kind).field("message", message);
        if kind == "user_message" {
            payload = payload.raw("images", "[]");
        }
        self.line("event_msg", &payload.done());
    }

    fn turn(&mut self, cwd: &str, first: bool, max_output: usize) {
        let context = Obj::new()
            .field("cwd", cwd)
            .field("approval_policy", "on-request")
            .field(
                "sandbox_policy",
                json!({"type": "workspace-write", "network_access": false}),
            )
            .field("model", "gpt-5.1-codex")
            .field("effort", "medium")
            .field("summary", "auto")
            .done();
        self.line("turn_context", &context);
        if first {
            let context = format!(
                "<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <shell>bash</shell>\n</environment_context>"
            );
            self.message("user", "input_text", &context);
        }
        let prompt = self.rng.text(8, 40);
        self.message("user", "input_text", &prompt);
        self.event("user_message", &prompt);
        for _ in 0..1 + self.rng.below(4) {
            let summary = Obj::new()
                .field("type", "summary_text")
                .field("text", self.rng.sentence(12))
                .done();
            let reasoning = Obj::new()
                .field("type", "reasoning")
                .raw("summary", &format!("[{summary}]"))
                .field("content", ())
                .field("encrypted_content", self.rng.hex(1_600))
                .done();
            self.line("response_item", &reasoning);
            let call_id = format!("call_{}", self.rng.hex(24));
            let command = format!("rg -n {} src", self.rng.word());
            let arguments =
                json!({"command": ["bash", "-lc", command], "workdir": cwd}).to_string();
            let call = Obj::new()
                .field("type", "function_call")
                .field("name", "shell")
                .field("arguments", arguments)
                .field("call_id", &call_id)
                .done();
            self.line("response_item", &call);
            let size = self.rng.skewed(100, max_output);
            let output = Obj::new()
                .field("output", self.rng.output(size))
                .raw("metadata", r#"{"exit_code":0,"duration_seconds":0.1}"#)
                .done();
            let result = Obj::new()
                .field("type", "function_call_output")
                .field("call_id", &call_id)
                .field("output", output)
                .done();
            self.line("response_item", &result);
        }
        let answer = self.rng.text(20, 80);
        self.message("assistant", "output_text", &answer);
        self.event("agent_message", &answer);
        let input = self.rng.below(50_000);
        let usage = json!({"total_token_usage": {"input_tokens": input,
                   "cached_input_tokens": input / 2, "output_tokens": 900, "reasoning_output_tokens": 300,
                   "total_tokens": input + 900}});
        let tokens = Obj::new()
            .field("type", "token_count")
            .field("info", usage)
            .field("rate_limits", ())
            .done();
        self.line("event_msg", &tokens);
    }
}

pub fn rollout(
    rng: &mut Rng,
    cwd: &str,
    start_ms: i64,
    target_bytes: usize,
    max_output: usize,
) -> Rollout {
    let id = rng.uuid();
    let instructions = rng.sentence(700);
    let mut writer = Writer {
        rng,
        now_ms: start_ms,
        out: Vec::with_capacity(target_bytes + 64 * 1024),
    };
    let meta = Obj::new()
        .field("id", &id)
        .field("timestamp", rfc3339(start_ms))
        .field("cwd", cwd)
        .field("originator", "codex_cli_rs")
        .field("cli_version", "0.169.0")
        .field("source", "cli")
        .field("base_instructions", json!({"text": instructions}))
        .field(
            "git",
            json!({"commit_hash": "0123456789abcdef0123456789abcdef01234567", "branch": "main"}),
        )
        .done();
    writer.line("session_meta", &meta);
    let mut first = true;
    while writer.out.len() < target_bytes {
        writer.turn(cwd, first, max_output);
        first = false;
    }
    let secs = start_ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let relative_path = format!(
        "sessions/{y:04}/{m:02}/{d:02}/rollout-{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}-{id}.jsonl",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    Rollout {
        id,
        relative_path,
        jsonl: writer.out,
        end_ms: writer.now_ms,
    }
}
