//! Finding sessions: the `<id>.jsonl` files in each project's `chats/`. A session belongs to the
//! project its first record's `cwd` names, as the client checks; a listing reads the records
//! without their content except the first prompt, and the last `custom_title` record.

use crate::paths;
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::physical;
use handoff_adapter_kit::genai::PartList;
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

/// The session files in the `chats/` folders `dirs`, newest first.
fn files_in(dirs: impl IntoIterator<Item = PathBuf>) -> Vec<SessionFile> {
    let mut files: Vec<SessionFile> = dirs
        .into_iter()
        .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
        .filter_map(|entry| {
            let name = entry.file_name();
            if !paths::is_session_file(name.to_str()?) {
                return None;
            }
            let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some(SessionFile {
                path: entry.path(),
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

pub fn all_files(home: &Path) -> Vec<SessionFile> {
    let projects = std::fs::read_dir(paths::projects_dir(home))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("chats"));
    files_in(projects)
}

fn files_of(home: &Path, cwd: &str) -> Vec<SessionFile> {
    files_in([paths::chats_dir(home, cwd)])
}

/// What a listing reads of a record.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Head {
    #[serde(default)]
    session_id: LooseStr,
    #[serde(default)]
    timestamp: LooseStr,
    #[serde(rename = "type", default)]
    kind: LooseStr,
    #[serde(default)]
    subtype: LooseStr,
    #[serde(default)]
    cwd: LooseStr,
    #[serde(default)]
    system_payload: LooseObject<Payload>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(default)]
    custom_title: LooseStr,
}

/// A user record's text, read only for the first prompt.
#[derive(Deserialize, Default)]
struct Prompt {
    #[serde(default)]
    message: LooseObject<PromptContent>,
}

#[derive(Deserialize, Default)]
struct PromptContent {
    #[serde(default)]
    parts: PartList,
}

/// A session's id, project and start: what its first record says.
type Identity = (String, String, Option<String>);

/// The identity a record line gives, if it is a record.
fn identity(line: &[u8]) -> Option<Identity> {
    let head: Head = serde_json::from_slice(line).ok()?;
    Some((head.session_id.0?, head.cwd.0?, head.timestamp.0))
}

/// The identity of a session file's bytes.
fn first_record(bytes: &[u8]) -> Option<Identity> {
    lines(bytes).find_map(identity)
}

fn summary(file: &SessionFile, wanted: Option<&str>) -> Option<SessionSummary> {
    with_file(&file.path, |bytes| {
        let (session_id, cwd, started) = first_record(bytes)?;
        if wanted.is_some_and(|wanted| wanted != cwd) {
            return None;
        }
        let (mut messages, mut title, mut prompt) = (0, None, None);
        for line in lines(bytes) {
            // Conversation records as the client writes them start with their identity, time and
            // type, in this order: only a user record that may be the first prompt is read
            // further. System records (titles among them) are short, and parsed.
            let head = leading_fields(
                line,
                ["uuid", "parentUuid", "sessionId", "timestamp", "type"],
            );
            if let Some(([.., Some(kind @ ("user" | "assistant" | "tool_result"))], _)) = head
                && (prompt.is_some() || kind != "user")
            {
                if kind != "tool_result" {
                    messages += 1;
                }
                continue;
            }
            let Ok(head) = serde_json::from_slice::<Head>(line) else {
                continue;
            };
            match (head.kind.as_deref(), head.subtype.as_deref()) {
                (Some("user"), subtype) => {
                    messages += 1;
                    if prompt.is_none() && subtype.is_none() {
                        prompt = serde_json::from_slice::<Prompt>(line)
                            .ok()
                            .and_then(|p| p.message.0)
                            .map(|content| content.parts.text())
                            .filter(|text| !text.trim().is_empty());
                    }
                }
                (Some("assistant"), _) => messages += 1,
                (Some("system"), Some("custom_title")) => {
                    title = head
                        .system_payload
                        .0
                        .and_then(|p| p.custom_title.0)
                        .or(title);
                }
                _ => {}
            }
        }
        let title = title.or(prompt).and_then(|text| {
            let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
            Some(line.chars().take(80).collect())
        });
        Some(SessionSummary {
            agent: "qwen".into(),
            session_id,
            cwd: Some(cwd),
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

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`; files the host holds an
/// up-to-date row for are not read.
pub fn sessions(
    home: &Path,
    cwd: Option<&Path>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let wanted = cwd.map(|cwd| physical(cwd).display().to_string());
    let files = match &wanted {
        Some(cwd) => files_of(home, cwd),
        None => all_files(home),
    };
    let rows = par_map(&files, |file| {
        if unchanged.contains(&file.path, file.size, file.modified_ms) {
            let id = file
                .path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Some(Unchanged::cached_row("qwen", id, &file.path));
        }
        summary(file, wanted.as_deref())
    });
    rows.into_iter()
        .flatten()
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// The identity of a session file, reading no further than its first record.
fn first_record_of(path: &Path) -> Option<Identity> {
    first_line_where(path, identity)
}

/// The file of session `id` (or of the one session whose id starts with it).
pub fn find_by_id(home: &Path, id: &str) -> AdapterResult<PathBuf> {
    let looked_in = paths::projects_dir(home).display().to_string();
    // A file the id cannot be read from still answers to the id in its name, so that it is
    // reported as broken rather than missing.
    let files: Vec<(String, PathBuf)> = all_files(home)
        .into_iter()
        .filter_map(|file| {
            let id = first_record_of(&file.path)
                .map(|(id, ..)| id)
                .or_else(|| Some(file.path.file_stem()?.to_str()?.to_owned()))?;
            Some((id, file.path))
        })
        .collect();
    Search {
        agent: "qwen",
        looked_in: &looked_in,
    }
    .by_id(id, files, |(id, _)| id.as_str())
    .map(|(_, path)| path)
}

/// The newest session of project `cwd`.
pub fn latest_for(home: &Path, cwd: &Path) -> AdapterResult<PathBuf> {
    let wanted = cwd.display().to_string();
    let looked_in = paths::chats_dir(home, &wanted).display().to_string();
    let candidates = files_of(home, &wanted)
        .into_iter()
        .filter(|file| first_record_of(&file.path).is_some_and(|(_, cwd, _)| cwd == wanted))
        .map(|file| file.path);
    Search {
        agent: "qwen",
        looked_in: &looked_in,
    }
    .latest(cwd.display(), candidates)
}
