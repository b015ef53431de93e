//! The OpenCode adapter over real bytes: the legacy JSON tree, a database the real opencode-ai
//! 1.18.33 wrote (`fixtures/real/`), and databases with its exact schema to write into.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use handoff_adapter_kit::testing::shared_call;
use handoff_adapter_kit::testing::{Format, Observation, Rewrite, differences, extracted, listed};
use handoff_opencode::{KiloAdapter, OpenCodeAdapter};
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, INTERRUPTED_OUTPUT, InjectMode, InjectRequest, Injected,
    ListRequest, Message, Part, Role, SessionMeta, Tool, ToolKind, Transcript, Written,
};
use rusqlite::Connection;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Once;

const REAL_SESSION: &str = "ses_df4dad3a5ffe34Xtv7dLURTax8";
const REAL_PROJECT_DIR: &str = "/tmp/handoff-conf-kJnvWF/work/project";
const LEGACY_SESSION: &str = "ses_df50c8024ffeGLzF4GeqzMcDBh";

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One OpenCode config for the whole test binary: provider `mock` with `mock-model`, the default.
pub(crate) fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let config = dir.join("config/opencode");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("opencode.jsonc"),
            r#"{
              // as the conformance sandbox configures it
              "provider": {"mock": {"npm": "@ai-sdk/openai-compatible", "models": {"mock-model": {"tool_call": true}}}},
              "model": "mock/mock-model",
            }"#,
        )
        .unwrap();
        // SAFETY: runs once, before any test reads the environment (every test calls setup first).
        unsafe {
            std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
            std::env::set_var("XDG_STATE_HOME", dir.join("state"));
            std::env::set_var("XDG_DATA_HOME", dir.join("data"));
            std::env::remove_var("OPENCODE_DB");
            std::env::remove_var("OPENCODE_CONFIG");
            std::env::remove_var("OPENCODE_CONFIG_CONTENT");
        }
    });
}

/// A data home holding a copy of the real client's database.
fn real_home() -> tempfile::TempDir {
    setup();
    let home = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("real/opencode.db"),
        home.path().join("opencode.db"),
    )
    .unwrap();
    home
}

/// A data home with an empty database of 1.18.33's exact schema and migrations (tests only).
pub(crate) fn schema_home() -> tempfile::TempDir {
    setup();
    let home = tempfile::tempdir().unwrap();
    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(&std::fs::read_to_string(fixtures().join("schema-1.18.33.sql")).unwrap())
        .unwrap();
    let migrations = std::fs::read_to_string(fixtures().join("migrations-1.18.33.txt")).unwrap();
    for id in migrations.lines() {
        conn.execute("INSERT INTO migration VALUES (?1, 1)", [id])
            .unwrap();
    }
    home
}

pub(crate) fn project_dir() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = std::fs::canonicalize(dir.path())
        .unwrap()
        .display()
        .to_string();
    (dir, path)
}

pub(crate) fn home_of(dir: &tempfile::TempDir) -> Option<String> {
    Some(dir.path().display().to_string())
}

/// Every session of the home, newest first.
pub(crate) fn list_all(home: &tempfile::TempDir) -> Vec<handoff_plugin_api::SessionSummary> {
    OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(home),
            ..ListRequest::default()
        })
        .unwrap()
}

pub(crate) fn extract(home: &tempfile::TempDir, id: &str) -> handoff_plugin_api::Extracted {
    OpenCodeAdapter
        .extract(ExtractRequest {
            home: home_of(home),
            session_id: Some(id.into()),
            ..ExtractRequest::default()
        })
        .unwrap()
}

fn inject(
    home: &tempfile::TempDir,
    cwd: &str,
    mode: InjectMode,
    transcript: Transcript,
) -> Injected {
    OpenCodeAdapter
        .inject(InjectRequest {
            home: home_of(home),
            cwd: cwd.into(),
            mode,
            transcript,
        })
        .unwrap()
}

fn text(t: &str) -> Part {
    Part::Text { text: t.into() }
}

fn message(role: Role, ms: i64, parts: Vec<Part>) -> Message {
    let mut m = Message::new(role, parts);
    m.timestamp_ms = Some(ms);
    m
}

/// A Claude-shaped conversation as the host's normalize step hands it over: results come back in
/// user messages; text follows a tool call in the same turn; one call was never answered, so it
/// has the interrupted result right after it.
pub(crate) fn foreign_transcript() -> Transcript {
    let base = 1_760_000_000_000;
    let meta = SessionMeta {
        id: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        agent: "claude".into(),
        title: Some("Fix the build".into()),
        model: Some("claude-sonnet-4-5-20250929".into()),
        ..SessionMeta::default()
    };
    Transcript::new(
        meta,
        vec![
            message(Role::User, base, vec![text("USER_ONE: make notes.txt")]),
            message(
                Role::Assistant,
                base + 10,
                vec![
                    Part::Reasoning {
                        text: "THINKING_ONE".into(),
                        signature: Some("c2lnbmF0dXJl".into()),
                        provider: Some("anthropic".into()),
                    },
                    text("ASSISTANT_BEFORE_TOOL"),
                    shared_call(
                        "toolu_1",
                        "run",
                        ToolKind::Shell,
                        json!({"command": "echo hi > notes.txt", "description": "Write notes"}),
                    ),
                ],
            ),
            message(
                Role::User,
                base + 20,
                vec![Part::ToolResult {
                    call_id: "toolu_1".into(),
                    output: "TOOL_OUTPUT_ONE".into(),
                    images: Vec::new(),
                    is_error: false,
                }],
            ),
            message(
                Role::Assistant,
                base + 30,
                vec![
                    text("ASSISTANT_AFTER_TOOL"),
                    shared_call(
                        "toolu_2",
                        "open",
                        ToolKind::Read,
                        json!({"path": "/nope.txt"}),
                    ),
                ],
            ),
            message(
                Role::User,
                base + 40,
                vec![Part::ToolResult {
                    call_id: "toolu_2".into(),
                    output: "File does not exist.".into(),
                    images: Vec::new(),
                    is_error: true,
                }],
            ),
            message(
                Role::Assistant,
                base + 50,
                vec![
                    Part::ToolCall {
                        id: "toolu_3".into(),
                        name: "mcp__github__create_issue".into(),
                        input: json!({"title": "x"}),
                        tool: Tool::default(),
                    },
                    Part::ToolResult {
                        call_id: "toolu_3".into(),
                        output: INTERRUPTED_OUTPUT.into(),
                        images: Vec::new(),
                        is_error: true,
                    },
                    text("FINAL_TEXT"),
                ],
            ),
        ],
    )
}

fn rows(conn: &Connection, sql: &str, id: &str) -> Vec<(String, i64, Value)> {
    let mut statement = conn.prepare(sql).unwrap();
    statement
        .query_map([id], |row| {
            let data: String = row.get(2)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                serde_json::from_str(&data).unwrap(),
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[test]
fn legacy_json_tree_is_listed_and_extracted() {
    setup();
    let home = tempfile::tempdir().unwrap();
    let storage = fixtures().join("legacy-1.1/storage");
    // The adapter reads the tree in place; it never writes while extracting.
    let home_path = home.path().join("oc");
    std::fs::create_dir_all(&home_path).unwrap();
    std::os::unix::fs::symlink(&storage, home_path.join("storage")).unwrap();
    let home_opt = Some(home_path.display().to_string());

    let all = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_opt.clone(),
            ..ListRequest::default()
        })
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].session_id, LEGACY_SESSION);
    assert_eq!(all[0].messages, 3);
    assert_eq!(all[0].cwd.as_deref(), Some("/tmp/oc-legacy.LudALa/proj"));
    let other = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_opt.clone(),
            cwd: Some("/somewhere/else".into()),
            ..ListRequest::default()
        })
        .unwrap();
    assert!(other.is_empty());

    let extracted = OpenCodeAdapter
        .extract(ExtractRequest {
            home: home_opt,
            session_id: Some("ses_df50c8".into()),
            ..ExtractRequest::default()
        })
        .unwrap();
    let t = &extracted.transcript;
    assert_eq!(t.session.agent, "opencode");
    assert_eq!(t.session.model.as_deref(), Some("mock/mock-model"));
    assert_eq!(t.messages.len(), 3);
    assert_eq!(t.messages[0].role, Role::User);
    assert_eq!(
        t.messages[0].parts,
        vec![text(
            "HANDOFF_USER_MARKER: create notes.txt containing hello"
        )]
    );
    assert_eq!(
        t.messages[1].parts,
        vec![
            shared_call(
                "toolu_handoff_1",
                "bash",
                ToolKind::Shell,
                json!({"command": "echo hello > notes.txt && cat notes.txt", "description": "Create notes.txt"}),
            ),
            Part::ToolResult {
                call_id: "toolu_handoff_1".into(),
                output: "HANDOFF_TOOL_OUTPUT_MARKER hello\n".into(),
                images: Vec::new(),
                is_error: false,
            },
        ]
    );
    assert_eq!(
        t.messages[2].parts,
        vec![text(
            "HANDOFF_ASSISTANT_MARKER: notes.txt now contains hello."
        )]
    );
    assert_eq!(extracted.report.skipped_lines, 0);
}

#[test]
fn legacy_tree_without_a_database_is_not_written_for_a_current_install() {
    setup();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("storage/session")).unwrap();
    let (_dir, cwd) = project_dir();
    let err = OpenCodeAdapter
        .inject(InjectRequest {
            home: home_of(&home),
            cwd,
            mode: InjectMode::Write,
            transcript: foreign_transcript(),
        })
        .unwrap_err();
    assert!(err.message.contains("run any `opencode` command"), "{err}");
    assert!(!home.path().join("opencode.db").exists());
    assert_eq!(
        std::fs::read_dir(home.path().join("storage/session"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn no_store_at_all_says_how_to_create_the_database() {
    setup();
    let home = tempfile::tempdir().unwrap();
    let (_dir, cwd) = project_dir();
    for mode in [InjectMode::Write, InjectMode::Plan] {
        let err = OpenCodeAdapter
            .inject(InjectRequest {
                home: home_of(&home),
                cwd: cwd.clone(),
                mode,
                transcript: foreign_transcript(),
            })
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert!(
            err.message.contains("opencode.db")
                && err.message.contains("run any `opencode` command"),
            "{err}"
        );
    }
    assert!(
        !home.path().join("opencode.db").exists(),
        "never create OpenCode's schema"
    );
    let listed = list_all(&home);
    assert!(listed.is_empty());
}

#[test]
fn real_database_is_listed_and_extracted_in_order() {
    let home = real_home();
    let listed = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(&home),
            cwd: Some(REAL_PROJECT_DIR.into()),
            limit: Some(5),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].session_id, REAL_SESSION);
    assert_eq!(listed[0].messages, 4);
    assert_eq!(listed[0].title.as_deref(), Some("mock reply"));

    // Most recent session of the project, without an id.
    let extracted = OpenCodeAdapter
        .extract(ExtractRequest {
            home: home_of(&home),
            cwd: Some(REAL_PROJECT_DIR.into()),
            ..ExtractRequest::default()
        })
        .unwrap();
    let t = &extracted.transcript;
    assert_eq!(t.session.id, REAL_SESSION);
    assert_eq!(t.session.cwd.as_deref(), Some(REAL_PROJECT_DIR));
    assert_eq!(t.session.model.as_deref(), Some("mock/mock-model"));
    let roles: Vec<Role> = t.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::Assistant,
            Role::Assistant,
            Role::Assistant
        ]
    );
    let Part::Text { text: prompt } = &t.messages[0].parts[0] else {
        panic!("{:?}", t.messages[0])
    };
    assert!(prompt.contains("HOK_USER_PROMPT_a41c"));
    let kinds = |m: &Message| -> Vec<&'static str> {
        m.parts
            .iter()
            .map(|p| match p {
                Part::Text { .. } => "text",
                Part::ToolCall { .. } => "call",
                Part::ToolResult { .. } => "result",
                _ => "other",
            })
            .collect()
    };
    assert_eq!(kinds(&t.messages[1]), ["text", "call", "result"]);
    assert!(
        matches!(&t.messages[1].parts[1], Part::ToolCall { name, input, .. }
        if name == "bash" && input["command"].as_str().unwrap().contains("HOK_OUT 42"))
    );
    assert!(
        matches!(&t.messages[1].parts[2], Part::ToolResult { output, is_error: false, .. }
        if output.contains("HOK_OUT_42"))
    );
    assert!(
        matches!(&t.messages[2].parts[1], Part::ToolResult { output, is_error: true, .. }
        if output.contains("HOK_ERR_FILE_9d07"))
    );
    assert!(
        matches!(&t.messages[3].parts[0], Part::Text { text } if text.starts_with("HOK_FINAL_REPLY_c3f8"))
    );

    // A prefix finds it; a prefix of nothing does not.
    assert_eq!(
        extract(&home, "ses_df4dad").transcript.session.id,
        REAL_SESSION
    );
    let err = OpenCodeAdapter
        .extract(ExtractRequest {
            home: home_of(&home),
            session_id: Some("ses_zzz".into()),
            ..ExtractRequest::default()
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[test]
fn foreign_conversation_is_written_in_opencodes_own_layout() {
    let home = schema_home();
    let (_dir, cwd) = project_dir();
    let injected = inject(&home, &cwd, InjectMode::Write, foreign_transcript());
    assert!(injected.session_id.starts_with("ses_") && injected.session_id.len() == 30);
    assert_eq!(
        injected.resume_command,
        format!("opencode --session {}", injected.session_id)
    );

    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    let (project_id, directory, title): (String, String, String) = conn
        .query_row(
            "SELECT project_id, directory, title FROM session WHERE id = ?1",
            [&injected.session_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        project_id, "global",
        "a directory outside git belongs to OpenCode's global project"
    );
    assert_eq!(directory, cwd);
    assert_eq!(title, "Fix the build");

    let messages = rows(
        &conn,
        "SELECT id, time_created, data FROM message WHERE session_id = ?1 ORDER BY time_created, id",
        &injected.session_id,
    );
    let roles: Vec<(&str, Option<&str>)> = messages
        .iter()
        .map(|(_, _, d)| (d["role"].as_str().unwrap(), d["finish"].as_str()))
        .collect();
    assert_eq!(
        roles,
        [
            ("user", None),
            ("assistant", Some("tool-calls")), // reasoning, text, bash
            ("assistant", Some("tool-calls")), // text after the tool result, read
            ("assistant", Some("tool-calls")), // the interrupted MCP call
            ("assistant", Some("stop")),       // text after it
        ]
    );
    // Insertion order is the read order: ids ascend with it.
    let ids: Vec<&String> = messages.iter().map(|(id, _, _)| id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    let user = &messages[0].2;
    assert_eq!(user["agent"], "build");
    assert_eq!(
        user["model"],
        json!({"providerID": "mock", "modelID": "mock-model"}),
        "unknown source model → default"
    );
    for (id, _, info) in &messages[1..] {
        for field in [
            "mode",
            "agent",
            "path",
            "tokens",
            "cost",
            "parentID",
            "modelID",
            "providerID",
        ] {
            assert!(info.get(field).is_some(), "{id} lacks {field}");
        }
        assert_eq!(info["path"]["cwd"], cwd.as_str());
        assert_eq!(info["parentID"], messages[0].0.as_str());
        assert!(info["time"]["completed"].as_i64() >= info["time"]["created"].as_i64());
        assert_eq!(
            info["providerID"], "mock",
            "foreign model ids are not written"
        );

        let parts = rows(
            &conn,
            "SELECT id, time_created, data FROM part WHERE message_id = ?1 ORDER BY id",
            id,
        );
        let types: Vec<&str> = parts
            .iter()
            .map(|(_, _, d)| d["type"].as_str().unwrap())
            .collect();
        assert_eq!(types.first(), Some(&"step-start"));
        assert_eq!(types.last(), Some(&"step-finish"));
        assert_eq!(parts.last().unwrap().2["reason"], info["finish"]);
        for (_, _, part) in &parts {
            if part["type"] == "tool" {
                let state = &part["state"];
                assert!(
                    matches!(state["status"].as_str(), Some("completed" | "error")),
                    "{part}"
                );
                assert!(
                    state["time"]["start"].is_i64() && state["time"]["end"].is_i64(),
                    "{part}"
                );
            }
        }
    }
    let part_data = |message: usize| -> Vec<Value> {
        rows(
            &conn,
            "SELECT id, time_created, data FROM part WHERE message_id = ?1 ORDER BY id",
            &messages[message].0,
        )
        .into_iter()
        .map(|(_, _, d)| d)
        .collect()
    };
    let first = part_data(1);
    assert_eq!(first[1]["type"], "reasoning");
    assert_eq!(first[1]["text"], "THINKING_ONE");
    assert_eq!(first[2]["text"], "ASSISTANT_BEFORE_TOOL");
    assert_eq!(first[3]["tool"], "bash");
    assert_eq!(first[3]["callID"], "toolu_1");
    assert_eq!(
        first[3]["state"]["input"],
        json!({"command": "echo hi > notes.txt", "description": "Write notes"})
    );
    assert_eq!(first[3]["state"]["status"], "completed");
    assert_eq!(first[3]["state"]["output"], "TOOL_OUTPUT_ONE");
    let second = part_data(2);
    assert_eq!(second[1]["text"], "ASSISTANT_AFTER_TOOL");
    assert_eq!(second[2]["tool"], "read");
    assert_eq!(
        second[2]["state"]["input"],
        json!({"filePath": "/nope.txt"})
    );
    assert_eq!(second[2]["state"]["status"], "error");
    assert_eq!(second[2]["state"]["error"], "File does not exist.");
    let third = part_data(3);
    assert_eq!(
        third[1]["tool"], "mcp__github__create_issue",
        "unknown tools keep their name"
    );
    assert_eq!(third[1]["state"]["status"], "error");
    assert_eq!(third[1]["state"]["error"], INTERRUPTED_OUTPUT);
    assert_eq!(part_data(4)[1]["text"], "FINAL_TEXT");

    // Everything written is reported, table by table.
    let count = |table: &str| -> usize {
        injected
            .written
            .iter()
            .filter_map(|w| match w {
                Written::Rows { table: t, ids, .. } if t == table => Some(ids.len()),
                _ => None,
            })
            .sum()
    };
    assert_eq!(
        (count("project"), count("session"), count("message")),
        (1, 1, 5)
    );
    let parts_in_db: i64 = conn
        .query_row(
            "SELECT count(*) FROM part WHERE session_id = ?1",
            [&injected.session_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count("part") as i64, parts_in_db);
}

#[test]
fn written_session_reads_back_lists_under_its_project_and_is_removed_exactly() {
    let home = real_home();
    let (_dir, cwd) = project_dir();
    let before = extract(&home, REAL_SESSION);
    let injected = inject(&home, &cwd, InjectMode::Write, foreign_transcript());

    let listed = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(&home),
            cwd: Some(cwd.clone()),
            limit: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].session_id, injected.session_id);
    assert_eq!(listed[0].messages, 5);
    let all = list_all(&home);
    assert_eq!(all[0].session_id, injected.session_id, "newest first");
    assert_eq!(all.len(), 2);

    let back = extract(&home, &injected.session_id).transcript;
    let flat: Vec<&Part> = back.messages.iter().flat_map(|m| &m.parts).collect();
    let texts: Vec<&str> = flat
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        [
            "USER_ONE: make notes.txt",
            "ASSISTANT_BEFORE_TOOL",
            "ASSISTANT_AFTER_TOOL",
            "FINAL_TEXT"
        ]
    );
    let results = crate::tool_results(flat.iter().copied());
    assert_eq!(
        results,
        [
            ("toolu_1", "TOOL_OUTPUT_ONE", false),
            ("toolu_2", "File does not exist.", true),
            ("toolu_3", INTERRUPTED_OUTPUT, true)
        ]
    );
    assert!(flat.iter().any(
        |p| matches!(p, Part::Reasoning { text, signature: None, .. } if text == "THINKING_ONE")
    ));

    // Undo removes exactly what was written; the real session is untouched.
    let answer = OpenCodeAdapter
        .call("remove", serde_json::to_value(&injected).unwrap())
        .unwrap();
    let written_rows: usize = injected
        .written
        .iter()
        .map(|w| match w {
            Written::Rows { ids, .. } => ids.len(),
            Written::File { .. } => 0,
        })
        .sum();
    assert_eq!(answer["removed"], written_rows);
    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM session WHERE id = ?1) + (SELECT count(*) FROM message WHERE session_id = ?1) + (SELECT count(*) FROM part WHERE session_id = ?1)",
            [&injected.session_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
    let projects: i64 = conn
        .query_row("SELECT count(*) FROM project", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        projects, 1,
        "the project row we added is gone, the real one stays"
    );
    assert_eq!(extract(&home, REAL_SESSION), before);
}

#[test]
fn unpaired_input_is_written_without_inventing_results() {
    // Not what the host sends, but a direct caller may: nothing panics, nothing is made up. The
    // unanswered call stays pending, which reads back as interrupted, as OpenCode shows it.
    let home = schema_home();
    let (_dir, cwd) = project_dir();
    let base = 1_760_000_000_000;
    let transcript = Transcript::new(
        SessionMeta {
            agent: "claude".into(),
            ..SessionMeta::default()
        },
        vec![
            message(Role::User, base, vec![text("go")]),
            message(
                Role::Assistant,
                base + 10,
                vec![shared_call(
                    "toolu_a",
                    "run",
                    ToolKind::Shell,
                    json!({"command": "ls"}),
                )],
            ),
            message(
                Role::User,
                base + 20,
                vec![Part::ToolResult {
                    call_id: "toolu_lost".into(),
                    output: "lost output".into(),
                    images: Vec::new(),
                    is_error: false,
                }],
            ),
        ],
    );
    let injected = inject(&home, &cwd, InjectMode::Write, transcript);
    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    let states: Vec<String> = rows(
        &conn,
        "SELECT id, time_created, data FROM part WHERE session_id = ?1 ORDER BY id",
        &injected.session_id,
    )
    .into_iter()
    .filter(|(_, _, d)| d["type"] == "tool")
    .map(|(_, _, d)| d["state"]["status"].as_str().unwrap().to_owned())
    .collect();
    assert_eq!(states, ["pending"]);

    let back = extract(&home, &injected.session_id).transcript;
    let flat: Vec<&Part> = back.messages.iter().flat_map(|m| &m.parts).collect();
    assert!(flat.iter().any(|p| matches!(p,
        Part::ToolResult { call_id, output, is_error: true, .. }
            if call_id == "toolu_a" && output == INTERRUPTED_OUTPUT)));
    assert!(flat.iter().any(
        |p| matches!(p, Part::Text { text } if text == "[result of tool call toolu_lost]\nlost output")
    ));
}

#[test]
fn opencode_to_opencode_keeps_the_conversation_and_the_known_model() {
    let home = real_home();
    let (_dir, cwd) = project_dir();
    let source = extract(&home, REAL_SESSION).transcript;
    let injected = inject(&home, &cwd, InjectMode::Write, source.clone());
    let copy = extract(&home, &injected.session_id).transcript;
    assert_eq!(copy.messages.len(), source.messages.len());
    for (a, b) in source.messages.iter().zip(&copy.messages) {
        assert_eq!(a.role, b.role);
        assert_eq!(a.parts, b.parts);
        assert_eq!(b.model.as_deref(), Some("mock/mock-model"));
    }
}

#[test]
fn render_gives_the_import_format_and_writes_nothing() {
    setup();
    let home = tempfile::tempdir().unwrap();
    let (_dir, cwd) = project_dir();
    let injected = inject(&home, &cwd, InjectMode::Render, foreign_transcript());
    assert!(injected.written.is_empty());
    assert!(std::fs::read_dir(home.path()).unwrap().next().is_none());
    let export: Value = serde_json::from_str(injected.rendered.as_deref().unwrap()).unwrap();
    assert_eq!(export["info"]["id"], injected.session_id.as_str());
    assert_eq!(export["info"]["directory"], cwd.as_str());
    assert_eq!(export["info"]["projectID"], "global");
    let messages = export["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 5);
    for m in messages {
        assert_eq!(m["info"]["sessionID"], injected.session_id.as_str());
        for p in m["parts"].as_array().unwrap() {
            assert_eq!(p["messageID"], m["info"]["id"]);
            assert!(p["id"].as_str().unwrap().starts_with("prt_"));
        }
    }
}

#[test]
fn unknown_schema_is_refused_and_nothing_is_written() {
    let home = schema_home();
    let db = home.path().join("opencode.db");
    Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO migration VALUES ('20990101000000_from_the_future', 1)",
            [],
        )
        .unwrap();
    let (_dir, cwd) = project_dir();
    for mode in [InjectMode::Plan, InjectMode::Write] {
        let err = OpenCodeAdapter
            .inject(InjectRequest {
                home: home_of(&home),
                cwd: cwd.clone(),
                mode,
                transcript: foreign_transcript(),
            })
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unsupported);
        assert!(
            err.message.contains("20990101000000_from_the_future"),
            "{err}"
        );
    }
    let sessions: i64 = Connection::open(&db)
        .unwrap()
        .query_row("SELECT count(*) FROM session", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sessions, 0);
}

#[test]
fn write_waits_for_a_running_opencode_to_release_its_lock() {
    let home = real_home();
    let db = home.path().join("opencode.db");
    let (_dir, cwd) = project_dir();
    let holder = Connection::open(&db).unwrap();
    holder
        .execute_batch("PRAGMA journal_mode=WAL; BEGIN IMMEDIATE;")
        .unwrap();
    holder
        .execute(
            "UPDATE session SET title = 'held' WHERE id = ?1",
            [REAL_SESSION],
        )
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(700));
        holder.execute_batch("COMMIT").unwrap();
    });
    let started = std::time::Instant::now();
    let injected = inject(&home, &cwd, InjectMode::Write, foreign_transcript());
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(500),
        "it waited for the lock"
    );
    release.join().unwrap();
    assert_eq!(
        extract(&home, &injected.session_id)
            .transcript
            .messages
            .len(),
        5
    );
    assert_eq!(
        extract(&home, REAL_SESSION)
            .transcript
            .session
            .title
            .as_deref(),
        Some("held")
    );
}

#[test]
fn plan_decides_without_writing() {
    let home = real_home();
    let (_dir, cwd) = project_dir();
    let planned = inject(&home, &cwd, InjectMode::Plan, foreign_transcript());
    assert!(planned.session_id.starts_with("ses_"));
    assert!(planned.written.is_empty());
    let all = list_all(&home);
    assert_eq!(all.len(), 1);
}

#[test]
fn compaction_and_images_use_opencodes_own_records() {
    let home = schema_home();
    let (_dir, cwd) = project_dir();
    let png = "iVBORw0KGgo=";
    let image = handoff_plugin_api::Media {
        media_type: "image/png".into(),
        data_base64: Some(png.into()),
        path: None,
        name: Some("shot.png".into()),
    };
    let transcript = Transcript::new(
        SessionMeta {
            agent: "codex".into(),
            ..SessionMeta::default()
        },
        vec![
            message(
                Role::User,
                1_000,
                vec![text("look at this"), Part::Image(image.clone())],
            ),
            message(
                Role::Assistant,
                2_000,
                vec![shared_call(
                    "c1",
                    "view",
                    ToolKind::Read,
                    json!({"path": "/a.png"}),
                )],
            ),
            message(
                Role::User,
                3_000,
                vec![Part::ToolResult {
                    call_id: "c1".into(),
                    output: "an image".into(),
                    images: vec![image.clone()],
                    is_error: false,
                }],
            ),
            message(
                Role::User,
                4_000,
                vec![Part::Compaction {
                    summary: "SUMMARY_OF_BEFORE".into(),
                }],
            ),
            message(Role::User, 5_000, vec![text("AFTER_COMPACTION")]),
            message(Role::Assistant, 6_000, vec![text("DONE")]),
        ],
    );
    let injected = inject(&home, &cwd, InjectMode::Write, transcript);
    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    let messages = rows(
        &conn,
        "SELECT id, time_created, data FROM message WHERE session_id = ?1 ORDER BY time_created, id",
        &injected.session_id,
    );
    let parts_of = |i: usize| -> Vec<Value> {
        rows(
            &conn,
            "SELECT id, time_created, data FROM part WHERE message_id = ?1 ORDER BY id",
            &messages[i].0,
        )
        .into_iter()
        .map(|(_, _, d)| d)
        .collect()
    };
    // user [text, file], assistant [read + attachment], user [compaction], assistant summary, user, assistant
    assert_eq!(messages.len(), 6);
    let first = parts_of(0);
    assert_eq!(first[1]["type"], "file");
    assert_eq!(first[1]["mime"], "image/png");
    assert_eq!(first[1]["url"], format!("data:image/png;base64,{png}"));
    let tool = &parts_of(1)[1];
    assert_eq!(tool["tool"], "read");
    assert_eq!(tool["state"]["input"], json!({"filePath": "/a.png"}));
    let attachment = &tool["state"]["attachments"][0];
    assert_eq!(attachment["url"], format!("data:image/png;base64,{png}"));
    assert_eq!(attachment["messageID"], messages[1].0.as_str());
    assert!(attachment["id"].as_str().unwrap().starts_with("prt_"));
    assert_eq!(parts_of(2)[0], json!({"type": "compaction", "auto": true}));
    let summary = &messages[3].2;
    assert_eq!(summary["summary"], true);
    assert_eq!(summary["parentID"], messages[2].0.as_str());
    assert_eq!(summary["finish"], "stop");
    assert_eq!(parts_of(3)[1]["text"], "SUMMARY_OF_BEFORE");

    let back = extract(&home, &injected.session_id).transcript;
    let flat: Vec<&Part> = back.messages.iter().flat_map(|m| &m.parts).collect();
    assert!(flat.contains(&&Part::Image(image.clone())));
    assert!(flat.iter().any(|p| matches!(p, Part::ToolResult { images, .. } if images.len() == 1 && images[0].data_base64.as_deref() == Some(png))));
    assert!(flat.contains(&&Part::Compaction {
        summary: "SUMMARY_OF_BEFORE".into()
    }));
    assert!(
        !flat.contains(&&text("SUMMARY_OF_BEFORE")),
        "the summary is not also a reply"
    );
    assert_eq!(back.messages.last().unwrap().parts, vec![text("DONE")]);
}

#[test]
fn hidden_user_text_is_not_user_text_and_subagents_are_sidechains() {
    let home = real_home();
    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    let user: String = conn
        .query_row(
            "SELECT id FROM message WHERE session_id = ?1 ORDER BY time_created, id LIMIT 1",
            [REAL_SESSION],
            |r| r.get(0),
        )
        .unwrap();
    let insert = |id: &str, data: Value| {
        conn.execute(
            "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data) VALUES (?1, ?2, ?3, 1, 1, ?4)",
            rusqlite::params![id, user, REAL_SESSION, data.to_string()],
        )
        .unwrap();
    };
    insert(
        "prt_20b252ce7002aaaaaaaaaaaaaa",
        json!({"type": "text", "text": "INJECTED_FILE_CONTENT", "synthetic": true}),
    );
    insert(
        "prt_20b252ce7003aaaaaaaaaaaaaa",
        json!({"type": "text", "text": "IGNORED_TEXT", "ignored": true}),
    );
    insert(
        "prt_20b252ce7004aaaaaaaaaaaaaa",
        json!({"type": "subtask", "prompt": "p", "description": "d", "agent": "general"}),
    );
    // A broken row is skipped and counted, not fatal.
    insert("prt_20b252ce7005aaaaaaaaaaaaaa", json!("not an object"));
    conn.execute(
        "INSERT INTO session (id, project_id, parent_id, slug, directory, title, version, time_created, time_updated)
         SELECT 'ses_child', project_id, id, 's', directory, 'child', version, time_created, time_updated FROM session WHERE id = ?1",
        [REAL_SESSION],
    )
    .unwrap();

    let extracted = extract(&home, REAL_SESSION);
    let user_texts: Vec<&Part> = extracted.transcript.messages[0].parts.iter().collect();
    assert_eq!(user_texts.len(), 1, "{user_texts:?}");
    assert_eq!(
        extracted.report.sidechains, 2,
        "the subtask part and the child session"
    );
    assert_eq!(extracted.report.skipped_lines, 1);
    // Child sessions are not listed as conversations of their own.
    let listed = list_all(&home);
    assert_eq!(listed.len(), 1);
}

#[test]
fn list_for_a_git_project_matches_its_project_id_too() {
    let home = schema_home();
    let (repo_dir, repo) = project_dir();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "root"]);
    let sub = repo_dir.path().join("crates/app");
    std::fs::create_dir_all(&sub).unwrap();
    let sub = std::fs::canonicalize(sub).unwrap().display().to_string();
    let injected = inject(&home, &sub, InjectMode::Write, foreign_transcript());

    let conn = Connection::open(home.path().join("opencode.db")).unwrap();
    let (project_id, worktree): (String, String) = conn
        .query_row("SELECT id, worktree FROM project", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(project_id.len(), 40, "the root commit");
    assert_eq!(worktree, repo);
    let from_root = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(&home),
            cwd: Some(repo.clone()),
            limit: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(from_root.len(), 1);
    assert_eq!(from_root[0].session_id, injected.session_id);
    assert_eq!(from_root[0].cwd.as_deref(), Some(sub.as_str()));
    let (_other, elsewhere) = project_dir();
    let listed = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_of(&home),
            cwd: Some(elsewhere),
            limit: None,
            ..Default::default()
        })
        .unwrap();
    assert!(listed.is_empty());
}

/// Copies the legacy tree under `to`, each record file through `rewrite`.
fn copy_tree(from: &Path, to: &Path, rewrite: &dyn Fn(usize, &[u8]) -> Vec<u8>) {
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    let mut index = 0;
    while let Some((from, to)) = stack.pop() {
        std::fs::create_dir_all(&to).unwrap();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&from)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            let target = to.join(entry.file_name().unwrap());
            if entry.is_dir() {
                stack.push((entry, target));
            } else {
                index += 1;
                std::fs::write(&target, rewrite(index, &std::fs::read(&entry).unwrap())).unwrap();
            }
        }
    }
}

/// What list and extract make of the legacy tree, its record files each rewritten (`None`: as
/// OpenCode wrote them): the list rows, and the transcript by id, by path and as the latest.
fn observe_legacy(rewrite: Option<Rewrite>) -> Observation {
    setup();
    let home = tempfile::tempdir().unwrap();
    let storage = home.path().join("storage");
    copy_tree(
        &fixtures().join("legacy-1.1/storage"),
        &storage,
        &|index, bytes| match rewrite {
            None => bytes.to_vec(),
            Some(rewrite) => rewrite.salted(index as u64).apply(Format::Json, bytes),
        },
    );
    let home_opt = home_of(&home);
    let rows = OpenCodeAdapter
        .list_sessions(ListRequest {
            home: home_opt.clone(),
            ..ListRequest::default()
        })
        .unwrap();
    let extract = |request: ExtractRequest| {
        extracted(OpenCodeAdapter.extract(ExtractRequest {
            home: home_opt.clone(),
            ..request
        }))
    };
    let session_file = storage
        .join("session/bc9e8d2d5d66251268ab96cf35c12bb8e3e35c3e")
        .join(format!("{LEGACY_SESSION}.json"));
    vec![
        ("list", listed(&rows)),
        (
            "extract",
            extract(ExtractRequest {
                session_id: Some(LEGACY_SESSION.into()),
                ..ExtractRequest::default()
            }),
        ),
        (
            "extract by path",
            extract(ExtractRequest {
                path: Some(session_file.display().to_string()),
                ..ExtractRequest::default()
            }),
        ),
        ("latest", extract(ExtractRequest::default())),
    ]
}

/// Valid JSON is understood however it is written: every record of the legacy tree,
/// re-serialised every valid way (spaces or pretty-printing, key order, escapes, CRLF or CR line
/// ends, a BOM, and files whose every value chooses on its own), lists and extracts exactly as
/// the tree OpenCode wrote.
#[test]
fn every_valid_serialisation_of_the_legacy_tree_lists_and_extracts_alike() {
    let original = observe_legacy(None);
    assert_eq!(original[0].1.as_array().map(Vec::len), Some(1));
    assert!(original[1].1.get("transcript").is_some());
    let failures = differences("legacy-1.1", Format::Json, observe_legacy);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const KILO_SESSION: &str = "ses_dbd98e360ffej9XOg08z1cMik2";

/// Kilo Code keeps OpenCode's store in `kilo.db` with four migrations of its own: the same reader
/// and writer serve it, with Kilo's names, version and default agent, and OpenCode's database
/// does not pass for Kilo's (nor Kilo's for OpenCode's).
#[test]
fn kilo_codes_database_is_read_and_written_by_the_same_code() {
    setup();
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("kilo.db");
    std::fs::copy(fixtures().join("kilo/kilo.db"), &db).unwrap();
    let request = ListRequest {
        home: home_of(&home),
        ..ListRequest::default()
    };
    let rows = KiloAdapter.list_sessions(request.clone()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].agent, "kilo");
    assert_eq!(rows[0].session_id, KILO_SESSION);
    // OpenCode looks for its own file in the same folder.
    assert!(OpenCodeAdapter.list_sessions(request).unwrap().is_empty());

    let extracted = KiloAdapter
        .extract(ExtractRequest {
            home: home_of(&home),
            session_id: Some(KILO_SESSION[..10].into()),
            ..ExtractRequest::default()
        })
        .unwrap();
    let t = &extracted.transcript;
    assert_eq!(t.session.agent, "kilo");
    let texts: Vec<&str> = t
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("HOK_USER_PROMPT_a41c")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("HOK_FINAL_REPLY_c3f8")),
        "{texts:?}"
    );

    let (_dir, cwd) = project_dir();
    let injected = KiloAdapter
        .inject(InjectRequest {
            home: home_of(&home),
            cwd: cwd.clone(),
            mode: InjectMode::Write,
            transcript: foreign_transcript(),
        })
        .unwrap();
    assert_eq!(
        injected.resume_command,
        format!("kilo --session {}", injected.session_id)
    );
    let conn = Connection::open(&db).unwrap();
    let version: String = conn
        .query_row(
            "SELECT version FROM session WHERE id = ?1",
            [&injected.session_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, "7.7.7");
    let agents: Vec<String> = conn
        .prepare("SELECT DISTINCT json_extract(data, '$.agent') FROM message WHERE session_id = ?1")
        .unwrap()
        .query_map([&injected.session_id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(agents, ["code"]);

    // Kilo's migrations are unknown to OpenCode: its writer refuses the database.
    let as_opencode = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("kilo/kilo.db"),
        as_opencode.path().join("opencode.db"),
    )
    .unwrap();
    let err = OpenCodeAdapter
        .inject(InjectRequest {
            home: home_of(&as_opencode),
            cwd,
            mode: InjectMode::Plan,
            transcript: foreign_transcript(),
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(err.message.contains("4 unknown migration(s)"), "{err}");
}
