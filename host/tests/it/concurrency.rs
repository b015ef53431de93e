//! Transfers while other things happen: two at once into the same agent, into a database another
//! process holds locked, and from a session the agent is still appending to.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::harden::{
    CLAUDE_REAL_ID, CODEX_REAL_ID, Env, assert_clean_error, assert_no_temp_files, assert_ok_json,
};
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `handoff` as a child process, for running several at once.
fn spawn(env: &Env, args: &[&str]) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("handoff"))
        .env_clear()
        .env("HOME", env.home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(env.home.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn transfer_args<'a>(env: &'a Env, from: &'a str, to: &'a str, id: &'a str) -> Vec<String> {
    vec![
        from.into(),
        to.into(),
        "--session-id".into(),
        id.into(),
        "--cwd".into(),
        env.project.display().to_string(),
        "--json".into(),
    ]
}

/// The texts of a session as handoff reads it back (the transcript as JSON).
fn texts_of(env: &Env, agent: &str, id: &str) -> Vec<String> {
    let to = if agent == "claude" { "codex" } else { "claude" };
    let output = env.run(&[
        agent,
        to,
        "--session-id",
        id,
        "--cwd",
        &env.project.display().to_string(),
        "--no-inject",
        "--format",
        "json",
        "--no-redact-secrets",
    ]);
    assert!(
        output.status.success(),
        "{}",
        crate::harden::stderr(&output)
    );
    let transcript: Value = serde_json::from_slice(&output.stdout).unwrap();
    transcript["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["parts"].as_array().unwrap().clone())
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .collect()
}

fn opencode_sessions(env: &Env) -> i64 {
    let conn = rusqlite::Connection::open(env.opencode_home().join("opencode.db")).unwrap();
    conn.query_row("SELECT count(*) FROM session", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn two_transfers_at_once_into_the_same_agent_give_two_intact_sessions() {
    for (from, id, to) in [
        ("codex", CODEX_REAL_ID, "claude"),
        ("claude", CLAUDE_REAL_ID, "codex"),
        ("claude", CLAUDE_REAL_ID, "opencode"),
    ] {
        let env = Env::new().with_real_sources();
        let args = transfer_args(&env, from, to, id);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let children = [spawn(&env, &args), spawn(&env, &args)];
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let ids: Vec<String> = outputs
            .iter()
            .map(|o| {
                assert_ok_json(o)["target"]["session_id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_ne!(ids[0], ids[1], "{from} → {to}: one id for two sessions");
        for new in &ids {
            let texts = texts_of(&env, to, new).join("\n");
            for marker in ["HOK_USER_PROMPT_a41c", "HOK_FINAL_REPLY_c3f8"] {
                assert!(texts.contains(marker), "{to} {new}: {marker} missing");
            }
        }
        assert_no_temp_files(env.home.path());
        if to == "codex" {
            let conn = rusqlite::Connection::open(env.codex_home().join("state_5.sqlite")).unwrap();
            for new in &ids {
                let rows: i64 = conn
                    .query_row("SELECT count(*) FROM threads WHERE id = ?1", [new], |r| {
                        r.get(0)
                    })
                    .unwrap();
                assert_eq!(rows, 1, "thread {new} registered once");
            }
        }
    }
}

/// Holds the write lock of `db` for `hold`, while a transfer into it runs.
fn transfer_while_locked(
    env: &Env,
    db: &std::path::Path,
    to: &str,
    hold: Duration,
) -> (Output, Duration) {
    let holder = rusqlite::Connection::open(db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let args = transfer_args(env, "claude", to, CLAUDE_REAL_ID);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = Instant::now();
    let child = spawn(env, &args);
    std::thread::sleep(hold);
    holder.execute_batch("COMMIT").unwrap();
    let output = child.wait_with_output().unwrap();
    (output, started.elapsed())
}

#[test]
fn a_locked_opencode_database_is_waited_for_then_written_or_left_untouched() {
    // Released within the busy timeout (5 s): the transfer waits, then succeeds.
    let env = Env::new().with_real_sources();
    let db = env.opencode_home().join("opencode.db");
    let sessions = opencode_sessions(&env);
    let (output, took) = transfer_while_locked(&env, &db, "opencode", Duration::from_millis(1500));
    let report = assert_ok_json(&output);
    assert!(
        took >= Duration::from_millis(1400),
        "it did not wait: {took:?}"
    );
    assert_eq!(opencode_sessions(&env), sessions + 1);
    let new = report["target"]["session_id"].as_str().unwrap();
    assert!(
        texts_of(&env, "opencode", new)
            .join("\n")
            .contains("HOK_FINAL_REPLY_c3f8")
    );

    // Held past it: one clean error, and not a row of the session was written.
    let env = Env::new().with_real_sources();
    let db = env.opencode_home().join("opencode.db");
    let before = env.snapshot();
    let (output, _) = transfer_while_locked(&env, &db, "opencode", Duration::from_secs(7));
    let line = assert_clean_error(&output, 1);
    assert!(
        line.contains("locked") && line.contains("nothing was written"),
        "{line}"
    );
    assert_eq!(opencode_sessions(&env), sessions);
    // Only the config a first run creates: nothing in any agent's home, no history record.
    before.assert_changes_only_under(
        &env.snapshot(),
        &[&env.home.path().join(".handoff/config.toml")],
    );
}

#[test]
fn a_locked_codex_index_is_waited_for_and_never_half_written() {
    let env = Env::new().with_real_sources();
    let db = env.codex_home().join("state_5.sqlite");
    let threads = |env: &Env| -> i64 {
        rusqlite::Connection::open(env.codex_home().join("state_5.sqlite"))
            .unwrap()
            .query_row("SELECT count(*) FROM threads", [], |r| r.get(0))
            .unwrap()
    };
    let before = threads(&env);
    let (output, took) = transfer_while_locked(&env, &db, "codex", Duration::from_millis(1500));
    assert_ok_json(&output);
    assert!(
        took >= Duration::from_millis(1400),
        "it did not wait: {took:?}"
    );
    assert_eq!(threads(&env), before + 1);

    // Held past the timeout: the rollout (complete, resumable by id) is kept, the index gets no
    // row, and the user is told.
    let env = Env::new().with_real_sources();
    let db = env.codex_home().join("state_5.sqlite");
    let (output, _) = transfer_while_locked(&env, &db, "codex", Duration::from_secs(7));
    let report = assert_ok_json(&output);
    assert_eq!(threads(&env), before);
    let new = report["target"]["session_id"].as_str().unwrap();
    assert!(
        texts_of(&env, "codex", new)
            .join("\n")
            .contains("HOK_FINAL_REPLY_c3f8")
    );
    assert!(!crate::harden::stderr(&output).is_empty());
    assert_no_temp_files(env.home.path());
}

/// A user row and an assistant row of turn `n`, chained to the previous turn.
fn claude_turn(n: usize) -> [String; 2] {
    let uuid = |k: usize| format!("00000000-0000-4000-8000-{k:012}");
    let parent = |k: usize| {
        if k == 0 {
            Value::Null
        } else {
            Value::String(uuid(k))
        }
    };
    let row = |k: usize, kind: &str, message: Value| {
        serde_json::json!({
            "parentUuid": parent(k), "isSidechain": false, "type": kind, "uuid": uuid(k + 1),
            "cwd": "/home/dev/proj", "sessionId": "s", "timestamp": "2026-11-24T10:00:00.000Z",
            "message": message,
        })
        .to_string()
    };
    [
        row(
            2 * n,
            "user",
            serde_json::json!({"role": "user", "content": format!("APPEND_{n} question")}),
        ),
        row(
            2 * n + 1,
            "assistant",
            serde_json::json!({"role": "assistant", "id": format!("msg_{n}"),
                "content": [{"type": "text", "text": format!("APPEND_{n} answer")}]}),
        ),
    ]
}

/// An agent appending to the session while transfers read it: each transfer sees a prefix of the
/// conversation that ends at a complete line, never a torn or reordered one.
#[test]
fn a_session_appended_to_during_transfers_is_read_up_to_its_last_complete_line() {
    let env = Env::new();
    let id = "5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c";
    let mut initial = String::new();
    for n in 0..3 {
        for line in claude_turn(n) {
            initial.push_str(&line);
            initial.push('\n');
        }
    }
    let path = env.claude_session(id, initial.as_bytes());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let path = path.clone();
        std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            let mut n = 3;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for line in claude_turn(n) {
                    // Each line in two writes, so readers can catch it torn.
                    let (head, tail) = line.split_at(line.len() / 2);
                    file.write_all(head.as_bytes()).unwrap();
                    file.flush().unwrap();
                    std::thread::sleep(Duration::from_millis(3));
                    file.write_all(tail.as_bytes()).unwrap();
                    file.write_all(b"\n").unwrap();
                    file.flush().unwrap();
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            n
        })
    };
    let mut seen = Vec::new();
    for _ in 0..6 {
        let output = env.transfer("claude", "codex", id, &["--no-redact-secrets"]);
        let report = assert_ok_json(&output);
        assert!(report["skipped_lines"].as_u64().unwrap() <= 1, "{report}");
        let new = report["target"]["session_id"].as_str().unwrap().to_owned();
        seen.push(texts_of(&env, "codex", &new));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let turns = writer.join().unwrap();
    for texts in &seen {
        // APPEND_0 question, APPEND_0 answer, APPEND_1 question, …: a gapless prefix, possibly
        // ending on a question whose answer was not written yet.
        let expected: Vec<String> = (0..turns)
            .flat_map(|n| [format!("APPEND_{n} question"), format!("APPEND_{n} answer")])
            .take(texts.len())
            .collect();
        assert_eq!(texts, &expected);
        assert!(texts.len() >= 6, "the first three turns are always there");
    }
}

/// OpenCode's database as the source while another process holds it exclusively (a commit in
/// progress, rollback-journal mode): the read waits, then goes through or fails cleanly.
#[test]
fn a_locked_opencode_source_is_waited_for_or_refused_cleanly() {
    for (hold, succeeds) in [
        (Duration::from_millis(1500), true),
        (Duration::from_secs(7), false),
    ] {
        let env = Env::new().with_real_sources();
        let db = env.opencode_home().join("opencode.db");
        let holder = rusqlite::Connection::open(&db).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        let args = transfer_args(&env, "opencode", "claude", crate::harden::OPENCODE_REAL_ID);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let child = spawn(&env, &args);
        std::thread::sleep(hold);
        holder.execute_batch("COMMIT").unwrap();
        let output = child.wait_with_output().unwrap();
        if succeeds {
            assert_ok_json(&output);
            assert!(
                started.elapsed() >= Duration::from_millis(1400),
                "it did not wait"
            );
        } else {
            let line = assert_clean_error(&output, 1);
            assert!(
                line.contains(&db.display().to_string()) && line.contains("locked"),
                "{line}"
            );
        }
    }
}
