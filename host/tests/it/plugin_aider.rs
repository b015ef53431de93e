//! The example Aider plugin (`examples/aider`) through the real host: built as a `cdylib`,
//! installed into `~/.handoff/plugins`, loaded, and used as a source and as a target.

use crate::support::{
    aider_built_against_api_1_0, handoff, install_plugins, plugin_library, run_in, stderr, stdout,
    workspace,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

const HISTORY: &str = ".aider.chat.history.md";

/// A HOME with the aider plugin installed, and an empty project directory (physical path).
fn setup() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    install_plugins(home.path(), &[plugin_library("handoff-aider")]);
    let project = tempfile::tempdir().unwrap();
    let path = project.path().canonicalize().unwrap();
    (home, project, path)
}

/// Aider's own history format, as aider writes it (see the fixture's test module).
fn aider_fixture() -> String {
    std::fs::read_to_string(
        workspace()
            .join("examples/aider/tests/fixtures")
            .join(HISTORY),
    )
    .unwrap()
}

/// The aider row of `agents --json`.
fn aider_entry(agents: &Value) -> &Value {
    agents
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "aider")
        .unwrap_or_else(|| panic!("aider not listed: {agents}"))
}

fn json_of(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[test]
fn the_plugin_is_listed_as_a_plugin() {
    let (home, _project, _) = setup();
    let output = handoff(home.path())
        .args(["agents", "--json"])
        .output()
        .unwrap();
    let agents = json_of(&output);
    let aider = aider_entry(&agents);
    assert_eq!(aider["origin"], "plugin");
    assert_eq!(aider["display_name"], "Aider");
    assert!(
        aider["path"]
            .as_str()
            .unwrap()
            .ends_with("libhandoff_aider.so")
    );
    assert_eq!(aider["extract"], true);
    assert_eq!(aider["inject"], true);
}

#[test]
fn an_aider_history_is_listed_and_extracted() {
    let (home, _project, project) = setup();
    std::fs::write(project.join(HISTORY), aider_fixture()).unwrap();

    let output = handoff(home.path())
        .current_dir(&project)
        .args(["aider", "claude", "--no-inject", "--format", "json"])
        .output()
        .unwrap();
    let transcript = json_of(&output);
    assert_eq!(transcript["session"]["agent"], "aider");
    assert_eq!(transcript["session"]["id"], "20250314T100102");
    assert_eq!(transcript["messages"][0]["role"], "user");
    assert_eq!(
        transcript["messages"][0]["parts"][0]["text"],
        "why does greet() print twice?"
    );

    let output = handoff(home.path())
        .current_dir(&project)
        .args(["aider", "claude", "--no-inject", "--format", "json"])
        .args(["--session-id", "20250314T09124"])
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(text.contains("make greet() take a name argument"), "{text}");
    assert!(text.contains(r#""command": "python greet.py""#), "{text}");

    let output = handoff(home.path())
        .current_dir(&project)
        .args(["list", "--agent", "aider", "--json"])
        .output()
        .unwrap();
    let rows = json_of(&output);
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["session_id"].as_str())
        .collect();
    assert_eq!(ids, ["20250314T100102", "20250314T091244"], "{rows}");
}

/// Claude Code's own session (written by the real client, see plugins/claude/tests/fixtures/real)
/// moved to `project`.
fn install_claude_session(home: &Path, project: &Path) {
    let fixtures = workspace().join("plugins/claude/tests/fixtures/real");
    let name = "c7f43f34-d913-44a6-9e66-6480077ad443.jsonl";
    let session = std::fs::read_to_string(fixtures.join(name))
        .unwrap()
        .replace(
            "/tmp/handoff-conf-2w9AOW/work/project",
            project.to_str().unwrap(),
        );
    let key: String = project
        .to_str()
        .unwrap()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let dir = home.join(".claude/projects").join(key);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), session).unwrap();
}

#[test]
fn a_claude_session_moves_into_aider_and_undo_takes_it_back() {
    let (home, _project, project) = setup();
    install_claude_session(home.path(), &project);
    let history = project.join(HISTORY);

    let output = handoff(home.path())
        .current_dir(&project)
        .args(["claude", "aider", "--json"])
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(report["target"]["agent"], "aider");
    assert_eq!(report["target"]["path"], history.display().to_string());
    let resume = report["target"]["resume_command"].as_str().unwrap();
    assert!(resume.ends_with("aider --restore-chat-history"), "{resume}");
    let written = std::fs::read_to_string(&history).unwrap();
    // In aider's own shapes: the prompt as a `#### ` line, the shell call as aider's
    // `> Running …` line with its output quoted under it, the final reply as plain text.
    assert!(
        written.contains("\n#### HOK_USER_PROMPT_a41c: run the marker command"),
        "{written}"
    );
    assert!(
        written.contains("> Running ") && written.contains("HOK_OUT 42"),
        "{written}"
    );
    assert!(written.contains(">     HOK_OUT_42  \n"), "{written}");
    assert!(written.contains("> Tool error:  \n"), "{written}");
    assert!(
        written
            .lines()
            .any(|l| l.contains("HOK_FINAL_REPLY_c3f8") && !l.starts_with('>'))
    );

    // Aider's history reads back through the plugin with the same conversation.
    let output = handoff(home.path())
        .current_dir(&project)
        .args(["aider", "claude", "--no-inject", "--format", "json"])
        .output()
        .unwrap();
    let transcript = json_of(&output);
    assert_eq!(transcript["session"]["id"], report["target"]["session_id"]);
    let text = transcript.to_string();
    for marker in [
        "HOK_USER_PROMPT_a41c",
        "HOK_OUT_42",
        "HOK_ERR_FILE_9d07",
        "HOK_FINAL_REPLY_c3f8",
    ] {
        assert!(text.contains(marker), "{marker} missing: {text}");
    }

    // Undo: the plugin removes its section; the file did not exist before, so it is gone.
    let output = handoff(home.path())
        .current_dir(&project)
        .arg("undo")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !history.exists(),
        "{}",
        std::fs::read_to_string(&history).unwrap_or_default()
    );
}

#[test]
fn injecting_into_an_existing_history_only_appends_and_undo_restores_it() {
    let (home, _project, project) = setup();
    install_claude_session(home.path(), &project);
    let history = project.join(HISTORY);
    let before = aider_fixture();
    std::fs::write(&history, &before).unwrap();

    let output = handoff(home.path())
        .current_dir(&project)
        .args(["claude", "aider"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let after = std::fs::read_to_string(&history).unwrap();
    assert!(after.len() > before.len() && after.starts_with(&before));

    let output = handoff(home.path())
        .current_dir(&project)
        .arg("undo")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&history).unwrap(), before);
}

/// The example plugin built against the plugin API as it was before the handshake (1.0) loads
/// into this handoff and works both ways.
#[test]
fn the_plugin_built_against_the_previous_api_still_works() {
    let library = match aider_built_against_api_1_0() {
        Ok(library) => library,
        Err(why) => panic!("cannot build the API 1.0 plugin: {why} (clone with history)"),
    };
    let home = tempfile::tempdir().unwrap();
    install_plugins(home.path(), &[library]);
    let project = tempfile::tempdir().unwrap();
    let project = project.path().canonicalize().unwrap();
    std::fs::write(project.join(HISTORY), aider_fixture()).unwrap();
    let run = |args: &[&str]| run_in(home.path(), &project, args);
    let agents = json_of(&run(&["agents", "--json"]));
    assert_eq!(aider_entry(&agents)["origin"], "plugin");
    let report = json_of(&run(&["aider", "claude", "--json"]));
    assert!(
        report["source"]["messages"].as_u64().unwrap() > 0,
        "{report}"
    );
    assert!(Path::new(report["target"]["path"].as_str().unwrap()).exists());
}
