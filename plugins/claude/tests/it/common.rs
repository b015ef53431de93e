//! Helpers shared by the integration tests: a temp Claude home with sessions laid out as the
//! client lays them out.
#![allow(dead_code, clippy::unwrap_used)] // shared by several test crates; helpers unwrap like tests

pub use handoff_adapter_kit::testing::texts;
use handoff_claude::{ClaudeAdapter, paths};
use handoff_plugin_api::{Adapter, ExtractRequest, Extracted, Message};
use std::path::{Path, PathBuf};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn sample(name: &str) -> PathBuf {
    fixture("samples").join(name)
}

/// Every real-client fixture session file.
pub fn real_fixtures() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fixture("real")) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| paths::session_id_of(p).is_some())
        .collect();
    files.sort();
    files
}

pub fn extract_path(path: &Path) -> Extracted {
    ClaudeAdapter
        .extract(ExtractRequest {
            path: Some(path.display().to_string()),
            ..ExtractRequest::default()
        })
        .unwrap()
}

/// Copies `source` into `home` as session `id` of project `cwd`.
pub fn install(home: &Path, cwd: &str, id: &str, source: &Path) -> PathBuf {
    let dir = paths::projects_dir(home).join(paths::project_key(cwd));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{id}.jsonl"));
    std::fs::copy(source, &path).unwrap();
    path
}

pub fn all_text(messages: &[Message]) -> String {
    serde_json::to_string(messages).unwrap()
}
