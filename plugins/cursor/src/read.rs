//! One chat as a transcript. A chat's header lists its messages in order
//! (`fullConversationHeadersOnly: [{bubbleId, type}]`, each message its own row, or, in older
//! versions, the messages themselves inline in `conversation`); a message ("bubble") is `type` 1
//! (user) or 2 (assistant), its words in `text` (or only in the editor's rich-text JSON,
//! `richText`), an assistant's reasoning in `thinking`, its tool call in `toolFormerData`
//! (`name`, arguments in `rawArgs` or `params`, `result`, `status`, each argument and result a
//! JSON-encoded string), its suggested code in `codeBlocks`, and a user's attached files in
//! `context` (`fileSelections`, `selections`).

use crate::json::{self, array_of, embedded, str_of, text_of};
use crate::tools::TABLE;
use handoff_plugin_api::{ExtractReport, Media, Message, Part, Role};
use serde_json::Value;
use std::collections::HashMap;

/// What a chat's rows make: its messages and what was passed over.
#[derive(Debug, Default)]
pub struct Read {
    pub messages: Vec<Message>,
    pub report: ExtractReport,
}

#[derive(Default)]
struct Tally {
    missing: usize,
    unanswered: usize,
    images: usize,
}

/// The messages of a chat whose header is `header` and whose message rows are `bubbles`.
pub fn chat(header: &Value, bubbles: &HashMap<String, Option<String>>) -> Read {
    let mut read = Read::default();
    let mut tally = Tally::default();
    let headers = array_of(header, "fullConversationHeadersOnly");
    // Older headers kept the messages themselves, in a list or by id.
    let inline_map = header.get("conversationMap");
    let mut found: Vec<(Value, Option<i64>)> = Vec::new();
    if headers.is_empty() {
        for bubble in array_of(header, "conversation") {
            if bubble.is_object() {
                found.push((bubble.clone(), None));
            } else {
                read.report.skipped_lines += 1;
            }
        }
    } else {
        for entry in headers {
            let Some(id) = str_of(entry, "bubbleId") else {
                read.report.skipped_lines += 1;
                continue;
            };
            let bubble = match bubbles.get(id) {
                Some(Some(text)) => json::parse(text.as_bytes()),
                Some(None) => None,
                None => match inline_map.and_then(|m| m.get(id)) {
                    Some(inline) => Some(inline.clone()),
                    None => {
                        tally.missing += 1;
                        None
                    }
                },
            };
            match bubble.filter(Value::is_object) {
                Some(bubble) => found.push((bubble, json::int_of(entry, "type"))),
                None => read.report.skipped_lines += 1,
            }
        }
    }
    for (index, (bubble, header_type)) in found.iter().enumerate() {
        match json::int_of(bubble, "type").or(*header_type) {
            Some(1) => read.messages.extend(user(bubble, &mut tally)),
            Some(2) => read.messages.extend(assistant(bubble, index, &mut tally)),
            // Neither side of the conversation: not a message this reader knows.
            _ => read.report.skipped_lines += 1,
        }
    }
    let warnings = &mut read.report.warnings;
    if tally.missing > 0 {
        warnings.push(format!(
            "cursor: {} message(s) listed by the chat are not in the database; left out",
            tally.missing
        ));
    }
    if tally.unanswered > 0 {
        warnings.push(format!(
            "cursor: {} tool call(s) have no stored result",
            tally.unanswered
        ));
    }
    if tally.images > 0 {
        warnings.push(format!(
            "cursor: {} image attachment(s) are not kept in the chat database; left out",
            tally.images
        ));
    }
    read
}

fn message(role: Role, bubble: &Value, parts: Vec<Part>) -> Message {
    let mut message = Message::new(role, parts);
    message.timestamp_ms = json::time_of(bubble, "createdAt");
    message.model = bubble
        .get("modelInfo")
        .and_then(|m| text_of(m, "modelName"))
        .map(str::to_owned);
    message
}

fn user(bubble: &Value, tally: &mut Tally) -> Option<Message> {
    let mut parts = Vec::new();
    if let Some(text) = words(bubble) {
        parts.push(Part::Text { text });
    }
    parts.extend(attachments(bubble).into_iter().map(|path| {
        Part::File(Media {
            // The store keeps the file's path, not its type.
            media_type: "application/octet-stream".into(),
            data_base64: None,
            name: path.rsplit(['/', '\\']).next().map(str::to_owned),
            path: Some(path),
        })
    }));
    let context = bubble.get("context").unwrap_or(&Value::Null);
    tally.images += array_of(bubble, "images").len() + array_of(context, "selectedImages").len();
    (!parts.is_empty()).then(|| message(Role::User, bubble, parts))
}

/// A bubble's words: `text`, else the text of its rich-text document.
fn words(bubble: &Value) -> Option<String> {
    if let Some(text) = text_of(bubble, "text") {
        return Some(text.to_owned());
    }
    let rich = json::parse(str_of(bubble, "richText")?.as_bytes())?;
    let mut out = String::new();
    lexical_text(rich.get("root")?, &mut out);
    let out = out.trim().to_owned();
    (!out.is_empty()).then_some(out)
}

/// The text of a Lexical editor node: its text leaves, one line per block.
fn lexical_text(node: &Value, out: &mut String) {
    if let Some(text) = str_of(node, "text") {
        out.push_str(text);
    }
    let children = array_of(node, "children");
    for child in children {
        lexical_text(child, out);
    }
    let block = matches!(
        str_of(node, "type"),
        Some("paragraph" | "heading" | "quote")
    );
    if block || str_of(node, "type") == Some("linebreak") {
        out.push('\n');
    }
}

/// The files a user attached: the paths of the files and code selections in its context.
fn attachments(bubble: &Value) -> Vec<String> {
    let context = bubble.get("context").unwrap_or(&Value::Null);
    let mut paths: Vec<String> = Vec::new();
    for key in ["fileSelections", "selections"] {
        for item in array_of(context, key) {
            if let Some(path) = item.get("uri").and_then(uri_path)
                && !paths.contains(&path)
            {
                paths.push(path);
            }
        }
    }
    paths
}

/// A VS Code URI as stored: `{fsPath, path, scheme}` or a `file://` string.
fn uri_path(uri: &Value) -> Option<String> {
    if let Some(text) = uri.as_str() {
        return handoff_adapter_kit::fs::file_uri_path(text);
    }
    text_of(uri, "fsPath")
        .or_else(|| text_of(uri, "path"))
        .map(str::to_owned)
}

fn assistant(bubble: &Value, index: usize, tally: &mut Tally) -> Vec<Message> {
    let mut parts = Vec::new();
    if let Some(text) = thinking(bubble) {
        // Cursor's stored signature (if any) is not a provider's to verify here: never passed on.
        parts.push(Part::Reasoning {
            text,
            signature: None,
            provider: None,
        });
    }
    let text = words(bubble);
    if let Some(text) = &text {
        parts.push(Part::Text { text: text.clone() });
    }
    for block in array_of(bubble, "codeBlocks") {
        let Some(content) = text_of(block, "content") else {
            continue;
        };
        // A suggested block the text already shows is not said twice.
        if text.as_deref().is_some_and(|t| t.contains(content.trim())) {
            continue;
        }
        let language = str_of(block, "languageId").unwrap_or("");
        let path = block.get("uri").and_then(uri_path).unwrap_or_default();
        let info = format!("{language} {path}").trim().to_owned();
        parts.push(Part::Text {
            text: format!("```{info}\n{}\n```", content.trim_end_matches('\n')),
        });
    }
    let mut result = None;
    if let Some(tool) = bubble.get("toolFormerData").filter(|t| t.is_object()) {
        let (call, answer) = tool_call(tool, bubble, index);
        parts.push(call);
        match answer {
            Some(answer) => result = Some(answer),
            None => tally.unanswered += 1,
        }
    }
    let mut out = Vec::new();
    if !parts.is_empty() {
        out.push(message(Role::Assistant, bubble, parts));
    }
    if let Some(answer) = result {
        out.push(message(Role::Assistant, bubble, vec![answer]));
    }
    out
}

fn thinking(bubble: &Value) -> Option<String> {
    let text = match bubble.get("thinking") {
        Some(Value::String(text)) => Some(text.clone()),
        Some(thinking) => text_of(thinking, "text").map(str::to_owned),
        None => None,
    };
    text.filter(|t| !t.trim().is_empty()).or_else(|| {
        let blocks: Vec<&str> = array_of(bubble, "allThinkingBlocks")
            .iter()
            .filter_map(|b| {
                text_of(b, "text").or_else(|| b.get("thinking").and_then(|t| text_of(t, "text")))
            })
            .collect();
        (!blocks.is_empty()).then(|| blocks.join("\n\n"))
    })
}

/// The call a `toolFormerData` records, and its result when one is stored.
fn tool_call(tool: &Value, bubble: &Value, index: usize) -> (Part, Option<Part>) {
    let name = text_of(tool, "name")
        .map(str::to_owned)
        .or_else(|| json::int_of(tool, "tool").map(|n| format!("cursor_tool_{n}")))
        .unwrap_or_else(|| "cursor_tool".into());
    let arguments = ["rawArgs", "params"]
        .iter()
        .filter_map(|key| tool.get(*key))
        .map(embedded)
        .find(|v| !matches!(v, Value::Null) && v.as_str() != Some(""))
        .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
    let id = text_of(tool, "toolCallId")
        .or_else(|| text_of(bubble, "bubbleId"))
        .map_or_else(|| format!("cursor-call-{index}"), str::to_owned);
    let status = |v: &Value| str_of(v, "status").map(str::to_ascii_lowercase);
    let failed = [status(tool), tool.get("additionalData").and_then(status)]
        .into_iter()
        .flatten()
        .any(|s| matches!(s.as_str(), "error" | "failed"));
    let result = tool
        .get("result")
        .and_then(result_text)
        .map(|(output, error)| Part::ToolResult {
            call_id: id.clone(),
            output,
            images: Vec::new(),
            is_error: error || failed,
        });
    let call = Part::ToolCall {
        tool: TABLE.read(&name, &arguments),
        id,
        name,
        input: arguments,
    };
    (call, result)
}

/// A stored result as text: the output, contents or error it holds, else the result as written.
fn result_text(raw: &Value) -> Option<(String, bool)> {
    match embedded(raw) {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some((s, false)),
        Value::Object(map) => {
            let value = Value::Object(map);
            let output = ["output", "contents", "content", "stdout", "text"]
                .iter()
                .find_map(|key| str_of(&value, key));
            let error = ["error", "errorMessage", "stderr"]
                .iter()
                .find_map(|key| text_of(&value, key));
            let text = match (output, error) {
                (Some(out), Some(err)) if !out.is_empty() => format!("{out}\n{err}"),
                (_, Some(err)) => err.to_owned(),
                (Some(out), None) => out.to_owned(),
                (None, None) => value.to_string(),
            };
            let failed = text_of(&value, "error").or_else(|| text_of(&value, "errorMessage"));
            Some((text, failed.is_some()))
        }
        other => Some((other.to_string(), false)),
    }
}
