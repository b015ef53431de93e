//! No command changes a source: with the real clients' sessions in every home, `list`, `status`,
//! every transfer, `--dry-run`, `--no-inject` and `undo` leave the sha256 and mtime of every file
//! of every home they read as they were (only the target's home, and handoff's own directory, may
//! change, and only when something is written).
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::harden::{
    CLAUDE_REAL_ID, CLINE_REAL_ID, CODEX_REAL_ID, COPILOT_REAL_ID, CRUSH_FIXTURE_ID,
    CURSOR_FIXTURE_ID, Env, GEMINI_REAL_ID, KILO_REAL_ID, OPENCODE_REAL_ID, PI_REAL_ID,
    QWEN_REAL_ID, Snapshot, UNSUPPORTED, VSCODE_FIXTURE_ID, assert_ok_json,
};
use std::path::PathBuf;

const AGENTS: [(&str, &str); 10] = [
    ("claude", CLAUDE_REAL_ID),
    ("codex", CODEX_REAL_ID),
    ("opencode", OPENCODE_REAL_ID),
    ("copilot", COPILOT_REAL_ID),
    ("gemini", GEMINI_REAL_ID),
    ("qwen", QWEN_REAL_ID),
    ("pi", PI_REAL_ID),
    ("kilo", KILO_REAL_ID),
    ("cline", CLINE_REAL_ID),
    ("crush", CRUSH_FIXTURE_ID),
];

/// The editors handoff reads but cannot write into.
const READ_ONLY: [(&str, &str); 2] = [
    ("cursor", CURSOR_FIXTURE_ID),
    ("vscode-copilot", VSCODE_FIXTURE_ID),
];

fn homes(env: &Env) -> Vec<PathBuf> {
    AGENTS
        .iter()
        .chain(&READ_ONLY)
        .map(|(agent, _)| env.home_of(agent))
        .collect()
}

fn snapshots(env: &Env) -> Vec<Snapshot> {
    homes(env).iter().map(|h| Snapshot::of(h)).collect()
}

/// Asserts every home but `except` is exactly as in `before`.
fn assert_unchanged(env: &Env, before: &[Snapshot], except: Option<&str>, what: &str) {
    for ((agent, _), snapshot) in AGENTS.iter().zip(before) {
        if Some(*agent) == except {
            continue;
        }
        let after = Snapshot::of(&env.home_of(agent));
        // New SQLite sidecars of a WAL database are SQLite's own doing (see the WAL test below):
        // an empty `-wal` and its `-shm` index. Every file that existed must be as it was.
        let changed: Vec<PathBuf> = snapshot
            .changes(&after)
            .into_iter()
            .filter(|p| {
                let new = !snapshot.0.contains_key(p);
                let name = p.to_string_lossy();
                let sidecar = name.ends_with("-shm")
                    || (name.ends_with("-wal") && after.0.get(p).is_some_and(|f| f.len == 0));
                !(new && sidecar)
            })
            .collect();
        assert_eq!(
            changed,
            Vec::<PathBuf>::new(),
            "{what} changed {agent}'s home"
        );
    }
}

#[test]
fn reading_commands_change_no_home() {
    let env = Env::new().with_real_sources();
    let before = snapshots(&env);
    let project = env.project.display().to_string();
    for args in [
        vec!["list", "--all", "--json"],
        vec!["list", "--json"],
        vec!["list", "--agent", "opencode", "--all"],
        vec!["status", "--json"],
        vec!["agents", "--json"],
        vec!["history"],
    ] {
        let output = env.run(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            crate::harden::stderr(&output)
        );
        assert_unchanged(&env, &before, None, &format!("{args:?}"));
    }
    // The listing did see every real session.
    let output = env.run(&["list", "--all", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for (_, id) in AGENTS.iter().chain(&READ_ONLY) {
        assert!(rows.to_string().contains(id), "{id} not listed: {rows}");
    }
    for (from, id) in AGENTS.iter().chain(&READ_ONLY) {
        for (to, _) in AGENTS {
            for extra in [
                vec!["--dry-run"],
                vec!["--no-inject", "--format", "native"],
                vec!["--no-inject", "--format", "markdown"],
                vec!["--no-inject", "--format", "json"],
            ] {
                let mut args = vec![from, to, "--session-id", id, "--cwd", &project];
                args.extend_from_slice(&extra);
                let output = env.run(&args);
                assert!(
                    output.status.success(),
                    "{args:?}: {}",
                    crate::harden::stderr(&output)
                );
                assert_unchanged(&env, &before, None, &format!("{args:?}"));
            }
        }
    }
}

#[test]
fn transfers_and_undo_change_only_the_target() {
    for (from, id) in AGENTS.iter().chain(&READ_ONLY) {
        for (to, _) in AGENTS {
            let env = Env::new().with_real_sources();
            let before = snapshots(&env);
            let report = assert_ok_json(&env.transfer(from, to, id, &[]));
            assert_eq!(report["source"]["session_id"], *id);
            assert_unchanged(&env, &before, Some(to), &format!("{from} → {to}"));
            let target = PathBuf::from(report["target"]["path"].as_str().unwrap());
            assert!(target.starts_with(env.home_of(to)), "{target:?}");

            let undo = env.run(&["undo"]);
            assert!(undo.status.success(), "{}", crate::harden::stderr(&undo));
            assert_unchanged(&env, &before, Some(to), &format!("undo of {from} → {to}"));
            // A file-backed target is back as it was; a database keeps its other rows.
            if to != "opencode" && to != "kilo" {
                let after = Snapshot::of(&env.home_of(to));
                let index = env.home_of(to).join("state_5.sqlite");
                let added: Vec<PathBuf> = after
                    .0
                    .keys()
                    .filter(|p| !before_has(&before, p) && **p != index)
                    .cloned()
                    .collect();
                assert!(added.is_empty(), "undo left {added:?}");
            }
        }
    }
}

#[test]
fn the_editors_are_refused_as_targets_in_one_line() {
    let env = Env::new().with_real_sources();
    let before = snapshots(&env);
    for (to, _) in READ_ONLY {
        let output = env.transfer("claude", to, CLAUDE_REAL_ID, &[]);
        let line = crate::harden::assert_clean_error(&output, UNSUPPORTED);
        assert!(line.contains("source only"), "{line}");
        assert_unchanged(&env, &before, None, &format!("claude → {to}"));
    }
}

fn before_has(before: &[Snapshot], path: &PathBuf) -> bool {
    before.iter().any(|s| s.0.contains_key(path))
}

/// OpenCode runs its database in WAL mode. Reading it while OpenCode is not running leaves every
/// existing file as it was; SQLite itself creates the empty `-wal` and the `-shm` index a reader
/// of a WAL database needs (OpenCode creates the same two files whenever it runs), and nothing
/// else appears.
#[test]
fn a_wal_mode_database_is_read_without_changing_it() {
    let env = Env::new().with_real_sources();
    let db = env.opencode_home().join("opencode.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
    let others = snapshots(&env);
    let project = env.project.display().to_string();
    for args in [
        vec!["list", "--all", "--json"],
        vec![
            "opencode",
            "claude",
            "--session-id",
            OPENCODE_REAL_ID,
            "--cwd",
            &project,
            "--json",
        ],
    ] {
        let output = env.run(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            crate::harden::stderr(&output)
        );
        assert_unchanged(&env, &others, Some("claude"), &format!("{args:?}"));
    }
}

/// `undo` after the user already deleted the written session still removes the rest (the Codex
/// thread row) and touches no source.
#[test]
fn undo_after_the_session_was_deleted() {
    let env = Env::new().with_real_sources();
    let before = snapshots(&env);
    let report = assert_ok_json(&env.transfer("claude", "codex", CLAUDE_REAL_ID, &[]));
    let rollout = PathBuf::from(report["target"]["path"].as_str().unwrap());
    std::fs::remove_file(&rollout).unwrap();
    let undo = env.run(&["undo"]);
    assert!(undo.status.success(), "{}", crate::harden::stderr(&undo));
    let id = report["target"]["session_id"].as_str().unwrap();
    let rows: i64 = rusqlite::Connection::open(env.codex_home().join("state_5.sqlite"))
        .unwrap()
        .query_row("SELECT count(*) FROM threads WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rows, 0);
    assert_unchanged(&env, &before, Some("codex"), "undo");
}
