//! Where OpenCode (or a fork, see [`App`]) keeps its data, config and state, following its own
//! environment variables.

use crate::app::App;
use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use std::path::{Path, PathBuf};

/// The legacy JSON tree's folder inside the data home.
pub const STORAGE_DIR: &str = "storage";

/// The data home: the configured one, else `$XDG_DATA_HOME/<app>`, else `~/.local/share/<app>`.
pub fn data_home(app: &App, configured: Option<&str>) -> PathBuf {
    match configured {
        Some(home) if !home.is_empty() => expand_tilde(home),
        _ => xdg_dir("XDG_DATA_HOME", ".local/share").join(app.dir),
    }
}

/// The database: `<PREFIX>_DB` (absolute, or relative to the data home) unless the user
/// configured a home for handoff explicitly, else `<data home>/<app>.db`.
pub fn db_path(app: &App, configured: Option<&str>) -> PathBuf {
    let home = data_home(app, configured);
    let explicit_home = configured.is_some_and(|h| !h.is_empty());
    match app.env("DB") {
        Some(db) if !explicit_home => {
            let db = expand_tilde(&db.to_string_lossy());
            if db.is_absolute() { db } else { home.join(db) }
        }
        _ => home.join(app.db_file),
    }
}

/// The legacy JSON tree of OpenCode ≤ 1.1.
pub fn storage_dir(home: &Path) -> PathBuf {
    home.join(STORAGE_DIR)
}

/// `$XDG_CONFIG_HOME/<app>`, else `~/.config/<app>`.
pub fn config_dir(app: &App) -> PathBuf {
    xdg_dir("XDG_CONFIG_HOME", ".config").join(app.dir)
}

/// `$XDG_STATE_HOME/<app>`, else `~/.local/state/<app>`.
pub fn state_dir(app: &App) -> PathBuf {
    xdg_dir("XDG_STATE_HOME", ".local/state").join(app.dir)
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
        use crate::app::{KILO, OPENCODE};
        assert_eq!(data_home(&OPENCODE, Some("/x/oc")), PathBuf::from("/x/oc"));
        assert_eq!(
            db_path(&OPENCODE, Some("/x/oc")),
            PathBuf::from("/x/oc/opencode.db")
        );
        assert_eq!(db_path(&KILO, Some("/x/k")), PathBuf::from("/x/k/kilo.db"));
        assert_eq!(
            storage_dir(Path::new("/x/oc")),
            PathBuf::from("/x/oc/storage")
        );
    }
}
