//! Where Qwen Code keeps things: its config home (`$QWEN_HOME`, else `~/.qwen`), and the runtime
//! folder its sessions live in (`$QWEN_RUNTIME_DIR`, else the settings' `advanced.runtimeOutputDir`,
//! else the config home), one folder per project under `projects/`, named by the project's path.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Qwen Code's config home: `$QWEN_HOME`, else `~/.qwen`.
pub fn config_home() -> PathBuf {
    match std::env::var("QWEN_HOME") {
        Ok(env) if !env.is_empty() => expand_tilde(&env),
        _ => home_dir().join(".qwen"),
    }
}

/// The folder sessions live under: the configured one, else the client's own choice.
pub fn home(configured: Option<&str>) -> PathBuf {
    if let Some(home) = configured.filter(|h| !h.is_empty()) {
        return expand_tilde(home);
    }
    if let Ok(env) = std::env::var("QWEN_RUNTIME_DIR")
        && !env.is_empty()
    {
        return expand_tilde(&env);
    }
    let config = config_home();
    settings(&config)
        .and_then(|settings| {
            let dir = settings
                .pointer("/advanced/runtimeOutputDir")?
                .as_str()?
                .to_owned();
            Some(expand_tilde(&dir)).filter(|dir| dir.is_absolute())
        })
        .unwrap_or(config)
}

/// The user's `settings.json` in the config home.
pub fn settings(config_home: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(config_home.join("settings.json")).ok()?).ok()
}

pub fn projects_dir(home: &Path) -> PathBuf {
    home.join("projects")
}

/// A project's folder name: its path with every character but ASCII letters and digits as `-`.
pub fn project_key(cwd: &str) -> String {
    cwd.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

pub fn chats_dir(home: &Path, cwd: &str) -> PathBuf {
    projects_dir(home).join(project_key(cwd)).join("chats")
}

/// A session file name as the client lists them: `<id>.jsonl`, the id of hex digits and dashes.
pub fn is_session_file(name: &str) -> bool {
    name.strip_suffix(".jsonl").is_some_and(|id| {
        (32..=36).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_keys_and_session_names_follow_the_client() {
        assert_eq!(
            project_key("/tmp/handoff-conf-qXYn46/work/project"),
            "-tmp-handoff-conf-qXYn46-work-project"
        );
        assert_eq!(project_key("/a b/ü"), "-a-b--");
        assert!(is_session_file(
            "d0deb225-7c8e-4703-869c-d3be4c91a566.jsonl"
        ));
        assert!(!is_session_file("d0deb225.jsonl"));
        assert!(!is_session_file("notes-7c8e-4703-869c-d3be4c91a566.jsonl"));
    }
}
