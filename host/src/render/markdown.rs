//! `--format markdown`: a transcript for people (and for pasting into a review), a heading per
//! turn, tool calls and outputs as fenced blocks.

use handoff_plugin_api::{Media, Part, Transcript};
use std::fmt::Write;

pub fn markdown(transcript: &Transcript) -> String {
    let session = &transcript.session;
    let mut out = String::new();
    let title = session.title.as_deref().unwrap_or("Conversation");
    let _ = writeln!(out, "# {}\n", title.trim());
    let _ = writeln!(out, "- Source: {} session `{}`", session.agent, session.id);
    if let Some(path) = &session.source_path {
        let _ = writeln!(out, "- File: `{path}`");
    }
    if let Some(cwd) = &session.cwd {
        let _ = writeln!(out, "- Project: `{cwd}`");
    }
    for message in &transcript.messages {
        let _ = writeln!(out, "\n## {}\n", super::role_label(message.role));
        for part in &message.parts {
            write_part(&mut out, part);
        }
    }
    out
}

fn write_part(out: &mut String, part: &Part) {
    match part {
        Part::Text { text } => {
            let _ = writeln!(out, "{}\n", text.trim_end());
        }
        Part::Reasoning { text, .. } => {
            let _ = writeln!(out, "*Reasoning*\n");
            for line in text.trim_end().lines() {
                let _ = writeln!(out, "> {line}");
            }
            out.push('\n');
        }
        Part::ToolCall {
            id, name, input, ..
        } => {
            let _ = writeln!(out, "**Tool call** `{name}` ({id})\n");
            let json = serde_json::to_string_pretty(input).unwrap_or_default();
            fenced(out, "json", &json);
        }
        Part::ToolResult {
            call_id,
            output,
            images,
            is_error,
        } => {
            let label = if *is_error {
                "Tool error"
            } else {
                "Tool result"
            };
            let _ = writeln!(out, "**{label}** ({call_id})\n");
            fenced(out, "", output);
            for image in images {
                media(out, "Image", image);
            }
        }
        Part::Image(image) => media(out, "Image", image),
        Part::File(file) => media(out, "File", file),
        Part::Compaction { summary } => {
            let _ = writeln!(out, "*Earlier conversation, as summarised by the agent:*\n");
            let _ = writeln!(out, "{}\n", summary.trim_end());
        }
    }
}

fn media(out: &mut String, label: &str, media: &Media) {
    let _ = writeln!(out, "*{label}: {}*\n", super::media_label(media));
}

/// A fence longer than any backtick run inside, so content can never close it early.
fn fenced(out: &mut String, lang: &str, content: &str) {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{lang}\n{}\n{fence}\n", content.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{Message, Role, SessionMeta};

    #[test]
    fn tool_calls_and_outputs_are_fenced_blocks() {
        let transcript = Transcript::new(
            SessionMeta {
                id: "s1".into(),
                agent: "codex".into(),
                ..SessionMeta::default()
            },
            vec![
                Message::new(
                    Role::User,
                    vec![Part::Text {
                        text: "list files".into(),
                    }],
                ),
                Message::new(
                    Role::Assistant,
                    vec![
                        Part::ToolCall {
                            id: "c1".into(),
                            name: "shell".into(),
                            input: serde_json::json!({"command": ["ls"]}),
                            tool: Default::default(),
                        },
                        Part::ToolResult {
                            call_id: "c1".into(),
                            output: "a\n```\nb".into(),
                            images: vec![],
                            is_error: true,
                        },
                    ],
                ),
            ],
        );
        let md = markdown(&transcript);
        assert!(md.contains("## User\n\nlist files\n"), "{md}");
        assert!(
            md.contains("**Tool call** `shell` (c1)\n\n```json\n"),
            "{md}"
        );
        assert!(
            md.contains("**Tool error** (c1)\n\n````\na\n```\nb\n````"),
            "{md}"
        );
    }
}
