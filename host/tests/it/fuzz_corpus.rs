//! The committed fuzz corpus (`fuzz/corpus/<target>/`) replayed through the same harnesses the
//! fuzz targets run (`fuzz/src/lib.rs`), as an ordinary test: every input that once found new
//! behaviour keeps being checked without cargo-fuzz or a nightly toolchain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // the harness asserts by panicking, as a fuzz target does

#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "{}: empty corpus", dir.display());
    for input in &inputs {
        let bytes = std::fs::read(input).unwrap();
        // A panic names the input that caused it.
        let outcome = std::panic::catch_unwind(|| run(&bytes));
        assert!(outcome.is_ok(), "{} panicked", input.display());
    }
}

#[test]
fn every_committed_input_runs_through_its_harness() {
    replay("claude_session", harness::claude_session);
    replay("claude_key", harness::claude_key);
    replay("codex_rollout", harness::codex_rollout);
    replay("opencode_legacy", harness::opencode_legacy);
    replay("opencode_db", harness::opencode_db);
    replay("copilot_session", harness::copilot_session);
    replay("gemini_session", harness::gemini_session);
    replay("qwen_session", harness::qwen_session);
    replay("pi_session", harness::pi_session);
    replay("cline_session", harness::cline_session);
    replay("crush_session", harness::crush_session);
    replay("cursor_state", harness::cursor_state);
    replay("vscode_chat", harness::vscode_chat);
    harness::remove_scratch();
}
