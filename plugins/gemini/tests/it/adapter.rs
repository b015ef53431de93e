use handoff_adapter_kit::testing::{
    Calls, Format, Observation, by_id, calls, extracted, file_differences, file_mode,
    foreign_transcript, home_str, listed, outline, texts,
};
use handoff_gemini::GeminiAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, InjectMode, Role, Transcript, Written,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const GEMINI: Calls<GeminiAdapter> = Calls(GeminiAdapter);

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real/home");

/// The session file the real client wrote (relative to its home), its id and its project.
fn real_session() -> (PathBuf, String, String) {
    let chats = Path::new(REAL).join("tmp/project/chats");
    let file = std::fs::read_dir(&chats)
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
    let project = std::fs::read_to_string(Path::new(REAL).join("tmp/project/.project_root"))
        .unwrap()
        .trim()
        .to_owned();
    let relative = file.strip_prefix(REAL).unwrap().to_owned();
    (
        relative,
        first["sessionId"].as_str().unwrap().to_owned(),
        project,
    )
}

/// A copy of the real client's home, with the session file's bytes replaced by `session`.
fn home_with(session: Option<&[u8]>) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    copy_tree(Path::new(REAL), home.path());
    if let Some(bytes) = session {
        let (relative, ..) = real_session();
        std::fs::write(home.path().join(relative), bytes).unwrap();
    }
    home
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn real_bytes() -> Vec<u8> {
    std::fs::read(Path::new(REAL).join(real_session().0)).unwrap()
}

#[test]
fn the_session_the_client_wrote_is_read_whole_in_order() {
    let (_, id, project) = real_session();
    let home = home_with(None);
    let extracted = GEMINI.extract(home.path(), by_id(&id[..8]));
    assert_eq!(extracted.report.skipped_lines, 0);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, id);
    assert_eq!(t.session.agent, "gemini");
    assert_eq!(t.session.cwd.as_deref(), Some(project.as_str()));
    assert_eq!(t.session.model.as_deref(), Some("gemini-2.5-pro"));
    assert!(
        t.session
            .title
            .as_deref()
            .unwrap()
            .starts_with("HOK_USER_PROMPT_a41c")
    );
    // The client's own <session_context> message is not conversation; each call's result is
    // read once although the client stores it twice.
    assert_eq!(
        outline(t),
        [
            "text HOK_USER_PROMPT_a41c",
            "text HOK_ASSISTANT_TEXT_5",
            "call run_shell_command Shell",
            "result false <untrusted_context>",
            "call read_file Read",
            "result true File not found: /tmp/handoff-conf-M67Db0/work/project/missing/HOK_ERR_FILE_9d07.txt",
            "text HOK_FINAL_REPLY_c3f8",
        ]
    );
    // The same session is the project's latest.
    let latest = GEMINI.extract(
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
        let home = home_with(Some(bytes));
        let rows = GEMINI.list(home.path(), None);
        let extract = GeminiAdapter.extract(ExtractRequest {
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
    let home = home_with(None);
    let rows = GEMINI.list(home.path(), Some(&project));
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
    // The context message, the prompt, three model turns and two stored results.
    assert_eq!(row.messages, 7);
    assert!(GEMINI.list(home.path(), Some("/nowhere/else")).is_empty());
    assert_eq!(GEMINI.list(home.path(), None).len(), 1);
}

/// Writes `lines` as a session of project `/p` in a fresh home; returns the home.
fn session_of(lines: &[Value]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tmp/p");
    std::fs::create_dir_all(dir.join("chats")).unwrap();
    std::fs::write(dir.join(".project_root"), "/p").unwrap();
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(
        dir.join("chats/session-2026-01-01T00-00-00000000.jsonl"),
        text.join("\n") + "\n",
    )
    .unwrap();
    home
}

const ID: &str = "00000000-1111-2222-3333-444444444444";

fn user(id: &str, text: &str) -> Value {
    json!({"id": id, "timestamp": "2026-01-01T00:00:00.000Z", "type": "user", "content": [{"text": text}]})
}

fn model(id: &str, text: &str) -> Value {
    json!({"id": id, "timestamp": "2026-01-01T00:00:01.000Z", "type": "gemini", "content": text})
}

fn all_texts(t: &Transcript) -> Vec<String> {
    let mut all = texts(&t.messages, Role::User);
    all.extend(texts(&t.messages, Role::Assistant));
    all
}

#[test]
fn updates_rewinds_and_checkpoints_shape_the_history_as_the_client_loads_it() {
    let meta = json!({"sessionId": ID, "projectHash": "h", "startTime": "2026-01-01T00:00:00.000Z", "kind": "main"});
    // A record seen again replaces the first in place; a rewind cuts back to before its target.
    let home = session_of(&[
        meta.clone(),
        user("u1", "first"),
        model("m1", "draft"),
        model("m1", "answer"),
        user("u2", "second"),
        model("m2", "gone"),
        json!({"$rewindTo": "u2"}),
        user("u3", "third"),
        json!({"$set": {"summary": "named", "lastUpdated": "2026-01-02T00:00:00.000Z"}}),
        json!({"id": "i1", "type": "info", "content": "switched model"}),
    ]);
    let t = GEMINI.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(texts(&t.messages, Role::User), ["first", "third"]);
    assert_eq!(texts(&t.messages, Role::Assistant), ["answer"]);
    assert_eq!(texts(&t.messages, Role::System), ["[info] switched model"]);
    assert_eq!(t.session.title.as_deref(), Some("named"));
    assert_eq!(t.session.updated_ms, Some(1_767_312_000_000));
    assert_eq!(
        GEMINI.list(home.path(), Some("/p"))[0].title.as_deref(),
        Some("named")
    );

    // A checkpoint replaces everything before it; a rewind to an unknown id clears all.
    let home = session_of(&[
        meta.clone(),
        user("u1", "old"),
        json!({"$set": {"messages": [user("s1", "summary of before"), model("s2", "Got it.")]}}),
        user("u2", "after"),
    ]);
    let t = GEMINI.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(all_texts(&t), ["summary of before", "after", "Got it."]);
    let home = session_of(&[
        meta,
        user("u1", "old"),
        json!({"$rewindTo": "nope"}),
        user("u2", "new"),
    ]);
    assert_eq!(
        all_texts(&GEMINI.extract(home.path(), by_id(ID)).transcript),
        ["new"]
    );
}

#[test]
fn calls_in_older_and_newer_shapes_read_with_their_results() {
    let meta = json!({"sessionId": ID, "projectHash": "h"});
    let home = session_of(&[
        meta,
        user("u1", "go"),
        // Older: calls only in toolCalls, a plain-string result, thoughts as summaries.
        json!({"id": "m1", "type": "gemini", "content": "", "thoughts": [{"subject": "Plan", "description": "list it"}],
               "toolCalls": [{"id": "c1", "name": "run_shell_command", "args": {"command": "ls"}, "result": "a.txt", "status": "success"}]}),
        // Newer: the calls in the content too, with an error result.
        json!({"id": "m2", "type": "gemini", "content": [{"functionCall": {"id": "c2", "name": "read_file", "args": {"file_path": "/x"}}}],
               "toolCalls": [{"id": "c2", "name": "read_file", "args": {"file_path": "/x"},
                              "result": [{"functionResponse": {"id": "c2", "name": "read_file", "response": {"error": "missing"}}}], "status": "error"}]}),
    ]);
    let t = GEMINI.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(
        outline(&t),
        [
            "text go",
            r#"Reasoning { text: "**Plan** list it", signature: None, provider: None }"#,
            "call run_shell_command Shell",
            "result false a.txt",
            "call read_file Read",
            "result true missing",
        ]
    );
}

#[test]
fn an_older_whole_file_session_reads_like_a_new_one() {
    let home = tempfile::tempdir().unwrap();
    let dir = home
        .path()
        .join("tmp")
        .join(sha256_hex("/old/project"))
        .join("chats");
    std::fs::create_dir_all(&dir).unwrap();
    let whole = json!({"sessionId": ID, "projectHash": sha256_hex("/old/project"),
        "startTime": "2025-06-01T10:00:00.000Z", "lastUpdated": "2025-06-01T10:05:00.000Z",
        "messages": [user("u1", "hello there"), model("m1", "hi")]});
    std::fs::write(
        dir.join("session-2025-06-01T10-00-00000000.json"),
        serde_json::to_string_pretty(&whole).unwrap(),
    )
    .unwrap();
    let rows = GEMINI.list(home.path(), Some("/old/project"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].title.as_deref(), Some("hello there"));
    let t = GEMINI.extract(home.path(), by_id(ID)).transcript;
    assert_eq!(all_texts(&t), ["hello there", "hi"]);
}

fn sha256_hex(text: &str) -> String {
    // The hash-named folders of older versions; the adapter's own hashing is what is tested.
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn garbage_lines_are_skipped_and_counted_and_a_file_of_no_session_is_an_error() {
    let (_, id, _) = real_session();
    let mut bytes = b"not json\n{\"truncated\": \n".to_vec();
    bytes.extend(real_bytes());
    let home = home_with(Some(&bytes));
    let extracted = GEMINI.extract(home.path(), by_id(&id));
    assert_eq!(extracted.report.skipped_lines, 2);
    assert_eq!(
        texts(&extracted.transcript.messages, Role::Assistant).len(),
        2
    );

    let file = home.path().join("not-a-session.jsonl");
    std::fs::write(&file, "{\"hello\": 1}\n").unwrap();
    let error = GeminiAdapter
        .extract(ExtractRequest {
            path: Some(file.display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(error.message.contains("not-a-session.jsonl"), "{error}");
}

#[test]
fn a_foreign_transcript_becomes_a_private_session_of_the_registered_project() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let project = work.path().canonicalize().unwrap().join("My App");
    std::fs::create_dir_all(&project).unwrap();
    // Another folder of the same name already holds the slug.
    std::fs::write(
        home.path().join("projects.json"),
        r#"{"projects":{"/elsewhere/my app":"my-app"}}"#,
    )
    .unwrap();
    std::fs::write(
        home.path().join("settings.json"),
        r#"{"model":{"name":"gemini-3-pro"}}"#,
    )
    .unwrap();
    let injected = GEMINI.inject(
        home.path(),
        &project,
        InjectMode::Write,
        foreign_transcript(),
    );
    assert_eq!(
        injected.resume_command,
        format!("gemini --resume {}", injected.session_id)
    );
    assert!(uuid::Uuid::parse_str(&injected.session_id).is_ok());
    let dir = home.path().join("tmp/my-app-1");
    let file = PathBuf::from(&injected.path);
    assert_eq!(file.parent().unwrap(), dir.join("chats"));
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("session-20")
            && name.ends_with(&format!("-{}.jsonl", &injected.session_id[..8])),
        "{name}"
    );
    // The session, and the markers of the project it registered.
    assert_eq!(
        injected.written,
        [
            Written::File {
                path: injected.path.clone()
            },
            Written::File {
                path: dir.join(".project_root").display().to_string()
            },
            Written::File {
                path: home
                    .path()
                    .join("history/my-app-1/.project_root")
                    .display()
                    .to_string()
            },
        ]
    );
    let registry: Value =
        serde_json::from_slice(&std::fs::read(home.path().join("projects.json")).unwrap()).unwrap();
    assert_eq!(
        registry["projects"],
        json!({"/elsewhere/my app": "my-app", project.display().to_string(): "my-app-1"})
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".project_root")).unwrap(),
        project.display().to_string()
    );
    #[cfg(unix)]
    {
        assert_eq!(file_mode(&file), 0o600);
        assert_eq!(file_mode(&dir.join("chats")), 0o700);
    }
    let records: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["sessionId"], injected.session_id.as_str());
    assert_eq!(records[0]["summary"], "handoff: fix the build");
    assert_eq!(
        records[0]["projectHash"].as_str().unwrap(),
        sha256_hex(&project.display().to_string())
    );
    let kinds: Vec<&str> = records[1..]
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["user", "gemini", "gemini"]);
    // The user's configured model, never the source's.
    assert_eq!(records[2]["model"], "gemini-3-pro");
    let calls = &records[2]["toolCalls"];
    assert_eq!(calls[0]["name"], "run_shell_command");
    assert_eq!(
        calls[0]["args"],
        json!({"command": "make", "dir_path": "/p"})
    );
    assert_eq!(
        calls[0]["result"][0]["functionResponse"]["response"],
        json!({"output": "make: ok"})
    );
    assert_eq!(calls[1]["name"], "read_file");
    assert_eq!(calls[1]["args"], json!({"file_path": "/p/Makefile"}));
    assert_eq!(calls[1]["status"], "error");

    let back = GEMINI
        .extract(home.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(
        back.session.title.as_deref(),
        Some("handoff: fix the build")
    );
    assert_eq!(
        back.session.cwd.as_deref(),
        Some(project.display().to_string().as_str())
    );
    assert_eq!(texts(&back.messages, Role::User), ["fix the build please"]);
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        ["Running make.", "Done."]
    );
    let rows = GEMINI.list(home.path(), Some(&project.display().to_string()));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].session_id, injected.session_id);
    // A second handoff to the same project reuses its slug and never overwrites.
    let again = GEMINI.inject(
        home.path(),
        &project,
        InjectMode::Write,
        foreign_transcript(),
    );
    assert_ne!(again.path, injected.path);
    assert_eq!(again.written.len(), 1);
    assert_eq!(PathBuf::from(&again.path).parent(), file.parent());
}

#[test]
fn plan_and_render_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let planned = GEMINI.inject(
        home.path(),
        project.path(),
        InjectMode::Plan,
        foreign_transcript(),
    );
    assert!(planned.written.is_empty());
    let rendered = GEMINI.inject(
        home.path(),
        project.path(),
        InjectMode::Render,
        foreign_transcript(),
    );
    assert!(rendered.rendered.unwrap().contains("\"run_shell_command\""));
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn a_gemini_session_round_trips_its_calls_unchanged() {
    let (_, id, _) = real_session();
    let source = home_with(None);
    let original = GEMINI.extract(source.path(), by_id(&id)).transcript;
    let target = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let injected = GEMINI.inject(
        target.path(),
        project.path(),
        InjectMode::Write,
        original.clone(),
    );
    let back = GEMINI
        .extract(target.path(), by_id(&injected.session_id))
        .transcript;
    assert_eq!(calls(&back), calls(&original));
    assert_eq!(
        texts(&back.messages, Role::Assistant),
        texts(&original.messages, Role::Assistant)
    );
}
