//! Context budget (issue 7): make a transcript fit the target's context window.
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
//! # Token estimate
//! Tokenizers split text into words, digit groups and punctuation runs, so [`estimate_text`]
//! counts those rather than bytes: a run of ASCII letters is one token plus one per 12 letters
//! past the sixth, digits one per group of three, a punctuation run one (one per ten past ten),
//! a space before a word nothing, other whitespace runs ¾ (newlines) or ½, a non-ASCII character
//! ½ (two-byte) or 1 (CJK, emoji). Each message adds 4 and each part 3 (role and block framing);
//! a tool call counts its name and its input as compact JSON; an image counts
//! [`IMAGE_TOKENS`] whatever its size (Claude bills at most ~1,600 for an image at the API's
//! size limit; OpenAI's high-detail tiles come to less).
//!
//! Measured against OpenAI's o200k tokenizer (GPT-4o/GPT-5/Codex; `cargo bench -p handoff
//! --bench token_estimate --features measure-tokens`, figures in docs/budget.md): on the real
//! Claude Code and Codex sessions in this repository the estimate is −3 % to +8 % off; by kind of
//! content, from 17 % under (lockfile hashes, which tokenize poorly) to 18 % over (dense code).
//! Plain bytes/4 was off by up to 40 % on the same content. Anthropic's tokenizer is not public;
//! it yields more tokens than o200k for the same text, so keep the configured budget below the
//! target's window (the default leaves room).

use handoff_adapter_kit::parallel::par_map;
use handoff_plugin_api::{Message, Part, Role, Transcript};

/// Fixed estimate for one image, whatever its size.
pub const IMAGE_TOKENS: usize = 1_600;
/// Step 2 never shortens a tool output below this many bytes (~1,000 tokens).
pub const MIN_KEPT_OUTPUT_BYTES: usize = 4 * 1024;
const MESSAGE_OVERHEAD: usize = 4;
const PART_OVERHEAD: usize = 3;
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

/// Estimated tokens the target model reads for this transcript (see the module docs).
pub fn estimate_tokens(transcript: &Transcript) -> usize {
    par_map(&transcript.messages, estimate_message)
        .into_iter()
        .sum()
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

/// Byte classes of the estimate.
const LETTER: u8 = 0;
const DIGIT: u8 = 1;
const BLANK: u8 = 2;
const NEWLINE: u8 = 3;
const PUNCTUATION: u8 = 4;
const CONTROL: u8 = 5;
const CONTINUATION: u8 = 6;
const LEAD: u8 = 7;
const CLASSES: usize = 8;

const fn class_of(byte: u8) -> u8 {
    if byte.is_ascii_alphabetic() {
        LETTER
    } else if byte.is_ascii_digit() {
        DIGIT
    } else if byte == b' ' || byte == b'\t' {
        BLANK
    } else if byte == b'\n' || byte == b'\r' {
        NEWLINE
    } else if byte.is_ascii_punctuation() {
        PUNCTUATION
    } else if byte & 0xC0 == 0x80 {
        CONTINUATION
    } else if byte >= 0xC0 {
        LEAD
    } else {
        CONTROL
    }
}

const CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = class_of(byte as u8);
        byte += 1;
    }
    table
};

/// Kinds of run: the classes, a UTF-8 sequence being one run whatever byte starts it.
const RUNS: usize = 7;
const NON_ASCII: usize = 6;
/// Positions in a run that the increments tell apart (longer runs cycle or stay at the last).
const POSITIONS: usize = 12;
/// State 0 is the start of the text; then one state per (run, position).
const STATES: usize = 1 + RUNS * POSITIONS;

const fn run_of(class: u8) -> usize {
    match class {
        CONTINUATION | LEAD => NON_ASCII,
        class => class as usize,
    }
}

const fn state(run: usize, position: usize) -> usize {
    1 + run * POSITIONS + (position - 1)
}

/// Thousandths of a token the byte at `position` of a run adds, so that a whole run adds what
/// the module docs say: letters 1000 and then 1000/12 (83, 83, 84) a letter past the sixth,
/// digits 1000 a group of three, punctuation 1000 and 100 a character past the tenth, and so on.
const fn increment(run: usize, position: usize) -> i32 {
    match run as u8 {
        LETTER => match position {
            1 => 1000,
            2..=6 => 0,
            7 | 8 => 83,
            _ => 84,
        },
        DIGIT | PUNCTUATION if position == 1 => 1000,
        PUNCTUATION if position >= 11 => 100,
        BLANK if position == 1 => 500,
        NEWLINE if position == 1 => 750,
        CONTROL => 1000,
        _ if run == NON_ASCII && (position == 1 || position == 3) => 500,
        _ => 0,
    }
}

const fn next_position(run: usize, position: usize) -> usize {
    match run as u8 {
        // 7, 8, 9, 7, …: the 83, 83, 84 cycle.
        LETTER if position == 9 => 7,
        // A new group every three digits.
        DIGIT if position == 3 => 1,
        PUNCTUATION if position == 11 => 11,
        BLANK | NEWLINE => 2,
        _ if run == NON_ASCII && position == 4 => 4,
        _ => position + 1,
    }
}

/// For each state and byte class: the next state and the thousandths of a token added.
const TRANSITIONS: [[(u8, i16); CLASSES]; STATES] = {
    let mut table = [[(0, 0); CLASSES]; STATES];
    let mut from = 0;
    while from < STATES {
        let (run, position) = if from == 0 {
            (usize::MAX, 0)
        } else {
            ((from - 1) / POSITIONS, (from - 1) % POSITIONS + 1)
        };
        let mut class = 0;
        while class < CLASSES {
            let byte_class = class as u8;
            let continues = from != 0
                && byte_class != CONTROL
                && byte_class != LEAD
                && run == run_of(byte_class);
            let (next_run, next) = if continues {
                (run, next_position(run, position))
            } else {
                (run_of(byte_class), 1)
            };
            let mut added = increment(next_run, next);
            // A single blank before a word or a number costs nothing: its 500 is taken back.
            if !continues
                && run == BLANK as usize
                && position == 1
                && (byte_class == LETTER || byte_class == DIGIT)
            {
                added -= 500;
            }
            table[from][class] = (state(next_run, next) as u8, added as i16);
            class += 1;
        }
        from += 1;
    }
    table
};

/// Where a lane can start afresh with the same result as going on: after a newline that no
/// newline follows (the next byte starts a run either way, and no blank precedes it).
fn lane_start(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(found) = bytes.get(at..).and_then(|rest| memchr::memchr(b'\n', rest)) {
        at += found + 1;
        if !matches!(bytes.get(at), Some(b'\n' | b'\r')) {
            return at.min(bytes.len());
        }
    }
    bytes.len()
}

/// Estimated tokens of one text (see the module docs for the method).
///
/// A state machine over byte classes, run on four lanes of the text at once: the lanes are
/// independent chains of table lookups, which the processor overlaps (2–4 times the speed of
/// one chain on the megabytes of tool output a long session holds).
pub fn estimate_text(text: &str) -> usize {
    const LANES: usize = 4;
    let bytes = text.as_bytes();
    let mut bounds = [bytes.len(); LANES + 1];
    bounds[0] = 0;
    for lane in 1..LANES {
        bounds[lane] = lane_start(bytes, (bytes.len() * lane / LANES).max(bounds[lane - 1]));
    }
    let lanes: [&[u8]; LANES] =
        std::array::from_fn(|i| bytes.get(bounds[i]..bounds[i + 1]).unwrap_or_default());
    let mut states = [0u8; LANES];
    let mut milli = [0i64; LANES];
    let mut step = |lane: usize, byte: u8| {
        let (next, added) =
            TRANSITIONS[usize::from(states[lane])][usize::from(CLASS[usize::from(byte)])];
        states[lane] = next;
        milli[lane] += i64::from(added);
    };
    let common = lanes.iter().map(|lane| lane.len()).min().unwrap_or(0);
    for index in 0..common {
        for (lane, bytes) in lanes.iter().enumerate() {
            step(lane, bytes[index]);
        }
    }
    for (lane, bytes) in lanes.iter().enumerate() {
        for &byte in &bytes[common..] {
            step(lane, byte);
        }
    }
    usize::try_from(milli.iter().sum::<i64>())
        .unwrap_or(0)
        .div_ceil(1000)
}

fn estimate_message(message: &Message) -> usize {
    MESSAGE_OVERHEAD + message.parts.iter().map(estimate_part).sum::<usize>()
}

/// A tool output long enough for step 2 to shorten: its part index and its text's estimate.
#[derive(Clone, Copy)]
struct LongOutput {
    part: usize,
    tokens: usize,
}

/// A message's estimate, and its long tool outputs with theirs, so that step 2 does not
/// estimate them again.
fn estimate_message_parts(message: &Message) -> (usize, Vec<LongOutput>) {
    let mut long_outputs = Vec::new();
    let mut total = MESSAGE_OVERHEAD;
    for (index, part) in message.parts.iter().enumerate() {
        total += match part {
            Part::ToolResult { output, images, .. } if output.len() > MIN_KEPT_OUTPUT_BYTES => {
                let tokens = estimate_text(output);
                long_outputs.push(LongOutput {
                    part: index,
                    tokens,
                });
                tool_result_tokens(tokens, images.len())
            }
            _ => estimate_part(part),
        };
    }
    (total, long_outputs)
}

fn tool_result_tokens(output_tokens: usize, images: usize) -> usize {
    PART_OVERHEAD + output_tokens + images * IMAGE_TOKENS
}

fn estimate_part(part: &Part) -> usize {
    if let Part::ToolResult { output, images, .. } = part {
        return tool_result_tokens(estimate_text(output), images.len());
    }
    PART_OVERHEAD
        + match part {
            Part::Text { text }
            | Part::Reasoning { text, .. }
            | Part::Compaction { summary: text } => estimate_text(text),
            Part::ToolCall { name, input, .. } => {
                estimate_text(name)
                    + estimate_text(&serde_json::to_string(input).unwrap_or_default())
            }
            Part::ToolResult { .. } => 0, // counted above
            Part::Image(_) => IMAGE_TOKENS,
            Part::File(media) => match &media.data_base64 {
                // An attached document: its decoded bytes at ~4 bytes a token.
                Some(data) => data.len() * 3 / 4 / 4,
                None => media
                    .path
                    .iter()
                    .chain(&media.name)
                    .map(|text| estimate_text(text))
                    .sum(),
            },
        }
}

fn has_compaction(message: &Message) -> bool {
    message
        .parts
        .iter()
        .any(|part| matches!(part, Part::Compaction { .. }))
}

/// Step 2: shortens the largest tool outputs to a common length until the estimate fits
/// `max_tokens` or every output is at [`MIN_KEPT_OUTPUT_BYTES`]. Returns the bytes elided.
fn shorten_tool_outputs(
    transcript: &mut Transcript,
    message_tokens: &mut [usize],
    long_outputs: &[Vec<LongOutput>],
    max_tokens: usize,
) -> usize {
    // The long outputs, moved out while the level is sought: each round cuts from the original,
    // so a marker always counts everything cut from its output.
    let mut originals: Vec<(usize, usize, String, usize)> = Vec::new();
    for (message_index, outputs) in long_outputs.iter().enumerate() {
        for &LongOutput { part, tokens } in outputs {
            let output = transcript
                .messages
                .get_mut(message_index)
                .and_then(|message| message.parts.get_mut(part));
            if let Some(Part::ToolResult { output, .. }) = output {
                originals.push((message_index, part, std::mem::take(output), tokens));
            }
        }
    }
    let lengths: Vec<usize> = originals.iter().map(|o| o.2.len()).collect();
    let bytes: usize = lengths.iter().sum();
    let tokens: usize = originals.iter().map(|o| o.3).sum();
    // Everything but these outputs keeps its estimate; only the outputs are re-estimated.
    let fixed = message_tokens.iter().sum::<usize>().saturating_sub(tokens);
    let mut current = tokens;
    let mut target = 0;
    let mut elided = 0;
    // The shortened output (and its estimate) of each original, from the last round.
    let mut shortened: Vec<Option<(String, usize)>> = vec![None; originals.len()];
    // The estimate is not linear in bytes: a few rounds, each lowering the level, converge.
    for _ in 0..4 {
        let excess = (fixed + current).saturating_sub(max_tokens);
        if excess == 0 || tokens == 0 {
            break;
        }
        // Bytes to take out, at these outputs' own bytes-per-token ratio.
        target += excess.saturating_mul(bytes).div_ceil(tokens);
        let level = water_level(&lengths, target);
        elided = 0;
        current = 0;
        for ((_, _, original, original_tokens), slot) in originals.iter().zip(&mut shortened) {
            *slot = elide_middle(original, level).map(|(text, cut)| {
                elided += cut;
                let tokens = estimate_text(&text);
                (text, tokens)
            });
            current += slot.as_ref().map_or(*original_tokens, |s| s.1);
        }
        if level == MIN_KEPT_OUTPUT_BYTES {
            break;
        }
    }
    for ((message_index, part, original, original_tokens), slot) in
        originals.into_iter().zip(shortened)
    {
        let (text, tokens) = slot.unwrap_or((original, original_tokens));
        if let Some(estimate) = message_tokens.get_mut(message_index) {
            *estimate = (*estimate + tokens).saturating_sub(original_tokens);
        }
        let output = transcript
            .messages
            .get_mut(message_index)
            .and_then(|message| message.parts.get_mut(part));
        if let Some(Part::ToolResult { output, .. }) = output {
            *output = text;
        }
    }
    elided
}

/// The largest length such that cutting every longer output down to it removes at least
/// `target` bytes; never below [`MIN_KEPT_OUTPUT_BYTES`].
fn water_level(lengths: &[usize], target: usize) -> usize {
    let removed = |level: usize| -> usize {
        lengths
            .iter()
            .map(|length| length.saturating_sub(level))
            .sum()
    };
    let (mut low, mut high) = (
        MIN_KEPT_OUTPUT_BYTES,
        lengths.iter().copied().max().unwrap_or(0),
    );
    if high <= low || removed(low) <= target {
        return low;
    }
    // removed(low) > target >= removed(high): find the largest level still removing enough.
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if removed(middle) >= target {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// Keeps about `keep` bytes (head and tail halves, cut at a line end when one is near) around a
/// visible marker. None when the text is not longer than that.
pub fn elide_middle(text: &str, keep: usize) -> Option<(String, usize)> {
    const MARKER_ROOM: usize = 64;
    if text.len() <= keep + MARKER_ROOM {
        return None;
    }
    let half = keep / 2;
    let mut head_end = floor_char_boundary(text, half);
    if let Some(line_end) = text.get(..head_end).and_then(|head| head.rfind('\n'))
        && line_end + 1 >= head_end - head_end / 4
    {
        head_end = line_end + 1;
    }
    let mut tail_start = ceil_char_boundary(text, text.len() - half);
    if let Some(line_start) = text.get(tail_start..).and_then(|tail| tail.find('\n'))
        && line_start < half / 4
    {
        tail_start += line_start + 1;
    }
    let head = text.get(..head_end)?;
    let tail = text.get(tail_start..)?;
    let cut = tail_start - head_end;
    let separator = if head.ends_with('\n') || head.is_empty() {
        ""
    } else {
        "\n"
    };
    Some((
        format!("{head}{separator}[… {cut} bytes elided by handoff …]\n{tail}"),
        cut,
    ))
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

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
fn turn_starts(messages: &[Message]) -> Vec<usize> {
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
fn drop_oldest_turns(
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

fn note(
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

#[cfg(test)]
mod tests {
    /// The estimate as the module docs state it, one run at a time: the oracle of the fast one.
    fn reference_estimate(text: &str) -> usize {
        // In thousandths of a token, to keep the fractions exact without floats.
        let bytes = text.as_bytes();
        let mut milli = 0usize;
        let mut index = 0;
        while let Some(&byte) = bytes.get(index) {
            let start = index;
            let run = |index: &mut usize, belongs: fn(u8) -> bool| {
                while bytes.get(*index).is_some_and(|&b| belongs(b)) {
                    *index += 1;
                }
                *index - start
            };
            milli += match byte {
                b if b.is_ascii_alphabetic() => {
                    let length = run(&mut index, |b| b.is_ascii_alphabetic());
                    1000 + length.saturating_sub(6) * 1000 / 12
                }
                b if b.is_ascii_digit() => {
                    run(&mut index, |b| b.is_ascii_digit()).div_ceil(3) * 1000
                }
                b' ' | b'\t' => {
                    let length = run(&mut index, |b| b == b' ' || b == b'\t');
                    let before_word = bytes.get(index).is_some_and(u8::is_ascii_alphanumeric);
                    if length == 1 && before_word { 0 } else { 500 }
                }
                b'\n' | b'\r' => {
                    run(&mut index, |b| b == b'\n' || b == b'\r');
                    750
                }
                b if b.is_ascii() => {
                    (run(&mut index, |b| b.is_ascii_punctuation()).max(1) * 100).max(1000)
                }
                _ => {
                    // One UTF-8 sequence: the lead byte and its continuation bytes.
                    index += 1;
                    let length = run(&mut index, |b| b & 0xC0 == 0x80);
                    if length <= 2 { 500 } else { 1000 }
                }
            };
            if index == start {
                index += 1; // a control character
            }
        }
        milli.div_ceil(1000)
    }

    #[test]
    fn the_fast_estimate_equals_the_reference_on_any_text() {
        let pieces = [
            "a",
            "B",
            "z",
            "1",
            "9",
            " ",
            "\t",
            "\n",
            "\r",
            "\r\n",
            "\n\n",
            "!",
            "{",
            "~",
            "\u{7f}",
            "\u{1}",
            "é",
            "中",
            "😀",
            " x",
            "  ",
            "0a",
            "abcdefghijklm",
            "1234567",
            "...........",
            "\u{80}",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..100_000 {
            let length = next() % 80;
            let text: String = (0..length)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            assert_eq!(estimate_text(&text), reference_estimate(&text), "{text:?}");
        }
        let source = include_str!("redact.rs");
        assert_eq!(estimate_text(source), reference_estimate(source));
    }

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
    fn eliding_respects_utf8_boundaries() {
        let text = "é".repeat(10_000) + &"日本".repeat(5_000);
        let (short, cut) = elide_middle(&text, 5_001).unwrap();
        assert!(short.starts_with('é') && short.ends_with('本'));
        assert!(cut > 0 && short.len() < text.len());
        assert!(elide_middle("short", 10).is_none());
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

    #[test]
    fn images_count_a_fixed_cost_and_text_counts_words() {
        let image = Part::Image(handoff_plugin_api::Media {
            media_type: "image/png".into(),
            data_base64: Some("iVBORw0KGgo".repeat(100_000)),
            path: None,
            name: None,
        });
        let transcript = transcript(vec![Message::new(Role::User, vec![image])]);
        assert_eq!(
            estimate_tokens(&transcript),
            MESSAGE_OVERHEAD + PART_OVERHEAD + IMAGE_TOKENS
        );
        assert_eq!(estimate_text("hello world"), 2);
        assert_eq!(estimate_text("1234567"), 3);
        assert_eq!(estimate_text(""), 0);
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
