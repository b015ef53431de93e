//! A chat file → transcript. The file is `ISerializableChatData` (microsoft/vscode
//! `src/vs/workbench/contrib/chat/common/chatModel.ts`): `sessionId`, `creationDate`,
//! `lastMessageDate`, `customTitle`, and `requests`, each a user turn (`message.text`, its
//! attachments in `variableData.variables`) with the answer VS Code showed (`response`, a list of
//! parts) and what the Copilot extension kept of the model's rounds (`result.metadata`:
//! `toolCallRounds` with each round's text and calls, `toolCallResults` by call id). A `.jsonl`
//! file is the same object as a mutation log (`objectMutationLog.ts`): an initial value, then
//! sets, pushes and deletes at key paths, replayed here.
//!
//! Where the rounds are kept they are the conversation as the model saw it (text, calls with
//! their arguments, results); otherwise the response parts are: markdown as text, each
//! `toolInvocationSerialized` as a call (arguments from its `toolSpecificData`) with what VS
//! Code kept of its result, and each `textEditGroup` as an edit call.

use crate::tools;
use handoff_adapter_kit::listing::{lines, strip_bom};
use handoff_adapter_kit::text::first_user_line;
use handoff_plugin_api::{Media, Message, Part, Role, SessionMeta, Tool, Transcript};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// What a file gave: its conversation, the entries that could not be read, and what it does
/// not keep.
pub struct Chat {
    pub transcript: Transcript,
    pub skipped: usize,
    pub warnings: Vec<String>,
}

/// The chat object of a file's bytes (a mutation log when `log`), and how many log lines were
/// skipped; `Err` says why it is no chat.
pub fn document(bytes: &[u8], log: bool) -> Result<(Map<String, Value>, usize), String> {
    let bytes = strip_bom(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("empty file".into());
    }
    let (value, skipped) = if log {
        replay(bytes)?
    } else {
        let value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON ({e})"))?;
        (value, 0)
    };
    match value {
        Value::Object(chat) if chat.get("requests").is_some_and(Value::is_array) => {
            Ok((chat, skipped))
        }
        _ => Err("no `requests` list".into()),
    }
}

/// The state a mutation log leaves: `{kind: 0, v}` sets it whole, `{kind: 1, k, v}` sets the
/// value at key path `k`, `{kind: 2, k, v?, i?}` cuts the list at `k` to `i` items and appends
/// `v`, `{kind: 3, k}` deletes. A line that does not parse or apply is skipped and counted.
fn replay(bytes: &[u8]) -> Result<(Value, usize), String> {
    let mut state: Option<Value> = None;
    let mut skipped = 0;
    for line in lines(bytes) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let applied = serde_json::from_slice::<Value>(line)
            .ok()
            .and_then(|entry| apply(&mut state, entry));
        if applied.is_none() {
            skipped += 1;
        }
    }
    state
        .map(|state| (state, skipped))
        .ok_or_else(|| "no initial entry in the mutation log".into())
}

/// One log entry applied to `state`; `None` when it does not fit.
fn apply(state: &mut Option<Value>, entry: Value) -> Option<()> {
    let Value::Object(mut entry) = entry else {
        return None;
    };
    // Both numbers and their strings occur in the wild.
    let kind = match entry.get("kind")? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    if kind == 0 {
        *state = Some(entry.remove("v")?);
        return Some(());
    }
    let root = state.as_mut()?;
    let Some(Value::Array(path)) = entry.remove("k") else {
        return None;
    };
    let Some((last, parents)) = path.split_last() else {
        // An empty path is the whole state.
        if kind == 1 {
            *root = entry.remove("v")?;
            return Some(());
        }
        return None;
    };
    let parent = parents.iter().try_fold(root, step)?;
    match kind {
        1 => put(parent, last, entry.remove("v").unwrap_or(Value::Null)),
        2 => {
            let slot = match parent {
                Value::Object(map) => map.entry(last.as_str()?.to_owned()).or_insert(Value::Null),
                Value::Array(items) => items.get_mut(index(last)?)?,
                _ => return None,
            };
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else {
                return None;
            };
            if let Some(cut) = entry.get("i").and_then(Value::as_u64) {
                items.truncate(usize::try_from(cut).ok()?);
            }
            match entry.remove("v") {
                Some(Value::Array(more)) => items.extend(more),
                None | Some(Value::Null) => {}
                Some(_) => return None,
            }
            Some(())
        }
        3 => match parent {
            Value::Object(map) => {
                map.remove(last.as_str()?);
                Some(())
            }
            Value::Array(_) => put(parent, last, Value::Null),
            _ => None,
        },
        _ => None,
    }
}

fn index(key: &Value) -> Option<usize> {
    usize::try_from(key.as_u64()?).ok()
}

fn step<'a>(value: &'a mut Value, key: &Value) -> Option<&'a mut Value> {
    match value {
        Value::Object(map) => map.get_mut(key.as_str()?),
        Value::Array(items) => items.get_mut(index(key)?),
        _ => None,
    }
}

/// `parent[key] = value`, as JavaScript does it (an index one past the end appends).
fn put(parent: &mut Value, key: &Value, value: Value) -> Option<()> {
    match parent {
        Value::Object(map) => {
            map.insert(key.as_str()?.to_owned(), value);
        }
        Value::Array(items) => {
            let at = index(key)?;
            match at.cmp(&items.len()) {
                std::cmp::Ordering::Less => items[at] = value,
                std::cmp::Ordering::Equal => items.push(value),
                std::cmp::Ordering::Greater => return None,
            }
        }
        _ => return None,
    }
    Some(())
}

/// Counts of what the file does not keep, reported once each.
#[derive(Default)]
struct Missing {
    arguments: usize,
    results: usize,
    edits: usize,
    attachments: usize,
}

impl Missing {
    fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.arguments > 0 {
            out.push(format!(
                "{} tool call(s) kept by VS Code without the model's arguments: read with what the file shows of them",
                self.arguments
            ));
        }
        if self.results > 0 {
            out.push(format!(
                "{} tool call(s) without a result kept in the file",
                self.results
            ));
        }
        if self.edits > 0 {
            out.push(format!(
                "{} code edit(s) keep their new text and ranges, not the text they replaced: read as `other` calls",
                self.edits
            ));
        }
        if self.attachments > 0 {
            out.push(format!(
                "{} attachment(s) without a local file path left out",
                self.attachments
            ));
        }
        out
    }
}

/// The conversation of a chat object; `fallback_id` (the file's name) when it names none.
pub fn transcript(chat: Map<String, Value>, fallback_id: &str, cwd: Option<String>) -> Chat {
    let mut meta = SessionMeta {
        id: str_of(&chat, "sessionId").unwrap_or(fallback_id).to_owned(),
        agent: "vscode-copilot".into(),
        title: str_of(&chat, "customTitle")
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned),
        cwd,
        created_ms: ms_of(&chat, "creationDate"),
        updated_ms: ms_of(&chat, "lastMessageDate"),
        ..SessionMeta::default()
    };
    let mut messages = Vec::new();
    let mut skipped = 0;
    let mut missing = Missing::default();
    let requests = match chat.get("requests") {
        Some(Value::Array(requests)) => requests.as_slice(),
        _ => &[],
    };
    for (n, request) in requests.iter().enumerate() {
        let Some(turn) = request.as_object().and_then(|r| user_turn(r, &mut missing)) else {
            skipped += 1;
            continue;
        };
        let request = turn.request;
        meta.updated_ms = meta.updated_ms.max(turn.user.timestamp_ms);
        if let Some(model) = str_of(request, "modelId") {
            meta.model = Some(model.to_owned());
        }
        messages.push(turn.user);
        let answers = match rounds(request) {
            Some(rounds) => from_rounds(request, rounds, &mut skipped, &mut missing),
            None => from_response(request, n, &mut skipped, &mut missing),
        };
        for mut answer in answers {
            answer.model = str_of(request, "modelId").map(str::to_owned);
            messages.push(answer);
        }
    }
    if meta.title.is_none() {
        meta.title = first_user_line(&messages);
    }
    Chat {
        transcript: Transcript::new(meta, messages),
        skipped,
        warnings: missing.warnings(),
    }
}

struct Turn<'a> {
    request: &'a Map<String, Value>,
    user: Message,
}

/// A request's user message: its text and attached files. `None` for a request of another shape.
fn user_turn<'a>(request: &'a Map<String, Value>, missing: &mut Missing) -> Option<Turn<'a>> {
    let message = request.get("message")?.as_object()?;
    let text = match message.get("text") {
        Some(Value::String(text)) => text.clone(),
        _ => {
            let parts = message.get("parts")?.as_array()?;
            parts
                .iter()
                .filter_map(|p| p.get("text")?.as_str())
                .collect::<String>()
        }
    };
    let mut parts = Vec::new();
    if !text.is_empty() {
        parts.push(Part::Text { text });
    }
    let variables = request
        .get("variableData")
        .and_then(|v| v.get("variables"))
        .and_then(Value::as_array);
    for variable in variables.into_iter().flatten() {
        if let Some(media) = attachment(variable) {
            parts.push(Part::File(media));
        } else if !matches!(
            variable.get("kind").and_then(Value::as_str),
            Some("tool" | "toolset")
        ) {
            // Tools named with `#` are no attachment; anything else without a path is lost.
            missing.attachments += 1;
        }
    }
    if parts.is_empty() {
        return None;
    }
    let mut user = Message::new(Role::User, parts);
    user.timestamp_ms = ms_of(request, "timestamp");
    Some(Turn { request, user })
}

/// An attached file: a variable whose value is a file URI (or a location in one).
fn attachment(variable: &Value) -> Option<Media> {
    let value = variable.get("value")?;
    let path = uri_path(value).or_else(|| uri_path(value.get("uri")?))?;
    let name = variable
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(Media {
        media_type: media_type(&path).into(),
        data_base64: None,
        path: Some(path),
        name,
    })
}

/// The local path of a serialized URI (`{scheme, path, fsPath, external}`) or a URI string.
fn uri_path(value: &Value) -> Option<String> {
    match value {
        Value::String(uri) => handoff_adapter_kit::fs::file_uri_path(uri),
        Value::Object(uri) => {
            if uri.get("scheme").and_then(Value::as_str) != Some("file") {
                return None;
            }
            str_of(uri, "fsPath")
                .or_else(|| str_of(uri, "path"))
                .map(str::to_owned)
        }
        _ => None,
    }
}

/// A media type from a file name's extension (`text/plain` for source and unknown files).
fn media_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        Some("pdf") => "application/pdf",
        Some("json") => "application/json",
        Some("md") => "text/markdown",
        _ => "text/plain",
    }
}

/// The model rounds the Copilot extension kept, when it kept any.
fn rounds(request: &Map<String, Value>) -> Option<&Vec<Value>> {
    request
        .get("result")?
        .get("metadata")?
        .get("toolCallRounds")?
        .as_array()
        .filter(|rounds| !rounds.is_empty())
}

/// The answer as the model gave it: each round's text, calls and their results.
fn from_rounds(
    request: &Map<String, Value>,
    rounds: &[Value],
    skipped: &mut usize,
    missing: &mut Missing,
) -> Vec<Message> {
    let metadata = request.get("result").and_then(|r| r.get("metadata"));
    let results = metadata
        .and_then(|m| m.get("toolCallResults"))
        .and_then(Value::as_object);
    // What VS Code showed of each call, by id: whether it failed, when the result has no text.
    let shown: HashMap<&str, &Value> = response_parts(request)
        .filter(|p| kind_of(p) == Some("toolInvocationSerialized"))
        .filter_map(|p| Some((p.get("toolCallId")?.as_str()?, p)))
        .collect();
    let mut messages = Vec::new();
    for round in rounds {
        let Some(round) = round.as_object() else {
            *skipped += 1;
            continue;
        };
        let mut parts = Vec::new();
        if let Some(text) = str_of(round, "response").filter(|t| !t.trim().is_empty()) {
            parts.push(Part::Text {
                text: text.to_owned(),
            });
        }
        let calls = round.get("toolCalls").and_then(Value::as_array);
        let mut answered = Vec::new();
        for call in calls.into_iter().flatten() {
            let (Some(id), Some(name)) = (
                call.get("id").and_then(Value::as_str),
                call.get("name").and_then(Value::as_str),
            ) else {
                *skipped += 1;
                continue;
            };
            // The arguments are the JSON text the model wrote.
            let input = match call.get("arguments") {
                Some(Value::String(text)) => {
                    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
                }
                Some(other) => other.clone(),
                None => Value::Object(Map::new()),
            };
            parts.push(Part::ToolCall {
                id: id.to_owned(),
                name: name.to_owned(),
                tool: tools::to_tool(name, &input),
                input,
            });
            let kept = results.and_then(|r| r.get(id)).and_then(result_text);
            let invocation = shown.get(id).copied();
            let output = kept.or_else(|| invocation.and_then(|i| invocation_result(i).0));
            match output {
                Some(output) => {
                    let failed = invocation.is_some_and(|i| invocation_result(i).1);
                    answered.push(Part::ToolResult {
                        call_id: id.to_owned(),
                        is_error: failed || output.starts_with(TOOL_ERROR),
                        output,
                        images: Vec::new(),
                    });
                }
                None => missing.results += 1,
            }
        }
        parts.extend(answered);
        if !parts.is_empty() {
            messages.push(Message::new(Role::Assistant, parts));
        }
    }
    messages
}

/// How the Copilot extension words the result of a call that threw.
const TOOL_ERROR: &str = "ERROR while calling tool";

/// The text of a kept `LanguageModelToolResult`: its text parts (`{value}` or `{text}`), joined;
/// `None` for a result without a content list.
fn result_text(result: &Value) -> Option<String> {
    let content = result.get("content")?.as_array()?;
    let text = content
        .iter()
        .filter_map(|part| match part {
            Value::String(text) => Some(text.as_str()),
            _ => part
                .get("value")
                .and_then(Value::as_str)
                .or_else(|| part.get("text").and_then(Value::as_str)),
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some(text)
}

fn response_parts(request: &Map<String, Value>) -> impl Iterator<Item = &Value> {
    let parts = match request.get("response") {
        Some(Value::Array(parts)) => parts.as_slice(),
        Some(text @ Value::String(_)) => std::slice::from_ref(text),
        _ => &[],
    };
    parts.iter()
}

fn kind_of(part: &Value) -> Option<&str> {
    part.get("kind")?.as_str()
}

/// The answer as VS Code showed it, when the model's rounds are not kept.
fn from_response(
    request: &Map<String, Value>,
    n: usize,
    skipped: &mut usize,
    missing: &mut Missing,
) -> Vec<Message> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, parts: &mut Vec<Part>| {
        if !text.trim().is_empty() {
            parts.push(Part::Text {
                text: std::mem::take(text),
            });
        }
        text.clear();
    };
    for (i, part) in response_parts(request).enumerate() {
        match kind_of(part) {
            // A serialized MarkdownString: `{value, isTrusted, …}` (or a bare string).
            None => {
                if let Some(value) = part.as_str().or_else(|| part.get("value")?.as_str()) {
                    text.push_str(value);
                }
            }
            Some("markdownContent" | "markdownVuln") => {
                if let Some(value) = part.get("content").and_then(markdown) {
                    text.push_str(value);
                }
            }
            Some("inlineReference") => {
                let reference = part.get("inlineReference");
                let shown = part
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| reference.and_then(uri_path))
                    .or_else(|| reference.and_then(|r| uri_path(r.get("uri")?)));
                if let Some(shown) = shown {
                    text.push_str(&format!("`{shown}`"));
                }
            }
            Some("thinking") => {
                flush(&mut text, &mut parts);
                let thought = match part.get("value") {
                    Some(Value::String(t)) => t.clone(),
                    Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => String::new(),
                };
                if !thought.trim().is_empty() {
                    parts.push(Part::Reasoning {
                        text: thought,
                        signature: None,
                        provider: None,
                    });
                }
            }
            Some("toolInvocationSerialized") => {
                flush(&mut text, &mut parts);
                // An invocation that names no tool is no call.
                if part.get("toolId").and_then(Value::as_str).is_none() {
                    *skipped += 1;
                    continue;
                }
                let id = part
                    .get("toolCallId")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("vscode-{n}-{i}"), str::to_owned);
                parts.push(invocation_call(part, &id, missing));
                match invocation_result(part) {
                    (Some(output), is_error) => parts.push(Part::ToolResult {
                        call_id: id,
                        is_error: is_error || output.starts_with(TOOL_ERROR),
                        output,
                        images: Vec::new(),
                    }),
                    (None, _) => missing.results += 1,
                }
            }
            Some("textEditGroup") => {
                flush(&mut text, &mut parts);
                let id = format!("vscode-edit-{n}-{i}");
                match edit_group(part, &id) {
                    Some((call, result)) => {
                        missing.edits += 1;
                        parts.extend([call, result]);
                    }
                    None => *skipped += 1,
                }
            }
            _ => {}
        }
    }
    flush(&mut text, &mut parts);
    if parts.is_empty() {
        return Vec::new();
    }
    vec![Message::new(Role::Assistant, parts)]
}

/// A markdown string, serialized (`{value}`) or bare.
fn markdown(value: &Value) -> Option<&str> {
    value.as_str().or_else(|| value.get("value")?.as_str())
}

/// The call a serialized invocation stands for: a terminal's command line, a tool's raw input,
/// or (when VS Code kept neither) no arguments.
fn invocation_call(part: &Value, id: &str, missing: &mut Missing) -> Part {
    let name = part
        .get("toolId")
        .and_then(Value::as_str)
        .unwrap_or("unknown_tool")
        .to_owned();
    let data = part.get("toolSpecificData");
    if let Some(command) = data.and_then(terminal_command) {
        let mut input = Map::new();
        input.insert("command".into(), Value::String(command.clone()));
        return Part::ToolCall {
            id: id.to_owned(),
            name,
            input: Value::Object(input),
            tool: tools::shell(&command),
        };
    }
    let raw = data
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some("input"))
        .and_then(|d| d.get("rawInput"))
        .cloned()
        .or_else(|| {
            // `resultDetails.input` is the input as JSON text.
            let text = part.get("resultDetails")?.get("input")?.as_str()?;
            serde_json::from_str(text).ok()
        });
    let input = raw.unwrap_or_else(|| {
        missing.arguments += 1;
        Value::Object(Map::new())
    });
    Part::ToolCall {
        id: id.to_owned(),
        tool: tools::to_tool(&name, &input),
        name,
        input,
    }
}

/// The command line of terminal data: as it ran (edited by the user or the tool), else as the
/// model wrote it; older builds kept `command`.
fn terminal_command(data: &Value) -> Option<String> {
    if data.get("kind").and_then(Value::as_str) != Some("terminal") {
        return None;
    }
    let line = data.get("commandLine");
    let field = |key: &str| line.and_then(|l| l.get(key)).and_then(Value::as_str);
    field("userEdited")
        .or_else(|| field("toolEdited"))
        .or_else(|| field("original"))
        .or_else(|| data.get("command").and_then(Value::as_str))
        .map(str::to_owned)
}

/// What VS Code kept of an invocation's result, and whether it failed: a terminal's output, the
/// tool's output details, else the message it showed when done.
fn invocation_result(part: &Value) -> (Option<String>, bool) {
    let details = part.get("resultDetails");
    let failed = details
        .and_then(|d| d.get("isError"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let data = part.get("toolSpecificData");
    if let Some(data) = data.filter(|d| terminal_command(d).is_some()) {
        let output = data
            .get("terminalCommandOutput")
            .and_then(|o| o.get("text"))
            .or_else(|| data.get("output"))
            .and_then(|o| o.as_str().or_else(|| o.get("text")?.as_str()));
        let exit = data
            .get("terminalCommandState")
            .and_then(|s| s.get("exitCode"))
            .and_then(Value::as_i64);
        if let Some(output) = output {
            return (
                Some(output.to_owned()),
                failed || exit.is_some_and(|c| c != 0),
            );
        }
    }
    let outputs: Vec<&str> = details
        .and_then(|d| d.get("output"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("value").and_then(Value::as_str))
        .collect();
    if !outputs.is_empty() {
        return (Some(outputs.join("\n")), failed);
    }
    // A list of locations (a search's hits).
    let places: Vec<String> = details
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| uri_path(p).or_else(|| uri_path(p.get("uri")?)))
        .collect();
    if !places.is_empty() {
        return (Some(places.join("\n")), failed);
    }
    let complete = part.get("isComplete").and_then(Value::as_bool) != Some(false);
    let said = part
        .get("pastTenseMessage")
        .and_then(markdown)
        .filter(|_| complete)
        .map(str::to_owned);
    (said, failed)
}

/// A `textEditGroup` (`{uri, edits: [[{text, range}]]}`) as a call naming the file and the new
/// texts with their ranges, and a result counting them: the replaced text is not kept.
fn edit_group(part: &Value, id: &str) -> Option<(Part, Part)> {
    let path = part.get("uri").and_then(uri_path)?;
    let edits: Vec<Value> = part
        .get("edits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .cloned()
        .collect();
    let count = edits.len();
    let mut input = Map::new();
    input.insert("path".into(), Value::String(path.clone()));
    input.insert("edits".into(), Value::Array(edits));
    let call = Part::ToolCall {
        id: id.to_owned(),
        name: "textEditGroup".into(),
        input: Value::Object(input),
        tool: Tool::default(),
    };
    let result = Part::ToolResult {
        call_id: id.to_owned(),
        output: format!("{count} edit(s) to {path}"),
        images: Vec::new(),
        is_error: false,
    };
    Some((call, result))
}

fn str_of<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)?.as_str()
}

/// A time in unix milliseconds (JavaScript's `Date.now()`).
fn ms_of(map: &Map<String, Value>, key: &str) -> Option<i64> {
    let value = map.get(key)?;
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutation_log_replays_sets_pushes_and_deletes() {
        let log = concat!(
            r#"{"kind":0,"v":{"sessionId":"s","requests":[],"customTitle":"a"}}"#,
            "\n",
            r#"{"kind":1,"k":["customTitle"],"v":"b"}"#,
            "\n",
            "not json\n",
            r#"{"kind":2,"k":["requests"],"v":[{"n":1},{"n":2}]}"#,
            "\r\n",
            r#"{"kind":2,"k":["requests"],"v":[{"n":3}],"i":1}"#,
            "\n",
            r#"{"kind":"1","k":["requests",1,"n"],"v":4}"#,
            "\n",
            r#"{"kind":1,"k":["nowhere","deep"],"v":1}"#,
            "\n",
            r#"{"kind":3,"k":["customTitle"]}"#,
            "\n"
        );
        let (chat, skipped) = document(log.as_bytes(), true).unwrap();
        assert_eq!(skipped, 2);
        assert_eq!(
            Value::Object(chat),
            serde_json::json!({"sessionId": "s", "requests": [{"n": 1}, {"n": 4}]})
        );
        assert!(document(b"{\"kind\":1,\"k\":[\"a\"],\"v\":1}\n", true).is_err());
        assert!(document(b" \n", true).is_err());
    }
}
