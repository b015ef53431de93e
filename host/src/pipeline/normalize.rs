//! The normalize step, between the budget and inject, once for every target: every tool call is
//! paired with exactly one result, so writers receive a transcript that already holds it.
//!
//! - A call that never got a result gets [`INTERRUPTED_OUTPUT`] as an error result, placed with
//!   the results of the calls made beside it (parallel calls keep their results together), or
//!   right after the calls when none of them got one.
//! - A result whose call is not before it (lost, or cut away), or a second result of one call,
//!   stays where it is as text, so the model still reads it.
//! - Nothing else moves: part order is kept.

use handoff_plugin_api::{INTERRUPTED_OUTPUT, Part, Transcript};
use std::collections::HashSet;

/// What normalize changed, for the report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Normalized {
    /// Calls that got the interrupted result.
    pub interrupted_calls: usize,
    /// Results kept as text because no call before them was waiting for them.
    pub orphan_results: usize,
}

/// Pairs every call with exactly one result (see the module docs).
pub fn normalize(transcript: &mut Transcript) -> Normalized {
    let mut report = Normalized::default();
    let mut waiting: HashSet<String> = HashSet::new();
    for message in &mut transcript.messages {
        for part in &mut message.parts {
            match part {
                Part::ToolCall { id, .. } => {
                    waiting.insert(id.clone());
                }
                Part::ToolResult { call_id, .. } if !waiting.remove(call_id.as_str()) => {
                    *part = orphan_text(part);
                    report.orphan_results += 1;
                }
                _ => {}
            }
        }
    }
    if waiting.is_empty() {
        return report;
    }
    report.interrupted_calls = waiting.len();
    for (message, position, ids) in placements(transcript, &waiting).into_iter().rev() {
        let results = ids.into_iter().map(|call_id| Part::ToolResult {
            call_id,
            output: INTERRUPTED_OUTPUT.to_owned(),
            images: Vec::new(),
            is_error: true,
        });
        if let Some(message) = transcript.messages.get_mut(message) {
            let at = position.min(message.parts.len());
            message.parts.splice(at..at, results);
        }
    }
    report
}

/// Where the results of the unanswered calls go, in transcript order: (message, part index to
/// insert at, call ids). A group is a run of consecutive calls in one message; its results go
/// after the last result any of its calls got, else right after the run.
fn placements(
    transcript: &Transcript,
    unanswered: &HashSet<String>,
) -> Vec<(usize, usize, Vec<String>)> {
    let mut placements = Vec::new();
    for (index, message) in transcript.messages.iter().enumerate() {
        let mut part = 0;
        while part < message.parts.len() {
            let run_end = message.parts[part..]
                .iter()
                .position(|p| !matches!(p, Part::ToolCall { .. }))
                .map_or(message.parts.len(), |n| part + n);
            if run_end == part {
                part += 1;
                continue;
            }
            let group: Vec<&str> = message.parts[part..run_end]
                .iter()
                .filter_map(|p| match p {
                    Part::ToolCall { id, .. } => Some(id.as_str()),
                    _ => None,
                })
                .collect();
            let missing: Vec<String> = group
                .iter()
                .filter(|id| unanswered.contains(**id))
                .map(|id| (*id).to_owned())
                .collect();
            if !missing.is_empty() {
                let (at_message, at_part) =
                    last_result_of(transcript, &group, index, run_end).unwrap_or((index, run_end));
                placements.push((at_message, at_part, missing));
            }
            part = run_end;
        }
    }
    // Later insertions first keeps earlier positions valid; sort by place.
    placements.sort_by_key(|(message, part, _)| (*message, *part));
    placements
}

/// The place right after the last result of one of `group`'s calls, searching from the calls on.
fn last_result_of(
    transcript: &Transcript,
    group: &[&str],
    message: usize,
    from_part: usize,
) -> Option<(usize, usize)> {
    let mut last = None;
    for (index, candidate) in transcript.messages.iter().enumerate().skip(message) {
        let start = if index == message { from_part } else { 0 };
        for (part, p) in candidate.parts.iter().enumerate().skip(start) {
            if let Part::ToolResult { call_id, .. } = p
                && group.contains(&call_id.as_str())
            {
                last = Some((index, part + 1));
            }
        }
    }
    last
}

/// A result without a waiting call, as text that says what it was.
fn orphan_text(part: &Part) -> Part {
    let Part::ToolResult {
        call_id,
        output,
        is_error,
        ..
    } = part
    else {
        return part.clone();
    };
    let what = if *is_error { "error" } else { "output" };
    Part::Text {
        text: format!("[tool {what} of call {call_id}]\n{output}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::test_transcript::{text, transcript};
    use serde_json::json;

    fn call(id: &str) -> Part {
        Part::ToolCall {
            id: id.into(),
            name: "shell".into(),
            input: json!({"command": "ls"}),
            tool: Default::default(),
        }
    }

    fn result(id: &str, output: &str) -> Part {
        Part::ToolResult {
            call_id: id.into(),
            output: output.into(),
            images: Vec::new(),
            is_error: false,
        }
    }

    /// The parts as short labels: `call a`, `result a`, `interrupted a`, `text …`.
    fn shape(transcript: &Transcript) -> Vec<Vec<String>> {
        transcript
            .messages
            .iter()
            .map(|m| {
                m.parts
                    .iter()
                    .map(|p| match p {
                        Part::ToolCall { id, .. } => format!("call {id}"),
                        Part::ToolResult {
                            call_id, output, ..
                        } if output == INTERRUPTED_OUTPUT => format!("interrupted {call_id}"),
                        Part::ToolResult { call_id, .. } => format!("result {call_id}"),
                        Part::Text { text } => {
                            format!("text {}", text.lines().next().unwrap_or(""))
                        }
                        _ => String::from("other"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_paired_transcript_is_left_alone() {
        let mut t = transcript(vec![
            vec![text("go")],
            vec![call("a"), call("b")],
            vec![result("a", "1"), result("b", "2")],
        ]);
        let before = t.clone();
        assert_eq!(normalize(&mut t), Normalized::default());
        assert_eq!(t, before);
    }

    #[test]
    fn an_unanswered_call_gets_the_interrupted_result_beside_its_siblings_results() {
        let mut t = transcript(vec![
            vec![text("go")],
            vec![call("a"), call("b"), call("c")],
            vec![result("a", "1"), text("after")],
        ]);
        let report = normalize(&mut t);
        assert_eq!(report.interrupted_calls, 2);
        assert_eq!(
            shape(&t)[2],
            ["result a", "interrupted b", "interrupted c", "text after"]
        );
    }

    #[test]
    fn calls_none_of_which_got_a_result_get_theirs_right_after_them() {
        let mut t = transcript(vec![
            vec![text("go")],
            vec![call("a"), text("then"), call("b")],
        ]);
        normalize(&mut t);
        assert_eq!(
            shape(&t)[1],
            [
                "call a",
                "interrupted a",
                "text then",
                "call b",
                "interrupted b"
            ]
        );
    }

    #[test]
    fn orphan_and_duplicate_results_stay_as_text() {
        let mut t = transcript(vec![
            vec![result("lost", "early output")],
            vec![call("a")],
            vec![result("a", "1"), result("a", "again")],
        ]);
        let report = normalize(&mut t);
        assert_eq!(report.orphan_results, 2);
        assert_eq!(shape(&t)[0], ["text [tool output of call lost]"]);
        assert_eq!(shape(&t)[2], ["result a", "text [tool output of call a]"]);
        let all = serde_json::to_string(&t).unwrap();
        assert!(
            all.contains("early output") && all.contains("again"),
            "{all}"
        );
    }
}
