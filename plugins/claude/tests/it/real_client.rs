//! The real `claude` resumes what this adapter writes and sends the whole history to the model.
//! Needs the pinned clients (`scripts/conformance`); without them each test says so and returns.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::common::*;
use handoff_adapter_kit::testing::shared_call;
use handoff_claude::ClaudeAdapter;
use handoff_conformance::clients::{self, Agent, Clients, Sandbox};
use handoff_conformance::mock::MockServer;
use handoff_plugin_api::{
    Adapter, InjectMode, InjectRequest, Media, Message, Part, Role, SessionMeta, ToolKind,
    Transcript,
};
use serde_json::{Value, json};

const REPLY: &str = "RESUMED-REPLY-7f3e";
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// Writes `transcript` into a sandbox, resumes it with `claude -p --resume`, and returns the
/// `messages` of the model request, after checking the client appended to the same file.
fn resume(transcript: Transcript) -> Option<Vec<Value>> {
    let Some(clients) = Clients::discover() else {
        println!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return None;
    };
    let sandbox = Sandbox::new().unwrap();
    let injected = ClaudeAdapter
        .inject(InjectRequest {
            home: Some(sandbox.claude_home().display().to_string()),
            cwd: sandbox.project.display().to_string(),
            mode: InjectMode::Write,
            transcript,
        })
        .unwrap();
    let mock = MockServer::replying(REPLY).unwrap();
    let run = clients::run_client(
        &clients,
        &sandbox,
        Agent::Claude,
        &mock.base_url(),
        &clients::resume_args(
            Agent::Claude,
            &injected.session_id,
            "what did we do so far?",
        ),
    )
    .unwrap();
    assert!(run.success(), "{}", run.describe());
    let request = mock
        .agent_requests()
        .pop()
        .expect("no model request on resume");
    let after = std::fs::read_to_string(&injected.path).unwrap();
    assert!(
        after.contains(REPLY),
        "the client did not append to the written file"
    );
    let sessions = std::fs::read_dir(std::path::Path::new(&injected.path).parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "jsonl")
        })
        .count();
    assert_eq!(sessions, 1, "resume made a new session");
    Some(request.body["messages"].as_array().unwrap().clone())
}

fn blocks(messages: &[Value]) -> Vec<(String, Value)> {
    messages
        .iter()
        .flat_map(|m| {
            let role = m["role"].as_str().unwrap().to_owned();
            match &m["content"] {
                Value::String(text) => vec![(role, json!({"type": "text", "text": text}))],
                Value::Array(items) => items.iter().map(|b| (role.clone(), b.clone())).collect(),
                _ => Vec::new(),
            }
        })
        .collect()
}

fn position(blocks: &[(String, Value)], role: &str, needle: &str) -> usize {
    blocks
        .iter()
        .position(|(r, b)| r == role && b.to_string().contains(needle))
        .unwrap_or_else(|| panic!("{role} block with {needle} not sent: {blocks:#?}"))
}

#[test]
fn foreign_session_resumes_with_native_tool_calls_results_and_images() {
    let text = |t: &str| Part::Text { text: t.into() };
    let mut assistant = Message::new(
        Role::Assistant,
        vec![
            Part::Reasoning {
                text: "FOREIGN-REASONING".into(),
                signature: Some("gAAAA".into()),
                provider: Some("openai".into()),
            },
            text("ASSISTANT-TEXT-1"),
            shared_call(
                "call_a",
                "run",
                ToolKind::Shell,
                json!({"command": "echo SHELL-CMD"}),
            ),
            shared_call(
                "call_b",
                "open",
                ToolKind::Read,
                json!({"path": "/tmp/READ-PATH"}),
            ),
            Part::ToolResult {
                call_id: "call_a".into(),
                output: "SHELL-OUTPUT".into(),
                images: vec![],
                is_error: false,
            },
            Part::ToolResult {
                call_id: "call_b".into(),
                output: "READ-ERROR".into(),
                images: vec![],
                is_error: true,
            },
            text("ASSISTANT-TEXT-2"),
        ],
    );
    assistant.model = Some("gpt-5.1-codex".into());
    let user = Message::new(
        Role::User,
        vec![
            text("USER-TEXT-1"),
            Part::Image(Media {
                media_type: "image/png".into(),
                data_base64: Some(PNG.into()),
                path: None,
                name: None,
            }),
        ],
    );
    let transcript = Transcript::new(
        SessionMeta {
            id: "ses_foreign".into(),
            agent: "opencode".into(),
            ..SessionMeta::default()
        },
        vec![user, assistant],
    );
    let Some(messages) = resume(transcript) else {
        return;
    };
    let sent = blocks(&messages);
    let order = [
        position(&sent, "user", "USER-TEXT-1"),
        position(&sent, "user", PNG),
        position(&sent, "assistant", "ASSISTANT-TEXT-1"),
        position(&sent, "assistant", "SHELL-CMD"),
        position(&sent, "assistant", "READ-PATH"),
        position(&sent, "user", "SHELL-OUTPUT"),
        position(&sent, "user", "READ-ERROR"),
        position(&sent, "assistant", "ASSISTANT-TEXT-2"),
        position(&sent, "user", "what did we do so far?"),
    ];
    assert!(order.is_sorted(), "{order:?}");
    let call = &sent[order[3]].1;
    assert_eq!(
        (call["type"].as_str(), call["name"].as_str()),
        (Some("tool_use"), Some("Bash"))
    );
    assert_eq!(call["input"]["command"], "echo SHELL-CMD");
    let result = &sent[order[6]].1;
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["is_error"], true);
    assert!(
        !Value::Array(messages)
            .to_string()
            .contains("FOREIGN-REASONING")
    );
}

#[test]
fn real_claude_session_round_trips_through_the_client() {
    let Some(source) = real_fixtures().into_iter().next() else {
        panic!("no real fixtures");
    };
    let transcript = extract_path(&source).transcript;
    let Some(messages) = resume(transcript) else {
        return;
    };
    let sent = blocks(&messages);
    let order = [
        position(&sent, "user", "HOK_USER_PROMPT_a41c"),
        position(&sent, "assistant", "HOK_ASSISTANT_TEXT_5be2"),
        position(&sent, "assistant", "HOK_OUT"),
        position(&sent, "user", "HOK_OUT_42"),
        position(&sent, "assistant", "HOK_ERR_FILE_9d07"),
        position(&sent, "user", "File does not exist"),
        position(&sent, "assistant", "HOK_FINAL_REPLY_c3f8"),
    ];
    assert!(order.is_sorted(), "{order:?}");
}

#[test]
fn compaction_resumes_from_the_summary() {
    let transcript = extract_path(&fixture("compaction.jsonl")).transcript;
    let Some(messages) = resume(transcript) else {
        return;
    };
    let sent = blocks(&messages);
    let all = Value::Array(messages).to_string();
    assert!(
        !all.contains("BEFORE-COMPACT"),
        "history before the compaction was sent"
    );
    let order = [
        position(&sent, "user", "SUMMARY-MARKER"),
        position(&sent, "user", "AFTER-COMPACT-1"),
        position(&sent, "assistant", "AFTER-COMPACT-2"),
    ];
    assert!(order.is_sorted(), "{order:?}");
}

#[test]
fn client_keys_project_folders_like_project_key_and_print_mode_sessions_are_listed() {
    let Some(clients) = Clients::discover() else {
        println!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return;
    };
    let sandbox = Sandbox::new().unwrap();
    let mock = MockServer::replying(REPLY).unwrap();
    let env = sandbox.configure(&clients, &mock.base_url()).unwrap();
    let long = format!("long-{}", "segment-".repeat(30));
    for name in ["emoji 🚀 dir", "项目 café", long.as_str()] {
        let cwd = sandbox.project.join(name);
        std::fs::create_dir_all(&cwd).unwrap();
        let run = clients::run(
            &clients.binary(Agent::Claude),
            &clients::create_args(Agent::Claude, "KEY-CHECK-PROMPT"),
            &cwd,
            &env,
            clients::CLIENT_TIMEOUT,
        )
        .unwrap();
        assert!(run.success(), "{}", run.describe());
        let cwd = cwd.display().to_string();
        let folder = sandbox
            .claude_home()
            .join("projects")
            .join(handoff_claude::paths::project_key(&cwd));
        assert!(folder.is_dir(), "client wrote elsewhere than {folder:?}");
        let rows = ClaudeAdapter
            .list_sessions(handoff_plugin_api::ListRequest {
                home: Some(sandbox.claude_home().display().to_string()),
                cwd: Some(cwd.clone()),
                limit: None,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rows.len(), 1, "{cwd}");
        assert_eq!(rows[0].title.as_deref(), Some("KEY-CHECK-PROMPT"));
        assert_eq!(rows[0].cwd.as_deref(), Some(cwd.as_str()));
    }
}

#[test]
fn compaction_written_by_the_client_is_read_as_a_marker_after_the_history() {
    let Some(clients) = Clients::discover() else {
        println!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return;
    };
    let sandbox = Sandbox::new().unwrap();
    let source =
        handoff_conformance::scenario::create_session(&clients, &sandbox, Agent::Claude).unwrap();
    let mock = MockServer::replying("COMPACT-SUMMARY-91ab").unwrap();
    for prompt in ["/compact", "AFTER-COMPACT-PROMPT"] {
        let run = clients::run_client(
            &clients,
            &sandbox,
            Agent::Claude,
            &mock.base_url(),
            &clients::resume_args(Agent::Claude, &source.id, prompt),
        )
        .unwrap();
        assert!(run.success(), "{}", run.describe());
    }
    let raw = std::fs::read_to_string(&source.path).unwrap();
    assert!(
        raw.contains("compact_boundary"),
        "the client did not compact"
    );
    let extracted = extract_path(&source.path);
    let text = all_text(&extracted.transcript.messages);
    let compaction = text.find("\"compaction\"").expect("no compaction marker");
    let before = text.find("HOK_FINAL_REPLY_c3f8").unwrap();
    let after = text.find("AFTER-COMPACT-PROMPT").unwrap();
    assert!(before < compaction && compaction < after, "{text}");
    assert!(text.contains("COMPACT-SUMMARY-91ab"));
}
