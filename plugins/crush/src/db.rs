//! A project's `crush.db`: read read-only while Crush may be running (it keeps the file in WAL
//! mode), a new session written in one transaction, exactly that removed again. The queries
//! follow Crush's own (`internal/db/sql/*.sql`): top-level sessions are those without a
//! `parent_session_id`, newest `updated_at` first; a session's messages in `created_at` order,
//! ties in insertion order.

use crate::schema::{self, MIGRATIONS, WRITTEN_COLUMNS};
use handoff_adapter_kit::sqlite::{self, int, locked_error, sql_error, text};
use handoff_plugin_api::{AdapterError, Written};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

pub use handoff_adapter_kit::sqlite::BUSY_TIMEOUT;

/// Unix milliseconds of a stored time. Crush stores seconds; a value too large to be seconds
/// (after the year 5000) is taken as milliseconds already, as the schema's comments intend.
pub fn to_ms(time: i64) -> i64 {
    if time.abs() >= 100_000_000_000 {
        time
    } else {
        time.saturating_mul(1000)
    }
}

/// Opens a database read-only and checks that it is Crush's.
pub fn open_read(path: &Path) -> Result<Connection, AdapterError> {
    let conn = sqlite::open(path, false, BUSY_TIMEOUT)?;
    require_crush_tables(&conn, path)?;
    Ok(conn)
}

/// A database without Crush's `sessions` and `messages` tables is some other file.
fn require_crush_tables(conn: &Connection, path: &Path) -> Result<(), AdapterError> {
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'messages')",
            [],
            |row| row.get(0),
        )
        .map_err(|e| sql_error(path, e))?;
    if tables == 2 {
        Ok(())
    } else {
        Err(AdapterError::invalid(format!(
            "{}: not a Crush database (no sessions and messages tables)",
            path.display()
        )))
    }
}

/// A session row as the list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    pub title: Option<String>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    /// User and assistant messages.
    pub messages: usize,
}

/// The top-level sessions that have a message, newest first, at most `limit`.
pub fn sessions(
    conn: &Connection,
    path: &Path,
    limit: Option<usize>,
) -> Result<Vec<SessionRow>, AdapterError> {
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut statement = conn
        .prepare(
            "SELECT s.id, s.title, s.created_at, s.updated_at,
                    (SELECT count(*) FROM messages m
                     WHERE m.session_id = s.id AND m.role IN ('user', 'assistant'))
             FROM sessions s
             WHERE s.parent_session_id IS NULL
               AND EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id)
             ORDER BY s.updated_at DESC, s.id
             LIMIT ?1",
        )
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([limit], |row| {
            Ok(SessionRow {
                id: text(row, 0)?.unwrap_or_default(),
                title: text(row, 1)?,
                created: int(row, 2)?.map(to_ms),
                updated: int(row, 3)?.map(to_ms),
                messages: int(row, 4)?
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
            })
        })
        .map_err(|e| sql_error(path, e))?;
    let rows = rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_error(path, e))?;
    // A row without a text id cannot be asked for again.
    Ok(rows.into_iter().filter(|r| !r.id.is_empty()).collect())
}

/// Session ids starting with `prefix` (children too: they can be asked for by id).
pub fn ids_with_prefix(
    conn: &Connection,
    path: &Path,
    prefix: &str,
) -> Result<Vec<String>, AdapterError> {
    let mut statement = conn
        .prepare(
            "SELECT id FROM sessions WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 20",
        )
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([prefix], |row| text(row, 0))
        .map_err(|e| sql_error(path, e))?;
    let ids = rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_error(path, e))?;
    Ok(ids.into_iter().flatten().collect())
}

/// A session as stored.
#[derive(Debug, Clone, Default)]
pub struct RawSession {
    pub id: String,
    pub title: Option<String>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    /// Sessions the agent ran for it (sub-agents, agentic fetches).
    pub children: usize,
}

/// A message as stored; `None` fields were missing or of no usable type.
#[derive(Debug, Clone, Default)]
pub struct RawMessage {
    pub role: Option<String>,
    pub parts: Option<String>,
    pub model: Option<String>,
    pub provider: Option<String>,
    pub is_summary: bool,
    pub created: Option<i64>,
}

/// One session and its messages in Crush's order.
pub fn load(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<(RawSession, Vec<RawMessage>), AdapterError> {
    let session = conn
        .query_row(
            // Title generation runs in a child session named after its parent.
            "SELECT id, title, created_at, updated_at,
                    (SELECT count(*) FROM sessions c
                     WHERE c.parent_session_id = s.id AND c.id != 'title-' || s.id)
             FROM sessions s WHERE id = ?1",
            [id],
            |row| {
                Ok(RawSession {
                    id: text(row, 0)?.unwrap_or_else(|| id.to_owned()),
                    title: text(row, 1)?,
                    created: int(row, 2)?.map(to_ms),
                    updated: int(row, 3)?.map(to_ms),
                    children: int(row, 4)?
                        .and_then(|n| usize::try_from(n).ok())
                        .unwrap_or(0),
                })
            },
        )
        .optional()
        .map_err(|e| sql_error(path, e))?
        .ok_or_else(|| {
            AdapterError::not_found(format!("no crush session {id} in {}", path.display()))
        })?;
    let mut statement = conn
        .prepare(
            "SELECT role, parts, model, provider, is_summary_message, created_at
             FROM messages WHERE session_id = ?1 ORDER BY created_at, rowid",
        )
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([id], |row| {
            Ok(RawMessage {
                role: text(row, 0)?,
                parts: text(row, 1)?,
                model: text(row, 2)?,
                provider: text(row, 3)?,
                is_summary: int(row, 4)?.is_some_and(|n| n != 0),
                created: int(row, 5)?.map(to_ms),
            })
        })
        .map_err(|e| sql_error(path, e))?;
    let messages = rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_error(path, e))?;
    Ok((session, messages))
}

/// A new, migrated database at `path` (which must not exist): built in a private scratch
/// directory, then put in place without replacing anything, so Crush never opens half of it.
/// A database that appeared meanwhile (Crush started) is left alone and written into.
pub fn create(data_dir: &Path, path: &Path) -> Result<(), AdapterError> {
    let scratch = tempfile::tempdir().map_err(|e| AdapterError::io("temporary directory", e))?;
    let built = scratch.path().join(crate::paths::DB_FILE);
    let mut conn = Connection::open(&built).map_err(|e| sql_error(&built, e))?;
    schema::create(&mut conn).map_err(|e| sql_error(&built, e))?;
    // Closing checkpoints the WAL into the file.
    conn.close().map_err(|(_, e)| sql_error(&built, e))?;
    let bytes = std::fs::read(&built).map_err(|e| AdapterError::io(built.display(), e))?;
    match handoff_adapter_kit::fs::write_new_file(data_dir, path, &bytes) {
        Err(_) if path.is_file() => Ok(()),
        other => other,
    }
}

/// Refuses to write into a schema this writer does not know: a migration newer than Crush's
/// last one it was written against, or a column it fills missing (an older Crush).
pub fn check_schema(conn: &Connection, path: &Path) -> Result<(), AdapterError> {
    let applied: Vec<i64> = conn
        .prepare("SELECT version_id FROM goose_db_version WHERE is_applied = 1")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| {
            AdapterError::invalid(format!(
                "{}: not a Crush database this handoff can write ({e})",
                path.display()
            ))
        })?;
    let known: BTreeSet<i64> = std::iter::once(0)
        .chain(MIGRATIONS.iter().map(|(version, _)| *version))
        .collect();
    let unknown: Vec<i64> = applied.into_iter().filter(|v| !known.contains(v)).collect();
    if let Some(first) = unknown.first() {
        return Err(AdapterError::unsupported(format!(
            "{}: its schema is newer than the Crush handoff knows ({} unknown migration(s), e.g. {first}); \
             refusing to write. Update handoff",
            path.display(),
            unknown.len()
        )));
    }
    if let Some((table, missing)) = sqlite::missing_column(conn, path, &WRITTEN_COLUMNS)? {
        return Err(AdapterError::unsupported(format!(
            "{}: table {table} has no column {missing}; run Crush once in the project to migrate it, then retry",
            path.display()
        )));
    }
    Ok(())
}

/// Opens a database for writing as Crush does (foreign keys on; WAL stays as it is).
pub fn open_write(path: &Path, busy: Duration) -> Result<Connection, AdapterError> {
    let conn = sqlite::open(path, true, busy)?;
    require_crush_tables(&conn, path)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| sql_error(path, e))?;
    Ok(conn)
}

/// A session to insert. Its `message_count` is left to Crush's trigger, which counts each
/// inserted message (and, like every update of a session, sets `updated_at` to now).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub id: String,
    pub title: String,
    pub summary_message_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub messages: Vec<NewMessage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub id: String,
    pub role: &'static str,
    pub parts: String,
    /// Crush sets it on every message, empty on those it does not generate.
    pub model: String,
    pub provider: Option<String>,
    pub is_summary: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// Writes the session in one transaction, waiting up to `busy` for Crush's own writes; on any
/// failure nothing is written. Returns the rows written.
pub fn write(
    path: &Path,
    session: &NewSession,
    busy: Duration,
) -> Result<Vec<Written>, AdapterError> {
    let mut conn = open_write(path, busy)?;
    check_schema(&conn, path)?;
    let locked = |e: rusqlite::Error| locked_error("Crush", path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(locked)?;
    tx.execute(
        "INSERT INTO sessions (id, parent_session_id, title, message_count, prompt_tokens,
                               completion_tokens, cost, summary_message_id, updated_at, created_at)
         VALUES (?1, NULL, ?2, 0, 0, 0, 0.0, ?3, ?4, ?4)",
        params![
            session.id,
            session.title,
            session.summary_message_id,
            session.created_at
        ],
    )
    .map_err(locked)?;
    let mut ids = Vec::with_capacity(session.messages.len());
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO messages (id, session_id, role, parts, model, provider,
                                       is_summary_message, created_at, updated_at, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
            )
            .map_err(locked)?;
        for message in &session.messages {
            insert
                .execute(params![
                    message.id,
                    session.id,
                    message.role,
                    message.parts,
                    message.model,
                    message.provider,
                    i64::from(message.is_summary),
                    message.created_at,
                    message.finished_at
                ])
                .map_err(locked)?;
            ids.push(message.id.clone());
        }
    }
    tx.commit().map_err(locked)?;
    let rows = |table: &str, ids: Vec<String>| sqlite::written_rows(path, table, ids);
    Ok(vec![
        rows("sessions", vec![session.id.clone()]),
        rows("messages", ids),
    ])
}

/// Deletes the rows an inject wrote, in one transaction: its messages, then its session (which
/// takes with it, as Crush's own delete does, what Crush added to it since).
pub fn remove(path: &Path, written: &[Written], busy: Duration) -> Result<usize, AdapterError> {
    let mut conn = open_write(path, busy)?;
    let deletes = [
        ("messages", "DELETE FROM messages WHERE id = ?1"),
        ("sessions", "DELETE FROM sessions WHERE id = ?1"),
    ];
    sqlite::remove_written(&mut conn, "Crush", path, written, &deletes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::ErrorKind;

    fn session() -> NewSession {
        NewSession {
            id: "5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c".into(),
            title: "handoff: hi".into(),
            summary_message_id: None,
            created_at: 1_767_225_600,
            messages: vec![NewMessage {
                id: "9a0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c".into(),
                role: "user",
                parts: r#"[{"type":"text","data":{"text":"hi"}}]"#.into(),
                model: String::new(),
                provider: None,
                is_summary: false,
                created_at: 1_767_225_600,
                finished_at: None,
            }],
        }
    }

    #[test]
    fn a_lock_held_past_the_timeout_fails_cleanly_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crush.db");
        create(dir.path(), &db).unwrap();
        let crush = Connection::open(&db).unwrap();
        crush.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let error = write(&db, &session(), Duration::from_millis(300)).unwrap_err();
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "it waited first"
        );
        assert_eq!(error.kind, ErrorKind::Io);
        assert!(
            error.message.contains("locked") && error.message.contains("nothing was written"),
            "{error}"
        );
        crush.execute_batch("ROLLBACK").unwrap();
        let sessions: i64 = crush
            .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sessions, 0);
        // Once the lock is gone the same write goes through, and Crush's trigger counts.
        write(&db, &session(), Duration::from_millis(300)).unwrap();
        let count: i64 = crush
            .query_row("SELECT message_count FROM sessions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn a_database_that_appeared_meanwhile_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crush.db");
        std::fs::write(&db, b"Crush's").unwrap();
        create(dir.path(), &db).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), b"Crush's");
    }

    #[test]
    fn times_in_seconds_become_milliseconds() {
        assert_eq!(to_ms(1_767_225_600), 1_767_225_600_000);
        assert_eq!(to_ms(1_767_225_600_000), 1_767_225_600_000);
        assert_eq!(to_ms(0), 0);
    }
}
