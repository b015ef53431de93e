//! The command line: clap structures and dispatch. Each command's arguments and logic live in
//! `commands/<name>.rs`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

use crate::commands::{self, Context};
use crate::error::{self, Kind};
use crate::ui::Ui;

const AFTER_HELP: &str = "\
Examples:
  handoff codex claude              latest Codex session of this project into Claude Code
  handoff claude codex --dry-run    show what would be written
  handoff codex claude --no-inject --format markdown > session.md
  handoff list --all
  handoff show                      the newest session of this project, any agent
  handoff show codex --format html > session.html
  handoff search 'migration failed' --all

Exit status:
  0  success (also when the reader of stdout closed it early, as `| head` does)
  1  error: a file could not be read or written, the written session did not verify
  2  usage: bad arguments, an unknown agent, an ambiguous id prefix
  3  nothing to hand off: no session for the project, none with that id, an empty one
  4  the source session is there but cannot be read as one
  5  the agent cannot do that: no writer, or a store newer than this handoff knows
  6  an adapter broke: it crashed, hung, answered garbage, or speaks another protocol";

/// Move a coding-agent conversation to another agent (Claude Code, Codex, OpenCode, Copilot CLI,
/// Gemini CLI, Qwen Code, pi, Kilo Code, Cline, Crush, or a plugin's agent) with its whole history.
#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = AFTER_HELP
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
    /// A session to read: in the terminal, as Markdown or HTML, or as JSON.
    Show(commands::show::Args),
    /// Sessions whose user, assistant or tool texts hold a text, newest first.
    Search(commands::search::Args),
    /// The current project and the latest session of each agent.
    Status(commands::status::Args),
    /// Registered agents: built-ins and plugins.
    Agents(commands::agents::Args),
    /// Why something does not work: config, agents and their clients, plugins, cache, history.
    Doctor(commands::doctor::Args),
    /// Show the configuration, or open it in $VISUAL/$EDITOR.
    Config(commands::config::Args),
    /// Print a shell completion script.
    Completion(commands::completion::Args),
    /// Transfers made by handoff, newest first.
    History(commands::history::Args),
    /// Remove what a transfer wrote (the last one by default).
    Undo(commands::undo::Args),
}

/// Exit codes: [`Kind::exit_code`], documented in the README and in `--help`.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // clap prints help/version (exit 0) and usage errors (exit 2) itself.
        Err(e) => e.exit(),
    };
    let ui = Ui::new(cli.quiet(), cli.verbose);
    match run(cli, ui) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let kind = error::kind_of(&e);
            if kind != Kind::ClosedOutput {
                Ui::new(false, false).error(&one_line(&e));
            }
            ExitCode::from(kind.exit_code())
        }
    }
}

fn one_line(error: &anyhow::Error) -> String {
    format!("{error:#}").replace('\n', " ")
}

impl Cli {
    /// Progress lines are silenced when stdout carries one JSON object for a script.
    fn quiet(&self) -> bool {
        self.command.is_none() && self.transfer.json
    }
}

fn run(cli: Cli, ui: Ui) -> Result<()> {
    match cli.command {
        Some(Command::Completion(args)) => return commands::completion::run(args),
        Some(Command::Config(args)) => return commands::config::run(args, &ui),
        // Before the context: a config that does not load is one of the things it reports.
        Some(Command::Doctor(args)) => return commands::doctor::run(args, &ui),
        _ => {}
    }
    let mut ctx = Context::new(ui)?;
    match cli.command {
        None => commands::transfer::run(cli.transfer, &mut ctx),
        Some(Command::List(args)) => commands::list::run(args, &mut ctx),
        Some(Command::Show(args)) => commands::show::run(args, &mut ctx),
        Some(Command::Search(args)) => commands::search::run(args, &mut ctx),
        Some(Command::Status(args)) => commands::status::run(args, &mut ctx),
        Some(Command::Agents(args)) => commands::agents::run(args, &mut ctx),
        Some(Command::History(args)) => commands::history::run(args, &mut ctx),
        Some(Command::Undo(args)) => commands::undo::run(args, &mut ctx),
        Some(Command::Completion(_) | Command::Config(_) | Command::Doctor(_)) => Ok(()),
    }
}
