//! VS Code Copilot Chat's store as the editor writes it (see `plugins/vscode-copilot/README.md`):
//! one `chatSessions/<session id>.json` per chat in its workspace's storage folder, indented by two
//! spaces (`JSON.stringify(data, undefined, 2)`), beside the folder's `workspace.json`. Per
//! request the prompt, the response parts VS Code shows (markdown and one terminal
//! `toolInvocationSerialized` per step) and, as the Copilot extension keeps them, the model's
//! rounds (`result.metadata.toolCallRounds`: text and a `run_in_terminal` call each, then the
//! answer) with every call's output in `toolCallResults`.

use crate::rng::Rng;
use serde_json::{Map, Value, json};

pub struct Session {
    pub id: String,
    pub json: Vec<u8>,
    pub end_ms: i64,
}

/// A workspace folder's `workspace.json`, naming the project folder.
pub fn workspace_json(folder: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({"folder": crate::file_uri(folder)})).unwrap_or_default()
}

fn markdown(text: &str) -> Value {
    json!({"value": text, "supportThemeIcons": false, "supportHtml": false})
}

/// A request's message: its text and the one text part the chat input made of it.
fn message(text: &str) -> Value {
    // UTF-16 units in VS Code; the generated text is ASCII.
    let len = text.len();
    json!({"text": text, "parts": [{"range": {"start": 0, "endExclusive": len},
        "editorRange": {"startLineNumber": 1, "startColumn": 1, "endLineNumber": 1,
            "endColumn": len + 1},
        "text": text, "kind": "text"}]})
}

pub fn session(
    rng: &mut Rng,
    cwd: &str,
    start_ms: i64,
    target_bytes: usize,
    max_output: usize,
) -> Session {
    let id = rng.uuid();
    let mut now_ms = start_ms;
    let mut requests = Vec::new();
    let mut size = 0;
    while size < target_bytes {
        let asked_ms = now_ms;
        let prompt = rng.text(8, 40);
        let mut response = Vec::new();
        let mut rounds = Vec::new();
        let mut results = Map::new();
        for _ in 0..1 + rng.below(4) {
            now_ms += 20 + i64::try_from(rng.below(2_000)).unwrap_or(0);
            let call_id = format!("call_{}", rng.hex(24));
            let command = format!("rg -n {} {cwd}/src", rng.word());
            let text = rng.text(5, 30);
            let output_size = rng.skewed(100, max_output);
            let output = rng.output(output_size);
            // The output (its newlines escaped) and the call's share of the indented JSON.
            size += output.len() * 41 / 40 + 1_900;
            response.push(markdown(&text));
            response.push(json!({"kind": "toolInvocationSerialized",
                "invocationMessage": format!("Running `{command}`"),
                "pastTenseMessage": format!("Ran `{command}`"),
                "isConfirmed": {"type": 1}, "isComplete": true,
                "source": {"type": "internal", "label": "Built-In"},
                "toolSpecificData": {"kind": "terminal", "commandLine": {"original": command},
                    "language": "sh"},
                "toolCallId": call_id, "toolId": "run_in_terminal"}));
            // The model's arguments as the JSON text it wrote.
            let arguments = json!({"command": command, "explanation": "Search the sources.",
                "isBackground": false});
            rounds.push(
                json!({"response": text, "toolCalls": [{"name": "run_in_terminal",
                "arguments": arguments.to_string(), "id": call_id}],
                "toolInputRetry": 0, "id": format!("round_{}", rng.hex(8))}),
            );
            results.insert(
                call_id,
                json!({"$mid": 20, "content": [{"$mid": 21, "value": output}]}),
            );
        }
        now_ms += 20 + i64::try_from(rng.below(2_000)).unwrap_or(0);
        let answer = rng.text(20, 80);
        response.push(markdown(&answer));
        rounds.push(
            json!({"response": answer, "toolCalls": [], "toolInputRetry": 0,
            "id": format!("round_{}", rng.hex(8))}),
        );
        requests.push(json!({"requestId": format!("request_{}", rng.uuid()),
            "message": message(&prompt), "variableData": {"variables": []},
            "response": response,
            "result": {"timings": {"firstProgress": 600, "totalElapsed": now_ms - asked_ms},
                "metadata": {"modelMessageId": rng.uuid(), "responseId": rng.uuid(),
                    "sessionId": rng.uuid(), "agentId": "github.copilot.editsAgent",
                    "toolCallRounds": rounds, "toolCallResults": results}},
            "followups": [], "isCanceled": false, "contentReferences": [], "codeCitations": [],
            "timestamp": asked_ms, "modelId": "copilot/gpt-4.1"}));
        // The request's own fields, indented.
        size += 2_400;
        now_ms += 1_000;
    }
    let chat = json!({"version": 3, "requesterUsername": "dev",
        "responderUsername": "GitHub Copilot", "initialLocation": "panel",
        "requests": requests, "sessionId": id, "creationDate": start_ms, "isImported": false,
        "lastMessageDate": now_ms});
    Session {
        json: serde_json::to_vec_pretty(&chat).unwrap_or_default(),
        id,
        end_ms: now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_keeps_its_rounds_and_every_result() {
        let session = session(&mut Rng::new(1), "/w/p", crate::EPOCH_MS, 20_000, 2_000);
        let chat: Value = serde_json::from_slice(&session.json).unwrap();
        assert_eq!(chat["sessionId"], session.id.as_str());
        for request in chat["requests"].as_array().unwrap() {
            let metadata = &request["result"]["metadata"];
            let calls: Vec<&Value> = metadata["toolCallRounds"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|round| round["toolCalls"].as_array().unwrap())
                .collect();
            assert!(!calls.is_empty());
            for call in calls {
                let id = call["id"].as_str().unwrap();
                assert!(metadata["toolCallResults"][id]["content"][0]["value"].is_string());
            }
        }
    }
}
