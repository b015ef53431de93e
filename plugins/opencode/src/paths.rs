//! Where OpenCode keeps its data, config and state, following its own environment variables.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use std::path::{Path, PathBuf};

/// The file names OpenCode uses inside its data home.
pub const DB_FILE: &str = "opencode.db";
pub const STORAGE_DIR: &str = "storage";

/// The data home: the configured one, else `$XDG_DATA_HOME/opencode`, else
/// `~/.local/share/opencode`.
pub fn data_home(configured: Option<&str>) -> PathBuf {
    match configured {
        Some(home) if !home.is_empty() => expand_tilde(home),
        _ => xdg_dir("XDG_DATA_HOME", ".local/share").join("opencode"),
    }
}

/// The database: `OPENCODE_DB` (absolute, or relative to the data home) unless the user configured
/// a home for handoff explicitly, else `<data home>/opencode.db`.
pub fn db_path(configured: Option<&str>) -> PathBuf {
    let home = data_home(configured);
    let explicit_home = configured.is_some_and(|h| !h.is_empty());
    match std::env::var_os("OPENCODE_DB") {
        Some(db) if !explicit_home && !db.is_empty() => {
            let db = expand_tilde(&db.to_string_lossy());
            if db.is_absolute() { db } else { home.join(db) }
        }
        _ => home.join(DB_FILE),
    }
}

/// The legacy JSON tree of OpenCode ≤ 1.1.
pub fn storage_dir(home: &Path) -> PathBuf {
    home.join(STORAGE_DIR)
}

/// `$XDG_CONFIG_HOME/opencode`, else `~/.config/opencode`.
pub fn config_dir() -> PathBuf {
    xdg_dir("XDG_CONFIG_HOME", ".config").join("opencode")
}

/// `$XDG_STATE_HOME/opencode`, else `~/.local/state/opencode`.
pub fn state_dir() -> PathBuf {
    xdg_dir("XDG_STATE_HOME", ".local/state").join("opencode")
}

fn xdg_dir(var: &str, fallback: &str) -> PathBuf {
    match std::env::var_os(var) {
        // The XDG spec ignores relative values.
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        _ => home_dir().join(fallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_home_wins_over_the_environment() {
        assert_eq!(data_home(Some("/x/oc")), PathBuf::from("/x/oc"));
        assert_eq!(db_path(Some("/x/oc")), PathBuf::from("/x/oc/opencode.db"));
        assert_eq!(
            storage_dir(Path::new("/x/oc")),
            PathBuf::from("/x/oc/storage")
        );
    }
}
