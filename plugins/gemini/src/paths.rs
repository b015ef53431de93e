//! Where Gemini CLI keeps things: the home (`~/.gemini`, or `$GEMINI_CLI_HOME/.gemini`), one
//! folder per project under `tmp/` named by the project registry `projects.json`, and the
//! project's sessions in its `chats/`.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The Gemini CLI home: the configured one, else `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`.
pub fn home(configured: Option<&str>) -> PathBuf {
    if let Some(home) = configured.filter(|h| !h.is_empty()) {
        return expand_tilde(home);
    }
    match std::env::var("GEMINI_CLI_HOME") {
        Ok(env) if !env.is_empty() => expand_tilde(&env).join(".gemini"),
        _ => home_dir().join(".gemini"),
    }
}

/// The folder of every project's data.
pub fn tmp_dir(home: &Path) -> PathBuf {
    home.join("tmp")
}

/// The second folder the client marks each project's slug in.
pub fn history_dir(home: &Path) -> PathBuf {
    home.join("history")
}

pub fn registry(home: &Path) -> PathBuf {
    home.join("projects.json")
}

/// The file naming the project a slug folder belongs to.
pub const PROJECT_ROOT_MARKER: &str = ".project_root";

pub fn chats_dir(project_dir: &Path) -> PathBuf {
    project_dir.join("chats")
}

/// What every session file's name starts with.
pub const SESSION_PREFIX: &str = "session-";

/// The sha256 of a project path: the session's `projectHash`, and the name of a project's folder
/// before slugs replaced hashes.
pub fn project_hash(project: &str) -> String {
    Sha256::digest(project.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
