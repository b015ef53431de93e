//! Writing sessions into a project's database, and taking them back.

use crate::support::{MAIN_ID, Machine, dump, fixture, fixture_bytes};
use handoff_adapter_kit::testing::{calls, foreign_transcript, outline, texts};
use handoff_crush::CrushAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, INTERRUPTED_OUTPUT, InjectMode, Media, Message, Part, Remove, Role,
    SessionMeta, Transcript, Written,
};
use rusqlite::Connection;
use serde_json::{Value, json};
use std::path::Path;

/// The rows of one table for one session, columns as text.
fn rows(db: &Path, sql: &str, id: &str) -> Vec<Vec<String>> {
    let conn = Connection::open(db).unwrap();
    let mut statement = conn.prepare(sql).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([id], |row| {
            Ok((0..columns)
                .map(|i| match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Real(x) => x.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(_) => "BLOB".to_owned(),
                })
                .collect())
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn parts_of(db: &Path, id: &str) -> Vec<Value> {
    rows(
        db,
        "SELECT parts FROM messages WHERE session_id = ?1 ORDER BY created_at, rowid",
        id,
    )
    .into_iter()
    .map(|row| serde_json::from_str(&row[0]).unwrap())
    .collect()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The schema statements of a database: tables, indexes, triggers.
fn schema(db: &Path) -> Vec<String> {
    dump(db)
        .into_iter()
        .filter(|line| line.starts_with("CREATE "))
        .collect()
}

#[test]
fn a_foreign_transcript_becomes_crush_rows_in_a_new_database_that_reads_back() {
    let machine = Machine::new();
    let project = machine.project("p");
    std::fs::write(
        machine.home.path().join("crush.json"),
        r#"{"models": {"large": {"model": "claude-opus-4", "provider": "anthropic"}}}"#,
    )
    .unwrap();
    let injected = machine.inject(&project, foreign_transcript());
    let id = injected.session_id.clone();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
    assert_eq!(injected.resume_command, format!("crush --session {id}"));
    let db = project.join(".crush/crush.db");
    assert_eq!(Path::new(&injected.path), db);
    let message_ids: Vec<String> = rows(
        &db,
        "SELECT id FROM messages WHERE session_id = ?1 ORDER BY rowid",
        &id,
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert_eq!(
        injected.written,
        [
            Written::Rows {
                path: injected.path.clone(),
                table: "sessions".into(),
                ids: vec![id.clone()]
            },
            Written::Rows {
                path: injected.path.clone(),
                table: "messages".into(),
                ids: message_ids
            },
        ]
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&project.join(".crush")), 0o700);
        assert_eq!(mode(&project.join(".crush/.gitignore")), 0o600);
    }
    assert_eq!(
        std::fs::read_to_string(project.join(".crush/.gitignore")).unwrap(),
        "*\n"
    );
    // The schema Crush migrates to, with goose's record of every migration: Crush finds
    // nothing to do.
    assert_eq!(schema(&db), schema(&fixture("crush.db")));
    let versions: Vec<String> = rows(
        &db,
        "SELECT version_id || ':' || is_applied FROM goose_db_version WHERE ?1 = ?1 ORDER BY id",
        "",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    assert_eq!(
        versions,
        [
            "0:1",
            "20250424200609:1",
            "20250515105448:1",
            "20250624000000:1",
            "20250627000000:1",
            "20250810000000:1",
            "20250812000000:1",
            "20260127000000:1"
        ]
    );

    let session = &rows(
        &db,
        "SELECT parent_session_id, title, message_count, prompt_tokens, completion_tokens, cost,
                summary_message_id, todos, created_at <= updated_at FROM sessions WHERE id = ?1",
        &id,
    )[0];
    assert_eq!(
        session,
        &[
            "NULL",
            "handoff: fix the build",
            "5",
            "0",
            "0",
            "0",
            "NULL",
            "NULL",
            "1"
        ]
    );
    let messages = rows(
        &db,
        "SELECT role, model, coalesce(provider, 'NULL'), is_summary_message, created_at,
                coalesce(finished_at, 'NULL')
         FROM messages WHERE session_id = ?1 ORDER BY created_at, rowid",
        &id,
    );
    let at = "1764000000";
    assert_eq!(
        messages,
        [
            ["user", "", "NULL", "0", at, "NULL"],
            ["assistant", "claude-opus-4", "anthropic", "0", at, at],
            ["tool", "", "NULL", "0", at, "NULL"],
            ["tool", "", "NULL", "0", at, "NULL"],
            ["assistant", "claude-opus-4", "anthropic", "0", at, at],
        ]
    );
    let parts = parts_of(&db, &id);
    let stop = json!({"type": "finish", "data": {"reason": "stop", "time": 0}});
    assert_eq!(
        parts[0],
        json!([{"type": "text", "data": {"text": "fix the build please"}}, stop])
    );
    let call = |id: &str, name: &str, input: Value| {
        json!({"type": "tool_call", "data": {"id": id, "name": name, "input": input.to_string(),
            "provider_executed": false, "finished": true}})
    };
    assert_eq!(
        parts[1],
        json!([
            {"type": "text", "data": {"text": "Running make."}},
            call("c1", "bash", json!({"command": "make", "working_dir": "/p", "description": "make"})),
            call("c2", "view", json!({"file_path": "/p/Makefile"})),
            {"type": "finish", "data": {"reason": "tool_use", "time": 1_764_000_000}},
        ])
    );
    let result = |id: &str, name: &str, content: &str, is_error: bool| {
        json!([{"type": "tool_result", "data": {"tool_call_id": id, "name": name,
            "content": content, "data": "", "mime_type": "", "metadata": "", "is_error": is_error}},
            stop])
    };
    assert_eq!(parts[2], result("c1", "bash", "make: ok", false));
    assert_eq!(parts[3], result("c2", "view", INTERRUPTED_OUTPUT, true));
    assert_eq!(
        parts[4],
        json!([{"type": "text", "data": {"text": "Done."}},
            {"type": "finish", "data": {"reason": "end_turn", "time": 1_764_000_000}}])
    );

    let back = machine.extract(Some(&project), Some(&id)).transcript;
    assert_eq!(
        back.session.title.as_deref(),
        Some("handoff: fix the build")
    );
    assert_eq!(
        outline(&back),
        [
            "text fix the build please",
            "text Running make.",
            "call bash Shell",
            "call view Read",
            "result false make: ok",
            &format!("result true {INTERRUPTED_OUTPUT}"),
            "text Done.",
        ]
    );
    let Part::ToolCall { tool, .. } = &calls(&back)[0] else {
        panic!("not a call")
    };
    assert_eq!(
        Value::Object(tool.args.clone()),
        json!({"command": "make", "workdir": "/p", "description": "make"})
    );
    assert_eq!(machine.list(Some(&project))[0].session_id, id);
}

#[test]
fn a_crush_session_round_trips_its_calls_and_reasoning() {
    let machine = Machine::new();
    let source = machine.project_with("source", &fixture_bytes());
    let original = machine.extract(Some(&source), Some(MAIN_ID)).transcript;
    let target = machine.project("target");
    let injected = machine.inject(&target, original.clone());
    let back = machine
        .extract(Some(&target), Some(&injected.session_id))
        .transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(outline(&back), outline(&original));
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        texts(&original.messages, Role::Assistant)
    );
    // Without a configured model, the session's own.
    let models = rows(
        &target.join(".crush/crush.db"),
        "SELECT DISTINCT model || '/' || provider FROM messages WHERE session_id = ?1 AND role = 'assistant'",
        &injected.session_id,
    );
    assert_eq!(models, [["claude-sonnet-4-5-20250929/anthropic"]]);
}

#[test]
fn a_summary_attachments_and_a_second_session_never_touch_what_is_there() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let db = project.join(".crush/crush.db");
    let before = dump(&db);
    let image = Media {
        media_type: "image/png".into(),
        data_base64: Some("iVBORw0KGgo=".into()),
        path: None,
        name: Some("shot.png".into()),
    };
    let broken = Media {
        data_base64: Some("not base64!".into()),
        ..image.clone()
    };
    let mut user = Message::new(
        Role::User,
        vec![
            Part::Text {
                text: "look".into(),
            },
            Part::Image(image),
            Part::Image(broken),
        ],
    );
    user.timestamp_ms = Some(1_700_000_000_000);
    let transcript = Transcript::new(
        SessionMeta {
            agent: "elsewhere".into(),
            ..SessionMeta::default()
        },
        vec![
            Message::new(
                Role::User,
                vec![Part::Compaction {
                    summary: "earlier work".into(),
                }],
            ),
            user,
            Message::new(
                Role::Assistant,
                vec![
                    Part::Reasoning {
                        text: "another model's thinking".into(),
                        signature: Some("sig".into()),
                        provider: Some("anthropic".into()),
                    },
                    Part::Text {
                        text: "seen".into(),
                    },
                ],
            ),
        ],
    );
    let first = machine.inject(&project, transcript.clone());
    let second = machine.inject(&project, transcript);
    assert_ne!(first.session_id, second.session_id);
    let parts = parts_of(&db, &first.session_id);
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[1][1],
        json!({"type": "binary", "data": {"Path": "shot.png", "MIMEType": "image/png", "Data": "iVBORw0KGgo="}})
    );
    assert_eq!(
        parts[1][0]["data"]["text"],
        "look\n\n[attachment: shot.png (image/png)]"
    );
    // Another model's reasoning is not replayed as Crush's.
    assert_eq!(parts[2][0]["type"], "text");
    let summary = rows(
        &db,
        "SELECT m.id, m.is_summary_message, m.role, s.title FROM sessions s
         JOIN messages m ON m.id = s.summary_message_id WHERE s.id = ?1",
        &first.session_id,
    );
    assert_eq!(summary[0][1..], ["1", "assistant", "handoff: look"]);
    let back = machine.extract(Some(&project), Some(&first.session_id));
    assert!(matches!(
        &back.transcript.messages[0].parts[0],
        Part::Compaction { summary } if summary == "earlier work"
    ));
    assert!(
        matches!(&back.transcript.messages[1].parts[1], Part::Image(m) if m.media_type == "image/png")
    );

    // The fixture's sessions are as they were.
    let after: Vec<String> = dump(&db)
        .into_iter()
        .filter(|line| !line.contains(&first.session_id) && !line.contains(&second.session_id))
        .collect();
    assert_eq!(after, before);
}

#[test]
fn a_failed_write_leaves_nothing() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let db = project.join(".crush/crush.db");
    // The disk fills up on the third message.
    Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER disk_full BEFORE INSERT ON messages
             WHEN (SELECT count(*) FROM messages WHERE session_id = NEW.session_id) >= 2
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
        )
        .unwrap();
    let before = dump(&db);
    let error = machine
        .try_inject(&project, InjectMode::Write, foreign_transcript())
        .unwrap_err();
    assert!(error.message.contains("disk is full"), "{error}");
    assert!(error.message.contains(&db.display().to_string()), "{error}");
    assert_eq!(dump(&db), before);
}

#[test]
fn a_database_of_a_newer_crush_is_refused_and_left_alone() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let db = project.join(".crush/crush.db");
    Connection::open(&db)
        .unwrap()
        .execute_batch(
            "INSERT INTO goose_db_version (version_id, is_applied) VALUES (20270101000000, 1)",
        )
        .unwrap();
    let before = dump(&db);
    for mode in [InjectMode::Plan, InjectMode::Write] {
        let error = machine
            .try_inject(&project, mode, foreign_transcript())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Unsupported, "{error}");
        assert!(error.message.contains("20270101000000"), "{error}");
    }
    assert_eq!(dump(&db), before);
    // Still read.
    assert_eq!(machine.list(Some(&project)).len(), 2);
}

#[test]
fn plan_and_render_write_nothing() {
    let machine = Machine::new();
    let project = machine.project("p");
    let planned = machine
        .try_inject(&project, InjectMode::Plan, foreign_transcript())
        .unwrap();
    assert!(planned.written.is_empty());
    assert_eq!(Path::new(&planned.path), project.join(".crush/crush.db"));
    let rendered = machine
        .try_inject(&project, InjectMode::Render, foreign_transcript())
        .unwrap();
    let rows: Value = serde_json::from_str(&rendered.rendered.unwrap()).unwrap();
    assert_eq!(rows["session"]["title"], "handoff: fix the build");
    assert_eq!(rows["messages"][1]["parts"][1]["type"], "tool_call");
    assert!(!project.join(".crush").exists());
    assert_eq!(std::fs::read_dir(machine.home.path()).unwrap().count(), 0);

    let nothing = Transcript::new(
        SessionMeta::default(),
        vec![Message::new(
            Role::System,
            vec![Part::Text {
                text: "prompt".into(),
            }],
        )],
    );
    let error = machine
        .try_inject(&project, InjectMode::Write, nothing)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(!project.join(".crush").exists());
}

#[test]
fn remove_takes_back_exactly_what_was_written() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let db = project.join(".crush/crush.db");
    let before = dump(&db);
    let injected = machine.inject(&project, foreign_transcript());
    assert_ne!(dump(&db), before);
    let answer = CrushAdapter.remove(Remove(injected.clone())).unwrap();
    assert_eq!(answer["removed"], 6);
    assert_eq!(dump(&db), before);
    // Again: nothing is left to remove.
    let answer = CrushAdapter.remove(Remove(injected)).unwrap();
    assert_eq!(answer["removed"], 0);
}
