//! `handoff search` through the binary, on the sessions the real clients wrote: every agent's
//! texts found, newest first, scoped to the project unless `--all`, and no secret in a snippet.

use crate::harden::{
    CLAUDE_REAL_ID, CRUSH_FIXTURE_ID, Env, assert_clean_error, assert_ok_json, fixture, put,
    stderr, stdout,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the real Claude session recorded it was run.
const RECORDED_CWD: &str = "/tmp/handoff-conf-2w9AOW/work/project";
const OTHER_ID: &str = "11111111-d913-44a6-9e66-6480077ad443";
const SECRET: &str = "ghp_Zq8mN3vX7tL2pR9sK4wY6uB1cD5eF0gH2jK4";

fn real_claude() -> String {
    std::fs::read_to_string(fixture("claude", &format!("real/{CLAUDE_REAL_ID}.jsonl"))).unwrap()
}

/// The real Claude session laid in `project` (its recorded directory changed to it) as session
/// `id`, with `edit` applied to its bytes; returns its path.
pub(crate) fn claude_in(
    env: &Env,
    project: &Path,
    id: &str,
    edit: impl Fn(String) -> String,
) -> PathBuf {
    let project = project.display().to_string();
    let key: String = project
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let text = edit(
        real_claude()
            .replace(RECORDED_CWD, &project)
            .replace(CLAUDE_REAL_ID, id),
    );
    let path = env
        .claude_home()
        .join("projects")
        .join(key)
        .join(format!("{id}.jsonl"));
    put(&path, text.as_bytes());
    path
}

fn search(env: &Env, args: &[&str]) -> Vec<Value> {
    let project = env.project.display().to_string();
    let mut all = vec!["search", "--cwd", &project, "--json"];
    all.extend_from_slice(args);
    match assert_ok_json(&env.run(&all)) {
        Value::Array(hits) => hits,
        other => panic!("a JSON array expected: {other}"),
    }
}

fn field<'a>(hit: &'a Value, name: &str) -> &'a str {
    hit[name].as_str().unwrap_or_default()
}

#[test]
fn every_agents_tool_output_is_found_newest_first() {
    let env = Env::new().with_real_sources();
    // Typed in lower case; the sessions hold `HOK_OUT_42`.
    let hits = search(&env, &["hok_out_42", "--all", "--limit", "0"]);
    let mut agents: Vec<&str> = hits.iter().map(|hit| field(hit, "agent")).collect();
    let times: Vec<i64> = hits
        .iter()
        .map(|hit| hit["updated_ms"].as_i64().unwrap_or_default())
        .collect();
    assert!(
        times.is_sorted_by(|a, b| a >= b),
        "not newest first: {times:?}"
    );
    for hit in &hits {
        assert!(
            field(hit, "snippet").contains("HOK_OUT_42"),
            "{hit} has no snippet of its match"
        );
        assert!(hit["matches"].as_u64().unwrap_or_default() >= 1, "{hit}");
    }
    agents.sort_unstable();
    agents.dedup();
    // Every store whose fixture ran the scenario (Crush's was built to its schema with other
    // texts): files scanned first (Claude, Codex, Copilot CLI, Gemini CLI, Qwen Code, pi), JSON
    // documents and databases read through their adapters.
    assert_eq!(
        agents,
        [
            "claude",
            "cline",
            "codex",
            "copilot",
            "cursor",
            "gemini",
            "kilo",
            "opencode",
            "pi",
            "qwen",
            "vscode-copilot"
        ],
        "{hits:#?}"
    );
    let crush = search(
        &env,
        &["FAILS WITH A MISSING TARGET", "--all", "--agent", "crush"],
    );
    assert_eq!(
        field(&crush[0], "session_id"),
        CRUSH_FIXTURE_ID,
        "{crush:#?}"
    );
}

#[test]
fn user_assistant_and_tool_texts_are_told_apart() {
    let env = Env::new();
    claude_in(&env, &env.project.clone(), CLAUDE_REAL_ID, |text| text);
    for (query, place, snippet) in [
        (
            "hok_user_prompt_a41c",
            "user",
            "HOK_USER_PROMPT_a41c: run the marker command, then read the missing file",
        ),
        (
            "hok_final_reply",
            "assistant",
            "HOK_FINAL_REPLY_c3f8: the command printed its marker and the file is missing.",
        ),
        // A query with characters JSON escapes (`'`, `\`) is found in the call's arguments.
        (
            r"printf '%s_%s\n' hok_out",
            "tool_call",
            r"printf '%s_%s\n' HOK_OUT 42",
        ),
        ("hok_out_42", "tool_output", "HOK_OUT_42"),
    ] {
        let hits = search(&env, &[query]);
        assert_eq!(hits.len(), 1, "{query}: {hits:#?}");
        assert_eq!(field(&hits[0], "session_id"), CLAUDE_REAL_ID);
        assert_eq!(field(&hits[0], "place"), place, "{query}");
        assert!(
            field(&hits[0], "snippet").starts_with(snippet),
            "{query}: {}",
            hits[0]
        );
    }
    assert!(search(&env, &["HOK_out_42", "--case-sensitive"]).is_empty());
    assert_eq!(search(&env, &["HOK_OUT_42", "--case-sensitive"]).len(), 1);
    // Words the client wrote but not into the conversation: a key of its records.
    assert!(search(&env, &["parentUuid"]).is_empty());
}

#[test]
fn the_project_is_searched_unless_all_and_one_line_tells_each_hit() {
    let env = Env::new();
    let elsewhere = env.home.path().join("work/elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let elsewhere = elsewhere.canonicalize().unwrap();
    claude_in(&env, &env.project.clone(), CLAUDE_REAL_ID, |text| text);
    claude_in(&env, &elsewhere, OTHER_ID, |text| text);
    let here = search(&env, &["hok_out_42"]);
    assert_eq!(here.len(), 1, "{here:#?}");
    assert_eq!(field(&here[0], "session_id"), CLAUDE_REAL_ID);
    let all = search(&env, &["hok_out_42", "--all"]);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(search(&env, &["hok_out_42", "--all", "--agent", "codex"]).is_empty());

    let output = env.run(&["search", "HOK_FINAL_REPLY", "--all"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], "claude", "{line}");
        assert!([CLAUDE_REAL_ID, OTHER_ID].contains(&words[1]), "{line}");
        assert!(words[3] == "ago" && words[4] == "assistant:", "{line}");
        assert!(
            line.ends_with(
                "HOK_FINAL_REPLY_c3f8: the command printed its marker and the file is missing."
            ),
            "{line}"
        );
    }

    // The newest first, and a note on stderr that there are more.
    let output = env.run(&["search", "hok_out_42", "--all", "--limit", "1"]);
    assert_eq!(stdout(&output).lines().count(), 1);
    assert!(stderr(&output).contains("--limit"), "{}", stderr(&output));
}

/// A secret in the prompt: a snippet around it shows it redacted, and searching for the secret
/// itself finds the session without printing it anywhere.
#[test]
fn no_snippet_shows_a_secret() {
    let env = Env::new();
    claude_in(&env, &env.project.clone(), CLAUDE_REAL_ID, |text| {
        text.replace(
            "HOK_USER_PROMPT_a41c: run the marker command",
            &format!("HOK_USER_PROMPT_a41c: run the marker command with token {SECRET}"),
        )
    });
    let before = env.snapshot();
    for query in ["marker command with", SECRET, &SECRET[..20], &SECRET[10..]] {
        for format in [&["--json"][..], &[]] {
            let mut args = vec!["search", query, "--all"];
            args.extend_from_slice(format);
            let output = env.run(&args);
            assert!(output.status.success(), "{}", stderr(&output));
            let printed = format!("{}{}", stdout(&output), stderr(&output));
            assert!(printed.contains("[REDACTED:"), "{query}: {printed}");
            assert!(!printed.contains(&SECRET[4..]), "{query} leaked: {printed}");
        }
    }
    // Nothing was written but handoff's own config and cache.
    before.assert_changes_only_under(&env.snapshot(), &[&env.home.path().join(".handoff")]);
}

#[test]
fn an_empty_text_or_an_unknown_agent_is_a_usage_error() {
    let env = Env::new();
    assert_clean_error(&env.run(&["search", " "]), 2);
    assert_clean_error(&env.run(&["search", "x", "--agent", "nobody"]), 2);
    let output = env.run(&["search", "nothing like it", "--all"]);
    assert!(output.status.success());
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("No session matches."));
}
