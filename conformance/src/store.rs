//! Where each client keeps its sessions inside a sandbox, read directly (never through handoff),
//! so checks do not depend on the code under test.

use crate::clients::{Agent, Sandbox};
use rusqlite::OptionalExtension;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    pub id: String,
    /// The session file (Claude, Codex; Cline's messages file) or the database (OpenCode).
    pub path: PathBuf,
}

/// Every session of `agent` in the sandbox, oldest first.
pub fn sessions(sandbox: &Sandbox, agent: Agent) -> Result<Vec<StoredSession>, String> {
    let mut found = match agent {
        Agent::Claude => {
            // <home>/projects/<key>/<uuid>.jsonl; subagent files sit one level deeper.
            let mut found = Vec::new();
            for project in read_dir(&sandbox.claude_home().join("projects")) {
                for file in read_dir(&project) {
                    if let Some(id) = file_stem_with_ext(&file, "jsonl") {
                        found.push(StoredSession { id, path: file });
                    }
                }
            }
            found
        }
        Agent::Codex => {
            let mut found = Vec::new();
            collect_rollouts(&sandbox.codex_home().join("sessions"), &mut found);
            found
        }
        Agent::Copilot => {
            // <home>/session-state/<uuid>/events.jsonl
            read_dir(&sandbox.copilot_home().join("session-state"))
                .into_iter()
                .filter_map(|dir| {
                    let id = dir.file_name()?.to_str()?.to_owned();
                    let path = dir.join("events.jsonl");
                    path.is_file().then_some(StoredSession { id, path })
                })
                .collect()
        }
        Agent::Gemini => {
            // <home>/tmp/<project slug>/chats/session-<time>-<id prefix>.jsonl; the id is in
            // the first line.
            let mut found: Vec<StoredSession> = Vec::new();
            for project in read_dir(&sandbox.gemini_home().join("tmp")) {
                for file in read_dir(&project.join("chats")) {
                    let named = file_stem_with_ext(&file, "jsonl")
                        .is_some_and(|stem| stem.starts_with("session-"));
                    if let Some(id) = named
                        .then(|| first_line_field(&file, "sessionId"))
                        .flatten()
                        && !found.iter().any(|session| session.id == id)
                    {
                        found.push(StoredSession { id, path: file });
                    }
                }
            }
            found
        }
        Agent::Qwen => {
            // <home>/projects/<sanitized cwd>/chats/<id>.jsonl
            let mut found = Vec::new();
            for project in read_dir(&sandbox.qwen_home().join("projects")) {
                for file in read_dir(&project.join("chats")) {
                    if let Some(id) = file_stem_with_ext(&file, "jsonl") {
                        found.push(StoredSession { id, path: file });
                    }
                }
            }
            found
        }
        Agent::Pi => {
            // <agent dir>/sessions/--<cwd>--/<time>_<id>.jsonl; the id is the header's.
            let mut found = Vec::new();
            for project in read_dir(&sandbox.pi_home().join("sessions")) {
                for file in read_dir(&project) {
                    if file_stem_with_ext(&file, "jsonl").is_some()
                        && let Some(id) = first_line_field(&file, "id")
                    {
                        found.push(StoredSession { id, path: file });
                    }
                }
            }
            found
        }
        Agent::Cline => {
            // <CLINE_DIR>/data/sessions/<id>/{<id>.json (manifest), <id>.messages.json}; a
            // folder with either is a session (the database row in data/db/sessions.db is its
            // index).
            read_dir(&sandbox.cline_data().join("sessions"))
                .into_iter()
                .filter_map(|dir| {
                    let id = dir.file_name()?.to_str()?.to_owned();
                    let messages = dir.join(format!("{id}.messages.json"));
                    let manifest = dir.join(format!("{id}.json"));
                    (messages.is_file() || manifest.is_file())
                        .then_some(StoredSession { id, path: messages })
                })
                .collect()
        }
        Agent::OpenCode | Agent::Kilo => {
            let db = sandbox.db_of(agent);
            if !db.exists() {
                return Ok(Vec::new());
            }
            let connection = open(&db)?;
            let mut statement = connection
                .prepare("SELECT id FROM session ORDER BY time_created, id")
                .map_err(|error| format!("{}: {error}", db.display()))?;
            statement
                .query_map([], |row| row.get::<_, String>(0))
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|error| format!("{}: {error}", db.display()))?
                .into_iter()
                .map(|id| StoredSession {
                    id,
                    path: db.clone(),
                })
                .collect()
        }
    };
    if !agent.is_opencode_store() {
        found.sort_by_key(|session| modified(&session.path));
    }
    Ok(found)
}

/// True when session `id` of `agent` holds `marker` (in its file, or in its OpenCode parts).
pub fn session_contains(
    sandbox: &Sandbox,
    agent: Agent,
    id: &str,
    marker: &str,
) -> Result<bool, String> {
    if agent.is_opencode_store() {
        let db = sandbox.db_of(agent);
        let connection = open(&db)?;
        return connection
            .query_row(
                "SELECT 1 FROM part WHERE session_id = ?1 AND instr(data, ?2) > 0 LIMIT 1",
                [id, marker],
                |_| Ok(()),
            )
            .optional()
            .map(|row| row.is_some())
            .map_err(|error| format!("{}: {error}", db.display()));
    }
    let session = sessions(sandbox, agent)?
        .into_iter()
        .find(|session| session.id == id)
        .ok_or_else(|| format!("{agent}: no session {id} in the sandbox"))?;
    let text = std::fs::read_to_string(&session.path)
        .map_err(|error| format!("{}: {error}", session.path.display()))?;
    Ok(text.contains(marker))
}

/// Opens an OpenCode database read-only (the client may still hold it; WAL allows readers).
pub fn open(db: &Path) -> Result<rusqlite::Connection, String> {
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|error| format!("{}: {error}", db.display()))?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|error| format!("{}: {error}", db.display()))?;
    Ok(connection)
}

fn collect_rollouts(dir: &Path, found: &mut Vec<StoredSession>) {
    for entry in read_dir(dir) {
        if entry.is_dir() {
            collect_rollouts(&entry, found);
        } else if let Some(stem) = file_stem_with_ext(&entry, "jsonl") {
            // rollout-YYYY-MM-DDTHH-MM-SS-<uuid>: the uuid is the last 36 characters.
            if stem.starts_with("rollout-") && stem.len() > 36 {
                let id = stem[stem.len() - 36..].to_owned();
                found.push(StoredSession { id, path: entry });
            }
        }
    }
}

/// A string field of a session file's first line.
fn first_line_field(file: &Path, field: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let first: serde_json::Value = serde_json::from_str(text.lines().next()?).ok()?;
    Some(first.get(field)?.as_str()?.to_owned())
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    entries
}

fn file_stem_with_ext(path: &Path, ext: &str) -> Option<String> {
    if !path.is_file() || path.extension()? != ext {
        return None;
    }
    Some(path.file_stem()?.to_string_lossy().into_owned())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .ok()
}
