//! Malformed input through the `handoff` binary, for every reader: the corpus under
//! `plugins/*/tests/fixtures/malformed/` (see the README there) plus what cannot be committed
//! (50 MB lines, symlinks, locks). Usable input → exit 0 with the skipped lines counted; unusable
//! → exit 1 with one `error: <path>…` line; never a panic; the source unchanged; nothing written
//! outside the target home; nothing half-written.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::harden::{
    Env, INVALID_SESSION, NO_SESSION, Snapshot, assert_clean_error, assert_no_temp_files,
    assert_ok_json, copy_tree, fixture, put,
};
use crate::support::stdout;
use serde_json::Value;
use std::path::Path;

const CLAUDE_ID: &str = "5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c";
const CODEX_ID: &str = "0199a213-81c0-7800-8aa1-bbab2a035a54";
const COPILOT_ID: &str = "7d1e4c2a-9b3f-4e8d-a6c5-2f1e0d9c8b7a";
/// The ids of the real sessions the Gemini CLI and Qwen Code corpora are built from.
const GEMINI_ID: &str = "c75e2ad3-c9d9-4c50-afe3-e30ba1c67020";
const QWEN_ID: &str = "d0deb225-7c8e-4703-869c-d3be4c91a566";
const PI_ID: &str = "01a24247-3e04-7737-8252-b6a5805b1fef";
/// The id of the real session the Cline corpus is built from.
const CLINE_ID: &str = "1796415857682_5521m";

/// Lines a JSONL reader must skip: not blank, and not a JSON object (the oracle the counts are
/// checked against).
fn unusable_lines(bytes: &[u8]) -> usize {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .filter(|l| !matches!(serde_json::from_slice::<Value>(l), Ok(Value::Object(_))))
        .count()
}

enum Expect {
    /// Exit 0 with this many skipped lines.
    Usable(usize),
    /// Exit 4 (an invalid session); the error line names the source and contains this.
    Unusable(&'static str),
    /// Exit 3 (nothing to hand off); the error line names the source and contains this.
    Empty(&'static str),
}

/// Runs `from → to` on the source at `source` and checks the whole contract.
fn check(env: &Env, from: &str, to: &str, id: &str, source: &Path, expect: Expect) -> Value {
    let before = env.snapshot();
    let output = env.transfer(from, to, id, &[]);
    let after = env.snapshot();
    let target_home = env.home_of(to);
    let handoff_dir = env.home.path().join(".handoff");
    // The source is read, never written: bytes and mtime stay.
    assert_eq!(
        before.0.get(source),
        after.0.get(source),
        "{source:?} changed"
    );
    before.assert_changes_only_under(&after, &[&target_home, &handoff_dir]);
    assert_no_temp_files(env.home.path());
    match expect {
        Expect::Usable(skipped) => {
            let report = assert_ok_json(&output);
            assert_eq!(
                report["skipped_lines"],
                skipped,
                "{source:?}: {report} {}",
                crate::harden::stderr(&output)
            );
            report
        }
        Expect::Unusable(needle) | Expect::Empty(needle) => {
            let code = match expect {
                Expect::Empty(_) => NO_SESSION,
                _ => INVALID_SESSION,
            };
            let line = assert_clean_error(&output, code);
            assert!(
                line.contains(&source.display().to_string()),
                "the error does not name {source:?}: {line}"
            );
            assert!(line.contains(needle), "{needle:?} not in {line}");
            // A refused source writes nothing at all.
            before.assert_changes_only_under(&after, &[&handoff_dir.join("config.toml")]);
            Value::Null
        }
    }
}

fn claude_case(name: &str, expect: impl FnOnce(&[u8]) -> Expect) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("claude", &format!("malformed/{name}"))).unwrap();
    let path = env.claude_session(CLAUDE_ID, &bytes);
    check(&env, "claude", "codex", CLAUDE_ID, &path, expect(&bytes));
}

#[test]
fn claude_corpus() {
    let usable = |bytes: &[u8]| Expect::Usable(unusable_lines(bytes));
    claude_case("truncated-last-line.jsonl", |_| Expect::Usable(1));
    claude_case("garbage-lines.jsonl", |_| Expect::Usable(4));
    claude_case("invalid-utf8.jsonl", |_| Expect::Usable(2));
    claude_case("nul-bytes.jsonl", |_| Expect::Usable(2));
    for name in [
        "wrong-types.jsonl",
        "broken-parent-chain.jsonl",
        "hostile-cwd.jsonl",
    ] {
        claude_case(name, usable);
    }
    claude_case("empty.jsonl", |_| {
        Expect::Unusable("no Claude Code conversation rows")
    });
    claude_case("binary-junk.jsonl", |_| {
        Expect::Unusable("no Claude Code conversation rows")
    });
    claude_case("wrong-types-only.jsonl", |_| {
        Expect::Empty("no messages to hand off")
    });
}

#[test]
fn claude_broken_chain_keeps_what_it_can_and_warns() {
    let env = Env::new();
    let bytes = std::fs::read(fixture("claude", "malformed/broken-parent-chain.jsonl")).unwrap();
    env.claude_session(CLAUDE_ID, &bytes);
    let output = env.transfer("claude", "codex", CLAUDE_ID, &[]);
    let report = assert_ok_json(&output);
    // The chain stops at the missing parent: the last two rows are what the client would load.
    assert_eq!(report["source"]["messages"], 2, "{report}");
    assert!(
        crate::harden::stderr(&output).contains("is not in the file"),
        "{}",
        crate::harden::stderr(&output)
    );
}

/// What a case expects, from the file's bytes.
type Expecting = dyn Fn(&[u8]) -> Expect;

fn codex_case(name: &str, expect: &Expecting) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("codex", &format!("malformed/{name}"))).unwrap();
    let path = env.codex_session(CODEX_ID, name.ends_with(".zst"), &bytes);
    check(&env, "codex", "claude", CODEX_ID, &path, expect(&bytes));
}

#[test]
fn codex_corpus() {
    jsonl_corpus(codex_case, "no Codex rollout line");
    // A zstd stream cut short gives the lines it has; the torn last one is skipped.
    codex_case("truncated.jsonl.zst", &|_| Expect::Usable(1));
    codex_case("not-zstd.jsonl.zst", &|_| {
        Expect::Unusable("not a readable zstd stream")
    });
    codex_case("zstd-magic-then-junk.jsonl.zst", &|_| {
        Expect::Unusable("not a readable zstd stream")
    });
}

/// The cases every JSONL store's corpus has (see the corpus READMEs): a torn last line; garbage,
/// bad bytes, wrong types and a hostile folder between good lines; no record at all (`no_rows`
/// names the error); only unusable records.
fn jsonl_corpus(case: fn(&str, &Expecting), no_rows: &'static str) {
    case("truncated-last-line.jsonl", &|_| Expect::Usable(1));
    for name in [
        "garbage-lines.jsonl",
        "invalid-utf8.jsonl",
        "nul-bytes.jsonl",
        "wrong-types.jsonl",
        "hostile-cwd.jsonl",
    ] {
        case(name, &|bytes| Expect::Usable(unusable_lines(bytes)));
    }
    for name in ["empty.jsonl", "binary-junk.jsonl"] {
        case(name, &move |_| Expect::Unusable(no_rows));
    }
    case("wrong-types-only.jsonl", &|_| {
        Expect::Empty("no messages to hand off")
    });
}

fn copilot_case(name: &str, expect: &Expecting) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("copilot", &format!("malformed/{name}"))).unwrap();
    let path = env.copilot_session(COPILOT_ID, &bytes);
    check(&env, "copilot", "claude", COPILOT_ID, &path, expect(&bytes));
}

#[test]
fn copilot_corpus() {
    jsonl_corpus(copilot_case, "no Copilot CLI event in this file");
}

fn gemini_case(name: &str, expect: &Expecting) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("gemini", &format!("malformed/{name}"))).unwrap();
    let path = env.gemini_session(GEMINI_ID, &bytes);
    // The id prefix the file is named for: an unreadable file is found by it, and reported broken.
    check(
        &env,
        "gemini",
        "claude",
        &GEMINI_ID[..8],
        &path,
        expect(&bytes),
    );
}

#[test]
fn gemini_corpus() {
    jsonl_corpus(gemini_case, "no Gemini CLI session record in this file");
}

fn qwen_case(name: &str, expect: &Expecting) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("qwen", &format!("malformed/{name}"))).unwrap();
    let path = env.qwen_session(QWEN_ID, &bytes);
    check(&env, "qwen", "claude", QWEN_ID, &path, expect(&bytes));
}

#[test]
fn qwen_corpus() {
    jsonl_corpus(qwen_case, "no Qwen Code record in this file");
}

fn pi_case(name: &str, expect: &Expecting) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("pi", &format!("malformed/{name}"))).unwrap();
    let path = env.pi_session(PI_ID, &bytes);
    check(&env, "pi", "claude", PI_ID, &path, expect(&bytes));
}

#[test]
fn pi_corpus() {
    jsonl_corpus(pi_case, "no pi session header on its first line");
}

fn cline_case(name: &str, expect: Expect) {
    let env = Env::new();
    let bytes = std::fs::read(fixture("cline", &format!("malformed/{name}"))).unwrap();
    let path = env.cline_session(CLINE_ID, &bytes);
    check(&env, "cline", "claude", CLINE_ID, &path, expect);
}

#[test]
fn cline_corpus() {
    let refused = "not a Cline conversation";
    for name in [
        "empty.json",
        "binary-junk.json",
        "truncated.json",
        "not-a-conversation.json",
    ] {
        cline_case(name, Expect::Unusable(refused));
    }
    cline_case("invalid-utf8.json", Expect::Usable(0));
    cline_case("wrong-types.json", Expect::Usable(12));
    cline_case(
        "wrong-types-only.json",
        Expect::Unusable("no messages to hand off"),
    );
}

fn crush_db_case(name: &str, expect: Expect) {
    let env = Env::new();
    let db = env.crush_project_store().join("crush.db");
    put(
        &db,
        &std::fs::read(fixture("crush", &format!("malformed/{name}"))).unwrap(),
    );
    check(
        &env,
        "crush",
        "claude",
        crate::harden::CRUSH_FIXTURE_ID,
        &db,
        expect,
    );
}

#[test]
fn crush_database_corpus() {
    crush_db_case("not-a-database.db", Expect::Unusable("not a database"));
    crush_db_case("empty.db", Expect::Unusable("not a Crush database"));
    crush_db_case("other-app.db", Expect::Unusable("not a Crush database"));
    crush_db_case("truncated.db", Expect::Unusable("malformed"));
    crush_db_case("no-sessions.db", Expect::Empty("no crush session"));
    crush_db_case("bad-parts.db", Expect::Usable(2));
    crush_db_case("wrong-types.db", Expect::Usable(1));
}

fn cursor_case(name: &str, expect: Expect) {
    let env = Env::new();
    let db = env.cursor_home().join("User/globalStorage/state.vscdb");
    put(
        &db,
        &std::fs::read(fixture("cursor", &format!("malformed/{name}"))).unwrap(),
    );
    check(
        &env,
        "cursor",
        "claude",
        crate::harden::CURSOR_FIXTURE_ID,
        &db,
        expect,
    );
}

#[test]
fn cursor_database_corpus() {
    cursor_case("not-a-database.vscdb", Expect::Unusable("not a database"));
    cursor_case(
        "no-cursordiskkv.vscdb",
        Expect::Unusable("not a Cursor state database"),
    );
    cursor_case("broken-composer.vscdb", Expect::Unusable("8f3c2a61"));
    cursor_case("missing-bubble.vscdb", Expect::Usable(2));
    cursor_case("wrong-types.vscdb", Expect::Usable(0));
}

fn vscode_case(name: &str, expect: Expect) {
    let env = Env::new();
    let id = crate::harden::VSCODE_FIXTURE_ID;
    let extension = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("json");
    let workspace = env
        .vscode_copilot_home()
        .join("workspaceStorage/5e0c8f3a2b1d4c6e9f7a8b0c1d2e3f4a");
    put(
        &workspace.join("workspace.json"),
        br#"{"folder": "file:///tmp/vscode-fixture/project"}"#,
    );
    let path = workspace.join(format!("chatSessions/{id}.{extension}"));
    put(
        &path,
        &std::fs::read(fixture("vscode-copilot", &format!("malformed/{name}"))).unwrap(),
    );
    check(&env, "vscode-copilot", "claude", id, &path, expect);
}

#[test]
fn vscode_copilot_corpus() {
    for name in [
        "empty.json",
        "binary-junk.json",
        "truncated.json",
        "wrong-types.json",
        "no-initial.jsonl",
    ] {
        vscode_case(name, Expect::Unusable("not a VS Code chat session"));
    }
    vscode_case("wrong-requests.json", Expect::Usable(10));
    vscode_case("garbage-lines.jsonl", Expect::Usable(6));
}

fn opencode_db_case(name: &str, expect: Expect) {
    let env = Env::new();
    let db = env.opencode_home().join("opencode.db");
    put(
        &db,
        &std::fs::read(fixture("opencode", &format!("malformed/{name}"))).unwrap(),
    );
    check(
        &env,
        "opencode",
        "claude",
        crate::harden::OPENCODE_REAL_ID,
        &db,
        expect,
    );
}

#[test]
fn opencode_database_corpus() {
    opencode_db_case("corrupt.db", Expect::Unusable("malformed"));
    opencode_db_case("not-sqlite.db", Expect::Unusable("not a database"));
    opencode_db_case("empty.db", Expect::Unusable("no such table"));
    opencode_db_case("unknown-schema.db", Expect::Unusable("no such column"));
    // Records of the wrong shape are skipped and counted; the rest of the session goes through.
    opencode_db_case("wrong-types.db", Expect::Usable(3));
}

/// The legacy JSON tree with a broken record of each kind.
#[test]
fn opencode_legacy_tree_with_broken_records() {
    let env = Env::new();
    let storage = env.opencode_home().join("storage");
    let legacy = fixture("opencode", "legacy-1.1/storage");
    copy_tree(&legacy, &storage);
    let session = "ses_df50c8024ffeGLzF4GeqzMcDBh";
    // A message that is not JSON, one that is binary, one whose id would leave the tree.
    let messages = storage.join("message").join(session);
    put(
        &messages.join("msg_zz1.json"),
        b"{\"id\": \"msg_zz1\", \"role\": ",
    );
    put(&messages.join("msg_zz2.json"), &[0xff, 0x00, 0xfe, 0x01]);
    put(
        &messages.join("msg_zz3.json"),
        br#"{"id": "../../../../../../dev", "role": "user", "time": {"created": 1}}"#,
    );
    // A part file that is a symlink to a file outside the home is not followed.
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.json");
    std::fs::write(
        &secret,
        br#"{"id":"prt_zzz","type":"text","text":"OUTSIDE_SECRET"}"#,
    )
    .unwrap();
    let part_dir = std::fs::read_dir(storage.join("part"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, part_dir.join("prt_zzzz.json")).unwrap();
    let source = storage.join(
        "session/bc9e8d2d5d66251268ab96cf35c12bb8e3e35c3e/ses_df50c8024ffeGLzF4GeqzMcDBh.json",
    );
    let report = check(
        &env,
        "opencode",
        "claude",
        session,
        &source,
        Expect::Usable(3),
    );
    assert_eq!(report["source"]["session_id"], session);
    let written = std::fs::read_to_string(report["target"]["path"].as_str().unwrap()).unwrap();
    assert!(!written.contains("OUTSIDE_SECRET"));
    assert!(written.contains("HANDOFF_USER_MARKER"));
}

/// 50 MB on one line: a real row (a huge tool output) is read; a 50 MB garbage line is skipped.
#[test]
fn fifty_megabyte_lines() {
    let big = "x".repeat(50 * 1024 * 1024);
    let base = std::fs::read(fixture("claude", "malformed/truncated-last-line.jsonl")).unwrap();
    let complete: Vec<&[u8]> = base.split(|b| *b == b'\n').take(4).collect();
    let mut huge_result = complete.clone();
    let row = String::from_utf8(complete[2].to_vec())
        .unwrap()
        .replace("ok 12 tests", &big);
    huge_result[2] = row.as_bytes();
    let mut garbage = complete.clone();
    let junk = format!("{{\"type\":\"user\",\"junk\":\"{big}");
    garbage.insert(1, junk.as_bytes());
    for (lines, skipped) in [(huge_result, 0), (garbage, 1)] {
        let env = Env::new();
        let mut bytes = lines.join(&b'\n');
        bytes.push(b'\n');
        let path = env.claude_session(CLAUDE_ID, &bytes);
        let started = std::time::Instant::now();
        check(
            &env,
            "claude",
            "codex",
            CLAUDE_ID,
            &path,
            Expect::Usable(skipped),
        );
        assert!(
            started.elapsed().as_secs() < 300,
            "took {:?}",
            started.elapsed()
        );
    }
    // Codex: the same huge output as a function_call_output.
    let sample = std::fs::read(fixture("codex", "malformed/truncated-last-line.jsonl")).unwrap();
    let text = String::from_utf8_lossy(&sample);
    let complete: Vec<&str> = text.lines().filter(|l| l.ends_with('}')).collect();
    let mut lines: Vec<String> = complete.iter().map(|l| (*l).to_owned()).collect();
    let output_line = lines
        .iter()
        .position(|l| l.contains("function_call_output"))
        .unwrap();
    let line: Value = serde_json::from_str(&lines[output_line]).unwrap();
    let mut line = line;
    line["payload"]["output"] = Value::String(big.clone());
    lines[output_line] = line.to_string();
    let env = Env::new();
    let path = env.codex_session(CODEX_ID, false, (lines.join("\n") + "\n").as_bytes());
    check(&env, "codex", "claude", CODEX_ID, &path, Expect::Usable(0));
}

/// A session file that is a symlink out of the home is not read (not even a device that never
/// ends), and what it points to is untouched.
#[cfg(unix)]
#[test]
fn session_symlinks_out_of_the_home_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("elsewhere.jsonl");
    std::fs::copy(fixture("claude", "malformed/garbage-lines.jsonl"), &target).unwrap();
    let outside_before = Snapshot::of(outside.path());

    let env = Env::new();
    let link = env
        .claude_home()
        .join(format!("projects/-src/{CLAUDE_ID}.jsonl"));
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let line = assert_clean_error(
        &env.transfer("claude", "codex", CLAUDE_ID, &[]),
        INVALID_SESSION,
    );
    assert!(
        line.contains("outside") && line.contains(&link.display().to_string()),
        "{line}"
    );

    // A link to a device is not a session at all.
    let env = Env::new();
    let link = env
        .claude_home()
        .join(format!("projects/-src/{CLAUDE_ID}.jsonl"));
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    // Not a session file at all: nothing to hand off.
    assert_clean_error(&env.transfer("claude", "codex", CLAUDE_ID, &[]), NO_SESSION);

    // Codex: a rollout that is a symlink is not one of its sessions.
    let env = Env::new();
    let rollout = env.codex_home().join(format!(
        "sessions/2025/10/01/rollout-2025-10-01T10-00-00-{CODEX_ID}.jsonl"
    ));
    std::fs::create_dir_all(rollout.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &rollout).unwrap();
    // Not a session at all: nothing to hand off.
    let line = assert_clean_error(&env.transfer("codex", "claude", CODEX_ID, &[]), 3);
    assert!(line.contains("no codex session"), "{line}");

    assert_eq!(
        Snapshot::of(outside.path()),
        outside_before,
        "outside the home changed"
    );
}

/// Ids that could name a path are refused by every adapter before they reach one.
#[test]
fn hostile_session_ids_are_refused() {
    let env = Env::new().with_real_sources();
    let before = env.snapshot();
    for agent in ["claude", "codex", "opencode"] {
        let to = if agent == "claude" { "codex" } else { "claude" };
        for id in ["../../x", "/etc/passwd", "..", "a/b", "x\ny", ""] {
            // A usage error: the id is refused before any store is read.
            let line = assert_clean_error(&env.transfer(agent, to, id, &[]), 2);
            assert!(line.contains("not a session id"), "{agent} {id:?}: {line}");
        }
    }
    before.assert_changes_only_under(&env.snapshot(), &[&env.home.path().join(".handoff")]);
}

/// A config file with a wrong type anywhere is one error line naming the file and line.
#[test]
fn config_with_wrong_types() {
    for (text, line) in [
        ("plugins_dir = 5\n", 1),
        ("plugin_timeout_secs = \"soon\"\n", 1),
        ("plugin_timeout_secs = -1\n", 1),
        ("[agents]\nclaude_home = 5\n", 2),
        ("agents = \"x\"\n", 1),
        ("[defaults]\nmax_tokens = -3\n", 2),
        ("[defaults]\nformat = \"pdf\"\n", 2),
        ("[defaults]\nauto_inject = \"yes\"\n", 2),
        ("[redaction]\npatterns = \"sk-.*\"\n", 2),
        ("[redaction]\npatterns = [5]\n", 2),
        ("[defaults]\n\nredact_secrets = { a = 1 }\n", 3),
    ] {
        let env = Env::new();
        let path = env.home.path().join(".handoff/config.toml");
        put(&path, text.as_bytes());
        let error = assert_clean_error(&env.run(&["status"]), 1);
        assert!(
            error.starts_with(&format!("error: {}:{line}: ", path.display())),
            "{text:?}: {error}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "config rewritten"
        );
    }
    // Not UTF-8, or not TOML at all.
    for bytes in [&b"\xff\xfe = 1\n"[..], b"[[[\n"] {
        let env = Env::new();
        let path = env.home.path().join(".handoff/config.toml");
        put(&path, bytes);
        let error = assert_clean_error(&env.run(&["status"]), 1);
        assert!(error.contains(&path.display().to_string()), "{error}");
    }
}

/// Project directories with `..`, a newline, or 4,000 characters: every target writes inside its
/// home, and the new session reads back.
#[test]
fn hostile_project_directories() {
    let env = Env::new().with_real_sources();
    let work = env.home.path().join("work");
    let newline = work.join("line\nbreak");
    std::fs::create_dir_all(&newline).unwrap();
    let mut long = work.clone();
    while long.as_os_str().len() < 4000 {
        long.push("d".repeat(199));
    }
    std::fs::create_dir_all(&long).unwrap();
    let dotted = work.join("line\nbreak/../project");
    for cwd in [&newline, &long, &dotted] {
        for (from, id, to) in [
            ("claude", crate::harden::CLAUDE_REAL_ID, "codex"),
            ("codex", crate::harden::CODEX_REAL_ID, "claude"),
            ("claude", crate::harden::CLAUDE_REAL_ID, "opencode"),
        ] {
            let before = env.snapshot();
            let cwd_text = cwd.display().to_string();
            let output = env.run(&[from, to, "--session-id", id, "--cwd", &cwd_text, "--json"]);
            let report = assert_ok_json(&output);
            let written = report["target"]["path"].as_str().unwrap();
            assert!(
                std::path::Path::new(written).starts_with(env.home_of(to)),
                "{written}"
            );
            before.assert_changes_only_under(
                &env.snapshot(),
                &[&env.home_of(to), &env.home.path().join(".handoff")],
            );
        }
    }
}

/// An OpenCode 2.x database (its sessions moved to `session_v2`) whose tables lack the columns
/// the reader uses is named in every command that reads it, and nothing is read or written
/// half-way.
#[test]
fn an_opencode_2_database_is_named_not_half_read() {
    let env = Env::new().with_opencode_db();
    let db = env.opencode_home().join("opencode.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE session_v2 (id TEXT PRIMARY KEY)")
        .unwrap();
    drop(conn);
    let named = |text: &str| text.contains("OpenCode 2.x database (table session_v2)");
    let list = env.run(&["list", "--all", "--agent", "opencode"]);
    assert!(list.status.success());
    assert!(
        named(&crate::harden::stderr(&list)),
        "{}",
        crate::harden::stderr(&list)
    );
    let status = env.run(&["status"]);
    assert!(
        named(&crate::harden::stdout(&status)),
        "{}",
        crate::harden::stdout(&status)
    );
    let doctor = env.run(&["doctor", "--json"]);
    assert!(named(&crate::harden::stdout(&doctor)));
    let from = env.transfer("opencode", "claude", "ses_df4dad3a5ffe34Xtv7dLURTax8", &[]);
    let line = assert_clean_error(&from, 5);
    assert!(named(&line), "{line}");
    let claude = std::fs::read(fixture(
        "claude",
        &format!("real/{}.jsonl", crate::harden::CLAUDE_REAL_ID),
    ))
    .unwrap();
    env.claude_session(crate::harden::CLAUDE_REAL_ID, &claude);
    let before_write = env.snapshot();
    let into = env.transfer("claude", "opencode", crate::harden::CLAUDE_REAL_ID, &[]);
    let line = assert_clean_error(&into, 5);
    assert!(named(&line), "{line}");
    before_write.assert_changes_only_under(&env.snapshot(), &[&env.home.path().join(".handoff")]);
}

/// A database upgraded by OpenCode 2.x's migration (the DDL read from its public source, rows
/// shaped as it documents them): its sessions list once each and transfer out with the report
/// saying where they came from; the database is left as it was.
#[test]
fn an_opencode_2_database_is_read_and_left_as_it_was() {
    const V2_ID: &str = "ses_2f00000000001MainV2Session";
    let env = Env::new().with_opencode_db();
    let db = env.opencode_home().join("opencode.db");
    let ddl =
        crate::support::workspace().join("plugins/opencode/tests/fixtures/v2/loose_psylocke.sql");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&std::fs::read_to_string(ddl).unwrap())
        .unwrap();
    // The upgrade's one-time copy of the 1.x sessions, ids kept.
    conn.execute_batch(
        "INSERT OR IGNORE INTO session_v2 (id, project_id, parent_id, slug, directory, title,
             version, time_created, time_updated)
         SELECT id, project_id, parent_id, slug, directory, title, version, time_created,
             time_updated FROM session",
    )
    .unwrap();
    let project = env.project.display().to_string();
    conn.execute(
        "INSERT INTO session_v2 (id, project_id, slug, directory, title, version, time_created,
             time_updated)
         SELECT ?1, id, 'slug', ?2, 'V2 session', '2.0.3', 1800000000000, 1800000000000
         FROM project LIMIT 1",
        rusqlite::params![V2_ID, project],
    )
    .unwrap();
    let rows = [
        (
            "user",
            serde_json::json!({"text": "HOST_V2_PROMPT", "files": [], "agents": [], "skills": [],
                "time": {"created": 1800000000000_i64}}),
        ),
        (
            "assistant",
            serde_json::json!({"agent": "build",
            "model": {"id": "claude-sonnet-4-5", "providerID": "anthropic"},
            "time": {"created": 1800000000100_i64},
            "content": [
                {"type": "text", "text": "HOST_V2_REPLY"},
                {"type": "tool", "id": "call_1", "name": "bash", "time": {"created": 1800000000100_i64},
                    "state": {"status": "completed", "input": {"command": "echo out"},
                        "content": [{"type": "text", "text": "HOST_V2_OUT"}]}}
            ]}),
        ),
    ];
    for (seq, (kind, data)) in rows.iter().enumerate() {
        conn.execute(
            "INSERT INTO session_message (id, session_id, type, seq, time_created, time_updated, data)
             VALUES (?1, ?2, ?3, ?4, 1800000000000, 1800000000000, ?5)",
            rusqlite::params![format!("msg_{seq}"), V2_ID, kind, seq, data.to_string()],
        )
        .unwrap();
    }
    drop(conn);
    let before = env.snapshot();

    let list = env.run(&["list", "--all", "--agent", "opencode", "--json"]);
    assert!(list.status.success(), "{}", crate::harden::stderr(&list));
    let listed: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let ids: Vec<&str> = listed
        .iter()
        .filter_map(|r| r["session_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [V2_ID, "ses_df4dad3a5ffe34Xtv7dLURTax8"],
        "each session once"
    );
    // list, status and doctor name the store the sessions were read from.
    let v2_store = "OpenCode 2.x database, read only";
    assert!(listed.iter().all(|r| r["store"] == v2_store), "{listed:?}");
    let human = env.run(&["list", "--all", "--agent", "opencode"]);
    assert!(
        stdout(&human).contains(&format!("[{v2_store}]")),
        "{}",
        stdout(&human)
    );
    let status = env.run(&["status", "--cwd", &project]);
    assert!(
        stdout(&status).contains(&format!("[{v2_store}]")),
        "{}",
        stdout(&status)
    );
    let doctor = env.run(&["doctor", "--cwd", &project]);
    assert!(
        stdout(&doctor).contains(&format!("in an {v2_store}")),
        "{}",
        stdout(&doctor)
    );

    let output = env.transfer("opencode", "claude", V2_ID, &[]);
    let report = assert_ok_json(&output);
    let warned = report["warnings"].as_array().unwrap();
    assert!(
        warned.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("read from an OpenCode 2.x database")),
        "{report}"
    );
    let written = std::fs::read_to_string(report["target"]["path"].as_str().unwrap()).unwrap();
    for marker in ["HOST_V2_PROMPT", "HOST_V2_REPLY", "HOST_V2_OUT"] {
        assert!(written.contains(marker), "{marker} handed to Claude");
    }
    before.assert_changes_only_under(
        &env.snapshot(),
        &[&env.claude_home(), &env.home.path().join(".handoff")],
    );
}
