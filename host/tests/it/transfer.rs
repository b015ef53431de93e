//! Transfers end to end through the `handoff` binary, from sessions the real clients wrote
//! (`plugins/*/tests/fixtures/real/`), in a temp HOME.

use crate::harden::{
    COPILOT_REAL_ID, GEMINI_REAL_ID, KILO_REAL_ID, PI_REAL_ID, QWEN_REAL_ID, copy_copilot_session,
    copy_real_home,
};
use crate::support::{handoff, run_in, stderr, stdout, workspace};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) const CLAUDE_ID: &str = "c7f43f34-d913-44a6-9e66-6480077ad443";
const CODEX_ID: &str = "01a20b25-6870-7401-bf9b-27b91e0e682f";
const OPENCODE_ID: &str = "ses_df4dad3a5ffe34Xtv7dLURTax8";
pub(crate) const AGENTS: [&str; 8] = [
    "claude", "codex", "opencode", "copilot", "gemini", "qwen", "pi", "kilo",
];
/// Markers the real clients wrote into every fixture (conformance/src/scenario.rs).
pub(crate) const MARKERS: [&str; 4] = [
    "HOK_USER_PROMPT_a41c",
    "HOK_ASSISTANT_TEXT_5be2",
    "HOK_OUT_42",
    "HOK_FINAL_REPLY_c3f8",
];

pub(crate) struct Env {
    pub(crate) home: tempfile::TempDir,
    pub(crate) project: PathBuf,
}

pub(crate) fn source_id(agent: &str) -> &'static str {
    match agent {
        "claude" => CLAUDE_ID,
        "codex" => CODEX_ID,
        "copilot" => COPILOT_REAL_ID,
        "gemini" => GEMINI_REAL_ID,
        "qwen" => QWEN_REAL_ID,
        "pi" => PI_REAL_ID,
        "kilo" => KILO_REAL_ID,
        _ => OPENCODE_ID,
    }
}

/// A HOME holding one real session of each agent, and an empty project directory.
pub(crate) fn env() -> Env {
    let home = tempfile::tempdir().unwrap();
    let fixtures = |agent: &str| {
        workspace()
            .join("plugins")
            .join(agent)
            .join("tests/fixtures/real")
    };
    let copy = |from: PathBuf, to: PathBuf| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    };
    copy(
        fixtures("claude").join(format!("{CLAUDE_ID}.jsonl")),
        home.path()
            .join(".claude/projects/-tmp-elsewhere")
            .join(format!("{CLAUDE_ID}.jsonl")),
    );
    let rollout = format!("rollout-2026-11-24T01-22-10-{CODEX_ID}.jsonl");
    copy(
        fixtures("codex").join(&rollout),
        home.path()
            .join(".codex/sessions/2026/11/24")
            .join(&rollout),
    );
    copy(
        fixtures("opencode").join("opencode.db"),
        home.path().join(".local/share/opencode/opencode.db"),
    );
    copy(
        workspace().join("plugins/opencode/tests/fixtures/kilo/kilo.db"),
        home.path().join(".local/share/kilo/kilo.db"),
    );
    copy_copilot_session(&home.path().join(".copilot"));
    copy_real_home("gemini", &home.path().join(".gemini"));
    copy_real_home("qwen", &home.path().join(".qwen"));
    copy_real_home("pi", &home.path().join(".pi/agent"));
    let project = home.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    // The config exists before any snapshot of the home is taken.
    handoff(home.path()).arg("config").output().unwrap();
    let project = std::fs::canonicalize(project).unwrap();
    Env { home, project }
}

impl Env {
    /// The real Claude Code session laid in HOME.
    fn claude_source(&self) -> PathBuf {
        self.home
            .path()
            .join(".claude/projects/-tmp-elsewhere")
            .join(format!("{CLAUDE_ID}.jsonl"))
    }

    pub(crate) fn run(&self, args: &[&str]) -> std::process::Output {
        run_in(self.home.path(), &self.project, args)
    }

    fn transfer_json(&self, from: &str, to: &str, extra: &[&str]) -> Value {
        let mut args = vec![from, to, "--session-id", source_id(from), "--json"];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        assert!(output.status.success(), "{from}→{to}: {}", stderr(&output));
        assert!(
            stderr(&output).is_empty(),
            "--json prints no progress: {}",
            stderr(&output)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// sha256 and mtime of every file under HOME.
    fn snapshot(&self) -> BTreeMap<PathBuf, (String, std::time::SystemTime)> {
        let mut files = BTreeMap::new();
        let mut stack = vec![self.home.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let bytes = std::fs::read(&path).unwrap();
                    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
                    files.insert(path, (format!("{:x}", Sha256::digest(&bytes)), mtime));
                }
            }
        }
        files
    }
}

#[test]
fn every_direction_writes_a_session_the_target_reads_back() {
    let env = env();
    for from in AGENTS {
        for to in AGENTS {
            let report = env.transfer_json(from, to, &[]);
            assert_eq!(report["source"]["agent"], from);
            assert_eq!(report["source"]["session_id"], source_id(from));
            assert_eq!(report["target"]["agent"], to);
            assert_eq!(report["dry_run"], false);
            let id = report["target"]["session_id"].as_str().unwrap();
            let resume = report["target"]["resume_command"].as_str().unwrap();
            assert!(resume.contains(id), "{resume}");
            assert!(report["source"]["messages"].as_u64().unwrap() >= 2);
            #[cfg(unix)]
            if to != "opencode" && to != "kilo" {
                use std::os::unix::fs::PermissionsExt;
                let path = report["target"]["path"].as_str().unwrap();
                let mode = std::fs::metadata(path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{from}→{to}: {path}");
            }
            // The new session is the target's: its reader finds it for this project, with every
            // marker in order.
            let output = env.run(&[
                to,
                "claude",
                "--session-id",
                id,
                "--no-inject",
                "--format",
                "json",
            ]);
            assert!(
                output.status.success(),
                "{from}→{to} read back: {}",
                stderr(&output)
            );
            let text = stdout(&output);
            let mut at = 0;
            for marker in MARKERS {
                let found = text[at..].find(marker);
                assert!(
                    found.is_some(),
                    "{from}→{to}: {marker} missing or out of order"
                );
                at += found.unwrap();
            }
            let transcript: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(transcript["session"]["cwd"], env.project.to_str().unwrap());
        }
    }
    let output = env.run(&["list", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    for to in AGENTS {
        let count = rows.iter().filter(|r| r["agent"] == to).count();
        assert_eq!(
            count,
            AGENTS.len(),
            "{to}: the sessions written for this project (one from each agent) are listed"
        );
    }
}

#[test]
fn dry_run_and_no_inject_write_nothing_anywhere() {
    let env = env();
    let before = env.snapshot();
    for from in AGENTS {
        for to in AGENTS {
            let report = env.transfer_json(from, to, &["--dry-run"]);
            assert_eq!(report["dry_run"], true);
            assert!(
                report["target"]["session_id"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
            );
            for format in ["native", "markdown", "json"] {
                let output = env.run(&[
                    from,
                    to,
                    "--session-id",
                    source_id(from),
                    "--no-inject",
                    "--format",
                    format,
                ]);
                assert!(
                    output.status.success(),
                    "{from}→{to} {format}: {}",
                    stderr(&output)
                );
                check_format(to, format, &stdout(&output));
                // The seed's preview: the transcript on stdout, the plan on stderr.
                let preview = env.run(&[
                    from,
                    to,
                    "--session-id",
                    source_id(from),
                    "--dry-run",
                    "--format",
                    format,
                ]);
                assert!(preview.status.success(), "{}", stderr(&preview));
                check_format(to, format, &stdout(&preview));
                let plan = stderr(&preview);
                assert!(
                    plan.contains("Would create") && plan.contains("nothing was written"),
                    "{from}→{to} {format}: {plan}"
                );
            }
        }
    }
    assert_eq!(
        env.snapshot(),
        before,
        "dry-run or --no-inject changed a file"
    );
}

/// What `--no-inject --format F` prints for target `to`.
fn check_format(to: &str, format: &str, text: &str) {
    assert!(text.contains("HOK_FINAL_REPLY_c3f8"), "{to} {format}");
    match (format, to) {
        ("markdown", _) => {
            assert!(
                text.contains("\n## User\n") && text.contains("**Tool call**"),
                "{text}"
            );
        }
        ("json", _) => {
            let transcript: Value = serde_json::from_str(text).unwrap();
            assert_eq!(transcript["ir_version"], 1);
        }
        ("native", "opencode" | "kilo") => {
            let export: Value = serde_json::from_str(text).unwrap();
            assert!(export["info"]["id"].as_str().unwrap().starts_with("ses_"));
            assert!(export["messages"].as_array().unwrap().len() >= 2);
        }
        ("native", _) => {
            let lines: Vec<Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            match to {
                "codex" => assert_eq!(lines[0]["type"], "session_meta"),
                "copilot" => assert_eq!(lines[0]["type"], "session.start"),
                "gemini" => {
                    assert!(lines[0]["sessionId"].is_string());
                    assert!(lines.iter().any(|l| l["type"] == "gemini"));
                }
                "pi" => {
                    assert_eq!(lines[0]["type"], "session");
                    assert!(lines.iter().any(|l| l["message"]["role"] == "assistant"));
                }
                _ => assert!(lines.iter().any(|l| l["type"] == "assistant")),
            }
        }
        _ => unreachable!(),
    }
}

#[test]
fn undo_removes_the_last_transfer_unless_it_changed() {
    let env = env();
    for to in AGENTS {
        let report = env.transfer_json("codex", to, &[]);
        let id = report["target"]["session_id"].as_str().unwrap().to_owned();
        let written = PathBuf::from(report["target"]["path"].as_str().unwrap());
        let output = env.run(&["undo"]);
        assert!(output.status.success(), "undo {to}: {}", stderr(&output));
        if to == "copilot" {
            // A session is a folder there: it goes with its files.
            assert!(!written.parent().unwrap().exists(), "{}", written.display());
        }
        let output = env.run(&["list", "--agent", to, "--json"]);
        let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            rows.iter().all(|r| r["session_id"] != id.as_str()),
            "{to}: undone session still listed"
        );
    }
    // A file the agent appended to since is protected.
    let report = env.transfer_json("opencode", "claude", &[]);
    let path = PathBuf::from(report["target"]["path"].as_str().unwrap());
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"type\":\"last-prompt\",\"lastPrompt\":\"resumed\"}\n");
    std::fs::write(&path, text).unwrap();
    let output = env.run(&["undo"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--force"), "{}", stderr(&output));
    assert!(path.exists());
    let output = env.run(&["undo", "--force"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!path.exists());
    let output = env.run(&["history", "--json"]);
    let records: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        records.is_empty(),
        "undone transfers leave the history: {records:?}"
    );
}

#[test]
fn secrets_are_redacted_in_what_is_written() {
    let env = env();
    let secret = "ghp_Zq8mN3vX7tL2pR9sK4wY6uB1cD5eF0gH2jK4";
    let source = env.claude_source();
    let text = std::fs::read_to_string(&source).unwrap().replace(
        "HOK_USER_PROMPT_a41c",
        &format!("HOK_USER_PROMPT_a41c token {secret}"),
    );
    std::fs::write(&source, text).unwrap();
    let report = env.transfer_json("claude", "codex", &[]);
    assert!(report["redactions"].as_u64().unwrap() >= 1, "{report}");
    let written = std::fs::read_to_string(report["target"]["path"].as_str().unwrap()).unwrap();
    assert!(!written.contains(secret));
    assert!(written.contains("[REDACTED:"));
    let history = std::fs::read_to_string(env.home.path().join(".handoff/history.jsonl")).unwrap();
    assert!(!history.contains(secret));
    // Turned off, it is kept, with a warning.
    let output = env.run(&[
        "claude",
        "codex",
        "--session-id",
        CLAUDE_ID,
        "--no-redact-secrets",
        "--no-inject",
    ]);
    assert!(stdout(&output).contains(secret));
    assert!(
        stderr(&output).contains("redaction is off"),
        "{}",
        stderr(&output)
    );
}

/// Secrets of several families in every part of a real session (the first prompt, which is also
/// its title; assistant text; a tool call's arguments, JSON-escaped; tool output; a multi-line
/// key in the final reply) reach no byte that handoff writes or prints: the three targets'
/// stores, markdown, HTML and JSON renderings, `show` in every format, the listing, its cache and
/// the history.
#[test]
fn no_secret_reaches_any_output() {
    let env = env();
    let key_body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW";
    let placed = [
        (
            "HOK_USER_PROMPT_a41c",
            "sk-ant-api03-Qz7Kp2Lm9Xv4Tn8Rb1Wc6Yd3Fg5Hj0Ks2Le7Mu9Nw4Pa",
        ),
        (
            "HOK_ASSISTANT_TEXT_5be2",
            "AKIAQ7ZK3LM9XV4TN8RB and xoxb-2741908364-5520913847-Zq8RkT3mW9xLp2Vb7NcY4HdJ",
        ),
        (
            "HOK_OUT 42",
            "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",
        ),
        (
            "HOK_OUT_42",
            "https://deploy:Hq7Lm2Xz9Rt4Wp@registry.example.com/v2/",
        ),
        (
            "HOK_ERR_FILE_9d07",
            "dop_v1_7c4f0a9e2b1d8f6e3a5c9b0d7c4f0a9e2b1d8f6e3a5c9b0d7c4f0a9e2b1d8f6e",
        ),
        (
            "HOK_FINAL_REPLY_c3f8",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ),
    ];
    let secrets = [
        "Qz7Kp2Lm9Xv4Tn8Rb1Wc6Yd3Fg5Hj0Ks2Le7Mu9Nw4Pa",
        "AKIAQ7ZK3LM9XV4TN8RB",
        "Zq8RkT3mW9xLp2Vb7NcY4HdJ",
        "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",
        "Hq7Lm2Xz9Rt4Wp",
        "7c4f0a9e2b1d8f6e3a5c9b0d7c4f0a9e2b1d8f6e",
        key_body,
        "hunter2-Zx9Lm4",
    ];
    let source = env.claude_source();
    let mut text = std::fs::read_to_string(&source).unwrap();
    for (marker, secret) in placed {
        let secret = if marker == "HOK_FINAL_REPLY_c3f8" {
            format!("{secret}\n{key_body}\n-----END OPENSSH PRIVATE KEY-----")
        } else if marker == "HOK_OUT 42" {
            // Quoted inside the command: JSON-escaped in the session file.
            format!("{secret} password=\"hunter2-Zx9Lm4\"")
        } else {
            secret.to_owned()
        };
        let escaped = serde_json::to_string(&secret).unwrap();
        let replacement = format!("{marker} {}", &escaped[1..escaped.len() - 1]);
        assert!(text.contains(marker), "{marker}");
        text = text.replace(marker, &replacement);
    }
    std::fs::write(&source, &text).unwrap();
    let before = std::fs::read(&source).unwrap();

    let mut printed = Vec::new();
    for args in [
        vec!["list", "--all"],
        vec!["list", "--all", "--json"],
        vec!["list", "--all", "--json"],
        vec!["status"],
    ] {
        let output = env.run(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        printed.push(output);
    }
    assert!(
        stdout(&printed[1]).contains("HOK_USER_PROMPT_a41c"),
        "the title is listed"
    );
    for to in AGENTS {
        printed.push(env.run(&["claude", to, "--session-id", CLAUDE_ID]));
        printed.push(env.run(&["claude", to, "--session-id", CLAUDE_ID, "--dry-run"]));
    }
    for format in ["text", "markdown", "html"] {
        let output = env.run(&[
            "show",
            "claude",
            "--session-id",
            CLAUDE_ID,
            "--format",
            format,
        ]);
        assert!(stdout(&output).contains("HOK_OUT_42"), "show {format}");
        printed.push(output);
    }
    printed.push(env.run(&["show", "claude", "--session-id", CLAUDE_ID, "--json"]));
    for format in ["markdown", "html", "json", "native"] {
        let output = env.run(&[
            "claude",
            "codex",
            "--session-id",
            CLAUDE_ID,
            "--no-inject",
            "--format",
            format,
        ]);
        assert!(
            stdout(&output).contains("HOK_ASSISTANT_TEXT_5be2"),
            "{format}"
        );
        printed.push(output);
    }
    for output in &printed {
        assert!(output.status.success(), "{}", stderr(output));
        for secret in secrets {
            assert!(
                !stdout(output).contains(secret),
                "stdout: {secret}: {}",
                stdout(output)
            );
            assert!(!stderr(output).contains(secret), "stderr: {secret}");
        }
    }

    let mut written = 0;
    let mut pending = vec![env.home.path().to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path != source {
                let bytes = std::fs::read(&path).unwrap();
                for secret in secrets {
                    let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                    assert!(!found, "{secret} in {}", path.display());
                }
                written += 1;
            }
        }
    }
    assert!(written >= 8, "{written} files checked");
    let history = std::fs::read_to_string(env.home.path().join(".handoff/history.jsonl")).unwrap();
    assert_eq!(
        history.lines().count(),
        AGENTS.len(),
        "one transfer recorded for each target"
    );
    assert!(
        env.home
            .path()
            .join(".handoff/cache")
            .read_dir()
            .unwrap()
            .next()
            .is_some()
    );
    assert_eq!(
        std::fs::read(&source).unwrap(),
        before,
        "the source is untouched"
    );
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates() {
    let env = env();
    let dir = env.home.path().join(".claude/projects/-tmp-elsewhere");
    let twin = "c7f43f34-0000-4000-8000-000000000000";
    std::fs::copy(
        dir.join(format!("{CLAUDE_ID}.jsonl")),
        dir.join(format!("{twin}.jsonl")),
    )
    .unwrap();
    let output = env.run(&["claude", "codex", "--session-id", "c7f43f34"]);
    // A usage error: the prefix needs to be longer.
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains(CLAUDE_ID) && err.contains(twin), "{err}");
    // The unique prefix works.
    let output = env.run(&[
        "claude",
        "codex",
        "--session-id",
        "c7f43f34-d9",
        "--dry-run",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn auto_inject_false_prints_instead_of_writing() {
    let env = env();
    let config = env.home.path().join(".handoff/config.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("auto_inject = true", "auto_inject = false")
        .replace("format = \"native\"", "format = \"markdown\"");
    std::fs::write(&config, text).unwrap();
    let before = env.snapshot();
    let output = env.run(&["codex", "claude", "--session-id", CODEX_ID]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("## Assistant"));
    assert_eq!(env.snapshot(), before);
}

#[test]
fn the_latest_session_of_the_project_is_the_default_source() {
    let env = env();
    let output = env.run(&["claude", "codex"]);
    // Exit 3: nothing to hand off (README: exit codes).
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(
        err.contains("no claude session") || err.contains("No"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // After a transfer into claude, this project has one; it becomes the default source.
    let report = env.transfer_json("codex", "claude", &[]);
    let output = env.run(&["claude", "opencode", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let second: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        second["source"]["session_id"],
        report["target"]["session_id"]
    );
    assert!(Path::new(second["source"]["path"].as_str().unwrap()).exists());
}

/// A HOME whose Claude session was recorded in `repo` (a git repository with a `src/`), as if
/// the client had run there.
pub(crate) fn repo_env() -> (Env, PathBuf) {
    let env = env();
    let repo = env.project.join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("src/deep")).unwrap();
    let recorded = "/tmp/handoff-conf-2w9AOW/work/project";
    let text = std::fs::read_to_string(workspace().join(format!(
        "plugins/claude/tests/fixtures/real/{CLAUDE_ID}.jsonl"
    )))
    .unwrap()
    .replace(recorded, repo.to_str().unwrap());
    let dir = env
        .home
        .path()
        .join(".claude/projects")
        .join(repo.to_str().unwrap().replace(['/', '.'], "-"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{CLAUDE_ID}.jsonl")), text).unwrap();
    (env, repo)
}

#[test]
fn a_session_of_the_repository_is_found_from_any_folder_inside_it() {
    let (env, repo) = repo_env();
    let run = |dir: &Path, args: &[&str]| run_in(env.home.path(), dir, args);
    let deep = repo.join("src/deep");

    let output = run(&deep, &["claude", "codex", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["project"], repo.to_str().unwrap());
    assert_eq!(report["source"]["session_id"], CLAUDE_ID);
    // Written for the directory the conversation happened in, and the resume command goes there.
    assert_eq!(report["target"]["cwd"], repo.to_str().unwrap());
    let resume = report["target"]["resume_command"].as_str().unwrap();
    assert!(
        resume.starts_with(&format!("cd {} && codex resume ", repo.display())),
        "{resume}"
    );
    let codex_rows = run(&repo, &["list", "--agent", "codex", "--json"]);
    let rows: Vec<Value> = serde_json::from_slice(&codex_rows.stdout).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["session_id"], report["target"]["session_id"]);

    // The human report says which project was used.
    let output = run(&deep, &["claude", "opencode", "--dry-run"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains(&format!("of {}: the nearest project", repo.display())),
        "{err}"
    );

    // status and list say the same.
    let status = run(&deep, &["status", "--json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let claude = &status["agents"][0];
    assert_eq!(claude["agent"], "claude");
    assert_eq!(claude["project"], repo.to_str().unwrap());
    assert_eq!(claude["latest"]["session_id"], CLAUDE_ID);
    let list = run(&deep, &["list", "--agent", "claude"]);
    assert!(stdout(&list).contains(CLAUDE_ID), "{}", stderr(&list));
    assert!(
        stderr(&list).contains("nearest project"),
        "{}",
        stderr(&list)
    );

    // The search stops at the repository's root: a sibling outside it has nothing.
    let outside = env.project.join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    let output = run(&outside, &["claude", "codex"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
}

#[test]
fn unpaired_calls_and_results_arrive_paired_in_every_target() {
    let env = env();
    let id = "5e55a0de-0000-4000-8000-000000000001";
    let cwd = env.project.to_str().unwrap();
    let row = |n: u32, kind: &str, message: Value| {
        let parent = (n > 1).then(|| format!("00000000-0000-4000-8000-00000000000{}", n - 1));
        serde_json::json!({
            "parentUuid": parent, "isSidechain": false, "userType": "external",
            "cwd": cwd, "sessionId": id, "version": "2.1.330", "type": kind,
            "uuid": format!("00000000-0000-4000-8000-00000000000{n}"),
            "timestamp": format!("2026-11-24T10:00:0{n}.000Z"), "message": message,
        })
        .to_string()
    };
    let assistant = |content: Value| {
        serde_json::json!({"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-opus-5-5", "content": content, "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 1}})
    };
    let rows = [
        row(
            1,
            "user",
            serde_json::json!({"role": "user", "content": "UNPAIRED_START"}),
        ),
        row(
            2,
            "assistant",
            assistant(
                serde_json::json!([{"type": "tool_use", "id": "toolu_unanswered",
                "name": "Bash", "input": {"command": "ls"}}]),
            ),
        ),
        row(
            3,
            "user",
            serde_json::json!({"role": "user", "content": [{"type": "tool_result",
                "tool_use_id": "toolu_lost", "content": "LOST_OUTPUT"}]}),
        ),
        row(
            4,
            "assistant",
            assistant(serde_json::json!([{"type": "text", "text": "UNPAIRED_END"}])),
        ),
    ];
    let dir = env.home.path().join(".claude/projects/-tmp-unpaired");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{id}.jsonl")), rows.join("\n") + "\n").unwrap();

    for to in AGENTS {
        let output = env.run(&["claude", to, "--session-id", id, "--json"]);
        assert!(output.status.success(), "→{to}: {}", stderr(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            report["normalized"],
            serde_json::json!({"interrupted_calls": 1, "orphan_results": 1}),
            "→{to}"
        );
        let written = report["target"]["session_id"].as_str().unwrap();

        // Read back, the written session needs no pairing of its own.
        let output = env.run(&[to, "claude", "--session-id", written, "--dry-run", "--json"]);
        assert!(
            output.status.success(),
            "{to} read back: {}",
            stderr(&output)
        );
        let again: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            again["normalized"],
            serde_json::json!({"interrupted_calls": 0, "orphan_results": 0}),
            "{to} read back"
        );
        let output = env.run(&[
            to,
            "claude",
            "--session-id",
            written,
            "--no-inject",
            "--format",
            "json",
        ]);
        assert!(
            output.status.success(),
            "{to} read back: {}",
            stderr(&output)
        );
        let transcript: Value = serde_json::from_slice(&output.stdout).unwrap();
        let parts: Vec<&Value> = transcript["messages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["parts"].as_array().unwrap())
            .collect();
        let results: Vec<&Value> = parts
            .iter()
            .filter(|p| p["type"] == "tool_result")
            .copied()
            .collect();
        assert_eq!(results.len(), 1, "{to}: {results:?}");
        assert_eq!(
            results[0]["output"],
            handoff_plugin_api::INTERRUPTED_OUTPUT,
            "{to}"
        );
        assert_eq!(
            parts.iter().filter(|p| p["type"] == "tool_call").count(),
            1,
            "{to}"
        );
        let text = transcript.to_string();
        assert!(
            text.contains("LOST_OUTPUT"),
            "{to}: the orphan's output is kept"
        );
    }
}

/// The client version the first line of `path` that names one claims.
fn claimed_version(path: &Path, field: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|row| {
            let version = row.get(field).or_else(|| row["payload"].get(field))?;
            version.as_str().map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("{}: no {field}", path.display()))
}

#[test]
fn written_sessions_claim_the_newest_local_release_when_it_was_verified() {
    let env = env();
    let agents: Value = serde_json::from_slice(&env.run(&["agents", "--json"]).stdout).unwrap();
    let verified = |agent: &str| -> Vec<String> {
        let entry = agents
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == agent);
        serde_json::from_value(entry.unwrap()["verified_clients"].clone()).unwrap()
    };
    for (target, source, field) in [
        ("claude", "codex", "version"),
        ("codex", "claude", "cli_version"),
    ] {
        let releases = verified(target);
        assert!(releases.len() >= 2, "{target}: {releases:?}");
        // The real fixture (the newest session of the target here) claims the oldest verified
        // release: the new session claims it too, not the newest verified.
        let written = env.transfer_json(source, target, &[]);
        let path = PathBuf::from(written["target"]["path"].as_str().unwrap());
        assert_eq!(claimed_version(&path, field), releases[0], "{target}");
        // A release newer than any verified on this machine: the newest verified is claimed.
        let text = std::fs::read_to_string(&path).unwrap();
        let from = format!("\"{field}\":\"{}\"", releases[0]);
        std::fs::write(
            &path,
            text.replace(&from, &format!("\"{field}\":\"99.0.0\"")),
        )
        .unwrap();
        let written = env.transfer_json(source, target, &[]);
        let path = PathBuf::from(written["target"]["path"].as_str().unwrap());
        assert_eq!(
            &claimed_version(&path, field),
            releases.last().unwrap(),
            "{target}"
        );
    }
}

#[test]
fn records_of_unknown_kinds_are_passed_over_and_counted() {
    let env = env();
    // What the verified clients wrote holds no kind the readers do not know.
    for from in AGENTS {
        let report = env.transfer_json(from, "claude", &["--dry-run"]);
        assert_eq!(report.get("unknown_records"), None, "{from}: {report}");
    }
    // A newer client's record kind: passed over, counted, and named with --verbose.
    let source = env.claude_source();
    let mut text = std::fs::read_to_string(&source).unwrap();
    for _ in 0..2 {
        text.push_str("{\"type\":\"future-kind\",\"sessionId\":\"x\"}\n");
    }
    std::fs::write(&source, text).unwrap();
    let report = env.transfer_json("claude", "codex", &["--dry-run"]);
    assert_eq!(report["unknown_records"]["future-kind"], 2, "{report}");
    assert_eq!(report["skipped_lines"], 0, "{report}");
    let args = ["claude", "codex", "--session-id", CLAUDE_ID, "--dry-run"];
    let quiet = stderr(&env.run(&args));
    assert!(!quiet.contains("future-kind"), "{quiet}");
    let verbose = stderr(&env.run(&[&args[..], &["--verbose"]].concat()));
    assert!(verbose.contains("future-kind ×2"), "{verbose}");
}
