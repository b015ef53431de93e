//! The conversation a model request carries, normalised across the four wire protocols, so one
//! assertion checks every target: roles, native tool calls and tool results, in order.

use crate::mock::Protocol;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// System / developer text (instructions, environment context).
    System(String),
    User(String),
    Assistant(String),
    /// A native tool call: Anthropic `tool_use`, Responses `function_call`, chat `tool_calls`,
    /// Gemini `functionCall`.
    ToolCall {
        id: String,
        name: String,
        arguments: String,
    },
    /// A native tool result: Anthropic `tool_result`, Responses `function_call_output`, chat `tool`,
    /// Gemini `functionResponse`.
    ToolResult {
        call_id: String,
        output: String,
        is_error: Option<bool>,
    },
}

impl Item {
    /// Every text the item carries (for marker search).
    pub fn text(&self) -> String {
        match self {
            Item::System(text) | Item::User(text) | Item::Assistant(text) => text.clone(),
            Item::ToolCall {
                name, arguments, ..
            } => format!("{name} {arguments}"),
            Item::ToolResult { output, .. } => output.clone(),
        }
    }
}

pub fn items(protocol: Protocol, body: &Value) -> Vec<Item> {
    match protocol {
        Protocol::Anthropic => anthropic(body),
        Protocol::Responses => responses(body),
        Protocol::ChatCompletions => chat(body),
        Protocol::Gemini => gemini(body),
    }
}

fn array(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Text of a content that is a string or an array of text-like blocks.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|block| block.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn anthropic(body: &Value) -> Vec<Item> {
    let mut items = Vec::new();
    let system = content_text(body.get("system"));
    if !system.is_empty() {
        items.push(Item::System(system));
    }
    for message in array(body.get("messages")) {
        let assistant = str_of(message, "role") == "assistant";
        let text_item = |text: String| {
            if assistant {
                Item::Assistant(text)
            } else {
                Item::User(text)
            }
        };
        match message.get("content") {
            Some(Value::String(text)) => items.push(text_item(text.clone())),
            Some(Value::Array(blocks)) => {
                for block in blocks {
                    match str_of(block, "type") {
                        "text" => items.push(text_item(str_of(block, "text").to_owned())),
                        "tool_use" => items.push(Item::ToolCall {
                            id: str_of(block, "id").to_owned(),
                            name: str_of(block, "name").to_owned(),
                            arguments: block.get("input").map(Value::to_string).unwrap_or_default(),
                        }),
                        "tool_result" => items.push(Item::ToolResult {
                            call_id: str_of(block, "tool_use_id").to_owned(),
                            output: content_text(block.get("content")),
                            is_error: block.get("is_error").and_then(Value::as_bool),
                        }),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    items
}

fn responses(body: &Value) -> Vec<Item> {
    let mut items = Vec::new();
    let instructions = str_of(body, "instructions");
    if !instructions.is_empty() {
        items.push(Item::System(instructions.to_owned()));
    }
    for item in array(body.get("input")) {
        match str_of(item, "type") {
            "message" => {
                let text = content_text(item.get("content"));
                items.push(match str_of(item, "role") {
                    "assistant" => Item::Assistant(text),
                    "user" => Item::User(text),
                    _ => Item::System(text),
                });
            }
            "function_call" | "custom_tool_call" => items.push(Item::ToolCall {
                id: str_of(item, "call_id").to_owned(),
                name: str_of(item, "name").to_owned(),
                arguments: item
                    .get("arguments")
                    .or_else(|| item.get("input"))
                    .map(|value| {
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned)
                    })
                    .unwrap_or_default(),
            }),
            "local_shell_call" => items.push(Item::ToolCall {
                id: str_of(item, "call_id").to_owned(),
                name: "local_shell".to_owned(),
                arguments: item.get("action").map(Value::to_string).unwrap_or_default(),
            }),
            "function_call_output" | "custom_tool_call_output" => {
                let output = match item.get("output") {
                    Some(Value::Object(object)) => content_text(object.get("content")),
                    other => content_text(other),
                };
                items.push(Item::ToolResult {
                    call_id: str_of(item, "call_id").to_owned(),
                    output,
                    is_error: None,
                });
            }
            _ => {}
        }
    }
    items
}

fn chat(body: &Value) -> Vec<Item> {
    let mut items = Vec::new();
    for message in array(body.get("messages")) {
        let text = content_text(message.get("content"));
        match str_of(message, "role") {
            "user" => items.push(Item::User(text)),
            "assistant" => {
                if !text.is_empty() {
                    items.push(Item::Assistant(text));
                }
                for call in array(message.get("tool_calls")) {
                    items.push(Item::ToolCall {
                        id: str_of(call, "id").to_owned(),
                        name: call
                            .pointer("/function/name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        arguments: call
                            .pointer("/function/arguments")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    });
                }
            }
            "tool" => items.push(Item::ToolResult {
                call_id: str_of(message, "tool_call_id").to_owned(),
                output: text,
                is_error: None,
            }),
            _ => items.push(Item::System(text)),
        }
    }
    items
}

/// Gemini `contents`: user and model turns of parts; thoughts are not conversation.
fn gemini(body: &Value) -> Vec<Item> {
    let mut items = Vec::new();
    let system = content_text(body.pointer("/systemInstruction/parts"));
    if !system.is_empty() {
        items.push(Item::System(system));
    }
    for content in array(body.get("contents")) {
        let model = str_of(content, "role") == "model";
        for part in array(content.get("parts")) {
            if let Some(call) = part.get("functionCall") {
                items.push(Item::ToolCall {
                    id: str_of(call, "id").to_owned(),
                    name: str_of(call, "name").to_owned(),
                    arguments: call.get("args").map(Value::to_string).unwrap_or_default(),
                });
            } else if let Some(response) = part.get("functionResponse") {
                let output = response.pointer("/response/output").map_or_else(
                    || {
                        response
                            .get("response")
                            .map(Value::to_string)
                            .unwrap_or_default()
                    },
                    |output| {
                        output
                            .as_str()
                            .map_or_else(|| output.to_string(), str::to_owned)
                    },
                );
                items.push(Item::ToolResult {
                    call_id: str_of(response, "id").to_owned(),
                    output,
                    is_error: None,
                });
            } else if let Some(text) = part.get("text").and_then(Value::as_str)
                && part.get("thought").and_then(Value::as_bool) != Some(true)
            {
                items.push(if model {
                    Item::Assistant(text.to_owned())
                } else {
                    Item::User(text.to_owned())
                });
            }
        }
    }
    items
}
