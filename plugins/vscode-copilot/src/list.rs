//! Finding chats: the `.json` and `.jsonl` files of every chat folder, newest first, each named
//! `<session id>.json(l)`; a folder's project is its workspace's `workspace.json`.

use crate::paths::{Layout, workspace_folder};
use crate::read;
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::listing::{Unchanged, mtime_ms};
use handoff_adapter_kit::parallel::par_map;
use handoff_plugin_api::{AdapterResult, SessionSummary};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ChatFile {
    pub path: PathBuf,
    /// The file's name without its extension: VS Code names it by the session id.
    pub id: String,
    pub cwd: Option<String>,
    pub size: u64,
    pub modified_ms: i64,
}

/// Whether a file is a mutation log rather than one JSON document.
pub fn is_log(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "jsonl")
}

/// Every chat file, newest first. Of a `.json` and a `.jsonl` of one chat in one folder (the
/// client moving to the log form), the newer stands for the chat.
pub fn files(layout: &Layout) -> Vec<ChatFile> {
    let mut files = Vec::new();
    for dir in layout.chat_dirs() {
        let cwd = workspace_folder(&dir);
        let mut newest: HashMap<String, ChatFile> = HashMap::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let is_chat = path
                .extension()
                .is_some_and(|ext| ext == "json" || ext == "jsonl");
            let Some(id) = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned) else {
                continue;
            };
            let Some(meta) = entry.metadata().ok().filter(std::fs::Metadata::is_file) else {
                continue;
            };
            if !is_chat {
                continue;
            }
            let file = ChatFile {
                path,
                id: id.clone(),
                cwd: cwd.clone(),
                size: meta.len(),
                modified_ms: mtime_ms(&meta),
            };
            match newest.get(&id) {
                Some(kept) if kept.modified_ms >= file.modified_ms => {}
                _ => {
                    newest.insert(id, file);
                }
            }
        }
        files.extend(newest.into_values());
    }
    files.sort_by(|a, b| {
        b.modified_ms
            .cmp(&a.modified_ms)
            .then_with(|| b.path.cmp(&a.path))
    });
    files
}

/// Whether a chat file belongs to project `cwd` (its folder as given, or as it is on disk).
fn belongs(file: &ChatFile, cwd: &str) -> bool {
    file.cwd.as_deref().is_some_and(|folder| {
        folder == cwd
            || handoff_adapter_kit::fs::physical(Path::new(folder))
                .to_str()
                .is_some_and(|p| p == cwd)
    })
}

/// A chat's row; `None` for a file that is no chat or a chat without a turn.
fn summary(file: &ChatFile) -> Option<SessionSummary> {
    let bytes = std::fs::read(&file.path).ok()?;
    let (chat, _) = read::document(&bytes, is_log(&file.path)).ok()?;
    let chat = read::transcript(chat, &file.id, file.cwd.clone()).transcript;
    if chat.messages.is_empty() {
        return None;
    }
    let title = chat.session.title.and_then(|text| {
        let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
        Some(line.chars().take(80).collect())
    });
    Some(SessionSummary {
        agent: "vscode-copilot".into(),
        session_id: chat.session.id,
        cwd: file.cwd.clone(),
        title,
        messages: chat.messages.len(),
        // The file's mtime: the host caches a row only while it holds.
        updated_ms: Some(file.modified_ms),
        created_ms: chat.session.created_ms,
        path: file.path.display().to_string(),
        cached: false,
        store: None,
    })
}

/// Chats of `cwd` (all when `None`), newest first, at most `limit`; files the host holds an
/// up-to-date row for are not read.
pub fn sessions(
    layout: &Layout,
    cwd: Option<&str>,
    limit: Option<usize>,
    unchanged: &Unchanged,
) -> Vec<SessionSummary> {
    let files: Vec<ChatFile> = files(layout)
        .into_iter()
        .filter(|file| cwd.is_none_or(|cwd| belongs(file, cwd)))
        .collect();
    let rows = par_map(&files, |file| {
        if unchanged.contains(&file.path, file.size, file.modified_ms) {
            return Some(Unchanged::cached_row(
                "vscode-copilot",
                String::new(),
                &file.path,
            ));
        }
        summary(file)
    });
    rows.into_iter()
        .flatten()
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// The file of chat `id` (or of the one chat whose id starts with it), in any workspace.
pub fn find_by_id(layout: &Layout, id: &str) -> AdapterResult<ChatFile> {
    let looked_in = layout.root.display().to_string();
    Search {
        agent: "vscode-copilot",
        looked_in: &looked_in,
    }
    .by_id(id, files(layout), |file| file.id.as_str())
}

/// The newest chat of project `cwd` that has a turn.
pub fn latest_for(layout: &Layout, cwd: &Path) -> AdapterResult<PathBuf> {
    let wanted = cwd.display().to_string();
    let looked_in = layout.root.display().to_string();
    let found = files(layout)
        .into_iter()
        .filter(|file| belongs(file, &wanted) && summary(file).is_some())
        .map(|file| file.path);
    Search {
        agent: "vscode-copilot",
        looked_in: &looked_in,
    }
    .latest(cwd.display(), found)
}
