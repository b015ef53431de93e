//! A Crush session → the transcript, as Crush puts it before the model
//! (`internal/agent/agent.go`, `preparePrompt`; `internal/message/content.go`, `ToAIMessage`):
//!
//! - a `user` message is its text, its attachments (`binary`: images and files; a text file is
//!   given to the model inline, so it is read as text) and the `!commands` the user ran;
//! - an `assistant` message is its reasoning, text and tool calls; one with none of them (a
//!   cancelled turn) is left out, and a tool call's `input` that is not JSON counts as `{}`;
//! - a `tool` message holds results; a result whose call is not in the session is left out;
//! - a summary message (`is_summary_message`, written by `/summarize`) stands for everything
//!   before it: the model sees it as the user's, in place of the history (a summary that failed
//!   is left out);
//! - `finish` parts and `system` messages are Crush's own bookkeeping.
//!
//! A message whose `parts` is not a JSON array, or whose role is unknown, is skipped and counted;
//! so is each part that does not decode (Crush would refuse the whole message).

use crate::db::{RawMessage, RawSession};
use crate::parts::{self, Binary, CrushPart, Reasoning};
use crate::tools;
use handoff_adapter_kit::text::first_user_line;
use handoff_plugin_api::{
    ExtractReport, Extracted, Media, Message, Part, Role, SessionMeta, Transcript,
};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Where a session came from: its database and the project that database belongs to.
pub struct Source<'a> {
    pub db: &'a str,
    pub project: &'a str,
}

pub fn to_extracted(
    session: RawSession,
    messages: Vec<RawMessage>,
    source: &Source<'_>,
) -> Extracted {
    let mut report = ExtractReport {
        sidechains: session.children,
        ..ExtractReport::default()
    };
    let mut decoded = Vec::with_capacity(messages.len());
    for message in messages {
        let Some((parts, skipped)) = message.parts.as_deref().and_then(parts::decode) else {
            report.skipped_lines += 1;
            continue;
        };
        report.skipped_lines += skipped;
        decoded.push((message, parts));
    }
    let calls: HashSet<&str> = decoded
        .iter()
        .filter(|(m, _)| m.role.as_deref() == Some("assistant"))
        .flat_map(|(_, parts)| parts)
        .filter_map(|part| match part {
            CrushPart::ToolCall(call) => Some(call.id.as_str()),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    let mut model = None;
    for (message, parts) in &decoded {
        let converted = match message.role.as_deref() {
            Some("user") => user(parts),
            Some("assistant") if message.is_summary => summary(parts),
            Some("assistant") => {
                let converted = assistant(parts, message_model(message));
                if converted.is_some() {
                    model = message_model(message).or(model);
                }
                converted
            }
            Some("tool") => results(parts, &calls),
            Some("system") => None,
            _ => {
                report.skipped_lines += 1;
                None
            }
        };
        if let Some(mut converted) = converted {
            converted.timestamp_ms = message.created;
            out.push(converted);
        }
    }
    let title = session
        .title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| first_user_line(&out));
    let meta = SessionMeta {
        id: session.id,
        agent: "crush".into(),
        title,
        cwd: Some(source.project.to_owned()),
        created_ms: session.created,
        updated_ms: session.updated,
        model,
        git_branch: None,
        source_path: Some(source.db.to_owned()),
    };
    Extracted {
        transcript: Transcript::new(meta, out),
        report,
    }
}

/// `provider/model`, as the assistant message records who wrote it.
fn message_model(message: &RawMessage) -> Option<String> {
    let model = message.model.as_deref().filter(|m| !m.is_empty())?;
    Some(
        match message.provider.as_deref().filter(|p| !p.is_empty()) {
            Some(provider) => format!("{provider}/{model}"),
            None => model.to_owned(),
        },
    )
}

fn user(parts: &[CrushPart]) -> Option<Message> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            CrushPart::Text(text) if !text.trim().is_empty() => {
                out.push(Part::Text { text: text.clone() });
            }
            CrushPart::Binary(binary) => out.push(attachment(binary)),
            CrushPart::ImageUrl(url) if !url.is_empty() => out.push(Part::Image(image_url(url))),
            CrushPart::ShellCommand(shell) => out.push(Part::Text {
                text: format!(
                    "$ {}\n{}\n(exit code {})",
                    shell.command,
                    strip_ansi(&shell.output),
                    shell.exit_code
                ),
            }),
            _ => {}
        }
    }
    (!out.is_empty()).then(|| Message::new(Role::User, out))
}

/// An attachment: a text file as the model gets it (inline, with its path), anything else as
/// media.
fn attachment(binary: &Binary) -> Part {
    use base64::Engine;
    if binary.mime_type.starts_with("text/")
        && let Some(text) = base64::engine::general_purpose::STANDARD
            .decode(binary.data.as_bytes())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
    {
        let open = if binary.path.is_empty() {
            String::from("<file>")
        } else {
            format!("<file path='{}'>", binary.path)
        };
        return Part::Text {
            text: format!("{open}\n\n{text}\n</file>"),
        };
    }
    let path = (!binary.path.is_empty()).then(|| binary.path.clone());
    let media = Media {
        media_type: if binary.mime_type.is_empty() {
            String::from("application/octet-stream")
        } else {
            binary.mime_type.clone()
        },
        data_base64: Some(binary.data.clone()),
        name: path
            .as_deref()
            .and_then(|p| p.rsplit(['/', '\\']).next())
            .map(str::to_owned),
        path,
    };
    if media.media_type.starts_with("image/") {
        Part::Image(media)
    } else {
        Part::File(media)
    }
}

/// An image given by URL: inline bytes when it is a `data:` URL.
fn image_url(url: &str) -> Media {
    let inline = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
        .and_then(|(header, data)| Some((header.strip_suffix(";base64")?, data)));
    match inline {
        Some((media_type, data)) => Media {
            media_type: media_type.to_owned(),
            data_base64: Some(data.to_owned()),
            path: None,
            name: None,
        },
        None => Media {
            media_type: String::from("image/*"),
            data_base64: None,
            path: Some(url.to_owned()),
            name: None,
        },
    }
}

/// `text` without the terminal's colour and cursor sequences (`ESC [ … letter`), as Crush strips
/// a command's output before the model sees it.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn assistant(parts: &[CrushPart], model: Option<String>) -> Option<Message> {
    let mut out = Vec::new();
    for part in parts {
        match part {
            CrushPart::Reasoning(reasoning) if !reasoning.thinking.is_empty() => {
                out.push(reasoning_part(reasoning));
            }
            CrushPart::Text(text) if !text.trim().is_empty() => {
                out.push(Part::Text { text: text.clone() });
            }
            CrushPart::ToolCall(call) => {
                // Crush replaces a call's arguments that are not JSON with `{}`.
                let input = serde_json::from_str::<Value>(&call.input)
                    .unwrap_or_else(|_| Value::Object(Map::new()));
                out.push(Part::ToolCall {
                    id: call.id.clone(),
                    tool: tools::to_tool(&call.name, &input),
                    name: call.name.clone(),
                    input,
                });
            }
            _ => {}
        }
    }
    if out.is_empty() {
        return None;
    }
    let mut message = Message::new(Role::Assistant, out);
    message.model = model;
    Some(message)
}

/// Crush keeps Anthropic's thinking signature and Google's thought signature apart.
fn reasoning_part(reasoning: &Reasoning) -> Part {
    let (signature, provider) = if !reasoning.signature.is_empty() {
        (Some(reasoning.signature.clone()), Some("anthropic"))
    } else if !reasoning.thought_signature.is_empty() {
        (Some(reasoning.thought_signature.clone()), Some("google"))
    } else {
        (None, None)
    };
    Part::Reasoning {
        text: reasoning.thinking.clone(),
        signature,
        provider: provider.map(str::to_owned),
    }
}

fn summary(parts: &[CrushPart]) -> Option<Message> {
    let failed = parts
        .iter()
        .any(|part| matches!(part, CrushPart::Finish(finish) if finish.reason == "error"));
    let text = parts.iter().find_map(|part| match part {
        CrushPart::Text(text) if !text.trim().is_empty() => Some(text.clone()),
        _ => None,
    });
    match (failed, text) {
        (false, Some(summary)) => {
            Some(Message::new(Role::User, vec![Part::Compaction { summary }]))
        }
        _ => None,
    }
}

fn results(parts: &[CrushPart], calls: &HashSet<&str>) -> Option<Message> {
    let out: Vec<Part> = parts
        .iter()
        .filter_map(|part| match part {
            CrushPart::ToolResult(result) if calls.contains(result.tool_call_id.as_str()) => {
                let images = (!result.data.is_empty())
                    .then(|| Media {
                        media_type: result.mime_type.clone(),
                        data_base64: Some(result.data.clone()),
                        path: None,
                        name: None,
                    })
                    .into_iter()
                    .collect();
                Some(Part::ToolResult {
                    call_id: result.tool_call_id.clone(),
                    output: result.content.clone(),
                    images,
                    is_error: result.is_error,
                })
            }
            _ => None,
        })
        .collect();
    (!out.is_empty()).then(|| Message::new(Role::Assistant, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_output_loses_its_colours() {
        assert_eq!(strip_ansi("\u{1b}[1;32mok\u{1b}[0m done"), "ok done");
        assert_eq!(strip_ansi("plain [x]"), "plain [x]");
    }

    #[test]
    fn a_data_url_is_inline_media() {
        let media = image_url("data:image/png;base64,iVBO");
        assert_eq!(media.media_type, "image/png");
        assert_eq!(media.data_base64.as_deref(), Some("iVBO"));
        let media = image_url("https://example.com/a.png");
        assert_eq!(media.path.as_deref(), Some("https://example.com/a.png"));
    }
}
