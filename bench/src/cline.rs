//! Cline 3.0.65 sessions: per session a folder with the conversation `<id>.messages.json` (user
//! prompts wrapped in `<user_input>`, assistant messages with text and a `run_commands` call, a
//! user message of `tool_result`s per answer) and the manifest `<id>.json`, both indented by two
//! spaces as the client writes them.

use crate::rfc3339;
use crate::rng::Rng;
use serde_json::{Value, json};

pub struct Session {
    pub id: String,
    pub messages_json: Vec<u8>,
    pub manifest_json: Vec<u8>,
    pub end_ms: i64,
}

pub fn session(
    rng: &mut Rng,
    cwd: &str,
    start_ms: i64,
    target_bytes: usize,
    max_output: usize,
) -> Session {
    let id = format!("{start_ms}_{}", &rng.hex(5));
    let mut now_ms = start_ms;
    let mut messages: Vec<Value> = Vec::new();
    let mut size = 0;
    let model_info = json!({"id": "mock-model", "provider": "openai-compatible"});
    let prompt = rng.text(8, 40);
    let mut first = true;
    while size < target_bytes {
        let text = if first {
            prompt.clone()
        } else {
            rng.text(8, 40)
        };
        first = false;
        messages.push(json!({"id": rng.uuid(), "role": "user", "ts": now_ms,
            "content": [{"type": "text", "text": format!("<user_input mode=\"act\">{text}</user_input>")}]}));
        for _ in 0..1 + rng.below(4) {
            now_ms += 20 + i64::try_from(rng.below(2_000)).unwrap_or(0);
            let call_id = format!("call_{}", rng.hex(24));
            let command = format!("rg -n {} {cwd}/src", rng.word());
            let output_size = rng.skewed(100, max_output);
            let output = rng.output(output_size);
            size += output.len() + 400;
            messages.push(
                json!({"id": format!("msg_{}", rng.hex(8)), "role": "assistant",
                "ts": now_ms, "modelInfo": model_info,
                "content": [{"type": "text", "text": rng.text(5, 30)},
                    {"type": "tool_use", "id": call_id, "name": "run_commands",
                     "input": {"commands": [command]}}]}),
            );
            messages.push(
                json!({"id": format!("msg_{}", rng.hex(8)), "role": "user", "ts": now_ms,
                "content": [{"type": "tool_result", "tool_use_id": call_id, "name": "run_commands",
                    "content": [{"query": command, "result": output, "success": true}]}]}),
            );
        }
        now_ms += 20 + i64::try_from(rng.below(2_000)).unwrap_or(0);
        messages.push(
            json!({"id": format!("msg_{}", rng.hex(8)), "role": "assistant",
            "ts": now_ms, "modelInfo": model_info,
            "content": [{"type": "text", "text": rng.text(20, 80)}]}),
        );
    }
    let document = json!({"version": 1, "updated_at": rfc3339(now_ms), "agent": "lead",
        "sessionId": id,
        "origin": {"source": "cli", "mode": "user", "sessionId": id, "version": "3.0.65"},
        "messages": messages});
    let manifest = json!({"version": 1, "session_id": id, "source": "cli", "pid": 1,
        "started_at": rfc3339(start_ms), "ended_at": rfc3339(now_ms), "exit_code": 0,
        "status": "completed", "interactive": false, "provider": "openai-compatible",
        "model": "mock-model", "cwd": cwd, "workspace_root": cwd, "enable_tools": true,
        "enable_spawn": false, "enable_teams": false, "prompt": prompt,
        "metadata": {"title": prompt}});
    Session {
        messages_json: serde_json::to_vec_pretty(&document).unwrap_or_default(),
        manifest_json: serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        id,
        end_ms: now_ms,
    }
}
