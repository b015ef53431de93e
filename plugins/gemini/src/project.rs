//! The project registry: which folder under `tmp/` holds a project's sessions. Read the way the
//! client reads it (the `projects.json` entry when its folder's marker agrees, else the folder
//! whose `.project_root` marker names the project, else the older hash-named folder), and
//! extended the way the client extends it (a new slug from the folder's name, `-N` on a
//! collision, markers in both base folders, the registry rewritten whole under the client's lock).

use crate::paths::{self, PROJECT_ROOT_MARKER};
use handoff_adapter_kit::fs::create_private_dirs;
use handoff_plugin_api::AdapterError;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The registry's `projects` map, project path → slug (empty when missing or unreadable, as the
/// client treats it).
pub fn registered(home: &Path) -> HashMap<String, String> {
    std::fs::read(paths::registry(home))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|registry| match registry.get("projects") {
            Some(Value::Object(projects)) => Some(
                projects
                    .iter()
                    .filter_map(|(path, slug)| Some((path.clone(), slug.as_str()?.to_owned())))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

/// The project a slug folder's marker names.
pub fn marker_owner(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(PROJECT_ROOT_MARKER))
        .ok()
        .map(|owner| owner.trim().to_owned())
        .filter(|owner| !owner.is_empty())
}

/// The folders under `tmp/` that may hold sessions of `project`: its slug folder and its older
/// hash-named one, those that exist.
pub fn dirs_of(home: &Path, project: &str) -> Vec<PathBuf> {
    let tmp = paths::tmp_dir(home);
    let mut dirs = Vec::new();
    let owned = |dir: &Path| marker_owner(dir).is_none_or(|owner| owner == project);
    if let Some(slug) = registered(home).get(project) {
        let dir = tmp.join(slug);
        if owned(&dir) {
            dirs.push(dir);
        }
    }
    if dirs.is_empty()
        && let Ok(entries) = std::fs::read_dir(&tmp)
    {
        dirs.extend(
            entries
                .flatten()
                .map(|entry| entry.path())
                .find(|dir| marker_owner(dir).as_deref() == Some(project)),
        );
    }
    dirs.push(tmp.join(paths::project_hash(project)));
    dirs.retain(|dir| dir.is_dir());
    dirs
}

/// The project each folder under `tmp/` belongs to, by marker or registry.
pub fn owners(home: &Path) -> HashMap<String, String> {
    let mut owners: HashMap<String, String> = registered(home)
        .into_iter()
        .map(|(project, slug)| (slug, project))
        .collect();
    if let Ok(entries) = std::fs::read_dir(paths::tmp_dir(home)) {
        for entry in entries.flatten() {
            if let (Some(slug), Some(owner)) = (
                entry.file_name().to_str().map(str::to_owned),
                marker_owner(&entry.path()),
            ) {
                owners.insert(slug, owner);
            }
        }
    }
    owners
}

/// The project's slug folder under `tmp/`.
pub struct ProjectDir {
    pub dir: PathBuf,
    /// The ownership markers this call created (none when the project was registered).
    pub new_markers: Vec<PathBuf>,
}

/// The slug folder of `project` under `tmp/`, registering the project the way the client does
/// when it has none. An existing registry entry is never changed.
pub fn ensure_dir(home: &Path, project: &str) -> Result<ProjectDir, AdapterError> {
    let tmp = paths::tmp_dir(home);
    if let Some(dir) = registered_dir(home, project) {
        return Ok(ProjectDir {
            dir,
            new_markers: Vec::new(),
        });
    }
    let _lock = RegistryLock::take(&paths::registry(home))?;
    let mut registry = read_registry(home)?;
    let projects = registry
        .entry("projects")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(projects) = projects else {
        return Err(AdapterError::invalid(format!(
            "{}: `projects` is not an object; refusing to change it",
            paths::registry(home).display()
        )));
    };
    let slug = match projects.get(project).and_then(Value::as_str) {
        Some(slug) if owned_or_free(home, slug, project) => slug.to_owned(),
        _ => {
            let taken: Vec<String> = projects
                .values()
                .filter_map(|slug| slug.as_str().map(str::to_owned))
                .collect();
            new_slug(home, project, &taken)
        }
    };
    let mut new_markers = Vec::new();
    for base in [tmp.clone(), paths::history_dir(home)] {
        let dir = base.join(&slug);
        create_private_dirs(&dir)?;
        let marker = dir.join(PROJECT_ROOT_MARKER);
        if !marker.exists() {
            handoff_adapter_kit::fs::write_new_file(home, &marker, project.as_bytes())?;
            new_markers.push(marker);
        }
    }
    if projects.get(project).and_then(Value::as_str) != Some(slug.as_str()) {
        projects.insert(project.to_owned(), Value::String(slug.clone()));
        write_registry(home, &Value::Object(registry))?;
    }
    Ok(ProjectDir {
        dir: tmp.join(slug),
        new_markers,
    })
}

/// The slug folder the registry and its marker give `project`, if it is registered.
pub fn registered_dir(home: &Path, project: &str) -> Option<PathBuf> {
    dirs_of(home, project)
        .into_iter()
        .find(|dir| marker_owner(dir).as_deref() == Some(project))
}

/// True when no marker of `slug` names another project.
fn owned_or_free(home: &Path, slug: &str, project: &str) -> bool {
    [paths::tmp_dir(home), paths::history_dir(home)]
        .iter()
        .all(|base| marker_owner(&base.join(slug)).is_none_or(|owner| owner == project))
}

/// The client's slug for a project new to the registry: its folder name in lowercase letters,
/// digits and dashes, `-1`, `-2`, … while taken.
fn new_slug(home: &Path, project: &str, taken: &[String]) -> String {
    let name = Path::new(project)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base = String::new();
    for c in name.to_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (base.is_empty() || base.ends_with('-'))) {
            base.push(c);
        }
    }
    let base = match base.trim_end_matches('-') {
        "" => "project".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    (0..)
        .map(|n| {
            if n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|slug| !taken.contains(slug) && owned_or_free(home, slug, project))
        .unwrap_or(base)
}

fn read_registry(home: &Path) -> Result<Map<String, Value>, AdapterError> {
    let path = paths::registry(home);
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(registry)) => Ok(registry),
            // The client resets a registry it cannot read; a writer that is not the client
            // leaves it for the user to look at instead.
            _ => Err(AdapterError::invalid(format!(
                "{}: not a project registry; refusing to change it",
                path.display()
            ))),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(error) => Err(AdapterError::io(path.display(), error)),
    }
}

/// Replaces the registry atomically (temp file + rename), keeping its mode when it has one.
fn write_registry(home: &Path, registry: &Value) -> Result<(), AdapterError> {
    let path = paths::registry(home);
    let text = serde_json::to_string_pretty(registry)
        .map_err(|error| AdapterError::invalid(format!("{}: {error}", path.display())))?;
    let temp = path.with_file_name(format!("projects.json.{}.tmp", uuid::Uuid::new_v4()));
    handoff_adapter_kit::fs::write_new_file(home, &temp, text.as_bytes())?;
    std::fs::rename(&temp, &path).map_err(|error| {
        let _ = std::fs::remove_file(&temp);
        AdapterError::io(path.display(), error)
    })
}

/// The client's lock on the registry (a `projects.json.lock` folder, as its lockfile library
/// makes), held while the registry is read and rewritten.
struct RegistryLock(PathBuf);

impl RegistryLock {
    /// How long a lock older than this is taken as left behind by a dead process.
    const STALE: Duration = Duration::from_secs(10);
    const WAIT: Duration = Duration::from_secs(10);

    fn take(registry: &Path) -> Result<RegistryLock, AdapterError> {
        let lock = registry.with_file_name("projects.json.lock");
        if let Some(parent) = lock.parent() {
            create_private_dirs(parent)?;
        }
        let started = Instant::now();
        loop {
            match std::fs::create_dir(&lock) {
                Ok(()) => return Ok(RegistryLock(lock)),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(&lock)
                        .and_then(|meta| meta.modified())
                        .ok()
                        .and_then(|modified| modified.elapsed().ok())
                        .is_some_and(|age| age > Self::STALE);
                    if stale {
                        let _ = std::fs::remove_dir(&lock);
                    } else if started.elapsed() > Self::WAIT {
                        return Err(AdapterError::io(
                            lock.display(),
                            std::io::Error::new(
                                std::io::ErrorKind::WouldBlock,
                                "held by a running Gemini CLI",
                            ),
                        ));
                    } else {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                Err(error) => return Err(AdapterError::io(lock.display(), error)),
            }
        }
    }
}

impl Drop for RegistryLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_the_folder_name_and_count_up_on_a_collision() {
        let home = tempfile::tempdir().unwrap();
        let home = home.path();
        assert_eq!(new_slug(home, "/w/My Project!", &[]), "my-project");
        assert_eq!(new_slug(home, "/w/--", &[]), "project");
        assert_eq!(
            new_slug(home, "/a/app", &["app".into(), "app-1".into()]),
            "app-2"
        );
    }

    #[test]
    fn registering_keeps_other_entries_and_reuses_its_own() {
        let home = tempfile::tempdir().unwrap();
        let home = home.path();
        std::fs::write(
            paths::registry(home),
            r#"{"projects":{"/other/app":"app"},"extra":1}"#,
        )
        .unwrap();
        let made = ensure_dir(home, "/mine/app").unwrap();
        let dir = made.dir;
        assert_eq!(dir, paths::tmp_dir(home).join("app-1"));
        assert_eq!(made.new_markers.len(), 2);
        assert_eq!(marker_owner(&dir).as_deref(), Some("/mine/app"));
        assert_eq!(
            marker_owner(&paths::history_dir(home).join("app-1")).as_deref(),
            Some("/mine/app")
        );
        let registry: Value =
            serde_json::from_slice(&std::fs::read(paths::registry(home)).unwrap()).unwrap();
        assert_eq!(registry["projects"]["/other/app"], "app");
        assert_eq!(registry["projects"]["/mine/app"], "app-1");
        assert_eq!(registry["extra"], 1);
        let again = ensure_dir(home, "/mine/app").unwrap();
        assert_eq!(again.dir, dir);
        assert!(again.new_markers.is_empty());
        assert!(!home.join("projects.json.lock").exists());
        assert_eq!(dirs_of(home, "/mine/app"), vec![dir]);
    }

    #[test]
    fn an_unreadable_registry_is_left_alone() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(paths::registry(home.path()), "{not json").unwrap();
        assert!(ensure_dir(home.path(), "/p").is_err());
        assert_eq!(
            std::fs::read_to_string(paths::registry(home.path())).unwrap(),
            "{not json"
        );
    }
}
