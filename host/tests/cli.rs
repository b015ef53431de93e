//! The command-line contract, end to end, in a temp HOME.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn handoff(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("handoff").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(home);
    cmd
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_run_creates_a_private_config_with_defaults() {
    let home = tempfile::tempdir().unwrap();
    let output = handoff(home.path()).arg("config").output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let path = home.path().join(".handoff/config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), text);
    assert!(text.contains("redact_secrets = true"));
    assert!(text.contains("# opencode_home"));
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&home.path().join(".handoff")), 0o700);
    }
}

#[test]
fn agents_json_lists_the_builtins() {
    let home = tempfile::tempdir().unwrap();
    let output = handoff(home.path())
        .args(["agents", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let agents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = agents.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["claude", "codex", "opencode"]);
    for agent in &agents {
        assert_eq!(agent["origin"], "builtin");
        assert!(agent["path"].is_null());
        for key in ["display_name", "version", "extract", "inject"] {
            assert!(agent.get(key).is_some(), "{key} missing in {agent}");
        }
    }
}

#[test]
fn usage_errors_exit_2_and_errors_exit_1() {
    let home = tempfile::tempdir().unwrap();
    let usage = handoff(home.path()).arg("codex").output().unwrap();
    assert_eq!(usage.status.code(), Some(2), "{}", stderr_of(&usage));
    let unknown = handoff(home.path())
        .args(["nope", "claude"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    let err = stderr_of(&unknown);
    assert!(err.starts_with("error: unknown agent 'nope'"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(unknown.stdout.is_empty());
}

#[test]
fn an_invalid_config_names_the_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".handoff")).unwrap();
    let path = home.path().join(".handoff/config.toml");
    std::fs::write(&path, "[defaults]\nredact_secrets = 3\n").unwrap();
    let output = handoff(home.path()).arg("status").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr_of(&output);
    assert!(
        err.starts_with(&format!("error: {}:2: ", path.display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn completion_scripts_and_install_lines() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = handoff(home.path())
            .args(["completion", shell])
            .output()
            .unwrap();
        assert!(script.status.success());
        let text = String::from_utf8_lossy(&script.stdout);
        assert!(
            text.contains("handoff") && text.contains("dry-run"),
            "{shell}"
        );
        let install = handoff(home.path())
            .args(["completion", shell, "--install"])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&install.stdout);
        assert!(
            line.contains(&format!("handoff completion {shell}")),
            "{line}"
        );
    }
}

#[test]
fn broken_plugins_are_warnings_and_the_builtins_still_work() {
    let home = tempfile::tempdir().unwrap();
    let plugins = home.path().join(".handoff/plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::write(plugins.join("libgarbage.so"), b"not an ELF file").unwrap();
    std::fs::write(plugins.join("README.txt"), b"ignored: not a library name").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugins, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(
            plugins.join("libgarbage.so"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let output = handoff(home.path())
        .args(["agents", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let err = stderr_of(&output);
    assert!(
        err.contains("skipped plugin") && err.contains("libgarbage.so"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let agents: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(agents.len(), 3);
}

#[cfg(unix)]
#[test]
fn a_world_writable_plugin_dir_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let plugins = home.path().join(".handoff/plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::set_permissions(&plugins, std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = handoff(home.path()).arg("agents").output().unwrap();
    assert!(output.status.success());
    let err = stderr_of(&output);
    assert!(err.contains("group- or world-writable"), "{err}");
}

#[test]
fn no_color_escape_codes_when_not_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let output = handoff(home.path())
        .args(["nope", "claude"])
        .output()
        .unwrap();
    assert!(!stderr_of(&output).contains('\x1b'));
}

#[cfg(unix)]
#[test]
fn config_edit_runs_the_editor_and_validates_the_result() {
    let home = tempfile::tempdir().unwrap();
    let editor = home.path().join("editor.sh");
    // An "editor" that turns auto_inject off, then one that breaks the file.
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/auto_inject = true/auto_inject = false/' \"$1\"\n",
    )
    .unwrap();
    let bad = home.path().join("bad.sh");
    std::fs::write(&bad, "#!/bin/sh\necho 'nonsense = [' >> \"$1\"\n").unwrap();
    for script in [&editor, &bad] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(script, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let output = handoff(home.path())
        .env("EDITOR", &editor)
        .args(["config", "--edit"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let text = std::fs::read_to_string(home.path().join(".handoff/config.toml")).unwrap();
    assert!(text.contains("auto_inject = false"));
    let output = handoff(home.path())
        .env("VISUAL", &bad)
        .env("EDITOR", &editor)
        .args(["config", "--edit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("config.toml:"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn agent_homes_follow_the_agents_environment_and_the_config_wins() {
    let home = tempfile::tempdir().unwrap();
    let agents = |cmd: &mut Command| -> Vec<Value> {
        let output = cmd.args(["agents", "--json"]).output().unwrap();
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let env_homes = agents(
        handoff(home.path())
            .env("CLAUDE_CONFIG_DIR", "/elsewhere/claude")
            .env("CODEX_HOME", "/elsewhere/codex")
            .env("XDG_DATA_HOME", "/elsewhere/data"),
    );
    assert_eq!(env_homes[0]["home"], "/elsewhere/claude");
    assert_eq!(env_homes[1]["home"], "/elsewhere/codex");
    assert_eq!(env_homes[2]["home"], "/elsewhere/data/opencode");
    std::fs::write(
        home.path().join(".handoff/config.toml"),
        "[agents]\ncodex_home = \"~/my-codex\"\n",
    )
    .unwrap();
    let configured = agents(handoff(home.path()).env("CODEX_HOME", "/elsewhere/codex"));
    assert_eq!(
        configured[1]["home"],
        home.path().join("my-codex").to_str().unwrap()
    );
}
