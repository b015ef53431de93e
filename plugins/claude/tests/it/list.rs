//! Listing and locating sessions in a Claude home laid out like the client's.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::common::*;
use handoff_adapter_kit::testing::{
    Format, Observation, extracted, file_differences, jsonl_fixtures, listed,
};
use handoff_claude::ClaudeAdapter;
use handoff_plugin_api::{Adapter, ErrorKind, ExtractRequest, ListRequest};
use std::path::Path;
use std::time::{Duration, SystemTime};

const PROJ: &str = "/home/dev/proj";
const OTHER: &str = "/home/dev/other";

fn touch(path: &Path, seconds_ago: u64) {
    let file = std::fs::File::options().append(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago))
        .unwrap();
}

/// A home with four sessions in two projects, mtimes spread so the order is known.
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let layout = [
        (
            PROJ,
            "3c1f6a52-1d0e-4a8b-9c77-0e5b2d9f4a10",
            fixture("compaction.jsonl"),
            400,
        ),
        (
            PROJ,
            "c9d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f",
            fixture("parallel.jsonl"),
            100,
        ),
        (
            PROJ,
            "c9d8e7f6-0000-4c3d-9e2f-1a0b9c8d7e6f",
            fixture("errors.jsonl"),
            300,
        ),
        (
            OTHER,
            "20ce038d-ab0c-4145-bb95-745e55643ad7",
            sample("written-by-claude-2.1.330.jsonl"),
            200,
        ),
    ];
    for (cwd, id, source, age) in layout {
        touch(&install(home, cwd, id, &source), age);
    }
    // Not sessions: a legacy subagent file and a subagents folder.
    let proj_dir = home.join("projects").join("-home-dev-proj");
    std::fs::write(proj_dir.join("agent-a1b2c3.jsonl"), "{}\n").unwrap();
    std::fs::create_dir_all(proj_dir.join("3c1f6a52-1d0e-4a8b-9c77-0e5b2d9f4a10/subagents"))
        .unwrap();
    dir
}

fn list(
    home: &Path,
    cwd: Option<&str>,
    limit: Option<usize>,
) -> Vec<handoff_plugin_api::SessionSummary> {
    ClaudeAdapter
        .list_sessions(ListRequest {
            home: Some(home.display().to_string()),
            cwd: cwd.map(str::to_owned),
            limit,
            ..Default::default()
        })
        .unwrap()
}

#[test]
fn lists_one_project_newest_first_with_titles_and_counts() {
    let home = home();
    let rows = list(home.path(), Some(PROJ), None);
    let ids: Vec<&str> = rows.iter().map(|r| &r.session_id[..8]).collect();
    assert_eq!(ids, ["c9d8e7f6", "c9d8e7f6", "3c1f6a52"]);
    assert_eq!(rows[0].title.as_deref(), Some("config check renamed"));
    // An estimate: results interleaved with one streamed message's rows count as turns
    // (4 merged messages, 6 role switches).
    assert!((4..=6).contains(&rows[0].messages), "{}", rows[0].messages);
    assert_eq!(rows[1].title.as_deref(), Some("Run the build ERROR-USER"));
    assert_eq!(rows[2].title.as_deref(), Some("Parser module and tests"));
    assert_eq!(rows[2].cwd.as_deref(), Some(PROJ));
    assert!(rows[0].updated_ms > rows[1].updated_ms);
    assert!(
        rows.iter()
            .all(|r| r.agent == "claude" && r.path.ends_with(".jsonl"))
    );
}

#[test]
fn lists_every_project_and_respects_the_limit() {
    let home = home();
    let rows = list(home.path(), None, None);
    assert_eq!(rows.len(), 4);
    // The session `claude -p` wrote (entrypoint sdk-cli) is listed too.
    let print_mode = rows
        .iter()
        .find(|r| r.session_id.starts_with("20ce038d"))
        .unwrap();
    assert_eq!(print_mode.title.as_deref(), Some("read notes.txt please"));
    assert_eq!(print_mode.cwd.as_deref(), Some("/home/dev/proj"));
    assert_eq!(print_mode.messages, 4);
    assert_eq!(rows[1].session_id, print_mode.session_id);
    assert_eq!(list(home.path(), None, Some(2)).len(), 2);
}

#[test]
fn list_counts_match_extract_on_real_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    for path in real_fixtures() {
        let id = path.file_stem().unwrap().to_str().unwrap();
        install(dir.path(), PROJ, id, &path);
        let row = list(dir.path(), Some(PROJ), None)
            .into_iter()
            .find(|r| r.session_id == id)
            .unwrap();
        let extracted = extract_path(&path);
        assert_eq!(
            row.messages,
            extracted.transcript.messages.len(),
            "{path:?}"
        );
        assert_eq!(row.title, extracted.transcript.session.title, "{path:?}");
        assert_eq!(row.cwd, extracted.transcript.session.cwd, "{path:?}");
    }
}

fn extract(
    home: &Path,
    id: Option<&str>,
    cwd: Option<&str>,
) -> Result<String, handoff_plugin_api::AdapterError> {
    ClaudeAdapter
        .extract(ExtractRequest {
            home: Some(home.display().to_string()),
            cwd: cwd.map(str::to_owned),
            session_id: id.map(str::to_owned),
            path: None,
        })
        .map(|e| e.transcript.session.id)
}

#[test]
fn extract_by_prefix_latest_and_errors() {
    let home = home();
    let home = home.path();
    assert_eq!(
        extract(home, Some("3c1f"), None).unwrap(),
        "3c1f6a52-1d0e-4a8b-9c77-0e5b2d9f4a10"
    );
    let ambiguous = extract(home, Some("c9d8e7f6"), None).unwrap_err();
    assert_eq!(ambiguous.kind, ErrorKind::Ambiguous);
    assert!(
        ambiguous.message.contains("c9d8e7f6-a5b4") && ambiguous.message.contains("c9d8e7f6-0000")
    );
    assert_eq!(
        extract(home, Some("ffff"), None).unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        extract(home, None, Some(PROJ)).unwrap(),
        "c9d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f"
    );
    let none = extract(home, None, Some("/home/dev/nothing")).unwrap_err();
    assert_eq!(none.kind, ErrorKind::NotFound);
    assert!(
        none.message
            .contains("no claude session for /home/dev/nothing"),
        "{none}"
    );
    assert!(none.message.contains("-home-dev-nothing"), "{none}");
}

#[test]
fn long_project_paths_use_the_hashed_key() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = format!("/home/dev/{}", "deep/".repeat(50));
    let cwd = cwd.trim_end_matches('/');
    let id = "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d";
    install(dir.path(), cwd, id, &fixture("images.jsonl"));
    let key = handoff_claude::paths::project_key(cwd);
    assert!(dir.path().join("projects").join(&key).is_dir());
    assert_eq!(list(dir.path(), Some(cwd), None).len(), 1);
    assert_eq!(extract(dir.path(), None, Some(cwd)).unwrap(), id);
}

/// What list and extract make of one session file: its list row, and its transcript by path
/// and as the project's latest.
fn observe(bytes: &[u8]) -> Observation {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let source = home.join("source.jsonl");
    std::fs::write(&source, bytes).unwrap();
    let path = install(home, PROJ, "0f0e0d0c-0b0a-4908-8706-050403020100", &source);
    let extract = |request: ExtractRequest| {
        extracted(ClaudeAdapter.extract(ExtractRequest {
            home: Some(home.display().to_string()),
            ..request
        }))
    };
    vec![
        ("list", listed(&list(home, None, None))),
        (
            "extract",
            extract(ExtractRequest {
                path: Some(path.display().to_string()),
                ..ExtractRequest::default()
            }),
        ),
        (
            "latest",
            extract(ExtractRequest {
                cwd: Some(PROJ.into()),
                ..ExtractRequest::default()
            }),
        ),
    ]
}

/// Every fixture session (real-client files, samples, hand-written and malformed ones), and
/// the well-formed ones again with their texts padded past the search windows.
fn every_fixture() -> Vec<(String, Vec<u8>)> {
    jsonl_fixtures(
        &fixture(""),
        &["real", "", "client-written", "samples", "malformed"],
        &["text", "content"],
    )
}

/// Valid JSON is understood however it is written: every fixture, re-serialised every valid
/// way (spaces, key order, escapes, CRLF, a BOM, and lines that each choose on their own), lists
/// and extracts exactly as the file the client wrote.
#[test]
fn every_valid_serialisation_lists_and_extracts_alike() {
    let failures: Vec<String> = every_fixture()
        .iter()
        .flat_map(|(name, bytes)| file_differences(name, Format::Jsonl, bytes, observe))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A long row whose keys are in another order than the client's: its `type` and `isMeta` sit
/// between two big values, beyond the windows a listing searches. It is read whole, and found
/// as what it is.
#[test]
fn long_rows_in_another_key_order_are_read_whole() {
    let big = "lorem ipsum ".repeat(1_000);
    let envelope = |uuid: &str, parent: &str| {
        format!(
            r#""uuid":"{uuid}","parentUuid":{parent},"isSidechain":false,"cwd":"{PROJ}","timestamp":"2026-01-01T00:00:0{}.000Z""#,
            uuid.len() % 10
        )
    };
    let user = |uuid: &str, parent: &str, text: &str| {
        format!(
            r#"{{"parentUuid":{parent},"isSidechain":false,"type":"user","message":{{"role":"user","content":"{text}"}},"uuid":"{uuid}","cwd":"{PROJ}","timestamp":"2026-01-01T00:00:00.000Z"}}"#
        )
    };
    let assistant = |uuid: &str, parent: &str| {
        format!(
            r#"{{"parentUuid":"{parent}","isSidechain":false,"message":{{"id":"msg_{uuid}","role":"assistant","content":[{{"type":"text","text":"ok"}}]}},"type":"assistant","uuid":"{uuid}","cwd":"{PROJ}","timestamp":"2026-01-01T00:00:01.000Z"}}"#
        )
    };
    // Keys reordered: a meta row whose flag, and a prompt whose type, sit mid-line.
    let meta = format!(
        r#"{{"type":"user","message":{{"role":"user","content":"<command-name>{big}"}},"isMeta":true,"toolUseResult":{{"stdout":"{big}"}},{}}}"#,
        envelope("u3", r#""a2""#)
    );
    let prompt = format!(
        r#"{{"message":{{"role":"user","content":"second prompt {big}"}},"type":"user","toolUseResult":{{"stdout":"{big}"}},{}}}"#,
        envelope("u5", r#""a4""#)
    );
    let lines = [
        user("u1", "null", "first prompt"),
        assistant("a2", "u1"),
        meta,
        assistant("a4", "u3"),
        prompt,
        assistant("a6", "u5"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.jsonl");
    std::fs::write(&source, lines.join("\n")).unwrap();
    let id = "0f0e0d0c-0b0a-4908-8706-050403020100";
    install(dir.path(), PROJ, id, &source);
    let rows = list(dir.path(), None, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].title.as_deref(), Some("first prompt"));
    // user, assistant (the meta row is not a turn), user, assistant.
    assert_eq!(rows[0].messages, 4);
}
