//! The real opencode-ai resumes what this adapter writes: the client writes the scenario session,
//! the adapter extracts it and writes it back as a NEW session, `opencode run --session <new>`
//! sends the whole history to the mock model, and `opencode session list` shows the new session
//! in the project. Needs the pinned clients (`scripts/conformance` installs them); without them
//! the test says so and passes.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use handoff_adapter_kit::testing::shared_call;
use handoff_conformance::clients::{self, Agent, Clients, Sandbox};
use handoff_conformance::mock::MockServer;
use handoff_conformance::scenario::{self, RESUME_PROMPT, RESUME_REPLY};
use handoff_conformance::store;
use handoff_opencode::OpenCodeAdapter;
use handoff_plugin_api::{
    Adapter, ExtractRequest, InjectMode, InjectRequest, Message, Part, Role, SessionMeta, ToolKind,
    Transcript,
};
use serde_json::json;

/// The scenario as Claude Code records it: its tool names, results in user messages, a model
/// OpenCode does not know.
fn claude_shaped(sandbox: &Sandbox) -> Transcript {
    let text = |t: String| Part::Text { text: t };
    let result = |id: &str, output: &str, is_error: bool| Part::ToolResult {
        call_id: id.into(),
        output: output.into(),
        images: Vec::new(),
        is_error,
    };
    let missing = scenario::missing_file(sandbox).display().to_string();
    let meta = SessionMeta {
        id: "4b0d3c1e-0000-4000-8000-000000000001".into(),
        agent: "claude".into(),
        model: Some("claude-sonnet-4-5-20250929".into()),
        ..SessionMeta::default()
    };
    Transcript::new(
        meta,
        vec![
            Message::new(Role::User, vec![text(scenario::create_prompt())]),
            Message::new(
                Role::Assistant,
                vec![
                    Part::Reasoning {
                        text: "thinking".into(),
                        signature: Some("sig".into()),
                        provider: Some("anthropic".into()),
                    },
                    text(format!(
                        "{}: I will run the marker command.",
                        scenario::ASSISTANT
                    )),
                    shared_call(
                        "toolu_01",
                        "run",
                        ToolKind::Shell,
                        json!({"command": "printf '%s_%s\\n' HOK_OUT 42", "description": "marker"}),
                    ),
                ],
            ),
            Message::new(Role::User, vec![result("toolu_01", "HOK_OUT_42\n", false)]),
            Message::new(
                Role::Assistant,
                vec![shared_call(
                    "toolu_02",
                    "open",
                    ToolKind::Read,
                    json!({"path": missing}),
                )],
            ),
            Message::new(
                Role::User,
                vec![result("toolu_02", "File does not exist.", true)],
            ),
            Message::new(
                Role::Assistant,
                vec![text(format!(
                    "{}: the command printed its marker and the file is missing.",
                    scenario::FINAL
                ))],
            ),
        ],
    )
}

/// Resumes `id` with the real client; the model must receive the scenario's whole history.
fn resume_sees_history(clients: &Clients, sandbox: &Sandbox, id: &str) {
    let mock = MockServer::replying(RESUME_REPLY).unwrap();
    let run = clients::run_client(
        clients,
        sandbox,
        Agent::OpenCode,
        &mock.base_url(),
        &clients::resume_args(Agent::OpenCode, id, RESUME_PROMPT),
    )
    .unwrap();
    assert!(run.success(), "{}", run.describe());
    let request = mock
        .agent_requests()
        .pop()
        .expect("no model request on resume");
    if let Err(problem) = scenario::check_history(&request.history()) {
        panic!("the resumed request of {id} lacks the history: {problem}");
    }
    assert!(store::session_contains(sandbox, Agent::OpenCode, id, RESUME_REPLY).unwrap());
}

#[test]
fn opencode_resumes_the_session_the_adapter_wrote() {
    let Some(clients) = Clients::discover() else {
        println!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return;
    };
    let sandbox = Sandbox::new().unwrap();
    let source = scenario::create_session(&clients, &sandbox, Agent::OpenCode).unwrap();
    // The adapter reads the user's OpenCode config (which models exist) from the environment.
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("XDG_CONFIG_HOME", sandbox.home.join(".config"));
        std::env::set_var("XDG_STATE_HOME", sandbox.home.join(".local/state"));
        std::env::remove_var("OPENCODE_DB");
    }
    let home = Some(sandbox.opencode_data().display().to_string());
    let project = sandbox.project.display().to_string();

    let extracted = OpenCodeAdapter
        .extract(ExtractRequest {
            home: home.clone(),
            cwd: Some(project.clone()),
            ..ExtractRequest::default()
        })
        .unwrap();
    assert_eq!(extracted.transcript.session.id, source.id);
    let injected = OpenCodeAdapter
        .inject(InjectRequest {
            home,
            cwd: project,
            mode: InjectMode::Write,
            transcript: extracted.transcript,
        })
        .unwrap();

    resume_sees_history(&clients, &sandbox, &injected.session_id);

    // A foreign conversation, with a model the user's OpenCode does not have.
    let foreign = OpenCodeAdapter
        .inject(InjectRequest {
            home: Some(sandbox.opencode_data().display().to_string()),
            cwd: sandbox.project.display().to_string(),
            mode: InjectMode::Write,
            transcript: claude_shaped(&sandbox),
        })
        .unwrap();
    resume_sees_history(&clients, &sandbox, &foreign.session_id);

    let mock = MockServer::replying(RESUME_REPLY).unwrap();
    let list = clients::run_client(
        &clients,
        &sandbox,
        Agent::OpenCode,
        &mock.base_url(),
        &[
            "session".into(),
            "list".into(),
            "--format".into(),
            "json".into(),
        ],
    )
    .unwrap();
    assert!(list.success(), "{}", list.describe());
    let sessions: serde_json::Value = serde_json::from_str(&list.stdout).unwrap_or_else(|e| {
        panic!("session list is not JSON ({e}): {}", list.describe());
    });
    let ids: Vec<&str> = sessions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(
        ids.contains(&injected.session_id.as_str()),
        "not listed in the project: {ids:?}"
    );
    assert!(
        ids.contains(&foreign.session_id.as_str()),
        "not listed in the project: {ids:?}"
    );
    assert!(ids.contains(&source.id.as_str()), "{ids:?}");
}
