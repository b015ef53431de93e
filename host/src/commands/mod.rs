//! One module per command, each with its `Args` and its `run`.

pub mod agents;
pub mod completion;
pub mod config;
pub mod doctor;
pub mod history;
pub mod list;
pub mod picker;
pub mod search;
pub mod show;
pub mod status;
pub mod transfer;
pub mod undo;

use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::Config;
use crate::registry::Registry;
use crate::ui::Ui;

/// What every command that talks to agents needs.
pub struct Context {
    pub config: Config,
    pub registry: Registry,
    pub ui: Ui,
}

impl Context {
    pub fn new(ui: Ui) -> Result<Self> {
        let config = Config::load_or_create()?;
        let registry = Registry::new(
            config.plugins_dir(),
            Duration::from_secs(config.plugin_timeout_secs),
        )?;
        Ok(Self {
            config,
            registry,
            ui,
        })
    }

    /// Loads the plugin directory and reports what was passed over (detail with `-v`).
    pub fn load_plugins(&mut self) {
        self.registry.load_plugins();
        for skipped in std::mem::take(&mut self.registry.skipped) {
            let reason = if self.ui.verbose {
                skipped.reason.clone()
            } else {
                crate::ui::one_line(&skipped.reason, 160)
            };
            self.ui.warn(&format!(
                "skipped plugin {}: {reason}",
                skipped.path.display()
            ));
        }
    }

    /// Resolves an agent by name, reporting plugin problems if the plugin dir had to be read.
    pub fn agent(&mut self, name: &str) -> Result<&crate::registry::Agent> {
        if !self.registry.names().contains(&name) {
            self.load_plugins();
        }
        self.registry.get(name)
    }
}

/// The project directory: `--cwd` or the current directory, as a physical path (the agents key
/// their stores by the path with symlinks resolved).
pub fn project_dir(cwd: Option<&Path>) -> Result<String> {
    let dir: PathBuf = match cwd {
        Some(dir) => dir.to_path_buf(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let physical = std::fs::canonicalize(&dir)
        .with_context(|| format!("{}: no such directory", dir.display()))?;
    Ok(physical.to_string_lossy().into_owned())
}
