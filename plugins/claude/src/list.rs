//! Listing and locating sessions without parsing whole files: one streaming pass per file that
//! only looks at a window of each line, parsing just the few lines a row needs.

use crate::paths;
use crate::read::{Titles, is_injected, title_from_text};
use handoff_adapter_kit::listing::{Unchanged, in_window, lines, mtime_ms, windows, with_file};
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{AdapterError, AdapterResult, SessionSummary};
use memchr::memmem;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// The first user text is looked for in this much of the file, as the client's picker does.
const FIRST_TEXT_SPAN: u64 = 64 * 1024;
/// Title rows (`summary`, `ai-title`, `custom-title`) are short; longer lines are not searched for them.
const TITLE_ROW_MAX: usize = 8 * 1024;

/// A session file with its size and modification time.
pub struct SessionFile {
    pub path: PathBuf,
    pub id: String,
    pub size: u64,
    pub mtime_ms: i64,
}

fn session_file((path, meta): (PathBuf, std::fs::Metadata)) -> Option<SessionFile> {
    let id = paths::session_id_of(&path)?;
    Some(SessionFile {
        path,
        id,
        size: meta.len(),
        mtime_ms: mtime_ms(&meta),
    })
}

/// The session files of `cwd` (or of every project), newest first.
pub fn session_files(home: &Path, cwd: Option<&str>) -> Vec<SessionFile> {
    let dirs = match cwd {
        Some(cwd) => paths::project_dirs(home, cwd),
        None => paths::all_project_dirs(home),
    };
    let key = cwd.map(paths::project_key);
    let key = key.as_deref();
    // Folders on every core: a whole listing stats thousands of files.
    let per_dir = par_map(&dirs, |dir| {
        // A folder found by the cut-key prefix counts only for sessions of the same cwd key.
        let exact = key.is_none_or(|k| dir.ends_with(k));
        paths::session_files(dir)
            .into_iter()
            .filter(|(p, _)| exact || belongs_to(p, key))
            .filter_map(session_file)
            .collect::<Vec<_>>()
    });
    let mut files: Vec<SessionFile> = per_dir.into_iter().flatten().collect();
    files.sort_by(|a, b| b.mtime_ms.cmp(&a.mtime_ms).then_with(|| a.id.cmp(&b.id)));
    files
}

fn belongs_to(path: &Path, key: Option<&str>) -> bool {
    let Some(key) = key else { return true };
    scan(path).is_ok_and(|s| s.cwd.as_deref().map(paths::project_key).as_deref() == Some(key))
}

/// `list_sessions`: newest first, at most `limit`. Files the host has an up-to-date row for
/// (`unchanged`) are not read.
pub fn list(
    home: &Path,
    cwd: Option<&str>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let files = session_files(home, cwd);
    let row = |file: &SessionFile| row(file, unchanged);
    match limit {
        // Newest first until there are enough: `status` reads one or two files.
        Some(limit) => files.iter().filter_map(row).take(limit).collect(),
        None => par_map(&files, row).into_iter().flatten().collect(),
    }
}

fn row(file: &SessionFile, unchanged: &Unchanged) -> Option<SessionSummary> {
    if unchanged.contains(&file.path, file.size, file.mtime_ms) {
        return Some(Unchanged::cached_row("claude", file.id.clone(), &file.path));
    }
    // A file that cannot be read, or holds no conversation, is not a session to offer.
    let scan = scan(&file.path).ok()?;
    if scan.messages == 0 {
        return None;
    }
    Some(SessionSummary {
        agent: "claude".into(),
        session_id: file.id.clone(),
        cwd: scan.cwd,
        title: scan.titles.best(scan.first_user_text),
        messages: scan.messages,
        updated_ms: Some(file.mtime_ms),
        created_ms: scan.created_ms,
        path: file.path.display().to_string(),
        cached: false,
    })
}

/// Finds a session by full id or unique prefix, in every project.
pub fn find_by_id(home: &Path, id: &str) -> AdapterResult<PathBuf> {
    let mut matches: Vec<SessionFile> = session_files(home, None)
        .into_iter()
        .filter(|f| f.id.starts_with(id))
        .collect();
    if let Some(exact) = matches.iter().position(|f| f.id == id) {
        return Ok(matches.swap_remove(exact).path);
    }
    match matches.len() {
        0 => Err(AdapterError::not_found(format!(
            "no claude session with id {id} (looked in {})",
            paths::projects_dir(home).display()
        ))),
        1 => Ok(matches.swap_remove(0).path),
        _ => {
            let ids: Vec<&str> = matches.iter().map(|f| f.id.as_str()).collect();
            Err(AdapterError::new(
                handoff_plugin_api::ErrorKind::Ambiguous,
                format!("claude session id {id} is ambiguous: {}", ids.join(", ")),
            ))
        }
    }
}

/// The most recently changed session of `cwd` that holds a conversation.
pub fn latest_for(home: &Path, cwd: &str) -> AdapterResult<PathBuf> {
    session_files(home, Some(cwd))
        .into_iter()
        .find(|f| has_conversation(&f.path))
        .map(|f| f.path)
        .ok_or_else(|| {
            AdapterError::not_found(format!(
                "no claude session for {cwd} (looked in {})",
                paths::projects_dir(home)
                    .join(paths::project_key(cwd))
                    .display()
            ))
        })
}

/// Whether a file holds at least one user or assistant row (stops at the first).
fn has_conversation(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let needles = Needles::new();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {
                let marks = needles.marks(&line);
                if marks.user || marks.assistant {
                    return true;
                }
            }
        }
    }
}

/// What one pass over a file tells a list row.
#[derive(Default)]
pub struct Scan {
    pub cwd: Option<String>,
    pub titles: Titles,
    pub first_user_text: Option<String>,
    /// Messages as the API sees them: runs of user or assistant rows count once.
    pub messages: usize,
    pub created_ms: Option<i64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Turn {
    User,
    Assistant,
}

/// What a line's envelope says, from two searches over its windows: the values of `"type"`
/// keys, and the keys whose value is `true`.
#[derive(Default)]
struct Marks {
    user: bool,
    assistant: bool,
    title_row: bool,
    sidechain: bool,
    meta: bool,
}

struct Needles {
    type_key: memmem::Finder<'static>,
    true_value: memmem::Finder<'static>,
    cwd: memmem::Finder<'static>,
}

impl Needles {
    fn new() -> Self {
        Self {
            type_key: memmem::Finder::new(br#""type":""#),
            true_value: memmem::Finder::new(br#"":true"#),
            cwd: memmem::Finder::new(br#""cwd":""#),
        }
    }

    fn marks(&self, line: &[u8]) -> Marks {
        let mut marks = Marks::default();
        for window in windows(line) {
            for at in self.type_key.find_iter(window) {
                let value = window.get(at + 8..).unwrap_or_default();
                let is =
                    |kind: &[u8]| value.starts_with(kind) && value.get(kind.len()) == Some(&b'"');
                marks.user |= is(b"user");
                marks.assistant |= is(b"assistant");
                marks.title_row |= is(b"custom-title") || is(b"ai-title") || is(b"summary");
            }
            for at in self.true_value.find_iter(window) {
                let key = window.get(..at).unwrap_or_default();
                marks.sidechain |= key.ends_with(br#""isSidechain"#);
                marks.meta |= key.ends_with(br#""isMeta"#);
            }
        }
        marks
    }
}

/// One pass over a session file, read whole (one copy; lines are found with memchr). Only the
/// envelope window of each line is searched and only the few lines a row needs are parsed.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    with_file(path, scan_bytes)
}

fn scan_bytes(bytes: &[u8]) -> Scan {
    let needles = Needles::new();
    let mut scan = Scan::default();
    let mut offset: u64 = 0;
    let mut last_turn = None;
    for row in lines(bytes) {
        let start = offset;
        offset += row.len() as u64 + 1;
        let row = row.strip_suffix(b"\r").unwrap_or(row);

        let marks = needles.marks(row);
        if row.len() <= TITLE_ROW_MAX && marks.title_row {
            if let Ok(value) = serde_json::from_slice::<Value>(row) {
                let kind = value
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                scan.titles
                    .observe(kind, |key| value.get(key).and_then(Value::as_str));
            }
            continue;
        }
        let turn = if marks.assistant {
            Turn::Assistant
        } else if marks.user {
            Turn::User
        } else {
            continue;
        };
        if marks.sidechain || marks.meta {
            continue;
        }
        if last_turn != Some(turn) {
            scan.messages += 1;
            last_turn = Some(turn);
        }
        let wants_text =
            turn == Turn::User && scan.first_user_text.is_none() && start < FIRST_TEXT_SPAN;
        let wants_head = scan.cwd.is_none() && in_window(&needles.cwd, row);
        if wants_text || wants_head {
            if let Ok(value) = serde_json::from_slice::<Value>(row) {
                if scan.cwd.is_none() {
                    scan.cwd = value.get("cwd").and_then(Value::as_str).map(str::to_owned);
                }
                if scan.created_ms.is_none() {
                    scan.created_ms = value
                        .get("timestamp")
                        .and_then(Value::as_str)
                        .and_then(parse_rfc3339_ms);
                }
                if wants_text && value.get("isCompactSummary").is_none() {
                    scan.first_user_text = first_text(&value);
                }
            }
        }
    }
    scan
}

/// The first text the user typed in a user row, if any.
fn first_text(row: &Value) -> Option<String> {
    match row.pointer("/message/content")? {
        Value::String(text) if !is_injected(text) => title_from_text(text),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .find(|t| !is_injected(t))
            .and_then(title_from_text),
        _ => None,
    }
}
