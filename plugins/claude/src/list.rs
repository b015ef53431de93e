//! Listing and locating sessions without parsing whole files: one streaming pass per file that
//! only looks at a window of each line, parsing just the few lines a row needs.

use crate::paths;
use crate::read::{Titles, is_injected, title_from_text};
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::listing::{
    Nesting, Spot, Unchanged, find_in_windows, is_long, lines, mtime_ms, strip_bom, with_file,
};
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use memchr::memmem;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

/// The first user text is looked for in this much of the file, as the client's picker does.
const FIRST_TEXT_SPAN: u64 = 64 * 1024;

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
        store: None,
    })
}

/// Finds a session by full id or unique prefix, in every project.
pub fn find_by_id(home: &Path, id: &str) -> AdapterResult<PathBuf> {
    let projects_dir = paths::projects_dir(home);
    let search = Search {
        agent: "claude",
        looked_in: &projects_dir.display(),
    };
    let file = search.by_id(id, session_files(home, None), |f| f.id.as_str())?;
    Ok(file.path)
}

/// The most recently changed session of `cwd` that holds a conversation.
pub fn latest_for(home: &Path, cwd: &str) -> AdapterResult<PathBuf> {
    let project_dir = paths::projects_dir(home).join(paths::project_key(cwd));
    let search = Search {
        agent: "claude",
        looked_in: &project_dir.display(),
    };
    // Lazily: only the files up to the first with a conversation are read.
    let with_conversation = session_files(home, Some(cwd))
        .into_iter()
        .filter(|f| has_conversation(&f.path));
    Ok(search.latest(cwd, with_conversation)?.path)
}

/// Whether a file holds at least one user or assistant row (stops at the first).
fn has_conversation(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut needles = Needles::new();
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut line = Vec::new();
    let mut first = true;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {
                let row = if first { strip_bom(&line) } else { &line };
                first = false;
                let row = row.strip_suffix(b"\n").unwrap_or(row);
                let row = row.strip_suffix(b"\r").unwrap_or(row);
                let kind = needles
                    .read(row)
                    .map_or(Kind::Other, |(marks, _)| marks.kind);
                if matches!(kind, Kind::User | Kind::Assistant) {
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

/// A row's `type`, as far as a listing cares.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    User,
    Assistant,
    /// `summary`, `ai-title`, `custom-title`: the rows that carry a title.
    Title,
    #[default]
    Other,
}

impl Kind {
    fn of(kind: &[u8]) -> Self {
        match kind {
            b"user" => Kind::User,
            b"assistant" => Kind::Assistant,
            b"custom-title" | b"ai-title" | b"summary" => Kind::Title,
            _ => Kind::Other,
        }
    }
}

/// What a row's envelope says: its top-level `type` and flags.
#[derive(Default)]
struct Marks {
    kind: Kind,
    sidechain: bool,
    meta: bool,
}

impl Marks {
    /// The marks of a parsed row, for the lines the fast path does not read.
    fn of(row: &Value) -> Self {
        let kind = row.get("type").and_then(Value::as_str).unwrap_or_default();
        let flag = |key: &str| row.get(key) == Some(&Value::Bool(true));
        Self {
            kind: Kind::of(kind.as_bytes()),
            sidechain: flag("isSidechain"),
            meta: flag("isMeta"),
        }
    }
}

const TYPE_KEY: &[u8] = br#""type":""#;
/// The keys whose `true` the fast path looks for, with their opening quote.
const SIDECHAIN_KEY: &[u8] = br#""isSidechain"#;
const META_KEY: &[u8] = br#""isMeta"#;
/// How the client's rows start (see [`starts_as_the_client_writes`]).
const CONVERSATION_ROW_START: &[u8] = br#"{"parentUuid":"#;
const OTHER_ROW_START: &[u8] = br#"{"type":""#;

/// The fast path: reads the envelope of a line in the compact shape the client writes
/// (`JSON.stringify`, keys in its order) from the line's windows.
struct Needles {
    type_key: memmem::Finder<'static>,
    true_value: memmem::Finder<'static>,
    cwd: memmem::Finder<'static>,
    /// The current line's `"type":"` keys still to tell: where they are, and their value.
    type_keys: Vec<(usize, Option<Kind>)>,
}

impl Needles {
    fn new() -> Self {
        Self {
            type_key: memmem::Finder::new(TYPE_KEY),
            true_value: memmem::Finder::new(br#"":true"#),
            cwd: memmem::Finder::new(br#""cwd":""#),
            type_keys: Vec::new(),
        }
    }

    /// The line's marks: by the fast path when it can read the line, else from the parsed row
    /// (given back, to be used again). `None` for a line that is not a JSON object.
    fn read(&mut self, line: &[u8]) -> Option<(Marks, Option<Value>)> {
        match self.marks(line) {
            Some(marks) => Some((marks, None)),
            None => parse_row(line).map(|row| (Marks::of(&row), Some(row))),
        }
    }

    /// The line's marks from two searches over its windows (`"type"` keys and `true` values),
    /// each key told top-level or nested by reading the line's structure from its nearer end.
    /// `None` when the line is not in the client's shape: its top-level `type` is not among
    /// the keys found (whitespace between tokens, keys in another order, an escape in the
    /// value), or it is a long line that does not start as the client's rows do (keys beyond
    /// the windows are only known where the client puts them). Such a line is for serde.
    fn marks(&mut self, line: &[u8]) -> Option<Marks> {
        let mut nesting = Nesting::new(line);
        let mut kind = None;
        // The top-level `type` is most likely one whose value the listing reads: those are told
        // as they are found, the others only when none of those is top-level.
        self.type_keys.clear();
        for at in find_in_windows(&self.type_key, line) {
            let value = type_value(line, at);
            if value.is_none_or(|value| value == Kind::Other) {
                self.type_keys.push((at, value));
                continue;
            }
            match nesting.spot(at) {
                Spot::Key { depth: 1 } => {
                    kind = value;
                    break;
                }
                Spot::Key { .. } | Spot::InString => {}
                Spot::Unknown => return None,
            }
        }
        if kind.is_none() {
            // Nearest an end first: each is told by reading the least of the line.
            self.type_keys
                .sort_unstable_by_key(|&(at, _)| at.min(line.len() - at));
            for &(at, value) in &self.type_keys {
                match nesting.spot(at) {
                    Spot::Key { depth: 1 } => {
                        kind = Some(value?);
                        break;
                    }
                    Spot::Key { .. } | Spot::InString => {}
                    Spot::Unknown => return None,
                }
            }
        }
        let kind = kind?;
        if is_long(line) && !starts_as_the_client_writes(line, kind) {
            return None;
        }
        let mut marks = Marks {
            kind,
            ..Marks::default()
        };
        for at in find_in_windows(&self.true_value, line) {
            let before = line.get(..at)?;
            for (key, flag) in [
                (SIDECHAIN_KEY, &mut marks.sidechain),
                (META_KEY, &mut marks.meta),
            ] {
                if before.ends_with(key) {
                    match nesting.spot(at - key.len()) {
                        Spot::Key { depth: 1 } => *flag = true,
                        Spot::Key { .. } | Spot::InString => {}
                        Spot::Unknown => return None,
                    }
                }
            }
        }
        Some(marks)
    }

    /// Whether a line the fast path read has a top-level `cwd` string; `None` when the search
    /// cannot tell.
    fn has_cwd(&self, line: &[u8]) -> Option<bool> {
        let mut nesting = Nesting::new(line);
        for at in find_in_windows(&self.cwd, line) {
            match nesting.spot(at) {
                Spot::Key { depth: 1 } => return Some(true),
                Spot::Key { .. } | Spot::InString => {}
                Spot::Unknown => return None,
            }
        }
        Some(false)
    }
}

/// The value of the `"type":"` key at `at`; `None` when it holds an escape, which only serde
/// reads right.
fn type_value(line: &[u8], at: usize) -> Option<Kind> {
    let value = line.get(at + TYPE_KEY.len()..)?;
    let end = value.iter().position(|&b| b == b'"' || b == b'\\')?;
    (value.get(end) == Some(&b'"'))
        .then(|| value.get(..end))
        .flatten()
        .map(Kind::of)
}

/// Whether a line starts as the client starts rows of its kind: conversation rows with
/// `parentUuid`, the others (titles, snapshots, queue operations…) with their `type`.
fn starts_as_the_client_writes(line: &[u8], kind: Kind) -> bool {
    line.starts_with(CONVERSATION_ROW_START)
        || (line.starts_with(OTHER_ROW_START) && !matches!(kind, Kind::User | Kind::Assistant))
}

/// One pass over a session file, read whole (one copy; lines are found with memchr). Lines in
/// the client's compact shape are read from their envelope windows and only the few a row
/// needs are parsed; any other line is parsed.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    with_file(path, scan_bytes)
}

/// A line parsed as a row; `None` when it is not a JSON object.
fn parse_row(line: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(line.trim_ascii())
        .ok()
        .filter(Value::is_object)
}

fn scan_bytes(bytes: &[u8]) -> Scan {
    let mut needles = Needles::new();
    let mut scan = Scan::default();
    let mut offset: u64 = 0;
    let mut last_turn = None;
    for row in lines(bytes) {
        let start = offset;
        offset += row.len() as u64 + 1;
        let row = row.strip_suffix(b"\r").unwrap_or(row);

        let Some((marks, mut parsed)) = needles.read(row) else {
            continue;
        };
        let turn = match marks.kind {
            Kind::Title => {
                if let Some(value) = parsed.or_else(|| parse_row(row)) {
                    let kind = value
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    scan.titles
                        .observe(kind, |key| value.get(key).and_then(Value::as_str));
                }
                continue;
            }
            Kind::User | Kind::Assistant if !marks.sidechain && !marks.meta => marks.kind,
            Kind::User | Kind::Assistant | Kind::Other => continue,
        };
        if last_turn != Some(turn) {
            scan.messages += 1;
            last_turn = Some(turn);
        }
        let wants_text =
            turn == Kind::User && scan.first_user_text.is_none() && start < FIRST_TEXT_SPAN;
        let wants_head = scan.cwd.is_none()
            && match &parsed {
                Some(value) => value.get("cwd").is_some_and(Value::is_string),
                None => needles.has_cwd(row).unwrap_or(true),
            };
        if wants_text || wants_head {
            if parsed.is_none() {
                parsed = parse_row(row);
            }
            if let Some(value) = parsed {
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
