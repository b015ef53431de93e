//! What Crush's configuration says about a project: its data directory
//! (`options.data_directory`) and the model new turns use (`models.large {model, provider}`).
//!
//! Crush merges its JSON configs deeply, later ones winning (`internal/config/load.go`,
//! `lookupConfigs`): the global ones ([`Home::global_configs`]), then in every directory from
//! the project's boundary down to the working directory `crush.json` then `.crush.json`, and
//! last the workspace's `<data dir>/crush.json`, which cannot move the data directory. Shell
//! configs (`crushrc`) are scripts and are not run here; a file that is not JSON is passed over.

use crate::paths::{self, Home};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The model Crush's large (main) agent uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub provider: String,
    pub model: String,
}

/// Where a project keeps its sessions, and with which model Crush answers in it.
#[derive(Debug, Clone)]
pub struct Project {
    pub data_dir: PathBuf,
    pub model: Option<Model>,
}

impl Project {
    pub fn db(&self) -> PathBuf {
        self.data_dir.join(paths::DB_FILE)
    }
}

#[derive(Default)]
struct Merged {
    data_directory: Option<String>,
    model: Option<String>,
    provider: Option<String>,
}

impl Merged {
    fn read(&mut self, path: &Path) {
        let Some(config) = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        else {
            return;
        };
        let text = |pointer: &str| {
            config
                .pointer(pointer)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if let Some(dir) = text("/options/data_directory") {
            self.data_directory = Some(dir);
        }
        if let Some(model) = text("/models/large/model") {
            self.model = Some(model);
        }
        if let Some(provider) = text("/models/large/provider") {
            self.provider = Some(provider);
        }
    }
}

/// The project Crush works in when started in `cwd` (a physical path).
pub fn project(home: &Home, cwd: &Path) -> Project {
    let mut merged = Merged::default();
    for path in home.global_configs() {
        merged.read(&path);
    }
    let boundary = paths::project_boundary(cwd);
    for dir in paths::dirs_down_to(cwd, &boundary) {
        merged.read(&dir.join("crush.json"));
        merged.read(&dir.join(".crush.json"));
    }
    let data_dir = match &merged.data_directory {
        Some(dir) => paths::configured_data_dir(cwd, dir),
        None => paths::default_data_dir(cwd, &boundary),
    };
    merged.read(&data_dir.join("crush.json"));
    let model = match (merged.provider, merged.model) {
        (Some(provider), Some(model)) => Some(Model { provider, model }),
        _ => None,
    };
    Project { data_dir, model }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearer_configs_win_and_the_workspace_one_last() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        let home_dir = root.join("home");
        let repo = root.join("repo");
        let cwd = repo.join("app");
        std::fs::create_dir_all(&home_dir).unwrap();
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(&cwd).unwrap();
        let home = Home::of(Some(home_dir.to_str().unwrap()));

        let project = project(&home, &cwd);
        assert_eq!(project.data_dir, cwd.join(".crush"));
        assert_eq!(project.model, None);

        std::fs::write(
            home_dir.join("crush.json"),
            r#"{"models":{"large":{"model":"m-global","provider":"p-global"}}}"#,
        )
        .unwrap();
        std::fs::write(
            repo.join("crush.json"),
            r#"{"options":{"data_directory":"state"},"models":{"large":{"model":"m-repo"}}}"#,
        )
        .unwrap();
        std::fs::write(repo.join(".crush.json"), "{not json").unwrap();
        let found = super::project(&home, &cwd);
        assert_eq!(found.data_dir, cwd.join("state"));
        assert_eq!(
            found.model,
            Some(Model {
                provider: "p-global".into(),
                model: "m-repo".into()
            })
        );

        std::fs::create_dir_all(cwd.join("state")).unwrap();
        std::fs::write(
            cwd.join("state/crush.json"),
            r#"{"options":{"data_directory":"elsewhere"},"models":{"large":{"model":"m-ws","provider":"p-ws"}}}"#,
        )
        .unwrap();
        let found = super::project(&home, &cwd);
        assert_eq!(found.data_dir, cwd.join("state"));
        assert_eq!(found.db(), cwd.join("state/crush.db"));
        assert_eq!(found.model.map(|m| m.model).as_deref(), Some("m-ws"));
    }
}
