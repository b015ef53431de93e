//! Codex rollouts as 0.169 writes them: `session_meta` (with base instructions), then per turn a
//! `turn_context`, the user message (injected environment context first), its `event_msg`,
//! encrypted reasoning, shell calls with their output, the answer and token counts.

use crate::rng::Rng;
use crate::{civil_from_days, rfc3339};
use serde_json::{Value, json};

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
    fn line(&mut self, kind: &str, payload: Value) {
        self.now_ms += 100 + i64::try_from(self.rng.below(3_000)).unwrap_or(0);
        let line = json!({"timestamp": rfc3339(self.now_ms), "type": kind, "payload": payload});
        if let Ok(bytes) = serde_json::to_vec(&line) {
            self.out.extend_from_slice(&bytes);
            self.out.push(b'\n');
        }
    }

    fn message(&mut self, role: &str, kind: &str, text: &str) {
        self.line(
            "response_item",
            json!({"type": "message", "role": role, "content": [{"type": kind, "text": text}]}),
        );
    }

    fn turn(&mut self, cwd: &str, first: bool, max_output: usize) {
        self.line(
            "turn_context",
            json!({"cwd": cwd, "approval_policy": "on-request",
                   "sandbox_policy": {"type": "workspace-write", "network_access": false},
                   "model": "gpt-5.1-codex", "effort": "medium", "summary": "auto"}),
        );
        if first {
            let context = format!(
                "<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <shell>bash</shell>\n</environment_context>"
            );
            self.message("user", "input_text", &context);
        }
        let prompt = self.rng.text(8, 40);
        self.message("user", "input_text", &prompt);
        self.line(
            "event_msg",
            json!({"type": "user_message", "message": prompt, "images": []}),
        );
        for _ in 0..1 + self.rng.below(4) {
            let summary = self.rng.sentence(12);
            let encrypted = self.rng.hex(1_600);
            self.line(
                "response_item",
                json!({"type": "reasoning", "summary": [{"type": "summary_text", "text": summary}],
                       "content": null, "encrypted_content": encrypted}),
            );
            let call_id = format!("call_{}", self.rng.hex(24));
            let command = format!("rg -n {} src", self.rng.word());
            let arguments = json!({"command": ["bash", "-lc", command], "workdir": cwd}).to_string();
            self.line(
                "response_item",
                json!({"type": "function_call", "name": "shell", "arguments": arguments, "call_id": call_id}),
            );
            let size = self.rng.skewed(100, max_output);
            let output = json!({"output": self.rng.output(size),
                                "metadata": {"exit_code": 0, "duration_seconds": 0.1}})
            .to_string();
            self.line(
                "response_item",
                json!({"type": "function_call_output", "call_id": call_id, "output": output}),
            );
        }
        let answer = self.rng.text(20, 80);
        self.message("assistant", "output_text", &answer);
        self.line(
            "event_msg",
            json!({"type": "agent_message", "message": answer}),
        );
        let input = self.rng.below(50_000);
        self.line(
            "event_msg",
            json!({"type": "token_count", "info": {"total_token_usage": {"input_tokens": input,
                   "cached_input_tokens": input / 2, "output_tokens": 900, "reasoning_output_tokens": 300,
                   "total_tokens": input + 900}}, "rate_limits": null}),
        );
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
    writer.line(
        "session_meta",
        json!({"id": id, "timestamp": rfc3339(start_ms), "cwd": cwd, "originator": "codex_cli_rs",
               "cli_version": "0.169.0", "source": "cli",
               "base_instructions": {"text": instructions},
               "git": {"commit_hash": "0123456789abcdef0123456789abcdef01234567", "branch": "main"}}),
    );
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
