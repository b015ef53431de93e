use handoff_adapter_kit::testing::{
    Calls, Format, Observation, by_id, calls, extracted, file_differences, file_mode,
    foreign_transcript, home_str, listed, outline, texts,
};
use handoff_pi::PiAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, InjectMode, Part, Role, Transcript, Written,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const PI: Calls<PiAdapter> = Calls(PiAdapter);

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real/home");

/// The session file the real client wrote (relative to its agent folder), its id and project.
fn real_session() -> (PathBuf, String, String) {
    let sessions = Path::new(REAL).join("sessions");
    let project_dir = std::fs::read_dir(&sessions)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = std::fs::read_dir(&project_dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("a session file in the real fixture");
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    (
        file.strip_prefix(REAL).unwrap().to_owned(),
        header["id"].as_str().unwrap().to_owned(),
        header["cwd"].as_str().unwrap().to_owned(),
    )
}

fn real_bytes() -> Vec<u8> {
    std::fs::read(Path::new(REAL).join(real_session().0)).unwrap()
}

/// An agent folder holding the real session's file with `bytes` in it.
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
    let extracted = PI.extract(home.path(), by_id(&id[..8]));
    assert_eq!(extracted.report.skipped_lines, 0);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, id);
    assert_eq!(t.session.agent, "pi");
    assert_eq!(t.session.cwd.as_deref(), Some(project.as_str()));
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
            "call bash Shell",
            "result false HOK_OUT_42",
            "call read Read",
            "result true ENOENT: no such file or directory, access '/tmp/handoff-conf-kQyoDI/work/project/missing/HOK_ERR_FILE_9d07.txt'",
            "text HOK_FINAL_REPLY_c3f8",
        ]
    );
    let latest = PI.extract(
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
        let rows = PI.list(home.path(), None);
        let extract = PiAdapter.extract(ExtractRequest {
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
    let rows = PI.list(home.path(), Some(&project));
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
    // One prompt and three assistant messages.
    assert_eq!(row.messages, 4);
    assert!(PI.list(home.path(), Some("/nowhere/else")).is_empty());
    assert_eq!(PI.list(home.path(), None).len(), 1);
}

const ID: &str = "019a0000-0000-7000-8000-000000000001";

fn entry(id: &str, parent: Option<&str>, kind: &str, extra: Value) -> Value {
    let mut entry = json!({"type": kind, "id": id, "parentId": parent, "timestamp": "2026-01-01T00:00:00.000Z"});
    entry
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    entry
}

fn user(id: &str, parent: Option<&str>, text: &str) -> Value {
    entry(
        id,
        parent,
        "message",
        json!({"message": {"role": "user", "content": [{"type": "text", "text": text}]}}),
    )
}

fn assistant(id: &str, parent: &str, text: &str) -> Value {
    entry(
        id,
        Some(parent),
        "message",
        json!({"message": {"role": "assistant", "content": [{"type": "text", "text": text}], "stopReason": "stop"}}),
    )
}

fn session_of(entries: &[Value]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sessions/--p--");
    std::fs::create_dir_all(&dir).unwrap();
    let header = json!({"type": "session", "version": 3, "id": ID, "timestamp": "2026-01-01T00:00:00.000Z", "cwd": "/p"});
    let text: Vec<String> = std::iter::once(&header)
        .chain(entries)
        .map(Value::to_string)
        .collect();
    std::fs::write(
        dir.join(format!("2026-01-01T00-00-00-000Z_{ID}.jsonl")),
        text.join("\n") + "\n",
    )
    .unwrap();
    home
}

fn all_texts(t: &Transcript) -> Vec<String> {
    let mut all = texts(&t.messages, Role::User);
    all.extend(texts(&t.messages, Role::Assistant));
    all
}

#[test]
fn the_branch_ending_at_the_last_entry_is_the_conversation() {
    // A branch left behind, a failed turn, a name, a model, a compaction that keeps one entry.
    let home = session_of(&[
        entry("n1", None, "session_info", json!({"name": "named"})),
        entry(
            "m1",
            Some("n1"),
            "model_change",
            json!({"provider": "mock", "modelId": "m"}),
        ),
        user("u1", Some("m1"), "first"),
        assistant("a1", "u1", "abandoned answer"),
        assistant("a2", "u1", "answer"),
        entry(
            "f1",
            Some("a2"),
            "message",
            json!({"message": {"role": "assistant", "content": [{"type": "text", "text": "failed"}], "stopReason": "error"}}),
        ),
        user("u2", Some("f1"), "second"),
        entry(
            "c1",
            Some("u2"),
            "compaction",
            json!({"summary": "the story so far", "firstKeptEntryId": "u2"}),
        ),
        entry(
            "l1",
            Some("c1"),
            "label",
            json!({"targetId": "u2", "label": "x"}),
        ),
        user("u3", Some("l1"), "third"),
    ]);
    let t = PI.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(t.session.title.as_deref(), Some("named"));
    assert_eq!(t.session.model.as_deref(), Some("mock/m"));
    assert!(
        matches!(&t.messages[0].parts[0], Part::Compaction { summary } if summary == "the story so far")
    );
    assert_eq!(texts(&t.messages, Role::User), ["second", "third"]);
    assert!(texts(&t.messages, Role::Assistant).is_empty());
    assert_eq!(
        PI.list(home.path(), Some("/p"))[0].title.as_deref(),
        Some("named")
    );

    let home = session_of(&[
        user("u1", None, "first"),
        assistant("a1", "u1", "answer"),
        user("u2", Some("a1"), "again"),
    ]);
    assert_eq!(
        all_texts(&PI.extract(home.path(), by_id(ID)).transcript),
        ["first", "again", "answer"]
    );
}

#[test]
fn garbage_lines_are_skipped_and_counted_and_a_file_without_a_header_is_an_error() {
    let (_, id, _) = real_session();
    let bytes = real_bytes();
    let (header, rest) = bytes.split_at(bytes.iter().position(|b| *b == b'\n').unwrap() + 1);
    let mut broken = header.to_vec();
    broken.extend_from_slice(b"not json\n{\"truncated\": \n");
    broken.extend_from_slice(rest);
    let home = home_with(&broken);
    let extracted = PI.extract(home.path(), by_id(&id));
    assert_eq!(extracted.report.skipped_lines, 2);
    assert_eq!(
        texts(&extracted.transcript.messages, Role::Assistant).len(),
        2
    );

    let file = home.path().join("not-a-session.jsonl");
    std::fs::write(&file, "{\"type\": \"message\"}\n").unwrap();
    let error = PiAdapter
        .extract(ExtractRequest {
            path: Some(file.display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("not-a-session.jsonl"), "{error}");
}

#[test]
fn a_foreign_transcript_becomes_a_private_entry_chain_that_reads_back() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let cwd = project.path().canonicalize().unwrap().display().to_string();
    std::fs::write(
        home.path().join("settings.json"),
        r#"{"defaultProvider":"anthropic","defaultModel":"claude-sonnet"}"#,
    )
    .unwrap();
    let injected = PI.inject(
        home.path(),
        project.path(),
        InjectMode::Write,
        foreign_transcript(),
    );
    assert_eq!(
        injected.resume_command,
        format!("pi --session {}", injected.session_id)
    );
    let id = uuid::Uuid::parse_str(&injected.session_id).unwrap();
    assert_eq!(id.get_version_num(), 7);
    let file = PathBuf::from(&injected.path);
    let folder = format!("--{}--", cwd.trim_start_matches('/').replace('/', "-"));
    assert_eq!(
        file.parent().unwrap(),
        home.path().join("sessions").join(folder)
    );
    assert!(
        file.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(&format!("Z_{}.jsonl", injected.session_id))
    );
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
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "session");
    assert_eq!(lines[0]["version"], 3);
    assert_eq!(lines[0]["cwd"], cwd.as_str());
    let kinds: Vec<String> = lines[1..]
        .iter()
        .map(|l| match l["type"].as_str().unwrap() {
            "message" => l["message"]["role"].as_str().unwrap().to_owned(),
            other => other.to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "session_info",
            "model_change",
            "user",
            "assistant",
            "toolResult",
            "toolResult",
            "assistant"
        ]
    );
    assert_eq!(lines[1]["parentId"], Value::Null);
    for pair in lines[1..].windows(2) {
        assert_eq!(pair[1]["parentId"], pair[0]["id"]);
    }
    assert_eq!(lines[1]["name"], "handoff: fix the build");
    assert_eq!(lines[2]["provider"], "anthropic");
    let calls = &lines[4]["message"]["content"];
    assert_eq!(calls[1]["name"], "bash");
    assert_eq!(
        calls[1]["arguments"],
        json!({"command": "make", "workdir": "/p"})
    );
    assert_eq!(calls[2]["name"], "read");
    assert_eq!(calls[2]["arguments"], json!({"path": "/p/Makefile"}));
    assert_eq!(lines[4]["message"]["model"], "claude-sonnet");
    assert_eq!(lines[6]["message"]["isError"], true);

    let back = PI
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
    assert_eq!(
        PI.list(home.path(), Some(&cwd))[0].session_id,
        injected.session_id
    );
}

#[test]
fn plan_and_render_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let planned = PI.inject(
        home.path(),
        project.path(),
        InjectMode::Plan,
        foreign_transcript(),
    );
    assert!(planned.written.is_empty());
    let rendered = PI.inject(
        home.path(),
        project.path(),
        InjectMode::Render,
        foreign_transcript(),
    );
    assert!(rendered.rendered.unwrap().contains("\"toolCall\""));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn a_pi_session_round_trips_its_calls_unchanged() {
    let (_, id, _) = real_session();
    let source = home_with(&real_bytes());
    let original = PI.extract(source.path(), by_id(&id)).transcript;
    let target = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let injected = PI.inject(
        target.path(),
        project.path(),
        InjectMode::Write,
        original.clone(),
    );
    let back = PI
        .extract(target.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        texts(&original.messages, Role::Assistant)
    );
}
