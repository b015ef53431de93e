//! Broken stores: one-line errors naming the file, or garbage skipped and counted.

use crate::fixture::{self, OLDER, OTHER, SCENARIO};
use handoff_adapter_kit::testing::{Calls, by_id, home_str, outline};
use handoff_cursor::CursorAdapter;
use handoff_plugin_api::{Adapter, ErrorKind, ExtractRequest, ListRequest};
use std::path::Path;

const CURSOR: Calls<CursorAdapter> = Calls(CursorAdapter);

/// A home whose global database is the malformed fixture `name`.
fn home_with(name: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("User/globalStorage/state.vscdb");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::copy(fixture::malformed(name), &db).unwrap();
    home
}

fn list_error(home: &Path) -> handoff_plugin_api::AdapterError {
    CursorAdapter
        .list_sessions(ListRequest {
            home: home_str(home),
            ..Default::default()
        })
        .unwrap_err()
}

#[test]
fn a_file_that_is_no_cursor_database_is_one_line_naming_it() {
    for name in ["not-a-database.vscdb", "no-cursordiskkv.vscdb"] {
        let home = home_with(name);
        let error = list_error(home.path());
        assert_eq!(error.kind, ErrorKind::InvalidInput, "{name}: {error}");
        assert!(error.message.contains("state.vscdb"), "{name}: {error}");
        assert!(!error.message.contains('\n'));
        let by_path = CursorAdapter
            .extract(ExtractRequest {
                path: Some(fixture::malformed(name).display().to_string()),
                ..Default::default()
            })
            .unwrap_err();
        assert!(by_path.message.contains(name), "{by_path}");
    }
    let error = list_error(home_with("no-cursordiskkv.vscdb").path());
    assert!(
        error
            .message
            .ends_with("not a Cursor state database (no cursorDiskKV table)"),
        "{error}"
    );
}

#[test]
fn a_broken_header_is_passed_over_and_named_when_asked_for() {
    let home = home_with("broken-composer.vscdb");
    let rows = CURSOR.list(home.path(), None);
    let ids: Vec<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
    assert_eq!(ids, [OLDER, OTHER]);
    let error = CursorAdapter
        .extract(ExtractRequest {
            home: home_str(home.path()),
            ..by_id(SCENARIO)
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(
        error.message.contains("state.vscdb") && error.message.contains(SCENARIO),
        "{error}"
    );
    assert!(error.message.contains("not a JSON object"), "{error}");
}

#[test]
fn a_missing_or_broken_bubble_is_skipped_and_counted() {
    let home = home_with("missing-bubble.vscdb");
    let extracted = CURSOR.extract(home.path(), by_id(SCENARIO));
    assert_eq!(
        outline(&extracted.transcript),
        [
            "text HOK_USER_PROMPT_a41c",
            "call run_terminal_cmd Shell",
            "result false HOK_OUT_42",
            "text HOK_FINAL_REPLY_c3f8",
        ]
    );
    assert_eq!(extracted.report.skipped_lines, 2);
    assert_eq!(
        extracted.report.warnings,
        ["cursor: 1 message(s) listed by the chat are not in the database; left out"]
    );
}

#[test]
fn fields_of_the_wrong_type_are_absent_or_read_as_the_number_they_spell() {
    let home = home_with("wrong-types.vscdb");
    let rows = CURSOR.list(home.path(), None);
    assert_eq!(rows[0].session_id, SCENARIO);
    assert_eq!(rows[0].title, None);
    assert_eq!(rows[0].updated_ms, Some(1_767_225_660_000));
    let extracted = CURSOR.extract(home.path(), by_id(SCENARIO));
    let t = &extracted.transcript;
    assert_eq!(
        outline(t),
        [
            "text HOK_USER_PROMPT_a41c",
            "text HOK_ASSISTANT_TEXT_5",
            "call run_terminal_cmd Shell",
            "result false 17",
            "call read_file Read",
            "result true File not found: /tmp/cursor-fixture/project/missing/HOK_ERR_FILE_9d07.txt",
        ]
    );
    // The last bubble's type is no number: its header's counts; its text is no string, so it
    // says nothing (and is no garbage to count).
    assert_eq!(extracted.report.skipped_lines, 0);
    assert_eq!(t.messages[0].timestamp_ms, None);
    assert_eq!(t.session.model, None);
}
