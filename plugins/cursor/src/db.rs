//! Cursor's databases, opened so that reading them changes nothing: read-only, through a URI, and
//! `immutable` when the file is in WAL mode with no `-wal`/`-shm` beside it (nobody has it open:
//! a plain read-only open would create the `-shm` file). A database in rollback-journal mode, or
//! one the editor has open in WAL mode, is opened read-only without `immutable`, so committed data
//! in the editor's `-wal` is seen and the editor's locks are honoured.

use handoff_adapter_kit::sqlite::{self, BUSY_TIMEOUT};
use handoff_plugin_api::{AdapterError, AdapterResult};
use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::path::Path;

/// Opens `path` read-only; a file that is not there is an IO error naming it.
pub fn open(path: &Path) -> AdapterResult<Connection> {
    std::fs::metadata(path).map_err(|e| AdapterError::io(path.display(), e))?;
    let immutable = in_wal_mode(path) && !beside(path, "-wal") && !beside(path, "-shm");
    let mut uri = format!("{}?mode=ro", file_uri(path));
    if immutable {
        uri.push_str("&immutable=1");
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&uri, flags).map_err(|e| sqlite::sql_error(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| sqlite::sql_error(path, e))?;
    Ok(conn)
}

/// Whether `table` exists (a query of a missing one would fail with a less clear message).
pub fn has_table(conn: &Connection, path: &Path, table: &str) -> AdapterResult<bool> {
    conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(|e| sqlite::locked_error("Cursor", path, e))
}

/// The `(key, value)` rows of a key-value `table` whose key starts with `prefix`, values as text
/// (SQLite holds them as TEXT or BLOB); a value that is neither is `None`.
pub fn rows_with_prefix(
    conn: &Connection,
    path: &Path,
    table: &str,
    prefix: &str,
) -> AdapterResult<Vec<(String, Option<String>)>> {
    let error = |e| sqlite::locked_error("Cursor", path, e);
    // A range on the key rather than LIKE: `_` and `%` in an id would be wildcards.
    let sql = format!("SELECT key, value FROM {table} WHERE key >= ?1 AND key < ?2 ORDER BY key");
    let mut statement = conn.prepare(&sql).map_err(error)?;
    let upper = format!("{prefix}\u{10ffff}");
    let rows = statement
        .query_map([prefix, upper.as_str()], |row| {
            Ok((sqlite::text(row, 0)?, sqlite::text(row, 1)?))
        })
        .map_err(error)?;
    let mut out = Vec::new();
    for row in rows {
        let (key, value) = row.map_err(error)?;
        if let Some(key) = key.filter(|k| k.starts_with(prefix)) {
            out.push((key, value));
        }
    }
    Ok(out)
}

/// One value of a key-value `table`.
pub fn value(
    conn: &Connection,
    path: &Path,
    table: &str,
    key: &str,
) -> AdapterResult<Option<String>> {
    let sql = format!("SELECT value FROM {table} WHERE key = ?1");
    match conn.query_row(&sql, [key], |row| sqlite::text(row, 0)) {
        Ok(value) => Ok(value),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
        Err(e) => Err(sqlite::locked_error("Cursor", path, e)),
    }
}

fn beside(path: &Path, suffix: &str) -> bool {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    Path::new(&name).exists()
}

/// Bytes 18 and 19 of an SQLite header are 2 in WAL mode.
fn in_wal_mode(path: &Path) -> bool {
    let mut header = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| header.starts_with(b"SQLite format 3\0") && header[18] == 2)
}

/// `file:` URI of a path, every byte that could mean something in a URI escaped.
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file:");
    // A Windows drive path needs the empty authority before it.
    if !text.starts_with('/') {
        uri.push_str("///");
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_sqlite_would_read_as_syntax() {
        assert_eq!(
            file_uri(Path::new("/a b/c?d#e%f")),
            "file:/a%20b/c%3Fd%23e%25f"
        );
        assert_eq!(file_uri(Path::new("C:\\x\\y")), "file:///C:/x/y");
    }
}
