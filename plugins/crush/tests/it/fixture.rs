//! How the fixtures are built (see `tests/fixtures/README.md`): the schema exactly as the writer
//! creates a new `crush.db`, then the rows of `session.sql`; the malformed ones are edits of that.
//! `regenerate` rewrites the committed files; the other tests prove they are what this builds.

use crate::support::{Machine, dump, fixture};
use handoff_plugin_api::{Message, Part, Role, SessionMeta, Transcript};
use rusqlite::Connection;
use std::path::Path;

const SESSION_SQL: &str = include_str!("../fixtures/session.sql");

/// The malformed databases built from the fixture: file name, and the edit of its rows.
pub const MALFORMED: [(&str, &str); 3] = [
    (
        "bad-parts.db",
        "UPDATE messages SET parts = 'not json' WHERE id = '4d90bc2a-35cc-40d9-bba2-c6a09aee2c20';
         UPDATE messages SET parts = '{\"type\":\"text\",\"data\":{\"text\":\"an object, not a list\"}}'
             WHERE id = '1a3edc27-80d4-4440-93b6-4bd686f28d8a';
         UPDATE messages SET parts = '[{\"type\":\"video\",\"data\":{\"url\":\"x\"}},' || substr(parts, 2)
             WHERE id = '3aaba45f-dfbb-4eca-af9c-1c76e3d77f8d';
         UPDATE messages SET parts = '[{\"type\":\"text\",\"data\":{\"text\":42}},' || substr(parts, 2)
             WHERE id = 'a0645842-293e-489e-a139-b34ead940b5a';",
    ),
    (
        "wrong-types.db",
        "UPDATE sessions SET title = 42 WHERE id = '8558b774-f98f-4ada-bf9a-823f45c6fabb';
         UPDATE messages SET role = 7 WHERE id = '46874364-b616-401b-ae6f-1d1c7985d604';
         UPDATE messages SET parts = CAST(parts AS BLOB), model = 7, is_summary_message = 'yes'
             WHERE id = '1a3edc27-80d4-4440-93b6-4bd686f28d8a';",
    ),
    ("no-sessions.db", "DELETE FROM messages; DELETE FROM sessions;"),
];

fn one_message() -> Transcript {
    Transcript::new(
        SessionMeta::default(),
        vec![Message::new(
            Role::User,
            vec![Part::Text {
                text: "schema".into(),
            }],
        )],
    )
}

/// Runs `sql` with Crush's triggers set aside, so that counts and times stay as written.
fn without_triggers(conn: &Connection, sql: &str) {
    let triggers: Vec<String> = conn
        .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for name in &names {
        conn.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
    }
    conn.execute_batch(sql).unwrap();
    for trigger in &triggers {
        conn.execute_batch(trigger).unwrap();
    }
}

/// The fixture database, built at `out`; `edit` (with the triggers set aside) after the rows.
pub fn build(out: &Path, edit: Option<&str>, page_size: u32) {
    let machine = Machine::new();
    let project = machine.project("schema");
    machine.inject(&project, one_message());
    let db = project.join(".crush/crush.db");
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM messages; DELETE FROM sessions;")
        .unwrap();
    without_triggers(&conn, SESSION_SQL);
    if let Some(edit) = edit {
        without_triggers(&conn, edit);
    }
    // A rollback journal: reading the committed file in place leaves no `-wal` or `-shm` beside
    // it. Crush switches a database to WAL when it opens it.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = DELETE; PRAGMA page_size = {page_size}; VACUUM;"
    ))
    .unwrap();
    drop(conn);
    std::fs::copy(&db, out).unwrap();
}

/// Rewrites the committed fixtures: `cargo test -p handoff-crush -- --ignored regenerate`.
#[test]
#[ignore = "rewrites the committed fixtures"]
fn regenerate() {
    build(&fixture("crush.db"), None, 4096);
    for (name, edit) in MALFORMED {
        build(&fixture(&format!("malformed/{name}")), Some(edit), 512);
    }
    let scratch = tempfile::tempdir().unwrap();
    let whole = scratch.path().join("crush.db");
    build(&whole, None, 512);
    let whole = std::fs::read(whole).unwrap();
    std::fs::write(fixture("malformed/truncated.db"), &whole[..whole.len() / 2]).unwrap();
    std::fs::write(
        fixture("malformed/not-a-database.db"),
        "this is not a database\n".repeat(40),
    )
    .unwrap();
    std::fs::write(fixture("malformed/empty.db"), b"").unwrap();
    let other = fixture("malformed/other-app.db");
    let _ = std::fs::remove_file(&other);
    Connection::open(&other)
        .unwrap()
        .execute_batch(
            "PRAGMA page_size = 512;
             CREATE TABLE session (id TEXT PRIMARY KEY, title TEXT);
             INSERT INTO session VALUES ('ses_1', 'another agent''s session');",
        )
        .unwrap();
}

#[test]
fn the_committed_fixtures_are_what_their_sql_builds() {
    let scratch = tempfile::tempdir().unwrap();
    let built = scratch.path().join("crush.db");
    build(&built, None, 4096);
    assert_eq!(dump(&fixture("crush.db")), dump(&built));
    for (name, edit) in MALFORMED {
        let built = scratch.path().join(name);
        build(&built, Some(edit), 512);
        assert_eq!(
            dump(&fixture(&format!("malformed/{name}"))),
            dump(&built),
            "{name}"
        );
    }
}
