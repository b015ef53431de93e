//! What the adapters of SQLite stores share: opening a database, telling a database that is not
//! the agent's from a failure of the disk or a lock, columns read as SQLite holds them (it does not
//! enforce declared types), and a new database file created private.

use handoff_plugin_api::{AdapterError, ErrorKind, Written};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// How long a write waits for the agent to finish its own.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// A database whose bytes or schema are not the agent's is invalid input; anything else (a lock,
/// the disk) is an IO failure.
pub fn sql_error(path: &Path, e: rusqlite::Error) -> AdapterError {
    use rusqlite::ffi::ErrorCode;
    let code = match &e {
        rusqlite::Error::SqliteFailure(error, _) | rusqlite::Error::SqlInputError { error, .. } => {
            Some(error.code)
        }
        _ => None,
    };
    // `Unknown` is SQLITE_ERROR: a table or column that is not there.
    let not_the_agents = matches!(
        code,
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase | ErrorCode::Unknown)
    );
    if not_the_agents {
        AdapterError::invalid(format!("{}: {e}", path.display()))
    } else {
        AdapterError::io(path.display(), e)
    }
}

/// [`sql_error`], or, for a database the agent holds locked, an error saying so (`agent` as the
/// user knows it: `OpenCode`).
pub fn locked_error(agent: &str, path: &Path, e: rusqlite::Error) -> AdapterError {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        AdapterError::new(
            ErrorKind::Io,
            format!(
                "{}: database is locked by another process (is {agent} busy?); nothing was written, try again",
                path.display()
            ),
        )
    } else {
        sql_error(path, e)
    }
}

/// Opens a database, read-only or for writing, waiting up to `busy` for the agent's own writes.
/// Read-only, WAL readers see committed data while the agent writes.
pub fn open(path: &Path, write: bool, busy: Duration) -> Result<Connection, AdapterError> {
    let access = if write {
        OpenFlags::SQLITE_OPEN_READ_WRITE
    } else {
        OpenFlags::SQLITE_OPEN_READ_ONLY
    };
    let conn = Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| sql_error(path, e))?;
    conn.busy_timeout(busy).map_err(|e| sql_error(path, e))?;
    Ok(conn)
}

/// Creates an empty database file with mode 0600 (SQLite would follow the umask), unless one is
/// there already.
pub fn create_private_file(path: &Path) -> Result<(), AdapterError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(AdapterError::io(path.display(), e)),
    }
}

/// The rows of `table` an inject wrote into the database at `path`.
pub fn written_rows(path: &Path, table: &str, ids: Vec<String>) -> Written {
    Written::Rows {
        path: path.display().to_string(),
        table: table.into(),
        ids,
    }
}

/// A text column whatever SQLite holds in it: numbers written out, UTF-8 blobs as text, anything
/// else none.
pub fn text(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            std::str::from_utf8(bytes).ok().map(str::to_owned)
        }
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Null => None,
    })
}

/// An integer column (times, counts): text that is a number counts, anything else is none.
pub fn int(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<i64>> {
    Ok(match row.get_ref(index)? {
        ValueRef::Integer(n) => Some(n),
        // Saturating: a float time is still roughly that time.
        #[allow(clippy::cast_possible_truncation)]
        ValueRef::Real(x) => Some(x as i64),
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| t.trim().parse().ok()),
        ValueRef::Blob(_) | ValueRef::Null => None,
    })
}

/// Takes back, in one transaction, the rows an inject wrote into the database at `path`: for each
/// `(table, delete)` in order (children first), `delete` (with the id as `?1`) for each id
/// `written` lists for that table. Returns how many rows went.
pub fn remove_written(
    conn: &mut Connection,
    agent: &str,
    path: &Path,
    written: &[Written],
    deletes: &[(&str, &str)],
) -> Result<usize, AdapterError> {
    let locked = |e: rusqlite::Error| locked_error(agent, path, e);
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(locked)?;
    let mut removed = 0;
    for (table, sql) in deletes {
        let ids = written.iter().filter_map(|w| match w {
            Written::Rows {
                path: p,
                table: t,
                ids,
            } if t == table && Path::new(p) == path => Some(ids),
            _ => None,
        });
        let mut delete = tx.prepare(sql).map_err(locked)?;
        for id in ids.flatten() {
            removed += delete.execute([id]).map_err(locked)?;
        }
    }
    tx.commit().map_err(locked)?;
    Ok(removed)
}

/// The databases an inject wrote rows into, each once.
pub fn written_databases(written: &[Written]) -> Vec<&Path> {
    let mut databases: Vec<&Path> = written
        .iter()
        .filter_map(|w| match w {
            Written::Rows { path, .. } => Some(Path::new(path.as_str())),
            Written::File { .. } => None,
        })
        .collect();
    databases.sort_unstable();
    databases.dedup();
    databases
}

/// The first `(table, column)` of `required` the database lacks.
pub fn missing_column(
    conn: &Connection,
    path: &Path,
    required: &[(&'static str, &[&'static str])],
) -> Result<Option<(&'static str, &'static str)>, AdapterError> {
    for (table, columns) in required {
        let present: std::collections::BTreeSet<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
            .map_err(|e| sql_error(path, e))?;
        if let Some(missing) = columns.iter().find(|c| !present.contains(**c)) {
            return Ok(Some((table, missing)));
        }
    }
    Ok(None)
}
