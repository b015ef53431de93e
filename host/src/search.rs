//! Text search in sessions: a query found in the user, assistant and tool texts of a transcript,
//! and a prefilter that rules a session file out from its raw bytes, without its adapter.
//!
//! Matching is case-insensitive unless asked otherwise: an ASCII letter of the query matches its
//! other ASCII case only, any other letter every case Unicode folds it to. So a match always holds
//! the query's ASCII stretches byte for byte (but for case), and those stretches are what the
//! prefilter looks for in a file: a JSON writer escapes none of the characters they are made of,
//! so a text holding the query holds them in the file that stores it, however it is encoded.

use aho_corasick::AhoCorasick;
use anyhow::Result;
use handoff_plugin_api::{Part, Role, Transcript};

use crate::error::{Error, Kind};
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

/// Whether every JSON writer puts `c` down as it is: printable ASCII but [`MAY_BE_ESCAPED`].
fn spelled_as_is(c: char) -> bool {
    u8::try_from(c).is_ok_and(|byte| {
        (byte.is_ascii_graphic() || byte == b' ') && !MAY_BE_ESCAPED.contains(&byte)
    })
}

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
        let matcher = Regex::new(&pattern).map_err(too_long)?;
        let stretch = text
            .split(|c: char| !spelled_as_is(c))
            .max_by_key(|s| s.len())
            .filter(|s| !s.is_empty());
        let prefilter = match stretch {
            Some(stretch) => Some(Prefilter {
                finder: AhoCorasick::builder()
                    .ascii_case_insensitive(!case_sensitive)
                    .build([stretch])
                    .map_err(too_long)?,
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
        // A third of the line before the match, the rest after it.
        let before_room = width / 3;
        let (start, end) = self.find_in(text).unwrap_or_else(|| {
            let at = floor_char_boundary(text, near);
            (at, at)
        });
        // Only the neighbourhood is squeezed: a tool output can be megabytes.
        let head = text.get(floor_char_boundary(text, start.saturating_sub(width * 8))..start);
        let tail = text.get(end..floor_char_boundary(text, end + width * 8));
        let before: Vec<char> = squeeze(head.unwrap_or_default()).chars().collect();
        let kept_before = before.len().min(before_room);
        let mut line = String::new();
        if kept_before < before.len() || start > width * 8 {
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

/// The one way an escaped literal fails to compile: it is too long.
fn too_long(error: impl std::fmt::Display) -> Error {
    Error::new(Kind::Usage, format!("cannot search for that text: {error}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{Message, SessionMeta};
    use serde_json::json;

    fn query(text: &str) -> Query {
        Query::new(text, false).unwrap()
    }

    /// `text` stored as a JSON string the ways writers do it: serde's and JavaScript's (only `"`,
    /// `\` and controls escaped), Go's (also `<`, `>`, `&`), Python's `ensure_ascii` (every
    /// non-ASCII character as `\uXXXX`), and PHP's (also `/`).
    fn spellings(text: &str) -> Vec<String> {
        let plain = serde_json::to_string(text).unwrap();
        let go = plain
            .replace('<', r"\u003c")
            .replace('>', r"\u003e")
            .replace('&', r"\u0026");
        let ascii: String = plain
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    c.encode_utf16(&mut [0; 2])
                        .iter()
                        .map(|unit| format!(r"\u{unit:04x}"))
                        .collect()
                }
            })
            .collect();
        let php = plain.replace('/', r"\/");
        vec![plain, go, ascii, php]
    }

    #[test]
    fn a_file_that_holds_a_match_is_never_ruled_out_however_it_is_escaped() {
        let texts = [
            r#"run "cargo test" in src/lib.rs && echo <done> 'ok' a+b `x` C:\dir"#,
            "Größe der Datei: 12 KB\nÉTÉ à Paris — ok",
            "line one\n\tline two\r\nline three",
        ];
        let queries = [
            r#""cargo test" in src/lib"#,
            "&& ECHO <DONE>",
            r"a+b `x` c:\DIR",
            "größe der",
            "été à paris",
            "ONE\n\tline",
            "three",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut buffer = Vec::new();
        for text in texts {
            for (index, spelled) in spellings(text).iter().enumerate() {
                let path = dir.path().join(format!("{index}.jsonl"));
                std::fs::write(&path, format!("{{\"text\":{spelled}}}\n")).unwrap();
                for q in queries {
                    let query = query(q);
                    if query.find_in(text).is_some() {
                        assert!(
                            query.file_may_match(&path, &mut buffer).unwrap(),
                            "{q:?} in {spelled}"
                        );
                    }
                }
            }
        }
        // And the scan does rule out a file without the text.
        let path = dir.path().join("other.jsonl");
        std::fs::write(&path, r#"{"text":"nothing of the sort"}"#).unwrap();
        assert!(
            !query("cargo test")
                .file_may_match(&path, &mut buffer)
                .unwrap()
        );
    }

    #[test]
    fn a_match_across_two_pieces_of_a_long_file_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.jsonl");
        let mut text = "x".repeat((1 << 20) - 3);
        text.push_str("NEEDLE in the middle");
        std::fs::write(&path, &text).unwrap();
        let mut buffer = Vec::new();
        assert!(
            query("needle in")
                .file_may_match(&path, &mut buffer)
                .unwrap()
        );
        assert!(
            !query("needle out")
                .file_may_match(&path, &mut buffer)
                .unwrap()
        );
    }

    #[test]
    fn case_folds_for_every_letter_but_an_ascii_letter_only_to_ascii() {
        assert!(query("ÉTÉ").find_in("un été").is_some());
        assert!(query("straße").find_in("STRAßE").is_some());
        assert!(query("KELVIN").find_in("kelvin").is_some());
        // The Kelvin sign folds to `k` in Unicode; here it is another letter (see the module).
        assert!(query("k").find_in("\u{212a}").is_none());
        assert!(Query::new("Abc", true).unwrap().find_in("abc").is_none());
        // Regex syntax is text here.
        assert_eq!(query("a.c (x)").find_in("abc a.c (X)"), Some((4, 11)));
    }

    #[test]
    fn user_assistant_and_tool_texts_are_searched_and_the_newest_match_kept() {
        let message = |role, parts| Message::new(role, parts);
        let transcript = Transcript::new(
            SessionMeta::default(),
            vec![
                message(
                    Role::System,
                    vec![Part::Text {
                        text: "deploy rules".into(),
                    }],
                ),
                message(
                    Role::User,
                    vec![Part::Text {
                        text: "please Deploy it".into(),
                    }],
                ),
                message(
                    Role::Assistant,
                    vec![
                        Part::Reasoning {
                            text: "deploy now".into(),
                            signature: None,
                            provider: None,
                        },
                        Part::ToolCall {
                            id: "c1".into(),
                            name: "Bash".into(),
                            input: json!({"command": ["make", "DEPLOY=1"]}),
                            tool: Default::default(),
                        },
                    ],
                ),
                message(
                    Role::User,
                    vec![Part::ToolResult {
                        call_id: "c1".into(),
                        output: "deployed".into(),
                        images: vec![],
                        is_error: false,
                    }],
                ),
            ],
        );
        let found = query("deploy").find(&transcript).unwrap();
        // The system prompt and the reasoning are not searched.
        assert_eq!(found.texts, 3);
        assert_eq!(
            (found.place, found.text, found.at),
            (Place::ToolOutput, "deployed", 0)
        );
        let found = query("DEPLOY=").find(&transcript).unwrap();
        assert_eq!((found.place, found.text), (Place::ToolCall, "DEPLOY=1"));
        assert!(query("rules").find(&transcript).is_none());
    }

    #[test]
    fn a_snippet_is_one_line_around_the_match() {
        let q = query("needle");
        let text = format!(
            "{}\n\nthe   NEEDLE\tis here\n{}",
            "a ".repeat(200),
            "b ".repeat(200)
        );
        let line = q.snippet(&text, 0, 40);
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert!(line.contains("a the NEEDLE is here b"), "{line}");
        assert_eq!(line.chars().count(), 40, "{line}");
        assert_eq!(q.snippet("a needle", 0, 40), "a needle");
        // Gone from the redacted text: around where it was.
        let line = q.snippet("key [REDACTED:github_token] used", 4, 40);
        assert_eq!(line, "key [REDACTED:github_token] used");
    }
}
