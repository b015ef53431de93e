//! `opencode.db` (OpenCode ≥ 1.2): reading read-only while OpenCode may be running (1.x tables,
//! and 2.x's `session_v2` / `session_message` where the upgrade added them), writing one 1.x
//! session in one transaction, removing exactly what was written.

use crate::app::App;
use handoff_adapter_kit::sqlite::{self, int, locked_error, sql_error, text};
use handoff_plugin_api::{AdapterError, SessionSummary, Written};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crate::read::{RawMessage, RawSession};
use crate::v2::V2Message;
use crate::write::NativeSession;

/// OpenCode opens its database with the same timeout.
pub use handoff_adapter_kit::sqlite::BUSY_TIMEOUT;

/// The schema migrations of opencode-ai 1.18.33 (`SELECT id FROM migration`). A database with any
/// other migration has a schema this writer has not been checked against.
const KNOWN_MIGRATIONS: [&str; 38] = [
    "20260127222353_familiar_lady_ursula",
    "20260211171708_add_project_commands",
    "20260213144116_wakeful_the_professor",
    "20260225215848_workspace",
    "20260227213759_add_session_workspace_id",
    "20260228203230_blue_harpoon",
    "20260303231226_add_workspace_fields",
    "20260309230000_move_org_to_state",
    "20260312043431_session_message_cursor",
    "20260323234822_events",
    "20260410174513_workspace-name",
    "20260413175956_chief_energizer",
    "20260423070820_add_icon_url_override",
    "20260427172553_slow_nightmare",
    "20260428004200_add_session_path",
    "20260501142318_next_venus",
    "20260504145000_add_sync_owner",
    "20260507164347_add_workspace_time",
    "20260510033149_session_usage",
    "20260511000411_data_migration_state",
    "20260511173437_session-metadata",
    "20260601010001_normalize_storage_paths",
    "20260601202201_amazing_prowler",
    "20260602002951_lowly_union_jack",
    "20260602182828_add_project_directories",
    "20260603001617_session_message_projection_indexes",
    "20260603040000_session_message_projection_order",
    "20260603141458_session_input_inbox",
    "20260603160727_jittery_ezekiel_stane",
    "20260604172448_event_sourced_session_input",
    "20260605003541_add_session_context_snapshot",
    "20260605042240_add_context_epoch_agent",
    "20260611035744_credential",
    "20260611192811_lush_chimera",
    "20260612174303_project_dir_strategy",
    "20260622142730_simplify_session_context_epoch",
    "20260622170816_reset_v2_session_state",
    "20260622202450_simplify_session_input",
];

/// The columns the writer fills; an older schema must have them all.
const REQUIRED_COLUMNS: [(&str, &[&str]); 4] = [
    (
        "project",
        &[
            "id",
            "worktree",
            "vcs",
            "time_created",
            "time_updated",
            "sandboxes",
        ],
    ),
    (
        "session",
        &[
            "id",
            "project_id",
            "slug",
            "directory",
            "title",
            "version",
            "time_created",
            "time_updated",
        ],
    ),
    (
        "message",
        &["id", "session_id", "time_created", "time_updated", "data"],
    ),
    (
        "part",
        &[
            "id",
            "message_id",
            "session_id",
            "time_created",
            "time_updated",
            "data",
        ],
    ),
];

/// The columns the OpenCode 2.x reader uses (read from OpenCode's public source, migration
/// `20260804233008_loose_psylocke`); later migrations add others, which are left alone.
const V2_COLUMNS: [(&str, &[&str]); 2] = [
    (
        "session_v2",
        &[
            "id",
            "project_id",
            "parent_id",
            "directory",
            "title",
            "model",
            "time_created",
            "time_updated",
        ],
    ),
    (
        "session_message",
        &["id", "session_id", "type", "seq", "data"],
    ),
];

/// Opens the database read-only. WAL readers see committed data while OpenCode writes. An
/// OpenCode 2.x database is read when its tables have the columns the reader uses.
pub fn open_read(path: &Path) -> Result<Connection, AdapterError> {
    let conn = sqlite::open(path, false, BUSY_TIMEOUT)?;
    if is_v2(&conn, path)?
        && let Some((table, column)) = sqlite::missing_column(&conn, path, &V2_COLUMNS)?
    {
        return Err(AdapterError::unsupported(format!(
            "{}: an OpenCode 2.x database (table session_v2) whose {table} has no column \
             {column}; handoff reads only the 2.x layout of OpenCode's public source",
            path.display()
        )));
    }
    Ok(conn)
}

/// OpenCode 2.x keeps its sessions in `session_v2` of the same file and leaves the 1.x tables as
/// they were at the upgrade.
pub fn is_v2(conn: &Connection, path: &Path) -> Result<bool, AdapterError> {
    has_table(conn, path, "session_v2")
}

fn has_table(conn: &Connection, path: &Path, table: &str) -> Result<bool, AdapterError> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |_| Ok(()),
    )
    .optional()
    .map(|found| found.is_some())
    .map_err(|e| sql_error(path, e))
}

/// No 2.x client can be run here to prove what it accepts, so a 2.x database is never written.
fn refuse_v2_write(conn: &Connection, path: &Path) -> Result<(), AdapterError> {
    if is_v2(conn, path)? {
        return Err(AdapterError::unsupported(format!(
            "{}: an OpenCode 2.x database (table session_v2); handoff reads it but does not \
             write it, as no OpenCode 2.x client can be run here to prove what it accepts",
            path.display()
        )));
    }
    Ok(())
}

/// In a 2.x database, the 1.x sessions that 2.x never imported: those a 1.x client created after
/// the one-time copy (the copy kept every id, so an id in `session_v2` is the same session).
fn v1_leftovers(conn: &Connection, path: &Path) -> Result<bool, AdapterError> {
    Ok(has_table(conn, path, "session")? && has_table(conn, path, "message")?)
}

/// Which sessions `list` shows: all, or one project's (its directory, or its projectID unless
/// that is the shared `global`).
pub struct Filter<'a> {
    pub directory: &'a str,
    pub project_id: Option<&'a str>,
}

/// A session row `s` is a root session (not a subagent's) of directory `?1` or project id `?2`
/// (`?1` null: of any project).
const ROOTS: &str = "s.parent_id IS NULL
    AND (?1 IS NULL OR s.directory = ?1 OR (?2 IS NOT NULL AND s.project_id = ?2))";

/// How a listed row of a 2.x database says where it comes from.
const V2_ROW: &str = "v2";
const V1_BESIDE_V2_ROW: &str = "v1";

/// Root sessions (not subagents), newest first, with their message counts. In a 2.x database:
/// the `session_v2` ones and the 1.x ones it never imported, newest first as 2.x orders them.
pub fn list(
    app: &App,
    conn: &Connection,
    path: &Path,
    filter: Option<&Filter<'_>>,
    limit: Option<usize>,
) -> Result<Vec<SessionSummary>, AdapterError> {
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let (directory, project_id) = match filter {
        Some(f) => (Some(f.directory), f.project_id),
        None => (None, None),
    };
    // The last column says which tables a row comes from in a 2.x database.
    let v1 = |store: &str| {
        format!(
            "SELECT s.id AS id, s.directory, s.title, s.time_created, s.time_updated AS updated,
                    (SELECT COUNT(*) FROM message m WHERE m.session_id = s.id), {store}
             FROM session s WHERE {ROOTS}"
        )
    };
    let sql = if is_v2(conn, path)? {
        // Only the conversation's rows count, not the switch and idle bookkeeping.
        let v2 = format!(
            "SELECT s.id AS id, s.directory, s.title, s.time_created, s.time_updated AS updated,
                    (SELECT COUNT(*) FROM session_message m
                     WHERE m.session_id = s.id AND m.type IN ('user', 'assistant')), '{V2_ROW}'
             FROM session_v2 s WHERE {ROOTS}"
        );
        let leftovers = if v1_leftovers(conn, path)? {
            let v1 = v1(&format!("'{V1_BESIDE_V2_ROW}'"));
            format!(" UNION ALL {v1} AND s.id NOT IN (SELECT id FROM session_v2)")
        } else {
            String::new()
        };
        format!("{v2}{leftovers} ORDER BY updated DESC, id DESC LIMIT ?3")
    } else {
        format!("{} ORDER BY updated DESC, id LIMIT ?3", v1("NULL"))
    };
    let mut statement = conn.prepare(&sql).map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map(params![directory, project_id, limit], |row| {
            Ok(SessionSummary {
                agent: app.name.into(),
                session_id: text(row, 0)?.unwrap_or_default(),
                cwd: text(row, 1)?,
                title: text(row, 2)?,
                created_ms: int(row, 3)?,
                updated_ms: int(row, 4)?,
                messages: int(row, 5)?
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
                path: path.display().to_string(),
                cached: false,
                store: text(row, 6)?.map(|tables| match tables.as_str() {
                    V2_ROW => format!("{} 2.x database, read only", app.display_name),
                    _ => format!("{} 1.x table that {0} 2.x does not show", app.display_name),
                }),
            })
        })
        .map_err(|e| sql_error(path, e))?;
    let rows = rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_error(path, e))?;
    // A row without a text id cannot be asked for again.
    Ok(rows
        .into_iter()
        .filter(|r| !r.session_id.is_empty())
        .collect())
}

/// Session ids starting with `prefix` (of either layout in a 2.x database).
pub fn ids_with_prefix(
    conn: &Connection,
    path: &Path,
    prefix: &str,
) -> Result<Vec<String>, AdapterError> {
    let tables: &[&str] = match (is_v2(conn, path)?, v1_leftovers(conn, path)?) {
        (true, true) => &["session_v2", "session"],
        (true, false) => &["session_v2"],
        (false, _) => &["session"],
    };
    let selects: Vec<String> = tables
        .iter()
        .map(|t| format!("SELECT id FROM {t} WHERE substr(id, 1, length(?1)) = ?1"))
        .collect();
    let sql = format!("{} ORDER BY id LIMIT 20", selects.join(" UNION "));
    let mut statement = conn.prepare(&sql).map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([prefix], |row| text(row, 0))
        .map_err(|e| sql_error(path, e))?;
    let ids = rows
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_error(path, e))?;
    Ok(ids.into_iter().flatten().collect())
}

/// A session as loaded, in the layout it is stored in.
pub enum Loaded {
    /// A 1.x session; `beside_v2` when the file is a 2.x database that never imported it.
    V1 {
        session: RawSession,
        messages: Vec<RawMessage>,
        skipped: usize,
        beside_v2: bool,
    },
    V2 {
        session: RawSession,
        messages: Vec<V2Message>,
        skipped: usize,
    },
}

/// One session with its messages; rows whose JSON does not parse are skipped and counted. A 2.x
/// database answers from `session_v2` first (it holds the imported copy of a 1.x session).
pub fn load(conn: &Connection, path: &Path, id: &str) -> Result<Loaded, AdapterError> {
    let v2 = is_v2(conn, path)?;
    if v2 && let Some(session) = session_row(conn, path, "session_v2", id)? {
        let (messages, skipped) = load_v2_messages(conn, path, id)?;
        return Ok(Loaded::V2 {
            session,
            messages,
            skipped,
        });
    }
    let session = match (v2, v1_leftovers(conn, path)?) {
        (true, false) => None,
        _ => session_row(conn, path, "session", id)?,
    };
    let session = session.ok_or_else(|| {
        AdapterError::not_found(format!("no opencode session {id} in {}", path.display()))
    })?;
    let (messages, skipped) = load_v1_messages(conn, path, id)?;
    Ok(Loaded::V1 {
        session,
        messages,
        skipped,
        beside_v2: v2,
    })
}

/// The session row of `id` in `table` (`session` or `session_v2`, alike where read).
fn session_row(
    conn: &Connection,
    path: &Path,
    table: &str,
    id: &str,
) -> Result<Option<RawSession>, AdapterError> {
    conn.query_row(
        &format!(
            "SELECT id, directory, title, time_created, time_updated, model,
                    (SELECT COUNT(*) FROM {table} c WHERE c.parent_id = s.id)
             FROM {table} s WHERE id = ?1"
        ),
        [id],
        |row| {
            Ok(RawSession {
                id: text(row, 0)?.unwrap_or_else(|| id.to_owned()),
                directory: text(row, 1)?,
                title: text(row, 2)?,
                created_ms: int(row, 3)?,
                updated_ms: int(row, 4)?,
                model: text(row, 5)?.and_then(|m| serde_json::from_str(&m).ok()),
                children: int(row, 6)?
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
            })
        },
    )
    .optional()
    .map_err(|e| sql_error(path, e))
}

/// A 2.x session's messages in the order the client reads them (`seq`).
fn load_v2_messages(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<(Vec<V2Message>, usize), AdapterError> {
    let mut skipped = 0;
    let mut messages = Vec::new();
    let mut statement = conn
        .prepare("SELECT id, type, data FROM session_message WHERE session_id = ?1 ORDER BY seq")
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([id], |row| {
            Ok((text(row, 0)?, text(row, 1)?, text(row, 2)?))
        })
        .map_err(|e| sql_error(path, e))?;
    for row in rows {
        let (Some(id), Some(kind), Some(data)) = row.map_err(|e| sql_error(path, e))? else {
            skipped += 1;
            continue;
        };
        match serde_json::from_str::<Value>(&data) {
            Ok(data @ Value::Object(_)) => messages.push(V2Message { id, kind, data }),
            _ => skipped += 1,
        }
    }
    Ok((messages, skipped))
}

/// A 1.x session's messages (ordered by `(time_created, id)`) and parts (by `id`).
fn load_v1_messages(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<(Vec<RawMessage>, usize), AdapterError> {
    let mut skipped = 0;
    let mut messages = Vec::new();
    let mut statement = conn
        .prepare("SELECT id, data FROM message WHERE session_id = ?1 ORDER BY time_created, id")
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([id], |row| Ok((text(row, 0)?, text(row, 1)?)))
        .map_err(|e| sql_error(path, e))?;
    for row in rows {
        let (Some(message_id), Some(data)) = row.map_err(|e| sql_error(path, e))? else {
            skipped += 1;
            continue;
        };
        match serde_json::from_str::<Value>(&data) {
            Ok(info @ Value::Object(_)) => messages.push(RawMessage {
                id: message_id,
                info,
                parts: Vec::new(),
            }),
            _ => skipped += 1,
        }
    }

    let mut statement = conn
        .prepare("SELECT message_id, data FROM part WHERE session_id = ?1 ORDER BY message_id, id")
        .map_err(|e| sql_error(path, e))?;
    let rows = statement
        .query_map([id], |row| Ok((text(row, 0)?, text(row, 1)?)))
        .map_err(|e| sql_error(path, e))?;
    let index: std::collections::HashMap<String, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    for row in rows {
        let (Some(message_id), Some(data)) = row.map_err(|e| sql_error(path, e))? else {
            skipped += 1;
            continue;
        };
        let Some(message) = index.get(&message_id).and_then(|&i| messages.get_mut(i)) else {
            continue;
        };
        match serde_json::from_str::<Value>(&data) {
            Ok(part @ Value::Object(_)) => message.parts.push(part),
            _ => skipped += 1,
        }
    }
    Ok((messages, skipped))
}

/// Refuses a schema this writer does not know: migrations it has not seen, or a missing column.
pub fn check_schema(app: &App, conn: &Connection, path: &Path) -> Result<(), AdapterError> {
    refuse_v2_write(conn, path)?;
    let applied: Vec<String> = conn
        .prepare("SELECT id FROM migration")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .map_err(|e| {
            AdapterError::invalid(format!(
                "{}: not an OpenCode database this handoff can write ({e})",
                path.display()
            ))
        })?;
    let known: BTreeSet<&str> = KNOWN_MIGRATIONS
        .into_iter()
        .chain(app.own_migrations.iter().copied())
        .collect();
    let unknown: Vec<&str> = applied
        .iter()
        .map(String::as_str)
        .filter(|id| !known.contains(id))
        .collect();
    if let Some(first) = unknown.first() {
        return Err(AdapterError::unsupported(format!(
            "{}: schema is newer than the {} {} handoff knows ({} unknown migration(s), e.g. {first}); \
             refusing to write. Update handoff, or use --format json to get an `{} import` file",
            path.display(),
            app.display_name,
            app.version,
            unknown.len(),
            app.name
        )));
    }
    if let Some((table, missing)) = sqlite::missing_column(conn, path, &REQUIRED_COLUMNS)? {
        return Err(AdapterError::unsupported(format!(
            "{}: table {table} has no column {missing}; refusing to write into an unknown schema",
            path.display()
        )));
    }
    Ok(())
}

/// Opens the database for writing, the way OpenCode does (WAL stays as it is; foreign keys on).
pub fn open_write(path: &Path, busy: Duration) -> Result<Connection, AdapterError> {
    let conn = sqlite::open(path, true, busy)?;
    refuse_v2_write(&conn, path)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| sql_error(path, e))?;
    Ok(conn)
}

/// Writes the session in one transaction: the project if new, the session, its messages and
/// parts. Waits up to `busy` for a running OpenCode to release its write lock; on failure nothing
/// is written. Returns every row written.
pub fn write(
    app: &App,
    path: &Path,
    session: &NativeSession,
    busy: Duration,
) -> Result<Vec<Written>, AdapterError> {
    let mut conn = open_write(path, busy)?;
    check_schema(app, &conn, path)?;
    let locked = |e: rusqlite::Error| locked_error("OpenCode", path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(locked)?;
    let project = &session.project;
    let new_project = tx
        .execute(
            "INSERT OR IGNORE INTO project (id, worktree, vcs, time_created, time_updated, sandboxes)
             VALUES (?1, ?2, ?3, ?4, ?4, '[]')",
            params![project.id, project.worktree, project.vcs, session.created_ms],
        )
        .map_err(locked)?
        == 1;
    tx.execute(
        "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, time_updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            session.id,
            project.id,
            session.slug,
            session.directory,
            session.title,
            session.version,
            session.created_ms,
            session.updated_ms
        ],
    )
    .map_err(locked)?;
    let mut message_ids = Vec::new();
    let mut part_ids = Vec::new();
    {
        let mut insert_message = tx
            .prepare(
                "INSERT INTO message (id, session_id, time_created, time_updated, data)
                 VALUES (?1, ?2, ?3, ?3, ?4)",
            )
            .map_err(locked)?;
        let mut insert_part = tx
            .prepare(
                "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
            )
            .map_err(locked)?;
        for message in &session.messages {
            let data = Value::Object(message.info.clone()).to_string();
            insert_message
                .execute(params![message.id, session.id, message.created_ms, data])
                .map_err(locked)?;
            message_ids.push(message.id.clone());
            for part in &message.parts {
                let data = Value::Object(part.data.clone()).to_string();
                insert_part
                    .execute(params![
                        part.id,
                        message.id,
                        session.id,
                        part.created_ms,
                        data
                    ])
                    .map_err(locked)?;
                part_ids.push(part.id.clone());
            }
        }
    }
    tx.commit().map_err(locked)?;

    let rows = |table: &str, ids: Vec<String>| sqlite::written_rows(path, table, ids);
    let mut written = Vec::new();
    if new_project {
        written.push(rows("project", vec![project.id.clone()]));
    }
    written.push(rows("session", vec![session.id.clone()]));
    written.push(rows("message", message_ids));
    written.push(rows("part", part_ids));
    Ok(written)
}

/// Deletes exactly the rows an inject wrote, children first, in one transaction. A project row
/// is only removed while no other session uses it.
pub fn remove(path: &Path, written: &[Written], busy: Duration) -> Result<usize, AdapterError> {
    let mut conn = open_write(path, busy)?;
    let deletes = [
        ("part", "DELETE FROM part WHERE id = ?1"),
        ("message", "DELETE FROM message WHERE id = ?1"),
        ("session", "DELETE FROM session WHERE id = ?1"),
        (
            "project",
            "DELETE FROM project WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM session WHERE project_id = ?1)",
        ),
    ];
    sqlite::remove_written(&mut conn, "OpenCode", path, written, &deletes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ModelKnowledge;
    use crate::project_id::ProjectRef;
    use crate::write::{Target, build};
    use handoff_plugin_api::ErrorKind;
    use handoff_plugin_api::{Message, Part, Role, SessionMeta, Transcript};
    use std::path::PathBuf;

    fn real_db_copy(dir: &Path) -> PathBuf {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/opencode.db");
        let db = dir.join("opencode.db");
        std::fs::copy(fixture, &db).unwrap();
        db
    }

    #[test]
    fn known_migrations_are_those_of_the_real_client() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_read(&real_db_copy(dir.path())).unwrap();
        let mut applied: Vec<String> = conn
            .prepare("SELECT id FROM migration")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        applied.sort();
        assert_eq!(applied, KNOWN_MIGRATIONS.map(str::to_owned));
    }

    #[test]
    fn a_lock_held_past_the_timeout_fails_cleanly_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = real_db_copy(dir.path());
        let models = ModelKnowledge::default();
        let target = Target {
            app: &crate::app::OPENCODE,
            directory: "/p",
            project: ProjectRef::global(),
            models: &models,
            now_ms: 1_800_000_000_000,
        };
        let transcript = Transcript::new(
            SessionMeta::default(),
            vec![Message::new(
                Role::User,
                vec![Part::Text { text: "hi".into() }],
            )],
        );
        let session = build(&transcript, &target).unwrap();

        let holder = Connection::open(&db).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let app = &crate::app::OPENCODE;
        let err = write(app, &db, &session, Duration::from_millis(300)).unwrap_err();
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "it waited first"
        );
        assert_eq!(err.kind, ErrorKind::Io);
        assert!(
            err.message.contains("locked") && err.message.contains("nothing was written"),
            "{err}"
        );
        holder.execute_batch("ROLLBACK").unwrap();

        let sessions: i64 = holder
            .query_row("SELECT count(*) FROM session", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sessions, 1, "only the real session");
        // Once the lock is gone the same write goes through.
        write(app, &db, &session, Duration::from_millis(300)).unwrap();
    }
}
