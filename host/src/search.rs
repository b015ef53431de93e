//! Text search in sessions: a query found in the user, assistant and tool texts of a transcript,
//! and a prefilter that rules a session file out from its raw bytes, without its adapter.
//!
//! Matching is case-insensitive unless asked otherwise: an ASCII letter of the query matches its
//! other ASCII case only, any other letter every case Unicode folds it to. So a match always holds
//! the query's ASCII stretches byte for byte (but for case), and those stretches are what the
//! prefilter looks for in a file: a JSON writer escapes none of the characters they are made of,
//! so a text holding the query holds them in the file that stores it, however it is encoded.

use aho_corasick::AhoCorasick;
use anyhow::{Result, anyhow};
use handoff_plugin_api::{Part, Role, Transcript};
use regex::Regex;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// A query, compiled once for every session.
pub struct Query {
    matcher: Regex,
    /// The longest stretch of the query that a JSON file holds as it is (see the module's doc);
    /// `None` when the query has none, and every session must be read to tell.
    prefilter: Option<Prefilter>,
}

struct Prefilter {
    finder: AhoCorasick,
    len: usize,
}

/// Where in a session a match was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    User,
    Assistant,
    ToolCall,
    ToolOutput,
}

impl Place {
    pub fn label(self) -> &'static str {
        match self {
            Place::User => "user",
            Place::Assistant => "assistant",
            Place::ToolCall => "tool call",
            Place::ToolOutput => "tool output",
        }
    }
}

/// The matches of a session: how many texts hold the query, and the newest of them.
#[derive(Debug)]
pub struct Found<'a> {
    pub texts: usize,
    pub place: Place,
    /// The whole text of the newest match (not redacted: the caller redacts it before showing).
    pub text: &'a str,
    /// Where the match starts in `text`.
    pub at: usize,
}

/// Characters some JSON writer escapes (`\"`, `\/`, `\u003c` for HTML safety, …): a stretch of
/// the query that holds one may be spelled otherwise in the file.
const MAY_BE_ESCAPED: &[u8] = b"\"\\/<>&'+`";

impl Query {
    pub fn new(text: &str, case_sensitive: bool) -> Result<Self> {
        let mut pattern = String::with_capacity(text.len() * 8);
        for c in text.chars() {
            let escaped = regex::escape(c.encode_utf8(&mut [0; 4]));
            if case_sensitive {
                pattern.push_str(&escaped);
            } else if c.is_ascii() {
                // Without Unicode, `k` does not match the Kelvin sign: the prefilter relies on it.
                pattern.push_str(&format!("(?i-u:{escaped})"));
            } else {
                pattern.push_str(&format!("(?i:{escaped})"));
            }
        }
        let matcher =
            Regex::new(&pattern).map_err(|e| anyhow!("cannot search for {text:?}: {e}"))?;
        let stretch = text
            .split(|c: char| {
                !(c.is_ascii_graphic() || c == ' ') || MAY_BE_ESCAPED.contains(&(c as u8))
            })
            .max_by_key(|s| s.len())
            .filter(|s| !s.is_empty());
        let prefilter = match stretch {
            Some(stretch) => Some(Prefilter {
                finder: AhoCorasick::builder()
                    .ascii_case_insensitive(!case_sensitive)
                    .build([stretch])
                    .map_err(|e| anyhow!("cannot search for {text:?}: {e}"))?,
                len: stretch.len(),
            }),
            None => None,
        };
        Ok(Self { matcher, prefilter })
    }

    /// Whether the file at `path`, a session stored as JSON text, may hold a match: `false` only
    /// when it cannot. Read in pieces into `buffer`, and only until the stretch is found.
    pub fn file_may_match(&self, path: &Path, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
        const PIECE: u64 = 1 << 20;
        let Some(prefilter) = &self.prefilter else {
            return Ok(true);
        };
        let mut file = std::fs::File::open(path)?;
        buffer.clear();
        loop {
            let read = (&mut file).take(PIECE).read_to_end(buffer)?;
            if prefilter.finder.is_match(buffer.as_slice()) {
                return Ok(true);
            }
            if read < PIECE as usize {
                return Ok(false);
            }
            // A match may straddle two pieces: the end of this one is kept for the next.
            let keep = prefilter.len.saturating_sub(1).min(buffer.len());
            buffer.drain(..buffer.len() - keep);
        }
    }

    /// The first match in `text`: its start and end.
    pub fn find_in(&self, text: &str) -> Option<(usize, usize)> {
        self.matcher.find(text).map(|m| (m.start(), m.end()))
    }

    /// The matches in what the user and the assistant said and in the tools' calls and outputs
    /// (not in reasoning, system prompts or compaction summaries), or `None`.
    pub fn find<'a>(&self, transcript: &'a Transcript) -> Option<Found<'a>> {
        let mut texts = 0;
        let mut newest = None;
        for message in &transcript.messages {
            for part in &message.parts {
                let mut look = |place: Place, text: &'a str| {
                    if let Some((at, _)) = self.find_in(text) {
                        texts += 1;
                        newest = Some((place, text, at));
                    }
                };
                match (part, message.role) {
                    (Part::Text { text }, Role::User) => look(Place::User, text),
                    (Part::Text { text }, Role::Assistant) => look(Place::Assistant, text),
                    // The native input: the shared vocabulary's arguments are the same values.
                    (Part::ToolCall { input, .. }, _) => {
                        strings(input, &mut |text| look(Place::ToolCall, text));
                    }
                    (Part::ToolResult { output, .. }, _) => look(Place::ToolOutput, output),
                    _ => {}
                }
            }
        }
        newest.map(|(place, text, at)| Found {
            texts,
            place,
            text,
            at,
        })
    }

    /// One line of about `width` characters around the first match in `text` (already
    /// redacted), whitespace runs shown as one space. When the match is gone from `text` (it
    /// was inside a secret that redaction replaced), around `near`, where it was.
    pub fn snippet(&self, text: &str, near: usize, width: usize) -> String {
        const BEFORE: usize = 30;
        let (start, end) = self.find_in(text).unwrap_or_else(|| {
            let at = floor_char_boundary(text, near);
            (at, at)
        });
        // Only the neighbourhood is squeezed: a tool output can be megabytes.
        let head = text.get(floor_char_boundary(text, start.saturating_sub(BEFORE * 8))..start);
        let tail = text.get(end..floor_char_boundary(text, end + width * 8));
        let before: Vec<char> = squeeze(head.unwrap_or_default()).chars().collect();
        let kept_before = before.len().min(BEFORE);
        let mut line = String::new();
        if kept_before < before.len() || start > BEFORE * 8 {
            line.push('…');
        }
        line.extend(before.get(before.len() - kept_before..).unwrap_or_default());
        line.push_str(&squeeze(text.get(start..end).unwrap_or_default()));
        let room = width.saturating_sub(line.chars().count());
        let after = squeeze(tail.unwrap_or_default());
        if after.chars().count() > room || end + width * 8 < text.len() {
            line.extend(after.chars().take(room.saturating_sub(1)));
            line.push('…');
        } else {
            line.push_str(&after);
        }
        line.trim().to_owned()
    }
}

/// Every string in a JSON value (keys aside).
fn strings<'a>(value: &'a Value, each: &mut impl FnMut(&'a str)) {
    match value {
        Value::String(text) => each(text),
        Value::Array(items) => items.iter().for_each(|item| strings(item, each)),
        Value::Object(map) => map.values().for_each(|item| strings(item, each)),
        _ => {}
    }
}

/// `text` with every run of whitespace (newlines too) as one space, on one line.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}
