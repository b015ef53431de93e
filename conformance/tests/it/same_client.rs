//! Same-client sanity: each real client writes the scenario session, then resumes its OWN session
//! against a recording mock, and the mock must see the whole history. This proves the drivers, the
//! mocks and the history assertion before any handoff cell relies on them.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should panic loudly

use handoff_conformance::clients::{self, Agent, Clients};
use handoff_conformance::mock::MockServer;
use handoff_conformance::scenario::{self, RESUME_PROMPT, RESUME_REPLY};
use handoff_conformance::store;

fn resume_own_session(agent: Agent) {
    let Some(clients) = Clients::discover() else {
        println!("{}", clients::NOT_INSTALLED);
        return;
    };
    let (sandbox, source) = scenario::create_session_retrying(&clients, agent).unwrap();
    println!(
        "{agent}: created {} in {:.1}s",
        source.id,
        source.run.elapsed.as_secs_f64()
    );

    let mock = MockServer::replying(RESUME_REPLY).unwrap();
    let run = clients::resume_client(
        &clients,
        &sandbox,
        agent,
        &mock.base_url(),
        &source.id,
        RESUME_PROMPT,
    )
    .unwrap();
    assert!(run.success(), "{}", run.describe());
    println!("{agent}: resumed in {:.1}s", run.elapsed.as_secs_f64());
    let request = mock
        .agent_requests()
        .pop()
        .expect("no agent request on resume");
    if let Err(problem) = scenario::check_history(&request.history()) {
        panic!("{agent}: {problem}");
    }
    assert!(store::session_contains(&sandbox, agent, &source.id, RESUME_REPLY).unwrap());
    assert_eq!(
        store::sessions(&sandbox, agent).unwrap().len(),
        1,
        "resume made a new session"
    );
}

#[test]
fn claude_resumes_its_own_session() {
    resume_own_session(Agent::Claude);
}

#[test]
fn codex_resumes_its_own_session() {
    resume_own_session(Agent::Codex);
}

#[test]
fn opencode_resumes_its_own_session() {
    resume_own_session(Agent::OpenCode);
}

#[test]
fn copilot_resumes_its_own_session() {
    resume_own_session(Agent::Copilot);
}

#[test]
fn gemini_resumes_its_own_session() {
    resume_own_session(Agent::Gemini);
}

#[test]
fn qwen_resumes_its_own_session() {
    resume_own_session(Agent::Qwen);
}

#[test]
fn pi_resumes_its_own_session() {
    resume_own_session(Agent::Pi);
}

#[test]
fn kilo_resumes_its_own_session() {
    resume_own_session(Agent::Kilo);
}

/// Cline resumes only in its terminal UI: driven through a pseudo-terminal.
#[test]
fn cline_resumes_its_own_session() {
    resume_own_session(Agent::Cline);
}
