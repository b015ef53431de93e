//! `handoff show [<AGENT>]`: a session to read before handing it off. In the terminal (through
//! the pager when taller than the screen), as Markdown, as one HTML page, or as the transcript
//! JSON; read and redacted as a transfer reads it.

use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;

use super::{Context, picker, project_dir};
use crate::error::{Kind, fail};
use crate::pipeline::{self, ShowRequest, Shown};
use crate::render::{self, Style};
use crate::{output, pager, ui};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agent whose session to show (default: the newest session of this project, any agent).
    #[arg(value_name = "AGENT")]
    pub agent: Option<String>,
    /// A full id or a unique prefix (default: the latest session of this project); without
    /// AGENT, of any agent and any project.
    #[arg(long, value_name = "ID|PREFIX", conflicts_with = "pick")]
    pub session_id: Option<String>,
    /// Pick AGENT's session from a list of the project's, filtered as you type (a terminal).
    #[arg(long, requires = "agent")]
    pub pick: bool,
    /// How to show it.
    #[arg(long, value_enum, default_value_t, conflicts_with = "json")]
    pub format: ShowFormat,
    /// The redacted transcript as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Do not redact secrets (not recommended).
    #[arg(long)]
    pub no_redact_secrets: bool,
    /// Project directory (default: the current directory). Without a session there, the nearest
    /// ancestor up to the repository's root with one is used.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum ShowFormat {
    /// For the terminal: colour on a terminal, outputs folded to their first lines.
    #[default]
    Text,
    /// Readable Markdown, a heading per message.
    Markdown,
    /// One self-contained HTML page: contents by turn, tool calls folded, code highlighted.
    Html,
}

/// The widest rule under a message heading, however wide the terminal.
const MAX_WIDTH: usize = 100;

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let here = project_dir(args.cwd.as_deref())?;
    let redact = ctx.config.redaction_on() && !args.no_redact_secrets;
    let (agent, session_id) = match args.agent {
        Some(agent) if args.pick => {
            let id = picker::pick_session(ctx, &agent, &here)?;
            (agent, Some(id))
        }
        Some(agent) => (agent, args.session_id),
        None => {
            let (agent, id) = newest(ctx, &here, args.session_id.as_deref(), !args.json)?;
            (agent, Some(id))
        }
    };
    let shown = session(ctx, &agent, session_id, &here, redact)?;
    for warning in &shown.warnings {
        ctx.ui.warn(warning);
    }
    if args.json {
        return output::println(serde_json::to_string_pretty(&shown.transcript)?);
    }
    match args.format {
        ShowFormat::Text => {
            let style = Style {
                color: ui::color_allowed(std::io::stdout().is_terminal()),
                width: pager::screen_size().map_or(80, |(width, _)| width.min(MAX_WIDTH)),
            };
            pager::page_or_print(&render::text(&shown.transcript, shown.sidechains, style))
        }
        ShowFormat::Markdown => pager::page_or_print(&render::markdown(&shown.transcript)),
        ShowFormat::Html => output::print(&render::html(&shown.transcript, shown.sidechains)),
    }
}

/// The session to show: `agent`'s session `session_id` (a full id or a unique prefix), or its
/// latest of `here`'s project (or the nearest ancestor's); read and redacted like a transfer's
/// source. Whatever chooses a session (an argument, a picker) ends here.
pub fn session(
    ctx: &mut Context,
    agent: &str,
    session_id: Option<String>,
    here: &str,
    redact: bool,
) -> Result<Shown> {
    ctx.agent(agent)?;
    let request = ShowRequest {
        agent: agent.to_owned(),
        here: here.to_owned(),
        session_id,
        redact,
    };
    pipeline::read(&request, &ctx.config, &ctx.registry)
}

/// Without an agent: the newest session of `here`'s project among every agent's, or, with an
/// id, the one session of any agent and any project whose id starts with it. Its agent and id.
fn newest(
    ctx: &mut Context,
    here: &str,
    session_id: Option<&str>,
    progress: bool,
) -> Result<(String, String)> {
    let Some(id) = session_id else {
        let (rows, _) = super::list::collect(ctx, None, Some(here.to_owned()), Some(1), progress)?;
        return match rows.into_iter().next() {
            Some(row) => Ok((row.agent, row.session_id)),
            None => fail(
                Kind::NoSession,
                format!("no session of any agent for {here}"),
            ),
        };
    };
    let (rows, _) = super::list::collect(ctx, None, None, None, progress)?;
    let mut matches: Vec<(String, String)> = rows
        .into_iter()
        .filter(|row| row.session_id.starts_with(id))
        .map(|row| (row.agent, row.session_id))
        .collect();
    matches.sort_unstable();
    matches.dedup();
    match matches.len() {
        0 => fail(
            Kind::NoSession,
            format!("no session of any agent has the id {id}"),
        ),
        1 => Ok(matches.remove(0)),
        _ => {
            let found: Vec<String> = matches
                .iter()
                .map(|(agent, id)| format!("{agent} {id}"))
                .collect();
            fail(
                Kind::Usage,
                format!("{id} is ambiguous: {}; name the agent", found.join(", ")),
            )
        }
    }
}
