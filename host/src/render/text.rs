//! `handoff show`: the transcript in the terminal. A rule per message with its role and time,
//! each tool call with its arguments and the first lines of its output, thinking and
//! compactions marked. Colour only when asked; control characters from the transcript are shown
//! as `^X`, so a session cannot move the cursor or recolour the terminal.

use handoff_plugin_api::{Media, Part, Role, Transcript};
use serde_json::Value;
use std::fmt::Write;

use super::{
    FOLDED_LINES, Output, View, clock, fold, kind_name, media_label, plural, role_label, span,
};

/// How the text is laid out: with escape codes or none, and the width of the rules.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// A line of output longer than this is cut: one minified file must not fill the screen.
const LINE_CHARS: usize = 240;

pub fn text(transcript: &Transcript, sidechains: usize, style: Style) -> String {
    let view = View::new(transcript);
    let paint = Paint(style.color);
    let mut out = String::new();
    let session = &transcript.session;
    let title = session.title.as_deref().unwrap_or("Conversation");
    let _ = writeln!(
        out,
        "{}",
        paint.bold(&clean(crate::ui::one_line(title, 200).as_str()))
    );
    let _ = writeln!(out, "{} session {}", session.agent, clean(&session.id));
    let mut place = Vec::new();
    if let Some(cwd) = &session.cwd {
        place.push(clean(cwd));
    }
    if let Some(branch) = &session.git_branch {
        place.push(format!("branch {}", clean(branch)));
    }
    if let Some(model) = &session.model {
        place.push(clean(model));
    }
    if !place.is_empty() {
        let _ = writeln!(out, "{}", place.join(" · "));
    }
    let mut counts = view.counts();
    if let Some(span) = span(transcript) {
        counts = format!("{span} · {counts}");
    }
    let _ = writeln!(out, "{}", paint.dim(&counts));
    if sidechains > 0 {
        let note = format!(
            "{} (subagent conversations) not shown",
            plural(sidechains, "sidechain")
        );
        let _ = writeln!(out, "{}", paint.dim(&note));
    }

    for shown in &view.messages {
        let message = shown.message;
        let mut heading = String::from(role_label(message.role));
        if let Some(ms) = message.timestamp_ms {
            heading = format!("{heading} · {}", clock(ms));
        }
        let rule = "─".repeat(style.width.saturating_sub(heading.chars().count() + 4));
        let heading = match message.role {
            Role::User => paint.code("1;36", &heading),
            Role::Assistant => paint.code("1;35", &heading),
            Role::System | Role::Developer => paint.code("1;33", &heading),
        };
        let _ = writeln!(out, "\n{} {heading} {}", paint.dim("──"), paint.dim(&rule));
        for part in &shown.parts {
            write_part(&mut out, &view, part, paint);
        }
    }
    out
}

fn write_part(out: &mut String, view: &View, part: &Part, paint: Paint) {
    match part {
        Part::Text { text } => {
            let _ = writeln!(out, "{}", clean(text.trim_end()));
        }
        Part::Reasoning { text, .. } => {
            let _ = writeln!(out, "{}", paint.code("2;3", "✻ Thinking"));
            for line in text.trim_end().lines() {
                let _ = writeln!(out, "{}", paint.code("2;3", &format!("│ {}", clean(line))));
            }
        }
        Part::ToolCall {
            id,
            name,
            input,
            tool,
        } => {
            let kind = kind_name(tool)
                .map(|kind| paint.dim(&format!(" ({kind})")))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {}{kind}",
                paint.code("33", "●"),
                paint.code("1;33", &clean(name))
            );
            write_arguments(out, input);
            if let Some(output) = view.output(id) {
                write_output(out, output, paint);
            }
        }
        Part::ToolResult {
            call_id,
            output,
            images,
            is_error,
        } => {
            let _ = writeln!(
                out,
                "{}",
                paint.dim(&format!("output of call {}", clean(call_id)))
            );
            write_output(
                out,
                &Output {
                    text: output,
                    images,
                    is_error: *is_error,
                },
                paint,
            );
        }
        Part::Image(image) => media_line(out, "image", image, paint),
        Part::File(file) => media_line(out, "file", file, paint),
        Part::Compaction { summary } => {
            let _ = writeln!(
                out,
                "{}",
                paint.code(
                    "1;34",
                    "⋯ Compacted: the agent summarised the conversation so far"
                )
            );
            for line in summary.trim_end().lines() {
                let _ = writeln!(out, "{}", paint.dim(&format!("│ {}", clean(line))));
            }
        }
    }
}

/// `    key: value`, each argument on its own lines; long texts folded.
fn write_arguments(out: &mut String, input: &Value) {
    let Some(arguments) = input.as_object() else {
        if !input.is_null() {
            let _ = writeln!(out, "    {}", cut(&clean(&input.to_string())));
        }
        return;
    };
    for (key, value) in arguments {
        let text = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let (lines, more) = fold(&text, FOLDED_LINES);
        let mut lines = lines.into_iter();
        let first = lines.next().unwrap_or_default();
        let _ = writeln!(out, "    {}: {}", clean(key), cut(&clean(first)));
        let indent = " ".repeat(key.chars().count() + 6);
        for line in lines {
            let _ = writeln!(out, "{indent}{}", cut(&clean(line)));
        }
        if more > 0 {
            let _ = writeln!(out, "{indent}… {}", plural(more, "more line"));
        }
    }
}

/// `  ⎿ first lines`, then `… 12 more lines`; an error says so.
fn write_output(out: &mut String, output: &Output, paint: Paint) {
    let (lines, more) = fold(output.text, FOLDED_LINES);
    let mark = if output.is_error {
        paint.code("31", "  ⎿ error:")
    } else {
        paint.dim("  ⎿")
    };
    if lines.is_empty() && output.images.is_empty() {
        let _ = writeln!(out, "{mark} {}", paint.dim("(no output)"));
    }
    for (i, line) in lines.iter().enumerate() {
        let lead = if i == 0 { mark.as_str() } else { "   " };
        let _ = writeln!(out, "{lead} {}", paint.dim(&cut(&clean(line))));
    }
    if more > 0 {
        let _ = writeln!(
            out,
            "    {}",
            paint.dim(&format!("… {}", plural(more, "more line")))
        );
    }
    for image in output.images {
        let _ = writeln!(
            out,
            "    {}",
            paint.code("36", &format!("[image: {}]", clean(&media_label(image))))
        );
    }
}

fn media_line(out: &mut String, label: &str, media: &Media, paint: Paint) {
    let text = format!("[{label}: {}]", clean(&media_label(media)));
    let _ = writeln!(out, "{}", paint.code("36", &text));
}

/// A line cut to [`LINE_CHARS`] characters.
fn cut(line: &str) -> String {
    match line.char_indices().nth(LINE_CHARS) {
        Some((end, _)) => format!("{}…", line.get(..end).unwrap_or(line)),
        None => line.to_owned(),
    }
}

/// Control characters (escape sequences, carriage returns, bells) as `^X`; tabs and newlines kept.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => match u8::try_from(u32::from(c)) {
                Ok(byte) if byte < 0x20 => {
                    out.push('^');
                    out.push(char::from(byte + 0x40));
                }
                _ => out.push('\u{fffd}'),
            },
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn code(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(self, text: &str) -> String {
        self.code("1", text)
    }

    fn dim(self, text: &str) -> String {
        self.code("2", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::test_transcript::{text as part, transcript};

    #[test]
    fn escape_sequences_of_the_session_never_reach_the_terminal() {
        let source = transcript(vec![vec![part("red \x1b[31mtext\x07\r\nnext\u{9b}2J")]]);
        let plain = text(
            &source,
            0,
            Style {
                color: false,
                width: 40,
            },
        );
        assert!(!plain.contains('\x1b') && !plain.contains('\x07') && !plain.contains('\u{9b}'));
        assert!(
            plain.contains("red ^[[31mtext^G^M\nnext\u{fffd}2J"),
            "{plain}"
        );
        let coloured = text(
            &source,
            0,
            Style {
                color: true,
                width: 40,
            },
        );
        assert!(coloured.contains("\x1b[1;36mUser\x1b[0m"), "{coloured}");
        assert!(coloured.contains("^[[31m"), "{coloured}");
    }

    #[test]
    fn long_outputs_and_arguments_are_folded() {
        let long = (1..=20)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let source = transcript(vec![
            vec![part("go")],
            vec![Part::ToolCall {
                id: "c1".into(),
                name: "Write".into(),
                input: serde_json::json!({"content": long, "path": "a.txt"}),
                tool: Default::default(),
            }],
            vec![Part::ToolResult {
                call_id: "c1".into(),
                output: long.clone(),
                images: vec![],
                is_error: true,
            }],
        ]);
        let shown = text(
            &source,
            0,
            Style {
                color: false,
                width: 40,
            },
        );
        assert!(shown.contains("● Write\n    content: line 1\n"), "{shown}");
        assert!(
            shown.contains("             line 6\n             … 14 more lines\n"),
            "{shown}"
        );
        assert!(
            shown.contains("    path: a.txt\n  ⎿ error: line 1\n"),
            "{shown}"
        );
        assert!(
            shown.contains("    line 6\n    … 14 more lines\n"),
            "{shown}"
        );
        assert!(!shown.contains("line 7"), "{shown}");
    }
}
