use handoff_adapter_kit::testing::{
    Calls, Format, Observation, by_id, calls, extracted, file_differences, file_mode,
    foreign_transcript, home_str, listed, outline, texts,
};
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, INTERRUPTED_OUTPUT, InjectMode, Role, Transcript, Written,
};
use handoff_qwen::QwenAdapter;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const QWEN: Calls<QwenAdapter> = Calls(QwenAdapter);

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real/home");

/// The session file the real client wrote (relative to its home), its id and its project.
fn real_session() -> (PathBuf, String, String) {
    let projects = Path::new(REAL).join("projects");
    let project_dir = std::fs::read_dir(&projects)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::read_dir(project_dir.join("chats"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a session file in the real fixture");
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let relative = file.strip_prefix(REAL).unwrap().to_owned();
    (
        relative,
        first["sessionId"].as_str().unwrap().to_owned(),
        first["cwd"].as_str().unwrap().to_owned(),
    )
}

fn real_bytes() -> Vec<u8> {
    std::fs::read(Path::new(REAL).join(real_session().0)).unwrap()
}

/// A home holding the real session's file with `bytes` in it.
fn home_with(bytes: &[u8]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join(real_session().0);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, bytes).unwrap();
    home
}

#[test]
fn the_session_the_client_wrote_is_read_whole_in_order() {
    let (_, id, project) = real_session();
    let home = home_with(&real_bytes());
    let extracted = QWEN.extract(home.path(), by_id(&id[..8]));
    assert_eq!(extracted.report.skipped_lines, 0);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, id);
    assert_eq!(t.session.agent, "qwen");
    assert_eq!(t.session.cwd.as_deref(), Some(project.as_str()));
    assert_eq!(t.session.git_branch.as_deref(), Some("main"));
    assert_eq!(t.session.model.as_deref(), Some("mock-model"));
    assert!(
        t.session
            .title
            .as_deref()
            .unwrap()
            .starts_with("HOK_USER_PROMPT_a41c")
    );
    assert_eq!(
        outline(t),
        [
            "text HOK_USER_PROMPT_a41c",
            "text HOK_ASSISTANT_TEXT_5",
            "call run_shell_command Shell",
            "result false Command: printf '%s_%s\\n' HOK_OUT 42",
            "call read_file Read",
            "result true File not found: /tmp/handoff-conf-qXYn46/work/project/missing/HOK_ERR_FILE_9d07.txt",
            "text HOK_FINAL_REPLY_c3f8",
        ]
    );
    let latest = QWEN.extract(
        home.path(),
        ExtractRequest {
            cwd: Some(project.clone()),
            ..Default::default()
        },
    );
    assert_eq!(latest.transcript.session.id, id);
}

/// Valid JSON is understood however it is written: the real session re-serialised every valid
/// way lists and extracts exactly as the file the client wrote.
#[test]
fn every_valid_serialisation_lists_and_extracts_alike() {
    let (_, id, _) = real_session();
    let observe = |bytes: &[u8]| -> Observation {
        let home = home_with(bytes);
        let rows = QWEN.list(home.path(), None);
        let extract = QwenAdapter.extract(ExtractRequest {
            home: home_str(home.path()),
            session_id: Some(id.clone()),
            ..Default::default()
        });
        vec![("list", listed(&rows)), ("extract", extracted(extract))]
    };
    let failures = file_differences("real", Format::Jsonl, &real_bytes(), observe);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_listing_shows_the_title_project_and_message_count() {
    let (relative, id, project) = real_session();
    let home = home_with(&real_bytes());
    let rows = QWEN.list(home.path(), Some(&project));
    let [row] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert_eq!(row.session_id, id);
    assert_eq!(row.cwd.as_deref(), Some(project.as_str()));
    assert!(
        row.title
            .as_deref()
            .unwrap()
            .starts_with("HOK_USER_PROMPT_a41c")
    );
    assert_eq!(row.path, home.path().join(relative).display().to_string());
    // One prompt and three model turns.
    assert_eq!(row.messages, 4);
    assert!(QWEN.list(home.path(), Some("/nowhere/else")).is_empty());
    assert_eq!(QWEN.list(home.path(), None).len(), 1);
}

const ID: &str = "00000000-1111-2222-3333-444444444444";

fn record(uuid: &str, parent: Option<&str>, kind: &str, extra: Value) -> Value {
    let mut record = json!({"uuid": uuid, "parentUuid": parent, "sessionId": ID,
        "timestamp": "2026-01-01T00:00:00.000Z", "type": kind, "cwd": "/p"});
    record
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    record
}

fn user(uuid: &str, parent: Option<&str>, text: &str) -> Value {
    record(
        uuid,
        parent,
        "user",
        json!({"message": {"role": "user", "parts": [{"text": text}]}}),
    )
}

fn model(uuid: &str, parent: &str, text: &str) -> Value {
    record(
        uuid,
        Some(parent),
        "assistant",
        json!({"message": {"role": "model", "parts": [{"text": text}]}}),
    )
}

fn session_of(records: &[Value]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("projects/-p/chats");
    std::fs::create_dir_all(&dir).unwrap();
    let text: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(dir.join(format!("{ID}.jsonl")), text.join("\n") + "\n").unwrap();
    home
}

fn all_texts(t: &Transcript) -> Vec<String> {
    let mut all = texts(&t.messages, Role::User);
    all.extend(texts(&t.messages, Role::Assistant));
    all
}

#[test]
fn the_chain_from_the_last_record_is_the_conversation() {
    // A branch left behind (an edit of the first prompt), a record without a parent link, a
    // compression that replaces what came before it, and a title.
    let home = session_of(&[
        user("u1", None, "abandoned"),
        model("a1", "u1", "old answer"),
        user("u2", None, "first"),
        model("a2", "u2", "answer"),
        json!({"uuid": "x", "sessionId": ID, "type": "user", "message": {"role": "user", "parts": [{"text": "no parent key"}]}}),
        record(
            "t1",
            Some("a2"),
            "system",
            json!({"subtype": "ui_telemetry", "systemPayload": {}}),
        ),
        user("u3", Some("t1"), "second"),
        record(
            "c1",
            Some("u3"),
            "system",
            json!({"subtype": "chat_compression", "systemPayload": {"compressedHistory": [
            {"role": "user", "parts": [{"text": "<state_snapshot>both prompts</state_snapshot>"}]},
            {"role": "model", "parts": [{"text": "Got it."}]}]}}),
        ),
        user("u4", Some("c1"), "third"),
        record(
            "n1",
            Some("u4"),
            "system",
            json!({"subtype": "custom_title", "systemPayload": {"customTitle": "named", "titleSource": "manual"}}),
        ),
    ]);
    let t = QWEN.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(
        all_texts(&t),
        [
            "<state_snapshot>both prompts</state_snapshot>",
            "third",
            "Got it."
        ]
    );
    assert_eq!(t.session.title.as_deref(), Some("named"));
    assert_eq!(
        QWEN.list(home.path(), Some("/p"))[0].title.as_deref(),
        Some("named")
    );

    let home = session_of(&[
        user("u1", None, "first"),
        model("a1", "u1", "answer"),
        user("u2", Some("a1"), "again"),
    ]);
    let t = QWEN.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(all_texts(&t), ["first", "again", "answer"]);
}

#[test]
fn garbage_lines_are_skipped_and_counted_and_a_file_of_no_records_is_an_error() {
    let (_, id, _) = real_session();
    let mut bytes = b"not json\n{\"truncated\": \n".to_vec();
    bytes.extend(real_bytes());
    let home = home_with(&bytes);
    let extracted = QWEN.extract(home.path(), by_id(&id));
    assert_eq!(extracted.report.skipped_lines, 2);
    assert_eq!(
        texts(&extracted.transcript.messages, Role::Assistant).len(),
        2
    );

    let file = home.path().join("not-a-session.jsonl");
    std::fs::write(&file, "{\"hello\": 1}\n").unwrap();
    let error = QwenAdapter
        .extract(ExtractRequest {
            path: Some(file.display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("not-a-session.jsonl"), "{error}");
}

#[test]
fn a_foreign_transcript_becomes_a_private_chain_of_records_that_reads_back() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let cwd = project.path().canonicalize().unwrap().display().to_string();
    let injected = QWEN.inject(
        home.path(),
        project.path(),
        InjectMode::Write,
        foreign_transcript(),
    );
    assert_eq!(
        injected.resume_command,
        format!("qwen --resume {}", injected.session_id)
    );
    assert!(uuid::Uuid::parse_str(&injected.session_id).is_ok());
    let key: String = cwd
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let file = home
        .path()
        .join("projects")
        .join(key)
        .join("chats")
        .join(format!("{}.jsonl", injected.session_id));
    assert_eq!(injected.path, file.display().to_string());
    assert_eq!(
        injected.written,
        [Written::File {
            path: injected.path.clone()
        }]
    );
    #[cfg(unix)]
    {
        assert_eq!(file_mode(&file), 0o600);
        assert_eq!(file_mode(file.parent().unwrap()), 0o700);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    // The picker finds the title by this exact text.
    assert!(text.contains(r#""subtype":"custom_title""#));
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "user",
            "assistant",
            "tool_result",
            "tool_result",
            "assistant",
            "system"
        ]
    );
    assert_eq!(records[0]["parentUuid"], Value::Null);
    for pair in records.windows(2) {
        assert_eq!(pair[1]["parentUuid"], pair[0]["uuid"]);
        assert_eq!(pair[1]["sessionId"], injected.session_id.as_str());
    }
    assert_eq!(records[0]["cwd"], cwd.as_str());
    // No model configured here: none is claimed (never the source's).
    assert!(records[1].get("model").is_none());
    let parts = &records[1]["message"]["parts"];
    assert_eq!(parts[1]["functionCall"]["name"], "run_shell_command");
    assert_eq!(
        parts[1]["functionCall"]["args"],
        json!({"command": "make", "directory": "/p"})
    );
    assert_eq!(
        parts[2]["functionCall"]["args"],
        json!({"file_path": "/p/Makefile"})
    );
    assert_eq!(
        records[3]["message"]["parts"][0]["functionResponse"]["response"],
        json!({"error": INTERRUPTED_OUTPUT})
    );

    // The user's configured model when there is one.
    std::fs::write(
        home.path().join("settings.json"),
        r#"{"model":{"name":"qwen3-coder"}}"#,
    )
    .unwrap();
    let second = QWEN.inject(
        home.path(),
        project.path(),
        InjectMode::Write,
        foreign_transcript(),
    );
    let second = std::fs::read_to_string(&second.path).unwrap();
    let second: Value = serde_json::from_str(second.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["model"], "qwen3-coder");

    let back = QWEN
        .extract(home.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(
        back.session.title.as_deref(),
        Some("handoff: fix the build")
    );
    assert_eq!(texts(&back.messages, Role::User), ["fix the build please"]);
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        ["Running make.", "Done."]
    );
    assert_eq!(QWEN.list(home.path(), Some(&cwd)).len(), 2);
}

#[test]
fn plan_and_render_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let planned = QWEN.inject(
        home.path(),
        project.path(),
        InjectMode::Plan,
        foreign_transcript(),
    );
    assert!(planned.written.is_empty());
    let rendered = QWEN.inject(
        home.path(),
        project.path(),
        InjectMode::Render,
        foreign_transcript(),
    );
    assert!(rendered.rendered.unwrap().contains("\"run_shell_command\""));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn a_qwen_session_round_trips_its_calls_unchanged() {
    let (_, id, _) = real_session();
    let source = home_with(&real_bytes());
    let original = QWEN.extract(source.path(), by_id(&id)).transcript;
    let target = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let injected = QWEN.inject(
        target.path(),
        project.path(),
        InjectMode::Write,
        original.clone(),
    );
    let back = QWEN
        .extract(target.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        texts(&original.messages, Role::Assistant)
    );
}
