//! Where Cline 3.x keeps its sessions, as its CLI resolves them: `$CLINE_DIR` (default
//! `~/.cline`), its `data` folder (`$CLINE_DATA_DIR`), and in it `sessions/<id>/` (the manifest
//! `<id>.json` and the conversation `<id>.messages.json`; `$CLINE_SESSION_DATA_DIR`) and
//! `db/sessions.db`, the index `cline history` lists (`$CLINE_DB_DATA_DIR`). Older Cline (the
//! editor extension and the CLI before 3.0) kept tasks as `tasks/<id>/api_conversation_history.json`
//! in its data folder or the editor's global storage: read-only sources.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use std::path::{Path, PathBuf};

/// The folders of one Cline installation.
#[derive(Debug, Clone)]
pub struct Store {
    /// `$CLINE_DIR`, or the configured home: what the host shows and undo stays inside.
    pub home: PathBuf,
    pub data: PathBuf,
    pub sessions: PathBuf,
    pub db: PathBuf,
    /// Where older Cline kept task folders: the data folder, and (unless a home is configured)
    /// the editor extension's global storage of each VS Code flavour.
    pub task_roots: Vec<PathBuf>,
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .map(|value| expand_tilde(&value))
}

impl Store {
    /// The store of a configured home (a `CLINE_DIR`), else of the environment.
    pub fn of(home: Option<&str>) -> Store {
        if let Some(home) = home.filter(|h| !h.is_empty()) {
            let home = expand_tilde(home);
            let data = home.join("data");
            return Store {
                sessions: data.join("sessions"),
                db: data.join("db").join("sessions.db"),
                task_roots: vec![data.join("tasks")],
                home,
                data,
            };
        }
        let home = env_dir("CLINE_DIR").unwrap_or_else(|| home_dir().join(".cline"));
        let data = env_dir("CLINE_DATA_DIR").unwrap_or_else(|| home.join("data"));
        let sessions = env_dir("CLINE_SESSION_DATA_DIR").unwrap_or_else(|| data.join("sessions"));
        let db = env_dir("CLINE_DB_DATA_DIR")
            .unwrap_or_else(|| data.join("db"))
            .join("sessions.db");
        // A data folder moved out of the home is the home of what handoff writes.
        let home = if data.starts_with(&home) {
            home
        } else {
            data.clone()
        };
        let mut task_roots = vec![data.join("tasks")];
        task_roots.extend(
            editor_config_dirs()
                .into_iter()
                .map(|dir| dir.join("User/globalStorage/saoudrizwan.claude-dev/tasks")),
        );
        Store {
            home,
            data,
            sessions,
            db,
            task_roots,
        }
    }

    /// The folder of session `id`.
    pub fn session_dir(&self, id: &str) -> PathBuf {
        self.sessions.join(id)
    }
}

/// The session manifest beside a conversation file (`<id>.messages.json` → `<id>.json`).
pub fn manifest_of(messages: &Path) -> Option<PathBuf> {
    let name = messages.file_name()?.to_str()?;
    let id = name.strip_suffix(".messages.json")?;
    Some(messages.with_file_name(format!("{id}.json")))
}

/// The conversation file of session `id` in its folder.
pub fn messages_file(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.messages.json"))
}

/// The user configuration folders of the VS Code flavours the extension runs in.
fn editor_config_dirs() -> Vec<PathBuf> {
    let base = if cfg!(target_os = "macos") {
        home_dir().join("Library/Application Support")
    } else if cfg!(windows) {
        env_dir("APPDATA").unwrap_or_else(|| home_dir().join("AppData/Roaming"))
    } else {
        env_dir("XDG_CONFIG_HOME").unwrap_or_else(|| home_dir().join(".config"))
    };
    ["Code", "Code - Insiders", "VSCodium"]
        .iter()
        .map(|flavour| base.join(flavour))
        .collect()
}
