//! Token estimate.
//!
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
use handoff_plugin_api::{Message, Part, Transcript};

use super::MIN_KEPT_OUTPUT_BYTES;

/// Fixed estimate for one image, whatever its size.
pub const IMAGE_TOKENS: usize = 1_600;
const MESSAGE_OVERHEAD: usize = 4;
const PART_OVERHEAD: usize = 3;

/// Estimated tokens the target model reads for this transcript (see the module docs).
pub fn estimate_tokens(transcript: &Transcript) -> usize {
    par_map(&transcript.messages, estimate_message)
        .into_iter()
        .sum()
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

pub(super) fn estimate_message(message: &Message) -> usize {
    MESSAGE_OVERHEAD + message.parts.iter().map(estimate_part).sum::<usize>()
}

/// A tool output long enough for step 2 to shorten: its part index and its text's estimate.
#[derive(Clone, Copy)]
pub(super) struct LongOutput {
    pub part: usize,
    pub tokens: usize,
}

/// A message's estimate, and its long tool outputs with theirs, so that step 2 does not
/// estimate them again.
pub(super) fn estimate_message_parts(message: &Message) -> (usize, Vec<LongOutput>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{Role, SessionMeta};

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
        let source = include_str!("mod.rs");
        assert_eq!(estimate_text(source), reference_estimate(source));
    }

    #[test]
    fn images_count_a_fixed_cost_and_text_counts_words() {
        let image = Part::Image(handoff_plugin_api::Media {
            media_type: "image/png".into(),
            data_base64: Some("iVBORw0KGgo".repeat(100_000)),
            path: None,
            name: None,
        });
        let transcript = Transcript::new(
            SessionMeta::default(),
            vec![Message::new(Role::User, vec![image])],
        );
        assert_eq!(
            estimate_tokens(&transcript),
            MESSAGE_OVERHEAD + PART_OVERHEAD + IMAGE_TOKENS
        );
        assert_eq!(estimate_text("hello world"), 2);
        assert_eq!(estimate_text("1234567"), 3);
        assert_eq!(estimate_text(""), 0);
    }
}
