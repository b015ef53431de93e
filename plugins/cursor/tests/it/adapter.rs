//! The fixture home read through the adapter: the scenario in order, listings, choosing a chat,
//! nothing written, inject refused.

use crate::fixture::{self, DRAFT, ELSEWHERE, OLDER, OTHER, PROJECT, SCENARIO};
use handoff_adapter_kit::testing::{Calls, by_id, calls, home_str, outline, tree_snapshot};
use handoff_cursor::CursorAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, InjectMode, InjectRequest, ListRequest, Part, Role,
    SessionMeta, Transcript,
};
use std::path::{Path, PathBuf};

const CURSOR: Calls<CursorAdapter> = Calls(CursorAdapter);

fn home() -> PathBuf {
    fixture::home()
}

#[test]
fn the_scenario_chat_reads_in_order() {
    let extracted = CURSOR.extract(&home(), by_id(SCENARIO));
    let t = &extracted.transcript;
    assert_eq!(
        outline(t),
        [
            "text HOK_USER_PROMPT_a41c",
            "text HOK_ASSISTANT_TEXT_5",
            "call run_terminal_cmd Shell",
            "result false HOK_OUT_42",
            "call read_file Read",
            "result true File not found: /tmp/cursor-fixture/project/missing/HOK_ERR_FILE_9d07.txt",
            "text HOK_FINAL_REPLY_c3f8",
        ]
    );
    let roles: Vec<Role> = t.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles[0], Role::User);
    assert!(roles[1..].iter().all(|r| *r == Role::Assistant));
    let calls = calls(t);
    let Part::ToolCall { id, tool, .. } = &calls[0] else {
        panic!()
    };
    assert_eq!(id, "toolu_01HOKSHELL");
    assert_eq!(tool.args["command"], "printf '%s_%s\\n' HOK_OUT 42");
    let Part::ToolResult {
        call_id,
        output,
        is_error,
        ..
    } = &calls[1]
    else {
        panic!()
    };
    assert_eq!(
        (call_id.as_str(), output.as_str(), *is_error),
        ("toolu_01HOKSHELL", "HOK_OUT_42\n", false)
    );
    let Part::ToolCall { tool, .. } = &calls[2] else {
        panic!()
    };
    assert_eq!(
        tool.args["path"],
        "/tmp/cursor-fixture/project/missing/HOK_ERR_FILE_9d07.txt"
    );
    let Part::ToolResult { output, .. } = &calls[3] else {
        panic!()
    };
    assert!(output.contains("HOK_ERR_FILE_9d07.txt"), "{output}");
    // The command's output is in its result only.
    let json = serde_json::to_string(&t.messages).unwrap();
    assert_eq!(json.matches("HOK_OUT_42").count(), 1, "{json}");

    let s = &t.session;
    assert_eq!(s.id, SCENARIO);
    assert_eq!(s.agent, "cursor");
    assert_eq!(s.title.as_deref(), Some("Run the marker command"));
    assert_eq!(s.cwd.as_deref(), Some(PROJECT));
    assert_eq!(
        (s.created_ms, s.updated_ms),
        (Some(1_767_225_600_000), Some(1_767_225_660_000))
    );
    assert_eq!(s.model.as_deref(), Some("claude-4-sonnet"));
    assert_eq!(s.git_branch.as_deref(), Some("main"));
    assert_eq!(t.messages[0].timestamp_ms, Some(1_767_225_605_000));
    assert_eq!(extracted.report.skipped_lines, 0);
    assert!(
        extracted.report.warnings.is_empty(),
        "{:?}",
        extracted.report.warnings
    );
}

#[test]
fn the_older_inline_chat_has_edits_an_attachment_and_thinking() {
    let extracted = CURSOR.extract(&home(), by_id(OLDER));
    let t = &extracted.transcript;
    assert_eq!(
        outline(t),
        [
            "text Rename the greeting ",
            "File(Media { media_type: \"application/octet-stream\", data_base64: None, path: Some(\"/tmp/cursor-fixture/project/src/hello.rs\"), name: Some(\"hello.rs\") })",
            "Reasoning { text: \"The greeting is the string in greet(); replace it.\", signature: None, provider: None }",
            "text I will change the gr",
            "call search_replace Edit",
            "result false {\"diff\":{\"chunks\":[{\"linesAdded\":1,\"linesRemoved\":1}]}}",
            "call write Write",
            "text Done: the greeting i",
            "text ```rust /tmp/cursor-",
        ]
    );
    let calls = calls(t);
    let Part::ToolCall { tool, .. } = &calls[0] else {
        panic!()
    };
    assert_eq!(
        tool.args["path"],
        "/tmp/cursor-fixture/project/src/hello.rs"
    );
    assert_eq!(tool.args["new_string"], "\"Hello, Cursor\"");
    let Part::ToolCall { tool, .. } = &calls[2] else {
        panic!()
    };
    assert_eq!(
        tool.args["content"],
        "# Notes\n\nThe greeting now names Cursor.\n"
    );
    assert_eq!(
        extracted.report.warnings,
        ["cursor: 1 tool call(s) have no stored result"]
    );
    // No name: the first line the user wrote; `default` is no model.
    assert_eq!(
        t.session.title.as_deref(),
        Some("Rename the greeting in src/hello.rs and add a NOTES.md")
    );
    assert_eq!(t.session.model, None);
}

#[test]
fn rich_text_stands_for_an_empty_text() {
    let t = CURSOR.extract(&home(), by_id(OTHER)).transcript;
    assert_eq!(
        outline(&t),
        ["text Which files are in t", "text Only README.md."]
    );
    assert_eq!(t.session.cwd.as_deref(), Some(ELSEWHERE));
}

fn ids(rows: &[handoff_plugin_api::SessionSummary]) -> Vec<&str> {
    rows.iter().map(|r| r.session_id.as_str()).collect()
}

#[test]
fn listing_by_workspace_and_all_newest_first() {
    let all = CURSOR.list(&home(), None);
    assert_eq!(ids(&all), [SCENARIO, OLDER, OTHER]);
    assert!(!ids(&all).contains(&DRAFT));
    let db = home()
        .join("User/globalStorage/state.vscdb")
        .display()
        .to_string();
    assert!(all.iter().all(|r| r.agent == "cursor" && r.path == db));
    assert_eq!(all[0].updated_ms, Some(1_767_225_660_000));
    assert_eq!(all[0].messages, 5);
    assert_eq!(all[1].messages, 4);
    assert_eq!(all[0].cwd.as_deref(), Some(PROJECT));
    assert_eq!(ids(&CURSOR.list(&home(), Some(PROJECT))), [SCENARIO, OLDER]);
    assert_eq!(ids(&CURSOR.list(&home(), Some(ELSEWHERE))), [OTHER]);
    assert!(
        CURSOR
            .list(&home(), Some("/tmp/cursor-fixture/none"))
            .is_empty()
    );
    let limited = CursorAdapter
        .list_sessions(ListRequest {
            home: home_str(&home()),
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&limited), [SCENARIO]);
    // No Cursor here: nothing, no error.
    let empty = tempfile::tempdir().unwrap();
    assert!(CURSOR.list(empty.path(), None).is_empty());
}

#[test]
fn a_chat_is_chosen_by_prefix_by_path_or_as_the_newest_of_its_workspace() {
    assert_eq!(
        CURSOR.extract(&home(), by_id("8f3c")).transcript.session.id,
        SCENARIO
    );
    let newest = |cwd: &str| {
        CURSOR
            .extract(
                &home(),
                ExtractRequest {
                    cwd: Some(cwd.into()),
                    ..Default::default()
                },
            )
            .transcript
            .session
            .id
    };
    assert_eq!(newest(PROJECT), SCENARIO);
    assert_eq!(newest(ELSEWHERE), OTHER);
    let db = home()
        .join("User/globalStorage/state.vscdb")
        .display()
        .to_string();
    let by_path = |id: Option<&str>| {
        CursorAdapter
            .extract(ExtractRequest {
                path: Some(db.clone()),
                session_id: id.map(str::to_owned),
                ..Default::default()
            })
            .unwrap()
            .transcript
            .session
            .id
    };
    assert_eq!(by_path(None), SCENARIO);
    assert_eq!(by_path(Some(OTHER)), OTHER);

    let error = |request: ExtractRequest| {
        CursorAdapter
            .extract(ExtractRequest {
                home: home_str(&home()),
                ..request
            })
            .unwrap_err()
    };
    let none = error(by_id("ffff"));
    assert_eq!(none.kind, ErrorKind::NotFound);
    assert!(none.message.contains("state.vscdb"), "{}", none.message);
    assert_eq!(error(by_id(DRAFT)).kind, ErrorKind::NotFound);
    assert_eq!(error(by_id("../x")).kind, ErrorKind::InvalidInput);
    let not_project = error(ExtractRequest {
        cwd: Some("/tmp/cursor-fixture/none".into()),
        ..Default::default()
    });
    assert_eq!(not_project.kind, ErrorKind::NotFound);
}

#[test]
fn inject_is_refused() {
    let error = CursorAdapter
        .inject(InjectRequest {
            home: home_str(&home()),
            cwd: PROJECT.into(),
            mode: InjectMode::Plan,
            transcript: Transcript::new(SessionMeta::default(), Vec::new()),
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unsupported);
    assert!(!error.message.contains('\n'));
    let info = CursorAdapter.info();
    assert_eq!(
        (info.name.as_str(), info.display_name.as_str()),
        ("cursor", "Cursor")
    );
    assert!(info.capabilities.list && info.capabilities.extract && !info.capabilities.inject);
    assert_eq!(info.resume_command, None);
    assert!(
        info.default_home.ends_with("Cursor"),
        "{}",
        info.default_home
    );
}

#[test]
fn no_call_writes_anything() {
    // A copy, so that the other tests running at once cannot be what changed.
    let copy = tempfile::tempdir().unwrap();
    fixture::build(copy.path(), None);
    let root = Path::new(fixture::FIXTURES);
    let before = (tree_snapshot(copy.path()), tree_snapshot(root));
    for id in [SCENARIO, OLDER, OTHER, "8f3c", "zzz"] {
        let _ = CursorAdapter.extract(ExtractRequest {
            home: home_str(copy.path()),
            ..by_id(id)
        });
    }
    let _ = CursorAdapter.extract(ExtractRequest {
        home: home_str(copy.path()),
        cwd: Some(PROJECT.into()),
        ..Default::default()
    });
    let _ = CURSOR.list(copy.path(), None);
    let _ = CURSOR.list(copy.path(), Some(PROJECT));
    for name in [
        "not-a-database.vscdb",
        "no-cursordiskkv.vscdb",
        "broken-composer.vscdb",
        "missing-bubble.vscdb",
        "wrong-types.vscdb",
    ] {
        let _ = CursorAdapter.extract(ExtractRequest {
            path: Some(fixture::malformed(name).display().to_string()),
            ..Default::default()
        });
    }
    let _ = CursorAdapter.inject(InjectRequest {
        home: home_str(copy.path()),
        cwd: PROJECT.into(),
        mode: InjectMode::Write,
        transcript: Transcript::new(SessionMeta::default(), Vec::new()),
    });
    assert_eq!((tree_snapshot(copy.path()), tree_snapshot(root)), before);
}

#[test]
fn a_database_in_wal_mode_is_read_without_creating_files_beside_it() {
    let copy = tempfile::tempdir().unwrap();
    fixture::build(copy.path(), None);
    let db = copy.path().join("User/globalStorage/state.vscdb");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    assert!(!Path::new(&format!("{}-wal", db.display())).exists());
    let before = tree_snapshot(copy.path());
    assert_eq!(
        ids(&CURSOR.list(copy.path(), None)),
        [SCENARIO, OLDER, OTHER]
    );
    CURSOR.extract(copy.path(), by_id(SCENARIO));
    assert_eq!(tree_snapshot(copy.path()), before);
}
