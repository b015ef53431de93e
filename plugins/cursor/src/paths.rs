//! Where Cursor keeps its state: the editor's configuration folder `<config>/Cursor` (the
//! adapter's home), and in it `User/globalStorage/state.vscdb` (every chat) and
//! `User/workspaceStorage/<hash>/` (one folder per opened workspace).

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use std::path::{Path, PathBuf};

/// The per-user configuration folder Electron apps such as Cursor use on this OS.
fn config_dir() -> PathBuf {
    if cfg!(target_os = "macos") {
        return home_dir().join("Library/Application Support");
    }
    if cfg!(windows) {
        return std::env::var_os("APPDATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| home_dir().join("AppData/Roaming"));
    }
    // XDG: a relative value is invalid and ignored.
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home_dir().join(".config"))
}

/// The home a request means: its own, else `<config>/Cursor`.
pub fn home(requested: Option<&str>) -> PathBuf {
    match requested.filter(|h| !h.is_empty()) {
        Some(home) => expand_tilde(home),
        None => config_dir().join("Cursor"),
    }
}

/// The database that holds every chat's header and messages.
pub fn global_db(home: &Path) -> PathBuf {
    home.join("User/globalStorage/state.vscdb")
}

/// The folder of per-workspace state beside a global database
/// (`<home>/User/globalStorage/state.vscdb` → `<home>/User/workspaceStorage`).
pub fn workspace_storage_of(db: &Path) -> Option<PathBuf> {
    Some(db.parent()?.parent()?.join("workspaceStorage"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspaces_lie_beside_the_global_database() {
        let home = home(Some("/h/Cursor"));
        let db = global_db(&home);
        assert_eq!(db, Path::new("/h/Cursor/User/globalStorage/state.vscdb"));
        assert_eq!(
            workspace_storage_of(&db).as_deref(),
            Some(Path::new("/h/Cursor/User/workspaceStorage"))
        );
    }
}
