//! The malformed corpus (`tests/fixtures/malformed/README.md`), each file as a project's
//! `crush.db`: the outcome its README promises, and the file unchanged.

use crate::support::{MAIN_ID, Machine, OLDER_ID, fixture};
use handoff_adapter_kit::testing::{outline, texts};
use handoff_plugin_api::{ErrorKind, Role};
use std::path::PathBuf;

/// A project holding malformed file `name` as its database.
fn project_with(machine: &Machine, name: &str) -> (PathBuf, PathBuf, Vec<u8>) {
    let bytes = std::fs::read(fixture(&format!("malformed/{name}"))).unwrap();
    let project = machine.project_with(name.trim_end_matches(".db"), &bytes);
    let db = project.join(".crush/crush.db");
    (project, db, bytes)
}

#[test]
fn files_that_are_not_crush_databases_are_one_line_errors_naming_them() {
    for (name, reason) in [
        ("not-a-database.db", "file is not a database"),
        ("empty.db", "not a Crush database"),
        ("other-app.db", "not a Crush database"),
        ("truncated.db", "malformed"),
    ] {
        let machine = Machine::new();
        let (project, db, bytes) = project_with(&machine, name);
        let listing = crate::support::list_result(&machine, Some(&project));
        let extraction = machine.try_extract(Some(&project), Some(MAIN_ID));
        let latest = machine.try_extract(Some(&project), None);
        for error in [
            listing.unwrap_err(),
            extraction.unwrap_err(),
            latest.unwrap_err(),
        ] {
            assert_eq!(error.kind, ErrorKind::InvalidInput, "{name}: {error}");
            assert!(error.message.contains(reason), "{name}: {error}");
            assert!(
                error.message.starts_with(&db.display().to_string()),
                "{name}: {error}"
            );
            assert!(!error.message.contains('\n'), "{name}: {error}");
        }
        // Among every project's, a broken database is passed over.
        assert!(machine.list(None).is_empty(), "{name}");
        assert_eq!(std::fs::read(&db).unwrap(), bytes, "{name} changed");
    }
}

#[test]
fn a_database_without_sessions_has_nothing_to_hand_off() {
    let machine = Machine::new();
    let (project, db, _) = project_with(&machine, "no-sessions.db");
    assert!(machine.list(Some(&project)).is_empty());
    let error = machine.try_extract(Some(&project), None).unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(error.message.contains(&db.display().to_string()), "{error}");
}

#[test]
fn unreadable_parts_are_skipped_and_counted() {
    let machine = Machine::new();
    let (project, db, bytes) = project_with(&machine, "bad-parts.db");
    let newest = machine.extract(Some(&project), Some(MAIN_ID));
    // Two messages whose parts are not a list: the edit step and the final answer.
    assert_eq!(newest.report.skipped_lines, 2);
    assert_eq!(
        outline(&newest.transcript),
        [
            "text The build fails with",
            "Reasoning { text: \"The Makefile probably has no all target.\", signature: Some(\"EqQBCkYIBxgCKkBfixture\"), provider: Some(\"anthropic\") }",
            "text Let me run the build",
            "call bash Shell",
            "call view Read",
            "result false make: *** No rule to make target 'all'.  Stop.",
            "result false <file>",
            // The edit's result went with its call.
            "call view Read",
            "result true file not found: /tmp/crush-fixture/project/NOTES.md",
            "call agent Subagent",
            "result false tests/build_test.sh runs make and checks that ./app exists.",
        ]
    );
    let older = machine.extract(Some(&project), Some(OLDER_ID));
    // An unknown part type and a text part whose text is a number; their messages' other parts
    // stay.
    assert_eq!(older.report.skipped_lines, 2);
    assert_eq!(
        texts(&older.transcript.messages, Role::Assistant),
        [
            "It shows yesterday's build error: make has no all target.",
            "Committed."
        ]
    );
    assert_eq!(machine.list(Some(&project)).len(), 2);
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
}

#[test]
fn columns_of_the_wrong_type_are_read_as_sqlite_holds_them() {
    let machine = Machine::new();
    let (project, db, bytes) = project_with(&machine, "wrong-types.db");
    let extracted = machine.extract(Some(&project), Some(MAIN_ID));
    // The message whose role is a number.
    assert_eq!(extracted.report.skipped_lines, 1);
    let t = &extracted.transcript;
    assert_eq!(t.session.title.as_deref(), Some("42"));
    // The sub-agent's result is gone with its message; the final answer, stored as a blob with
    // a numeric model, is read.
    let last = t.messages.last().unwrap();
    assert_eq!(
        texts(std::slice::from_ref(last), Role::Assistant),
        ["Fixed: `make` now builds `app`, and tests/build_test.sh covers it."]
    );
    assert_eq!(last.model.as_deref(), Some("anthropic/7"));
    assert_eq!(outline(t).len(), 14);
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
}
