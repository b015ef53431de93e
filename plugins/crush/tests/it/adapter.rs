//! Reading and listing the fixture database (`tests/fixtures/README.md`) where Crush keeps it.

use crate::support::{CHILD_ID, MAIN_ID, Machine, OLDER_ID, fixture_bytes};
use handoff_adapter_kit::testing::{foreign_transcript, outline, texts};
use handoff_plugin_api::{ErrorKind, Media, Part, Role, ToolKind};
use serde_json::json;
use std::path::Path;

const PROJECT: &str = "/tmp/crush-fixture/project";

#[test]
fn the_newest_session_reads_whole_in_crush_s_order() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let extracted = machine.extract(Some(&project), Some(&MAIN_ID[..8]));
    assert_eq!(extracted.report.skipped_lines, 0);
    // The sub-agent the `agent` call ran.
    assert_eq!(extracted.report.sidechains, 1);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, MAIN_ID);
    assert_eq!(t.session.agent, "crush");
    assert_eq!(
        t.session.title.as_deref(),
        Some("Fix the missing make target")
    );
    assert_eq!(t.session.cwd.as_deref(), project.to_str());
    let db = project.join(".crush/crush.db");
    assert_eq!(t.session.source_path.as_deref(), db.to_str());
    // Stored in seconds.
    assert_eq!(t.session.created_ms, Some(1_767_258_000_000));
    assert_eq!(t.session.updated_ms, Some(1_767_258_017_000));
    assert_eq!(
        t.session.model.as_deref(),
        Some("anthropic/claude-sonnet-4-5-20250929")
    );
    assert_eq!(
        outline(t),
        [
            "text The build fails with",
            "Reasoning { text: \"The Makefile probably has no all target.\", signature: Some(\"EqQBCkYIBxgCKkBfixture\"), provider: Some(\"anthropic\") }",
            "text Let me run the build",
            "call bash Shell",
            "call view Read",
            // Two results of the same second, in the order Crush wrote them.
            "result false make: *** No rule to make target 'all'.  Stop.",
            "result false <file>",
            "text The Makefile has no ",
            "call edit Edit",
            "result false <result>",
            "call view Read",
            "result true file not found: /tmp/crush-fixture/project/NOTES.md",
            "call agent Subagent",
            "result false tests/build_test.sh runs make and checks that ./app exists.",
            "text Fixed: `make` now bu",
        ]
    );
    // Tool results are the agent's side of the conversation.
    let roles: Vec<Role> = t.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles[0], Role::User);
    assert!(
        roles[1..].iter().all(|r| *r == Role::Assistant),
        "{roles:?}"
    );
    assert_eq!(roles.len(), 11);
    assert_eq!(t.messages[0].timestamp_ms, Some(1_767_258_000_000));
    assert_eq!(
        t.messages[1].model.as_deref(),
        Some("anthropic/claude-sonnet-4-5-20250929")
    );
    let calls: Vec<(&str, serde_json::Value, serde_json::Value)> = t
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolCall {
                name, input, tool, ..
            } => Some((
                name.as_str(),
                input.clone(),
                serde_json::Value::Object(tool.args.clone()),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls[0],
        (
            "bash",
            json!({"command": "make", "description": "Run the build"}),
            json!({"command": "make", "description": "Run the build"})
        )
    );
    assert_eq!(calls[1].2, json!({"path": format!("{PROJECT}/Makefile")}));
    assert_eq!(
        calls[2].2,
        json!({"path": format!("{PROJECT}/Makefile"), "old_string": "build:", "new_string": "all: build\n\nbuild:"})
    );
    // Go escapes `<` in JSON; the output is the text the tool gave.
    let view = t.messages[3].parts.iter().find_map(|p| match p {
        Part::ToolResult {
            call_id, output, ..
        } if call_id == "toolu_02" => Some(output),
        _ => None,
    });
    assert_eq!(
        view.map(String::as_str),
        Some("<file>\n     1|build:\n     2|\tcc -o app main.c\n</file>\n")
    );
}

#[test]
fn the_older_session_keeps_its_attachments_summary_and_commands() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let extracted = machine.extract(Some(&project), Some(OLDER_ID));
    assert_eq!(extracted.report.skipped_lines, 0);
    assert_eq!(extracted.report.sidechains, 0);
    let t = &extracted.transcript;
    let parts: Vec<&Part> = t.messages.iter().flat_map(|m| &m.parts).collect();
    assert_eq!(parts.len(), 10, "{:#?}", outline(t));
    assert_eq!(
        parts[1],
        &Part::Image(Media {
            media_type: "image/png".into(),
            data_base64: Some("iVBORw0KGgo=".into()),
            path: Some(format!("{PROJECT}/screenshot.png")),
            name: Some("screenshot.png".into()),
        })
    );
    // The model sees the summary as the user's, in place of what came before.
    assert_eq!(t.messages[2].role, Role::User);
    assert!(
        matches!(parts[3], Part::Compaction { summary } if summary.starts_with("The user asked what a screenshot"))
    );
    // A `!command` without its colours; a text attachment inline, as Crush gives them.
    assert_eq!(
        texts(&t.messages, Role::User),
        [
            "What does this screenshot show?",
            "$ git status --short\n M Makefile\n\n(exit code 0)",
            "Commit the Makefile change.",
            &format!("<file path='{PROJECT}/notes.txt'>\n\nremember the changelog\n\n</file>"),
        ]
    );
    // The cancelled turn that said nothing is left out.
    assert_eq!(
        texts(&t.messages, Role::Assistant),
        [
            "It shows yesterday's build error: make has no all target.",
            "Committed."
        ]
    );
    assert!(matches!(parts[7], Part::ToolCall { tool, .. } if tool.kind == ToolKind::Shell));
}

#[test]
fn a_sub_agent_session_is_a_sidechain_not_a_listed_session() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let ids: Vec<String> = machine
        .list(Some(&project))
        .into_iter()
        .map(|r| r.session_id)
        .collect();
    assert_eq!(ids, [MAIN_ID, OLDER_ID]);
    // Its id (`<message>$$<call>`) is not one a user can ask for.
    let error = machine
        .try_extract(Some(&project), Some(CHILD_ID))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    // A prefix both a session and the sub-agent's start with is ambiguous, like any other.
    let error = machine.try_extract(Some(&project), Some("3")).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Ambiguous);
    assert!(error.message.contains(OLDER_ID), "{error}");
}

#[test]
fn a_project_lists_its_sessions_and_all_lists_every_known_project() {
    let machine = Machine::new();
    let first = machine.project_with("first", &fixture_bytes());
    let rows = machine.list(Some(&first));
    let db = first.join(".crush/crush.db").display().to_string();
    let [newest, older] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(newest.session_id, MAIN_ID);
    assert_eq!(newest.agent, "crush");
    assert_eq!(newest.title.as_deref(), Some("Fix the missing make target"));
    assert_eq!(newest.cwd.as_deref(), first.to_str());
    assert_eq!(newest.path, db);
    // A user message and five assistant ones (tool results are not counted).
    assert_eq!(newest.messages, 6);
    assert_eq!(newest.created_ms, Some(1_767_258_000_000));
    assert_eq!(newest.updated_ms, Some(1_767_258_017_000));
    assert!(!newest.cached);
    assert_eq!(older.session_id, OLDER_ID);
    assert_eq!(older.messages, 8);

    // From inside the project, Crush uses the same database.
    let inside = first.join("src/deep");
    std::fs::create_dir_all(&inside).unwrap();
    assert_eq!(machine.list(Some(&inside)), rows);

    let second = machine.project("second");
    let injected = machine.inject(&second, foreign_transcript());
    machine.register(&second);
    // A project Crush never ran in is found from itself only.
    let unknown = machine.project_with("unknown", &fixture_bytes());
    let registry = machine.home.path().join("projects.json");
    let mut list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&registry).unwrap()).unwrap();
    list["projects"].as_array_mut().unwrap().remove(0);
    std::fs::write(&registry, list.to_string()).unwrap();
    assert_eq!(machine.list(Some(&unknown)).len(), 2);

    let all = machine.list(None);
    let found: Vec<(&str, &str)> = all
        .iter()
        .map(|r| (r.session_id.as_str(), r.cwd.as_deref().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            (injected.session_id.as_str(), second.to_str().unwrap()),
            (MAIN_ID, first.to_str().unwrap()),
            (OLDER_ID, first.to_str().unwrap()),
        ]
    );
    let limited = crate::support::list_limited(&machine, 2);
    assert_eq!(limited.len(), 2);

    // Ids are found in every known project, whichever project asks.
    let found = machine.extract(Some(&second), Some(&MAIN_ID[..6]));
    assert_eq!(found.transcript.session.cwd.as_deref(), first.to_str());
    let found = machine.extract(None, Some(&injected.session_id));
    assert_eq!(found.transcript.session.cwd.as_deref(), second.to_str());
}

#[test]
fn without_an_id_the_project_s_newest_session_is_read() {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let latest = machine.extract(Some(&project), None);
    assert_eq!(latest.transcript.session.id, MAIN_ID);

    let empty = machine.project("empty");
    let error = machine.try_extract(Some(&empty), None).unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(
        error
            .message
            .contains(&empty.join(".crush/crush.db").display().to_string()),
        "{error}"
    );
    assert!(machine.list(Some(&empty)).is_empty());
    let error = machine
        .try_extract(Some(&empty), Some("0000dead"))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
}

#[test]
fn a_configured_data_directory_is_where_the_sessions_are() {
    let machine = Machine::new();
    let project = machine.project("configured");
    std::fs::write(
        project.join(".crush.json"),
        r#"{"options": {"data_directory": "var/crush"}}"#,
    )
    .unwrap();
    std::fs::create_dir_all(project.join("var/crush")).unwrap();
    std::fs::write(project.join("var/crush/crush.db"), fixture_bytes()).unwrap();
    let rows = machine.list(Some(&project));
    assert_eq!(rows.len(), 2);
    // The folder is not `.crush`: its sessions belong to the directory Crush ran in.
    assert_eq!(rows[0].cwd.as_deref(), project.to_str());
    let injected = machine.inject(&project, foreign_transcript());
    assert_eq!(
        Path::new(&injected.path),
        project.join("var/crush/crush.db")
    );
    assert!(!project.join(".crush").exists());
}

#[cfg(unix)]
#[test]
fn reading_leaves_the_database_as_it_was_even_while_crush_writes() {
    use std::os::unix::fs::MetadataExt;
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    let db = project.join(".crush/crush.db");
    // WAL, as Crush keeps it.
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
        .unwrap();
    let stamp = |path: &Path| {
        let meta = std::fs::metadata(path).unwrap();
        (
            std::fs::read(path).unwrap(),
            meta.mtime(),
            meta.mtime_nsec(),
        )
    };
    let before = stamp(&db);
    // Crush holds the write lock of its WAL database.
    let crush = rusqlite::Connection::open(&db).unwrap();
    crush.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    assert_eq!(machine.list(Some(&project)).len(), 2);
    assert_eq!(machine.list(None).len(), 2);
    machine.extract(Some(&project), Some(MAIN_ID));
    machine.extract(Some(&project), None);
    machine
        .try_inject(
            &project,
            handoff_plugin_api::InjectMode::Plan,
            foreign_transcript(),
        )
        .unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "no waiting"
    );
    crush.execute_batch("ROLLBACK").unwrap();
    drop(crush);
    assert!(before == stamp(&db), "the database changed");
}
