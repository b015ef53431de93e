use handoff_adapter_kit::testing::{
    Calls, Format, Observation, by_id, calls, extracted, file_differences, file_mode,
    foreign_transcript, home_str, listed, outline, texts,
};
use handoff_cline::ClineAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, InjectMode, InjectRequest, Remove, Role, Written,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const CLINE: Calls<ClineAdapter> = Calls(ClineAdapter);

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real/home");
/// The sessions the real client wrote: headless (`cline -y`) and in its terminal UI.
const HEADLESS: &str = "1796417279249_f7zk4";
const INTERACTIVE: &str = "1796417282956_y2gnv";
const PROJECT: &str = "/tmp/handoff-conf-5QsvC2/work/project";

/// A copy of the real home (the index left out unless `with_index`).
fn real_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    for id in [HEADLESS, INTERACTIVE] {
        let from = Path::new(REAL).join("data/sessions").join(id);
        let to = home.path().join("data/sessions").join(id);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    home
}

fn messages_file(home: &Path, id: &str) -> PathBuf {
    home.join("data/sessions")
        .join(id)
        .join(format!("{id}.messages.json"))
}

const SCENARIO: [&str; 7] = [
    "text HOK_USER_PROMPT_a41c",
    "text HOK_ASSISTANT_TEXT",
    "call run_commands Shell",
    "result false HOK_OUT_42",
    "call read_files Read",
    "result true Error reading file: ENOENT: no such file or directory, statx '/tmp/handoff-conf-5QsvC2/work/project/missing/HOK_ERR_FILE_9d07.txt'",
    "text HOK_FINAL_REPLY_c3f8",
];

#[test]
fn both_sessions_the_client_wrote_are_read_whole_in_order() {
    let home = real_home();
    let headless = CLINE.extract(home.path(), by_id(&HEADLESS[..13]));
    assert_eq!(headless.report.skipped_lines, 0);
    let t = &headless.transcript;
    assert_eq!(t.session.id, HEADLESS);
    assert_eq!(t.session.agent, "cline");
    assert_eq!(t.session.cwd.as_deref(), Some(PROJECT));
    assert_eq!(t.session.model.as_deref(), Some("mock-model"));
    // The headless run's nudge and its completion call come with the conversation.
    let mut expected: Vec<String> = SCENARIO.iter().map(|s| (*s).to_owned()).collect();
    expected.insert(1, "text [SYSTEM] This run is".into());
    expected.extend(["call submit_and_exit Other".into(), "result false Submission recorded (verified): HOK_FINAL_REPLY_c3f8: the command printed its marker and the file is missing.".into()]);
    let mut got = outline(t);
    for line in &mut got {
        if line.starts_with("text HOK_ASSISTANT_TEXT") {
            line.truncate("text HOK_ASSISTANT_TEXT".len());
        }
    }
    assert_eq!(got, expected);
    assert_eq!(t.messages[1].role, Role::System);

    let interactive = CLINE.extract(home.path(), by_id(INTERACTIVE)).transcript;
    let mut got = outline(&interactive);
    for line in &mut got {
        if line.starts_with("text HOK_ASSISTANT_TEXT") {
            line.truncate("text HOK_ASSISTANT_TEXT".len());
        }
    }
    assert_eq!(got, SCENARIO);

    let rows = CLINE.list(home.path(), Some(PROJECT));
    let ids: Vec<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&HEADLESS) && ids.contains(&INTERACTIVE));
    for row in &rows {
        assert!(
            row.title
                .as_deref()
                .unwrap()
                .starts_with("HOK_USER_PROMPT_a41c"),
            "{row:?}"
        );
    }
    let latest = CLINE.extract(
        home.path(),
        ExtractRequest {
            cwd: Some(PROJECT.into()),
            ..Default::default()
        },
    );
    assert_eq!(latest.transcript.session.id, rows[0].session_id);
}

/// Valid JSON is understood however it is written: the real conversation re-serialised every
/// valid way lists and extracts exactly as the file the client wrote.
#[test]
fn every_valid_serialisation_lists_and_extracts_alike() {
    let home = real_home();
    let file = messages_file(home.path(), HEADLESS);
    let original = std::fs::read(&file).unwrap();
    let observe = |bytes: &[u8]| -> Observation {
        std::fs::write(&file, bytes).unwrap();
        // Rewriting makes the file the newest: the rows are compared by id.
        let mut rows = CLINE.list(home.path(), None);
        rows.sort_by(|a, b| a.session_id.cmp(&b.session_id));
        let extract = ClineAdapter.extract(ExtractRequest {
            home: home_str(home.path()),
            session_id: Some(HEADLESS.into()),
            ..Default::default()
        });
        let mut extract = extracted(extract);
        // The file's time changes with each rewrite.
        extract["transcript"]["session"]["updated_ms"] = Value::Null;
        vec![("list", listed(&rows)), ("extract", extract)]
    };
    let failures = file_differences(HEADLESS, Format::Json, &original, observe);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_index_the_client_wrote_takes_a_new_row() {
    let home = real_home();
    let db = home.path().join("data/db/sessions.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::copy(Path::new(REAL).join("data/db/sessions.db"), &db).unwrap();
    let project = tempfile::tempdir().unwrap();
    let original = CLINE.extract(home.path(), by_id(INTERACTIVE)).transcript;
    let injected = CLINE.inject(
        home.path(),
        project.path(),
        InjectMode::Write,
        original.clone(),
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM sessions", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 3);
    let back = CLINE
        .extract(home.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(outline(&back), outline(&original));
}

/// A session folder holding `messages` (the conversation document's list) and a manifest for
/// project `cwd`.
fn session_in(home: &Path, id: &str, cwd: &str, messages: Value) -> PathBuf {
    let dir = home.join("data/sessions").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{id}.messages.json"));
    let document = json!({"version": 1, "sessionId": id, "messages": messages});
    std::fs::write(&file, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let manifest = json!({"session_id": id, "cwd": cwd, "started_at": "2026-12-04T20:24:17.685Z",
        "model": "m", "metadata": {"title": "<user_input mode=\"yolo\">fix it</user_input>"}});
    std::fs::write(dir.join(format!("{id}.json")), manifest.to_string()).unwrap();
    file
}

fn user(text: &str) -> Value {
    json!({"id": "u", "role": "user", "content": [{"type": "text", "text": text}], "ts": 1})
}

#[test]
fn prompts_nudges_calls_and_results_read_as_cline_meant_them() {
    let home = tempfile::tempdir().unwrap();
    session_in(
        home.path(),
        "1796415857682_5521m",
        "/p",
        json!([
            user("<user_input mode=\"yolo\">fix it</user_input>"),
            user("[SYSTEM] This run is not complete until you call submit_and_exit."),
            {"role": "assistant", "ts": 2, "modelInfo": {"id": "m", "provider": "anthropic"},
             "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Running."},
                {"type": "tool_use", "id": "c1", "name": "run_commands", "input": {"commands": ["ls"]}},
                {"type": "tool_use", "id": "c2", "name": "read_files", "input": {"files": [{"path": "/p/x"}]}}
            ]},
            {"role": "user", "ts": 3, "content": [
                {"type": "tool_result", "tool_use_id": "c1", "name": "run_commands",
                 "content": [{"query": "ls", "result": "a\n", "success": true}]},
                {"type": "tool_result", "tool_use_id": "c2", "name": "read_files",
                 "content": [{"query": "/p/x", "result": "", "error": "ENOENT", "success": false}]}
            ]},
            {"role": "assistant", "ts": 4, "content": "Done."}
        ]),
    );
    let extracted = CLINE.extract(home.path(), by_id("1796415857682"));
    assert_eq!(extracted.report.skipped_lines, 0);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, "1796415857682_5521m");
    assert_eq!(t.session.cwd.as_deref(), Some("/p"));
    assert_eq!(
        t.session.title.as_deref(),
        Some("<user_input mode=\"yolo\">fix it</user_input>")
    );
    assert_eq!(
        outline(t),
        [
            "text fix it",
            "text [SYSTEM] This run is",
            "Reasoning { text: \"hmm\", signature: Some(\"sig\"), provider: Some(\"anthropic\") }",
            "text Running.",
            "call run_commands Shell",
            "call read_files Read",
            "result false a",
            "result true ENOENT",
            "text Done.",
        ]
    );
    let roles: Vec<Role> = t.messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [
            Role::User,
            Role::System,
            Role::Assistant,
            Role::User,
            Role::Assistant
        ]
    );
    assert_eq!(t.messages[2].model.as_deref(), Some("m"));
    assert_eq!(t.messages[2].timestamp_ms, Some(2));
    let rows = CLINE.list(home.path(), Some("/p"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].title.as_deref(), Some("fix it"));
    assert_eq!(rows[0].messages, 5);
    assert!(CLINE.list(home.path(), Some("/elsewhere")).is_empty());
}

#[test]
fn unreadable_messages_and_blocks_are_skipped_and_counted_and_a_non_conversation_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let file = session_in(
        home.path(),
        "1_aaaaa",
        "/p",
        json!([
            user("hello"),
            "not a message",
            {"role": "tool", "content": "?"},
            {"role": "assistant", "content": [{"type": "mystery"}, {"type": "text", "text": "hi"}]},
            {"content": "no role"}
        ]),
    );
    let extracted = CLINE.extract(home.path(), by_id("1_aaaaa"));
    assert_eq!(extracted.report.skipped_lines, 4);
    assert_eq!(outline(&extracted.transcript), ["text hello", "text hi"]);

    std::fs::write(&file, b"{\"version\": 1, \"sessionId\": \"1_aaaaa\"").unwrap();
    let error = ClineAdapter
        .extract(ExtractRequest {
            home: home_str(home.path()),
            path: Some(file.display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("1_aaaaa.messages.json"), "{error}");
    assert!(
        error.message.contains("not a Cline conversation"),
        "{error}"
    );
}

#[test]
fn older_task_folders_are_read_with_their_history() {
    let home = tempfile::tempdir().unwrap();
    let task = home.path().join("data/tasks/1733000000000");
    std::fs::create_dir_all(&task).unwrap();
    std::fs::write(
        task.join("api_conversation_history.json"),
        json!([
            {"role": "user", "content": [{"type": "text", "text": "<task>\nlist files\n</task>"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Listing."},
                {"type": "tool_use", "id": "t1", "name": "execute_command", "input": {"command": "ls"}}
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "a"}]}
        ])
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        home.path().join("data/globalState.json"),
        json!({"taskHistory": [{"id": "1733000000000", "ts": 1733000000000_i64,
            "task": "list files", "cwdOnTaskInitialization": "/old"}]})
        .to_string(),
    )
    .unwrap();
    let rows = CLINE.list(home.path(), Some("/old"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].session_id, "1733000000000");
    assert_eq!(rows[0].title.as_deref(), Some("list files"));
    assert_eq!(rows[0].created_ms, Some(1_733_000_000_000));
    let t = CLINE
        .extract(home.path(), by_id("1733000000000"))
        .transcript;
    assert_eq!(t.session.cwd.as_deref(), Some("/old"));
    assert_eq!(
        outline(&t),
        [
            "text <task>\nlist files\n</",
            "text Listing.",
            "call execute_command Other",
            "result false a"
        ]
    );
}

#[test]
fn a_foreign_transcript_becomes_a_private_indexed_session_that_reads_back() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let cwd = project.path().canonicalize().unwrap().display().to_string();
    std::fs::create_dir_all(home.path().join("data/settings")).unwrap();
    std::fs::write(
        home.path().join("data/settings/providers.json"),
        r#"{"version":1,"lastUsedProvider":"openai-compatible","providers":{"openai-compatible":{"settings":{"provider":"openai-compatible","model":"mock-model"}}}}"#,
    )
    .unwrap();
    let injected = CLINE.inject(
        home.path(),
        project.path(),
        InjectMode::Write,
        foreign_transcript(),
    );
    let id = injected.session_id.clone();
    assert_eq!(injected.resume_command, format!("cline --id {id}"));
    let (ms, suffix) = id.split_once('_').unwrap();
    assert!(ms.parse::<i64>().is_ok() && suffix.len() == 5);
    let dir = home.path().join("data/sessions").join(&id);
    let file = dir.join(format!("{id}.messages.json"));
    let manifest_file = dir.join(format!("{id}.json"));
    let db = home.path().join("data/db/sessions.db");
    assert_eq!(injected.path, file.display().to_string());
    assert_eq!(
        injected.written,
        [
            Written::File {
                path: file.display().to_string()
            },
            Written::File {
                path: manifest_file.display().to_string()
            },
            Written::Rows {
                path: db.display().to_string(),
                table: "sessions".into(),
                ids: vec![id.clone()]
            }
        ]
    );
    #[cfg(unix)]
    {
        assert_eq!(file_mode(&file), 0o600);
        assert_eq!(file_mode(&manifest_file), 0o600);
        assert_eq!(file_mode(&db), 0o600);
        assert_eq!(file_mode(&dir), 0o700);
    }
    let document: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(document["sessionId"], id.as_str());
    let messages = document["messages"].as_array().unwrap();
    let shape: Vec<(String, Vec<String>)> = messages
        .iter()
        .map(|m| {
            let blocks = m["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["type"].as_str().unwrap().to_owned())
                .collect();
            (m["role"].as_str().unwrap().to_owned(), blocks)
        })
        .collect();
    let owned = |role: &str, blocks: &[&str]| {
        (
            role.to_owned(),
            blocks.iter().map(|b| (*b).to_owned()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        shape,
        [
            owned("user", &["text"]),
            owned("assistant", &["text", "tool_use", "tool_use"]),
            owned("user", &["tool_result", "tool_result"]),
            owned("assistant", &["text"]),
        ]
    );
    assert_eq!(
        messages[0]["content"][0]["text"],
        "<user_input mode=\"act\">fix the build please</user_input>"
    );
    let uses = &messages[1]["content"];
    assert_eq!(uses[1]["name"], "run_commands");
    assert_eq!(uses[1]["input"], json!({"commands": ["make"]}));
    assert_eq!(uses[2]["name"], "read_files");
    assert_eq!(
        uses[2]["input"],
        json!({"files": [{"path": "/p/Makefile"}]})
    );
    assert_eq!(messages[1]["modelInfo"]["id"], "mock-model");
    assert_eq!(messages[2]["content"][1]["name"], "read_files");
    assert_eq!(messages[2]["content"][1]["is_error"], true);

    let manifest: Value = serde_json::from_slice(&std::fs::read(&manifest_file).unwrap()).unwrap();
    assert_eq!(manifest["cwd"], cwd.as_str());
    assert_eq!(manifest["provider"], "openai-compatible");
    assert_eq!(manifest["messages_path"], injected.path.as_str());
    let conn = rusqlite_row(&db, &id);
    assert_eq!(
        conn,
        (
            cwd.clone(),
            "mock-model".into(),
            "handoff: fix the build".into()
        )
    );

    let back = CLINE.extract(home.path(), by_id(&id)).transcript;
    assert_eq!(back.session.cwd.as_deref(), Some(cwd.as_str()));
    assert_eq!(texts(&back.messages, Role::User), ["fix the build please"]);
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        ["Running make.", "Done."]
    );
    let rows = CLINE.list(home.path(), Some(&cwd));
    assert_eq!(rows[0].session_id, id);
    assert_eq!(rows[0].title.as_deref(), Some("handoff: fix the build"));

    let removed = ClineAdapter.remove(Remove(injected)).unwrap();
    assert_eq!(removed["removed"], 1);
}

/// The project, model and title of a row of `sessions.db`.
fn rusqlite_row(db: &Path, id: &str) -> (String, String, String) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT cwd, model, json_extract(metadata_json, '$.title') FROM sessions WHERE session_id = ?1",
        [id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )
    .unwrap()
}

#[test]
fn an_index_that_cannot_take_the_row_leaves_nothing_behind() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    // A folder where the database should be: the row cannot be written.
    std::fs::create_dir_all(home.path().join("data/db/sessions.db")).unwrap();
    let error = ClineAdapter
        .inject(InjectRequest {
            home: home_str(home.path()),
            cwd: project.path().display().to_string(),
            mode: InjectMode::Write,
            transcript: foreign_transcript(),
        })
        .unwrap_err();
    assert!(error.message.contains("sessions.db"), "{error}");
    let sessions = home.path().join("data/sessions");
    assert_eq!(std::fs::read_dir(sessions).unwrap().count(), 0);
}

#[test]
fn plan_and_render_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let planned = CLINE.inject(
        home.path(),
        project.path(),
        InjectMode::Plan,
        foreign_transcript(),
    );
    assert!(planned.written.is_empty());
    let rendered = CLINE.inject(
        home.path(),
        project.path(),
        InjectMode::Render,
        foreign_transcript(),
    );
    assert!(rendered.rendered.unwrap().contains("\"tool_use\""));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn a_cline_session_round_trips_its_calls_and_nudges_unchanged() {
    let source = tempfile::tempdir().unwrap();
    session_in(
        source.path(),
        "1_bbbbb",
        "/p",
        json!([
            user("<user_input mode=\"yolo\">go</user_input>"),
            user("[SYSTEM] finish with submit_and_exit"),
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "c1", "name": "run_commands", "input": {"commands": ["a", "b"]}}
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "name": "run_commands",
                "content": [{"query": "a", "result": "A", "success": true}, {"query": "b", "result": "B", "success": true}]}]},
            {"role": "assistant", "content": [{"type": "text", "text": "ok"},
                {"type": "tool_use", "id": "c2", "name": "submit_and_exit", "input": {"summary": "ok", "verified": true}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c2", "name": "submit_and_exit", "content": "Submission recorded"}]}
        ]),
    );
    let original = CLINE.extract(source.path(), by_id("1_bbbbb")).transcript;
    let target = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let injected = CLINE.inject(
        target.path(),
        project.path(),
        InjectMode::Write,
        original.clone(),
    );
    let back = CLINE
        .extract(target.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(outline(&back), outline(&original));
    assert_eq!(back.messages[1].role, Role::System);
}
