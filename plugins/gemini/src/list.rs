//! Finding sessions: the `session-*.jsonl` files (and older `.json` ones) in each project's
//! `chats/`, the project told by the folder's marker or the registry. A listing reads a file's
//! records without their content, except for the first user message, its title when the session
//! has no summary.

use crate::paths;
use crate::project;
use crate::read;
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::physical;
use handoff_adapter_kit::genai::PartList;
use handoff_adapter_kit::listing::{
    Unchanged, first_line_where, leading_fields, lines, mtime_ms, with_file,
};
use handoff_adapter_kit::loose::{LooseList, LooseObject, LooseStr};
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One session file and the project it belongs to.
#[derive(Debug, Clone)]
pub struct SessionFile {
    pub path: PathBuf,
    pub project: Option<String>,
    pub size: u64,
    pub modified_ms: i64,
}

/// The session files of the project folders `dirs` (with their projects), newest first.
fn files_in(dirs: Vec<(PathBuf, Option<String>)>) -> Vec<SessionFile> {
    let mut files: Vec<SessionFile> = dirs
        .into_iter()
        .flat_map(|(dir, project)| {
            let entries = std::fs::read_dir(paths::chats_dir(&dir))
                .into_iter()
                .flatten();
            entries.flatten().filter_map(move |entry| {
                let name = entry.file_name();
                let name = name.to_str()?;
                let session_file = name.starts_with(paths::SESSION_PREFIX)
                    && (name.ends_with(".jsonl") || name.ends_with(".json"));
                if !session_file {
                    return None;
                }
                let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
                Some(SessionFile {
                    path: entry.path(),
                    project: project.clone(),
                    size: meta.len(),
                    modified_ms: mtime_ms(&meta),
                })
            })
        })
        .collect();
    // The file name holds the start time: names sort like the client's own list.
    files.sort_by(|a, b| {
        b.modified_ms
            .cmp(&a.modified_ms)
            .then_with(|| b.path.cmp(&a.path))
    });
    files
}

/// Every session file, with its project when known.
fn all_files(home: &Path) -> Vec<SessionFile> {
    let owners = project::owners(home);
    let dirs = std::fs::read_dir(paths::tmp_dir(home))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| {
            let slug = entry.file_name().to_string_lossy().into_owned();
            (entry.path(), owners.get(&slug).cloned())
        })
        .collect();
    files_in(dirs)
}

/// The session files of project `cwd`.
fn files_of(home: &Path, cwd: &Path) -> Vec<SessionFile> {
    let project = cwd.display().to_string();
    let dirs = project::dirs_of(home, &project)
        .into_iter()
        .map(|dir| (dir, Some(project.clone())))
        .collect();
    files_in(dirs)
}

/// What a listing reads of a record: no content unless asked.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Head {
    #[serde(default)]
    id: LooseStr,
    #[serde(rename = "type", default)]
    kind: LooseStr,
    #[serde(rename = "$set", default)]
    set: LooseObject<SetHead>,
    #[serde(rename = "$rewindTo", default)]
    rewind_to: LooseStr,
    #[serde(default)]
    session_id: LooseStr,
    #[serde(default)]
    start_time: LooseStr,
    #[serde(default)]
    summary: LooseStr,
    #[serde(rename = "kind", default)]
    session_kind: LooseStr,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SetHead {
    #[serde(default)]
    summary: LooseStr,
    /// A checkpoint's messages: only their ids count here.
    #[serde(default)]
    messages: Option<LooseList<Head>>,
}

/// A record's content, read only for the first user message.
#[derive(Deserialize, Default)]
struct Content {
    #[serde(default)]
    content: PartList,
}

/// The listing row of one file; `None` when it is not a main session with conversation.
fn summary(file: &SessionFile) -> Option<SessionSummary> {
    if file.path.extension().is_some_and(|ext| ext == "json") {
        return whole_file_summary(file);
    }
    with_file(&file.path, |bytes| {
        let mut session_id = None;
        let mut session_kind = None;
        let (mut start, mut title) = (None, None);
        let mut messages: HashSet<String> = HashSet::new();
        let mut first_prompt: Option<String> = None;
        for line in lines(bytes) {
            // Message records as the client writes them start `{"id":…,"timestamp":…,"type":…`:
            // their content is not read unless it may be the first prompt.
            if let Some(([Some(id), _, Some(kind)], _)) =
                leading_fields(line, ["id", "timestamp", "type"])
                && (first_prompt.is_some() || kind != "user")
            {
                messages.insert(id.to_owned());
                continue;
            }
            let Ok(head) = serde_json::from_slice::<Head>(line) else {
                continue;
            };
            if head.rewind_to.0.is_some() {
                // Rare: the exact count after a rewind is not worth a full read here.
                continue;
            }
            if let Some(set) = head.set.0 {
                title = set.summary.0.or(title);
                if let Some(checkpoint) = set.messages {
                    messages = checkpoint.0.into_iter().filter_map(|m| m.id.0).collect();
                }
                continue;
            }
            if let Some(id) = head.id.0 {
                let kind = head.kind.as_deref();
                messages.insert(id);
                if kind == Some("user") && first_prompt.is_none() {
                    let text = serde_json::from_slice::<Content>(line)
                        .map(|c| c.content.text())
                        .unwrap_or_default();
                    if !read::is_ignored_user_text(&text) {
                        first_prompt = Some(text);
                    }
                }
                continue;
            }
            if head.session_id.0.is_some() {
                session_id = head.session_id.0.or(session_id);
                session_kind = head.session_kind.0.or(session_kind);
                start = head.start_time.0.or(start);
                title = head.summary.0.or(title);
            }
        }
        row(
            file,
            session_id?,
            session_kind,
            messages.len(),
            title.or(first_prompt),
            start,
        )
    })
    .ok()
    .flatten()
}

/// The listing row of an older whole-file session.
fn whole_file_summary(file: &SessionFile) -> Option<SessionSummary> {
    let lines = read::read_lines(&file.path).ok()?;
    let session = read::session(lines.rows);
    let title = session.meta.summary.0.clone().or_else(|| {
        session
            .messages
            .iter()
            .filter(|m| m.kind.as_deref() == Some("user"))
            .map(|m| m.content.text())
            .find(|text| !read::is_ignored_user_text(text))
    });
    let count = session.messages.len();
    row(
        file,
        session.meta.session_id.0?,
        session.meta.kind.0,
        count,
        title,
        session.meta.start_time.0,
    )
}

fn row(
    file: &SessionFile,
    session_id: String,
    kind: Option<String>,
    messages: usize,
    title: Option<String>,
    start: Option<String>,
) -> Option<SessionSummary> {
    // Subagent sessions are a tool call's inner work, not a conversation to resume.
    if kind.as_deref() == Some("subagent") || messages == 0 {
        return None;
    }
    let title = title
        .map(|t| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_owned()
        })
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(80).collect());
    Some(SessionSummary {
        agent: "gemini".into(),
        session_id,
        cwd: file.project.clone(),
        title,
        messages,
        // The file's mtime, as every listing gives: the host caches a row only while it holds.
        updated_ms: Some(file.modified_ms),
        created_ms: start.as_deref().and_then(parse_rfc3339_ms),
        path: file.path.display().to_string(),
        cached: false,
        store: None,
    })
}

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`; files the host holds an
/// up-to-date row for are not read.
pub fn sessions(
    home: &Path,
    cwd: Option<&Path>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let files = match cwd {
        Some(cwd) => files_of(home, &physical(cwd)),
        None => all_files(home),
    };
    let rows = par_map(&files, |file| {
        if unchanged.contains(&file.path, file.size, file.modified_ms) {
            // The host keys its rows by path: the file is not opened, not even for its id.
            return Some(Unchanged::cached_row("gemini", String::new(), &file.path));
        }
        summary(file)
    });
    let mut seen = HashSet::new();
    rows.into_iter()
        .flatten()
        // A resumed session can leave a second file with the same id: the newest stands.
        .filter(|row| row.session_id.is_empty() || seen.insert(row.session_id.clone()))
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// The session id of a file: from its metadata line, which the client writes first.
fn session_id_of(file: &SessionFile) -> Option<String> {
    if file.path.extension().is_some_and(|ext| ext == "json") {
        let lines = read::read_lines(&file.path).ok()?;
        return read::session(lines.rows).meta.session_id.0;
    }
    first_line_where(&file.path, |line| {
        serde_json::from_slice::<Head>(line).ok()?.session_id.0
    })
}

/// The id prefix a session file's name ends with (`session-<time>-<first 8 of the id>`).
fn short_id(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    let short = stem.rsplit('-').next()?;
    (short.len() == 8 && short.bytes().all(|b| b.is_ascii_hexdigit())).then(|| short.to_owned())
}

/// The file of session `id` (or of the one session whose id starts with it).
pub fn find_by_id(home: &Path, id: &str) -> AdapterResult<PathBuf> {
    let looked_in = paths::tmp_dir(home).display().to_string();
    // A file the id cannot be read from still answers to the id prefix in its name, so that it
    // is reported as broken rather than missing.
    let files: Vec<(String, PathBuf)> = all_files(home)
        .into_iter()
        .filter_map(|file| {
            Some((
                session_id_of(&file).or_else(|| short_id(&file.path))?,
                file.path,
            ))
        })
        .collect();
    Search {
        agent: "gemini",
        looked_in: &looked_in,
    }
    .by_id(id, files, |(id, _)| id.as_str())
    .map(|(_, path)| path)
}

/// The newest session of project `cwd`.
pub fn latest_for(home: &Path, cwd: &Path) -> AdapterResult<PathBuf> {
    let looked_in = paths::tmp_dir(home).display().to_string();
    let candidates = files_of(home, cwd)
        .into_iter()
        .filter(|file| summary(file).is_some())
        .map(|file| file.path);
    Search {
        agent: "gemini",
        looked_in: &looked_in,
    }
    .latest(cwd.display(), candidates)
}
