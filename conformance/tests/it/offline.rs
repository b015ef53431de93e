//! Offline checks of the suite's own parts (no clients needed): the mock speaks each protocol and
//! follows its script, and the history assertion rejects what the matrix must catch.

#![allow(clippy::unwrap_used)]

use handoff_conformance::clients;
use handoff_conformance::history::{self, Item};
use handoff_conformance::mock::{MockServer, Protocol, ToolIntent, Turn};
use handoff_conformance::scenario::{
    self, ASSISTANT, ERROR_FILE, FINAL, RESUME_PROMPT, TOOL_OUTPUT, USER,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Sends one request, returns (status, body).
fn send(mock: &MockServer, method: &str, path: &str, body: &Value) -> (u16, String) {
    let address = mock.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(address).unwrap();
    let body = body.to_string();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

fn script() -> Vec<Turn> {
    vec![
        Turn {
            text: Some("first".into()),
            tool: Some(ToolIntent::Shell("echo hi".into())),
        },
        Turn {
            text: None,
            tool: Some(ToolIntent::ReadFile("/nope".into())),
        },
    ]
}

#[test]
fn anthropic_turns_follow_the_tool_results_in_the_request() {
    let mock = MockServer::start(script(), "done text").unwrap();
    let tools = json!([{"name": "Bash", "input_schema": {}}, {"name": "Read", "input_schema": {}}]);
    let (status, first) = send(
        &mock,
        "POST",
        "/v1/messages?beta=true",
        &json!({"model": "m", "tools": tools, "messages": [{"role": "user", "content": "go"}]}),
    );
    assert_eq!(status, 200);
    assert!(first.contains("event: message_start"), "{first}");
    assert!(
        first.contains(r#""name":"Bash""#) && first.contains(r#"\"command\":\"echo hi\""#),
        "{first}"
    );
    assert!(first.contains(r#""stop_reason":"tool_use""#), "{first}");

    let one_result = json!([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "hi"}]}
    ]);
    let (_, second) = send(
        &mock,
        "POST",
        "/v1/messages",
        &json!({"tools": tools, "messages": one_result}),
    );
    assert!(
        second.contains(r#""name":"Read""#) && second.contains(r#"\"file_path\":\"/nope\""#),
        "{second}"
    );

    // Past the script, and for requests without tools (titles), the fallback text.
    let (_, title) = send(
        &mock,
        "POST",
        "/v1/messages",
        &json!({"messages": one_result}),
    );
    assert!(
        title.contains("done text") && !title.contains("tool_use"),
        "{title}"
    );
    let (status, count) = send(
        &mock,
        "POST",
        "/v1/messages/count_tokens?beta=true",
        &json!({}),
    );
    assert_eq!((status, count.as_str()), (200, r#"{"input_tokens":10}"#));

    let requests = mock.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        requests[1].history()[2],
        Item::ToolResult {
            call_id: "t1".into(),
            output: "hi".into(),
            is_error: None
        }
    );
    assert_eq!(mock.agent_requests().len(), 2);
}

#[test]
fn responses_refuses_the_websocket_and_calls_codex_tools() {
    let mock = MockServer::start(script(), "done").unwrap();
    let (status, _) = send(&mock, "GET", "/v1/responses", &json!({}));
    assert_eq!(status, 426);
    let tools = json!([{"type": "function", "name": "exec_command", "parameters": {}}]);
    let (_, first) = send(
        &mock,
        "POST",
        "/v1/responses",
        &json!({"tools": tools, "input": []}),
    );
    assert!(first.contains("event: response.completed"), "{first}");
    assert!(
        first.contains(r#""type":"function_call""#) && first.contains(r#"\"cmd\":\"echo hi\""#),
        "{first}"
    );
    // Codex has no read tool: the failing read becomes a shell `cat`.
    let input = json!([
        {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "hi"}
    ]);
    let (_, second) = send(
        &mock,
        "POST",
        "/v1/responses",
        &json!({"tools": tools, "input": input}),
    );
    assert!(second.contains(r#"\"cmd\":\"cat /nope\""#), "{second}");
}

#[test]
fn chat_completions_stream_tool_calls_then_text() {
    let mock = MockServer::start(script(), "final words").unwrap();
    let tools = json!([{"type": "function", "function": {"name": "bash"}}, {"type": "function", "function": {"name": "read"}}]);
    let (_, first) = send(
        &mock,
        "POST",
        "/v1/chat/completions",
        &json!({"tools": tools, "messages": []}),
    );
    assert!(
        first.contains(r#""finish_reason":"tool_calls""#) && first.ends_with("data: [DONE]\n\n"),
        "{first}"
    );
    let messages = json!([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "a", "type": "function", "function": {"name": "bash", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "b", "type": "function", "function": {"name": "read", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "b", "content": "missing"}
    ]);
    let (_, last) = send(
        &mock,
        "POST",
        "/v1/chat/completions",
        &json!({"tools": tools, "messages": messages}),
    );
    assert!(
        last.contains("final words") && last.contains(r#""finish_reason":"stop""#),
        "{last}"
    );
}

fn good_history() -> Vec<Item> {
    vec![
        Item::System("instructions".into()),
        Item::User(format!("{USER}: go")),
        Item::Assistant(format!("{ASSISTANT}: running")),
        Item::ToolCall {
            id: "c1".into(),
            name: "Bash".into(),
            arguments: r#"{"command":"printf '%s_%s\n' HOK_OUT 42"}"#.into(),
        },
        Item::ToolResult {
            call_id: "c1".into(),
            output: TOOL_OUTPUT.into(),
            is_error: Some(false),
        },
        Item::ToolCall {
            id: "c2".into(),
            name: "Read".into(),
            arguments: format!(r#"{{"file_path":"/p/{ERROR_FILE}.txt"}}"#),
        },
        Item::ToolResult {
            call_id: "c2".into(),
            output: "File does not exist.".into(),
            is_error: Some(true),
        },
        Item::Assistant(format!("{FINAL}: done")),
        Item::User(RESUME_PROMPT.into()),
    ]
}

#[test]
fn history_check_accepts_the_scenario_in_native_form() {
    scenario::check_history(&good_history()).unwrap();
}

#[test]
fn history_check_rejects_flattened_reordered_or_unpaired_tools() {
    let mut flattened = good_history();
    flattened.splice(
        3..5,
        [Item::User(format!(
            "[tool Bash] printf HOK_OUT 42 -> {TOOL_OUTPUT}"
        ))],
    );
    assert!(scenario::check_history(&flattened).is_err());

    let mut final_first = good_history();
    let last_reply = final_first.remove(7);
    final_first.insert(2, last_reply);
    assert!(scenario::check_history(&final_first).is_err());

    let mut unpaired = good_history();
    unpaired[4] = Item::ToolResult {
        call_id: "other".into(),
        output: TOOL_OUTPUT.into(),
        is_error: None,
    };
    assert!(scenario::check_history(&unpaired).is_err());

    let mut no_resume_prompt = good_history();
    no_resume_prompt.pop();
    assert!(scenario::check_history(&no_resume_prompt).is_err());
}

/// Cline's resume request (chat completions) as Cline 3.0.65 sends a session it wrote headless:
/// a `[SYSTEM]` user nudge after the prompt, the final reply with its `submit_and_exit` call and
/// result. The check skips both (they are not the scenario's items and carry no tool output), so
/// it needs no Cline exception.
#[test]
fn history_check_accepts_clines_nudges_and_completion_tool() {
    let call = |id: &str, name: &str, arguments: Value| {
        json!({"id": id, "type": "function",
            "function": {"name": name, "arguments": arguments.to_string()}})
    };
    let body = json!({"tools": [{"type": "function", "function": {"name": "run_commands"}}],
        "messages": [
        {"role": "system", "content": "You are Cline"},
        {"role": "user", "content": format!("{USER}: run the marker command")},
        {"role": "user", "content": "[SYSTEM] This run is not complete until you call one of \
            these terminal completion tools: submit_and_exit."},
        {"role": "assistant", "content": format!("{ASSISTANT}: running"), "tool_calls": [
            call("c1", "run_commands", json!({"commands": ["printf '%s_%s\\n' HOK_OUT 42"]}))]},
        {"role": "tool", "tool_call_id": "c1",
            "content": json!([{"query": "printf", "result": format!("{TOOL_OUTPUT}\n"), "success": true}]).to_string()},
        {"role": "assistant", "content": null, "tool_calls": [
            call("c2", "read_files", json!({"files": [{"path": format!("/p/{ERROR_FILE}.txt")}]}))]},
        {"role": "tool", "tool_call_id": "c2",
            "content": json!([{"query": "/p", "result": "", "error": "ENOENT", "success": false}]).to_string()},
        {"role": "assistant", "content": format!("{FINAL}: done"), "tool_calls": [
            call("c3", "submit_and_exit", json!({"summary": format!("{FINAL}: done"), "verified": true}))]},
        {"role": "tool", "tool_call_id": "c3", "content": format!("Submission recorded (verified): {FINAL}: done")},
        {"role": "user", "content": RESUME_PROMPT},
    ]});
    let items = history::items(Protocol::ChatCompletions, &body);
    scenario::check_history(&items).unwrap();
}

#[test]
fn terminal_output_loses_its_escape_sequences() {
    let screen = "\u{1b}[20;3H\u{1b}[38;2;131;137;140m\u{1b}[49mAsk anything...\u{1b}[0m\r\n\
                  \u{1b}]0;title\u{7}\u{1b}[?25lok";
    assert_eq!(clients::strip_ansi(screen), "Ask anything...\nok");
}

/// A Cline turn is over once the session ends, after the prompt, with an assistant reply that
/// calls no tool.
#[test]
fn cline_turn_ends_with_a_reply_without_tool_calls() {
    let sessions = tempfile::tempdir().unwrap();
    let id = "1796416914805_9wach";
    std::fs::create_dir_all(sessions.path().join(id)).unwrap();
    let write = |messages: Value| {
        let file = sessions.path().join(id).join(format!("{id}.messages.json"));
        std::fs::write(
            file,
            json!({"version": 1, "messages": messages}).to_string(),
        )
        .unwrap();
    };
    let prompt = "HOK_RESUME what now?";
    let asked = json!({"role": "user", "content": [{"type": "text",
        "text": format!("<user_input mode=\"act\">{prompt}</user_input>")}]});
    let done = || clients::cline_turn_done(sessions.path(), Some(id), prompt);
    let any_done = || clients::cline_turn_done(sessions.path(), None, prompt);
    assert!(!done(), "no file yet");
    write(json!([asked]));
    assert!(!done(), "not answered");
    write(json!([asked, {"role": "assistant", "content": [
        {"type": "text", "text": "working"},
        {"type": "tool_use", "id": "c1", "name": "run_commands", "input": {}}]}]));
    assert!(!done(), "a tool call is not the end of a turn");
    write(json!([asked, {"role": "assistant", "content": [{"type": "text", "text": "answer"}]}]));
    assert!(done() && any_done());
    assert!(!clients::cline_turn_done(
        sessions.path(),
        Some(id),
        "another prompt"
    ));
}
