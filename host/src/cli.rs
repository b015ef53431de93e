//! The command line: clap structures and dispatch. Each command's arguments and logic live in
//! `commands/<name>.rs`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

use crate::commands::{self, Context};
use crate::ui::Ui;

/// Move a coding-agent conversation between Claude Code, Codex, OpenCode and plugin agents.
#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  handoff codex claude              latest Codex session of this project into Claude Code\n  handoff claude codex --dry-run    show what would be written\n  handoff codex claude --no-inject --format markdown > session.md\n  handoff list --all"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub transfer: commands::transfer::Args,

    /// Show more detail (plugin load problems, pipeline steps).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List sessions of the current project (or all with --all).
    List(commands::list::Args),
    /// The current project and the latest session of each agent.
    Status(commands::status::Args),
    /// Registered agents: built-ins and plugins.
    Agents(commands::agents::Args),
    /// Show the configuration, or open it in $VISUAL/$EDITOR.
    Config(commands::config::Args),
    /// Print a shell completion script.
    Completion(commands::completion::Args),
    /// Transfers made by handoff, newest first.
    History(commands::history::Args),
    /// Remove what a transfer wrote (the last one by default).
    Undo(commands::undo::Args),
}

/// Exit codes (documented in the README): 0 success, 1 error, 2 usage error.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help/version (exit 0) and usage errors (exit 2) itself.
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

fn one_line(error: &anyhow::Error) -> String {
    format!("{error:#}").replace('\n', " ")
}

fn run(cli: Cli) -> Result<()> {
    let quiet = match &cli.command {
        None => cli.transfer.json,
        Some(_) => false,
    };
    let ui = Ui::new(quiet, cli.verbose);
    match cli.command {
        Some(Command::Completion(args)) => return commands::completion::run(args),
        Some(Command::Config(args)) => return commands::config::run(args, &ui),
        _ => {}
    }
    let mut ctx = Context::new(ui)?;
    match cli.command {
        None => commands::transfer::run(cli.transfer, &mut ctx),
        Some(Command::List(args)) => commands::list::run(args, &mut ctx),
        Some(Command::Status(args)) => commands::status::run(args, &mut ctx),
        Some(Command::Agents(args)) => commands::agents::run(args, &mut ctx),
        Some(Command::History(args)) => commands::history::run(args, &mut ctx),
        Some(Command::Undo(args)) => commands::undo::run(args, &mut ctx),
        Some(Command::Completion(_) | Command::Config(_)) => Ok(()),
    }
}
