//! Reading `.aider.chat.history.md`.
//!
//! Aider only ever appends to this file (aider/io.py, `InputOutput.append_chat_history`):
//! - each launch: `\n# aider chat started at YYYY-MM-DD HH:MM:SS\n\n` (`InputOutput.__init__`);
//! - each prompt: `\n#### line one  \n#### line two  \n` (`InputOutput.user_input`);
//! - each reply: `\n` + reply.strip() + `\n\n` (`InputOutput.ai_output`);
//! - whatever aider itself prints: `> text  \n` (`tool_output`, `tool_error`, `confirm_ask`),
//!   among them `> Running <command>` before each shell command it runs
//!   (aider/coders/base_coder.py, `handle_shell_commands`); the command's output is not kept.
//!
//! `aider --restore-chat-history` reads it back with aider/utils.py `split_chat_history_markdown`:
//! lines starting `# ` are skipped, `#### ` lines are the user's, `> ` lines are tool output (and
//! dropped), everything else is the assistant's. This reader classifies lines the same way and
//! additionally splits the file into its sessions at the `# aider chat started at` lines.

use handoff_plugin_api::{Message, Part, Role, Tool, ToolKind};
use serde_json::{Map, Value};
use std::collections::HashMap;

use crate::clock;

pub const HEADER: &str = "# aider chat started at ";
/// The line handoff writes right after the header of a section it imported (see `undo`).
pub const MARKER: &str = "# handoff: ";
pub const USER: &str = "#### ";
pub const QUOTE: &str = "> ";
/// Aider ends user and quoted lines with a Markdown hard break.
pub const HARD_BREAK: &str = "  ";

/// Quoted lines with a meaning: a shell command aider ran, a tool call handoff imported, and the
/// line that marks the imported call's result as an error. A call's result lines follow it,
/// indented by four spaces when handoff wrote them.
pub const RUNNING: &str = "Running ";
/// The name of the call a `Running <command>` line stands for: aider's only tool.
pub const SHELL: &str = "shell";
pub const TOOL_CALL: &str = "Tool call: ";
pub const TOOL_ERROR: &str = "Tool error:";
pub const RESULT_INDENT: &str = "    ";

/// Aider's reasoning markers (aider/reasoning_tags.py): reasoning opens with `REASONING_TAG` and
/// closes with the model's own tag, `think` for some models.
pub const REASONING_TAG: &str = "thinking-content-7bbeb8e1441453ad999a0bbba8a46d4b";
const REASONING_TAGS: [&str; 2] = [REASONING_TAG, "think"];

/// `extra` key of a message made of aider's quoted lines, so aider → aider keeps them quoted.
pub const QUOTED_EXTRA: &str = "aider";
pub const QUOTED_VALUE: &str = "quoted";

/// One line of the file, without its line ending.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub offset: usize,
    pub text: &'a str,
}

/// One `# aider chat started at` section: one aider session.
#[derive(Debug)]
pub struct Section<'a> {
    pub id: String,
    pub started_ms: Option<i64>,
    /// Byte offset of the header line.
    pub header_offset: usize,
    /// handoff's line after the header, when handoff wrote this section.
    pub marker: Option<Line<'a>>,
    pub body: Vec<Line<'a>>,
    /// Lines that are not text (invalid UTF-8, NUL bytes).
    pub skipped: usize,
}

#[derive(Debug, Default)]
pub struct History<'a> {
    pub sections: Vec<Section<'a>>,
    /// Non-blank lines before the first header: aider never writes any.
    pub preamble: usize,
}

impl<'a> History<'a> {
    pub fn parse(bytes: &'a [u8]) -> Self {
        let mut history = History::default();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (line_offset, raw) in lines(bytes) {
            let text = match std::str::from_utf8(raw) {
                Ok(text) if !text.contains('\0') => text,
                _ => {
                    match history.sections.last_mut() {
                        Some(section) => section.skipped += 1,
                        None => history.preamble += 1,
                    }
                    continue;
                }
            };
            let line = Line {
                offset: line_offset,
                text,
            };
            if let Some(started_ms) = text.strip_prefix(HEADER).and_then(clock::parse_stamp) {
                let stamp_id = clock::stamp_id(text.get(HEADER.len()..).unwrap_or_default());
                let count = seen.entry(stamp_id.clone()).or_insert(0);
                *count += 1;
                let id = match *count {
                    1 => stamp_id,
                    n => format!("{stamp_id}-{n}"),
                };
                history.sections.push(Section {
                    id,
                    started_ms: Some(started_ms),
                    header_offset: line_offset,
                    marker: None,
                    body: Vec::new(),
                    skipped: 0,
                });
                continue;
            }
            match history.sections.last_mut() {
                Some(section) if section.body.is_empty() && text.starts_with(MARKER) => {
                    section.marker = Some(line);
                }
                Some(section) => section.body.push(line),
                None if text.trim().is_empty() => {}
                None => history.preamble += 1,
            }
        }
        history
    }

    /// The id the next section would get if it started at `stamp`.
    pub fn next_id(&self, stamp: &str) -> String {
        let stamp_id = clock::stamp_id(stamp);
        let same = self
            .sections
            .iter()
            .filter(|s| s.id == stamp_id || s.id.starts_with(&format!("{stamp_id}-")))
            .count();
        match same {
            0 => stamp_id,
            n => format!("{stamp_id}-{}", n + 1),
        }
    }
}

/// A BOM some editors put at the start of a file; it is not part of the first line.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// The lines of the file, each with its offset, without its end: `\n`, `\r\n` or a lone `\r`
/// (Markdown's three line ends; aider reads the file with Python's universal newlines, which
/// knows the same three). As with splitting at each end, the text after the last end is a
/// line too, empty when the file ends with one.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut offset = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = bytes.get(offset..).unwrap_or_default();
        let start = offset;
        let line = match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(end) => {
                let crlf = rest.get(end..end + 2) == Some(b"\r\n");
                offset += end + if crlf { 2 } else { 1 };
                rest.get(..end).unwrap_or_default()
            }
            None => {
                done = true;
                rest
            }
        };
        Some((start, line))
    })
}

/// What a section holds as a conversation.
#[derive(Debug, Default)]
pub struct Conversation {
    pub messages: Vec<Message>,
    /// From aider's start-up announcement (`Main model: … with … edit format`).
    pub model: Option<String>,
    /// The first line of the first prompt.
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Quoted,
    Plain,
}

fn kind(line: &str) -> Kind {
    if line.starts_with(USER) {
        Kind::User
    } else if line.starts_with(QUOTE) {
        Kind::Quoted
    } else {
        Kind::Plain
    }
}

impl Section<'_> {
    pub fn conversation(&self) -> Conversation {
        let mut conversation = Conversation::default();
        let mut calls = 0;
        let mut seen_prompt = false;
        let mut first_prompt = None;
        for (kind, lines) in blocks(&self.body) {
            match kind {
                Kind::User => {
                    let text = lines
                        .iter()
                        .map(|l| strip_hard_break(l.get(USER.len()..).unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join("\n");
                    // Name the session by its first request, not by an aider command.
                    if conversation.title.is_none() && !is_command(&text) {
                        conversation.title = title(&text);
                    }
                    first_prompt = first_prompt.or_else(|| title(&text));
                    seen_prompt = true;
                    push(
                        &mut conversation.messages,
                        Role::User,
                        vec![Part::Text { text }],
                    );
                }
                Kind::Plain => {
                    let parts = reply_parts(lines.join("\n").trim_start_matches('\n'));
                    if !parts.is_empty() {
                        push(&mut conversation.messages, Role::Assistant, parts);
                    }
                }
                Kind::Quoted => {
                    let lines: Vec<&str> = lines
                        .iter()
                        .map(|l| strip_hard_break(l.get(QUOTE.len()..).unwrap_or_default()))
                        .collect();
                    let parts = quoted_parts(&lines, &self.id, &mut calls);
                    let has_call = parts.iter().any(|p| matches!(p, Part::ToolCall { .. }));
                    // Before the first prompt of a session aider prints its announcement
                    // (version, model, repository): client chrome, not conversation.
                    if !seen_prompt && !has_call && self.marker.is_none() {
                        conversation.model = conversation.model.or_else(|| announced_model(&lines));
                        continue;
                    }
                    let mut message = Message::new(Role::Assistant, parts);
                    message
                        .extra
                        .insert(QUOTED_EXTRA.into(), Value::String(QUOTED_VALUE.into()));
                    conversation.messages.push(message);
                }
            }
        }
        conversation.title = conversation.title.or(first_prompt);
        conversation
    }
}

/// `/add x.py`, `!ls`: aider's in-chat commands.
fn is_command(prompt: &str) -> bool {
    prompt.starts_with('/') || prompt.starts_with('!')
}

/// Runs of lines of one kind. A blank line is the assistant's, as in aider's own reader, so it
/// ends a run of prompt or quoted lines.
fn blocks<'a>(body: &[Line<'a>]) -> Vec<(Kind, Vec<&'a str>)> {
    let mut blocks: Vec<(Kind, Vec<&'a str>)> = Vec::new();
    for line in body {
        let kind = kind(line.text);
        match blocks.last_mut() {
            Some((last, lines)) if *last == kind => lines.push(line.text),
            _ => blocks.push((kind, vec![line.text])),
        }
    }
    blocks
}

fn push(messages: &mut Vec<Message>, role: Role, parts: Vec<Part>) {
    messages.push(Message::new(role, parts));
}

fn strip_hard_break(line: &str) -> &str {
    line.strip_suffix(HARD_BREAK).unwrap_or(line)
}

/// A reply line that would be misread starts with `# `, `#### ` or `> ` (by aider) or with a
/// reasoning tag (by this reader); the writer indents such lines (after any spaces) by one more
/// space, which Markdown renders the same.
pub fn misread(line: &str) -> bool {
    let line = line.trim_start_matches(' ');
    line.starts_with("# ")
        || line.starts_with(USER)
        || line.starts_with(QUOTE)
        || REASONING_TAGS
            .iter()
            .any(|tag| line.strip_prefix('<').is_some_and(|l| l.starts_with(tag)))
}

/// The reply's own text: the writer's indentation undone, surrounding blank lines dropped.
fn unescape(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| match line.strip_prefix(' ') {
            Some(rest) if misread(rest) => rest,
            _ => line,
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

fn title(prompt: &str) -> Option<String> {
    let line = prompt.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut title: String = line.chars().take(80).collect();
    if title.len() < line.len() {
        title.push('…');
    }
    Some(title)
}

/// A reply, with the reasoning aider wrote before the answer as a reasoning part. `text` is as
/// written: a tag the writer escaped does not open reasoning.
fn reply_parts(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut rest = text;
    if let Some((reasoning, after)) = split_reasoning(text) {
        let reasoning = unescape(reasoning);
        if !reasoning.is_empty() {
            parts.push(Part::Reasoning {
                text: reasoning,
                signature: None,
                provider: None,
            });
        }
        rest = after;
    }
    let rest = unescape(rest);
    if !rest.is_empty() {
        parts.push(Part::Text { text: rest });
    }
    parts
}

/// Aider's reply starts with the reasoning when there is any; a tag later in a reply is text
/// (a reply explaining `<think>` tags, say).
fn split_reasoning(text: &str) -> Option<(&str, &str)> {
    let inner = REASONING_TAGS
        .iter()
        .find_map(|tag| text.strip_prefix(&format!("<{tag}>")))?;
    let (close_at, close_len) = REASONING_TAGS
        .iter()
        .filter_map(|tag| {
            inner
                .find(&format!("</{tag}>"))
                .map(|at| (at, tag.len() + 3))
        })
        .min()?;
    Some((inner.get(..close_at)?, inner.get(close_at + close_len..)?))
}

struct OpenCall {
    id: String,
    name: String,
    input: Value,
    output: Vec<String>,
    is_error: bool,
}

/// Quoted lines as parts: plain notes become text; a `Running …` or `Tool call: …` line becomes
/// a tool call whose result is the quoted lines after it.
fn quoted_parts(lines: &[&str], section_id: &str, calls: &mut usize) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut text: Vec<&str> = Vec::new();
    let mut open: Option<OpenCall> = None;
    for line in lines {
        if let Some((name, input)) = call_line(line) {
            flush_text(&mut parts, &mut text);
            close_call(&mut parts, open.take());
            *calls += 1;
            open = Some(OpenCall {
                id: format!("aider-{section_id}-{calls}"),
                name,
                input,
                output: Vec::new(),
                is_error: false,
            });
            continue;
        }
        match open.as_mut() {
            Some(call) if call.output.is_empty() && !call.is_error && *line == TOOL_ERROR => {
                call.is_error = true;
            }
            Some(call) => {
                let line = line.strip_prefix(RESULT_INDENT).unwrap_or(line);
                call.output.push(line.to_owned());
            }
            None => text.push(line),
        }
    }
    flush_text(&mut parts, &mut text);
    close_call(&mut parts, open);
    parts
}

fn call_line(line: &str) -> Option<(String, Value)> {
    if let Some(command) = line.strip_prefix(RUNNING) {
        let mut input = Map::new();
        input.insert("command".into(), Value::String(command.to_owned()));
        return Some((SHELL.into(), Value::Object(input)));
    }
    let call = line.strip_prefix(TOOL_CALL)?;
    let (name, input) = call.split_once(' ').unwrap_or((call, ""));
    let input = match input.trim() {
        "" => Value::Object(Map::new()),
        json => serde_json::from_str(json).unwrap_or_else(|_| Value::String(json.to_owned())),
    };
    Some((name.to_owned(), input))
}

fn flush_text(parts: &mut Vec<Part>, text: &mut Vec<&str>) {
    if text.iter().any(|l| !l.trim().is_empty()) {
        parts.push(Part::Text {
            text: text.join("\n"),
        });
    }
    text.clear();
}

fn close_call(parts: &mut Vec<Part>, call: Option<OpenCall>) {
    if let Some(call) = call {
        // Aider's own calls are shell commands; any other name came from another agent's call.
        let tool = match (&call.input, call.name == SHELL) {
            (Value::Object(args), true) => Tool {
                kind: ToolKind::Shell,
                args: args.clone(),
            },
            _ => Tool::default(),
        };
        parts.push(Part::ToolCall {
            id: call.id.clone(),
            name: call.name,
            input: call.input,
            tool,
        });
        parts.push(Part::ToolResult {
            call_id: call.id,
            output: call.output.join("\n"),
            images: Vec::new(),
            is_error: call.is_error,
        });
    }
}

/// `Main model: anthropic/claude-sonnet-4 with diff edit format, …` (or `Model: …` when the weak
/// model is the main one), from `Coder.get_announcements`.
fn announced_model(lines: &[&str]) -> Option<String> {
    lines.iter().find_map(|line| {
        let rest = line
            .strip_prefix("Main model: ")
            .or_else(|| line.strip_prefix("Model: "))?;
        let model = rest.split(" with ").next()?.trim();
        (!model.is_empty()).then(|| model.to_owned())
    })
}
