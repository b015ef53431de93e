//! Finding sessions: the `.jsonl` files of each project folder (or of the one folder the user
//! moved them to), each a session whose header names its id and project. A listing reads the
//! entries' heads, and the content only of the first user message, its title when the session
//! has no name.

use crate::paths::Layout;
use crate::read;
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::listing::{
    Unchanged, first_line_where, leading_fields, lines, mtime_ms, with_file,
};
use handoff_adapter_kit::loose::{LooseObject, LooseStr};
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SessionFile {
    pub path: PathBuf,
    pub size: u64,
    pub modified_ms: i64,
}

/// The session files in `dirs`, newest first.
fn files_in(dirs: Vec<PathBuf>) -> Vec<SessionFile> {
    let mut files: Vec<SessionFile> = dirs
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
        .filter_map(|entry| {
            let path = entry.path();
            if path.extension().is_none_or(|ext| ext != "jsonl") {
                return None;
            }
            let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some(SessionFile {
                path,
                size: meta.len(),
                modified_ms: mtime_ms(&meta),
            })
        })
        .collect();
    files.sort_by(|a, b| {
        b.modified_ms
            .cmp(&a.modified_ms)
            .then_with(|| b.path.cmp(&a.path))
    });
    files
}

/// The files that may be sessions of `cwd` (all when `None`).
fn candidates(layout: &Layout, cwd: Option<&str>) -> Vec<SessionFile> {
    match (layout, cwd) {
        (Layout::Projects(_), Some(cwd)) => files_in(vec![layout.dir_for(cwd)]),
        _ => files_in(layout.all_dirs()),
    }
}

/// What a listing reads of a line.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Head {
    #[serde(rename = "type", default)]
    kind: LooseStr,
    #[serde(default)]
    id: LooseStr,
    #[serde(default)]
    timestamp: LooseStr,
    #[serde(default)]
    cwd: LooseStr,
    #[serde(default)]
    name: LooseStr,
    #[serde(default)]
    message: LooseObject<Role>,
}

#[derive(Deserialize, Default)]
struct Role {
    #[serde(default)]
    role: LooseStr,
}

/// A session's id, project and start: what its header says.
type Identity = (String, Option<String>, Option<String>);

/// The identity the header gives: the first line that is a JSON object must be it (the client
/// skips unreadable lines before it, as the reader does).
fn identity<L: AsRef<[u8]>>(mut lines: impl Iterator<Item = L>) -> Option<Identity> {
    header(lines.find_map(|line| serde_json::from_slice(line.as_ref()).ok())?)
}

fn header(head: Head) -> Option<Identity> {
    if head.kind.as_deref() != Some("session") {
        return None;
    }
    Some((head.id.0?, head.cwd.0, head.timestamp.0))
}

/// The identity of a session file, reading only up to its header.
fn header_of(path: &Path) -> Option<Identity> {
    header(first_line_where(path, |line| {
        serde_json::from_slice(line).ok()
    })?)
}

fn summary(file: &SessionFile, wanted: Option<&str>) -> Option<SessionSummary> {
    with_file(&file.path, |bytes| {
        let mut lines = lines(bytes);
        let (session_id, cwd, started) = identity(&mut lines)?;
        if wanted.is_some_and(|wanted| cwd.as_deref() != Some(wanted)) {
            return None;
        }
        let (mut messages, mut name, mut prompt) = (0, None, None);
        for line in lines {
            // Entries as pi writes them start with their type, id, parent and time, and a
            // message's object with its role: all a count needs. Only names, the first prompt
            // and lines in another shape are parsed.
            if let Some(([Some(kind), ..], rest)) =
                leading_fields(line, ["type", "id", "parentId", "timestamp"])
            {
                let role = rest
                    .strip_prefix(b",\"message\":")
                    .and_then(|message| leading_fields(message, ["role"]))
                    .and_then(|([role], _)| role);
                match (kind, role) {
                    ("message", Some("assistant")) => {
                        messages += 1;
                        continue;
                    }
                    ("message", Some("user")) if prompt.is_some() => {
                        messages += 1;
                        continue;
                    }
                    // The first prompt: read below.
                    ("message", Some("user")) => {}
                    ("message", Some(_)) => continue,
                    ("message" | "session_info", None) => {}
                    _ => continue,
                }
            }
            let Ok(head) = serde_json::from_slice::<Head>(line) else {
                continue;
            };
            match head.kind.as_deref() {
                Some("session_info") => name = head.name.0.or(name),
                Some("message") => {
                    let role = head.message.0.and_then(|m| m.role.0);
                    if matches!(role.as_deref(), Some("user" | "assistant")) {
                        messages += 1;
                    }
                    if prompt.is_none() && role.as_deref() == Some("user") {
                        prompt = first_text(line);
                    }
                }
                _ => {}
            }
        }
        if messages == 0 {
            return None;
        }
        let title = name.or(prompt).and_then(|text| {
            let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
            Some(line.chars().take(80).collect())
        });
        Some(SessionSummary {
            agent: "pi".into(),
            session_id,
            cwd,
            title,
            messages,
            // The file's mtime, as every listing gives: the host caches a row only while it holds.
            updated_ms: Some(file.modified_ms),
            created_ms: started.as_deref().and_then(parse_rfc3339_ms),
            path: file.path.display().to_string(),
            cached: false,
            store: None,
        })
    })
    .ok()
    .flatten()
}

/// The text of a user message entry's line.
fn first_text(line: &[u8]) -> Option<String> {
    let entry: read::Entry = serde_json::from_slice(line).ok()?;
    let content = entry.message.0?.content;
    content
        .0
        .into_iter()
        .find_map(|block| block.text.0)
        .filter(|text| !text.trim().is_empty())
}

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`; files the host holds an
/// up-to-date row for are not read.
pub fn sessions(
    layout: &Layout,
    cwd: Option<&str>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let files = candidates(layout, cwd);
    let rows = par_map(&files, |file| {
        if unchanged.contains(&file.path, file.size, file.modified_ms) {
            // The host keys its rows by path: the file is not opened.
            return Some(Unchanged::cached_row("pi", String::new(), &file.path));
        }
        summary(file, cwd)
    });
    rows.into_iter()
        .flatten()
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// The file of session `id` (or of the one session whose id starts with it), in any project.
pub fn find_by_id(layout: &Layout, id: &str) -> AdapterResult<PathBuf> {
    let looked_in = layout.root().display().to_string();
    // A file the id cannot be read from still answers to the id in its name
    // (`<time>_<id>.jsonl`), so that it is reported as broken rather than missing.
    let files: Vec<(String, PathBuf)> = files_in(layout.all_dirs())
        .into_iter()
        .filter_map(|file| {
            let id = header_of(&file.path).map(|(id, ..)| id).or_else(|| {
                let stem = file.path.file_stem()?.to_str()?;
                Some(stem.rsplit_once('_')?.1.to_owned())
            })?;
            Some((id, file.path))
        })
        .collect();
    Search {
        agent: "pi",
        looked_in: &looked_in,
    }
    .by_id(id, files, |(id, _)| id.as_str())
    .map(|(_, path)| path)
}

/// The newest session of project `cwd`.
pub fn latest_for(layout: &Layout, cwd: &Path) -> AdapterResult<PathBuf> {
    let wanted = cwd.display().to_string();
    let looked_in = layout.dir_for(&wanted).display().to_string();
    let found = candidates(layout, Some(&wanted))
        .into_iter()
        .filter(|file| summary(file, Some(&wanted)).is_some())
        .map(|file| file.path);
    Search {
        agent: "pi",
        looked_in: &looked_in,
    }
    .latest(cwd.display(), found)
}
