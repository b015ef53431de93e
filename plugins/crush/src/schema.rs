//! Crush's database schema, as its migrator leaves a new `crush.db`: goose's version table
//! (`goose_db_version`: a row for version 0, then one per applied migration) and the seven
//! migrations of `internal/db/migrations/` (`20250424200609_initial.sql` …
//! `20260127000000_add_read_files_table.sql`), applied in order.
//!
//! Times are Unix seconds: the schema's comments say milliseconds, but every query and the
//! triggers write `strftime('%s', 'now')` and the Go code `time.Now().Unix()`
//! (`internal/db/sql/*.sql`, `internal/message/content.go`).

use rusqlite::Connection;

/// Each migration's version (the file name's number) and what its `Up` section does.
pub const MIGRATIONS: [(i64, &str); 7] = [
    (
        20_250_424_200_609,
        "CREATE TABLE IF NOT EXISTS sessions (
            id TEXT PRIMARY KEY,
            parent_session_id TEXT,
            title TEXT NOT NULL,
            message_count INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0),
            prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
            completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
            cost REAL NOT NULL DEFAULT 0.0 CHECK (cost >= 0.0),
            updated_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TRIGGER IF NOT EXISTS update_sessions_updated_at
        AFTER UPDATE ON sessions
        BEGIN
            UPDATE sessions SET updated_at = strftime('%s', 'now') WHERE id = new.id;
        END;
        CREATE TABLE IF NOT EXISTS files (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            path TEXT NOT NULL,
            content TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
            UNIQUE(path, session_id, version)
        );
        CREATE INDEX IF NOT EXISTS idx_files_session_id ON files (session_id);
        CREATE INDEX IF NOT EXISTS idx_files_path ON files (path);
        CREATE TRIGGER IF NOT EXISTS update_files_updated_at
        AFTER UPDATE ON files
        BEGIN
            UPDATE files SET updated_at = strftime('%s', 'now') WHERE id = new.id;
        END;
        CREATE TABLE IF NOT EXISTS messages (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            role TEXT NOT NULL,
            parts TEXT NOT NULL default '[]',
            model TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER,
            FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
        );
        CREATE INDEX IF NOT EXISTS idx_messages_session_id ON messages (session_id);
        CREATE TRIGGER IF NOT EXISTS update_messages_updated_at
        AFTER UPDATE ON messages
        BEGIN
            UPDATE messages SET updated_at = strftime('%s', 'now') WHERE id = new.id;
        END;
        CREATE TRIGGER IF NOT EXISTS update_session_message_count_on_insert
        AFTER INSERT ON messages
        BEGIN
            UPDATE sessions SET message_count = message_count + 1 WHERE id = new.session_id;
        END;
        CREATE TRIGGER IF NOT EXISTS update_session_message_count_on_delete
        AFTER DELETE ON messages
        BEGIN
            UPDATE sessions SET message_count = message_count - 1 WHERE id = old.session_id;
        END;",
    ),
    (
        20_250_515_105_448,
        "ALTER TABLE sessions ADD COLUMN summary_message_id TEXT;",
    ),
    (
        20_250_624_000_000,
        "CREATE INDEX IF NOT EXISTS idx_sessions_created_at ON sessions (created_at);
        CREATE INDEX IF NOT EXISTS idx_messages_created_at ON messages (created_at);
        CREATE INDEX IF NOT EXISTS idx_files_created_at ON files (created_at);",
    ),
    (
        20_250_627_000_000,
        "ALTER TABLE messages ADD COLUMN provider TEXT;",
    ),
    (
        20_250_810_000_000,
        "ALTER TABLE messages ADD COLUMN is_summary_message INTEGER DEFAULT 0 NOT NULL;",
    ),
    (
        20_250_812_000_000,
        "ALTER TABLE sessions ADD COLUMN todos TEXT;",
    ),
    (
        20_260_127_000_000,
        "CREATE TABLE IF NOT EXISTS read_files (
            session_id TEXT NOT NULL CHECK (session_id != ''),
            path TEXT NOT NULL CHECK (path != ''),
            read_at INTEGER NOT NULL,
            FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
            PRIMARY KEY (path, session_id)
        );
        CREATE INDEX IF NOT EXISTS idx_read_files_session_id ON read_files (session_id);
        CREATE INDEX IF NOT EXISTS idx_read_files_path ON read_files (path);",
    ),
];

/// The columns the writer fills, by table: a database without one is older than this schema.
pub const WRITTEN_COLUMNS: [(&str, &[&str]); 2] = [
    (
        "sessions",
        &[
            "id",
            "parent_session_id",
            "title",
            "message_count",
            "prompt_tokens",
            "completion_tokens",
            "cost",
            "summary_message_id",
            "updated_at",
            "created_at",
        ],
    ),
    (
        "messages",
        &[
            "id",
            "session_id",
            "role",
            "parts",
            "model",
            "provider",
            "is_summary_message",
            "created_at",
            "updated_at",
            "finished_at",
        ],
    ),
];

/// Creates the whole schema in an empty database, recording every migration as goose does (its
/// `sqlite3` dialect's version table, version 0 first), so that Crush finds nothing to migrate.
/// WAL, as Crush opens every database.
pub fn create(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "CREATE TABLE goose_db_version (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            version_id INTEGER NOT NULL,
            is_applied INTEGER NOT NULL,
            tstamp TIMESTAMP DEFAULT (datetime('now'))
        );
        INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);",
    )?;
    for (version, up) in MIGRATIONS {
        tx.execute_batch(up)?;
        tx.execute(
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?1, 1)",
            [version],
        )?;
    }
    tx.commit()?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
}
