//! The command-line contract, end to end, in a temp HOME.

use crate::support::{BUILTINS, handoff, run_in, workspace};
use serde_json::Value;
use std::path::Path;

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
    assert_eq!(names, BUILTINS);
    for agent in &agents {
        assert_eq!(agent["origin"], "builtin");
        assert!(agent["path"].is_null());
        for key in ["display_name", "version", "extract", "inject"] {
            assert!(agent.get(key).is_some(), "{key} missing in {agent}");
        }
    }
}

/// A HOME with the real Claude session of the conformance scenario, in `project`.
fn home_with_claude_session() -> (tempfile::TempDir, std::path::PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let project = std::fs::canonicalize(home.path()).unwrap().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let dir = home
        .path()
        .join(".claude/projects")
        .join(project.to_str().unwrap().replace(['/', '.'], "-"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        workspace().join(format!(
            "plugins/claude/tests/fixtures/real/{CLAUDE_ID}.jsonl"
        )),
        dir.join(format!("{CLAUDE_ID}.jsonl")),
    )
    .unwrap();
    (home, project)
}

const CLAUDE_ID: &str = "c7f43f34-d913-44a6-9e66-6480077ad443";

/// The one line a failed command ends with, asserted alone on stderr.
fn assert_one_error(output: &std::process::Output, code: i32, needle: &str) {
    let err = stderr_of(output);
    assert_eq!(output.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains(needle), "{needle:?} not in {err}");
}

#[test]
fn exit_codes_tell_usage_from_nothing_there_from_broken() {
    let (home, project) = home_with_claude_session();
    let run = |args: &[&str]| run_in(home.path(), &project, args);

    let ok = run(&["claude", "codex", "--dry-run"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr_of(&ok));

    // 2: the command line does not work.
    let missing_target = run(&["codex"]);
    assert_eq!(missing_target.status.code(), Some(2));
    assert_one_error(&run(&["nope", "claude"]), 2, "unknown agent 'nope'");
    assert_one_error(
        &run(&["claude", "codex", "--session-id", "../x"]),
        2,
        "../x",
    );

    // 3: nothing to hand off.
    assert_one_error(&run(&["codex", "claude"]), 3, "no codex session");
    assert_one_error(
        &run(&["claude", "codex", "--session-id", "0000dead"]),
        3,
        "0000dead",
    );
    assert_one_error(&run(&["undo"]), 3, "no transfer to undo");

    // 4: the session is there but is not one.
    let broken = "0d0d0d0d-0000-4000-8000-000000000000";
    let dir = home.path().join(".claude/projects/-elsewhere");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(format!("{broken}.jsonl")),
        "not json\n{\"type\":1}\n",
    )
    .unwrap();
    assert_one_error(
        &run(&["claude", "codex", "--session-id", broken]),
        4,
        &format!("{broken}.jsonl"),
    );

    // 5: the target cannot take it: an OpenCode store newer than this handoff knows.
    let store = home.path().join(".local/share/opencode");
    std::fs::create_dir_all(&store).unwrap();
    let db = store.join("opencode.db");
    std::fs::copy(
        workspace().join("plugins/opencode/tests/fixtures/real/opencode.db"),
        &db,
    )
    .unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO migration (id, time_completed) VALUES ('99990101000000_from_the_future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    assert_one_error(&run(&["claude", "opencode"]), 5, "newer");
}

/// A reader that stops early (`| head -1`) closes stdout: every command ends quietly with 0.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let (home, project) = home_with_claude_session();
    let commands: [&[&str]; 9] = [
        &["claude", "claude", "--no-inject", "--format", "markdown"],
        &["claude", "claude", "--no-inject", "--format", "json"],
        &["claude", "codex", "--dry-run", "--format", "markdown"],
        &["claude", "codex", "--json"],
        &["list", "--json"],
        &["list"],
        &["status"],
        &["agents"],
        &["completion", "bash"],
    ];
    for args in commands {
        // The read end is closed before the command starts: its first write meets no reader.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("handoff"))
            .env_clear()
            .env("HOME", home.path())
            .current_dir(&project)
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let err = stderr_of(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
    }
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
    assert_eq!(agents.len(), BUILTINS.len());
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
    let agents = |cmd: &mut assert_cmd::Command| -> Vec<Value> {
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
