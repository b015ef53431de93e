//! Step 2 of the budget: oversized tool outputs shortened to head and tail.

use handoff_plugin_api::{Part, Transcript};

use super::MIN_KEPT_OUTPUT_BYTES;
use super::estimate::{LongOutput, estimate_text};

/// Step 2: shortens the largest tool outputs to a common length until the estimate fits
/// `max_tokens` or every output is at [`MIN_KEPT_OUTPUT_BYTES`]. Returns the bytes elided.
pub(super) fn shorten_tool_outputs(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eliding_respects_utf8_boundaries() {
        let text = "é".repeat(10_000) + &"日本".repeat(5_000);
        let (short, cut) = elide_middle(&text, 5_001).unwrap();
        assert!(short.starts_with('é') && short.ends_with('本'));
        assert!(cut > 0 && short.len() < text.len());
        assert!(elide_middle("short", 10).is_none());
    }
}
