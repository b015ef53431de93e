//! The malformed corpus (`tests/fixtures/malformed/`, see its README): a file that is no chat is
//! a one-line error naming it and is left out of listings; garbage inside a chat is skipped and
//! counted.

use crate::*;
use handoff_adapter_kit::testing::{home_str, outline};
use handoff_plugin_api::{Adapter, ErrorKind, ExtractRequest, Extracted};

const MALFORMED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/malformed");

/// `name` from the corpus as a chat of the fixture workspace, read by its path.
fn extract(home: &Home, name: &str) -> Result<Extracted, handoff_plugin_api::AdapterError> {
    let file = home.chats().join(name);
    std::fs::copy(Path::new(MALFORMED).join(name), &file).unwrap();
    VscodeCopilotAdapter.extract(ExtractRequest {
        home: home_str(&home.user()),
        path: Some(file.display().to_string()),
        ..Default::default()
    })
}

#[test]
fn files_that_are_no_chat_are_one_line_errors_naming_them_and_are_not_listed() {
    let home = Home::new();
    for (name, why) in [
        ("empty.json", "empty file"),
        ("binary-junk.json", "invalid JSON"),
        ("truncated.json", "invalid JSON"),
        ("wrong-types.json", "no `requests` list"),
        ("no-initial.jsonl", "no initial entry"),
    ] {
        let error = extract(&home, name).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidInput, "{name}: {error}");
        assert!(!error.message.contains('\n'), "{name}: {error}");
        assert!(error.message.contains(name), "{name}: {error}");
        assert!(
            error.message.contains("not a VS Code chat session"),
            "{name}: {error}"
        );
        assert!(error.message.contains(why), "{name}: {error}");
    }
    // The listing still gives the good chats.
    let ids: Vec<String> = VSCODE
        .list(&home.user(), None)
        .into_iter()
        .map(|r| r.session_id)
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
}

#[test]
fn requests_of_the_wrong_shape_are_skipped_and_counted() {
    let home = Home::new();
    let extracted = extract(&home, "wrong-requests.json").unwrap();
    // Six requests that are no user turn, an invocation naming no tool, an edit without a file,
    // a round that is no object and a call without an id.
    assert_eq!(extracted.report.skipped_lines, 10);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, "wrong-requests");
    assert_eq!(t.session.created_ms, None);
    assert_eq!(t.session.title.as_deref(), Some("HOK_GOOD_PROMPT"));
    assert_eq!(
        outline(t),
        [
            "text HOK_GOOD_PROMPT",
            "text HOK_GOOD_ANSWER",
            "text HOK_SECOND_PROMPT",
            "text HOK_SECOND_ANSWER",
            "text HOK_THIRD_PROMPT",
            "text HOK_THIRD_ANSWER",
            "call read_file Other",
        ]
    );
    let warnings = extracted.report.warnings.join("\n");
    assert!(
        warnings.contains("1 tool call(s) without a result"),
        "{warnings}"
    );
}

#[test]
fn garbage_lines_of_a_mutation_log_are_skipped_and_counted() {
    let home = Home::new();
    let extracted = extract(&home, "garbage-lines.jsonl").unwrap();
    assert_eq!(extracted.report.skipped_lines, 6);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, "garbage-log");
    assert_eq!(t.session.title.as_deref(), Some("HOK_LOG_TITLE"));
    assert_eq!(outline(t), ["text HOK_GOOD_PROMPT", "text HOK_GOOD_ANSWER"]);
}
