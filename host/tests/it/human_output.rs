//! Snapshots of the human output the README shows (`insta`, in `snapshots/`): the transfer's
//! lines, a dry run, `list`, `status`, `agents` and an error. What changes from run to run (new
//! ids, temp paths, ages, dates) is replaced by a placeholder before the comparison.

use crate::support::{run_in, stderr, stdout};
use crate::transfer::{CLAUDE_ID, repo_env};

/// Runs `args` from the repository of [`repo_env`] and snapshots what a person sees.
fn assert_human(name: &str, args: &[&str]) {
    let (env, repo) = repo_env();
    let output = run_in(env.home.path(), &repo, args);
    let text = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        stdout(&output),
        stderr(&output)
    );
    let repo = repo.display().to_string();
    let home = env.home.path().display().to_string();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&repo), "[REPO]");
    settings.add_filter(&regex_escape(&home), "[HOME]");
    // A new session's id, its dated folder and file name, and ages.
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    settings.add_filter(
        r"\d{4}/\d{2}/\d{2}/rollout-[0-9T:-]+",
        "[DAY]/rollout-[TIME]",
    );
    settings.add_filter(r"\bses_[0-9A-Za-z]{26}\b", "[OPENCODE_ID]");
    settings.add_filter(r"\b\d+[smhd] ago\b", "[AGE]");
    settings.add_filter(r"handoff \d+\.\d+\.\d+", "handoff [VERSION]");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = "\\.+*?()|[]{}^$".contains(c).then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect()
}

#[test]
fn a_transfer_says_what_it_found_wrote_and_how_to_resume() {
    assert_human("transfer", &["claude", "codex"]);
}

#[test]
fn a_dry_run_says_what_it_would_write() {
    assert_human("dry_run", &["claude", "opencode", "--dry-run"]);
}

#[test]
fn list_status_and_agents() {
    assert_human("list", &["list"]);
    assert_human("status", &["status"]);
    assert_human("agents", &["agents"]);
}

#[test]
fn an_error_is_one_line() {
    assert_human("no_session", &["codex", "claude"]);
    assert_human(
        "unknown_agent",
        &["claude", "nope", "--session-id", CLAUDE_ID],
    );
}
