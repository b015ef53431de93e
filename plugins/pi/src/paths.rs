//! Where pi keeps things: its agent folder (`$PI_CODING_AGENT_DIR`, else `~/.pi/agent`), and the
//! sessions in `sessions/--<cwd>--/<time>_<id>.jsonl`, unless the user moved them all into one
//! folder (`$PI_CODING_AGENT_SESSION_DIR`, else `sessionDir` in the settings).

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// pi's agent folder: the configured one, else `$PI_CODING_AGENT_DIR`, else `~/.pi/agent`.
pub fn agent_dir(configured: Option<&str>) -> PathBuf {
    if let Some(home) = configured.filter(|h| !h.is_empty()) {
        return expand_tilde(home);
    }
    match std::env::var("PI_CODING_AGENT_DIR") {
        Ok(env) if !env.is_empty() => expand_tilde(&env),
        _ => home_dir().join(".pi/agent"),
    }
}

/// The user's `settings.json` in the agent folder.
pub fn settings(agent_dir: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(agent_dir.join("settings.json")).ok()?).ok()
}

/// How the sessions are laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `<root>/--<cwd>--/`, one folder per project.
    Projects(PathBuf),
    /// One folder for every project's sessions.
    Flat(PathBuf),
}

impl Layout {
    /// The layout pi uses with this agent folder. With a home handoff was told of, only that.
    pub fn of(agent_dir: &Path, configured: bool) -> Layout {
        if !configured {
            if let Ok(dir) = std::env::var("PI_CODING_AGENT_SESSION_DIR")
                && !dir.is_empty()
            {
                return Layout::Flat(expand_tilde(&dir));
            }
            if let Some(dir) = settings(agent_dir)
                .and_then(|s| s.get("sessionDir")?.as_str().map(str::to_owned))
                .filter(|d| !d.is_empty())
            {
                return Layout::Flat(expand_tilde(&dir));
            }
        }
        Layout::Projects(agent_dir.join("sessions"))
    }

    /// The folder a project's sessions are written to.
    pub fn dir_for(&self, cwd: &str) -> PathBuf {
        match self {
            Layout::Projects(root) => root.join(project_folder(cwd)),
            Layout::Flat(dir) => dir.clone(),
        }
    }

    /// Every folder sessions may be in.
    pub fn all_dirs(&self) -> Vec<PathBuf> {
        match self {
            Layout::Projects(root) => std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.is_dir())
                .collect(),
            Layout::Flat(dir) => vec![dir.clone()],
        }
    }

    /// Where the sessions are, for messages.
    pub fn root(&self) -> &Path {
        match self {
            Layout::Projects(root) | Layout::Flat(root) => root,
        }
    }
}

/// A project's folder name: `--` + its path without the leading separator, with `/`, `\` and `:`
/// as `-`, + `--`.
pub fn project_folder(cwd: &str) -> String {
    let trimmed = cwd
        .strip_prefix('/')
        .or_else(|| cwd.strip_prefix('\\'))
        .unwrap_or(cwd);
    let inner: String = trimmed
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':') {
                '-'
            } else {
                c
            }
        })
        .collect();
    format!("--{inner}--")
}

/// A session file name: the start time (`:` and `.` as `-`), `_`, the id.
pub fn file_name(timestamp: &str, id: &str) -> String {
    format!("{}_{id}.jsonl", timestamp.replace([':', '.'], "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_client() {
        assert_eq!(project_folder("/tmp/pi-proj"), "--tmp-pi-proj--");
        assert_eq!(project_folder("/tmp/pi proj.x:y"), "--tmp-pi proj.x-y--");
        assert_eq!(
            file_name(
                "2026-12-04T18:02:55.288Z",
                "01a24239-35b7-7260-8a08-36af243aea23"
            ),
            "2026-12-04T18-02-55-288Z_01a24239-35b7-7260-8a08-36af243aea23.jsonl"
        );
    }
}
