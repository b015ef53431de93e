//! Where GitHub Copilot CLI keeps things: the home and one folder per session under
//! `session-state/`, holding `events.jsonl` and `workspace.yaml`.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use std::path::{Path, PathBuf};

/// The Copilot home: the configured one, else `$COPILOT_HOME`, else `~/.copilot`.
pub fn home(configured: Option<&str>) -> PathBuf {
    if let Some(home) = configured.filter(|h| !h.is_empty()) {
        return expand_tilde(home);
    }
    match std::env::var("COPILOT_HOME") {
        Ok(env) if !env.is_empty() => expand_tilde(&env),
        _ => home_dir().join(".copilot"),
    }
}

pub fn sessions_dir(home: &Path) -> PathBuf {
    home.join("session-state")
}

pub fn session_dir(home: &Path, id: &str) -> PathBuf {
    sessions_dir(home).join(id)
}

pub const EVENTS: &str = "events.jsonl";
pub const WORKSPACE: &str = "workspace.yaml";

/// A session id in Copilot's shape: a UUID, lowercase.
pub fn is_session_id(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::parse_str(text).is_ok()
}
