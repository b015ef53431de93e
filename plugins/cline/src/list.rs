//! Finding sessions: each folder of the sessions folder is one (`<id>/<id>.messages.json` beside
//! its manifest), and each older task folder (`tasks/<id>/api_conversation_history.json`), whose
//! project and first prompt the task history beside it records.

use crate::paths::{Store, manifest_of, messages_file};
use crate::read::{self, Manifest};
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::check_session_file;
use handoff_adapter_kit::listing::{Unchanged, mtime_ms, with_file};
use handoff_adapter_kit::loose::LooseStr;
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const LEGACY_FILE: &str = "api_conversation_history.json";

#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    /// The conversation file.
    pub path: PathBuf,
    /// The folder it was found in, which it must not link out of.
    pub root: PathBuf,
    pub size: u64,
    pub modified_ms: i64,
}

/// Every session and task folder's conversation file, newest first.
pub fn candidates(store: &Store) -> Vec<Candidate> {
    let mut found: Vec<Candidate> = Vec::new();
    let mut roots: Vec<(&Path, bool)> = vec![(&store.sessions, false)];
    roots.extend(store.task_roots.iter().map(|root| (root.as_path(), true)));
    for (root, legacy) in roots {
        for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
            let Some(id) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let path = if legacy {
                entry.path().join(LEGACY_FILE)
            } else {
                messages_file(&entry.path(), &id)
            };
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            found.push(Candidate {
                id,
                path,
                root: root.to_path_buf(),
                size: meta.len(),
                modified_ms: mtime_ms(&meta),
            });
        }
    }
    found.sort_by(|a, b| {
        b.modified_ms
            .cmp(&a.modified_ms)
            .then_with(|| b.path.cmp(&a.path))
    });
    found
}

/// What older Cline recorded of a task: its first prompt and project.
#[derive(Debug, Default, Deserialize)]
struct HistoryItem {
    #[serde(default)]
    id: LooseStr,
    #[serde(default)]
    task: LooseStr,
    #[serde(rename = "cwdOnTaskInitialization", default)]
    cwd: LooseStr,
    #[serde(default)]
    ts: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum HistoryFile {
    List(Vec<HistoryItem>),
    State {
        #[serde(rename = "taskHistory")]
        task_history: Vec<HistoryItem>,
    },
}

/// The task history of the store a task folder belongs to: `state/taskHistory.json` (the editor
/// extension) or `globalState.json` (the CLI before 3.0), beside the `tasks` folder.
fn task_history(task_file: &Path) -> HashMap<String, HistoryItem> {
    let Some(store) = task_file
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
    else {
        return HashMap::new();
    };
    [
        store.join("state").join("taskHistory.json"),
        store.join("globalState.json"),
    ]
    .iter()
    .filter_map(|file| std::fs::read(file).ok())
    .filter_map(|bytes| serde_json::from_slice::<HistoryFile>(&bytes).ok())
    .flat_map(|file| match file {
        HistoryFile::List(items) => items,
        HistoryFile::State { task_history } => task_history,
    })
    .filter_map(|item| Some((item.id.0.clone()?, item)))
    .collect()
}

/// What a session's manifest (or its task's history entry) says about it.
#[derive(Debug, Default)]
pub struct Identity {
    pub cwd: Option<String>,
    pub title: Option<String>,
    pub created_ms: Option<i64>,
    pub model: Option<String>,
}

pub fn identity(candidate: &Candidate) -> Identity {
    if candidate.path.file_name().and_then(|n| n.to_str()) == Some(LEGACY_FILE) {
        let mut history = task_history(&candidate.path);
        let item = history.remove(&candidate.id).unwrap_or_default();
        let created_ms = item
            .ts
            .as_ref()
            .and_then(serde_json::Value::as_i64)
            .or_else(|| candidate.id.parse().ok());
        return Identity {
            cwd: item.cwd.0,
            title: item.task.0,
            created_ms,
            model: None,
        };
    }
    let manifest: Manifest = manifest_of(&candidate.path)
        .and_then(|file| std::fs::read(file).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    Identity {
        title: manifest.title().map(str::to_owned),
        created_ms: manifest.started_at.as_deref().and_then(parse_rfc3339_ms),
        cwd: manifest.cwd.0,
        model: manifest.model.0,
    }
}

/// The messages of a conversation file, counted without reading their content.
fn count_messages(bytes: &[u8]) -> Option<usize> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Counted {
        Session { messages: Vec<IgnoredAny> },
        Legacy(Vec<IgnoredAny>),
    }
    Some(match serde_json::from_str(&read::decoded(bytes)).ok()? {
        Counted::Session { messages } | Counted::Legacy(messages) => messages.len(),
    })
}

fn summary(candidate: &Candidate, wanted: Option<&str>) -> Option<SessionSummary> {
    let identity = identity(candidate);
    if wanted.is_some_and(|wanted| identity.cwd.as_deref() != Some(wanted)) {
        return None;
    }
    let messages = with_file(&candidate.path, count_messages).ok().flatten()?;
    if messages == 0 {
        return None;
    }
    let title = identity.title.and_then(|text| {
        let text = read::unwrap_prompt(&text).unwrap_or(&text);
        let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
        Some(line.chars().take(80).collect())
    });
    Some(SessionSummary {
        agent: "cline".into(),
        session_id: candidate.id.clone(),
        cwd: identity.cwd,
        title,
        messages,
        // The file's mtime, as every listing gives: the host caches a row only while it holds.
        updated_ms: Some(candidate.modified_ms),
        created_ms: identity.created_ms,
        path: candidate.path.display().to_string(),
        cached: false,
        store: None,
    })
}

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`; files the host holds an
/// up-to-date row for are not read.
pub fn sessions(
    store: &Store,
    cwd: Option<&str>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let found = candidates(store);
    let rows = par_map(&found, |candidate| {
        if unchanged.contains(&candidate.path, candidate.size, candidate.modified_ms) {
            return Some(Unchanged::cached_row(
                "cline",
                candidate.id.clone(),
                &candidate.path,
            ));
        }
        summary(candidate, cwd)
    });
    rows.into_iter()
        .flatten()
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

fn looked_in(store: &Store) -> String {
    store.sessions.display().to_string()
}

/// The conversation file of session `id` (or of the one session whose id starts with it).
pub fn find_by_id(store: &Store, id: &str) -> AdapterResult<PathBuf> {
    let looked_in = looked_in(store);
    Search {
        agent: "cline",
        looked_in: &looked_in,
    }
    .by_id(id, candidates(store), |c| c.id.as_str())
    .and_then(checked)
}

/// The conversation file of a candidate found by looking in its folder.
fn checked(candidate: Candidate) -> AdapterResult<PathBuf> {
    check_session_file(Some(&candidate.root), &candidate.path)?;
    Ok(candidate.path)
}

/// The newest session of project `cwd`.
pub fn latest_for(store: &Store, cwd: &Path) -> AdapterResult<PathBuf> {
    let wanted = cwd.display().to_string();
    let looked_in = looked_in(store);
    let found = candidates(store)
        .into_iter()
        .filter(|c| summary(c, Some(&wanted)).is_some());
    Search {
        agent: "cline",
        looked_in: &looked_in,
    }
    .latest(cwd.display(), found)
    .and_then(checked)
}
