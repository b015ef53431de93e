//! Finding sessions without parsing whole rollouts: the thread index when it is fresh, else the
//! head of each file (meta, first turn, first user message) and its tail (latest `turn_context`).

use crate::paths::{self, RolloutFile};
use crate::read::{self, Header};
use crate::rollout::{self, Kind};
use crate::state_db::{self, ThreadRow};
use handoff_adapter_kit::fs::physical;
use handoff_plugin_api::{AdapterError, AdapterResult, SessionSummary};
use memchr::memmem;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Enough of a rollout's head for meta, first turn context and first user message.
const HEAD_BYTES: u64 = 256 * 1024;
/// Enough of its tail for the latest turn context.
const TAIL_BYTES: u64 = 64 * 1024;
/// An index row older than the file by more than this is stale (Codex appends after it writes).
const FRESH_SLACK_MS: i64 = 2_000;

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`.
pub fn sessions(
    home: &Path,
    cwd: Option<&Path>,
    limit: Option<usize>,
) -> AdapterResult<Vec<SessionSummary>> {
    let mut files = paths::rollout_files(&paths::sessions_dir(home));
    files.sort_by_key(|f| std::cmp::Reverse(f.modified_ms));
    let index = state_db::find(home)
        .and_then(|db| state_db::thread_rows(&db))
        .unwrap_or_default();
    let wanted = cwd.map(physical);
    let mut physical_cache: HashMap<String, PathBuf> = HashMap::new();
    let mut rows = Vec::new();
    for file in files {
        if limit.is_some_and(|l| rows.len() >= l) {
            break;
        }
        let Some(known) = describe(&file, index.get(&file.id)) else {
            continue;
        };
        // A subagent's thread is a side conversation of its parent, not a session to hand off.
        if known.subagent {
            continue;
        }
        if let Some(wanted) = &wanted {
            let Some(session_cwd) = &known.cwd else {
                continue;
            };
            let resolved = physical_cache
                .entry(session_cwd.clone())
                .or_insert_with(|| physical(Path::new(session_cwd)));
            if resolved != wanted {
                continue;
            }
        }
        rows.push(SessionSummary {
            agent: "codex".into(),
            session_id: known.id,
            cwd: known.cwd,
            title: known.title,
            messages: count_messages(&file.path),
            updated_ms: Some(file.modified_ms),
            created_ms: known.created_ms,
            path: file.path.display().to_string(),
        });
    }
    Ok(rows)
}

struct Known {
    id: String,
    subagent: bool,
    cwd: Option<String>,
    title: Option<String>,
    created_ms: Option<i64>,
}

/// A file's id, project and title: from its index row when that row is fresh and complete, else
/// from the file. `None` for files that are not sessions (no meta, no messages).
fn describe(file: &RolloutFile, row: Option<&ThreadRow>) -> Option<Known> {
    if let Some(row) = row.filter(|r| {
        !r.archived
            && !r.title.is_empty()
            && Path::new(&r.rollout_path) == file.path
            && r.updated_ms
                .is_some_and(|u| u + FRESH_SLACK_MS >= file.modified_ms)
    }) {
        return Some(Known {
            id: file.id.clone(),
            subagent: is_subagent(&row.source),
            cwd: Some(row.cwd.clone()),
            title: Some(read::title_of(&row.title)),
            created_ms: None,
        });
    }
    let head = rollout::load_head(&file.path, HEAD_BYTES).ok()?;
    let parsed = rollout::parse(&head);
    let mut header = Header::default();
    let mut title = None;
    for record in &parsed.records {
        header.observe(record);
        if title.is_none() && record.kind == Kind::ResponseItem {
            title = read::user_text(&record.payload).map(|t| read::title_of(&t));
        }
    }
    if header.id.is_none() && title.is_none() {
        return None;
    }
    if let Some(cwd) = latest_turn_cwd(&file.path) {
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

/// The cwd of the last `turn_context` in the file's tail (plain files only: a zstd stream cannot
/// be entered from its end, and its head already gave the meta cwd).
fn latest_turn_cwd(path: &Path) -> Option<String> {
    if path.extension().is_some_and(|e| e == "zst") {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len <= HEAD_BYTES {
        // The head read already saw every line.
        return None;
    }
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))
        .ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    // The first line of the window is likely cut: start after it.
    let start = memchr::memchr(b'\n', &tail).map_or(tail.len(), |i| i + 1);
    let parsed = rollout::parse(tail.get(start..)?);
    parsed
        .records
        .iter()
        .rev()
        .filter(|r| r.kind == Kind::TurnContext)
        .find_map(|r| rollout::str_field(&r.payload, "cwd").map(str::to_owned))
}

/// An estimate of the transcript's message count without parsing, counted as `extract` groups
/// them: each real user message is one, and each run of assistant-side items (text, reasoning,
/// calls) between them is one.
fn count_messages(path: &Path) -> usize {
    let Ok(bytes) = rollout::load(path) else {
        return 0;
    };
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
    for line in bytes.split(|b| *b == b'\n') {
        let is_message = message.find(line).is_some();
        if is_message && user.find(line).is_some() {
            let real = if kinds.find(line).is_some() {
                user_kind.find(line).is_some()
            } else {
                injected.find(line).is_none() && instructions.find(line).is_none()
            };
            if real {
                count += 1;
                in_assistant_run = false;
            }
        } else if !in_assistant_run
            && ((is_message && assistant.find(line).is_some())
                || calls.iter().any(|c| c.find(line).is_some())
                || reasoning.find(line).is_some())
        {
            count += 1;
            in_assistant_run = true;
        }
    }
    count
}

/// The rollout of `id` (full or unique prefix), in `sessions/` or else `archived_sessions/`.
pub fn find_by_id(home: &Path, prefix: &str) -> AdapterResult<PathBuf> {
    let prefix = prefix.trim().to_ascii_lowercase();
    let sessions = paths::sessions_dir(home);
    if prefix.is_empty() {
        return Err(AdapterError::invalid("codex: empty session id"));
    }
    for root in [sessions.clone(), paths::archived_dir(home)] {
        let mut matches: Vec<RolloutFile> = paths::rollout_files(&root)
            .into_iter()
            .filter(|f| f.id.starts_with(&prefix))
            .collect();
        matches.sort_by_key(|f| std::cmp::Reverse(f.modified_ms));
        let mut ids: Vec<&str> = matches.iter().map(|f| f.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        match ids.as_slice() {
            [] => continue,
            [_] => {
                if let Some(newest) = matches.into_iter().next() {
                    return Ok(newest.path);
                }
            }
            many => {
                return Err(AdapterError::new(
                    handoff_plugin_api::ErrorKind::Ambiguous,
                    format!(
                        "codex: session id {prefix:?} matches {} sessions: {}",
                        many.len(),
                        many.join(", ")
                    ),
                ));
            }
        }
    }
    Err(AdapterError::not_found(format!(
        "no codex session with id {prefix:?} (looked in {})",
        sessions.display()
    )))
}

/// The most recent session of project `cwd`.
pub fn latest_for(home: &Path, cwd: &Path) -> AdapterResult<PathBuf> {
    let newest = sessions(home, Some(cwd), Some(1))?;
    newest
        .into_iter()
        .next()
        .map(|s| PathBuf::from(s.path))
        .ok_or_else(|| {
            AdapterError::not_found(format!(
                "no codex session for {} (looked in {})",
                cwd.display(),
                paths::sessions_dir(home).display()
            ))
        })
}
