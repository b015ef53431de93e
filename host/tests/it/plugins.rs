//! Plugin isolation through the real loader: a plugin that panics, answers garbage, speaks a newer
//! transcript version or hangs is an error naming it, and the other agents keep working.

use crate::support::{BUILTINS, handoff, install_plugins, plugin_library, stderr, stdout};
use serde_json::Value;

fn home_with_faulty_plugin() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    install_plugins(home.path(), &[plugin_library("handoff-faulty-plugin")]);
    std::fs::write(
        home.path().join(".handoff/config.toml"),
        format!(
            "plugin_timeout_secs = 2\n[agents]\nfaulty_home = \"{}\"\n",
            home.path().join("faulty").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(home.path().join("faulty")).unwrap();
    home
}

/// The exit status of an adapter that broke (README: exit codes).
const ADAPTER_FAILED: i32 = 6;

fn assert_clean_error(output: &std::process::Output, code: i32, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "a panic leaked: {err}");
    // Progress lines may come first; the error is one line, the last.
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert_eq!(err.lines().last(), Some(errors[0]), "{err}");
    assert!(errors[0].contains(needle), "{needle:?} not in {err}");
    assert!(
        errors[0].contains("faulty"),
        "the plugin is not named: {err}"
    );
}

#[test]
fn a_well_behaved_plugin_is_listed_and_extracts() {
    let home = home_with_faulty_plugin();
    let output = handoff(home.path())
        .args(["agents", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let agents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let faulty = agents.iter().find(|a| a["name"] == "faulty").unwrap();
    assert_eq!(faulty["origin"], "plugin");
    assert!(faulty["path"].as_str().unwrap().ends_with(".so"));
    let output = handoff(home.path())
        .args(["faulty", "claude", "--no-inject", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("FAULTY_USER_TEXT"));
}

#[test]
fn panics_in_every_operation_are_errors_naming_the_plugin() {
    for (mode, args) in [
        ("panic-extract", vec!["faulty", "claude", "--no-inject"]),
        ("panic-list", vec!["list", "--agent", "faulty"]),
    ] {
        let home = home_with_faulty_plugin();
        let output = handoff(home.path())
            .env("HANDOFF_FAULTY_MODE", mode)
            .args(&args)
            .output()
            .unwrap();
        if mode == "panic-list" {
            // Listing reports a broken agent as a warning and keeps going.
            let err = stderr(&output);
            assert!(output.status.success(), "{err}");
            assert!(
                err.contains("faulty") && err.contains("list fault"),
                "{err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        } else {
            assert_clean_error(&output, ADAPTER_FAILED, "extract fault");
        }
    }
    // Inject: the source is fine, the plugin target panics.
    let home = home_with_faulty_plugin();
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "panic-inject")
        .args(["faulty", "faulty"])
        .output()
        .unwrap();
    assert_clean_error(&output, ADAPTER_FAILED, "inject fault");
}

#[test]
fn a_plugin_that_fails_to_start_is_skipped_and_builtins_still_work() {
    for mode in ["panic-new", "panic-info"] {
        let home = home_with_faulty_plugin();
        let output = handoff(home.path())
            .env("HANDOFF_FAULTY_MODE", mode)
            .args(["agents", "--json"])
            .output()
            .unwrap();
        let err = stderr(&output);
        assert!(output.status.success(), "{mode}: {err}");
        assert!(err.contains("skipped plugin"), "{mode}: {err}");
        assert!(!err.contains("panicked"), "{mode}: {err}");
        let agents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(agents.len(), BUILTINS.len(), "{mode}");
    }
}

/// The handshake: a plugin that needs a newer handoff, and one older than this handoff
/// supports, are each refused with one line saying what to upgrade; the other agents work.
#[test]
fn the_handshake_refuses_a_plugin_too_new_or_too_old() {
    for (mode, upgrade) in [
        ("hello-too-new", "upgrade handoff"),
        ("hello-too-old", "upgrade the plugin"),
    ] {
        let home = home_with_faulty_plugin();
        let output = handoff(home.path())
            .env("HANDOFF_FAULTY_MODE", mode)
            .args(["agents", "--json"])
            .output()
            .unwrap();
        let err = stderr(&output);
        assert!(output.status.success(), "{mode}: {err}");
        let warnings: Vec<&str> = err.lines().collect();
        assert_eq!(warnings.len(), 1, "{mode}: {err}");
        assert!(
            warnings[0].contains("skipped plugin") && warnings[0].contains(upgrade),
            "{mode}: {err}"
        );
        let agents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(agents.len(), BUILTINS.len(), "{mode}: only the built-ins");
    }
}

/// A plugin built before the handshake answers `hello` as an unknown method: it speaks
/// protocol 1, which this handoff still supports.
#[test]
fn a_plugin_from_before_the_handshake_still_loads() {
    let home = home_with_faulty_plugin();
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "pre-handshake")
        .args(["faulty", "claude", "--no-inject", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("FAULTY_USER_TEXT"));
}

#[test]
fn invalid_json_and_a_newer_transcript_version_are_errors() {
    let home = home_with_faulty_plugin();
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "invalid-json")
        .args(["faulty", "claude", "--no-inject"])
        .output()
        .unwrap();
    assert_clean_error(&output, ADAPTER_FAILED, "invalid JSON");
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "newer-ir")
        .args(["faulty", "claude", "--no-inject"])
        .output()
        .unwrap();
    assert_clean_error(&output, ADAPTER_FAILED, "transcript version 99");
}

#[test]
fn a_hanging_plugin_times_out() {
    let home = home_with_faulty_plugin();
    let started = std::time::Instant::now();
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "hang")
        .args(["faulty", "claude", "--no-inject"])
        .output()
        .unwrap();
    assert_clean_error(&output, ADAPTER_FAILED, "did not answer within 2s");
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn a_session_that_reads_back_wrong_is_removed() {
    let home = home_with_faulty_plugin();
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "bad-readback")
        .args(["faulty", "faulty"])
        .output()
        .unwrap();
    assert_clean_error(&output, 1, "did not read back as meant");
    let written = home.path().join("faulty/faulty-written.json");
    assert!(!written.exists(), "the bad session was left behind");
    // Nothing is recorded for undo either.
    assert!(!home.path().join(".handoff/history.jsonl").exists());
}
