//! Where a project's history file is.
//!
//! Aider defaults `--chat-history-file` to `<git root>/.aider.chat.history.md`, or
//! `./.aider.chat.history.md` outside a repository (aider/args.py), and reads every option from an
//! `AIDER_`-prefixed environment variable as well. This follows the same order, after the
//! host's `home` (a directory holding the history file) which always wins.

use handoff_plugin_api::AdapterError;
use std::path::{Path, PathBuf};

pub const HISTORY_FILE: &str = ".aider.chat.history.md";
const HISTORY_ENV: &str = "AIDER_CHAT_HISTORY_FILE";

pub struct Location {
    /// The project the sessions belong to.
    pub project: PathBuf,
    /// The history file.
    pub file: PathBuf,
    /// Whether plain `aider` in `project` reads `file` (else the resume command names it).
    pub is_default: bool,
}

impl Location {
    pub fn find(home: Option<&str>, cwd: Option<&str>) -> Result<Self, AdapterError> {
        let cwd = match cwd {
            Some(cwd) => PathBuf::from(cwd),
            None => {
                std::env::current_dir().map_err(|e| AdapterError::io("current directory", e))?
            }
        };
        if let Some(home) = home.filter(|h| !h.is_empty() && *h != ".") {
            let home = PathBuf::from(home);
            return Ok(Self {
                file: home.join(HISTORY_FILE),
                project: home,
                is_default: false,
            });
        }
        let project = git_root(&cwd).unwrap_or(cwd.clone());
        if let Some(file) = std::env::var_os(HISTORY_ENV).filter(|f| !f.is_empty()) {
            return Ok(Self {
                file: cwd.join(file),
                project,
                is_default: true,
            });
        }
        Ok(Self {
            file: project.join(HISTORY_FILE),
            project,
            is_default: true,
        })
    }

    /// The command that restores this file's conversation in aider, run from the project.
    pub fn resume_command(&self) -> String {
        if self.is_default {
            String::from("aider --restore-chat-history")
        } else {
            format!(
                "aider --restore-chat-history --chat-history-file {}",
                shell_quote(&self.file.to_string_lossy())
            )
        }
    }
}

/// The nearest directory at or above `dir` holding `.git` (a directory, or a worktree's file).
fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%~".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_wins_and_is_named_in_the_resume_command() {
        let location = Location::find(Some("/tmp/my proj"), Some("/elsewhere")).unwrap();
        assert_eq!(
            location.file,
            Path::new("/tmp/my proj/.aider.chat.history.md")
        );
        assert_eq!(
            location.resume_command(),
            "aider --restore-chat-history --chat-history-file '/tmp/my proj/.aider.chat.history.md'"
        );
    }

    #[test]
    fn the_git_root_holds_the_history_of_its_subdirectories() {
        let root = crate::testdir::TestDir::new();
        std::fs::create_dir_all(root.path().join(".git")).unwrap();
        std::fs::create_dir_all(root.path().join("src/deep")).unwrap();
        let cwd = root.path().join("src/deep");
        let location = Location::find(None, cwd.to_str()).unwrap();
        assert_eq!(location.project, root.path());
        assert_eq!(location.file, root.path().join(HISTORY_FILE));
        assert_eq!(location.resume_command(), "aider --restore-chat-history");
    }
}
