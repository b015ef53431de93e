//! `--pick` under a real pseudo-terminal (tmux): the project's sessions listed, filtered as typed,
//! and the one picked is the one transferred; without a terminal, a usage error.

use crate::harden::{CLAUDE_REAL_ID, Env, assert_clean_error};
use crate::search::claude_in;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const NEWER_ID: &str = "22222222-d913-44a6-9e66-6480077ad443";

/// A tmux server of its own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` when tmux is not installed.
    fn start(name: &str, command: &str) -> Option<Self> {
        let socket = format!("handoff-it-{name}-{}", std::process::id());
        let started = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "30",
                command,
            ])
            .status();
        match started {
            Ok(status) => {
                assert!(status.success(), "tmux could not start {command}");
                Some(Self { socket })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => panic!("tmux: {e}"),
        }
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The screen once `ready` holds for it.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "waited for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// The project with two Claude sessions: the real one, and a newer copy with another prompt.
fn two_sessions() -> Env {
    let env = Env::new();
    let project = env.project.clone();
    claude_in(&env, &project, CLAUDE_REAL_ID, |text| text);
    let newer = claude_in(&env, &project, NEWER_ID, |text| {
        text.replace(
            "HOK_USER_PROMPT_a41c: run the marker command",
            "Refactor the parser",
        )
    });
    let file = std::fs::File::options().write(true).open(newer).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    env
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// `handoff <command> --pick --json` (`claude codex` by default) in a tmux pane (stdout into
/// `report.json`, the exit status into `status`; the pane stays open after) and the screen once
/// the picker shows both sessions; `None` when tmux is not installed.
fn picker_in_tmux(env: &Env, name: &str) -> Option<(Tmux, String)> {
    picker_of_command_in_tmux(env, name, "claude codex")
}

fn picker_of_command_in_tmux(env: &Env, name: &str, command: &str) -> Option<(Tmux, String)> {
    let command = format!(
        "env -i HOME={home} PATH=/usr/bin:/bin TERM=xterm NO_COLOR=1 {bin} {command} --pick --cwd {project} --json > {report}; echo $? > {status}; sleep 600",
        home = shell_quote(env.home.path()),
        bin = shell_quote(Path::new(env!("CARGO_BIN_EXE_handoff"))),
        project = shell_quote(&env.project),
        report = shell_quote(&env.home.path().join("report.json")),
        status = shell_quote(&env.home.path().join("status")),
    );
    let Some(tmux) = Tmux::start(name, &command) else {
        eprintln!("skipped: tmux is not installed, and --pick needs a terminal to be tested");
        return None;
    };
    let screen = tmux.wait_for("the picker", |s| {
        s.contains(NEWER_ID) && s.contains(CLAUDE_REAL_ID)
    });
    Some((tmux, screen))
}

/// The exit status of the command in the pane, once it ended.
fn exit_status(env: &Env, tmux: &Tmux) -> String {
    let status = env.home.path().join("status");
    let start = Instant::now();
    while !std::fs::read_to_string(&status).is_ok_and(|s| s.ends_with('\n')) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no end; the screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(&status).unwrap().trim().to_owned()
}

#[test]
fn the_session_picked_by_typing_is_the_one_transferred() {
    let env = two_sessions();
    let Some((tmux, screen)) = picker_in_tmux(&env, "pick") else {
        return;
    };
    // Newest first, each with its title, age, messages and size.
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("msgs")).collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(
        rows[0].contains("Refactor the parser") && rows[0].contains(NEWER_ID),
        "{screen}"
    );
    assert!(rows[1].contains("HOK_USER_PROMPT_a41c"), "{screen}");
    for row in &rows {
        assert!(row.contains(" ago ") && row.contains(" KB "), "{row}");
    }
    // Typing filters: only the older session is left, and Enter picks it.
    tmux.keys(&["-l", "hok_user"]);
    tmux.wait_for("the filtered list", |s| !s.contains(NEWER_ID));
    tmux.keys(&["Enter"]);
    assert_eq!(exit_status(&env, &tmux), "0", "{}", tmux.screen());
    let report = env.home.path().join("report.json");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["source"]["session_id"], CLAUDE_REAL_ID, "{report}");
    assert_eq!(report["target"]["agent"], "codex");
}

#[test]
fn show_pick_shows_the_session_picked() {
    let env = two_sessions();
    let Some((tmux, _)) = picker_of_command_in_tmux(&env, "show-pick", "show claude") else {
        return;
    };
    tmux.keys(&["-l", "hok_user"]);
    tmux.wait_for("the filtered list", |s| !s.contains(NEWER_ID));
    tmux.keys(&["Enter"]);
    assert_eq!(exit_status(&env, &tmux), "0", "{}", tmux.screen());
    let shown: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.home.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(shown["session"]["id"], CLAUDE_REAL_ID, "{shown}");
}

/// Esc, and Ctrl-C too (the terminal is raw meanwhile), end the picker: nothing transferred, one
/// error line, the cursor shown again.
#[test]
fn esc_or_ctrl_c_picks_nothing_and_gives_the_cursor_back() {
    for key in ["Escape", "C-c"] {
        let env = two_sessions();
        let Some((tmux, _)) = picker_in_tmux(&env, &format!("cancel-{key}")) else {
            return;
        };
        let before = env.snapshot();
        tmux.keys(&[key]);
        assert_eq!(exit_status(&env, &tmux), "3", "{key}: {}", tmux.screen());
        let screen = tmux.screen();
        assert!(
            screen.contains("error: no session picked"),
            "{key}: {screen}"
        );
        let cursor = Command::new("tmux")
            .args(["-L", &tmux.socket, "display", "-p", "#{cursor_flag}"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&cursor.stdout).trim(),
            "1",
            "{key}: the cursor is still hidden"
        );
        let written: Vec<PathBuf> = before
            .changes(&env.snapshot())
            .into_iter()
            .filter(|p| !p.ends_with("status") && !p.starts_with(env.home.path().join(".handoff")))
            .collect();
        assert!(written.is_empty(), "{key}: {written:?}");
    }
}

#[test]
fn without_a_terminal_pick_points_to_session_id() {
    let env = two_sessions();
    let project = env.project.display().to_string();
    let before = env.snapshot();
    // The test runs with stdin and stderr piped.
    let output = env.run(&["claude", "codex", "--pick", "--cwd", &project]);
    let line = assert_clean_error(&output, 2);
    assert!(
        line.contains("terminal") && line.contains("--session-id"),
        "{line}"
    );
    assert!(
        before
            .changes(&env.snapshot())
            .iter()
            .all(|p| p.starts_with(env.home.path().join(".handoff"))),
        "a refused pick wrote a session"
    );
    let output = env.run(&["claude", "codex", "--pick", "--session-id", CLAUDE_REAL_ID]);
    assert_eq!(output.status.code(), Some(2));
}
