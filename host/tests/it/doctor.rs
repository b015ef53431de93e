//! `handoff doctor` through the binary: what it reports and when it fails.

use crate::support::{BUILTINS, handoff, set_mode, stderr, workspace};
use serde_json::Value;
use std::path::Path;

/// A PATH holding only fake clients (shell scripts printing `version`) and the system's shell.
fn fake_clients(dir: &Path, clients: &[(&str, &str)]) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for (name, version) in clients {
        let script = bin.join(name);
        std::fs::write(&script, format!("#!/bin/sh\necho '{version}'\n")).unwrap();
        set_mode(&script, 0o755);
    }
    format!("{}:/usr/bin:/bin", bin.display())
}

/// The npm package of each built-in agent's client, as `conformance/pins` names it.
const PACKAGES: &[(&str, &str)] = &[
    ("claude", "@anthropic-ai/claude-code"),
    ("codex", "@openai/codex"),
    ("opencode", "opencode-ai"),
    ("copilot", "@github/copilot"),
    ("gemini", "@google/gemini-cli"),
    ("qwen", "@qwen-code/qwen-code"),
    ("pi", "@earendil-works/pi-coding-agent"),
    ("kilo", "@kilocode/cli"),
    ("cline", "cline"),
];

/// The version `conformance/pins` installs of `package`.
fn pinned_version(package: &str) -> String {
    let pins = std::fs::read_to_string(workspace().join("conformance/pins")).unwrap();
    pins.lines()
        .find_map(|line| line.strip_prefix(&format!("{package}@")))
        .unwrap_or_else(|| panic!("{package} is not pinned"))
        .to_owned()
}

fn doctor(home: &Path, path: &str) -> (Option<i32>, Value, String) {
    let output = handoff(home)
        .env("PATH", path)
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (output.status.code(), report, stderr(&output))
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {report}"))
}

#[test]
fn a_fresh_home_is_healthy_and_every_agent_is_reported() {
    let home = tempfile::tempdir().unwrap();
    let path = fake_clients(home.path(), &[]);
    let (code, report, err) = doctor(home.path(), &path);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(report["ok"], true);
    for agent in BUILTINS {
        let check = check(&report, &format!("agent {agent}"));
        assert_eq!(check["status"], "ok", "{check}");
        assert_eq!(check["sessions"], 0, "{check}");
        assert_eq!(check["client"]["installed"], Value::Null, "{check}");
        // Crush's client cannot be installed from a registry, nor the editors run: no release of
        // them was verified. The others' verified releases hold the one the suite pins.
        let pinned = PACKAGES
            .iter()
            .find(|p| p.0 == agent)
            .map(|(_, package)| Value::from(pinned_version(package)));
        let releases = check["client"]["verified_releases"].as_array();
        assert_eq!(
            releases.is_some_and(|r| r.contains(pinned.as_ref().unwrap_or(&Value::Null))),
            pinned.is_some(),
            "{check}"
        );
    }
    assert_eq!(check(&report, "config")["status"], "ok");
}

#[test]
fn installed_clients_are_compared_with_the_verified_versions() {
    let home = tempfile::tempdir().unwrap();
    // The version the suite verified Claude Code with, as it prints it; a Codex far ahead.
    let claude = pinned_version("@anthropic-ai/claude-code");
    let path = fake_clients(
        home.path(),
        &[
            ("claude", &format!("{claude} (Claude Code)")),
            ("codex", "codex-cli 99.0.0"),
        ],
    );
    let (code, report, err) = doctor(home.path(), &path);
    assert_eq!(
        code,
        Some(0),
        "a newer client is a warning, not broken: {err}"
    );
    let claude_check = check(&report, "agent claude");
    assert_eq!(claude_check["status"], "ok");
    assert_eq!(claude_check["client"]["installed"], claude);
    let codex = check(&report, "agent codex");
    assert_eq!(codex["status"], "warning");
    assert!(
        codex["detail"]
            .as_str()
            .unwrap()
            .contains("99.0.0 is newer than the verified"),
        "{codex}"
    );
}

#[test]
fn a_bad_config_a_refused_plugin_and_a_public_cache_are_named() {
    let home = tempfile::tempdir().unwrap();
    let handoff_dir = home.path().join(".handoff");
    std::fs::create_dir_all(handoff_dir.join("plugins")).unwrap();
    std::fs::create_dir_all(handoff_dir.join("cache")).unwrap();
    set_mode(&handoff_dir.join("cache"), 0o755);
    std::fs::write(
        handoff_dir.join("config.toml"),
        "plugin_timeout_secs = \"soon\"\n",
    )
    .unwrap();
    let plugin = handoff_dir.join("plugins/libbroken.so");
    std::fs::write(&plugin, b"not a library").unwrap();
    set_mode(&plugin, 0o600);
    let path = fake_clients(home.path(), &[]);
    let (code, report, err) = doctor(home.path(), &path);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["ok"], false);
    let config = check(&report, "config");
    assert_eq!(config["status"], "broken");
    assert!(
        config["detail"].as_str().unwrap().contains("config.toml:1"),
        "{config}"
    );
    let refused = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"].as_str().unwrap().starts_with("plugin "))
        .unwrap();
    assert_eq!(refused["status"], "broken");
    assert!(refused["check"].as_str().unwrap().contains("libbroken.so"));
    assert_eq!(check(&report, "cache")["status"], "warning");
    // The agents are still checked, with the default config.
    assert_eq!(check(&report, "agent claude")["status"], "ok");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: 2 broken"), "{err}");
}
