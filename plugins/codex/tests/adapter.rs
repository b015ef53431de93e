//! The Codex adapter over real rollouts (samples verified against codex 0.169, files the real
//! client wrote while talking to a mock model) and hand-written older generations.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use handoff_adapter_kit::testing::shared_call;
use handoff_adapter_kit::testing::{
    Format, Observation, extracted, file_differences, jsonl_fixtures, listed,
};
use handoff_codex::CodexAdapter;
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, Extracted, INTERRUPTED_OUTPUT, InjectMode, InjectRequest,
    ListRequest, Message, Part, Role, SessionMeta, Tool, ToolKind, Transcript, Written,
};

/// A shell call as the shared vocabulary holds it.
fn shell_tool(command: &str) -> Tool {
    let Value::Object(args) = json!({ "command": command }) else {
        unreachable!()
    };
    Tool {
        kind: ToolKind::Shell,
        args,
    }
}
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

/// A Codex home in a temp dir, with a project directory beside it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let home = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.project()).unwrap();
        home
    }
    fn codex(&self) -> PathBuf {
        self.dir.path().join("codex")
    }
    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }
    fn home_arg(&self) -> Option<String> {
        Some(self.codex().display().to_string())
    }
    /// Drops a rollout into `sessions/<day>/` under its real name.
    fn add(&self, day: &str, id: &str, text: &str) -> PathBuf {
        let dir = self.codex().join("sessions").join(day);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("rollout-2025-10-01T10-00-00-{id}.jsonl"));
        std::fs::write(&path, text).unwrap();
        path
    }
    fn extract_path(&self, path: &Path) -> Extracted {
        CodexAdapter
            .extract(ExtractRequest {
                home: self.home_arg(),
                path: Some(path.display().to_string()),
                ..Default::default()
            })
            .unwrap()
    }
    fn extract_text(&self, text: &str) -> Extracted {
        let path = self.add("2025/10/01", "0199a213-81c0-7800-8aa1-bbab2a035a54", text);
        self.extract_path(&path)
    }
    fn create_state_db(&self) -> PathBuf {
        std::fs::create_dir_all(self.codex()).unwrap();
        let db = self.codex().join("state_5.sqlite");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(&fixture("captured-0.169/state_5-schema.sql"))
            .unwrap();
        db
    }
}

fn texts(message: &Message) -> Vec<&str> {
    message
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn line(timestamp: &str, kind: &str, payload: Value) -> String {
    json!({"timestamp": timestamp, "type": kind, "payload": payload}).to_string()
}

#[test]
fn recommended_sample_reads_as_the_conversation() {
    let home = Home::new();
    let text = fixture("samples/resumes-ok-recommended.jsonl")
        .replace("__CWD__", &home.project().display().to_string());
    let extracted = home.extract_text(&text);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, "0199a213-81c0-7800-8aa1-bbab2a035a54");
    assert_eq!(t.session.agent, "codex");
    assert_eq!(
        t.session.cwd.as_deref(),
        Some(home.project().to_str().unwrap())
    );
    assert_eq!(
        t.session.title.as_deref(),
        Some("HANDOFF_USER_1: please list the files in this project")
    );
    assert_eq!(t.messages.len(), 2);
    assert_eq!(t.messages[0].role, Role::User);
    assert_eq!(t.messages[0].timestamp_ms, Some(1_759_312_801_000));
    let assistant = &t.messages[1];
    assert_eq!(assistant.role, Role::Assistant);
    assert_eq!(
        assistant.parts,
        vec![
            Part::Text {
                text: "HANDOFF_ASSISTANT_1: I will run ls.".into()
            },
            Part::ToolCall {
                id: "call_handoff_1".into(),
                name: "shell".into(),
                input: json!({"command": ["ls", "-1"]}),
                tool: shell_tool("ls -1"),
            },
            Part::ToolResult {
                call_id: "call_handoff_1".into(),
                output: "HANDOFF_TOOL_OUTPUT: README.md\nmain.rs".into(),
                images: vec![],
                is_error: false,
            },
            Part::Text {
                text: "HANDOFF_ASSISTANT_2: The project has README.md and main.rs.".into()
            },
        ]
    );
    assert_eq!(extracted.report.skipped_lines, 0);
}

#[test]
fn paginated_sample_with_ordinals_reads_alike() {
    let home = Home::new();
    let recommended = home.extract_text(&fixture("samples/resumes-ok-recommended.jsonl"));
    let paginated =
        Home::new().extract_text(&fixture("samples/paginated-after-codex-migrate.jsonl"));
    assert_eq!(
        paginated.transcript.session.id,
        "5c4a3b2e-1d0f-4a9b-8c7d-6e5f4a3b2c1d"
    );
    let parts = |e: &Extracted| -> Vec<Vec<Part>> {
        e.transcript
            .messages
            .iter()
            .map(|m| m.parts.clone())
            .collect()
    };
    assert_eq!(parts(&paginated), parts(&recommended));
}

#[test]
fn real_exec_session_skips_injected_context_and_marks_the_failed_command() {
    // Written by codex-cli 0.169.0 (`codex exec`) against a mock model that ran `ls -1; exit 3`.
    let home = Home::new();
    let extracted = home.extract_text(&fixture("captured-0.169/exec-failing-tool.jsonl"));
    let t = &extracted.transcript;
    assert_eq!(t.session.id, "01a20b1e-e1c8-7c91-ae93-cf660421149d");
    assert_eq!(t.session.cwd.as_deref(), Some("/tmp/cx/proj"));
    assert_eq!(t.session.model.as_deref(), Some("gpt-5.1-codex"));
    assert_eq!(
        t.session.title.as_deref(),
        Some("HELLO_THREE run a failing tool")
    );
    // The developer instructions, skills list and environment context are not conversation.
    assert_eq!(t.messages.len(), 2, "{:#?}", t.messages);
    assert_eq!(texts(&t.messages[0]), ["HELLO_THREE run a failing tool"]);
    let parts = &t.messages[1].parts;
    assert!(matches!(
        &parts[0],
        Part::ToolCall { name, input, .. } if name == "exec_command" && input["cmd"] == "ls -1; exit 3"
    ));
    match &parts[1] {
        Part::ToolResult {
            output, is_error, ..
        } => {
            assert!(*is_error, "exit code 3 is a failure");
            assert!(output.contains("a.txt"), "{output}");
        }
        other => panic!("expected the command output, got {other:?}"),
    }
    assert_eq!(texts(&t.messages[1]), ["MOCK_REPLY_2"]);
}

#[test]
fn pre_envelope_generation_with_state_lines() {
    let text = [
        r#"{"id":"5973b6c0-94b8-487b-a530-2aeb6098ae0e","timestamp":"2025-05-07T17:24:21.123Z","instructions":"be careful","git":{"branch":"main"}}"#,
        r#"{"record_type":"state"}"#,
        r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"<user_instructions>\n\nAGENTS rules\n\n</user_instructions>"}]}"#,
        r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>\n  <cwd>/srv/old-project</cwd>\n</environment_context>"}]}"#,
        r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"fix the parser"}]}"#,
        r#"{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"**Looking at parser**"}],"encrypted_content":"gAAAA-opaque"}"#,
        r#"{"type":"function_call","id":"fc_1","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"cargo test\"]}","call_id":"call_1"}"#,
        r#"{"record_type":"state"}"#,
        r#"{"type":"function_call_output","call_id":"call_1","output":"{\"output\":\"1 failed\",\"metadata\":{\"exit_code\":101,\"duration_seconds\":1.5}}"}"#,
        r#"{"type":"message","role":"assistant","content":[{"type":"output_text","text":"One test fails."}]}"#,
    ]
    .join("\n");
    let t = Home::new().extract_text(&text).transcript;
    assert_eq!(t.session.id, "5973b6c0-94b8-487b-a530-2aeb6098ae0e");
    assert_eq!(t.session.cwd.as_deref(), Some("/srv/old-project"));
    assert_eq!(t.session.git_branch.as_deref(), Some("main"));
    assert_eq!(t.session.created_ms, Some(1_746_638_661_123));
    assert_eq!(t.messages.len(), 2);
    assert_eq!(texts(&t.messages[0]), ["fix the parser"]);
    assert_eq!(
        t.messages[1].parts,
        vec![
            Part::Reasoning {
                text: "**Looking at parser**".into(),
                signature: Some("gAAAA-opaque".into()),
                provider: Some("openai".into()),
            },
            Part::ToolCall {
                id: "call_1".into(),
                name: "shell".into(),
                input: json!({"command": ["bash", "-lc", "cargo test"]}),
                tool: shell_tool("cargo test"),
            },
            Part::ToolResult {
                call_id: "call_1".into(),
                output: "1 failed".into(),
                images: vec![],
                is_error: true,
            },
            Part::Text {
                text: "One test fails.".into()
            },
        ]
    );
}

#[test]
fn transitional_record_type_lines_are_read() {
    let text = [
        r#"{"record_type":"session_meta","id":"0198f0a2-0000-7000-8000-000000000001","timestamp":"2025-08-20T09:00:00.000Z","cwd":"/srv/mid"}"#,
        r#"{"record_type":"response_item","type":"message","role":"user","content":[{"type":"input_text","text":"hello there"}]}"#,
        r#"{"record_type":"response_item","type":"message","role":"assistant","content":[{"type":"output_text","text":"hi"}]}"#,
        r#"{"record_type":"state","history":[]}"#,
    ]
    .join("\n");
    let t = Home::new().extract_text(&text).transcript;
    assert_eq!(t.session.id, "0198f0a2-0000-7000-8000-000000000001");
    assert_eq!(t.session.cwd.as_deref(), Some("/srv/mid"));
    assert_eq!(t.messages.len(), 2);
    assert_eq!(texts(&t.messages[1]), ["hi"]);
}

fn meta_line(id: &str, cwd: &str, source: &str) -> String {
    line(
        "2025-10-01T10:00:00.000Z",
        "session_meta",
        json!({"id": id, "timestamp": "2025-10-01T10:00:00.000Z", "cwd": cwd,
               "originator": "codex_cli_rs", "cli_version": "0.50.0", "source": source}),
    )
}

fn user_line(text: &str) -> String {
    line(
        "2025-10-01T10:00:01.000Z",
        "response_item",
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}),
    )
}

fn assistant_line(text: &str) -> String {
    line(
        "2025-10-01T10:00:02.000Z",
        "response_item",
        json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
    )
}

#[test]
fn compaction_with_replacement_history_replaces_what_came_before() {
    let text = [
        meta_line("0199a213-81c0-7800-8aa1-bbab2a035a54", "/p", "cli"),
        user_line("old question"),
        assistant_line("old answer"),
        line(
            "2025-10-01T11:00:00.000Z",
            "compacted",
            json!({"message": "Summary: we fixed the parser.", "replacement_history": [
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "old question"}]},
                {"type": "compaction", "encrypted_content": "opaque"}
            ]}),
        ),
        user_line("new question"),
    ]
    .join("\n");
    let t = Home::new().extract_text(&text).transcript;
    let summary: Vec<(Role, Vec<Part>)> = t
        .messages
        .iter()
        .map(|m| (m.role, m.parts.clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                Role::User,
                vec![Part::Compaction {
                    summary: "Summary: we fixed the parser.".into()
                }]
            ),
            (
                Role::User,
                vec![Part::Text {
                    text: "old question".into()
                }]
            ),
            (
                Role::User,
                vec![Part::Text {
                    text: "new question".into()
                }]
            ),
        ]
    );
}

#[test]
fn compaction_without_replacement_history_keeps_the_past_and_marks_it() {
    let text = [
        meta_line("0199a213-81c0-7800-8aa1-bbab2a035a54", "/p", "cli"),
        user_line("old question"),
        line(
            "2025-10-01T11:00:00.000Z",
            "compacted",
            json!({"message": "Summary so far"}),
        ),
        user_line("new question"),
    ]
    .join("\n");
    let t = Home::new().extract_text(&text).transcript;
    assert_eq!(t.messages.len(), 3);
    assert_eq!(
        t.messages[1].parts,
        vec![Part::Compaction {
            summary: "Summary so far".into()
        }]
    );
}

#[test]
fn images_in_user_messages_and_tool_outputs() {
    let png = "iVBORw0KGgo=";
    let text = [
        meta_line("0199a213-81c0-7800-8aa1-bbab2a035a54", "/p", "cli"),
        line(
            "2025-10-01T10:00:01.000Z",
            "response_item",
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "what is in this screenshot?"},
                {"type": "input_image", "image_url": format!("data:image/png;base64,{png}")}
            ]}),
        ),
        line(
            "2025-10-01T10:00:02.000Z",
            "response_item",
            json!({"type": "function_call", "name": "view_image", "arguments": "{\"path\":\"/p/a.png\"}", "call_id": "c1"}),
        ),
        line(
            "2025-10-01T10:00:03.000Z",
            "response_item",
            json!({"type": "function_call_output", "call_id": "c1", "output": [
                {"type": "input_text", "text": "attached"},
                {"type": "input_image", "image_url": format!("data:image/jpeg;base64,{png}")}
            ]}),
        ),
    ]
    .join("\n");
    let t = Home::new().extract_text(&text).transcript;
    match &t.messages[0].parts[1] {
        Part::Image(media) => {
            assert_eq!(media.media_type, "image/png");
            assert_eq!(media.data_base64.as_deref(), Some(png));
        }
        other => panic!("expected an image, got {other:?}"),
    }
    match &t.messages[1].parts[1] {
        Part::ToolResult { output, images, .. } => {
            assert_eq!(output, "attached");
            assert_eq!(images.len(), 1);
            assert_eq!(images[0].media_type, "image/jpeg");
        }
        other => panic!("expected a tool result, got {other:?}"),
    }
}

#[test]
fn parallel_calls_and_custom_tools_keep_their_order() {
    let text = [
        meta_line("0199a213-81c0-7800-8aa1-bbab2a035a54", "/p", "cli"),
        user_line("read both"),
        line(
            "2025-10-01T10:00:02.000Z",
            "response_item",
            json!({"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"cat\",\"a\"]}", "call_id": "c1"}),
        ),
        line(
            "2025-10-01T10:00:02.000Z",
            "response_item",
            json!({"type": "function_call", "name": "shell", "arguments": "not json", "call_id": "c2"}),
        ),
        line(
            "2025-10-01T10:00:03.000Z",
            "response_item",
            json!({"type": "function_call_output", "call_id": "c2", "output": "B"}),
        ),
        line(
            "2025-10-01T10:00:03.000Z",
            "response_item",
            json!({"type": "function_call_output", "call_id": "c1", "output": "A"}),
        ),
        line(
            "2025-10-01T10:00:04.000Z",
            "response_item",
            json!({"type": "custom_tool_call", "status": "completed", "call_id": "c3", "name": "apply_patch", "input": "*** Begin Patch\n*** End Patch"}),
        ),
        line(
            "2025-10-01T10:00:04.000Z",
            "response_item",
            json!({"type": "custom_tool_call_output", "call_id": "c3", "output": "Success."}),
        ),
    ]
    .join("\n");
    let t = Home::new().extract_text(&text).transcript;
    let order: Vec<String> = t.messages[1]
        .parts
        .iter()
        .map(|p| match p {
            Part::ToolCall { id, input, .. } => format!("call {id} {input}"),
            Part::ToolResult {
                call_id, output, ..
            } => format!("result {call_id} {output}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        order,
        [
            r#"call c1 {"command":["cat","a"]}"#,
            r#"call c2 "not json""#,
            "result c2 B",
            "result c1 A",
            "call c3 \"*** Begin Patch\\n*** End Patch\"",
            "result c3 Success.",
        ]
    );
}

#[test]
fn garbage_lines_are_counted_and_empty_files_refused() {
    let home = Home::new();
    let text = [
        meta_line("0199a213-81c0-7800-8aa1-bbab2a035a54", "/p", "cli"),
        "{not json".to_owned(),
        user_line("still here"),
        r#"{"timestamp":"2025-10-01T10:00:05.000Z","type":"response_item","payload":{"type":"mess"#
            .to_owned(),
    ]
    .join("\n");
    let extracted = home.extract_text(&text);
    assert_eq!(extracted.report.skipped_lines, 2);
    assert_eq!(texts(&extracted.transcript.messages[0]), ["still here"]);

    let path = home.add(
        "2025/10/02",
        "0199a213-81c0-7800-8aa1-000000000000",
        "garbage\n\n",
    );
    let err = CodexAdapter
        .extract(ExtractRequest {
            path: Some(path.display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(
        err.message.contains(path.to_str().unwrap()),
        "{}",
        err.message
    );
}

#[test]
fn zstd_rollouts_are_decoded_and_fake_ones_refused() {
    let home = Home::new();
    let text = fixture("samples/resumes-ok-recommended.jsonl");
    let dir = home.codex().join("sessions/2025/10/01");
    std::fs::create_dir_all(&dir).unwrap();
    let zst =
        dir.join("rollout-2025-10-01T10-00-00-0199a213-81c0-7800-8aa1-bbab2a035a54.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(text.as_bytes(), 3).unwrap()).unwrap();
    let extracted = CodexAdapter
        .extract(ExtractRequest {
            home: home.home_arg(),
            session_id: Some("0199a213".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(extracted.transcript.messages.len(), 2);
    assert_eq!(
        extracted.transcript.session.source_path.as_deref(),
        Some(zst.to_str().unwrap())
    );
    let listed = CodexAdapter
        .list_sessions(ListRequest {
            home: home.home_arg(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].messages, 2);
    assert_eq!(
        listed[0].title.as_deref(),
        Some("HANDOFF_USER_1: please list the files in this project")
    );

    let fake =
        dir.join("rollout-2025-10-01T10-00-00-0199a213-81c0-7800-8aa1-00000000000f.jsonl.zst");
    std::fs::write(&fake, text.as_bytes()).unwrap();
    let err = CodexAdapter
        .extract(ExtractRequest {
            path: Some(fake.display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(err.message.contains("zstd") && err.message.contains(fake.to_str().unwrap()));
}

fn set_mtime(path: &Path, seconds: u64) {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

#[test]
fn list_filters_by_project_newest_first_and_finds_by_prefix() {
    let home = Home::new();
    let project = home.project().display().to_string();
    let other = home.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let ids = [
        "0199a213-0000-7000-8000-000000000001",
        "0199a213-0000-7000-8000-000000000002",
        "0199a214-0000-7000-8000-000000000003",
    ];
    let a = home.add(
        "2025/10/01",
        ids[0],
        &[meta_line(ids[0], &project, "cli"), user_line("first task")].join("\n"),
    );
    // An `exec` session counts like any other; its later turn moved to another directory.
    let b = home.add(
        "2025/10/02",
        ids[1],
        &[
            meta_line(ids[1], "/elsewhere", "exec"),
            user_line("second task"),
            line(
                "2025-10-02T10:00:00.000Z",
                "turn_context",
                json!({"cwd": project}),
            ),
        ]
        .join("\n"),
    );
    let c = home.add(
        "2025/10/03",
        ids[2],
        &[
            meta_line(ids[2], other.to_str().unwrap(), "cli"),
            user_line("third"),
        ]
        .join("\n"),
    );
    set_mtime(&a, 1_000);
    set_mtime(&b, 2_000);
    set_mtime(&c, 3_000);

    let listed = CodexAdapter
        .list_sessions(ListRequest {
            home: home.home_arg(),
            cwd: Some(project.clone()),
            limit: None,
            ..Default::default()
        })
        .unwrap();
    let got: Vec<(&str, Option<&str>)> = listed
        .iter()
        .map(|s| (s.session_id.as_str(), s.title.as_deref()))
        .collect();
    assert_eq!(
        got,
        [(ids[1], Some("second task")), (ids[0], Some("first task"))]
    );
    assert_eq!(listed[0].updated_ms, Some(2_000_000));
    let all = CodexAdapter
        .list_sessions(ListRequest {
            home: home.home_arg(),
            cwd: None,
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].session_id, ids[2]);

    // The most recent session of the project, by prefix, and the errors.
    let latest = CodexAdapter
        .extract(ExtractRequest {
            home: home.home_arg(),
            cwd: Some(project.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(latest.transcript.session.id, ids[1]);
    let by_prefix = |prefix: &str| {
        CodexAdapter.extract(ExtractRequest {
            home: home.home_arg(),
            session_id: Some(prefix.into()),
            ..Default::default()
        })
    };
    assert_eq!(by_prefix("0199A214").unwrap().transcript.session.id, ids[2]);
    let ambiguous = by_prefix("0199a213").unwrap_err();
    assert_eq!(ambiguous.kind, ErrorKind::Ambiguous);
    assert!(ambiguous.message.contains(ids[0]) && ambiguous.message.contains(ids[1]));
    assert_eq!(by_prefix("ffff").unwrap_err().kind, ErrorKind::NotFound);
    let none = CodexAdapter
        .extract(ExtractRequest {
            home: home.home_arg(),
            cwd: Some(home.dir.path().display().to_string()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(none.kind, ErrorKind::NotFound);
    assert!(
        none.message.starts_with("no codex session for "),
        "{}",
        none.message
    );
}

#[test]
fn list_trusts_a_fresh_index_row_and_falls_back_on_a_stale_one() {
    let home = Home::new();
    let db = home.create_state_db();
    let id = "0199a213-0000-7000-8000-000000000001";
    let path = home.add(
        "2025/10/01",
        id,
        &[
            meta_line(id, "/from/file", "cli"),
            user_line("title from file"),
        ]
        .join("\n"),
    );
    set_mtime(&path, 1_000);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let insert = |updated_ms: i64| {
        conn.execute("DELETE FROM threads", []).unwrap();
        conn.execute(
            "INSERT INTO threads (id, rollout_path, created_at, updated_at, updated_at_ms, source,
             model_provider, cwd, title, sandbox_policy, approval_mode)
             VALUES (?1, ?2, 1, 1, ?3, 'cli', 'openai', '/from/index', 'title from index', '{}', 'never')",
            rusqlite::params![id, path.display().to_string(), updated_ms],
        )
        .unwrap();
    };
    let list = || {
        CodexAdapter
            .list_sessions(ListRequest {
                home: home.home_arg(),
                ..Default::default()
            })
            .unwrap()
    };
    insert(1_000_000);
    let fresh = list();
    assert_eq!(fresh[0].cwd.as_deref(), Some("/from/index"));
    assert_eq!(fresh[0].title.as_deref(), Some("title from index"));
    insert(1_000);
    let stale = list();
    assert_eq!(stale[0].cwd.as_deref(), Some("/from/file"));
    assert_eq!(stale[0].title.as_deref(), Some("title from file"));
}

/// A Claude conversation as the host's normalize step hands it over: the MCP call was never
/// answered, so it has the interrupted result beside its sibling's.
fn foreign_transcript() -> Transcript {
    let mut user = Message::new(
        Role::User,
        vec![Part::Text {
            text: "please run the tests".into(),
        }],
    );
    user.timestamp_ms = Some(1_759_312_800_000);
    let assistant = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning {
                text: "private thoughts".into(),
                signature: Some("anthropic-signature".into()),
                provider: Some("anthropic".into()),
            },
            Part::Text {
                text: "Running them.".into(),
            },
            shared_call(
                "toolu_1",
                "run",
                ToolKind::Shell,
                json!({"command": "cargo test", "description": "run tests"}),
            ),
            Part::ToolCall {
                id: "toolu_2".into(),
                name: "mcp__github__get_issue".into(),
                input: json!({"number": 5}),
                tool: Tool::default(),
            },
        ],
    );
    let results = Message::new(
        Role::User,
        vec![
            Part::ToolResult {
                call_id: "toolu_1".into(),
                output: "test result: FAILED".into(),
                images: vec![],
                is_error: true,
            },
            Part::ToolResult {
                call_id: "toolu_2".into(),
                output: INTERRUPTED_OUTPUT.into(),
                images: vec![],
                is_error: true,
            },
        ],
    );
    let system = Message::new(
        Role::System,
        vec![Part::Text {
            text: "You are Claude".into(),
        }],
    );
    let end = Message::new(
        Role::Assistant,
        vec![Part::Text {
            text: "One test fails.".into(),
        }],
    );
    Transcript::new(
        SessionMeta {
            id: "ses_foreign".into(),
            agent: "claude".into(),
            model: Some("claude-opus".into()),
            ..Default::default()
        },
        vec![system, user, assistant, results, end],
    )
}

fn rollout_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn inject_writes_a_rollout_codex_resumes_and_registers_the_thread() {
    let home = Home::new();
    let db = home.create_state_db();
    std::fs::write(
        home.codex().join("config.toml"),
        "model_provider = \"azure\"\n",
    )
    .unwrap();
    let project = home.project().display().to_string();
    let injected = CodexAdapter
        .inject(InjectRequest {
            home: home.home_arg(),
            cwd: project.clone(),
            mode: InjectMode::Write,
            transcript: foreign_transcript(),
        })
        .unwrap();
    let id = uuid::Uuid::parse_str(&injected.session_id).unwrap();
    assert_eq!(id.get_version_num(), 7);
    assert_eq!(injected.resume_command, format!("codex resume {id}"));
    let path = PathBuf::from(&injected.path);
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("rollout-") && name.ends_with(&format!("-{id}.jsonl")),
        "{name}"
    );
    assert!(path.starts_with(home.codex().join("sessions")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let lines = rollout_lines(&std::fs::read_to_string(&path).unwrap());
    assert!(lines.iter().all(|l| l["timestamp"].is_string()));
    let meta = &lines[0];
    assert_eq!(meta["type"], "session_meta");
    assert_eq!(meta["payload"]["id"], id.to_string());
    assert_eq!(meta["payload"]["cwd"], project);
    assert_eq!(meta["payload"]["source"], "cli");
    assert!(meta["payload"].get("model_provider").is_none());
    assert!(!lines.iter().any(|l| l.to_string().contains("claude-opus")));
    assert_eq!(lines[1]["type"], "turn_context");
    let items: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "response_item")
        .map(|l| &l["payload"])
        .collect();
    let kinds: Vec<String> = items
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["type"].as_str().unwrap(),
                i["role"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "message:user",
            "message:assistant",
            "function_call:",
            "function_call:",
            "function_call_output:",
            "function_call_output:",
            "message:assistant"
        ]
    );
    // Foreign shell calls become Codex's `shell` with an argv, keeping what `shell` has no key
    // for under its own name; MCP tools keep their name.
    assert_eq!(items[2]["name"], "shell");
    let arguments: Value = serde_json::from_str(items[2]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(
        arguments,
        json!({"command": ["bash", "-lc", "cargo test"], "description": "run tests"})
    );
    assert_eq!(items[3]["name"], "mcp__github__get_issue");
    assert_eq!(items[4]["call_id"], "toolu_1");
    assert_eq!(items[4]["output"], "test result: FAILED");
    assert_eq!(items[5]["call_id"], "toolu_2");
    assert_eq!(items[5]["output"], INTERRUPTED_OUTPUT);
    assert!(
        !lines
            .iter()
            .any(|l| l.to_string().contains("private thoughts"))
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.to_string().contains("You are Claude"))
    );
    let events: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "event_msg")
        .map(|l| l["payload"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["user_message", "agent_message", "agent_message"]);

    // The thread index knows it, with the user's own provider.
    assert!(injected.written.contains(&Written::File {
        path: injected.path.clone()
    }));
    let rows = Written::Rows {
        path: db.display().to_string(),
        table: "threads".into(),
        ids: vec![id.to_string()],
    };
    assert!(injected.written.contains(&rows), "{:?}", injected.written);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (rollout_path, cwd, preview, provider, source, recency): (String, String, String, String, String, i64) = conn
        .query_row(
            "SELECT rollout_path, cwd, preview, model_provider, source, recency_at_ms FROM threads WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(rollout_path, injected.path);
    assert_eq!(cwd, project);
    assert_eq!(preview, "please run the tests");
    assert_eq!(provider, "azure");
    assert_eq!(source, "cli");
    assert!(recency > 0);

    // Reading it back gives the conversation (Codex's own shape).
    let back = home.extract_path(&path).transcript;
    assert_eq!(back.session.id, id.to_string());
    assert_eq!(back.session.cwd.as_deref(), Some(project.as_str()));
    assert_eq!(back.messages.len(), 2);
    assert_eq!(
        texts(&back.messages[1]),
        ["Running them.", "One test fails."]
    );

    // Undo removes exactly the row.
    let removed = CodexAdapter
        .call("remove", serde_json::to_value(&injected).unwrap())
        .unwrap();
    assert_eq!(removed["removed"], 1);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM threads", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn codex_to_codex_keeps_native_tools_and_openai_reasoning() {
    let home = Home::new();
    let source = home.extract_text(&fixture("captured-0.169/exec-failing-tool.jsonl"));
    let mut transcript = source.transcript.clone();
    transcript.messages[1].parts.insert(
        0,
        Part::Reasoning {
            text: "thinking".into(),
            signature: Some("gAAAA-encrypted".into()),
            provider: Some("openai".into()),
        },
    );
    let target = Home::new();
    let injected = CodexAdapter
        .inject(InjectRequest {
            home: target.home_arg(),
            cwd: target.project().display().to_string(),
            mode: InjectMode::Write,
            transcript: transcript.clone(),
        })
        .unwrap();
    // No state database in this home: only the file is written, and it still resumes by id.
    assert_eq!(injected.written.len(), 1);
    let back = target.extract_path(Path::new(&injected.path)).transcript;
    let parts = |t: &Transcript| -> Vec<(Role, Vec<Part>)> {
        t.messages
            .iter()
            .map(|m| (m.role, m.parts.clone()))
            .collect()
    };
    assert_eq!(parts(&back), parts(&transcript));
}

#[test]
fn plan_writes_nothing_and_render_returns_the_rollout() {
    let home = Home::new();
    let request = |mode| InjectRequest {
        home: home.home_arg(),
        cwd: home.project().display().to_string(),
        mode,
        transcript: foreign_transcript(),
    };
    let planned = CodexAdapter.inject(request(InjectMode::Plan)).unwrap();
    assert!(planned.written.is_empty() && planned.rendered.is_none());
    assert!(planned.path.contains(&planned.session_id));
    let rendered = CodexAdapter.inject(request(InjectMode::Render)).unwrap();
    let text = rendered.rendered.unwrap();
    let lines = rollout_lines(&text);
    assert_eq!(lines[0]["payload"]["id"], rendered.session_id);
    assert!(!home.codex().exists(), "nothing may be written");
}

#[test]
fn injected_images_and_compaction_are_user_input() {
    let home = Home::new();
    let transcript = Transcript::new(
        SessionMeta {
            id: "x".into(),
            agent: "opencode".into(),
            ..Default::default()
        },
        vec![
            Message::new(
                Role::User,
                vec![Part::Compaction {
                    summary: "Earlier we set up CI.".into(),
                }],
            ),
            Message::new(
                Role::User,
                vec![
                    Part::Text {
                        text: "look".into(),
                    },
                    Part::Image(handoff_plugin_api::Media {
                        media_type: "image/png".into(),
                        data_base64: Some("AAAA".into()),
                        path: None,
                        name: None,
                    }),
                ],
            ),
        ],
    );
    let rendered = CodexAdapter
        .inject(InjectRequest {
            home: home.home_arg(),
            cwd: home.project().display().to_string(),
            mode: InjectMode::Render,
            transcript,
        })
        .unwrap()
        .rendered
        .unwrap();
    let items: Vec<Value> = rollout_lines(&rendered)
        .into_iter()
        .filter(|l| l["type"] == "response_item")
        .map(|l| l["payload"].clone())
        .collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["content"][0]["text"], "Earlier we set up CI.");
    assert_eq!(items[1]["content"][1]["type"], "input_image");
    assert_eq!(
        items[1]["content"][1]["image_url"],
        "data:image/png;base64,AAAA"
    );
}

#[test]
fn a_file_resumed_by_the_real_client_reads_back_with_both_turns() {
    // Injected by this adapter, then `codex exec resume --last` (0.169.0) appended a turn.
    let t = Home::new()
        .extract_text(&fixture("captured-0.169/injected-then-resumed.jsonl"))
        .transcript;
    let users: Vec<Vec<&str>> = t
        .messages
        .iter()
        .filter(|m| m.role == Role::User)
        .map(texts)
        .collect();
    assert_eq!(
        users,
        [
            vec!["HANDOFF_USER_1: list files"],
            vec!["what did we do so far?"]
        ]
    );
    assert_eq!(t.session.cwd.as_deref(), Some("/tmp/cx/proj2"));
    assert_eq!(texts(t.messages.last().unwrap()), ["MOCK_REPLY_1"]);
}

const REAL_ID: &str = "01a20b25-6870-7401-bf9b-27b91e0e682f";

/// A home holding the conformance suite's real `codex exec` rollout and a copy of its real index.
fn real_home() -> (Home, PathBuf, PathBuf) {
    let home = Home::new();
    let name = format!("real/rollout-2026-11-24T01-22-10-{REAL_ID}.jsonl");
    let path = home.add("2026/11/24", REAL_ID, &fixture(&name));
    let db = home.codex().join("state_5.sqlite");
    std::fs::copy(Path::new(FIXTURES).join("real/state_5.sqlite"), &db).unwrap();
    (home, path, db)
}

#[test]
fn real_client_exec_rollout_reads_with_its_markers() {
    let (home, path, _) = real_home();
    let extracted = home.extract_path(&path);
    let t = &extracted.transcript;
    assert_eq!(extracted.report.skipped_lines, 0);
    assert_eq!(t.session.id, REAL_ID);
    assert_eq!(
        t.session.cwd.as_deref(),
        Some("/tmp/handoff-conf-qEfdJ5/work/project")
    );
    assert_eq!(t.messages.len(), 2);
    assert_eq!(
        texts(&t.messages[0]),
        ["HOK_USER_PROMPT_a41c: run the marker command, then read the missing file"]
    );
    let results: Vec<(&str, bool)> = t.messages[1]
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolResult {
                output, is_error, ..
            } => Some((output.as_str(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].0.contains("HOK_OUT_42") && !results[0].1);
    assert!(results[1].0.contains("HOK_ERR_FILE_9d07") && results[1].1);
    let said = texts(&t.messages[1]);
    assert!(said[0].starts_with("HOK_ASSISTANT_TEXT_5be2"));
    assert!(said[1].starts_with("HOK_FINAL_REPLY_c3f8"));
}

#[test]
fn real_index_lists_exec_sessions_and_takes_injected_threads_first() {
    let (home, path, db) = real_home();
    set_mtime(&path, 1_000);
    // The index row points at the conformance run's path, not here: the file itself is read.
    let listed = CodexAdapter
        .list_sessions(ListRequest {
            home: home.home_arg(),
            cwd: Some("/tmp/handoff-conf-qEfdJ5/work/project".into()),
            limit: None,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].session_id, REAL_ID);
    assert_eq!(listed[0].messages, 2);
    assert_eq!(
        listed[0].title.as_deref(),
        Some("HOK_USER_PROMPT_a41c: run the marker command, then read the missing file")
    );

    // Injecting into the real schema fills it and lists first.
    let injected = CodexAdapter
        .inject(InjectRequest {
            home: home.home_arg(),
            cwd: home.project().display().to_string(),
            mode: InjectMode::Write,
            transcript: foreign_transcript(),
        })
        .unwrap();
    assert_eq!(injected.written.len(), 2, "{:?}", injected.written);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (history_mode, updated_ms, first): (String, i64, String) = conn
        .query_row(
            "SELECT history_mode, updated_at_ms, first_user_message FROM threads WHERE id = ?1",
            [&injected.session_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(history_mode, "legacy");
    assert!(updated_ms > 1_000_000);
    assert_eq!(first, "please run the tests");
    let all = CodexAdapter
        .list_sessions(ListRequest {
            home: home.home_arg(),
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(ids, [injected.session_id.as_str(), REAL_ID]);
    assert_eq!(all[0].title.as_deref(), Some("please run the tests"));
}

#[test]
fn listed_message_counts_match_extract() {
    let injected_only_tools = Home::new();
    let tools_only = Transcript::new(
        SessionMeta {
            id: "x".into(),
            agent: "claude".into(),
            ..Default::default()
        },
        vec![
            Message::new(Role::User, vec![Part::Text { text: "go".into() }]),
            Message::new(
                Role::Assistant,
                vec![shared_call(
                    "t1",
                    "run",
                    ToolKind::Shell,
                    json!({"command": "ls"}),
                )],
            ),
            Message::new(
                Role::User,
                vec![Part::Text {
                    text: "again".into(),
                }],
            ),
        ],
    );
    let written = CodexAdapter
        .inject(InjectRequest {
            home: injected_only_tools.home_arg(),
            cwd: injected_only_tools.project().display().to_string(),
            mode: InjectMode::Write,
            transcript: tools_only,
        })
        .unwrap();
    let mut cases = vec![(injected_only_tools, PathBuf::from(written.path))];
    for name in [
        "samples/resumes-ok-recommended.jsonl",
        "captured-0.169/exec-failing-tool.jsonl",
        "captured-0.169/injected-then-resumed.jsonl",
        &format!("real/rollout-2026-11-24T01-22-10-{REAL_ID}.jsonl"),
    ] {
        let home = Home::new();
        let path = home.add("2025/10/01", REAL_ID, &fixture(name));
        cases.push((home, path));
    }
    for (home, path) in cases {
        let listed = CodexAdapter
            .list_sessions(ListRequest {
                home: home.home_arg(),
                ..Default::default()
            })
            .unwrap();
        let extracted = home.extract_path(&path);
        assert_eq!(
            listed[0].messages,
            extracted.transcript.messages.len(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn subagent_threads_are_not_listed_as_sessions() {
    let home = Home::new();
    let project = home.project().display().to_string();
    let parent = "0199a213-0000-7000-8000-0000000000aa";
    let child = "0199a213-0000-7000-8000-0000000000bb";
    let parent_path = home.add(
        "2025/10/01",
        parent,
        &[meta_line(parent, &project, "cli"), user_line("main task")].join("\n"),
    );
    let child_meta = line(
        "2025-10-01T10:00:00.000Z",
        "session_meta",
        json!({"id": child, "timestamp": "2025-10-01T10:00:00.000Z", "cwd": project,
               "originator": "codex_cli_rs", "cli_version": "0.169.0",
               "source": {"subagent": {"thread_spawn": {"parent_thread_id": parent, "depth": 1}}}}),
    );
    let child_path = home.add(
        "2025/10/01",
        child,
        &[child_meta, user_line("sub task")].join("\n"),
    );
    set_mtime(&parent_path, 1_000);
    set_mtime(&child_path, 2_000);
    let latest = CodexAdapter
        .extract(ExtractRequest {
            home: home.home_arg(),
            cwd: Some(project),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(latest.transcript.session.id, parent);
}

/// `status` (a limit of 1) goes newest first and tells another project's rollout by its ends:
/// a long rollout that started in this project but whose last turn moved elsewhere is not this
/// project's latest, and an older one that ended here is.
#[test]
fn the_latest_of_a_project_is_told_by_the_ends_of_newer_rollouts() {
    let home = Home::new();
    let project = home.project().display().to_string();
    let ids = [
        "0199a213-0000-7000-8000-0000000000a1",
        "0199a213-0000-7000-8000-0000000000a2",
        "0199a213-0000-7000-8000-0000000000a3",
    ];
    let ours = home.add(
        "2025/10/01",
        ids[0],
        &[
            meta_line(ids[0], "/elsewhere", "exec"),
            user_line("older, ended here"),
            line(
                "2025-10-01T10:00:00.000Z",
                "turn_context",
                json!({"cwd": project}),
            ),
        ]
        .join("\n"),
    );
    // Megabytes of output between the head and the last turn: only the ends tell its project.
    let output = "x".repeat(1 << 20);
    let mut moved = vec![
        meta_line(ids[1], &project, "cli"),
        user_line("started here"),
    ];
    moved.extend((0..3).map(|_| assistant_line(&output)));
    moved.push(line(
        "2025-10-02T10:00:00.000Z",
        "turn_context",
        json!({"cwd": "/elsewhere"}),
    ));
    let moved = home.add("2025/10/02", ids[1], &moved.join("\n"));
    let other = home.add(
        "2025/10/03",
        ids[2],
        &[meta_line(ids[2], "/other", "cli"), user_line("other")].join("\n"),
    );
    set_mtime(&ours, 1_000);
    set_mtime(&moved, 2_000);
    set_mtime(&other, 3_000);

    let latest = |limit| {
        CodexAdapter
            .list_sessions(ListRequest {
                home: home.home_arg(),
                cwd: Some(project.clone()),
                limit,
                ..Default::default()
            })
            .unwrap()
    };
    let first = latest(Some(1));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].session_id, ids[0]);
    assert_eq!(first[0].messages, 1);
    // The whole listing agrees.
    let all: Vec<String> = latest(None).into_iter().map(|r| r.session_id).collect();
    assert_eq!(all, [ids[0]]);
}

/// What list, status and extract make of one rollout: its list row (among every project's,
/// and as `status` finds the project's newest), and its transcript by path and as the project's
/// latest.
fn observe(bytes: &[u8], cwd: Option<&str>) -> Observation {
    let home = Home::new();
    let path = home.add("2025/10/01", REAL_ID, "");
    std::fs::write(&path, bytes).unwrap();
    set_mtime(&path, 1_000);
    let list = |cwd: Option<&str>, limit| {
        let rows = CodexAdapter
            .list_sessions(ListRequest {
                home: home.home_arg(),
                cwd: cwd.map(str::to_owned),
                limit,
                ..Default::default()
            })
            .unwrap();
        listed(&rows)
    };
    let extract = |request: ExtractRequest| {
        extracted(CodexAdapter.extract(ExtractRequest {
            home: home.home_arg(),
            ..request
        }))
    };
    let project = cwd.unwrap_or("/nowhere");
    vec![
        ("list", list(None, None)),
        ("status", list(Some(project), Some(1))),
        (
            "extract",
            extract(ExtractRequest {
                path: Some(path.display().to_string()),
                ..Default::default()
            }),
        ),
        (
            "latest",
            extract(ExtractRequest {
                cwd: Some(project.to_owned()),
                ..Default::default()
            }),
        ),
    ]
}

/// Every fixture rollout, and the well-formed ones again with their texts and outputs padded
/// past the search windows.
fn every_fixture() -> Vec<(String, Vec<u8>)> {
    jsonl_fixtures(
        Path::new(FIXTURES),
        &["real", "captured-0.169", "samples", "malformed"],
        &["text", "output"],
    )
}

/// Valid JSON is understood however it is written: every fixture rollout, re-serialised every
/// valid way (spaces, key order, escapes, CRLF, a BOM, and lines that each choose on their
/// own), lists and extracts exactly as the file Codex wrote.
#[test]
fn every_valid_serialisation_lists_and_extracts_alike() {
    let mut failures = Vec::new();
    for (name, original) in every_fixture() {
        // The project whose status and latest session are asked: the rollout's own.
        let rows = observe(&original, None).swap_remove(0).1;
        let cwd = rows[0][1].as_str(); // a row is [id, cwd, title, messages, created]
        failures.extend(file_differences(&name, Format::Jsonl, &original, |bytes| {
            observe(bytes, cwd)
        }));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
