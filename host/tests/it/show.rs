//! `handoff show` and `--format html` through the binary, on the sessions the real clients wrote
//! (`plugins/*/tests/fixtures/real/`) and the Claude Code fixtures of images, compactions and
//! sidechains; the page is opened in headless Chromium where one is installed.

use crate::support::{handoff, stderr, stdout, workspace};
use crate::transfer::{AGENTS, CLAUDE_ID, Env, MARKERS, env, repo_env, source_id};
use std::path::{Path, PathBuf};
use std::process::Command;

const THINKING: &str = "HOK_THINKING_e71d: which command prints the marker?";
const SECRET: &str = "ghp_Zq8mN3vX7tL2pR9sK4wY6uB1cD5eF0gH2jK4";
const INJECTED: &str = "<script>document.title='HOK_INJECTED'</script>";

/// The real Claude Code session with a thinking block before the assistant's first text, a
/// secret and an HTML script in the prompt.
fn planted_env() -> Env {
    let env = env();
    let path = claude_session(&env);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            r#""content":[{"text":"HOK_ASSISTANT_TEXT_5be2"#,
            &format!(
                r#""content":[{{"type":"thinking","thinking":"{THINKING}","signature":"c2ln"}},{{"text":"HOK_ASSISTANT_TEXT_5be2"#
            ),
        )
        .replace(
            "HOK_USER_PROMPT_a41c:",
            &format!("HOK_USER_PROMPT_a41c: token {SECRET} {INJECTED}"),
        );
    std::fs::write(&path, text).unwrap();
    env
}

fn claude_session(env: &Env) -> PathBuf {
    env.home
        .path()
        .join(".claude/projects/-tmp-elsewhere")
        .join(format!("{CLAUDE_ID}.jsonl"))
}

fn show(env: &Env, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["show", "claude", "--session-id", CLAUDE_ID];
    args.extend_from_slice(extra);
    let output = env.run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

#[test]
fn the_terminal_text_of_a_real_session() {
    let env = env();
    let output = show(&env, &[]);
    let text = stdout(&output);
    assert!(!text.contains('\x1b'), "a pipe gets no colour: {text:?}");
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
    insta::assert_snapshot!("show_claude", text);
}

#[test]
fn every_agents_real_session_shows_its_markers() {
    let env = env();
    for agent in AGENTS {
        let output = env.run(&["show", agent, "--session-id", source_id(agent)]);
        assert!(output.status.success(), "{agent}: {}", stderr(&output));
        let text = stdout(&output);
        for marker in MARKERS {
            assert!(text.contains(marker), "{agent}: {marker} in {text}");
        }
    }
}

#[test]
fn calls_outputs_thinking_and_secrets() {
    let env = planted_env();
    let text = stdout(&show(&env, &[]));
    for expected in [
        "── User · 01:21:51 ",
        "✻ Thinking\n│ HOK_THINKING_e71d",
        "● Bash (shell)\n    command: printf '%s_%s\\n' HOK_OUT 42\n",
        "  ⎿ HOK_OUT_42\n",
        "  ⎿ error: File does not exist.",
        INJECTED,
        "[REDACTED:",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    for format in [
        &["--json"][..],
        &["--format", "markdown"],
        &["--format", "html"],
    ] {
        let output = show(&env, format);
        assert!(!stdout(&output).contains(SECRET), "{format:?}");
        assert!(stdout(&output).contains("[REDACTED:"), "{format:?}");
    }
    assert!(!text.contains(SECRET));

    let output = show(&env, &["--no-redact-secrets"]);
    assert!(stdout(&output).contains(SECRET));
    assert!(
        stderr(&output).contains("redaction is off"),
        "{}",
        stderr(&output)
    );

    // NO_COLOR is honoured, and colour never comes on a pipe anyway.
    let output = handoff(env.home.path())
        .current_dir(&env.project)
        .env("NO_COLOR", "1")
        .args(["show", "claude", "--session-id", CLAUDE_ID])
        .output()
        .unwrap();
    assert!(!stdout(&output).contains('\x1b'));
    assert_eq!(stdout(&output), text);
}

#[test]
fn without_an_agent_the_newest_session_of_the_project_or_the_id_decides() {
    let (env, repo) = repo_env();
    let output = crate::support::run_in(env.home.path(), &repo.join("src"), &["show"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("HOK_FINAL_REPLY_c3f8"));

    let output = env.run(&["show", "--session-id", &CLAUDE_ID[..8]]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("claude session c7f43f34-d913"));

    let output = env.run(&["show", "--session-id", "ffffffff"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));

    let output = env.run(&["show", "codex"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("error: "),
        "{}",
        stderr(&output)
    );
}

/// The Claude Code fixtures of images (inline bytes), a compaction and a sidechain.
fn marked_env() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join(".claude/projects/-home-dev-proj");
    std::fs::create_dir_all(&project).unwrap();
    for (fixture, id) in [
        ("images", "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"),
        ("compaction", "3c1f6a52-1d0e-4a8b-9c77-0e5b2d9f4a10"),
        ("sidechain", "7d2e9b14-5c3a-4f60-8e21-b9a0c4d5e6f7"),
    ] {
        std::fs::copy(
            workspace().join(format!("plugins/claude/tests/fixtures/{fixture}.jsonl")),
            project.join(format!("{id}.jsonl")),
        )
        .unwrap();
    }
    home
}

fn show_in(home: &Path, id: &str, extra: &[&str]) -> String {
    let output = handoff(home)
        .args(["show", "claude", "--session-id", id])
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn images_compactions_and_sidechains_are_marked() {
    let home = marked_env();
    let images = show_in(home.path(), "a0b1c2d3", &[]);
    assert!(
        images.contains("IMAGE-USER\n[image: inline (image/png, "),
        "{images}"
    );
    let page = show_in(home.path(), "a0b1c2d3", &["--format", "html"]);
    assert!(
        page.contains("<img src=\"data:image/png;base64,iVBORw0KGgo"),
        "{page}"
    );

    let compaction = show_in(home.path(), "3c1f6a52", &[]);
    assert!(
        compaction.contains("⋯ Compacted: the agent summarised the conversation so far\n│ "),
        "{compaction}"
    );
    assert!(compaction.contains("SUMMARY-MARKER"), "{compaction}");

    let sidechain = show_in(home.path(), "7d2e9b14", &[]);
    assert!(
        sidechain.contains("sidechain (subagent conversations) not shown"),
        "{sidechain}"
    );
}

/// What the page must hold: one document, only its own script, no address to load anything
/// from, the transcript's HTML as text.
fn check_page(page: &str) {
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(page.ends_with("</body>\n</html>\n"));
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    for loads in ["src=\"http", "<link", "url(", "@import"] {
        assert!(!page.contains(loads), "{loads} in the page");
    }
    assert!(page.contains("&lt;script&gt;document.title="), "{page}");
    for tag in ["details", "section", "summary"] {
        assert_eq!(
            page.matches(&format!("<{tag}")).count(),
            page.matches(&format!("</{tag}>")).count(),
            "<{tag}> balanced"
        );
    }
    for marker in MARKERS {
        assert!(page.contains(marker), "{marker}");
    }
}

#[test]
fn html_from_show_and_from_a_transfer_without_injecting() {
    let env = planted_env();
    let page = stdout(&show(&env, &["--format", "html"]));
    check_page(&page);
    assert!(page.contains("<details class=\"thinking\"><summary>Thinking</summary>"));
    assert!(
        page.contains("<li><a href=\"#turn-1\">HOK_USER_PROMPT_a41c"),
        "{page}"
    );

    let output = env.run(&[
        "claude",
        "codex",
        "--session-id",
        CLAUDE_ID,
        "--no-inject",
        "--format",
        "html",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    check_page(&stdout(&output));
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The page opened in a real browser: it renders (a screenshot of some size), its script ran to
/// the end (it marks `<body>`; an error or a refused script leaves it unmarked), nothing reached
/// the console, the transcript's markers are in the document and the planted script is text, not
/// an element.
#[test]
fn the_page_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!(
            "SKIPPED the_page_renders_in_headless_chromium: no chromium, chromium-browser or \
             google-chrome on PATH (apt-get install chromium)"
        );
        return;
    };
    let env = planted_env();
    let page = env.home.path().join("session.html");
    std::fs::write(&page, stdout(&show(&env, &["--format", "html"]))).unwrap();
    let url = format!("file://{}", page.display());
    let profile = env.home.path().join("chromium-profile");
    let headless = |extra: &[&str]| {
        Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--window-size=1200,2000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(&url)
            .env("HOME", env.home.path())
            .output()
            .unwrap()
    };
    let screenshot = env.home.path().join("session.png");
    let output = headless(&[&format!("--screenshot={}", screenshot.display())]);
    assert!(output.status.success(), "{}", stderr(&output));
    let size = std::fs::metadata(&screenshot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "a screenshot of {size} bytes");

    // The page logs nothing itself: any console line is an error or a refused load or script.
    let output = headless(&["--dump-dom", "--enable-logging=stderr", "--v=0"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let console: Vec<&str> = std::str::from_utf8(&output.stderr)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .collect();
    assert!(console.is_empty(), "{console:#?}");
    let dom = stdout(&output);
    assert!(
        dom.contains("<body data-ready=\"true\">"),
        "the script did not finish: {dom}"
    );
    for marker in MARKERS.iter().chain([&"HOK_THINKING_e71d"]) {
        assert!(dom.contains(marker), "{marker}");
    }
    assert!(!dom.contains(INJECTED), "{dom}");
    assert!(!dom.contains("<title>HOK_INJECTED"), "{dom}");
}

/// `handoff show` on a pseudo-terminal of `rows` rows (through `script`), with `PAGER` and a PATH
/// whose first folder holds a fake `less`; what reached the terminal and what the pager got.
fn on_terminal(env: &Env, rows: u16, pager: Option<&str>) -> (String, Option<String>) {
    let bin = env.home.path().join("bin");
    let received = env.home.path().join("pager.out");
    let _ = std::fs::remove_file(&received);
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("less");
    let script = format!(
        "#!/bin/sh\necho \"LESS=$LESS ARGS=$*\" > '{}'\ncat >> '{}'\n",
        received.display(),
        received.display()
    );
    std::fs::write(&fake, script).unwrap();
    crate::support::set_mode(&fake, 0o755);
    let handoff = assert_cmd::cargo::cargo_bin("handoff");
    let line = format!(
        "stty rows {rows} cols 80; exec '{}' show claude --session-id {CLAUDE_ID}",
        handoff.display()
    );
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut command = Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .env_clear()
        .env("HOME", env.home.path())
        .env("PATH", path)
        .current_dir(&env.project);
    if let Some(pager) = pager {
        command.env("PAGER", pager);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    (stdout(&output), std::fs::read_to_string(&received).ok())
}

#[test]
fn a_text_taller_than_the_terminal_goes_through_the_pager() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED a_text_taller_than_the_terminal_goes_through_the_pager: no `script`");
        return;
    }
    let env = env();
    let (screen, paged) = on_terminal(&env, 10, None);
    let paged = paged.expect("less was run");
    assert!(paged.starts_with("LESS=FRX ARGS=-R\n"), "{paged}");
    assert!(
        paged.contains("\x1b[1;36mUser"),
        "colour on a terminal: {paged}"
    );
    assert!(paged.contains("HOK_FINAL_REPLY_c3f8"));
    assert!(!screen.contains("HOK_FINAL_REPLY_c3f8"), "{screen}");

    // It fits: printed. A pager that cannot start: printed.
    for (rows, pager) in [(100, None), (10, Some("no-such-pager-9f2"))] {
        let (screen, paged) = on_terminal(&env, rows, pager);
        assert!(paged.is_none(), "{rows} rows, {pager:?}");
        assert!(screen.contains("HOK_FINAL_REPLY_c3f8"), "{screen}");
    }
}
