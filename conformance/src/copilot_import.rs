//! Copilot CLI's own importer as an oracle: a transcript handoff would write, converted to the
//! client's interchange format (`copilot sessions import --dry-run` validates it line by line),
//! must be accepted whole. What the native store needs beyond what the importer checks is in
//! `plugins/copilot/README.md`.

use serde_json::{Value, json};

/// The interchange JSONL of a transcript (handoff's `--format json`): a `session` header, then
/// `message`, `tool-call` and `tool-result` records. Each user message opens a turn; calls and
/// results carry the turn of the assistant message they follow.
pub fn interchange(transcript: &Value) -> String {
    let session = &transcript["session"];
    let time = |ms: Option<i64>| {
        jiff::Timestamp::from_millisecond(ms.unwrap_or(1_764_000_000_000))
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    let mut lines = vec![json!({
        "type": "session", "version": 1,
        "externalId": session["id"].as_str().unwrap_or("handoff"),
        "createdAt": time(session["created_ms"].as_i64()),
        "title": session["title"].as_str().unwrap_or("handoff"),
        "source": {"application": "handoff"},
        "workspace": {"workingDirectory": session["cwd"]},
    })];
    let mut turn = 0;
    let mut record = 0;
    let mut next_id = |prefix: &str| {
        record += 1;
        format!("{prefix}{record}")
    };
    // Whether the current turn has an assistant message yet: a tool call must follow one.
    let mut answered = false;
    for message in transcript["messages"].as_array().into_iter().flatten() {
        let at = time(message["timestamp_ms"].as_i64());
        let speaker = if message["role"] == "assistant" {
            "assistant"
        } else {
            "user"
        };
        let mut texts: Vec<Value> = Vec::new();
        let parts = message["parts"].as_array().into_iter().flatten();
        // Parts in order: a run of text is one message, calls and results follow it.
        for part in parts.map(Some).chain([None]) {
            let kind = part.and_then(|p| p["type"].as_str());
            if kind == Some("text") {
                texts.push(json!({"type": "text", "text": part.map(|p| &p["text"])}));
                continue;
            }
            if !texts.is_empty() {
                if speaker == "user" {
                    turn += 1;
                    answered = false;
                } else {
                    answered = true;
                }
                lines.push(
                    json!({"type": "message", "id": next_id("m"), "timestamp": at,
                    "role": speaker, "content": std::mem::take(&mut texts),
                    "turnId": format!("t{turn}")}),
                );
            }
            let Some(part) = part else { break };
            match kind {
                Some("tool_call") => {
                    if !answered {
                        // The importer wants a non-empty assistant message before a call; the
                        // native store does not (the client writes ones with calls only).
                        lines.push(json!({"type": "message", "id": next_id("m"),
                            "timestamp": at, "role": "assistant",
                            "content": [{"type": "text", "text": "(tool call)"}],
                            "turnId": format!("t{turn}")}));
                        answered = true;
                    }
                    lines.push(
                        json!({"type": "tool-call", "id": part["id"], "timestamp": at,
                        "name": part["name"], "arguments": part["input"],
                        "turnId": format!("t{turn}")}),
                    );
                }
                Some("tool_result") => {
                    let mut result = json!({"type": "tool-result", "id": next_id("r"),
                        "timestamp": at, "toolCallId": part["call_id"],
                        "turnId": format!("t{turn}")});
                    if part["is_error"] == true {
                        result["success"] = json!(false);
                        result["error"] = json!({"message": part["output"]});
                    } else {
                        result["success"] = json!(true);
                        result["content"] = part["output"].clone();
                    }
                    lines.push(result);
                }
                _ => {}
            }
        }
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}
