//! Codex's thread index, `state_<N>.sqlite` (`threads` table). `resume --last` and the picker list
//! from it; `resume <id>` falls back to the files. We read it for listing and insert one row per
//! injected session, matching whatever columns the installed Codex created.

use handoff_plugin_api::AdapterError;
use rusqlite::{Connection, OpenFlags, params_from_iter, types::Value as SqlValue};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const TABLE: &str = "threads";
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The newest `state_<N>.sqlite` in the home, if Codex created one.
pub fn find(home: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(home).ok()?;
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version: u32 = name
                .to_str()?
                .strip_prefix("state_")?
                .strip_suffix(".sqlite")?
                .parse()
                .ok()?;
            Some((version, entry.path()))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, path)| path)
}

fn open(path: &Path, flags: OpenFlags) -> Result<Connection, AdapterError> {
    // Never create: a database that is not there is Codex's to make.
    let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| AdapterError::io(path.display(), e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| AdapterError::io(path.display(), e))?;
    Ok(conn)
}

struct Column {
    name: String,
    not_null: bool,
    has_default: bool,
}

fn columns(conn: &Connection) -> rusqlite::Result<Vec<Column>> {
    let mut statement =
        conn.prepare("SELECT name, \"notnull\", dflt_value FROM pragma_table_info(?1)")?;
    let rows = statement.query_map([TABLE], |row| {
        Ok(Column {
            name: row.get(0)?,
            not_null: row.get::<_, i64>(1)? != 0,
            has_default: row.get::<_, Option<String>>(2)?.is_some(),
        })
    })?;
    rows.collect()
}

/// What the index says about one thread.
#[derive(Debug, Clone)]
pub struct ThreadRow {
    pub rollout_path: String,
    pub cwd: String,
    pub title: String,
    pub updated_ms: Option<i64>,
    pub archived: bool,
    /// `cli`, `exec`, … or a serialized subagent source.
    pub source: String,
}

/// Every thread of the index by id; `None` when there is no usable index.
pub fn thread_rows(path: &Path) -> Option<HashMap<String, ThreadRow>> {
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    let names: Vec<String> = columns(&conn).ok()?.into_iter().map(|c| c.name).collect();
    let has = |name: &str| names.iter().any(|n| n == name);
    if !["id", "rollout_path", "cwd"].iter().all(|c| has(c)) {
        return None;
    }
    let pick = |name: &'static str, fallback: &'static str| if has(name) { name } else { fallback };
    let sql = format!(
        "SELECT id, rollout_path, cwd, {title}, {updated}, {archived}, {source} FROM {TABLE}",
        title = pick("title", "''"),
        updated = if has("updated_at_ms") {
            "updated_at_ms"
        } else if has("updated_at") {
            "updated_at * 1000"
        } else {
            "NULL"
        },
        archived = pick("archived", "0"),
        source = pick("source", "''"),
    );
    let mut statement = conn.prepare(&sql).ok()?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                ThreadRow {
                    rollout_path: row.get(1)?,
                    cwd: row.get(2)?,
                    title: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    updated_ms: row.get(4)?,
                    archived: row.get::<_, Option<i64>>(5)?.unwrap_or(0) != 0,
                    source: row.get::<_, Option<String>>(6)?.unwrap_or_default(),
                },
            ))
        })
        .ok()?;
    Some(rows.flatten().collect())
}

/// The thread an inject registers.
pub struct NewThread<'a> {
    pub id: &'a str,
    pub rollout_path: &'a str,
    pub cwd: &'a str,
    pub first_user_message: &'a str,
    pub created_ms: i64,
    pub model_provider: &'a str,
    pub cli_version: &'a str,
    pub originator: &'a str,
    pub source: &'a str,
}

/// Why no row was written although the database exists.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// Inserts the thread in one transaction, filling the columns this schema has. A schema with a
/// required column we do not know is refused (the rollout still resumes by id).
pub fn register(db: &Path, thread: &NewThread<'_>) -> Result<Result<(), Refused>, AdapterError> {
    let mut conn = open(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let schema = columns(&conn).map_err(|e| AdapterError::io(db.display(), e))?;
    if schema.is_empty() {
        return Ok(Err(Refused(format!(
            "{}: no `{TABLE}` table",
            db.display()
        ))));
    }
    let seconds = thread.created_ms.div_euclid(1000);
    let known = |name: &str| -> Option<SqlValue> {
        let text = |s: &str| Some(SqlValue::Text(s.to_owned()));
        match name {
            "id" => text(thread.id),
            "rollout_path" => text(thread.rollout_path),
            "cwd" => text(thread.cwd),
            "title" | "preview" | "first_user_message" => text(thread.first_user_message),
            "created_at" | "updated_at" | "recency_at" => Some(SqlValue::Integer(seconds)),
            "created_at_ms" | "updated_at_ms" | "recency_at_ms" => {
                Some(SqlValue::Integer(thread.created_ms))
            }
            "source" => text(thread.source),
            "thread_source" => text("user"),
            "model_provider" => text(thread.model_provider),
            "cli_version" => text(thread.cli_version),
            "originator" => text(thread.originator),
            // The least privilege; Codex applies the user's configuration on resume anyway.
            "sandbox_policy" => text(r#"{"type":"read-only"}"#),
            "approval_mode" => text("on-request"),
            // Our rollout has no ordinals: the classic history mode.
            "history_mode" => text("legacy"),
            "archived" | "tokens_used" => Some(SqlValue::Integer(0)),
            _ => None,
        }
    };
    let mut names = Vec::new();
    let mut values = Vec::new();
    for column in &schema {
        match known(&column.name) {
            Some(value) => {
                names.push(format!("\"{}\"", column.name));
                values.push(value);
            }
            None if column.not_null && !column.has_default => {
                return Ok(Err(Refused(format!(
                    "{}: `{TABLE}` has a required column `{}` this version of handoff does not know",
                    db.display(),
                    column.name
                ))));
            }
            None => {}
        }
    }
    for required in ["id", "rollout_path", "cwd"] {
        if !schema.iter().any(|c| c.name == required) {
            return Ok(Err(Refused(format!(
                "{}: `{TABLE}` has no `{required}` column",
                db.display()
            ))));
        }
    }
    let placeholders = vec!["?"; values.len()].join(", ");
    let sql = format!(
        "INSERT INTO {TABLE} ({}) VALUES ({placeholders})",
        names.join(", ")
    );
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| AdapterError::io(db.display(), e))?;
    tx.execute(&sql, params_from_iter(values))
        .map_err(|e| AdapterError::io(db.display(), e))?;
    tx.commit().map_err(|e| AdapterError::io(db.display(), e))?;
    Ok(Ok(()))
}

/// Deletes exactly these threads in one transaction; returns how many rows went.
pub fn remove(db: &Path, ids: &[String]) -> Result<usize, AdapterError> {
    let mut conn = open(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| AdapterError::io(db.display(), e))?;
    let mut removed = 0;
    for id in ids {
        removed += tx
            .execute(&format!("DELETE FROM {TABLE} WHERE id = ?1"), [id])
            .map_err(|e| AdapterError::io(db.display(), e))?;
    }
    tx.commit().map_err(|e| AdapterError::io(db.display(), e))?;
    Ok(removed)
}

/// The provider the user's Codex runs with (`model_provider` in `config.toml`, default `openai`).
/// A thread row naming another provider is hidden from `resume --last`.
pub fn configured_provider(home: &Path) -> String {
    std::fs::read_to_string(home.join("config.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|config| {
            config
                .get("model_provider")
                .and_then(|p| p.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "openai".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "CREATE TABLE threads (id TEXT PRIMARY KEY, rollout_path TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, source TEXT NOT NULL,
        model_provider TEXT NOT NULL, cwd TEXT NOT NULL, title TEXT NOT NULL,
        sandbox_policy TEXT NOT NULL, approval_mode TEXT NOT NULL,
        tokens_used INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
        archived_at INTEGER, git_sha TEXT, preview TEXT NOT NULL DEFAULT '',
        updated_at_ms INTEGER)";

    fn thread<'a>() -> NewThread<'a> {
        NewThread {
            id: "0199a213-81c0-7800-8aa1-bbab2a035a54",
            rollout_path: "/h/sessions/r.jsonl",
            cwd: "/p",
            first_user_message: "hello",
            created_ms: 1_759_312_801_250,
            model_provider: "openai",
            cli_version: "0.169.0",
            originator: "codex_cli_rs",
            source: "cli",
        }
    }

    #[test]
    fn registers_reads_back_and_removes_a_thread() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state_5.sqlite");
        Connection::open(&db)
            .unwrap()
            .execute_batch(SCHEMA)
            .unwrap();
        std::fs::write(dir.path().join("state_4.sqlite"), b"").unwrap();
        assert_eq!(find(dir.path()), Some(db.clone()));

        register(&db, &thread()).unwrap().unwrap();
        let rows = thread_rows(&db).unwrap();
        let row = &rows["0199a213-81c0-7800-8aa1-bbab2a035a54"];
        assert_eq!(row.cwd, "/p");
        assert_eq!(row.title, "hello");
        assert_eq!(row.updated_ms, Some(1_759_312_801_250));
        let conn = Connection::open(&db).unwrap();
        let (preview, created): (String, i64) = conn
            .query_row("SELECT preview, created_at FROM threads", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((preview.as_str(), created), ("hello", 1_759_312_801));

        // A second insert of the same id fails instead of replacing.
        assert!(register(&db, &thread()).is_err());
        assert_eq!(remove(&db, &[thread().id.to_owned()]).unwrap(), 1);
        assert!(thread_rows(&db).unwrap().is_empty());
    }

    #[test]
    fn unknown_required_columns_are_refused_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state_9.sqlite");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            "ALTER TABLE threads ADD COLUMN tenant TEXT NOT NULL DEFAULT 'x'; CREATE TABLE t2 (a)",
        )
        .unwrap();
        // Defaulted columns are fine...
        register(&db, &thread()).unwrap().unwrap();
        // ...a required one without default is not.
        let strict = dir.path().join("state_10.sqlite");
        Connection::open(&strict)
            .unwrap()
            .execute_batch(&SCHEMA.replace("git_sha TEXT", "workspace_id TEXT NOT NULL"))
            .unwrap();
        let refused = register(&strict, &thread()).unwrap().unwrap_err();
        assert!(refused.0.contains("workspace_id"), "{}", refused.0);
        let count: i64 = Connection::open(&strict)
            .unwrap()
            .query_row("SELECT count(*) FROM threads", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn provider_comes_from_config() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(configured_provider(dir.path()), "openai");
        std::fs::write(
            dir.path().join("config.toml"),
            "model = \"x\"\nmodel_provider = \"ollama\"\n[features]\nplugins = false\n",
        )
        .unwrap();
        assert_eq!(configured_provider(dir.path()), "ollama");
    }
}
