//! How the fixtures are built (see `tests/fixtures/README.md`): Cursor's documented layout, rows
//! written here as JSON values. Read, tested against the documented layout; not written by
//! Cursor. `regenerate` rewrites the committed files; `the_committed_fixtures_are_what_this_builds`
//! proves they are what this builds.

use handoff_adapter_kit::testing::{Format, Rewrite};
use rusqlite::Connection;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
pub const PROJECT: &str = "/tmp/cursor-fixture/project";
pub const ELSEWHERE: &str = "/tmp/cursor-fixture/elsewhere";
/// The newest chat: the conformance scenario.
pub const SCENARIO: &str = "8f3c2a61-5d4e-4b7a-9c1e-2a6b0d9e4f17";
/// Older, same workspace: the inline `conversation` form, edits, an attachment, thinking.
pub const OLDER: &str = "3b9e7d20-1c4a-4f6e-8d2b-5a7c9e1f0b34";
/// Oldest, another workspace.
pub const OTHER: &str = "c0ffee12-7a3b-4c5d-9e8f-0123456789ab";
/// Opened and closed without a message: no session.
pub const DRAFT: &str = "d4af7e00-5b1c-4d2e-8f3a-9b0c1d2e3f40";
pub const WS_PROJECT: &str = "5f0c1e9a3b7d4e2f8a6c0b1d9e7f3a25";
pub const WS_ELSEWHERE: &str = "a7d2c4e6f8091b3d5f7a9c1e3b5d7f90";

pub fn home() -> PathBuf {
    Path::new(FIXTURES).join("home")
}

pub fn malformed(name: &str) -> PathBuf {
    Path::new(FIXTURES).join("malformed").join(name)
}

const SCHEMA: &str = "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
     CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);";

/// A key-value database at `path` holding `rows` (`table`, key, value as text).
pub fn write_db(path: &Path, schema: &str, rows: &[(&str, String, Vec<u8>)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(path);
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE; {schema}"
    ))
    .unwrap();
    for (table, key, value) in rows {
        // Text, as the editor's JavaScript stores its JSON strings.
        let value = String::from_utf8(value.clone()).unwrap();
        conn.execute(
            &format!("INSERT INTO {table} (key, value) VALUES (?1, ?2)"),
            rusqlite::params![key, value],
        )
        .unwrap();
    }
}

fn lexical(text: &str) -> String {
    json!({"root": {"type": "root", "children": [{"type": "paragraph", "children": [
        {"type": "text", "text": text, "format": 0}]}]}})
    .to_string()
}

fn header(id: &str, kind: u8) -> Value {
    json!({"bubbleId": id, "type": kind})
}

const USER: &str = "HOK_USER_PROMPT_a41c: run the marker command, then read the missing file";
const MISSING: &str = "/tmp/cursor-fixture/project/missing/HOK_ERR_FILE_9d07.txt";

/// The global database's `cursorDiskKV` rows: key and JSON value.
pub fn global_rows() -> Vec<(String, Value)> {
    let s = SCENARIO;
    let b = [
        "0a1b2c3d-0001-4000-8000-00000000a001",
        "0a1b2c3d-0002-4000-8000-00000000a002",
        "0a1b2c3d-0003-4000-8000-00000000a003",
        "0a1b2c3d-0004-4000-8000-00000000a004",
        "0a1b2c3d-0005-4000-8000-00000000a005",
    ];
    let mut rows = vec![(
        format!("composerData:{s}"),
        json!({
            "_v": 10, "composerId": s, "name": "Run the marker command",
            "createdAt": 1_767_225_600_000_i64, "lastUpdatedAt": 1_767_225_660_000_i64,
            "status": "completed", "unifiedMode": "agent", "isAgentic": true, "text": "",
            "richText": "", "conversationMap": {}, "createdOnBranch": "main",
            "modelConfig": {"modelName": "claude-4-sonnet", "maxMode": false},
            "fullConversationHeadersOnly": [header(b[0], 1), header(b[1], 2), header(b[2], 2),
                header(b[3], 2), header(b[4], 2)],
        }),
    )];
    let bubbles = [
        json!({"_v": 3, "type": 1, "bubbleId": b[0], "text": USER, "richText": lexical(USER),
            "createdAt": "2026-01-01T00:00:05.000Z", "context": {"fileSelections": [],
            "selections": []}, "modelInfo": {"modelName": "claude-4-sonnet"}}),
        json!({"_v": 3, "type": 2, "bubbleId": b[1],
            "text": "HOK_ASSISTANT_TEXT_5be2: I will run the marker command.",
            "createdAt": "2026-01-01T00:00:10.000Z"}),
        json!({"_v": 3, "type": 2, "bubbleId": b[2], "text": "",
            "createdAt": "2026-01-01T00:00:15.000Z",
            "toolFormerData": {"tool": 15, "name": "run_terminal_cmd",
                "toolCallId": "toolu_01HOKSHELL", "status": "completed",
                "rawArgs": json!({"command": "printf '%s_%s\\n' HOK_OUT 42",
                    "is_background": false,
                    "explanation": "Print the marker."}).to_string(),
                "result": json!({"output": "HOK_OUT_42\n", "exitCode": 0}).to_string()}}),
        json!({"_v": 3, "type": 2, "bubbleId": b[3], "text": "",
            "createdAt": "2026-01-01T00:00:20.000Z",
            "toolFormerData": {"tool": 5, "name": "read_file", "toolCallId": "toolu_02HOKREAD",
                "status": "error",
                "rawArgs": json!({"target_file": MISSING,
                    "should_read_entire_file": true}).to_string(),
                "result": json!({"error": format!("File not found: {MISSING}")}).to_string()}}),
        json!({"_v": 3, "type": 2, "bubbleId": b[4],
            "text": "HOK_FINAL_REPLY_c3f8: the command printed its marker and the file is missing.",
            "createdAt": "2026-01-01T00:00:25.000Z"}),
    ];
    for (id, bubble) in b.iter().zip(bubbles) {
        rows.push((format!("bubbleId:{s}:{id}"), bubble));
    }

    let hello = "/tmp/cursor-fixture/project/src/hello.rs";
    rows.push((
        format!("composerData:{OLDER}"),
        json!({
            "_v": 2, "composerId": OLDER, "createdAt": 1_767_139_200_000_i64,
            "lastUpdatedAt": 1_767_139_500_000_i64, "status": "completed",
            "modelConfig": {"modelName": "default"},
            "conversation": [
                {"type": 1, "bubbleId": "e1000000-0000-4000-8000-000000000001",
                 "text": "Rename the greeting in src/hello.rs and add a NOTES.md",
                 "context": {"fileSelections": [{"uri": {"scheme": "file",
                     "fsPath": hello, "path": hello}}]}},
                {"type": 2, "bubbleId": "e1000000-0000-4000-8000-000000000002",
                 "thinking": {"text": "The greeting is the string in greet(); replace it."},
                 "text": "I will change the greeting.",
                 "toolFormerData": {"name": "search_replace", "toolCallId": "toolu_03EDIT",
                     "status": "completed",
                     "params": json!({"file_path": hello, "old_string": "\"Hello\"",
                         "new_string": "\"Hello, Cursor\""}).to_string(),
                     "result": json!({"diff": {"chunks": [{"linesAdded": 1,
                         "linesRemoved": 1}]}}).to_string()}},
                {"type": 2, "bubbleId": "e1000000-0000-4000-8000-000000000003", "text": "",
                 "toolFormerData": {"name": "write", "toolCallId": "toolu_04WRITE",
                     "status": "completed",
                     "rawArgs": json!({"file_path": "/tmp/cursor-fixture/project/NOTES.md",
                         "contents": "# Notes\n\nThe greeting now names Cursor.\n"}).to_string()}},
                {"type": 2, "bubbleId": "e1000000-0000-4000-8000-000000000004",
                 "text": "Done: the greeting is renamed and NOTES.md is written.",
                 "codeBlocks": [{"uri": {"scheme": "file", "fsPath": hello, "path": hello},
                     "languageId": "rust", "codeBlockIdx": 0,
                     "content": "pub fn greet() -> &'static str {\n    \"Hello, Cursor\"\n}\n"}]}
            ],
        }),
    ));

    let o = [
        "f2000000-0000-4000-8000-000000000001",
        "f2000000-0000-4000-8000-000000000002",
    ];
    rows.push((
        format!("composerData:{OTHER}"),
        json!({"_v": 10, "composerId": OTHER, "name": "Elsewhere",
            "createdAt": 1_767_052_800_000_i64, "lastUpdatedAt": 1_767_052_860_000_i64,
            "fullConversationHeadersOnly": [header(o[0], 1), header(o[1], 2)]}),
    ));
    rows.push((
        format!("bubbleId:{OTHER}:{}", o[0]),
        json!({"_v": 3, "type": 1, "bubbleId": o[0], "text": "", "richText":
            lexical("Which files are in this folder?")}),
    ));
    rows.push((
        format!("bubbleId:{OTHER}:{}", o[1]),
        json!({"_v": 3, "type": 2, "bubbleId": o[1], "text": "Only README.md."}),
    ));
    rows.push((
        format!("composerData:{DRAFT}"),
        json!({"_v": 10, "composerId": DRAFT, "createdAt": 1_767_300_000_000_i64, "text": "",
            "fullConversationHeadersOnly": [], "conversationMap": {}, "status": "none"}),
    ));
    // Not a chat: other editor state shares the table.
    rows.push((
        format!("checkpointId:{SCENARIO}:0a1b2c3d"),
        json!({"files": []}),
    ));
    rows
}

/// Every file of the fixture home: path under the home, and its bytes (databases as rows).
pub enum File {
    Json(String, Value),
    Db(String, Vec<(&'static str, String, Value)>),
}

pub fn files() -> Vec<File> {
    let workspace = |folder: &str| json!({"folder": format!("file://{folder}")});
    let composers = |ids: &[&str]| {
        json!({"allComposers": ids.iter().map(|id| json!({"composerId": id,
            "type": "head", "unifiedMode": "agent"})).collect::<Vec<_>>(),
            "selectedComposerIds": [ids[0]]})
    };
    let global: Vec<(&'static str, String, Value)> = global_rows()
        .into_iter()
        .map(|(k, v)| ("cursorDiskKV", k, v))
        .chain([(
            "ItemTable",
            "workbench.view.lastActive".to_owned(),
            json!({"id": "composer"}),
        )])
        .collect();
    vec![
        File::Db("User/globalStorage/state.vscdb".into(), global),
        File::Json(
            format!("User/workspaceStorage/{WS_PROJECT}/workspace.json"),
            workspace(PROJECT),
        ),
        File::Db(
            format!("User/workspaceStorage/{WS_PROJECT}/state.vscdb"),
            vec![(
                "ItemTable",
                "composer.composerData".into(),
                composers(&[SCENARIO, OLDER, DRAFT]),
            )],
        ),
        File::Json(
            format!("User/workspaceStorage/{WS_ELSEWHERE}/workspace.json"),
            workspace(ELSEWHERE),
        ),
        File::Db(
            format!("User/workspaceStorage/{WS_ELSEWHERE}/state.vscdb"),
            vec![(
                "ItemTable",
                "composer.composerData".into(),
                composers(&[OTHER]),
            )],
        ),
    ]
}

/// The fixture home built at `root`, every JSON value written through `rewrite` (`None`: compact,
/// keys in their order, as JavaScript's `JSON.stringify` writes).
pub fn build(root: &Path, rewrite: Option<Rewrite>) {
    let mut salt = 0u64;
    let mut encode = |value: &Value| {
        salt += 1;
        let bytes = serde_json::to_vec(value).unwrap();
        match rewrite {
            None => bytes,
            Some(r) => r.salted(salt).apply(Format::Json, &bytes),
        }
    };
    for file in files() {
        match file {
            File::Json(path, value) => {
                let path = root.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, encode(&value)).unwrap();
            }
            File::Db(path, rows) => {
                let rows: Vec<_> = rows
                    .iter()
                    .map(|(t, k, v)| (*t, k.clone(), encode(v)))
                    .collect();
                write_db(&root.join(path), SCHEMA, &rows);
            }
        }
    }
}

/// Builds `tests/fixtures/malformed/` at `dir` (see its README).
pub fn build_malformed(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("not-a-database.vscdb"),
        b"this is not an SQLite database\n",
    )
    .unwrap();
    write_db(
        &dir.join("no-cursordiskkv.vscdb"),
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);",
        &[(
            "ItemTable",
            "workbench.view.lastActive".into(),
            b"{}".to_vec(),
        )],
    );
    let text = |v: Value| serde_json::to_vec(&v).unwrap();
    let good: Vec<(&str, String, Vec<u8>)> = global_rows()
        .into_iter()
        .map(|(k, v)| ("cursorDiskKV", k, text(v)))
        .collect();
    // The scenario's header is not JSON; the other chats still list.
    let mut broken = good.clone();
    broken[0].2 = b"{\"_v\":10,\"composerId\":".to_vec();
    write_db(&dir.join("broken-composer.vscdb"), SCHEMA, &broken);
    // The scenario's second bubble is gone, its fourth is not JSON.
    let mut missing = good.clone();
    missing.retain(|(_, k, _)| !k.ends_with("00000000a002"));
    for row in &mut missing {
        if row.1.ends_with("00000000a004") {
            row.2 = b"{\"type\":2,\"text\":".to_vec();
        }
    }
    write_db(&dir.join("missing-bubble.vscdb"), SCHEMA, &missing);
    // Fields of other types than Cursor writes: read as absent, or as the number they spell.
    let mut wrong = good;
    for row in &mut wrong {
        if row.1 == format!("composerData:{SCENARIO}") {
            let mut v: Value = serde_json::from_slice(&row.2).unwrap();
            v["name"] = json!(42);
            v["lastUpdatedAt"] = json!("1767225660000");
            v["modelConfig"] = json!("claude");
            row.2 = text(v);
        } else if row.1.ends_with("00000000a001") {
            let mut v: Value = serde_json::from_slice(&row.2).unwrap();
            v["type"] = json!("1");
            v["context"] = json!([1, 2]);
            v["createdAt"] = json!(true);
            row.2 = text(v);
        } else if row.1.ends_with("00000000a003") {
            let mut v: Value = serde_json::from_slice(&row.2).unwrap();
            v["toolFormerData"]["rawArgs"] = json!({"command": "printf '%s_%s\\n' HOK_OUT 42"});
            v["toolFormerData"]["result"] = json!(17);
            row.2 = text(v);
        } else if row.1.ends_with("00000000a005") {
            let mut v: Value = serde_json::from_slice(&row.2).unwrap();
            v["type"] = json!("assistant");
            v["text"] = json!(["not", "text"]);
            row.2 = text(v);
        }
    }
    write_db(&dir.join("wrong-types.vscdb"), SCHEMA, &wrong);
}

/// Rewrites the committed fixtures from this file.
#[test]
#[ignore = "rewrites tests/fixtures; run with --ignored regenerate"]
fn regenerate() {
    let _ = std::fs::remove_dir_all(home());
    build(&home(), None);
    build_malformed(&Path::new(FIXTURES).join("malformed"));
}

/// `(table, key, value)` of every row of a database.
pub fn dump(db: &Path) -> Vec<(String, String, Vec<u8>)> {
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut out = Vec::new();
    for table in ["ItemTable", "cursorDiskKV"] {
        let Ok(mut statement) = conn.prepare(&format!(
            "SELECT key, CAST(value AS BLOB) FROM {table} ORDER BY key"
        )) else {
            continue;
        };
        let rows = statement
            .query_map([], |r| Ok((table.to_owned(), r.get(0)?, r.get(1)?)))
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

#[test]
fn the_committed_fixtures_are_what_this_builds() {
    let built = tempfile::tempdir().unwrap();
    build(built.path(), None);
    build_malformed(&built.path().join("malformed"));
    for file in files() {
        let (File::Json(path, _) | File::Db(path, _)) = file;
        let (want, have) = (built.path().join(&path), home().join(&path));
        if path.ends_with(".vscdb") {
            assert_eq!(dump(&have), dump(&want), "{path}");
        } else {
            assert_eq!(
                std::fs::read(&have).unwrap(),
                std::fs::read(&want).unwrap(),
                "{path}"
            );
        }
    }
    for name in [
        "no-cursordiskkv.vscdb",
        "broken-composer.vscdb",
        "missing-bubble.vscdb",
        "wrong-types.vscdb",
    ] {
        assert_eq!(
            dump(&malformed(name)),
            dump(&built.path().join("malformed").join(name)),
            "{name}"
        );
    }
    assert_eq!(
        std::fs::read(malformed("not-a-database.vscdb")).unwrap(),
        std::fs::read(built.path().join("malformed/not-a-database.vscdb")).unwrap()
    );
}
