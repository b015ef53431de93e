//! Regression guard for listing speed (not timed): with the list cache warm, `list` must not read
//! any session file. Every file is overwritten with different bytes of the same size and given
//! back its mtime; if a listing read one, its row would change (or vanish), so equal output proves
//! nothing was read. This holds for root too, where `chmod 000` would prove nothing.

use crate::harden::copy_real_home;
use crate::support::{handoff, stdout};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

const SECRET: &str = "sk-ant-api03-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm";

fn claude_session(cwd: &str, id: &str, prompt: &str, turns: usize) -> String {
    let mut out = String::new();
    let mut parent = String::from("null");
    for turn in 0..turns {
        let user = format!("{id}-u{turn}");
        let assistant = format!("{id}-a{turn}");
        let text = if turn == 0 {
            prompt.to_owned()
        } else {
            format!("follow-up {turn}")
        };
        out.push_str(&format!(
            r#"{{"parentUuid":{parent},"isSidechain":false,"type":"user","message":{{"role":"user","content":"{text}"}},"uuid":"{user}","timestamp":"2026-01-01T00:00:0{turn}.000Z","userType":"external","entrypoint":"cli","cwd":"{cwd}","sessionId":"{id}","version":"2.1.330"}}"#
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"parentUuid":"{user}","isSidechain":false,"message":{{"id":"msg_{assistant}","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{{"type":"text","text":"answer {turn}"}}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":1,"output_tokens":1}}}},"type":"assistant","uuid":"{assistant}","timestamp":"2026-01-01T00:00:0{turn}.500Z","userType":"external","entrypoint":"cli","cwd":"{cwd}","sessionId":"{id}","version":"2.1.330"}}"#
        ));
        out.push('\n');
        parent = format!("\"{assistant}\"");
    }
    out
}

fn codex_rollout(cwd: &str, id: &str, prompt: &str) -> String {
    [
        format!(
            r#"{{"timestamp":"2026-01-01T00:00:00.000Z","type":"session_meta","payload":{{"id":"{id}","timestamp":"2026-01-01T00:00:00.000Z","cwd":"{cwd}","originator":"codex_cli_rs","cli_version":"0.169.0","source":"cli"}}}}"#
        ),
        format!(
            r#"{{"timestamp":"2026-01-01T00:00:01.000Z","type":"response_item","payload":{{"type":"message","role":"user","content":[{{"type":"input_text","text":"{prompt}"}}]}}}}"#
        ),
        r#"{"timestamp":"2026-01-01T00:00:02.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"done"}]}}"#.to_owned(),
        String::new(),
    ]
    .join("\n")
}

fn write(path: &Path, text: &str, mtime_s: u64) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    set_mtime(path, mtime_s);
}

fn set_mtime(path: &Path, mtime_s: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(mtime_s))
        .unwrap();
}

/// A home with 60 Claude sessions in 3 projects, 20 Codex rollouts, and the Gemini CLI, Qwen Code
/// and pi sessions their real clients wrote; returns the session files.
fn tree(home: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for i in 0..60u64 {
        let cwd = home.join(format!("work/p{}", i % 3));
        std::fs::create_dir_all(&cwd).unwrap();
        let cwd = cwd.canonicalize().unwrap().display().to_string();
        let key: String = cwd
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let prompt = if i == 7 {
            format!("deploy with key {SECRET} please")
        } else {
            format!("task number {i}")
        };
        let path = home
            .join(".claude/projects")
            .join(key)
            .join(format!("{id}.jsonl"));
        write(
            &path,
            &claude_session(&cwd, &id, &prompt, 1 + (i as usize % 4)),
            1_767_225_600 + i * 60,
        );
        files.push(path);
    }
    for i in 0..20u64 {
        let cwd = home
            .join(format!("work/p{}", i % 3))
            .canonicalize()
            .unwrap();
        let id = format!("019a0000-0000-7000-8000-{i:012}");
        let path = home.join(format!(
            ".codex/sessions/2026/01/0{}/rollout-2026-01-0{}T00-00-00-{id}.jsonl",
            1 + i % 5,
            1 + i % 5
        ));
        write(
            &path,
            &codex_rollout(&cwd.display().to_string(), &id, &format!("codex task {i}")),
            1_767_225_600 + i * 90,
        );
        files.push(path);
    }
    for (agent, home_dir) in [
        ("gemini", ".gemini"),
        ("qwen", ".qwen"),
        ("pi", ".pi/agent"),
    ] {
        let to = home.join(home_dir);
        copy_real_home(agent, &to);
        files.extend(session_files(&to));
    }
    files
}

/// The `.jsonl` files under `dir`.
fn session_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(session_files(&path));
        } else if path.extension().is_some_and(|x| x == "jsonl") {
            found.push(path);
        }
    }
    found
}

fn list(home: &Path, args: &[&str]) -> serde_json::Value {
    let output = handoff(home)
        .arg("list")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// Overwrites a file with other bytes of the same size and puts its mtime back.
fn scramble(path: &Path) {
    let meta = std::fs::metadata(path).unwrap();
    let mtime = meta.modified().unwrap();
    std::fs::write(path, "x".repeat(meta.len() as usize)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

#[test]
fn a_warm_listing_reads_no_session_file() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let files = tree(home);
    let cold = list(home, &["--all"]);
    assert_eq!(cold.as_array().unwrap().len(), 83, "{cold:#}");

    for file in &files {
        scramble(file);
    }
    let warm = list(home, &["--all"]);
    assert_eq!(warm, cold, "a listing read a file it had cached");
    // The project view and status come from the same cache.
    let project = home.join("work/p1");
    let output = handoff(home)
        .args(["list", "--json", "--cwd"])
        .arg(&project)
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 20 + 7, "{rows:#}");
}

#[test]
fn a_changed_file_is_read_again_and_a_broken_cache_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let files = tree(home);
    list(home, &["--all"]);

    // Appended to: new size and mtime, so its row is read again.
    let grown = &files[0];
    let cwd = home
        .join("work/p0")
        .canonicalize()
        .unwrap()
        .display()
        .to_string();
    let id = "00000000-0000-4000-8000-000000000000";
    write(
        grown,
        &claude_session(&cwd, id, "task number 0", 4),
        1_767_300_000,
    );
    let rows = list(home, &["--all"]);
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["session_id"] == id)
        .unwrap();
    assert_eq!(row["messages"], 8, "{row:#}");

    let cache = home.join(".handoff/cache/list-claude.json");
    std::fs::write(&cache, "{ not json").unwrap();
    assert_eq!(list(home, &["--all"]), rows);
    assert!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&cache).unwrap()).is_ok());
}

#[test]
fn listed_and_cached_titles_are_redacted_and_private() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    tree(home);
    let rows = list(home, &["--all"]);
    let text = rows.to_string();
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("deploy with key [REDACTED"), "{text}");

    let cache_dir = home.join(".handoff/cache");
    let cache = std::fs::read_to_string(cache_dir.join("list-claude.json")).unwrap();
    assert!(!cache.contains(SECRET));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache_dir), 0o700);
        assert_eq!(mode(&cache_dir.join("list-claude.json")), 0o600);
    }
    // Cached rows are shown redacted too.
    assert_eq!(list(home, &["--all"]), rows);
}
