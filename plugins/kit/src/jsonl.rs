//! Reading JSONL the way the agents do: one object a line, unparseable lines skipped and counted.

use serde_json::Value;

/// The parsed lines of a JSONL buffer, with their 1-based line numbers, and how many were skipped.
/// A last line without its newline is taken if it parses (the agent may be mid-write otherwise, and
/// then it is skipped like any garbage line).
#[derive(Debug, Default)]
pub struct Lines {
    pub rows: Vec<(usize, Value)>,
    pub skipped: usize,
}

/// Parses every non-blank line that is a JSON object; counts the rest as skipped.
pub fn parse(bytes: &[u8]) -> Lines {
    let mut lines = Lines::default();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(value @ Value::Object(_)) => lines.rows.push((index + 1, value)),
            _ => lines.skipped += 1,
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_lines_are_counted() {
        let lines = parse(b"{\"a\":1}\nnot json\n\n[1,2]\n{\"b\":2}\n{\"trunc");
        assert_eq!(lines.rows.len(), 2);
        assert_eq!(lines.rows[1].0, 5);
        assert_eq!(lines.skipped, 3);
    }

    #[test]
    fn invalid_utf8_is_a_skipped_line() {
        let lines = parse(b"{\"a\":\"\xff\"}\n{\"b\":1}\n");
        assert_eq!(lines.rows.len(), 1);
        assert_eq!(lines.skipped, 1);
    }
}
