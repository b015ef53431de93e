//! A plugin that writes outside its home: the host refuses to record or verify it, says where the
//! file is, and removes nothing it cannot vouch for.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::support::{handoff, install_plugins, plugin_library, stderr};

#[test]
fn a_plugin_writing_outside_its_home_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    install_plugins(home.path(), &[plugin_library("handoff-faulty-plugin")]);
    let faulty_home = home.path().join("faulty");
    std::fs::create_dir_all(&faulty_home).unwrap();
    std::fs::write(
        home.path().join(".handoff/config.toml"),
        format!("[agents]\nfaulty_home = \"{}\"\n", faulty_home.display()),
    )
    .unwrap();
    let output = handoff(home.path())
        .env("HANDOFF_FAULTY_MODE", "write-outside")
        .args(["faulty", "faulty"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let line = err.lines().last().unwrap();
    assert!(
        line.starts_with("error: ") && line.contains("faulty-outside.json"),
        "{err}"
    );
    assert!(line.contains("wrote outside its home"), "{err}");
    // Left for the user to inspect, and not recorded for undo.
    assert!(home.path().join("faulty-outside.json").exists());
    assert!(!home.path().join(".handoff/history.jsonl").exists());
}
