//! Writing a transcript as one section of `.aider.chat.history.md`, line for line as aider's own
//! `user_input` / `ai_output` / `tool_output` write it (see `history`), so that
//! `aider --restore-chat-history` restores the prompts and replies.
//!
//! Aider has no tool calls: a call is written as a quoted line (`> Running <command>` for a shell
//! command, as aider writes it; `> Tool call: <name> <json input>` otherwise) followed by its
//! result, quoted and indented by four spaces. Aider drops quoted lines when it restores, as it
//! does with its own; this reader turns them back into calls.

use handoff_plugin_api::{Media, Message, Part, Role, Tool, ToolKind, Transcript};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

use crate::history::{
    HARD_BREAK, QUOTE, QUOTED_EXTRA, QUOTED_VALUE, REASONING_TAG, RESULT_INDENT, RUNNING, SHELL,
    TOOL_CALL, TOOL_ERROR, USER, misread,
};

struct Outcome<'a> {
    output: &'a str,
    is_error: bool,
}

/// The body of a section (everything after its header lines).
pub fn body(transcript: &Transcript) -> String {
    let mut results: HashMap<&str, Outcome<'_>> = HashMap::new();
    let mut called: HashSet<&str> = HashSet::new();
    for part in transcript.messages.iter().flat_map(|m| &m.parts) {
        match part {
            Part::ToolResult {
                call_id,
                output,
                is_error,
                ..
            } => {
                results.entry(call_id).or_insert(Outcome {
                    output,
                    is_error: *is_error,
                });
            }
            Part::ToolCall { id, .. } => {
                called.insert(id);
            }
            _ => {}
        }
    }
    let mut out = Writer {
        text: String::new(),
        results,
        called,
        after_call: false,
    };
    for message in &transcript.messages {
        out.message(message);
    }
    out.text
}

struct Writer<'a> {
    text: String,
    /// Each call's result, taken when the call is written.
    results: HashMap<&'a str, Outcome<'a>>,
    called: HashSet<&'a str>,
    /// Whether the last lines written are a call's: quoted lines now would read back as its result.
    after_call: bool,
}

impl<'a> Writer<'a> {
    fn message(&mut self, message: &'a Message) {
        let quoted = message.extra.get(QUOTED_EXTRA).and_then(Value::as_str) == Some(QUOTED_VALUE);
        for part in &message.parts {
            match (message.role, part) {
                // System prompts and developer instructions are the source agent's context.
                (Role::System | Role::Developer, _) => {}
                (Role::User, Part::Text { text }) => self.prompt(text),
                (Role::User, Part::Image(media) | Part::File(media)) => {
                    self.prompt(&placeholder(part, media));
                }
                (Role::User, Part::Reasoning { .. }) => {}
                (Role::Assistant, Part::Text { text }) => {
                    if quoted && !self.after_call && quotable(text) {
                        for line in text.lines() {
                            self.quoted(line);
                        }
                    } else {
                        self.reply(text);
                    }
                }
                (Role::Assistant, Part::Reasoning { text, .. }) => {
                    // Unsigned text, as aider writes a reasoning model's thinking.
                    self.reasoning(text);
                }
                (Role::Assistant, Part::Image(media) | Part::File(media)) => {
                    self.reply(&placeholder(part, media));
                }
                (
                    _,
                    Part::ToolCall {
                        id,
                        name,
                        input,
                        tool,
                    },
                ) => {
                    self.call(id, name, input, tool);
                }
                (
                    _,
                    Part::ToolResult {
                        call_id, output, ..
                    },
                ) => {
                    // Written with its call; a result without a call is plain text.
                    if !self.called.contains(call_id.as_str()) {
                        self.reply(output);
                    }
                }
                (_, Part::Compaction { summary }) => self.reply(summary),
            }
        }
    }

    /// `InputOutput.user_input`: `\n#### line  \n#### line  \n`.
    fn prompt(&mut self, text: &str) {
        let text = text.trim_start_matches(['\n', '\r']).trim_end();
        if text.is_empty() {
            return;
        }
        self.after_call = false;
        self.text.push('\n');
        for line in text.lines() {
            self.text.push_str(USER);
            self.text.push_str(line);
            self.text.push_str(HARD_BREAK);
            self.text.push('\n');
        }
    }

    /// `InputOutput.ai_output`: `\n` + text.strip() + `\n\n`, lines aider would misread indented.
    fn reply(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.after_call = false;
        self.text.push('\n');
        self.escaped(text);
        self.text.push('\n');
    }

    /// A reasoning model's reply as aider streams it: the reasoning between its tags, first.
    fn reasoning(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.after_call = false;
        self.text.push_str(&format!("\n<{REASONING_TAG}>\n\n"));
        self.escaped(text);
        self.text.push_str(&format!("\n</{REASONING_TAG}>\n\n"));
    }

    fn escaped(&mut self, text: &str) {
        for line in text.lines() {
            if misread(line) {
                self.text.push(' ');
            }
            self.text.push_str(line);
            self.text.push('\n');
        }
    }

    /// `InputOutput.tool_output`: `> line  \n`.
    fn quoted(&mut self, line: &str) {
        self.text.push_str(QUOTE);
        self.text.push_str(line);
        self.text.push_str(HARD_BREAK);
        self.text.push('\n');
    }

    fn call(&mut self, id: &str, name: &str, input: &Value, tool: &Tool) {
        let line = match shell_command(name, input, tool) {
            Some(command) => format!("{RUNNING}{command}"),
            None => {
                let name: String = name
                    .chars()
                    .map(|c| if c.is_whitespace() { '_' } else { c })
                    .collect();
                let name = if name.is_empty() { "tool".into() } else { name };
                format!("{TOOL_CALL}{name} {input}")
            }
        };
        self.quoted(&line);
        // Every call gets exactly one result: a later call with the same id is interrupted.
        let result = self.results.remove(id).unwrap_or(Outcome {
            output: "interrupted",
            is_error: true,
        });
        if result.is_error {
            self.quoted(TOOL_ERROR);
        }
        for line in result.output.lines() {
            self.quoted(&format!("{RESULT_INDENT}{line}"));
        }
        self.after_call = true;
    }
}

/// Whether text can be quoted without reading back as a call or a result marker.
fn quotable(text: &str) -> bool {
    !text
        .lines()
        .any(|l| l.starts_with(RUNNING) || l.starts_with(TOOL_CALL) || l == TOOL_ERROR)
}

fn placeholder(part: &Part, media: &Media) -> String {
    let kind = if matches!(part, Part::Image(_)) {
        "image"
    } else {
        "file"
    };
    let what = media
        .name
        .as_deref()
        .or(media.path.as_deref())
        .unwrap_or(&media.media_type);
    format!("[{kind}: {what}]")
}

/// The one-line command of a shell call: aider's own `shell`, or any agent's call whose reader
/// put it in the shared vocabulary as a shell command.
fn shell_command(name: &str, input: &Value, tool: &Tool) -> Option<String> {
    let args = match tool.kind {
        ToolKind::Shell => &tool.args,
        _ if name == SHELL => input.as_object()?,
        _ => return None,
    };
    let command = args.get("command")?.as_str()?;
    let one_line = !command.trim().is_empty() && !command.contains(['\n', '\r']);
    one_line.then(|| command.to_owned())
}
