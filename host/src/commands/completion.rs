//! `handoff completion <shell> [--install]`: shell completion scripts (clap_complete).

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::output;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Print the one-liner that installs the script for that shell instead.
    #[arg(long)]
    pub install: bool,
}

pub fn run(args: Args) -> Result<()> {
    if args.install {
        return output::println(install_line(args.shell));
    }
    let mut command = Cli::command();
    // clap_complete panics when its writer fails: it writes to memory, stdout gets the bytes.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "handoff", &mut script);
    output::write(|out| out.write_all(&script))
}

fn install_line(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => {
            "mkdir -p ~/.local/share/bash-completion/completions && handoff completion bash > ~/.local/share/bash-completion/completions/handoff"
        }
        Shell::Zsh => {
            "mkdir -p ~/.zfunc && handoff completion zsh > ~/.zfunc/_handoff && echo 'fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit' >> ~/.zshrc"
        }
        Shell::Fish => {
            "mkdir -p ~/.config/fish/completions && handoff completion fish > ~/.config/fish/completions/handoff.fish"
        }
        Shell::Elvish => {
            "mkdir -p ~/.config/elvish/lib && handoff completion elvish > ~/.config/elvish/lib/handoff.elv && echo 'use handoff' >> ~/.config/elvish/rc.elv"
        }
        Shell::PowerShell => {
            "handoff completion powershell | Out-String | Add-Content -Path $PROFILE"
        }
        _ => "handoff completion <shell> > <your shell's completion directory>",
    }
}
