//! OpenCode 2.x databases: 1.18.33's schema upgraded by the migration that creates `session_v2`
//! and rebuilds `session_message` (`fixtures/v2/`), with rows shaped as OpenCode's public source
//! documents them. Built here, not written by the client (see `fixtures/README.md`).
#![allow(clippy::unwrap_used)]

use crate::adapter::{
    extract, fixtures, foreign_transcript, home_of, list_all, project_dir, schema_home,
};
use handoff_opencode::OpenCodeAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, INTERRUPTED_OUTPUT, InjectMode, InjectRequest, ListRequest,
    Message, Part, Role, ToolKind,
};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

const MAIN: &str = "ses_2f00000000001MainV2Session";
const OLDER: &str = "ses_2f00000000002OlderImported";
const CHILD: &str = "ses_2f00000000003ChildOfMain01";
const ELSEWHERE: &str = "ses_2f00000000004OtherProject";
const LATE_V1: &str = "ses_2f00000000005LateV1Session";

/// A data home whose database went through the 2.x migration, with one project row.
fn v2_home() -> (tempfile::TempDir, Connection) {
    let home = schema_home();
    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    conn.execute_batch(&std::fs::read_to_string(fixtures().join("v2/loose_psylocke.sql")).unwrap())
        .unwrap();
    conn.execute(
        "INSERT INTO project (id, worktree, vcs, time_created, time_updated, sandboxes)
         VALUES ('global', '/', NULL, 1, 1, '[]')",
        [],
    )
    .unwrap();
    (home, conn)
}

fn v2_session(conn: &Connection, id: &str, parent: Option<&str>, dir: &str, title: &str, at: i64) {
    conn.execute(
        "INSERT INTO session_v2 (id, project_id, parent_id, slug, directory, title, version, model,
                                 time_created, time_updated)
         VALUES (?1, 'global', ?2, 'slug', ?3, ?4, '2.0.3',
                 '{\"id\":\"claude-sonnet-4-5\",\"providerID\":\"anthropic\"}', ?5, ?5)",
        params![id, parent, dir, title, at],
    )
    .unwrap();
}

/// A `session_message` row: `data` as the client stores it (no id, no type, no role).
fn v2_message(conn: &Connection, session: &str, seq: i64, kind: &str, data: Value) {
    let created = data["time"]["created"].as_i64().unwrap();
    conn.execute(
        "INSERT INTO session_message (id, session_id, type, seq, time_created, time_updated, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        params![
            format!("msg_{session}_{seq}"),
            session,
            kind,
            seq,
            created,
            data.to_string()
        ],
    )
    .unwrap();
}

/// A 1.x session with one user prompt, as a 1.x client writes it.
fn v1_session(conn: &Connection, id: &str, dir: &str, title: &str, at: i64, prompt: &str) {
    conn.execute(
        "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, time_updated)
         VALUES (?1, 'global', 'slug', ?2, ?3, '1.18.33', ?4, ?4)",
        params![id, dir, title, at],
    )
    .unwrap();
    let message = format!("msg_{id}");
    let info = json!({"role": "user", "time": {"created": at},
        "model": {"providerID": "mock", "modelID": "mock-model"}});
    conn.execute(
        "INSERT INTO message (id, session_id, time_created, time_updated, data)
         VALUES (?1, ?2, ?3, ?3, ?4)",
        params![message, id, at, info.to_string()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![
            format!("prt_{id}"),
            message,
            id,
            at,
            json!({"type": "text", "text": prompt}).to_string()
        ],
    )
    .unwrap();
}

/// The main session's messages, inserted out of `seq` order: the reader must order them.
fn main_conversation(conn: &Connection) {
    let model = json!({"id": "claude-sonnet-4-5", "providerID": "anthropic"});
    let rows = [
        (
            5,
            "assistant",
            json!({"agent": "build", "model": model, "finish": "tool-calls",
            "time": {"created": 1005, "completed": 1006},
            "content": [
                {"type": "reasoning", "text": "V2_THINKING",
                    "providerMetadata": {"anthropic": {"signature": "c2lnbmF0dXJl"}}},
                {"type": "text", "text": "V2_BEFORE_TOOL"},
                {"type": "tool", "id": "call_ok", "name": "bash", "time": {"created": 1005},
                    "state": {"status": "completed",
                        "input": {"command": "echo V2_OUT", "description": "Echo"},
                        "content": [{"type": "text", "text": "V2_OUT"}]}},
                {"type": "tool", "id": "call_err", "name": "read", "time": {"created": 1005},
                    "state": {"status": "error", "input": {"filePath": "/nope.txt"},
                        "error": {"message": "V2_ERR_NOT_FOUND"}}},
                {"type": "future-content", "text": "V2_UNKNOWN_CONTENT"}
            ]}),
        ),
        (
            1,
            "user",
            json!({"text": "V2_USER_PROMPT", "agents": [], "skills": [], "time": {"created": 1001},
                "files": [{"url": "data:image/png;base64,iVBORw0KGgo=", "mime": "image/png",
                    "filename": "shot.png"}]}),
        ),
        (
            2,
            "system",
            json!({"text": "V2_SYSTEM_CONTEXT", "time": {"created": 1002}}),
        ),
        (
            3,
            "synthetic",
            json!({"text": "V2_SYNTHETIC_CONTEXT", "time": {"created": 1003}}),
        ),
        (
            4,
            "model-switched",
            json!({"model": {"id": "gpt-5", "providerID": "openai"}, "time": {"created": 1004}}),
        ),
        (
            6,
            "assistant",
            json!({"agent": "build", "model": model, "time": {"created": 1007},
                "content": [{"type": "text", "text": "V2_FAILED_REPLY"}],
                "error": {"name": "APIError", "message": "overloaded"}}),
        ),
        (
            7,
            "shell",
            json!({"shellID": "shell_1", "command": "ls V2_SHELL", "status": "completed",
                "exit": 0, "output": "V2_SHELL_OUT", "time": {"created": 1008, "completed": 1009}}),
        ),
        (
            8,
            "compaction",
            json!({"status": "completed", "reason": "auto", "summary": "V2_SUMMARY",
                "recent": "", "time": {"created": 1010}}),
        ),
        (
            9,
            "idle",
            json!({"outcome": "completed", "time": {"created": 1011}}),
        ),
        (
            10,
            "from-the-future",
            json!({"text": "V2_UNKNOWN_TYPE", "time": {"created": 1012}}),
        ),
        (
            11,
            "assistant",
            json!({"agent": "build", "model": model, "time": {"created": 1013},
            "content": [
                {"type": "text", "text": "V2_FINAL"},
                {"type": "tool", "id": "call_cut", "name": "grep", "time": {"created": 1013},
                    "state": {"status": "streaming", "input": "{\"pattern\": \"V2_"}}
            ]}),
        ),
    ];
    for (seq, kind, data) in rows {
        v2_message(conn, MAIN, seq, kind, data);
    }
}

/// The project `dir` with the main session, an older one, a subagent of the main one, and a
/// session of another project.
fn upgraded_home(dir: &str) -> (tempfile::TempDir, Connection) {
    let (home, conn) = v2_home();
    v2_session(&conn, MAIN, None, dir, "V2 main", 3000);
    v2_session(&conn, OLDER, None, dir, "V2 older", 1000);
    v2_session(&conn, CHILD, Some(MAIN), dir, "V2 subagent", 5000);
    v2_session(&conn, ELSEWHERE, None, "/elsewhere", "V2 elsewhere", 4000);
    main_conversation(&conn);
    v2_message(
        &conn,
        OLDER,
        1,
        "user",
        json!({"text": "V2_OLDER_PROMPT", "files": [], "agents": [], "skills": [],
            "time": {"created": 1000}}),
    );
    (home, conn)
}

/// The database file's bytes and mtime: what a reader or a refused writer must leave as it was
/// (SQLite's own `-shm` index may come and go beside it).
fn db_state(home: &tempfile::TempDir) -> (Vec<u8>, std::time::SystemTime) {
    let db = home.path().join("opencode.db");
    let modified = std::fs::metadata(&db).unwrap().modified().unwrap();
    (std::fs::read(&db).unwrap(), modified)
}

fn list_in(home: &tempfile::TempDir, cwd: &str) -> Vec<(String, Option<String>, usize)> {
    OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(home),
            cwd: Some(cwd.into()),
            ..ListRequest::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| (r.session_id, r.title, r.messages))
        .collect()
}

fn texts(message: &Message) -> Vec<&str> {
    message
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_2x_database_lists_its_root_sessions_of_the_project_newest_first() {
    let (dir, cwd) = project_dir();
    let (home, conn) = upgraded_home(&cwd);
    drop(conn);
    let before = db_state(&home);
    assert_eq!(
        list_in(&home, &cwd),
        vec![
            (MAIN.into(), Some("V2 main".into()), 4),
            (OLDER.into(), Some("V2 older".into()), 1),
        ],
        "no subagent, no other project; user and assistant rows counted"
    );
    let all: Vec<String> = list_all(&home).into_iter().map(|r| r.session_id).collect();
    assert_eq!(all, [ELSEWHERE, MAIN, OLDER]);
    assert_eq!(db_state(&home), before, "nothing written");
    drop(dir);
}

#[test]
fn a_2x_session_is_extracted_in_seq_order_with_calls_paired_to_results() {
    let (_dir, cwd) = project_dir();
    let (home, conn) = upgraded_home(&cwd);
    drop(conn);
    let before = db_state(&home);
    // A prefix is enough, as for 1.x ids.
    let extracted = extract(&home, &MAIN[..20]);
    assert_eq!(db_state(&home), before, "nothing written");

    let transcript = &extracted.transcript;
    assert_eq!(transcript.session.id, MAIN);
    assert_eq!(transcript.session.title.as_deref(), Some("V2 main"));
    assert_eq!(transcript.session.cwd.as_deref(), Some(cwd.as_str()));
    assert_eq!(
        transcript.session.model.as_deref(),
        Some("anthropic/claude-sonnet-4-5")
    );
    let report = &extracted.report;
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("OpenCode 2.x database") && w.contains("not proven")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.sidechains, 1, "the subagent session");
    assert_eq!(
        report.unknown_records,
        [
            ("from-the-future".to_owned(), 1),
            ("future-content".to_owned(), 1)
        ]
        .into()
    );

    let messages = &transcript.messages;
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::Assistant,
            Role::Assistant,
            Role::User,
            Role::Assistant
        ]
    );
    assert_eq!(texts(&messages[0]), ["V2_USER_PROMPT"]);
    assert_eq!(messages[0].timestamp_ms, Some(1001));
    assert!(matches!(&messages[0].parts[1], Part::Image(m)
        if m.media_type == "image/png" && m.data_base64.as_deref() == Some("iVBORw0KGgo=")));

    let reply = &messages[1];
    assert_eq!(reply.model.as_deref(), Some("anthropic/claude-sonnet-4-5"));
    assert_eq!(reply.extra["opencode_agent"], "build");
    assert!(
        matches!(&reply.parts[0], Part::Reasoning { text, signature, provider }
        if text == "V2_THINKING" && signature.as_deref() == Some("c2lnbmF0dXJl")
            && provider.as_deref() == Some("anthropic"))
    );
    assert_eq!(texts(reply), ["V2_BEFORE_TOOL"]);
    let calls: Vec<(&str, &str, ToolKind)> = reply
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolCall { id, name, tool, .. } => Some((id.as_str(), name.as_str(), tool.kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("call_ok", "bash", ToolKind::Shell),
            ("call_err", "read", ToolKind::Read)
        ]
    );
    let results = crate::tool_results(&reply.parts);
    assert_eq!(
        results,
        [
            ("call_ok", "V2_OUT", false),
            ("call_err", "V2_ERR_NOT_FOUND", true)
        ]
    );
    // Each result right after its call.
    assert!(matches!(&reply.parts[3], Part::ToolResult { call_id, .. } if call_id == "call_ok"));

    // The command the user ran reads as the shell call and output 1.x records for it.
    let shell = &messages[2];
    assert!(
        matches!(&shell.parts[0], Part::ToolCall { id, tool, input, .. }
        if id == "shell_1" && tool.kind == ToolKind::Shell && input["command"] == "ls V2_SHELL")
    );
    assert!(
        matches!(&shell.parts[1], Part::ToolResult { output, is_error: false, .. }
        if output == "V2_SHELL_OUT")
    );
    assert!(
        matches!(&messages[3].parts[..], [Part::Compaction { summary }] if summary == "V2_SUMMARY")
    );
    let last = &messages[4];
    assert_eq!(texts(last), ["V2_FINAL"]);
    assert!(
        matches!(&last.parts[2], Part::ToolResult { call_id, output, is_error: true, .. }
        if call_id == "call_cut" && output == INTERRUPTED_OUTPUT)
    );

    let all = serde_json::to_string(transcript).unwrap();
    for hidden in [
        "V2_SYSTEM_CONTEXT",
        "V2_SYNTHETIC_CONTEXT",
        "V2_FAILED_REPLY",
        "V2_UNKNOWN",
    ] {
        assert!(
            !all.contains(hidden),
            "{hidden} is not part of the conversation"
        );
    }
}

#[test]
fn frozen_1x_rows_are_not_listed_twice_and_late_1x_sessions_still_show() {
    let (_dir, cwd) = project_dir();
    let (home, conn) = upgraded_home(&cwd);
    // The copy the upgrade left behind, and a session a 1.x client made after it.
    v1_session(
        &conn,
        OLDER,
        &cwd,
        "V1 frozen copy",
        900,
        "V1_FROZEN_PROMPT",
    );
    v1_session(&conn, LATE_V1, &cwd, "V1 late", 2000, "V1_LATE_PROMPT");
    drop(conn);
    assert_eq!(
        list_in(&home, &cwd),
        vec![
            (MAIN.into(), Some("V2 main".into()), 4),
            (LATE_V1.into(), Some("V1 late".into()), 1),
            (OLDER.into(), Some("V2 older".into()), 1),
        ]
    );

    let older = extract(&home, OLDER);
    assert_eq!(texts(&older.transcript.messages[0]), ["V2_OLDER_PROMPT"]);
    let late = extract(&home, &LATE_V1[..24]);
    assert_eq!(texts(&late.transcript.messages[0]), ["V1_LATE_PROMPT"]);
    assert!(
        late.report
            .warnings
            .iter()
            .any(|w| w.contains("1.x session in an OpenCode 2.x database")),
        "{:?}",
        late.report.warnings
    );
}

#[test]
fn writing_into_a_2x_database_is_refused_and_nothing_is_written() {
    let (_dir, cwd) = project_dir();
    let (home, conn) = upgraded_home(&cwd);
    drop(conn);
    let before = db_state(&home);
    for mode in [InjectMode::Plan, InjectMode::Write] {
        let err = OpenCodeAdapter
            .inject(InjectRequest {
                home: home_of(&home),
                cwd: cwd.clone(),
                mode,
                transcript: foreign_transcript(),
            })
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unsupported, "{mode:?}");
        assert!(
            err.message
                .contains("an OpenCode 2.x database (table session_v2)")
                && err
                    .message
                    .contains("no OpenCode 2.x client can be run here")
                && !err.message.contains('\n'),
            "{err}"
        );
    }
    assert_eq!(db_state(&home), before, "file bytes unchanged");
}

#[test]
fn a_2x_table_without_the_columns_read_is_refused_in_one_line() {
    let home = schema_home();
    Connection::open(home.path().join("opencode.db"))
        .unwrap()
        .execute_batch("CREATE TABLE session_v2 (id TEXT PRIMARY KEY)")
        .unwrap();
    let err = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(&home),
            ..ListRequest::default()
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(
        err.message
            .contains("OpenCode 2.x database (table session_v2)")
            && err.message.contains("no column project_id")
            && !err.message.contains('\n'),
        "{err}"
    );
    let err = OpenCodeAdapter
        .extract(ExtractRequest {
            home: home_of(&home),
            session_id: Some(MAIN.into()),
            ..ExtractRequest::default()
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported, "{err}");
}
