//! Listing many session files fast: honour the host's list cache (files whose size and mtime
//! still equal the host's stamp are not read) and read the others on every core
//! ([`crate::parallel`]).

use handoff_plugin_api::{FileStamp, SessionSummary};
use std::collections::HashMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The stamps of [`handoff_plugin_api::ListRequest::unchanged`], by path.
#[derive(Debug, Default)]
pub struct Unchanged(HashMap<String, (u64, i64)>);

impl Unchanged {
    pub fn new(stamps: &[FileStamp]) -> Self {
        Self(
            stamps
                .iter()
                .map(|s| (s.path.clone(), (s.size, s.mtime_ms)))
                .collect(),
        )
    }

    /// Whether the host holds a row for `path` as it is now (same size, same mtime).
    pub fn contains(&self, path: &Path, size: u64, mtime_ms: i64) -> bool {
        self.0
            .get(path.to_string_lossy().as_ref())
            .is_some_and(|&stamp| stamp == (size, mtime_ms))
    }

    /// The row that tells the host to use its own copy.
    pub fn cached_row(agent: &str, session_id: String, path: &Path) -> SessionSummary {
        SessionSummary {
            agent: agent.to_owned(),
            session_id,
            path: path.display().to_string(),
            cached: true,
            ..SessionSummary::default()
        }
    }
}

/// A file's mtime in unix milliseconds, as the host stamps it (0 when unknown).
pub fn mtime_ms(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}

thread_local! {
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` over the whole content of `path`, read into a buffer this thread reuses: a listing
/// reads thousands of files, and fresh allocations would fault in new pages for each.
pub fn with_file<R>(path: &Path, f: impl FnOnce(&[u8]) -> R) -> std::io::Result<R> {
    use std::io::Read;
    BUFFER.with(|buffer| {
        let mut buffer = buffer.try_borrow_mut().map_err(std::io::Error::other)?;
        buffer.clear();
        std::fs::File::open(path)?.read_to_end(&mut buffer)?;
        Ok(f(&buffer))
    })
}

/// The UTF-8 byte order mark, which some editors write at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a byte order mark at its start: it is not part of the first line.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// The lines of a file's `bytes` (without their `\n`, nor a BOM before the first), found with
/// memchr.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = strip_bom(bytes);
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let line;
        (line, rest) = match memchr::memchr(b'\n', rest) {
            Some(end) => {
                let (line, next) = rest.split_at(end);
                (line, next.get(1..).unwrap_or_default())
            }
            None => (rest, &[][..]),
        };
        Some(line)
    })
}

/// What `pick` takes from the first line of the file at `path` it takes anything from (lines
/// without their newline, nor a BOM before the first); the file is read no further.
pub fn first_line_where<T>(path: &Path, mut pick: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).ok()?);
    let mut line = Vec::new();
    let mut first = true;
    while reader.read_until(b'\n', &mut line).ok()? > 0 {
        let mut text = line.strip_suffix(b"\n").unwrap_or(&line);
        if std::mem::take(&mut first) {
            text = strip_bom(text);
        }
        if let Some(found) = pick(text) {
            return Some(found);
        }
        line.clear();
    }
    None
}

/// The string fields a client writes first on every line (or first in an object), read in that
/// order without parsing the rest: a `null` value reads as `None`. Also gives the bytes after the
/// last value (from its `,` or `}` on). `None` for the whole line as soon as it is not in exactly
/// that compact shape (other keys first, whitespace, an escape in a value): the caller then
/// parses the line.
pub fn leading_fields<'a, const N: usize>(
    line: &'a [u8],
    keys: [&str; N],
) -> Option<([Option<&'a str>; N], &'a [u8])> {
    let mut rest = line.strip_prefix(b"{")?;
    let mut values = [None; N];
    for (index, key) in keys.iter().enumerate() {
        if index > 0 {
            rest = rest.strip_prefix(b",")?;
        }
        rest = rest.strip_prefix(b"\"")?;
        rest = rest.strip_prefix(key.as_bytes())?;
        rest = rest.strip_prefix(b"\":")?;
        if let Some(after) = rest.strip_prefix(b"null") {
            rest = after;
            continue;
        }
        rest = rest.strip_prefix(b"\"")?;
        let end = memchr::memchr2(b'"', b'\\', rest)?;
        if rest.get(end) != Some(&b'"') {
            return None;
        }
        values[index] = Some(std::str::from_utf8(rest.get(..end)?).ok()?);
        rest = rest.get(end + 1..)?;
    }
    matches!(rest.first(), Some(b',' | b'}')).then_some((values, rest))
}

/// Lines up to this size are searched whole; longer ones only at their head and tail, where
/// both Claude Code and Codex put a row's envelope (type, role, flags).
const WHOLE_LINE: usize = 8 * 1024;
const WINDOW: usize = 2 * 1024;

/// Whether only the [`windows`] of a line are searched.
pub fn is_long(line: &[u8]) -> bool {
    line.len() > WHOLE_LINE
}

/// The parts of a line a listing searches: the whole line when short, else its head and tail,
/// where both Claude Code and Codex put a row's envelope (big tool outputs are not searched).
pub fn windows(line: &[u8]) -> [&[u8]; 2] {
    if line.len() <= WHOLE_LINE {
        return [line, &[]];
    }
    let head = line.get(..WINDOW).unwrap_or(line);
    let tail = line
        .get(line.len().saturating_sub(WINDOW)..)
        .unwrap_or(line);
    [head, tail]
}

/// Whether `finder` occurs in the line's [`windows`].
pub fn in_window(finder: &memchr::memmem::Finder, line: &[u8]) -> bool {
    windows(line)
        .iter()
        .any(|window| finder.find(window).is_some())
}

/// Where `finder` occurs in the line's [`windows`], as offsets in the line, head first.
pub fn find_in_windows<'a>(
    finder: &'a memchr::memmem::Finder,
    line: &'a [u8],
) -> impl Iterator<Item = usize> + 'a {
    let [head, tail] = windows(line);
    let tail_start = line.len() - tail.len();
    finder
        .find_iter(head)
        .chain(finder.find_iter(tail).map(move |at| tail_start + at))
}

/// What the structure of a JSON line says of a spot a byte search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spot {
    /// A key (the spot is its opening quote) inside `depth` containers: 1 is the line's object.
    Key { depth: usize },
    /// Inside a string: text, not a key.
    InString,
    /// Not told: the stretch read has whitespace between tokens, is not balanced, or the spot is
    /// beyond the windows. The line is not in the compact shape a search can read.
    Unknown,
}

/// Tells how deep the keys found by a search over a line's [`windows`] are, by reading the line's
/// structure from its nearer end up to each. The clients write compact JSON and keep a row's
/// envelope near its ends, so this mostly reads a short flat stretch; a stretch that is not
/// compact makes the spot [`Spot::Unknown`], for the caller to parse the line instead.
pub struct Nesting<'a> {
    line: &'a [u8],
    /// Read from the start: up to `.0`, with `.1` containers open there.
    front: (usize, usize),
    /// Read from the end: from `.0` on, with `.1` containers closed after it.
    back: (usize, usize),
}

impl<'a> Nesting<'a> {
    pub fn new(line: &'a [u8]) -> Self {
        Self {
            line,
            front: (0, 0),
            back: (line.len(), 0),
        }
    }

    /// What the spot `at` (a key's opening quote, as a search for `"key":` finds it) is.
    pub fn spot(&mut self, at: usize) -> Spot {
        let len = self.line.len();
        let from_front = if !is_long(self.line) {
            at < len / 2
        } else if at < WINDOW || at >= len - WINDOW {
            at < WINDOW
        } else {
            return Spot::Unknown;
        };
        if self.top_level_in_flat_stretch(at, from_front) {
            return Spot::Key { depth: 1 };
        }
        if from_front {
            self.read_from_front(at)
        } else {
            self.read_from_back(at)
        }
    }

    /// The common case told with two vector searches instead of token by token: between the
    /// line's end and `at` there is no bracket that opens (reading from the start) or closes
    /// (from the end) but the object's own, and no whitespace at all (not even inside strings,
    /// where a space would need the token walk to place it). `at` is then a key of the object
    /// if its quote is not escaped: an unescaped quote followed by `name":` opens a key in
    /// valid JSON.
    fn top_level_in_flat_stretch(&self, at: usize, from_front: bool) -> bool {
        let line = self.line;
        let (stretch, [bracket, square]) = if from_front {
            let stretch = line
                .strip_prefix(b"{")
                .and_then(|rest| rest.get(..at.checked_sub(1)?));
            (stretch, [b'{', b'['])
        } else {
            let stretch = line.strip_suffix(b"}").and_then(|rest| rest.get(at..));
            (stretch, [b'}', b']'])
        };
        let Some(stretch) = stretch else {
            return false;
        };
        let before = line.get(..at).unwrap_or_default();
        let escaped = before.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1;
        !escaped
            && memchr::memchr3(bracket, square, b' ', stretch).is_none()
            && memchr::memchr3(b'\t', b'\r', b'\n', stretch).is_none()
    }

    fn read_from_front(&mut self, at: usize) -> Spot {
        let line = self.line;
        if at < self.front.0 {
            self.front = (0, 0);
        }
        let (mut pos, mut depth) = self.front;
        while pos < at {
            match line.get(pos) {
                Some(b'"') => {
                    // The string's end, before `at` (else `at` is inside it).
                    let mut from = pos + 1;
                    loop {
                        let Some(rest) = line.get(from..at) else {
                            return Spot::InString;
                        };
                        match memchr::memchr2(b'"', b'\\', rest) {
                            None => return Spot::InString,
                            Some(i) if rest.get(i) == Some(&b'\\') => from += i + 2,
                            Some(i) => {
                                pos = from + i;
                                break;
                            }
                        }
                    }
                }
                Some(b'{' | b'[') => depth += 1,
                Some(b'}' | b']') => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return Spot::Unknown,
                },
                Some(b' ' | b'\t' | b'\n' | b'\r') | None => return Spot::Unknown,
                Some(_) => {}
            }
            pos += 1;
        }
        self.front = (pos, depth);
        Spot::Key { depth }
    }

    fn read_from_back(&mut self, at: usize) -> Spot {
        let line = self.line;
        if at > self.back.0 {
            self.back = (line.len(), 0);
        }
        let (mut pos, mut depth) = self.back;
        while pos > at {
            match line.get(pos - 1) {
                Some(b'"') => {
                    // The string's opening quote: the nearest one before that is not escaped.
                    let mut end = pos - 1;
                    loop {
                        let Some(q) = line.get(at..end).and_then(|s| memchr::memrchr(b'"', s))
                        else {
                            return Spot::InString;
                        };
                        let q = at + q;
                        let before = line.get(..q).unwrap_or_default();
                        let backslashes = before.iter().rev().take_while(|&&b| b == b'\\').count();
                        if backslashes % 2 == 0 {
                            pos = q;
                            break;
                        }
                        end = q;
                    }
                    continue;
                }
                Some(b'}' | b']') => depth += 1,
                Some(b'{' | b'[') => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return Spot::Unknown,
                },
                Some(b' ' | b'\t' | b'\n' | b'\r') | None => return Spot::Unknown,
                Some(_) => {}
            }
            pos -= 1;
        }
        self.back = (pos, depth);
        Spot::Key { depth }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_a_pick_takes_is_found_past_a_bom_and_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        std::fs::write(&path, b"\xEF\xBB\xBFskip\ntake 1\ntake 2").unwrap();
        let mut seen = Vec::new();
        let found = first_line_where(&path, |line| {
            seen.push(line.to_vec());
            line.strip_prefix(b"take ").map(<[u8]>::to_vec)
        });
        assert_eq!(found, Some(b"1".to_vec()));
        assert_eq!(seen, [b"skip".to_vec(), b"take 1".to_vec()]);
        assert_eq!(first_line_where(&path, |_| None::<()>), None);
    }

    #[test]
    fn leading_fields_read_the_compact_head_or_nothing() {
        let line = br#"{"id":"a1","parent":null,"type":"user","content":"x"}"#;
        assert_eq!(
            leading_fields(line, ["id", "parent", "type"]),
            Some(([Some("a1"), None, Some("user")], &br#","content":"x"}"#[..]))
        );
        assert_eq!(
            leading_fields(br#"{"id":"a1"}"#, ["id"]),
            Some(([Some("a1")], &b"}"[..]))
        );
        for other in [
            &br#"{"type":"user","id":"a1"}"#[..],
            br#"{ "id":"a1","type":"user"}"#,
            br#"{"id":"a\"1","type":"user"}"#,
            br#"{"id":"a1","type":"user""#,
            br#"{"id":"a1"x,"type":"user"}"#,
            br#"{"id":7,"type":"user"}"#,
        ] {
            assert_eq!(leading_fields(other, ["id", "type"]), None, "{other:?}");
        }
    }

    #[test]
    fn lines_split_on_newlines_only() {
        let got: Vec<&[u8]> = lines(b"a\n\nbc\nd").collect();
        assert_eq!(got, [&b"a"[..], b"", b"bc", b"d"]);
        assert_eq!(lines(b"x\n").count(), 1);
        assert_eq!(lines(b"").count(), 0);
    }

    #[test]
    fn long_lines_are_searched_at_head_and_tail_only() {
        let finder = memchr::memmem::Finder::new("needle");
        let mut line = vec![b'x'; 20_000];
        line[10_000..10_006].copy_from_slice(b"needle");
        assert!(!in_window(&finder, &line));
        line[19_990..19_996].copy_from_slice(b"needle");
        assert!(in_window(&finder, &line));
        assert!(in_window(&finder, b"short needle line"));
    }

    fn spots(line: &[u8], needle: &str) -> Vec<Spot> {
        let finder = memchr::memmem::Finder::new(needle);
        let mut nesting = Nesting::new(line);
        find_in_windows(&finder, line)
            .map(|at| nesting.spot(at))
            .collect()
    }

    #[test]
    fn keys_are_told_by_depth_from_the_nearer_end() {
        let line = br#"{"a":{"type":"x"},"s":"say \"type\":\"no\\","type":"user","b":[{"type":"y"}],"z":"}"}"#;
        assert_eq!(
            spots(line, r#""type":""#),
            [
                Spot::Key { depth: 2 },
                Spot::Key { depth: 1 },
                Spot::Key { depth: 3 },
            ]
        );
        // A look-alike that starts at an escaped quote, inside a key.
        let line = br#"{"a\"type":"x","type":"d"}"#;
        assert_eq!(
            spots(line, r#""type":""#),
            [Spot::InString, Spot::Key { depth: 1 }]
        );
        let long_key = br#"{"b":"\\","a\\\"type":"x","type":"d","z":0}"#;
        assert_eq!(
            spots(long_key, r#""type":""#),
            [Spot::InString, Spot::Key { depth: 1 }]
        );
        // The same, read from the end.
        let from_back = format!(r#"{{"p":"{}","a\"type":"x","type":"d"}}"#, "x".repeat(80));
        assert_eq!(
            spots(from_back.as_bytes(), r#""type":""#),
            [Spot::InString, Spot::Key { depth: 1 }]
        );
    }

    #[test]
    fn whitespace_between_tokens_is_not_the_compact_shape() {
        let spaced = br#"{"a": 1, "type":"user", "b": 2}"#;
        assert_eq!(spots(spaced, r#""type":""#), [Spot::Unknown]);
        let padded = b" {\"type\":\"user\"}";
        assert_eq!(spots(padded, r#""type":""#), [Spot::Unknown]);
        // Spaces inside strings are text.
        let text = br#"{"m":"a b : , { [","type":"user","n":"} ] x"}"#;
        assert_eq!(spots(text, r#""type":""#), [Spot::Key { depth: 1 }]);
    }

    #[test]
    fn long_lines_are_told_only_within_their_windows() {
        let big = "x".repeat(20_000);
        let head = format!(r#"{{"type":"user","m":"{big}","type":"tail"}}"#);
        assert_eq!(
            spots(head.as_bytes(), r#""type":""#),
            [Spot::Key { depth: 1 }, Spot::Key { depth: 1 }]
        );
        let middle = format!(r#"{{"m":"{big}","type":"mid","n":"{big}"}}"#);
        let mut nesting = Nesting::new(middle.as_bytes());
        assert_eq!(nesting.spot(20_008), Spot::Unknown);
    }

    #[test]
    fn a_bom_is_not_part_of_the_first_line() {
        let got: Vec<&[u8]> = lines(b"\xEF\xBB\xBFa\r\nb").collect();
        assert_eq!(got, [&b"a\r"[..], b"b"]);
    }

    #[test]
    fn unchanged_needs_the_same_size_and_mtime() {
        let unchanged = Unchanged::new(&[FileStamp {
            path: "/s/a.jsonl".into(),
            size: 10,
            mtime_ms: 5,
        }]);
        assert!(unchanged.contains(Path::new("/s/a.jsonl"), 10, 5));
        assert!(!unchanged.contains(Path::new("/s/a.jsonl"), 11, 5));
        assert!(!unchanged.contains(Path::new("/s/a.jsonl"), 10, 6));
        assert!(!unchanged.contains(Path::new("/s/b.jsonl"), 10, 5));
    }
}
