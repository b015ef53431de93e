//! Transcripts for people: Markdown (`--format markdown`), the terminal (`handoff show`) and one
//! HTML page (`--format html`). What they share is here: each tool call shown with its output,
//! the turns a reader sees, labels for roles and media, times and counts for the header.

mod html;
mod markdown;
mod text;

pub use html::html;
pub use markdown::markdown;
pub use text::{Style, text};

use handoff_plugin_api::{Media, Message, Part, Role, Tool, Transcript};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// How many lines of a tool's output (or of a long argument) are shown before it is folded.
pub const FOLDED_LINES: usize = 6;

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::User => "User",
        Role::Assistant => "Assistant",
        Role::System => "System",
        Role::Developer => "Developer",
    }
}

/// `shot.png (image/png, 1204 bytes)`
pub fn media_label(media: &Media) -> String {
    let name = media
        .path
        .as_deref()
        .or(media.name.as_deref())
        .unwrap_or("inline");
    let size = media
        .data_base64
        .as_ref()
        .map(|d| format!(", {} bytes", d.len() / 4 * 3))
        .unwrap_or_default();
    format!("{name} ({}{size})", media.media_type)
}

/// `2026-11-24 10:00:01 UTC`
pub fn date_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// `10:00:01`, the time of a message (the header gives the date).
pub fn clock(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// A tool's output, found by the id of the call it answers.
pub struct Output<'a> {
    pub text: &'a str,
    pub images: &'a [Media],
    pub is_error: bool,
}

/// One message as shown: the parts left once outputs moved to their calls, and the number of
/// the turn it starts (a user message that says something).
pub struct ShownMessage<'a> {
    pub message: &'a Message,
    pub parts: Vec<&'a Part>,
    pub turn: Option<usize>,
}

/// A transcript arranged for reading: every call with its output, messages left empty by that
/// (a user message that only carried results, as Claude Code stores them) left out.
pub struct View<'a> {
    pub transcript: &'a Transcript,
    pub messages: Vec<ShownMessage<'a>>,
    outputs: HashMap<&'a str, Output<'a>>,
}

impl<'a> View<'a> {
    pub fn new(transcript: &'a Transcript) -> Self {
        let parts = || transcript.messages.iter().flat_map(|m| &m.parts);
        let calls: HashSet<&str> = parts()
            .filter_map(|part| match part {
                Part::ToolCall { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let mut outputs = HashMap::new();
        for part in parts() {
            if let Part::ToolResult {
                call_id,
                output,
                images,
                is_error,
            } = part
                && calls.contains(call_id.as_str())
            {
                outputs.entry(call_id.as_str()).or_insert(Output {
                    text: output,
                    images,
                    is_error: *is_error,
                });
            }
        }
        let mut turns = 0;
        let messages = transcript
            .messages
            .iter()
            .filter_map(|message| {
                let parts: Vec<&Part> = message
                    .parts
                    .iter()
                    .filter(|part| {
                        !matches!(part, Part::ToolResult { call_id, .. } if calls.contains(call_id.as_str()))
                    })
                    .collect();
                if parts.is_empty() {
                    return None;
                }
                let says_something = parts.iter().any(|p| !matches!(p, Part::ToolResult { .. }));
                let turn = (message.role == Role::User && says_something).then(|| {
                    turns += 1;
                    turns
                });
                Some(ShownMessage {
                    message,
                    parts,
                    turn,
                })
            })
            .collect();
        Self {
            transcript,
            messages,
            outputs,
        }
    }

    pub fn output(&self, call_id: &str) -> Option<&Output<'a>> {
        self.outputs.get(call_id)
    }

    /// `6 messages · 2 turns · 2 tool calls · 1 image`
    pub fn counts(&self) -> String {
        let parts = || self.transcript.messages.iter().flat_map(|m| &m.parts);
        let calls = parts()
            .filter(|p| matches!(p, Part::ToolCall { .. }))
            .count();
        let images = parts()
            .map(|part| match part {
                Part::Image(_) => 1,
                Part::ToolResult { images, .. } => images.len(),
                _ => 0,
            })
            .sum();
        let turns = self.messages.iter().filter(|m| m.turn.is_some()).count();
        let compactions = parts()
            .filter(|p| matches!(p, Part::Compaction { .. }))
            .count();
        [
            (self.transcript.messages.len(), "message"),
            (turns, "turn"),
            (calls, "tool call"),
            (images, "image"),
            (compactions, "compaction"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| plural(n, what))
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

/// `1 tool call`, `2 tool calls`
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The time span of the session: `2026-11-24 10:00:01 UTC → 10:14:30` (the date once when both
/// ends share it).
pub fn span(transcript: &Transcript) -> Option<String> {
    let session = &transcript.session;
    let created = session.created_ms?;
    let start = date_time(created);
    match session.updated_ms.filter(|u| date_time(*u) != start) {
        Some(updated) if date_time(updated).get(..10) == start.get(..10) => {
            Some(format!("{start} → {} UTC", clock(updated)))
        }
        Some(updated) => Some(format!("{start} → {}", date_time(updated))),
        None => Some(start),
    }
}

/// `shell`, `read`… as the transcript model names a call's kind; `None` for a tool of no known
/// kind.
pub fn kind_name(tool: &Tool) -> Option<String> {
    if tool.is_other() {
        return None;
    }
    serde_json::to_value(tool.kind)
        .ok()
        .and_then(|kind| kind.as_str().map(str::to_owned))
}

/// The argument that says most about a call, on one line: a shell command, a path, a pattern;
/// for a tool of no known kind, its first text argument.
pub fn call_gist(input: &Value, tool: &Tool) -> Option<String> {
    let from_kind = tool
        .kind
        .required()
        .first()
        .and_then(|key| tool.args.get(*key))
        .and_then(Value::as_str);
    let first_text = || input.as_object()?.values().find_map(Value::as_str);
    from_kind
        .or_else(first_text)
        .map(|text| crate::ui::one_line(text, 100))
}

/// The first `lines` lines of `text` and how many more there are.
pub fn fold(text: &str, lines: usize) -> (Vec<&str>, usize) {
    let mut all = text.trim_end().lines();
    let shown: Vec<&str> = all.by_ref().take(lines).collect();
    (shown, all.count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::test_transcript::{text, transcript};

    #[test]
    fn each_output_moves_to_its_call_and_a_message_left_empty_is_left_out() {
        let call = Part::ToolCall {
            id: "c1".into(),
            name: "Bash".into(),
            input: serde_json::json!({"command": "ls"}),
            tool: Tool::default(),
        };
        let result = |id: &str| Part::ToolResult {
            call_id: id.into(),
            output: "a\nb".into(),
            images: vec![],
            is_error: false,
        };
        let source = transcript(vec![
            vec![text("list")],
            vec![call],
            vec![result("c1")],
            vec![text("done")],
            vec![result("orphan")],
        ]);
        let view = View::new(&source);
        let turns: Vec<_> = view.messages.iter().map(|m| m.turn).collect();
        assert_eq!(
            turns,
            [Some(1), None, None, None],
            "an orphan output starts no turn"
        );
        assert_eq!(view.output("c1").map(|o| o.text), Some("a\nb"));
        assert!(view.output("orphan").is_none(), "an orphan stays in place");
        assert_eq!(
            view.counts(),
            "5 messages · 1 turn · 1 tool call",
            "the result-only message still counts as stored"
        );
    }

    #[test]
    fn folding_keeps_the_first_lines_and_counts_the_rest() {
        assert_eq!(fold("1\n2\n3\n", 2), (vec!["1", "2"], 1));
        assert_eq!(fold("1", 6), (vec!["1"], 0));
    }
}
