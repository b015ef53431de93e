//! Step 3 of the budget: the oldest whole turns dropped, with a note saying what was left out.

use handoff_plugin_api::{Message, Part, Role, Transcript};

/// A user message with text of its own (not only tool results).
fn is_user_text(message: &Message) -> bool {
    message.role == Role::User
        && message
            .parts
            .iter()
            .any(|part| matches!(part, Part::Text { text } if !text.trim().is_empty()))
}

/// Indexes of the messages that start a turn: user text, with every earlier tool call already
/// answered before it.
pub(super) fn turn_starts(messages: &[Message]) -> Vec<usize> {
    let mut result_at = std::collections::HashMap::new();
    for (index, message) in messages.iter().enumerate() {
        for part in &message.parts {
            if let Part::ToolResult { call_id, .. } = part {
                result_at.entry(call_id.as_str()).or_insert(index);
            }
        }
    }
    let mut starts = Vec::new();
    // The last message holding a result of a call made so far.
    let mut answered_by = 0;
    for (index, message) in messages.iter().enumerate() {
        if is_user_text(message) && (index == 0 || answered_by < index) {
            starts.push(index);
        }
        for part in &message.parts {
            if let Part::ToolCall { id, .. } = part
                && let Some(&at) = result_at.get(id.as_str())
            {
                answered_by = answered_by.max(at);
            }
        }
    }
    starts
}

/// Step 3: drops the oldest turns (never the last) until the estimate fits. Returns how many
/// turns went.
pub(super) fn drop_oldest_turns(
    transcript: &mut Transcript,
    message_tokens: &mut Vec<usize>,
    max_tokens: usize,
) -> usize {
    let messages = &transcript.messages;
    // Segments [start, next start): whatever precedes the first turn goes with it.
    let mut bounds: Vec<usize> = turn_starts(messages)
        .into_iter()
        .filter(|&start| start > 0)
        .collect();
    bounds.insert(0, 0);
    let total: usize = message_tokens.iter().sum();
    let mut removed_tokens = 0;
    let mut cut = 0; // messages to remove
    let mut turns = 0;
    for window in bounds.windows(2) {
        if total - removed_tokens <= max_tokens {
            break;
        }
        if let [start, end] = *window {
            removed_tokens += message_tokens
                .get(start..end)
                .unwrap_or_default()
                .iter()
                .sum::<usize>();
            cut = end;
            if messages.get(start).is_some_and(is_user_text) {
                turns += 1;
            }
        }
    }
    transcript.messages.drain(..cut);
    message_tokens.drain(..cut.min(message_tokens.len()));
    turns
}

pub(super) fn note(
    transcript: &Transcript,
    max_tokens: usize,
    compaction_turns: usize,
    oldest_turns: usize,
) -> String {
    let session = &transcript.session;
    let mut left_out = Vec::new();
    if compaction_turns > 0 {
        left_out.push(format!(
            "the {compaction_turns} turn(s) before the source agent's last compaction (its summary follows)"
        ));
    }
    if oldest_turns > 0 {
        let which = if compaction_turns > 0 {
            "then the oldest"
        } else {
            "the oldest"
        };
        left_out.push(format!("{which} {oldest_turns} turn(s)"));
    }
    let location = session
        .source_path
        .as_deref()
        .map_or_else(String::new, |path| format!(" at {path}"));
    format!(
        "[handoff] To fit a budget of about {max_tokens} tokens, this conversation leaves out {}. \
         The full {} session {} is{location}.",
        left_out.join(", and "),
        session.agent,
        session.id,
    )
}
