//! Context budget: make a transcript fit the target's context window.
//!
//! [`apply`] does nothing when the estimate already fits; otherwise it takes these steps in
//! order, stopping as soon as the estimate fits:
//! 1. start from the last compaction marker (the message holding the summary and everything
//!    after), as the source agent itself would;
//! 2. shorten oversized tool outputs to head and tail around a visible
//!    `[… N bytes elided by handoff …]` marker, all down to one common length (never below
//!    [`MIN_KEPT_OUTPUT_BYTES`]), the largest first;
//! 3. drop the oldest whole turns (a turn is a user text message and everything up to the next
//!    one; a boundary that would part a tool call from its result is no boundary). The last turn
//!    always stays, even if it alone is over budget.
//!
//! When anything was left out, a user-role note at the start says what, and where the full
//! source is.
//!

mod elide;
mod estimate;
mod turns;

pub use elide::elide_middle;
use elide::shorten_tool_outputs;
pub use estimate::{IMAGE_TOKENS, estimate_text, estimate_tokens};

use estimate::{LongOutput, estimate_message, estimate_message_parts};
use handoff_adapter_kit::parallel::par_map;
use handoff_plugin_api::{Message, Part, Role, Transcript};
use turns::{drop_oldest_turns, note, turn_starts};

/// Step 2 never shortens a tool output below this many bytes (~1,000 tokens).
pub const MIN_KEPT_OUTPUT_BYTES: usize = 4 * 1024;
/// Room kept for the note that step 3 adds.
const NOTE_RESERVE: usize = 120;

/// What [`apply`] cut, for the human summary and `--json`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct BudgetReport {
    pub tokens_before: usize,
    pub tokens_after: usize,
    /// Whole turns left out: those before the compaction marker (step 1) and the oldest ones
    /// (step 3).
    pub dropped_turns: usize,
    /// Bytes cut out of the middle of tool outputs (step 2).
    pub elided_bytes: usize,
    /// The transfer starts from the source's last compaction summary (step 1 cut something).
    pub from_compaction: bool,
}

/// The estimates of a transcript and where step 1 starts it, made before redaction: messages
/// before [`Plan::start`] are never written, so redaction leaves them alone, and only what
/// redaction or a step changes is estimated again.
pub struct Plan {
    max_tokens: Option<usize>,
    /// The source's estimate, as read.
    tokens_before: usize,
    /// Step 1: the last compaction marker when the whole does not fit, else 0.
    start: usize,
    message_tokens: Vec<usize>,
    long_outputs: Vec<Vec<LongOutput>>,
}

impl Plan {
    /// Estimates every message (on every core) and decides step 1. `None`: no budget.
    pub fn new(transcript: &Transcript, max_tokens: Option<usize>) -> Self {
        let (message_tokens, long_outputs): (Vec<usize>, Vec<Vec<LongOutput>>) =
            par_map(&transcript.messages, estimate_message_parts)
                .into_iter()
                .unzip();
        let tokens_before = message_tokens.iter().sum();
        let start = match max_tokens {
            Some(max) if tokens_before > max => transcript
                .messages
                .iter()
                .rposition(has_compaction)
                .unwrap_or(0),
            _ => 0,
        };
        Self {
            max_tokens,
            tokens_before,
            start,
            message_tokens,
            long_outputs,
        }
    }

    /// The first message that can be written.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Estimates these messages again (redaction changed them).
    pub fn refresh(&mut self, transcript: &Transcript, changed: &[usize]) {
        for &index in changed {
            if let (Some(message), Some(tokens), Some(long)) = (
                transcript.messages.get(index),
                self.message_tokens.get_mut(index),
                self.long_outputs.get_mut(index),
            ) {
                (*tokens, *long) = estimate_message_parts(message);
            }
        }
    }
}

/// Applies the three steps (see the module docs) in order until the estimate fits the plan's
/// budget. Step 1 cuts at [`Plan::start`], decided on the source's estimate.
pub fn apply(transcript: &mut Transcript, plan: Plan) -> BudgetReport {
    let Plan {
        max_tokens,
        tokens_before,
        start,
        mut message_tokens,
        mut long_outputs,
    } = plan;
    let mut report = BudgetReport {
        tokens_before,
        tokens_after: message_tokens.iter().sum(),
        ..BudgetReport::default()
    };
    let Some(max_tokens) = max_tokens else {
        return report;
    };
    if start == 0 && report.tokens_after <= max_tokens {
        return report;
    }

    let mut compaction_turns = 0;
    if start > 0 {
        let dropped: Vec<Message> = transcript.messages.drain(..start).collect();
        message_tokens.drain(..start.min(message_tokens.len()));
        long_outputs.drain(..start.min(long_outputs.len()));
        compaction_turns = turn_starts(&dropped).len().max(1);
        report.from_compaction = true;
    }
    let reserve = if report.from_compaction {
        NOTE_RESERVE
    } else {
        0
    };

    if message_tokens.iter().sum::<usize>() + reserve > max_tokens {
        report.elided_bytes = shorten_tool_outputs(
            transcript,
            &mut message_tokens,
            &long_outputs,
            max_tokens.saturating_sub(reserve),
        );
    }

    let mut oldest_turns = 0;
    if message_tokens.iter().sum::<usize>() + reserve > max_tokens {
        oldest_turns = drop_oldest_turns(
            transcript,
            &mut message_tokens,
            max_tokens.saturating_sub(NOTE_RESERVE),
        );
    }

    report.dropped_turns = compaction_turns + oldest_turns;
    let mut tokens_after = message_tokens.iter().sum();
    if report.dropped_turns > 0 {
        let note = note(transcript, max_tokens, compaction_turns, oldest_turns);
        let note = Message::new(Role::User, vec![Part::Text { text: note }]);
        tokens_after += estimate_message(&note);
        transcript.messages.insert(0, note);
    }
    report.tokens_after = tokens_after;
    report
}

fn has_compaction(message: &Message) -> bool {
    message
        .parts
        .iter()
        .any(|part| matches!(part, Part::Compaction { .. }))
}

#[cfg(test)]
mod tests {
    fn fit(transcript: &mut Transcript, max_tokens: usize) -> BudgetReport {
        let plan = Plan::new(transcript, Some(max_tokens));
        apply(transcript, plan)
    }

    use super::*;
    use handoff_plugin_api::SessionMeta;
    use serde_json::json;

    fn text(role: Role, text: &str) -> Message {
        Message::new(role, vec![Part::Text { text: text.into() }])
    }

    fn call(id: &str, command: &str) -> Message {
        Message::new(
            Role::Assistant,
            vec![Part::ToolCall {
                id: id.into(),
                name: "Bash".into(),
                input: json!({"command": command}),
                tool: Default::default(),
            }],
        )
    }

    fn result(id: &str, output: String) -> Message {
        Message::new(
            Role::User,
            vec![Part::ToolResult {
                call_id: id.into(),
                output,
                images: vec![],
                is_error: false,
            }],
        )
    }

    fn transcript(messages: Vec<Message>) -> Transcript {
        Transcript::new(
            SessionMeta {
                id: "ses_1".into(),
                agent: "claude".into(),
                source_path: Some("/home/dev/.claude/projects/p/ses_1.jsonl".into()),
                ..SessionMeta::default()
            },
            messages,
        )
    }

    /// Ten turns: a question, a tool call with a 2 KB output, an answer.
    fn session(turns: usize, output_bytes: usize) -> Transcript {
        let mut messages = Vec::new();
        for turn in 0..turns {
            let id = format!("call_{turn}");
            messages.push(text(
                Role::User,
                &format!("question {turn}: why does the build fail?"),
            ));
            messages.push(call(&id, "cargo build 2>&1 | tail -50"));
            let line = format!("error[E0308]: mismatched types in src/module_{turn}.rs\n");
            messages.push(result(&id, line.repeat(output_bytes / line.len() + 1)));
            messages.push(text(
                Role::Assistant,
                &format!("answer {turn}: fix the types."),
            ));
        }
        transcript(messages)
    }

    #[test]
    fn a_transcript_that_fits_is_left_alone() {
        let mut transcript = session(3, 2_000);
        let before = transcript.clone();
        let report = fit(&mut transcript, 1_000_000);
        assert_eq!(transcript, before);
        assert_eq!(report.tokens_before, report.tokens_after);
        assert_eq!(report.dropped_turns + report.elided_bytes, 0);
    }

    #[test]
    fn step_1_starts_from_the_last_compaction() {
        let mut transcript = session(6, 2_000);
        let summary = Message::new(
            Role::User,
            vec![Part::Compaction {
                summary: "We fixed the first four build errors.".into(),
            }],
        );
        transcript.messages.insert(16, summary.clone());
        let full = estimate_tokens(&transcript);
        let report = fit(&mut transcript, full - 10);
        assert!(report.from_compaction);
        assert_eq!(report.dropped_turns, 4);
        assert_eq!(report.elided_bytes, 0);
        assert_eq!(transcript.messages.len(), 1 + 1 + 8);
        assert_eq!(transcript.messages[1], summary);
        let Part::Text { text: note } = &transcript.messages[0].parts[0] else {
            panic!("note expected")
        };
        assert_eq!(transcript.messages[0].role, Role::User);
        assert!(
            note.contains("the 4 turn(s) before the source agent's last compaction"),
            "{note}"
        );
        assert!(
            note.contains("/home/dev/.claude/projects/p/ses_1.jsonl"),
            "{note}"
        );
        assert!(report.tokens_after <= full - 10);
    }

    #[test]
    fn step_2_keeps_head_and_tail_of_oversized_outputs() {
        let mut transcript = session(3, 2_000);
        let big: String = (0..4_000)
            .map(|line| format!("line {line}: ok\n"))
            .collect();
        transcript.messages[6] = result("call_1", big.clone());
        let full = estimate_tokens(&transcript);
        let budget = full - estimate_text(&big) / 2;
        let report = fit(&mut transcript, budget);
        assert_eq!(report.dropped_turns, 0);
        assert!(report.tokens_after <= budget, "{report:?}");
        let Part::ToolResult { output, .. } = &transcript.messages[6].parts[0] else {
            panic!("result expected")
        };
        assert!(output.starts_with("line 0: ok\n"));
        assert!(output.ends_with("line 3999: ok\n"));
        let marker = format!("[… {} bytes elided by handoff …]\n", report.elided_bytes);
        assert!(output.contains(&marker), "{}", &output[..200]);
        assert_eq!(output.len() + report.elided_bytes - marker.len(), big.len());
        // Small outputs are untouched.
        let Part::ToolResult { output: small, .. } = &transcript.messages[2].parts[0] else {
            panic!("result expected")
        };
        assert!(!small.contains("elided"));
    }

    #[test]
    fn the_reported_estimate_is_that_of_the_result() {
        // Incremental estimates must agree with a fresh one, whichever steps ran.
        for (turns, output, divisor) in [(10, 500, 2), (40, 20_000, 5), (40, 20_000, 20)] {
            let mut transcript = session(turns, output);
            let full = estimate_tokens(&transcript);
            let report = fit(&mut transcript, full / divisor);
            assert_eq!(report.tokens_before, full);
            assert_eq!(
                report.tokens_after,
                estimate_tokens(&transcript),
                "{report:?}"
            );
        }
    }

    #[test]
    fn step_3_drops_the_oldest_whole_turns_and_says_so() {
        let mut transcript = session(10, 500);
        let full = estimate_tokens(&transcript);
        let report = fit(&mut transcript, full / 2);
        assert!(report.dropped_turns >= 5, "{report:?}");
        assert!(report.tokens_after <= full / 2, "{report:?}");
        let Part::Text { text: note } = &transcript.messages[0].parts[0] else {
            panic!("note expected")
        };
        assert!(
            note.contains(&format!("the oldest {} turn(s)", report.dropped_turns)),
            "{note}"
        );
        // The first kept turn is whole, and so is every later one.
        assert_eq!(
            transcript.messages.len(),
            1 + (10 - report.dropped_turns) * 4
        );
        let Part::Text { text: first } = &transcript.messages[1].parts[0] else {
            panic!("question expected")
        };
        assert!(first.starts_with(&format!("question {}:", report.dropped_turns)));
    }

    #[test]
    fn a_turn_boundary_never_parts_a_call_from_its_result() {
        // The user typed while a tool ran: its text shares the message with the result.
        let mut messages = vec![
            text(Role::User, "first"),
            call("c1", "sleep 5"),
            Message::new(
                Role::User,
                vec![
                    Part::ToolResult {
                        call_id: "c1".into(),
                        output: "x".repeat(3_000),
                        images: vec![],
                        is_error: false,
                    },
                    Part::Text {
                        text: "stop, do this instead".into(),
                    },
                ],
            ),
            text(Role::Assistant, "ok"),
            text(Role::User, "last"),
            text(Role::Assistant, "done"),
        ];
        assert_eq!(turn_starts(&messages), [0, 4]);
        let mut transcript = transcript(std::mem::take(&mut messages));
        let report = fit(&mut transcript, 40);
        assert_eq!(report.dropped_turns, 1);
        assert_eq!(transcript.messages.len(), 3);
        assert_eq!(transcript.messages[1], text(Role::User, "last"));
    }

    #[test]
    fn the_last_turn_stays_even_over_budget() {
        let mut transcript = transcript(vec![text(Role::User, &"word ".repeat(10_000))]);
        let report = fit(&mut transcript, 100);
        assert_eq!(report.dropped_turns, 0);
        assert_eq!(transcript.messages.len(), 1);
        assert!(report.tokens_after > 100);
    }

    /// Every tool call keeps its result, and no result lost its call.
    fn assert_calls_paired(transcript: &Transcript) {
        let mut calls = std::collections::BTreeSet::new();
        let mut results = std::collections::BTreeSet::new();
        for part in transcript
            .messages
            .iter()
            .flat_map(|message| &message.parts)
        {
            match part {
                Part::ToolCall { id, .. } => calls.insert(id.clone()),
                Part::ToolResult { call_id, .. } => results.insert(call_id.clone()),
                _ => false,
            };
        }
        assert_eq!(calls, results);
    }

    #[test]
    fn a_session_the_real_client_compacted_starts_from_its_summary() {
        use handoff_plugin_api::{Adapter, ExtractRequest};
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../plugins/claude/tests/fixtures/client-written/compaction.jsonl"
        );
        let request = ExtractRequest {
            path: Some(path.into()),
            ..ExtractRequest::default()
        };
        let mut transcript = handoff_claude::ClaudeAdapter
            .extract(request)
            .unwrap()
            .transcript;
        let compaction_at = transcript
            .messages
            .iter()
            .rposition(has_compaction)
            .unwrap();
        assert!(compaction_at > 0);
        let kept = transcript.messages.len() - compaction_at;
        let full = estimate_tokens(&transcript);
        let budget = full - 1;
        let report = fit(&mut transcript, budget);
        assert!(report.from_compaction);
        assert!(report.dropped_turns >= 1);
        assert!(report.tokens_after <= budget, "{report:?}");
        assert_eq!(transcript.messages.len(), 1 + kept);
        assert!(has_compaction(&transcript.messages[1]));
        assert_calls_paired(&transcript);
    }

    #[test]
    fn cuts_on_a_long_real_shaped_session_keep_calls_paired_and_fit() {
        let mut transcript = session(40, 30_000);
        let full = estimate_tokens(&transcript);
        for budget in [full / 2, full / 5, full / 20] {
            let mut cut = transcript.clone();
            let report = fit(&mut cut, budget);
            assert!(report.tokens_after <= budget, "{budget}: {report:?}");
            assert!(report.elided_bytes > 0);
            assert_calls_paired(&cut);
        }
        fit(&mut transcript, 1);
        assert_calls_paired(&transcript);
    }
}
