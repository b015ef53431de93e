//! What each fuzz target does with its input, kept here so that the committed corpus can also be
//! replayed as an ordinary test (`host/tests/it/fuzz_corpus.rs` includes this file).
//!
//! Every harness writes the input where the agent keeps such a file, inside a scratch home, then
//! runs the adapter's readers (list and extract) on it. A reader may refuse the input with an
//! error; it must not panic, hang, or touch anything outside the scratch home.

use handoff_plugin_api::{Adapter, ExtractRequest, ListRequest};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One scratch directory per process, emptied and refilled for each input.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // /dev/shm keeps the per-input file writes off the disk when it exists.
        let shm = Path::new("/dev/shm");
        let builder =
            tempfile::Builder::new()
                .prefix("handoff-fuzz-")
                .tempdir_in(if shm.is_dir() {
                    shm.to_path_buf()
                } else {
                    std::env::temp_dir()
                });
        builder.expect("a scratch directory").keep()
    })
}

/// Removes the scratch directory (the corpus replay test's last step; a fuzzer never stops).
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch());
}

/// A fresh, empty home under the scratch directory.
fn fresh_home(name: &str) -> PathBuf {
    let home = scratch().join(name);
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("scratch home");
    home
}

fn put(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("scratch dir");
    }
    std::fs::write(path, bytes).expect("scratch file");
}

fn home_str(home: &Path) -> Option<String> {
    Some(home.display().to_string())
}

/// What every harness asks of an adapter over its `home`: the whole listing, then an extraction
/// by the id `prefix`.
fn list_and_extract(adapter: &impl Adapter, home: &Path, prefix: &str) {
    let _ = adapter.list_sessions(ListRequest {
        home: home_str(home),
        ..ListRequest::default()
    });
    let _ = adapter.extract(ExtractRequest {
        home: home_str(home),
        session_id: Some(prefix.to_owned()),
        ..ExtractRequest::default()
    });
}

const CLAUDE_ID: &str = "5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c";
const CODEX_ID: &str = "0199a213-81c0-7800-8aa1-bbab2a035a54";

/// A Claude Code session file: the parser on the bytes, then list (the streaming scan) and
/// extract by id through the adapter.
pub fn claude_session(data: &[u8]) {
    let home = fresh_home("claude");
    let path = home.join(format!("projects/-p/{CLAUDE_ID}.jsonl"));
    put(&path, data);
    let _ = handoff_claude::read::read_session(data, &path, CLAUDE_ID);
    list_and_extract(&handoff_claude::ClaudeAdapter, &home, &CLAUDE_ID[..8]);
}

/// Claude Code's project key of any cwd: only ASCII alphanumerics and `-`, one path component,
/// as long as the cwd in UTF-16 units up to 200, cut and hashed beyond.
pub fn claude_key(data: &[u8]) {
    let cwd = String::from_utf8_lossy(data);
    let key = handoff_claude::paths::project_key(&cwd);
    assert!(
        key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "{key:?}"
    );
    let units = cwd.encode_utf16().count();
    if units <= 200 {
        assert_eq!(key.len(), units, "{cwd:?} → {key:?}");
    } else {
        // 200 units, `-`, and the base-36 hash of an i32 (at most 7 digits).
        assert!((202..=208).contains(&key.len()), "{cwd:?} → {key:?}");
    }
    let home = Path::new("/h");
    let path = handoff_claude::paths::new_session_path(home, &cwd, CLAUDE_ID);
    if !key.is_empty() {
        assert_eq!(
            path.parent().and_then(Path::parent),
            Some(home.join("projects").as_path()),
            "{cwd:?} escapes the projects folder: {path:?}"
        );
    }
}

/// A Codex rollout, plain or (when the first byte is odd) named `.jsonl.zst`: list (index-less
/// file heads and tails, message counts) and extract by id.
pub fn codex_rollout(data: &[u8]) {
    let home = fresh_home("codex");
    let zst = data.first().is_some_and(|b| b % 2 == 1);
    let name = format!(
        "rollout-2025-10-01T10-00-00-{CODEX_ID}.jsonl{}",
        if zst { ".zst" } else { "" }
    );
    put(&home.join("sessions/2025/10/01").join(name), data);
    list_and_extract(&handoff_codex::CodexAdapter, &home, &CODEX_ID[..8]);
}

/// Separates the records of one input: 0xFF never occurs in UTF-8, so never inside valid JSON.
pub const RECORD_SEPARATOR: u8 = 0xFF;

const COPILOT_ID: &str = "7d1e4c2a-9b3f-4e8d-a6c5-2f1e0d9c8b7a";

/// A Copilot CLI session folder: `events.jsonl`, then (after [`RECORD_SEPARATOR`]) its
/// `workspace.yaml`; list (summary file, event counts) and extract by id.
pub fn copilot_session(data: &[u8]) {
    let home = fresh_home("copilot");
    let folder = home.join("session-state").join(COPILOT_ID);
    let mut records = data.splitn(2, |b| *b == RECORD_SEPARATOR);
    put(
        &folder.join("events.jsonl"),
        records.next().unwrap_or_default(),
    );
    if let Some(workspace) = records.next() {
        put(&folder.join("workspace.yaml"), workspace);
    }
    list_and_extract(&handoff_copilot::CopilotAdapter, &home, &COPILOT_ID[..8]);
}

/// The session id of the Gemini CLI fixture the corpus grew from.
const GEMINI_ID: &str = "c75e2ad3-c9d9-4c50-afe3-e30ba1c67020";

/// A Gemini CLI project: the session file, then (after [`RECORD_SEPARATOR`]) the registry
/// `projects.json`, then an older whole-file `.json` session; list (all, and the project's) and
/// extract by id.
pub fn gemini_session(data: &[u8]) {
    let home = fresh_home("gemini");
    let project = home.join("tmp/project");
    put(&project.join(".project_root"), b"/work/project");
    let mut records = data.splitn(3, |b| *b == RECORD_SEPARATOR);
    put(
        &project.join("chats/session-2026-01-01T00-00-c75e2ad3.jsonl"),
        records.next().unwrap_or_default(),
    );
    if let Some(registry) = records.next() {
        put(&home.join("projects.json"), registry);
    }
    if let Some(whole) = records.next() {
        put(
            &project.join("chats/session-2025-01-01T00-00-c75e2ad3.json"),
            whole,
        );
    }
    let adapter = handoff_gemini::GeminiAdapter;
    let _ = adapter.list_sessions(ListRequest {
        home: home_str(&home),
        cwd: Some("/work/project".into()),
        ..ListRequest::default()
    });
    list_and_extract(&adapter, &home, &GEMINI_ID[..8]);
}

/// The session id of the Qwen Code fixture the corpus grew from.
const QWEN_ID: &str = "d0deb225-7c8e-4703-869c-d3be4c91a566";

/// A Qwen Code session file: list (the record chain's first record, titles, counts) and extract by
/// id (the chain from the last record).
pub fn qwen_session(data: &[u8]) {
    let home = fresh_home("qwen");
    put(
        &home.join(format!("projects/-work-project/chats/{QWEN_ID}.jsonl")),
        data,
    );
    list_and_extract(&handoff_qwen::QwenAdapter, &home, &QWEN_ID[..8]);
}

/// The session id of the pi fixture the corpus grew from.
const PI_ID: &str = "01a24247-3e04-7737-8252-b6a5805b1fef";

/// A pi session file: list (header, names, counts) and extract by id prefix (the entry tree's
/// path from its last entry).
pub fn pi_session(data: &[u8]) {
    let home = fresh_home("pi");
    put(
        &home.join(format!(
            "sessions/--work-project--/2026-01-01T00-00-00-000Z_{PI_ID}.jsonl"
        )),
        data,
    );
    list_and_extract(&handoff_pi::PiAdapter, &home, &PI_ID[..8]);
}

const CLINE_ID: &str = "1796415857682_5521m";

/// A Cline conversation file beside a manifest: list (manifest, message count) and extract by id
/// prefix.
pub fn cline_session(data: &[u8]) {
    let home = fresh_home("cline");
    let dir = home.join("data/sessions").join(CLINE_ID);
    put(
        &dir.join(format!("{CLINE_ID}.json")),
        br#"{"session_id":"1796415857682_5521m","cwd":"/work/project"}"#,
    );
    put(&dir.join(format!("{CLINE_ID}.messages.json")), data);
    list_and_extract(&handoff_cline::ClineAdapter, &home, &CLINE_ID[..8]);
}

/// A project's `crush.db` from raw bytes inside a Crush home whose `projects.json` lists the
/// project: the project's listing, every project's, the newest session, and one by id prefix.
pub fn crush_session(data: &[u8]) {
    let root = fresh_home("crush");
    let home = root.join("home");
    let project = root.join("project");
    let data_dir = project.join(".crush");
    put(&data_dir.join("crush.db"), data);
    // The scratch paths need no JSON escapes beyond what `{:?}` writes.
    let projects = format!(
        r#"{{"projects":[{{"path":{:?},"data_dir":{:?},"last_accessed":"2026-01-01T00:00:00Z"}}]}}"#,
        project.display().to_string(),
        data_dir.display().to_string()
    );
    put(&home.join("projects.json"), projects.as_bytes());
    let adapter = handoff_crush::CrushAdapter;
    let cwd = Some(project.display().to_string());
    for cwd in [cwd.clone(), None] {
        let _ = adapter.list_sessions(ListRequest {
            home: home_str(&home),
            cwd,
            ..ListRequest::default()
        });
    }
    for session_id in [None, Some(String::from("8558"))] {
        let _ = adapter.extract(ExtractRequest {
            home: home_str(&home),
            cwd: cwd.clone(),
            session_id,
            path: None,
        });
    }
}

const CURSOR_ID: &str = "8f3c2a61-5d4e-4b7a-9c1e-2a6b0d9e4f17";

/// Raw bytes as Cursor's global `state.vscdb` (seeded with the fixture's databases): list, the
/// newest chat, and one by id prefix.
pub fn cursor_state(data: &[u8]) {
    let home = fresh_home("cursor");
    put(&home.join("User/globalStorage/state.vscdb"), data);
    list_and_extract(&handoff_cursor::CursorAdapter, &home, &CURSOR_ID[..8]);
}

const VSCODE_ID: &str = "f3c8a41c-5be2-4d07-9c3f-8e2b6a1d0c47";

/// A VS Code Copilot Chat session file of a workspace: a `.json` document, or for inputs of odd
/// length the `.jsonl` mutation log; list and extract by id prefix.
pub fn vscode_chat(data: &[u8]) {
    let home = fresh_home("vscode-copilot");
    let workspace = home.join("workspaceStorage/5e0c8f3a2b1d4c6e9f7a8b0c1d2e3f4a");
    put(
        &workspace.join("workspace.json"),
        br#"{"folder": "file:///work/project"}"#,
    );
    let extension = if data.len() % 2 == 1 { "jsonl" } else { "json" };
    put(
        &workspace.join(format!("chatSessions/{VSCODE_ID}.{extension}")),
        data,
    );
    list_and_extract(
        &handoff_vscode_copilot::VscodeCopilotAdapter,
        &home,
        &VSCODE_ID[..8],
    );
}

/// The legacy OpenCode JSON tree, records split by [`RECORD_SEPARATOR`]: the first is the session
/// file; a record starting with `M` opens a new message (the rest is its file); any other record
/// is a part of the message opened last.
pub fn opencode_legacy(data: &[u8]) {
    let home = fresh_home("opencode-legacy");
    let storage = home.join("storage");
    let mut records = data.split(|b| *b == RECORD_SEPARATOR);
    let session = records.next().unwrap_or_default();
    let session_path = storage.join("session/global/ses_f.json");
    put(&session_path, session);
    let mut message = 0;
    let mut part = 0;
    for record in records {
        if let Some(info) = record.strip_prefix(b"M") {
            message += 1;
            put(
                &storage.join(format!("message/ses_f/msg_{message}.json")),
                info,
            );
        } else if message > 0 {
            part += 1;
            put(
                &storage.join(format!("part/msg_{message}/prt_{part}.json")),
                record,
            );
        }
    }
    // Only OpenCode's own variables and the explicit home decide where it reads.
    let adapter = handoff_opencode::OpenCodeAdapter;
    let _ = adapter.extract(ExtractRequest {
        home: home_str(&home),
        path: Some(session_path.display().to_string()),
        ..ExtractRequest::default()
    });
    list_and_extract(&adapter, &home, "ses_");
}

/// `opencode.db` from raw bytes (seeded with small real-schema databases): list, then extract the
/// latest session and one by prefix.
pub fn opencode_db(data: &[u8]) {
    let home = fresh_home("opencode-db");
    put(&home.join("opencode.db"), data);
    list_and_extract(&handoff_opencode::OpenCodeAdapter, &home, "ses_");
}
