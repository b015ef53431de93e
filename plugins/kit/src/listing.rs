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

/// The lines of `bytes` (without their `\n`), found with memchr.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
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

/// Lines up to this size are searched whole; longer ones only at their head and tail, where
/// both Claude Code and Codex put a row's envelope (type, role, flags).
const WHOLE_LINE: usize = 8 * 1024;
const WINDOW: usize = 2 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;

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
