//! Finding sessions: one folder each, summarised by its `workspace.yaml` and a count of message
//! events in `events.jsonl` (no full parse).

use crate::paths::{self, EVENTS, WORKSPACE};
use crate::read;
use crate::workspace;
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::physical;
use handoff_adapter_kit::listing::{Unchanged, lines, mtime_ms, with_file};
use handoff_adapter_kit::loose::LooseStr;
use handoff_adapter_kit::parallel::par_map;
use handoff_adapter_kit::time::parse_rfc3339_ms;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One session folder with its event log.
#[derive(Debug, Clone)]
pub struct Folder {
    pub id: String,
    pub events: PathBuf,
    pub size: u64,
    pub modified_ms: i64,
}

impl Folder {
    pub fn workspace(&self) -> PathBuf {
        self.events.with_file_name(WORKSPACE)
    }
}

/// Every session folder with an event log, newest first.
pub fn folders(home: &Path) -> Vec<Folder> {
    let Ok(entries) = std::fs::read_dir(paths::sessions_dir(home)) else {
        return Vec::new();
    };
    let mut folders: Vec<Folder> = entries
        .flatten()
        .filter_map(|entry| {
            let id = entry.file_name().to_str()?.to_owned();
            if !paths::is_session_id(&id) {
                return None;
            }
            let events = entry.path().join(EVENTS);
            let meta = std::fs::metadata(&events).ok()?;
            Some(Folder {
                id,
                size: meta.len(),
                modified_ms: mtime_ms(&meta),
                events,
            })
        })
        .collect();
    folders.sort_by(|a, b| {
        b.modified_ms
            .cmp(&a.modified_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
    folders
}

/// The session's summary file as a map (empty when it is missing).
fn workspace_fields(folder: &Folder) -> HashMap<String, String> {
    std::fs::read_to_string(folder.workspace())
        .map(|text| workspace::parse(&text))
        .unwrap_or_default()
}

/// The project folder of a session: its summary file's, else its start event's.
fn cwd_of(folder: &Folder, fields: &HashMap<String, String>) -> Option<String> {
    if let Some(cwd) = fields.get("cwd").filter(|c| !c.is_empty()) {
        return Some(cwd.clone());
    }
    let mut head = Vec::new();
    use std::io::Read;
    std::fs::File::open(&folder.events)
        .ok()?
        .take(64 * 1024)
        .read_to_end(&mut head)
        .ok()?;
    read::events(&head)
        .rows
        .into_iter()
        .find_map(|(_, e)| e.data.0.and_then(|d| d.context.0).and_then(|c| c.cwd.0))
}

/// What a listing shows of a session of project `cwd`: its summary file and a count of message
/// events.
fn summary(
    folder: &Folder,
    fields: &HashMap<String, String>,
    cwd: Option<String>,
) -> Option<SessionSummary> {
    let field = |key: &str| fields.get(key).filter(|v| !v.is_empty()).cloned();
    let messages = with_file(&folder.events, |bytes| {
        lines(bytes)
            .filter(|line| {
                matches!(
                    kind_of(line).as_deref(),
                    Some("user.message" | "assistant.message")
                )
            })
            .count()
    })
    .ok()?;
    Some(SessionSummary {
        agent: "copilot".into(),
        session_id: folder.id.clone(),
        cwd,
        title: field("name"),
        messages,
        updated_ms: Some(folder.modified_ms),
        created_ms: field("created_at").as_deref().and_then(parse_rfc3339_ms),
        path: folder.events.display().to_string(),
        cached: false,
        store: None,
    })
}

/// The `type` of one event line: read straight from the line when it starts the way Copilot
/// writes it, else by parsing the line.
fn kind_of(line: &[u8]) -> Option<Cow<'_, str>> {
    const START: &[u8] = b"{\"type\":\"";
    if let Some(rest) = line.strip_prefix(START)
        && let Some(end) = memchr::memchr(b'"', rest)
        && let Some(kind) = rest.get(..end).filter(|k| !k.contains(&b'\\'))
        && let Ok(kind) = std::str::from_utf8(kind)
    {
        return Some(Cow::Borrowed(kind));
    }
    #[derive(serde::Deserialize)]
    struct Kind {
        #[serde(rename = "type", default)]
        kind: LooseStr,
    }
    serde_json::from_slice::<Kind>(line)
        .ok()?
        .kind
        .0
        .map(Cow::Owned)
}

/// Sessions of `cwd` (all when `None`), newest first, at most `limit`; folders the host holds an
/// up-to-date row for are not read.
pub fn sessions(
    home: &Path,
    cwd: Option<&Path>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let wanted = cwd.map(physical);
    let folders = folders(home);
    let rows = par_map(&folders, |folder| {
        if unchanged.contains(&folder.events, folder.size, folder.modified_ms) {
            return Some(Unchanged::cached_row(
                "copilot",
                folder.id.clone(),
                &folder.events,
            ));
        }
        let fields = workspace_fields(folder);
        let cwd = cwd_of(folder, &fields);
        let here = match (&wanted, &cwd) {
            (None, _) => true,
            (Some(wanted), Some(cwd)) => physical(Path::new(cwd)) == *wanted,
            (Some(_), None) => false,
        };
        if !here {
            return None;
        }
        summary(folder, &fields, cwd)
    });
    rows.into_iter()
        .flatten()
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// The folder of session `id` (or of the one session whose id starts with it).
pub fn find_by_id(home: &Path, id: &str) -> AdapterResult<Folder> {
    let looked_in = paths::sessions_dir(home).display().to_string();
    Search {
        agent: "copilot",
        looked_in: &looked_in,
    }
    .by_id(id, folders(home), |folder| folder.id.as_str())
}

/// The newest session of project `cwd`.
pub fn latest_for(home: &Path, cwd: &Path) -> AdapterResult<Folder> {
    let looked_in = paths::sessions_dir(home).display().to_string();
    let wanted = physical(cwd);
    let candidates = folders(home).into_iter().filter(|folder| {
        cwd_of(folder, &workspace_fields(folder))
            .is_some_and(|session_cwd| physical(Path::new(&session_cwd)) == wanted)
    });
    Search {
        agent: "copilot",
        looked_in: &looked_in,
    }
    .latest(cwd.display(), candidates)
}
