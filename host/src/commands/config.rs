//! `handoff config [--edit]`: show or edit `~/.handoff/config.toml`.

use anyhow::{Context as _, Result, bail};

use crate::config::{Config, config_path};
use crate::output;
use crate::ui::Ui;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Open the file in $VISUAL or $EDITOR, then check it.
    #[arg(long)]
    pub edit: bool,
}

pub fn run(args: Args, ui: &Ui) -> Result<()> {
    // Creates the file with its defaults on first use, and validates it.
    Config::load_or_create()?;
    let path = config_path();
    if args.edit {
        let editor = ["VISUAL", "EDITOR"]
            .iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| String::from("vi"));
        // The editor value may carry flags (`code --wait`): run it through the shell.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status()
            .with_context(|| format!("cannot start editor `{editor}`"))?;
        if !status.success() {
            bail!("editor `{editor}` exited with {status}");
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Config::parse(&text, &path)?;
        ui.step(&format!("{} is valid", path.display()));
        return Ok(());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    ui.line(&format!("# {}", path.display()));
    output::print(&text)
}
