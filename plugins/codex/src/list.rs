//! Finding sessions without parsing whole rollouts: the thread index when it is fresh, else the
//! head of each file (meta, first turn, first user message) and its tail (latest `turn_context`).

use crate::paths::{self, RolloutFile};
use crate::read::{self, Header};
use crate::rollout::{self, Kind};
use crate::state_db::{self, ThreadRow};
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::physical;
use handoff_adapter_kit::listing::{Unchanged, in_window, lines, with_file};
use handoff_adapter_kit::parallel::par_map;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use memchr::memmem;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Enough of a rollout's head for meta, first turn context and first user message.
const HEAD_BYTES: usize = 256 * 1024;
/// Enough of its tail for the latest turn context.
const TAIL_BYTES: usize = 64 * 1024;
/// An index row older than the file by more than this is stale (Codex appends after it writes).
const FRESH_SLACK_MS: i64 = 2_000;

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`. Files the host has an
/// up-to-date row for (`unchanged`; the host only sends those of the asked project) are not read.
pub fn sessions(
    home: &Path,
    cwd: Option<&Path>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> AdapterResult<Vec<SessionSummary>> {
    let mut files = paths::rollout_files(&paths::sessions_dir(home));
    files.sort_by_key(|f| std::cmp::Reverse(f.modified_ms));
    let index = state_db::find(home)
        .and_then(|db| state_db::thread_rows(&db))
        .unwrap_or_default();
    let wanted = cwd.map(physical);
    let physical_cache: Mutex<HashMap<String, PathBuf>> = Mutex::default();
    let in_project = |session_cwd: &str| {
        let Some(wanted) = &wanted else { return true };
        let Ok(mut cache) = physical_cache.lock() else {
            return physical(Path::new(session_cwd)) == *wanted;
        };
        cache
            .entry(session_cwd.to_owned())
            .or_insert_with(|| physical(Path::new(session_cwd)))
            == wanted
    };
    let row = |file: &RolloutFile| -> Option<SessionSummary> {
        if unchanged.contains(&file.path, file.size, file.modified_ms) {
            return Some(Unchanged::cached_row("codex", file.id.clone(), &file.path));
        }
        row(file, index.get(&file.id), &in_project)
    };
    // Newest first until there are enough (`status`): another project's rollout is told by its
    // index row or its ends, and not read whole.
    let elsewhere = |file: &RolloutFile| -> bool {
        if wanted.is_none() || unchanged.contains(&file.path, file.size, file.modified_ms) {
            return false;
        }
        let known = match from_index(file, index.get(&file.id)) {
            Some(known) => Some(known),
            None => {
                let Ok((head, tail)) = read_ends(&file.path) else {
                    return false;
                };
                if rollout::is_zstd(&head) {
                    return false;
                }
                let ends = Ends {
                    head: &head,
                    tail: tail.as_deref(),
                };
                describe(file, None, ends)
            }
        };
        known.is_none_or(|known| {
            known.subagent || !in_project(known.cwd.as_deref().unwrap_or_default())
        })
    };
    Ok(match limit {
        Some(limit) => files
            .iter()
            .filter(|file| !elsewhere(file))
            .filter_map(row)
            .take(limit)
            .collect(),
        None => par_map(&files, row).into_iter().flatten().collect(),
    })
}

/// The row of one rollout, read once: head and tail for what the index does not say, every line
/// for the message count.
fn row(
    file: &RolloutFile,
    index_row: Option<&ThreadRow>,
    in_project: &dyn Fn(&str) -> bool,
) -> Option<SessionSummary> {
    // Plain rollouts are read into a reused buffer; zstd streams are decoded whole.
    let plain = with_file(&file.path, |bytes| {
        (!rollout::is_zstd(bytes)).then(|| row_of(file, index_row, in_project, bytes))
    })
    .ok()?;
    match plain {
        Some(row) => row,
        None => row_of(
            file,
            index_row,
            in_project,
            &rollout::load(&file.path).ok()?,
        ),
    }
}

fn row_of(
    file: &RolloutFile,
    index_row: Option<&ThreadRow>,
    in_project: &dyn Fn(&str) -> bool,
    bytes: &[u8],
) -> Option<SessionSummary> {
    let known = describe(file, index_row, Ends::of(bytes))?;
    // A subagent's thread is a side conversation of its parent, not a session to hand off.
    if known.subagent || !in_project(known.cwd.as_deref().unwrap_or_default()) {
        return None;
    }
    Some(SessionSummary {
        agent: "codex".into(),
        session_id: known.id,
        cwd: known.cwd,
        title: known.title,
        messages: count_messages(bytes),
        updated_ms: Some(file.modified_ms),
        created_ms: known.created_ms,
        path: file.path.display().to_string(),
        cached: false,
        store: None,
    })
}

struct Known {
    id: String,
    subagent: bool,
    cwd: Option<String>,
    title: Option<String>,
    created_ms: Option<i64>,
}

/// What a fresh and complete index row says of its rollout.
fn from_index(file: &RolloutFile, row: Option<&ThreadRow>) -> Option<Known> {
    let row = row.filter(|r| {
        !r.archived
            && !r.title.is_empty()
            && Path::new(&r.rollout_path) == file.path
            && r.updated_ms
                .is_some_and(|u| u + FRESH_SLACK_MS >= file.modified_ms)
    })?;
    Some(Known {
        id: file.id.clone(),
        subagent: is_subagent(&row.source),
        cwd: Some(row.cwd.clone()),
        title: Some(read::title_of(&row.title)),
        created_ms: None,
    })
}

/// A file's id, project and title: from its index row when that row is fresh and complete, else
/// from the file. `None` for files that are not sessions (no meta, no messages).
fn describe(file: &RolloutFile, row: Option<&ThreadRow>, ends: Ends<'_>) -> Option<Known> {
    if let Some(known) = from_index(file, row) {
        return Some(known);
    }
    let head = ends.head;
    // Only lines that can say something are parsed: the first, meta and turn context lines, and
    // user messages until one gives the title (tool output and reasoning are most of the bytes).
    let meta = memmem::Finder::new("session_meta");
    let turn = memmem::Finder::new("turn_context");
    let user = memmem::Finder::new(br#""role":"user""#);
    let mut header = Header::default();
    let mut title = None;
    let mut first = true;
    for line in lines(head) {
        let line = &*compact(line);
        let wanted = first
            || in_window(&meta, line)
            || in_window(&turn, line)
            || (title.is_none() && in_window(&user, line));
        if !wanted {
            continue;
        }
        let Some(record) = rollout::parse_line(line, first) else {
            continue;
        };
        first = false;
        header.observe(&record);
        if title.is_none() && record.kind == Kind::ResponseItem {
            title = read::user_text(&record.payload).map(|t| read::title_of(&t));
        }
    }
    if header.id.is_none() && title.is_none() {
        return None;
    }
    if let Some(cwd) = ends.tail.and_then(latest_turn_cwd) {
        header.cwd = Some(cwd);
    }
    Some(Known {
        id: file.id.clone(),
        subagent: header.source.as_deref().is_some_and(is_subagent),
        cwd: header.cwd,
        title,
        created_ms: header.created_ms,
    })
}

/// Codex records a subagent's source as an object (`{"subagent": …}`), in the index as its JSON.
fn is_subagent(source: &str) -> bool {
    source.to_ascii_lowercase().contains("subagent")
}

/// The first [`HEAD_BYTES`] of a rollout and, when it is longer, its last [`TAIL_BYTES`].
#[derive(Clone, Copy)]
struct Ends<'a> {
    head: &'a [u8],
    tail: Option<&'a [u8]>,
}

impl<'a> Ends<'a> {
    fn of(bytes: &'a [u8]) -> Self {
        Self {
            head: bytes.get(..HEAD_BYTES).unwrap_or(bytes),
            tail: (bytes.len() > HEAD_BYTES)
                .then(|| bytes.get(bytes.len().saturating_sub(TAIL_BYTES)..))
                .flatten(),
        }
    }
}

/// Reads only the ends of a rollout: what tells its project.
fn read_ends(path: &Path) -> std::io::Result<(Vec<u8>, Option<Vec<u8>>)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let mut head = Vec::new();
    (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    let length = file.metadata()?.len();
    if length <= HEAD_BYTES as u64 {
        return Ok((head, None));
    }
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(length.saturating_sub(TAIL_BYTES as u64)))?;
    file.take(TAIL_BYTES as u64).read_to_end(&mut tail)?;
    Ok((head, Some(tail)))
}

/// The cwd of the last `turn_context` in the rollout's tail.
fn latest_turn_cwd(tail: &[u8]) -> Option<String> {
    // The first line of the window is likely cut: start after it.
    let start = memchr::memchr(b'\n', tail).map_or(tail.len(), |i| i + 1);
    let parsed = rollout::parse(tail.get(start..)?);
    parsed
        .records
        .iter()
        .rev()
        .filter(|r| r.kind == Kind::TurnContext)
        .find_map(|r| rollout::str_field(&r.payload, "cwd").map(str::to_owned))
}

/// Whether the searches can read a line: it is in the compact shape Codex (and handoff) write
/// with serde_json, an object whose first key is followed by its colon and its value with no
/// whitespace. The searches look for `"key":"value"` pairs and single tokens, which only
/// whitespace around a colon breaks, and a writer spaces a line throughout or not at all.
fn is_compact(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(br#"{""#) else {
        return false;
    };
    // The first key's end (an escape in it is left to serde), its colon, the value's start.
    let Some(end) = memchr::memchr2(b'"', b'\\', rest) else {
        return false;
    };
    match rest.get(end..end + 3) {
        Some(&[b'"', b':', value]) => !value.is_ascii_whitespace(),
        _ => false,
    }
}

/// The line as the searches expect it: as it is when in the compact shape, else its JSON
/// written compactly (valid JSON written any other way reads the same). A line that is not
/// JSON stays as it is.
fn compact(line: &[u8]) -> Cow<'_, [u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if is_compact(line) {
        return Cow::Borrowed(line);
    }
    serde_json::from_slice::<serde_json::Value>(line.trim_ascii())
        .ok()
        .and_then(|value| serde_json::to_vec(&value).ok())
        .map_or(Cow::Borrowed(line), Cow::Owned)
}

/// An estimate of the transcript's message count without parsing, counted as `extract` groups
/// them: each real user message is one, and each run of assistant-side items (text, reasoning,
/// calls) between them is one. Lines not in the compact shape are written compactly first.
fn count_messages(bytes: &[u8]) -> usize {
    let message = memmem::Finder::new(br#""type":"message""#);
    let assistant = memmem::Finder::new(br#""role":"assistant""#);
    let user = memmem::Finder::new(br#""role":"user""#);
    let user_kind = memmem::Finder::new(br#""user.text""#);
    let kinds = memmem::Finder::new(br#""content_item_kinds""#);
    let injected = memmem::Finder::new(br#"<environment_context>"#);
    let instructions = memmem::Finder::new(br#"instructions"#);
    let calls = [
        memmem::Finder::new(br#""type":"function_call""#),
        memmem::Finder::new(br#""type":"custom_tool_call""#),
        memmem::Finder::new(br#""type":"local_shell_call""#),
    ];
    let reasoning = memmem::Finder::new(br#""type":"reasoning""#);
    let mut count = 0;
    let mut in_assistant_run = false;
    // Long lines are tool output or big texts: their kind and role are at the head, the
    // content kinds at the tail, and an injected text's marker at the start of its text.
    for line in lines(bytes) {
        let line = &*compact(line);
        let is_message = in_window(&message, line);
        if is_message && in_window(&user, line) {
            let real = if in_window(&kinds, line) {
                in_window(&user_kind, line)
            } else {
                !in_window(&injected, line) && !in_window(&instructions, line)
            };
            if real {
                count += 1;
                in_assistant_run = false;
            }
        } else if !in_assistant_run
            && ((is_message && in_window(&assistant, line))
                || calls.iter().any(|c| in_window(c, line))
                || in_window(&reasoning, line))
        {
            count += 1;
            in_assistant_run = true;
        }
    }
    count
}

/// The rollout of `id` (full or unique prefix), in `sessions/` or `archived_sessions/`.
pub fn find_by_id(home: &Path, id: &str) -> AdapterResult<PathBuf> {
    // Codex ids are uuids: a prefix typed in capitals still names one.
    let id = id.trim().to_ascii_lowercase();
    let sessions = paths::sessions_dir(home);
    let archived = paths::archived_dir(home);
    let looked_in = format!("{} and {}", sessions.display(), archived.display());
    let search = Search {
        agent: "codex",
        looked_in: &looked_in,
    };
    let newest_first = |root: &Path| {
        let mut files = paths::rollout_files(root);
        files.sort_by_key(|f| std::cmp::Reverse(f.modified_ms));
        files
    };
    // Archived sessions come after the live ones: a copy of a session in both is the live one.
    let candidates = newest_first(&sessions)
        .into_iter()
        .chain(newest_first(&archived));
    Ok(search.by_id(&id, candidates, |f| f.id.as_str())?.path)
}

/// The most recent session of project `cwd`.
pub fn latest_for(home: &Path, cwd: &Path) -> AdapterResult<PathBuf> {
    let sessions_dir = paths::sessions_dir(home);
    let search = Search {
        agent: "codex",
        looked_in: &sessions_dir.display(),
    };
    let newest = sessions(home, Some(cwd), Some(1), &Unchanged::default())?;
    let newest = search.latest(cwd.display(), newest)?;
    Ok(PathBuf::from(newest.path))
}
