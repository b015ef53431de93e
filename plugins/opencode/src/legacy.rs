//! The JSON tree of OpenCode ≤ 1.1: `storage/{project,session/<projectID>,message/<sessionID>,
//! part/<messageID>}/*.json`, one record a file.

use handoff_adapter_kit::fs::{is_safe_id, write_new_file};
use handoff_adapter_kit::listing::strip_bom;
use handoff_plugin_api::{AdapterError, SessionSummary, Written};
use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::read::{RawMessage, RawSession, str_at};
use crate::write::NativeSession;

/// A session file of the tree and what its row needs.
#[derive(Debug, Clone)]
pub struct SessionFile {
    pub path: PathBuf,
    pub info: Value,
}

impl SessionFile {
    /// The session id, when it can name a directory of the tree (a hostile `"id": "/dev"` must not
    /// send the reader elsewhere).
    fn id(&self) -> Option<&str> {
        str_at(&self.info, "id").filter(|id| is_safe_id(id))
    }

    fn updated_ms(&self) -> Option<i64> {
        self.time("updated")
    }

    fn created_ms(&self) -> Option<i64> {
        self.time("created")
    }

    fn time(&self, which: &str) -> Option<i64> {
        self.info
            .get("time")
            .and_then(|t| t.get(which))
            .and_then(Value::as_i64)
    }

    pub fn raw(&self, children: usize) -> RawSession {
        RawSession {
            id: self.id().unwrap_or_default().to_owned(),
            directory: str_at(&self.info, "directory").map(str::to_owned),
            title: str_at(&self.info, "title").map(str::to_owned),
            created_ms: self.created_ms(),
            updated_ms: self.updated_ms(),
            model: self.info.get("model").cloned(),
            children,
        }
    }
}

/// Every parseable session file under `storage/session/*/`, newest first.
pub fn sessions(storage: &Path) -> Vec<SessionFile> {
    let mut out = Vec::new();
    for project in read_dir(&storage.join("session")) {
        for file in read_dir(&project) {
            if file.extension().is_some_and(|e| e == "json")
                && let Some(info) = read_json(&file)
            {
                out.push(SessionFile { path: file, info });
            }
        }
    }
    out.sort_by(|a, b| {
        b.updated_ms()
            .cmp(&a.updated_ms())
            .then_with(|| a.id().cmp(&b.id()))
    });
    out
}

/// The list rows of the root sessions, filtered like the database's.
pub fn list(
    storage: &Path,
    directory: Option<&str>,
    project_id: Option<&str>,
    limit: Option<usize>,
) -> Vec<SessionSummary> {
    sessions(storage)
        .into_iter()
        .filter(|s| s.info.get("parentID").is_none_or(Value::is_null))
        .filter(|s| match directory {
            None => true,
            Some(dir) => {
                str_at(&s.info, "directory") == Some(dir)
                    || project_id.is_some_and(|p| str_at(&s.info, "projectID") == Some(p))
            }
        })
        .filter_map(|s| {
            let id = s.id()?.to_owned();
            let messages = read_dir(&storage.join("message").join(&id)).len();
            Some(SessionSummary {
                agent: "opencode".into(),
                cwd: str_at(&s.info, "directory").map(str::to_owned),
                title: str_at(&s.info, "title").map(str::to_owned),
                created_ms: s.created_ms(),
                updated_ms: s.updated_ms(),
                messages,
                path: s.path.display().to_string(),
                cached: false,
                session_id: id,
                store: None,
            })
        })
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// Reads one session file and its messages (by `(time.created, id)`) and parts (by id).
pub fn load(storage: &Path, file: &SessionFile) -> (RawSession, Vec<RawMessage>, usize) {
    let Some(id) = file.id() else {
        // No id that names its message folder: nothing of it can be read.
        return (file.raw(0), Vec::new(), 1);
    };
    let children = sessions(storage)
        .iter()
        .filter(|s| str_at(&s.info, "parentID") == Some(id))
        .count();
    let mut skipped = 0;
    let mut messages = Vec::new();
    for path in read_dir(&storage.join("message").join(id)) {
        match read_json(&path) {
            Some(info) => {
                let message_id = str_at(&info, "id").map(str::to_owned).unwrap_or_else(|| {
                    path.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                });
                if !is_safe_id(&message_id) {
                    skipped += 1;
                    continue;
                }
                messages.push(RawMessage {
                    id: message_id,
                    info,
                    parts: Vec::new(),
                });
            }
            None => skipped += 1,
        }
    }
    let created = |m: &RawMessage| {
        m.info
            .get("time")
            .and_then(|t| t.get("created"))
            .and_then(Value::as_i64)
    };
    messages.sort_by(|a, b| created(a).cmp(&created(b)).then_with(|| a.id.cmp(&b.id)));
    for message in &mut messages {
        let mut parts: Vec<(String, Value)> = Vec::new();
        for path in read_dir(&storage.join("part").join(&message.id)) {
            match read_json(&path) {
                Some(part) => {
                    let part_id = str_at(&part, "id").unwrap_or_default().to_owned();
                    parts.push((part_id, part));
                }
                None => skipped += 1,
            }
        }
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        message.parts = parts.into_iter().map(|(_, p)| p).collect();
    }
    (file.raw(children), messages, skipped)
}

/// Writes the session as new files of the tree (each atomic, never overwriting); the project
/// file only when the project has none yet.
pub fn write(storage: &Path, session: &NativeSession) -> Result<Vec<Written>, AdapterError> {
    let mut written = Vec::new();
    let mut put = |path: PathBuf, value: &Value| -> Result<(), AdapterError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| AdapterError::internal(format!("opencode: cannot encode: {e}")))?;
        write_new_file(storage, &path, text.as_bytes())?;
        written.push(Written::File {
            path: path.display().to_string(),
        });
        Ok(())
    };
    let project = &session.project;
    let project_file = storage.join("project").join(format!("{}.json", project.id));
    if !project_file.exists() {
        let value = serde_json::json!({
            "id": project.id,
            "worktree": project.worktree,
            "vcs": project.vcs,
            "sandboxes": [],
            "time": {"created": session.created_ms, "updated": session.created_ms},
        });
        put(project_file, &value)?;
    }
    // Messages and parts first, the session last: a reader never finds a session half there.
    for message in &session.messages {
        for part in &message.parts {
            let path = storage
                .join("part")
                .join(&message.id)
                .join(format!("{}.json", part.id));
            put(path, &session.part_json(message, part))?;
        }
        let path = storage
            .join("message")
            .join(&session.id)
            .join(format!("{}.json", message.id));
        put(path, &session.message_json(message))?;
    }
    let path = storage
        .join("session")
        .join(&project.id)
        .join(format!("{}.json", session.id));
    put(path, &session.info_json())?;
    Ok(written)
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    // Records are regular files: a symlink (maybe out of the tree) or a FIFO is not read.
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_dir()))
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
}

fn read_json(path: &Path) -> Option<Value> {
    let bytes = std::fs::read(path).ok()?;
    match serde_json::from_slice(strip_bom(&bytes)).ok()? {
        value @ Value::Object(_) => Some(value),
        _ => None,
    }
}
