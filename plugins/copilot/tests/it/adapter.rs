use handoff_adapter_kit::testing::{
    Format, Observation, calls, extracted, file_differences, foreign_transcript, listed, outline,
    texts,
};
use handoff_copilot::CopilotAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, Extracted, InjectMode, InjectRequest, ListRequest, Part,
    Role, ToolKind, Transcript, Written,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The folder the real client wrote, and its session id.
fn real_session() -> (PathBuf, String) {
    let dir = Path::new(FIXTURES).join("real");
    let folder = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .expect("a session folder in tests/fixtures/real");
    let id = folder.file_name().unwrap().to_str().unwrap().to_owned();
    (folder, id)
}

/// A Copilot home holding `files` as session `id`.
fn home_with(id: &str, events: &[u8], workspace: Option<&[u8]>) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("session-state").join(id);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("events.jsonl"), events).unwrap();
    if let Some(workspace) = workspace {
        std::fs::write(folder.join("workspace.yaml"), workspace).unwrap();
    }
    home
}

fn extract_in(home: &Path, request: ExtractRequest) -> Extracted {
    CopilotAdapter
        .extract(ExtractRequest {
            home: Some(home.display().to_string()),
            ..request
        })
        .unwrap()
}

fn by_id(id: &str) -> ExtractRequest {
    ExtractRequest {
        session_id: Some(id.to_owned()),
        ..Default::default()
    }
}

#[test]
fn the_session_the_client_wrote_is_read_whole_in_order() {
    let (folder, id) = real_session();
    let home = home_with(
        &id,
        &std::fs::read(folder.join("events.jsonl")).unwrap(),
        Some(&std::fs::read(folder.join("workspace.yaml")).unwrap()),
    );
    let extracted = extract_in(home.path(), by_id(&id[..8]));
    assert_eq!(extracted.report.skipped_lines, 0);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, id);
    assert_eq!(t.session.agent, "copilot");
    assert!(t.session.cwd.as_deref().unwrap().ends_with("/work/project"));
    assert!(
        t.session
            .title
            .as_deref()
            .unwrap()
            .contains("HOK_USER_PROMPT_a41c")
    );
    assert_eq!(t.session.model.as_deref(), Some("gpt-4.1"));
    assert_eq!(texts(&t.messages, Role::User).len(), 1);
    assert!(texts(&t.messages, Role::User)[0].starts_with("HOK_USER_PROMPT_a41c"));
    assert_eq!(
        outline(t),
        [
            "text HOK_USER_PROMPT_a41c",
            "text HOK_ASSISTANT_TEXT_5",
            "call bash Shell",
            "result false HOK_OUT_42",
            "call view Read",
            "result true Path does not exist",
            "text HOK_FINAL_REPLY_c3f8",
        ]
    );
}

/// Valid JSON is understood however it is written: the real session re-serialised every valid
/// way lists and extracts exactly as the file the client wrote.
#[test]
fn every_valid_serialisation_lists_and_extracts_alike() {
    let (folder, id) = real_session();
    let workspace = std::fs::read(folder.join("workspace.yaml")).unwrap();
    let original = std::fs::read(folder.join("events.jsonl")).unwrap();
    let observe = |bytes: &[u8]| -> Observation {
        let home = home_with(&id, bytes, Some(&workspace));
        let home_str = Some(home.path().display().to_string());
        let rows = CopilotAdapter
            .list_sessions(ListRequest {
                home: home_str.clone(),
                ..Default::default()
            })
            .unwrap();
        let extract = CopilotAdapter.extract(ExtractRequest {
            home: home_str,
            session_id: Some(id.clone()),
            ..Default::default()
        });
        vec![("list", listed(&rows)), ("extract", extracted(extract))]
    };
    let failures = file_differences("real", Format::Jsonl, &original, observe);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_listing_shows_the_title_folder_and_message_count() {
    let (folder, id) = real_session();
    let home = home_with(
        &id,
        &std::fs::read(folder.join("events.jsonl")).unwrap(),
        Some(&std::fs::read(folder.join("workspace.yaml")).unwrap()),
    );
    let rows = CopilotAdapter
        .list_sessions(ListRequest {
            home: Some(home.path().display().to_string()),
            ..Default::default()
        })
        .unwrap();
    let [row] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(row.session_id, id);
    assert!(
        row.title
            .as_deref()
            .unwrap()
            .starts_with("HOK_USER_PROMPT_a41c")
    );
    // One user message, three assistant messages.
    assert_eq!(row.messages, 4);
    // Another project's sessions are not listed; the latest of this one is found.
    let other = CopilotAdapter
        .list_sessions(ListRequest {
            home: Some(home.path().display().to_string()),
            cwd: Some("/nowhere/else".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(other.is_empty());
}

#[test]
fn garbage_lines_are_skipped_and_counted_and_a_file_of_no_events_is_an_error() {
    let (folder, id) = real_session();
    let mut bytes = b"not json\n{\"truncated\": \n".to_vec();
    bytes.extend(std::fs::read(folder.join("events.jsonl")).unwrap());
    let home = home_with(&id, &bytes, None);
    let extracted = extract_in(home.path(), by_id(&id));
    assert_eq!(extracted.report.skipped_lines, 2);
    assert!(texts(&extracted.transcript.messages, Role::Assistant).len() >= 2);
    // Without a workspace.yaml, the title is the first prompt and the folder the start event's.
    assert!(
        extracted
            .transcript
            .session
            .title
            .unwrap()
            .starts_with("HOK_USER_PROMPT")
    );

    let empty = home_with(&id, b"{\"hello\": 1}\n", None);
    let error = CopilotAdapter
        .extract(ExtractRequest {
            home: Some(empty.path().display().to_string()),
            session_id: Some(id.clone()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("events.jsonl"), "{error}");
}

fn inject(home: &Path, mode: InjectMode, transcript: Transcript) -> handoff_plugin_api::Injected {
    CopilotAdapter
        .inject(InjectRequest {
            home: Some(home.display().to_string()),
            cwd: home.display().to_string(),
            mode,
            transcript,
        })
        .unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_foreign_transcript_becomes_a_private_session_folder_that_reads_back() {
    let home = tempfile::tempdir().unwrap();
    let injected = inject(home.path(), InjectMode::Write, foreign_transcript());
    assert!(uuid_like(&injected.session_id), "{}", injected.session_id);
    assert_eq!(
        injected.resume_command,
        format!("copilot --resume {}", injected.session_id)
    );
    let folder = home.path().join("session-state").join(&injected.session_id);
    let events = folder.join("events.jsonl");
    let workspace = folder.join("workspace.yaml");
    assert_eq!(
        injected.written,
        [
            Written::File {
                path: events.display().to_string()
            },
            Written::File {
                path: workspace.display().to_string()
            }
        ]
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&events), 0o600);
        assert_eq!(mode(&workspace), 0o600);
        assert_eq!(mode(&folder), 0o700);
    }
    let rows: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "session.start",
            "user.message",
            "assistant.message",
            "tool.execution_complete",
            "tool.execution_complete",
            "assistant.message",
        ]
    );
    // One chain of events, each naming the one before.
    for pair in rows.windows(2) {
        assert_eq!(pair[1]["parentId"], pair[0]["id"]);
    }
    let requests = &rows[2]["data"]["toolRequests"];
    assert_eq!(requests[0]["name"], "bash");
    assert_eq!(
        requests[0]["arguments"],
        json!({"command": "make", "workdir": "/p", "description": "Run a command"})
    );
    assert_eq!(requests[1]["name"], "view");
    assert_eq!(rows[4]["data"]["success"], false);
    let yaml = std::fs::read_to_string(&workspace).unwrap();
    assert!(yaml.contains("name: \"handoff: fix the build\""), "{yaml}");

    let back = extract_in(home.path(), by_id(&injected.session_id)).transcript;
    assert_eq!(
        back.session.title.as_deref(),
        Some("handoff: fix the build")
    );
    assert_eq!(texts(&back.messages, Role::User), ["fix the build please"]);
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        ["Running make.", "Done."]
    );
    let calls: Vec<(String, ToolKind)> = back
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolCall { name, tool, .. } => Some((name.clone(), tool.kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("bash".into(), ToolKind::Shell),
            ("view".into(), ToolKind::Read)
        ]
    );
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4
}

#[test]
fn plan_and_render_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let planned = inject(home.path(), InjectMode::Plan, foreign_transcript());
    assert!(planned.written.is_empty());
    let rendered = inject(home.path(), InjectMode::Render, foreign_transcript());
    assert!(rendered.rendered.unwrap().contains("\"session.start\""));
    assert!(!home.path().join("session-state").exists());
}

#[test]
fn a_copilot_session_round_trips_its_calls_unchanged() {
    let (folder, id) = real_session();
    let source = home_with(
        &id,
        &std::fs::read(folder.join("events.jsonl")).unwrap(),
        Some(&std::fs::read(folder.join("workspace.yaml")).unwrap()),
    );
    let original = extract_in(source.path(), by_id(&id)).transcript;
    let target = tempfile::tempdir().unwrap();
    let injected = inject(target.path(), InjectMode::Write, original.clone());
    let back = extract_in(target.path(), by_id(&injected.session_id)).transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        texts(&original.messages, Role::Assistant)
    );
}
