//! `sessions.db`, the index `cline history` lists and `cline --id` looks a session up in. One row
//! a session; the conversation itself stays in its files.

use handoff_adapter_kit::fs::create_private_dirs;
use handoff_adapter_kit::sqlite::{self, locked_error, sql_error};
use handoff_plugin_api::{AdapterError, Written};
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::Path;

/// The table as Cline 3.0.65 creates it, for a store the client has not opened yet (the client
/// creates its tables only when missing, so it takes this one as its own).
const SESSIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS sessions (
		session_id TEXT PRIMARY KEY,
		source TEXT NOT NULL,
		pid INTEGER NOT NULL,
		started_at TEXT NOT NULL,
		ended_at TEXT,
		exit_code INTEGER,
		status TEXT NOT NULL,
		status_lock INTEGER NOT NULL DEFAULT 0,
		interactive INTEGER NOT NULL,
		provider TEXT NOT NULL,
		model TEXT NOT NULL,
		cwd TEXT NOT NULL,
		workspace_root TEXT NOT NULL,
		team_name TEXT,
		enable_tools INTEGER NOT NULL,
		enable_spawn INTEGER NOT NULL,
		enable_teams INTEGER NOT NULL,
		parent_session_id TEXT,
		parent_agent_id TEXT,
		agent_id TEXT,
		conversation_id TEXT,
		is_subagent INTEGER NOT NULL DEFAULT 0,
		prompt TEXT,
		metadata_json TEXT,
		transcript_path TEXT NOT NULL DEFAULT '',
		hook_path TEXT NOT NULL,
		messages_path TEXT,
		updated_at TEXT NOT NULL
	)";

/// The row of a new session.
pub struct Row<'a> {
    pub session_id: &'a str,
    pub started_at: &'a str,
    pub ended_at: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub cwd: &'a str,
    pub prompt: &'a str,
    pub metadata_json: &'a str,
    pub messages_path: &'a str,
}

/// Opens the index for writing, creating it (0600, in a 0700 folder) when the client has never
/// run.
fn open_write(path: &Path) -> Result<Connection, AdapterError> {
    if let Some(dir) = path.parent() {
        create_private_dirs(dir)?;
    }
    sqlite::create_private_file(path)?;
    let conn = sqlite::open(path, true, sqlite::BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "wal")
        .map_err(|e| sql_error(path, e))?;
    Ok(conn)
}

/// Inserts the row in one transaction; an existing session of that id is never replaced.
pub fn insert(path: &Path, row: &Row) -> Result<(), AdapterError> {
    let mut conn = open_write(path)?;
    let locked = |e: rusqlite::Error| locked_error("Cline", path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(locked)?;
    tx.execute_batch(SESSIONS_TABLE).map_err(locked)?;
    tx.execute(
        "INSERT INTO sessions (session_id, source, pid, started_at, ended_at, exit_code, status,
            interactive, provider, model, cwd, workspace_root, enable_tools, enable_spawn,
            enable_teams, prompt, metadata_json, transcript_path, hook_path, messages_path,
            updated_at)
         VALUES (?1, 'cli', ?2, ?3, ?4, 0, 'completed', 0, ?5, ?6, ?7, ?7, 1, 0, 0, ?8, ?9, '', '',
            ?10, ?4)",
        params![
            row.session_id,
            std::process::id(),
            row.started_at,
            row.ended_at,
            row.provider,
            row.model,
            row.cwd,
            row.prompt,
            row.metadata_json,
            row.messages_path,
        ],
    )
    .map_err(locked)?;
    tx.commit().map_err(locked)
}

/// Deletes exactly the rows an inject wrote, in one transaction.
pub fn remove(path: &Path, written: &[Written]) -> Result<usize, AdapterError> {
    if !path.exists() {
        return Ok(0);
    }
    let mut conn = open_write(path)?;
    let deletes = [("sessions", "DELETE FROM sessions WHERE session_id = ?1")];
    sqlite::remove_written(&mut conn, "Cline", path, written, &deletes)
}
