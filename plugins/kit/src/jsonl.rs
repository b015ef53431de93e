//! Reading JSONL the way the agents do: one object a line, unparseable lines skipped and counted.
//!
//! A stream is cut into blocks of whole lines that every core parses (a long session is tens of
//! megabytes of JSON); the stream is never held whole, so memory stays at the parsed rows plus a
//! few blocks. A buffer already in memory is cut the same way, without copying.

use serde::de::DeserializeOwned;
use std::io::Read;
use std::sync::Mutex;

/// The parsed lines of a JSONL stream, with their 1-based line numbers, and how many were
/// skipped. A last line without its newline is taken if it parses (the agent may be mid-write
/// otherwise, and then it is skipped like any garbage line).
#[derive(Debug)]
pub struct Lines<T> {
    pub rows: Vec<(usize, T)>,
    pub skipped: usize,
}

impl<T> Default for Lines<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            skipped: 0,
        }
    }
}

/// Lines are handed to the parsing threads in blocks of about this many bytes.
const BLOCK: usize = 1 << 20;

struct Block {
    index: usize,
    first_line: usize,
    bytes: Vec<u8>,
}

/// A buffer is cut into pieces of about this many bytes for [`parse`]: enough of them that the
/// cores share a few megabytes evenly.
const PIECE: usize = 256 << 10;

/// Parses every non-blank line that is a JSON object of shape `T`; counts the rest as skipped.
/// A long buffer is cut at line ends into pieces that every core parses.
pub fn parse<T: DeserializeOwned + Send>(bytes: &[u8]) -> Lines<T> {
    let mut pieces = Vec::with_capacity(bytes.len() / PIECE + 1);
    let (mut rest, mut first_line) = (bytes, 1);
    while !rest.is_empty() {
        let end = match rest
            .get(PIECE..)
            .and_then(|after| memchr::memchr(b'\n', after))
        {
            Some(at) => PIECE + at + 1,
            None => rest.len(),
        };
        let (piece, after) = rest.split_at(end);
        pieces.push((first_line, piece));
        first_line += memchr::memchr_iter(b'\n', piece).count();
        rest = after;
    }
    joined(crate::parallel::par_map(&pieces, |(first_line, piece)| {
        parse_block(piece, *first_line)
    }))
}

/// [`parse`] over a stream, on every core when it is longer than one block. Each thread takes the
/// next block of whole lines from the stream in turn and parses it.
pub fn read<T: DeserializeOwned + Send>(reader: impl Read + Send) -> std::io::Result<Lines<T>> {
    let mut source = Blocks {
        reader,
        carry: Vec::new(),
        spare: Vec::new(),
        index: 0,
        first_line: 1,
        ended: false,
    };
    let Some(first) = source.next()? else {
        return Ok(Lines::default());
    };
    if source.ended && source.carry.is_empty() {
        return Ok(parse_block(&first.bytes, first.first_line));
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let source = Mutex::new(source);
    let work = || -> std::io::Result<Vec<(usize, Lines<T>)>> {
        let mut parsed = Vec::new();
        loop {
            // A poisoned lock means another thread panicked: stop, its panic is reported.
            let Ok(mut blocks) = source.lock() else {
                return Ok(parsed);
            };
            let Some(block) = blocks.next()? else {
                return Ok(parsed);
            };
            drop(blocks);
            parsed.push((block.index, parse_block(&block.bytes, block.first_line)));
            if let Ok(mut blocks) = source.lock() {
                blocks.spare.push(block.bytes);
            }
        }
    };
    let mut parsed = Vec::new();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        parsed.push((first.index, parse_block(&first.bytes, first.first_line)));
        parsed.extend(work()?);
        for helper in helpers {
            // A helper that panicked is reported by the caller's catch_unwind.
            match helper.join() {
                Ok(blocks) => parsed.extend(blocks?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok::<_, std::io::Error>(())
    })?;
    parsed.sort_unstable_by_key(|(index, _)| *index);
    Ok(joined(parsed.into_iter().map(|(_, block)| block)))
}

/// The lines of consecutive blocks as one.
fn joined<T>(blocks: impl IntoIterator<Item = Lines<T>>) -> Lines<T> {
    let mut lines = Lines::default();
    for block in blocks {
        lines.rows.extend(block.rows);
        lines.skipped += block.skipped;
    }
    lines
}

/// A stream cut into blocks that end at a line end (a line longer than a block makes its block
/// longer).
struct Blocks<R> {
    reader: R,
    /// Read bytes not yet handed out.
    carry: Vec<u8>,
    /// Buffers of parsed blocks, for the next ones: fresh ones would fault in new pages.
    spare: Vec<Vec<u8>>,
    index: usize,
    first_line: usize,
    ended: bool,
}

impl<R: Read> Blocks<R> {
    fn next(&mut self) -> std::io::Result<Option<Block>> {
        let mut block = self.spare.pop().unwrap_or_default();
        block.clear();
        block.append(&mut self.carry);
        let end = loop {
            if !self.ended && block.len() < BLOCK {
                let want = BLOCK - block.len();
                let got = (&mut self.reader)
                    .take(want as u64)
                    .read_to_end(&mut block)?;
                self.ended = got < want;
            }
            if let Some(at) = memchr::memrchr(b'\n', &block) {
                break at + 1;
            }
            if self.ended {
                break block.len();
            }
            // One line longer than a block so far: read on.
            let got = (&mut self.reader)
                .take(BLOCK as u64)
                .read_to_end(&mut block)?;
            self.ended = got < BLOCK;
        };
        if end == 0 {
            return Ok(None);
        }
        self.carry
            .extend_from_slice(block.get(end..).unwrap_or_default());
        block.truncate(end);
        let first_line = self.first_line;
        self.first_line += memchr::memchr_iter(b'\n', &block).count();
        self.index += 1;
        Ok(Some(Block {
            index: self.index - 1,
            first_line,
            bytes: block,
        }))
    }
}

fn parse_block<T: DeserializeOwned>(bytes: &[u8], first_line: usize) -> Lines<T> {
    let mut lines = Lines::default();
    let bytes = if first_line == 1 {
        crate::listing::strip_bom(bytes)
    } else {
        bytes
    };
    for (number, raw) in (first_line..).zip(bytes.split(|b| *b == b'\n')) {
        let text = raw.trim_ascii();
        if text.is_empty() {
            continue;
        }
        // Only objects are rows (serde would read an array as a struct's fields in order).
        match text
            .starts_with(b"{")
            .then(|| serde_json::from_slice::<T>(text))
        {
            Some(Ok(row)) => lines.rows.push((number, row)),
            _ => lines.skipped += 1,
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn garbage_and_truncated_lines_are_counted() {
        let lines: Lines<Value> = parse(b"{\"a\":1}\nnot json\n\n[1,2]\n{\"b\":2}\n{\"trunc");
        assert_eq!(lines.rows.len(), 2);
        assert_eq!(lines.rows[1].0, 5);
        assert_eq!(lines.skipped, 3);
    }

    #[test]
    fn a_bom_and_crlf_line_ends_are_not_part_of_the_rows() {
        let lines: Lines<Value> = parse(b"\xEF\xBB\xBF{\"a\":1}\r\n{\"b\":2}\r\n");
        assert_eq!(lines.rows.len(), 2);
        assert_eq!(lines.skipped, 0);
        let streamed: Lines<Value> = read(&b"\xEF\xBB\xBF{\"a\":1}\n"[..]).unwrap();
        assert_eq!(streamed.rows.len(), 1);
    }

    #[test]
    fn invalid_utf8_is_a_skipped_line() {
        let lines: Lines<Value> = parse(b"{\"a\":\"\xff\"}\n{\"b\":1}\n");
        assert_eq!(lines.rows.len(), 1);
        assert_eq!(lines.skipped, 1);
    }

    /// A stream of several blocks, and a buffer of many pieces, with a line longer than a block,
    /// garbage and no final newline, read exactly like the same bytes parsed at once: same rows,
    /// same numbers.
    #[test]
    fn a_stream_of_many_blocks_reads_like_one_buffer() {
        let mut text = String::new();
        let long = "x".repeat(BLOCK + 1000);
        for i in 0..60_000 {
            match i % 1000 {
                7 => text.push_str("garbage\n"),
                8 => text.push('\n'),
                500 if i == 20_500 => text.push_str(&format!("{{\"long\":\"{long}\"}}\n")),
                _ => text.push_str(&format!(
                    "{{\"n\":{i},\"pad\":\"{}\"}}\n",
                    "y".repeat(i % 300)
                )),
            }
        }
        text.push_str("{\"last\":true}");
        let whole: Lines<Value> = parse_block(text.as_bytes(), 1);
        let pieces: Lines<Value> = parse(text.as_bytes());
        let streamed: Lines<Value> = read(text.as_bytes()).unwrap();
        assert_eq!(pieces.skipped, whole.skipped);
        assert_eq!(pieces.rows, whole.rows);
        assert!(text.len() > 3 * BLOCK);
        assert_eq!(streamed.skipped, 60);
        assert_eq!(streamed.skipped, whole.skipped);
        assert_eq!(streamed.rows, whole.rows);
        assert_eq!(streamed.rows.last().unwrap().0, 60_001);
    }
}
