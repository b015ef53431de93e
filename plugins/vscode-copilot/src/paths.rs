//! Where VS Code keeps its chats (microsoft/vscode `chatSessionStore.ts`): one file a chat in
//! `<User>/workspaceStorage/<workspace id>/chatSessions/<session id>.json` (or `.jsonl`, the
//! newer mutation log), and the chats of windows without a folder in
//! `<User>/globalStorage/emptyWindowChatSessions/` (older builds:
//! `<User>/workspaceStorage/no-workspace/chatSessions/`). Each workspace folder names its
//! project in `workspace.json` (`{"folder": "file:///…"}` or `{"workspace": "file:///….code-workspace"}`).

use handoff_adapter_kit::fs::file_uri_path;
use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The product folders under the config folder: VS Code, its Insiders build, VSCodium.
const FLAVOURS: [&str; 3] = ["Code", "Code - Insiders", "VSCodium"];

/// The per-user config folder: `$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application
/// Support` on macOS, `%APPDATA%` on Windows.
pub fn config_dir() -> PathBuf {
    if cfg!(target_os = "macos") {
        return home_dir().join("Library/Application Support");
    }
    if cfg!(windows) {
        if let Ok(appdata) = std::env::var("APPDATA")
            && !appdata.is_empty()
        {
            return PathBuf::from(appdata);
        }
        return home_dir().join("AppData/Roaming");
    }
    match std::env::var("XDG_CONFIG_HOME") {
        Ok(dir) if !dir.is_empty() => expand_tilde(&dir),
        _ => home_dir().join(".config"),
    }
}

/// VS Code's own user folder, the default home: `<config>/Code/User`.
pub fn default_user_dir() -> PathBuf {
    config_dir().join(FLAVOURS[0]).join("User")
}

/// Where a request looks: the home it names (a `User` folder), else every flavour's `User`
/// folder that exists (VS Code's when none does).
pub struct Layout {
    pub user_dirs: Vec<PathBuf>,
    /// What every found file must lie in, and what errors name.
    pub root: PathBuf,
}

impl Layout {
    pub fn of(home: Option<&str>) -> Layout {
        if let Some(home) = home.filter(|h| !h.is_empty()) {
            let dir = expand_tilde(home);
            return Layout {
                user_dirs: vec![dir.clone()],
                root: dir,
            };
        }
        let config = config_dir();
        let found: Vec<PathBuf> = FLAVOURS
            .iter()
            .map(|flavour| config.join(flavour).join("User"))
            .filter(|dir| dir.is_dir())
            .collect();
        match found.as_slice() {
            [] => Layout {
                user_dirs: vec![default_user_dir()],
                root: default_user_dir(),
            },
            [one] => Layout {
                root: one.clone(),
                user_dirs: found,
            },
            _ => Layout {
                user_dirs: found,
                root: config,
            },
        }
    }

    /// Every folder chats may be in.
    pub fn chat_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for user in &self.user_dirs {
            let storage = user.join("workspaceStorage");
            let mut workspaces: Vec<PathBuf> = std::fs::read_dir(&storage)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path().join("chatSessions"))
                .filter(|dir| dir.is_dir())
                .collect();
            workspaces.sort();
            dirs.extend(workspaces);
            let empty = user.join("globalStorage/emptyWindowChatSessions");
            if empty.is_dir() {
                dirs.push(empty);
            }
        }
        dirs
    }
}

/// The project folder of the chats in `chat_dir`: what its workspace's `workspace.json` names
/// (`None` for chats without a workspace, or a workspace on another machine).
pub fn workspace_folder(chat_dir: &Path) -> Option<String> {
    let file = chat_dir.parent()?.join("workspace.json");
    let bytes = std::fs::read(file).ok()?;
    let value: Value =
        serde_json::from_slice(handoff_adapter_kit::listing::strip_bom(&bytes)).ok()?;
    if let Some(folder) = value.get("folder").and_then(Value::as_str) {
        return file_uri_path(folder);
    }
    // A multi-root workspace: its first folder, else the folder the workspace file is in.
    let workspace = file_uri_path(value.get("workspace")?.as_str()?)?;
    Some(
        first_workspace_folder(Path::new(&workspace)).unwrap_or_else(|| {
            Path::new(&workspace)
                .parent()
                .map_or(workspace.clone(), |dir| dir.display().to_string())
        }),
    )
}

/// The first folder a `.code-workspace` file lists, resolved against the file's folder. The file
/// is JSON with comments: one that does not parse as plain JSON names no folder.
fn first_workspace_folder(file: &Path) -> Option<String> {
    let bytes = std::fs::read(file).ok()?;
    let value: Value =
        serde_json::from_slice(handoff_adapter_kit::listing::strip_bom(&bytes)).ok()?;
    let path = value.get("folders")?.get(0)?.get("path")?.as_str()?;
    let joined = file.parent()?.join(path);
    Some(normalise(&joined))
}

/// `a/./b/../c` as `a/c`, without touching the disk (the folder may be gone).
fn normalise(path: &Path) -> String {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_root_workspace_is_its_first_folder() {
        let storage = tempfile::tempdir().unwrap();
        let chats = storage.path().join("ws/chatSessions");
        std::fs::create_dir_all(&chats).unwrap();
        let file = storage.path().join("team/app.code-workspace");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(
            &file,
            r#"{"folders": [{"path": "./api/../web"}, {"path": "docs"}]}"#,
        )
        .unwrap();
        let uri = format!("file://{}", file.display());
        std::fs::write(
            storage.path().join("ws/workspace.json"),
            serde_json::json!({ "workspace": uri }).to_string(),
        )
        .unwrap();
        let expected = storage.path().join("team/web").display().to_string();
        assert_eq!(workspace_folder(&chats), Some(expected));
        std::fs::write(&file, "// comments: not plain JSON\n{}").unwrap();
        let folder = storage.path().join("team").display().to_string();
        assert_eq!(workspace_folder(&chats), Some(folder));
    }
}
