//! A recording mock model server on 127.0.0.1 that speaks the four wire protocols the clients use:
//! Anthropic Messages SSE, OpenAI Responses SSE, OpenAI chat-completions SSE and Gemini
//! `streamGenerateContent` SSE.
//!
//! It is stateless per request: the answer to a model request is chosen from the script by the
//! number of tool results already in the request's history, so retries and side requests (titles)
//! never shift the script. Requests without tools (title generation, quota probes) get plain text.

use crate::history::{self, Item};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Which wire protocol a request used (decided by its path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Anthropic,
    Responses,
    ChatCompletions,
    Gemini,
}

/// What the scripted model asks the client to run.
#[derive(Clone, Debug)]
pub enum ToolIntent {
    /// Run a shell command with the client's shell tool.
    Shell(String),
    /// Read a file with the client's read tool.
    ReadFile(String),
}

/// One scripted model answer: optional text, then optional tool call.
#[derive(Clone, Debug)]
pub struct Turn {
    pub text: Option<String>,
    pub tool: Option<ToolIntent>,
}

/// One request the mock received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// Parsed JSON body, or `Value::String` with the raw text when it is not JSON.
    pub body: Value,
    /// When the request arrived (for timing diagnostics).
    pub received: Instant,
}

impl Recorded {
    /// The protocol of a model request (`None` for anything else: token counts, probes).
    pub fn model_protocol(&self) -> Option<Protocol> {
        if self.method != "POST" {
            return None;
        }
        let path = self.path.split('?').next().unwrap_or_default();
        match path {
            "/v1/messages" => Some(Protocol::Anthropic),
            "/v1/responses" => Some(Protocol::Responses),
            "/v1/chat/completions" => Some(Protocol::ChatCompletions),
            _ if path.starts_with("/v1beta/models/")
                && (path.ends_with(":streamGenerateContent")
                    || path.ends_with(":generateContent")) =>
            {
                Some(Protocol::Gemini)
            }
            _ => None,
        }
    }

    /// The conversation this model request carried, normalised.
    pub fn history(&self) -> Vec<Item> {
        self.model_protocol()
            .map(|protocol| history::items(protocol, &self.body))
            .unwrap_or_default()
    }

    /// True when the request offers the model tools (the main agent loop, not a title request).
    pub fn has_tools(&self) -> bool {
        !tool_names(&self.body).is_empty()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Limits that keep a misbehaving client from hanging a test.
const MAX_REQUESTS: usize = 200;
const LIFETIME: Duration = Duration::from_secs(600);
const IO_TIMEOUT: Duration = Duration::from_secs(20);

struct Shared {
    script: Vec<Turn>,
    fallback_text: String,
    requests: Mutex<Vec<Recorded>>,
    served: AtomicUsize,
    stop: AtomicBool,
}

/// The running mock. Dropping it stops the accept loop.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: Option<JoinHandle<()>>,
}

impl MockServer {
    /// A mock that answers model requests from `script`, then with `fallback_text`.
    pub fn start(script: Vec<Turn>, fallback_text: &str) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script,
            fallback_text: fallback_text.to_owned(),
            requests: Mutex::new(Vec::new()),
            served: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let loop_shared = Arc::clone(&shared);
        let accept_loop = std::thread::spawn(move || accept_loop(&listener, &loop_shared));
        Ok(MockServer {
            addr,
            shared,
            accept_loop: Some(accept_loop),
        })
    }

    /// A mock that only ever answers with `text` (for resumes).
    pub fn replying(text: &str) -> std::io::Result<MockServer> {
        MockServer::start(Vec::new(), text)
    }

    /// `http://127.0.0.1:<port>` (no trailing slash, no `/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .map(|requests| requests.clone())
            .unwrap_or_default()
    }

    /// The model requests of the agent loop (with tools), in arrival order.
    pub fn agent_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.model_protocol().is_some() && request.has_tools())
            .collect()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.accept_loop.take() {
            let _ = handle.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    let deadline = Instant::now() + LIFETIME;
    while !shared.stop.load(Ordering::SeqCst) && Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(shared);
                // Connection threads are detached: they end with their socket (IO timeouts bound them).
                std::thread::spawn(move || {
                    let _ = serve_connection(stream, &shared);
                });
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Serves requests on one connection (keep-alive) until the client closes it.
fn serve_connection(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let over_limit = shared.served.fetch_add(1, Ordering::SeqCst) >= MAX_REQUESTS;
        let response = if over_limit {
            http_response(503, "application/json", r#"{"error":"mock request limit"}"#)
        } else {
            respond(&request, shared)
        };
        if let Ok(mut requests) = shared.requests.lock() {
            requests.push(request);
        }
        writer.write_all(&response)?;
        writer.flush()?;
    }
    Ok(())
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Recorded>> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line)? == 0 {
        return Ok(None);
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let body = if header("transfer-encoding").is_some_and(|value| value.contains("chunked")) {
        read_chunked(reader)?
    } else {
        let length = header("content-length")
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    Ok(Some(Recorded {
        method,
        path,
        headers,
        body,
        received: Instant::now(),
    }))
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size_text = size_line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))?;
        let mut chunk = vec![0; size + 2]; // data + CRLF
        reader.read_exact(&mut chunk)?;
        chunk.truncate(size);
        if size == 0 {
            // Trailers end with an empty line; we sent none to skip beyond the CRLF just read.
            return Ok(body);
        }
        body.extend_from_slice(&chunk);
    }
}

fn respond(request: &Recorded, shared: &Shared) -> Vec<u8> {
    let path = request.path.split('?').next().unwrap_or_default();
    if request.method == "GET" && path == "/v1/responses" {
        // Codex tries a WebSocket first; 426 makes it fall back to HTTP at once.
        return http_response(426, "application/json", r#"{"error":"upgrade required"}"#);
    }
    if path.ends_with("/count_tokens") {
        return http_response(200, "application/json", r#"{"input_tokens":10}"#);
    }
    let Some(protocol) = request.model_protocol() else {
        let body = if path.ends_with("/models") {
            // Copilot CLI checks that its model is listed.
            r#"{"object":"list","data":[{"id":"gpt-4.1","object":"model","owned_by":"mock"}],"models":[]}"#
        } else {
            "{}"
        };
        return http_response(200, "application/json", body);
    };
    let turn = if request.has_tools() {
        let done = request
            .history()
            .iter()
            .filter(|item| matches!(item, Item::ToolResult { .. }))
            .count();
        shared.script.get(done).cloned()
    } else {
        None
    };
    let turn = turn.unwrap_or_else(|| Turn {
        text: Some(shared.fallback_text.clone()),
        tool: None,
    });
    let step = shared.served.load(Ordering::SeqCst);
    let tool_call = match &turn.tool {
        Some(intent) => choose_tool(&request.body, intent),
        None => completion_call(&request.body, turn.text.as_deref()),
    }
    .map(|(name, input)| ToolCall {
        id: tool_call_id(protocol, step),
        name,
        input,
    });
    let model = request
        .body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("mock-model");
    let events = match protocol {
        Protocol::Anthropic => anthropic_sse(step, model, turn.text.as_deref(), tool_call),
        Protocol::Responses => responses_sse(step, turn.text.as_deref(), tool_call),
        Protocol::ChatCompletions => chat_sse(step, model, turn.text.as_deref(), tool_call),
        Protocol::Gemini => {
            let response = gemini_response(turn.text.as_deref(), tool_call);
            if !path.ends_with(":streamGenerateContent") {
                return http_response(200, "application/json", &response.to_string());
            }
            sse(None, &response)
        }
    };
    http_response(200, "text/event-stream", &events)
}

struct ToolCall {
    id: String,
    name: String,
    input: Value,
}

fn tool_call_id(protocol: Protocol, step: usize) -> String {
    match protocol {
        Protocol::Anthropic => format!("toolu_mock{step:04}"),
        Protocol::Responses | Protocol::ChatCompletions | Protocol::Gemini => {
            format!("call_mock{step:04}")
        }
    }
}

/// The declarations of the tools a request offers, in any of the four protocols.
fn tool_declarations(body: &Value) -> Vec<&Value> {
    let Some(tools) = body.get("tools").and_then(Value::as_array) else {
        return Vec::new();
    };
    tools
        .iter()
        .flat_map(|tool| match tool.get("functionDeclarations") {
            Some(Value::Array(declarations)) => declarations.iter().collect(),
            _ => vec![tool.get("function").unwrap_or(tool)],
        })
        .collect()
}

/// Names of the tools a request offers.
fn tool_names(body: &Value) -> Vec<String> {
    tool_declarations(body)
        .into_iter()
        .filter_map(|tool| tool.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The declared parameters of tool `name`.
fn parameters<'a>(body: &'a Value, name: &str) -> Option<&'a serde_json::Map<String, Value>> {
    let tool = tool_declarations(body)
        .into_iter()
        .find(|tool| tool.get("name").and_then(Value::as_str) == Some(name))?;
    tool.get("parametersJsonSchema")
        .or_else(|| tool.get("parameters"))
        .or_else(|| tool.get("input_schema"))?
        .get("properties")?
        .as_object()
}

/// The parameter of tool `name` that holds a file path (its name differs between clients).
fn path_parameter(body: &Value, name: &str) -> String {
    parameters(body, name)
        .and_then(|properties| {
            properties
                .keys()
                .find(|key| key.to_ascii_lowercase().contains("path"))
                .cloned()
        })
        .unwrap_or_else(|| "file_path".to_owned())
}

/// Picks the client's own tool for an intent and builds its arguments.
fn choose_tool(body: &Value, intent: &ToolIntent) -> Option<(String, Value)> {
    let names = tool_names(body);
    let has = |name: &str| names.iter().any(|candidate| candidate == name);
    match intent {
        ToolIntent::Shell(command) => {
            let description = "Run a command";
            if has("Bash") {
                Some((
                    "Bash".into(),
                    json!({"command": command, "description": description}),
                ))
            } else if has("bash") {
                // OpenCode's requires a description; pi's has none.
                let mut input = json!({"command": command});
                if parameters(body, "bash").is_some_and(|p| p.contains_key("description")) {
                    input["description"] = json!(description);
                }
                Some(("bash".into(), input))
            } else if has("run_shell_command") {
                Some(("run_shell_command".into(), json!({"command": command})))
            } else if has("exec_command") {
                Some(("exec_command".into(), json!({"cmd": command})))
            } else if has("shell_command") {
                Some(("shell_command".into(), json!({"command": command})))
            } else if has("shell") {
                Some(("shell".into(), json!({"command": ["bash", "-lc", command]})))
            } else if has("run_commands") {
                Some(("run_commands".into(), json!({"commands": [command]})))
            } else {
                None
            }
        }
        ToolIntent::ReadFile(path) => {
            if has("Read") {
                Some(("Read".into(), json!({"file_path": path})))
            } else if has("read") {
                let key = path_parameter(body, "read");
                Some(("read".into(), json!({ key: path })))
            } else if has("view") {
                Some(("view".into(), json!({"path": path})))
            } else if has("read_file") {
                let key = path_parameter(body, "read_file");
                Some(("read_file".into(), json!({ key: path })))
            } else if has("read_files") {
                Some(("read_files".into(), json!({"files": [{"path": path}]})))
            } else {
                // Codex has no read tool: its shell fails the same way.
                choose_tool(body, &ToolIntent::Shell(format!("cat {path}")))
            }
        }
    }
}

/// A headless Cline run ends only when the model calls its completion tool: a reply that asks
/// for no tool calls it, with the reply as its summary.
fn completion_call(body: &Value, text: Option<&str>) -> Option<(String, Value)> {
    let has_completion = tool_names(body)
        .iter()
        .any(|name| name == "submit_and_exit");
    has_completion.then(|| {
        (
            "submit_and_exit".to_owned(),
            json!({"summary": text.unwrap_or("done"), "verified": true}),
        )
    })
}

fn sse(event: Option<&str>, data: &Value) -> String {
    match event {
        Some(event) => format!("event: {event}\ndata: {data}\n\n"),
        None => format!("data: {data}\n\n"),
    }
}

fn anthropic_sse(step: usize, model: &str, text: Option<&str>, tool: Option<ToolCall>) -> String {
    let mut out = sse(
        Some("message_start"),
        &json!({"type": "message_start", "message": {
            "id": format!("msg_mock{step:04}"), "type": "message", "role": "assistant",
            "model": model, "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 10, "output_tokens": 1}}}),
    );
    let mut index = 0;
    if let Some(text) = text {
        out += &sse(
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "text", "text": ""}}),
        );
        out += &sse(
            Some("content_block_delta"),
            &json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "text_delta", "text": text}}),
        );
        out += &sse(
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": index}),
        );
        index += 1;
    }
    let stop_reason = if tool.is_some() {
        "tool_use"
    } else {
        "end_turn"
    };
    if let Some(tool) = tool {
        out += &sse(
            Some("content_block_start"),
            &json!({"type": "content_block_start", "index": index,
                "content_block": {"type": "tool_use", "id": tool.id, "name": tool.name, "input": {}}}),
        );
        out += &sse(
            Some("content_block_delta"),
            &json!({"type": "content_block_delta", "index": index,
                "delta": {"type": "input_json_delta", "partial_json": tool.input.to_string()}}),
        );
        out += &sse(
            Some("content_block_stop"),
            &json!({"type": "content_block_stop", "index": index}),
        );
    }
    out += &sse(
        Some("message_delta"),
        &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": 5}}),
    );
    out += &sse(Some("message_stop"), &json!({"type": "message_stop"}));
    out
}

fn responses_sse(step: usize, text: Option<&str>, tool: Option<ToolCall>) -> String {
    let response_id = format!("resp_mock{step:04}");
    let mut out = sse(
        Some("response.created"),
        &json!({"type": "response.created", "response": {"id": response_id}}),
    );
    let mut output_index = 0;
    if let Some(text) = text {
        let item_id = format!("msg_mock{step:04}");
        out += &sse(
            Some("response.output_item.added"),
            &json!({"type": "response.output_item.added", "output_index": output_index,
                "item": {"type": "message", "id": item_id, "role": "assistant", "content": []}}),
        );
        out += &sse(
            Some("response.output_text.delta"),
            &json!({"type": "response.output_text.delta", "item_id": item_id,
                "output_index": output_index, "content_index": 0, "delta": text}),
        );
        out += &sse(
            Some("response.output_item.done"),
            &json!({"type": "response.output_item.done", "output_index": output_index,
                "item": {"type": "message", "id": item_id, "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}}),
        );
        output_index += 1;
    }
    if let Some(tool) = tool {
        let item = json!({"type": "function_call", "id": format!("fc_mock{step:04}"),
            "call_id": tool.id, "name": tool.name, "arguments": tool.input.to_string(),
            "status": "completed"});
        out += &sse(
            Some("response.output_item.added"),
            &json!({"type": "response.output_item.added", "output_index": output_index, "item": item}),
        );
        out += &sse(
            Some("response.output_item.done"),
            &json!({"type": "response.output_item.done", "output_index": output_index, "item": item}),
        );
    }
    out += &sse(
        Some("response.completed"),
        &json!({"type": "response.completed", "response": {"id": response_id, "usage": {
            "input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 15}}}),
    );
    out
}

fn chat_sse(step: usize, model: &str, text: Option<&str>, tool: Option<ToolCall>) -> String {
    let chunk = |delta: Value, finish: Value| {
        json!({"id": format!("chatcmpl-mock{step:04}"), "object": "chat.completion.chunk",
            "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut out = sse(
        None,
        &chunk(json!({"role": "assistant", "content": ""}), Value::Null),
    );
    if let Some(text) = text {
        out += &sse(None, &chunk(json!({"content": text}), Value::Null));
    }
    let finish = if tool.is_some() { "tool_calls" } else { "stop" };
    if let Some(tool) = tool {
        out += &sse(
            None,
            &chunk(
                json!({"tool_calls": [{"index": 0, "id": tool.id, "type": "function",
                    "function": {"name": tool.name, "arguments": tool.input.to_string()}}]}),
                Value::Null,
            ),
        );
    }
    let mut last = chunk(json!({}), json!(finish));
    last["usage"] = json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15});
    out += &sse(None, &last);
    out += "data: [DONE]\n\n";
    out
}

/// One `GenerateContentResponse`: the whole answer in one chunk.
fn gemini_response(text: Option<&str>, tool: Option<ToolCall>) -> Value {
    let mut parts = Vec::new();
    if let Some(text) = text {
        parts.push(json!({"text": text}));
    }
    if let Some(tool) = tool {
        parts.push(json!({"functionCall": {"id": tool.id, "name": tool.name, "args": tool.input}}));
    }
    json!({
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
    })
}

fn http_response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        426 => "Upgrade Required",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
         cache-control: no-cache\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
