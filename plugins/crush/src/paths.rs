//! Where Crush keeps things. Sessions live in one database per project, `<data dir>/crush.db`,
//! the data directory being `<project>/.crush` unless configured (`internal/config/load.go`,
//! `setDefaults`). The global data directory holds the machine-written `crush.json` and
//! `projects.json`, the list of every project Crush has run in with its data directory
//! (`internal/projects/projects.go`; `crush projects` and `crush stats --all` read it).

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use serde_json::Value;
use std::path::{Component, Path, PathBuf};

/// The database in a data directory (`internal/db/connect.go`).
pub const DB_FILE: &str = "crush.db";

/// A project's data directory when none is configured (`defaultDataDirectory`).
pub const DATA_DIR_NAME: &str = ".crush";

/// Crush's global data directory, which handoff calls its home.
#[derive(Debug, Clone)]
pub struct Home {
    pub dir: PathBuf,
    /// Configured for handoff: only this directory is read, not the user's other config
    /// locations.
    pub explicit: bool,
}

impl Home {
    /// The configured home, else `$CRUSH_GLOBAL_DATA`, else `$XDG_DATA_HOME/crush`, else
    /// `~/.local/share/crush` (`GlobalConfigData`).
    pub fn of(configured: Option<&str>) -> Home {
        if let Some(home) = configured.filter(|h| !h.is_empty()) {
            return Home {
                dir: expand_tilde(home),
                explicit: true,
            };
        }
        let dir = match env("CRUSH_GLOBAL_DATA") {
            Some(dir) => PathBuf::from(dir),
            None => match env("XDG_DATA_HOME") {
                Some(data) => PathBuf::from(data).join("crush"),
                None => home_dir().join(".local/share/crush"),
            },
        };
        Home {
            dir,
            explicit: false,
        }
    }

    pub fn projects_file(&self) -> PathBuf {
        self.dir.join("projects.json")
    }

    /// The JSON configs outside any project, lowest priority first: the system's, the user's
    /// (`$CRUSH_GLOBAL_CONFIG`, else `$XDG_CONFIG_HOME/crush`, else `~/.config/crush`), then the
    /// one Crush writes itself in the global data directory.
    pub fn global_configs(&self) -> Vec<PathBuf> {
        let data = self.dir.join("crush.json");
        if self.explicit {
            return vec![data];
        }
        let user = match env("CRUSH_GLOBAL_CONFIG") {
            Some(dir) => PathBuf::from(dir),
            None => match env("XDG_CONFIG_HOME") {
                Some(config) => PathBuf::from(config).join("crush"),
                None => home_dir().join(".config/crush"),
            },
        };
        vec![
            PathBuf::from("/etc/crush/crush.json"),
            user.join("crush.json"),
            data,
        ]
    }
}

/// A set, non-empty environment variable (Crush ignores empty ones).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where Crush's upward lookups from `cwd` stop: the root of the git work tree holding it, else
/// `cwd` itself (`projectBoundary`), so state above the project is never adopted.
pub fn project_boundary(cwd: &Path) -> PathBuf {
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(cwd)
        .to_path_buf()
}

/// The directories from `boundary` down to `cwd`, outermost first (just `cwd` when `boundary`
/// does not hold it).
pub fn dirs_down_to(cwd: &Path, boundary: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in cwd.ancestors() {
        dirs.push(dir.to_path_buf());
        if dir == boundary {
            break;
        }
    }
    if dirs.last().map(PathBuf::as_path) != Some(boundary) {
        dirs.truncate(1);
    }
    dirs.reverse();
    dirs
}

/// The data directory Crush uses in `cwd` when none is configured: the nearest `.crush` from
/// `cwd` up to the project's boundary, but never the one in the user's home, else `cwd/.crush`
/// (`fsext.LookupClosestBounded`).
pub fn default_data_dir(cwd: &Path, boundary: &Path) -> PathBuf {
    let home = home_dir();
    for dir in dirs_down_to(cwd, boundary).into_iter().rev() {
        let candidate = dir.join(DATA_DIR_NAME);
        if candidate.exists() {
            if dir == home {
                break;
            }
            return candidate;
        }
    }
    cwd.join(DATA_DIR_NAME)
}

/// A configured data directory: relative ones are under `cwd`; cleaned as Go's `filepath.Clean`.
pub fn configured_data_dir(cwd: &Path, configured: &str) -> PathBuf {
    clean(&cwd.join(configured))
}

/// `path` with `.` and `..` resolved lexically.
fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The directory a data directory belongs to, as rows and transcripts name it: the parent of a
/// `.crush` folder, else `fallback` (the directory Crush was started in).
pub fn owner_dir(data_dir: &Path, fallback: &Path) -> PathBuf {
    match (data_dir.file_name(), data_dir.parent()) {
        (Some(name), Some(parent)) if name == DATA_DIR_NAME => parent.to_path_buf(),
        _ => fallback.to_path_buf(),
    }
}

/// A project Crush has run in (`projects.json`), most recently used first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownProject {
    pub path: PathBuf,
    pub data_dir: PathBuf,
}

impl KnownProject {
    pub fn db(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }
}

/// The projects `projects.json` lists (none when it is missing or unreadable; an entry without a
/// path and a data directory is left out).
pub fn known_projects(home: &Home) -> Vec<KnownProject> {
    let Ok(bytes) = std::fs::read(home.projects_file()) else {
        return Vec::new();
    };
    let Ok(list) = serde_json::from_slice::<Value>(&bytes) else {
        return Vec::new();
    };
    let entries = list.get("projects").and_then(Value::as_array);
    entries
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let field = |key: &str| {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            };
            Some(KnownProject {
                path: field("path")?,
                data_dir: field("data_dir")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_directory_is_the_nearest_crush_folder_inside_the_repository() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().canonicalize().unwrap();
        let repo = root.join("repo");
        let deep = repo.join("src/module");
        std::fs::create_dir_all(&deep).unwrap();
        // Outside the repository: not adopted.
        std::fs::create_dir(root.join(DATA_DIR_NAME)).unwrap();
        assert_eq!(project_boundary(&deep), deep);
        assert_eq!(default_data_dir(&deep, &deep), deep.join(".crush"));
        std::fs::create_dir(repo.join(".git")).unwrap();
        assert_eq!(project_boundary(&deep), repo);
        assert_eq!(default_data_dir(&deep, &repo), deep.join(".crush"));
        std::fs::create_dir(repo.join(DATA_DIR_NAME)).unwrap();
        assert_eq!(default_data_dir(&deep, &repo), repo.join(".crush"));
        assert_eq!(owner_dir(&repo.join(".crush"), &deep), repo);
        assert_eq!(owner_dir(&root.join("elsewhere"), &deep), deep);
        assert_eq!(
            configured_data_dir(&deep, "../../state/./x"),
            repo.join("state/x")
        );
        assert_eq!(
            configured_data_dir(&deep, "/abs/dir"),
            Path::new("/abs/dir")
        );
    }

    #[test]
    fn known_projects_skip_what_they_cannot_use() {
        let temp = tempfile::tempdir().unwrap();
        let home = Home::of(Some(temp.path().to_str().unwrap()));
        assert!(known_projects(&home).is_empty());
        std::fs::write(
            home.projects_file(),
            r#"{"projects":[{"path":"/a","data_dir":"/a/.crush","last_accessed":"2026-01-01T00:00:00Z"},
                {"path":7,"data_dir":"/b/.crush"},{"path":"/c"}]}"#,
        )
        .unwrap();
        assert_eq!(
            known_projects(&home),
            [KnownProject {
                path: PathBuf::from("/a"),
                data_dir: PathBuf::from("/a/.crush")
            }]
        );
        std::fs::write(home.projects_file(), "not json").unwrap();
        assert!(known_projects(&home).is_empty());
    }
}
