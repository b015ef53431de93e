//! `handoff list`: sessions of the current project (or all), newest first.

use anyhow::{Result, anyhow};
use handoff_plugin_api::{ListRequest, SessionSummary};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

use super::{Context, project_dir};
use crate::cache::{self, ListCache};
use crate::config::Config;
use crate::error::{Error, Kind, fail};
use crate::output;
use crate::redact::{LazyRedactor, RedactionCounts};
use crate::registry::Agent;
use crate::spinner::Spinner;
use crate::ui::{Ui, age, now_ms, one_line};

/// Which sessions a listing looks at: the agents and the projects.
#[derive(Debug, clap::Args)]
pub struct Scope {
    /// Only this agent's sessions.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Sessions of every project, not only the current one.
    #[arg(long)]
    pub all: bool,
    /// Project directory (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
}

impl Scope {
    /// The project to look in; `None` for every project (`--all`).
    pub fn project(&self) -> Result<Option<String>> {
        match self.all {
            true => Ok(None),
            false => project_dir(self.cwd.as_deref()).map(Some),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub scope: Scope,
    /// At most this many sessions per agent.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// A JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let cwd = args.scope.project()?;
    let (rows, projects) = collect(
        ctx,
        args.scope.agent.as_deref(),
        cwd.clone(),
        args.limit,
        !args.json,
    )?;
    tell_nearest(&ctx.ui, cwd.as_deref(), &projects);
    if args.json {
        let rows: Vec<_> = rows.iter().map(row_json).collect();
        return output::println(serde_json::Value::Array(rows));
    }
    if rows.is_empty() {
        ctx.ui.line("No sessions found.");
        return Ok(());
    }
    let now = now_ms();
    // Thousands of rows: one buffered write instead of a line-buffered write per row.
    output::write(|out| {
        rows.iter()
            .try_for_each(|row| write_row(out, row, args.scope.all, now))
    })
}

/// Says so when the rows are of an ancestor of `cwd` (the nearest project with sessions), not of
/// `cwd` itself.
pub fn tell_nearest(ui: &Ui, cwd: Option<&str>, projects: &[String]) {
    let Some(cwd) = cwd else {
        return;
    };
    let elsewhere: Vec<&str> = projects
        .iter()
        .map(String::as_str)
        .filter(|dir| *dir != cwd)
        .collect();
    if !elsewhere.is_empty() {
        ui.line(&format!(
            "No session for {cwd}; sessions of the nearest project: {}",
            elsewhere.join(", ")
        ));
    }
}

fn write_row(
    out: &mut impl Write,
    row: &SessionSummary,
    all: bool,
    now: i64,
) -> std::io::Result<()> {
    let title = one_line(row.title.as_deref().unwrap_or("(untitled)"), 60);
    let place = if all {
        format!("  {}", row.cwd.as_deref().unwrap_or("-"))
    } else {
        String::new()
    };
    let store = store_note(row);
    writeln!(
        out,
        "{:<9} {:<36} {:>8} {:>5} msgs  {title}{store}{place}",
        row.agent,
        row.session_id,
        age(row.updated_ms, now),
        row.messages
    )
}

/// Rows of every agent that can list (or just `agent`), newest first, and the project
/// directories they were found for (see [`list_nearest`]). An agent whose store is unreadable is
/// a warning, so the others still show. A spinner shows on a terminal when the scan
/// takes long (`progress`: never with `--json`).
pub fn collect(
    ctx: &mut Context,
    agent_filter: Option<&str>,
    cwd: Option<String>,
    limit: Option<usize>,
    progress: bool,
) -> Result<(Vec<SessionSummary>, Vec<String>)> {
    let names: Vec<String> = match agent_filter {
        Some(name) => vec![ctx.agent(name)?.name().to_owned()],
        None => {
            ctx.load_plugins();
            ctx.registry
                .names()
                .iter()
                .map(|n| (*n).to_owned())
                .collect()
        }
    };
    let mut agents = Vec::new();
    for name in &names {
        let agent = ctx.registry.get(name)?;
        if agent.info.capabilities.list {
            agents.push(agent);
        } else if agent_filter.is_some() {
            return fail(Kind::Unsupported, format!("{name} cannot list sessions"));
        }
    }
    let mut rows = Vec::new();
    let mut projects = Vec::new();
    let mut problems = Vec::new();
    {
        let _spinner = Spinner::after_delay("Reading sessions", progress);
        let answers = list_nearest(&agents, &ctx.config, cwd.as_deref(), limit);
        for (agent, (dir, answer)) in agents.iter().zip(answers) {
            projects.extend(dir);
            match answer {
                Ok(found) => rows.extend(found),
                Err(e) => match e.downcast_ref::<Error>() {
                    Some(e) => problems.push(format!("{}: {e}", agent.name())),
                    None => return Err(e),
                },
            }
        }
    }
    for problem in problems {
        ctx.ui.warn(&problem);
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.updated_ms));
    projects.sort_unstable();
    projects.dedup();
    Ok((rows, projects))
}

/// One agent's listing: its rows, or its failure.
pub type Listing = Result<Vec<SessionSummary>>;

/// The rows of each agent of `cwd`'s project, in the order given, with the directory they were
/// found for: an agent with no session in `cwd` is asked for its ancestors up to the
/// repository's root, nearest first (`None`: every project, nothing to look for).
pub fn list_nearest(
    agents: &[&Agent],
    config: &Config,
    cwd: Option<&str>,
    limit: Option<usize>,
) -> Vec<(Option<String>, Listing)> {
    let Some(cwd) = cwd else {
        let listings = list_agents(agents, config, None, limit);
        return listings.into_iter().map(|l| (None, l)).collect();
    };
    let mut found: Vec<Option<(Option<String>, Listing)>> = agents.iter().map(|_| None).collect();
    for dir in crate::project::candidates(cwd) {
        let pending: Vec<(&Agent, &mut Option<_>)> = agents
            .iter()
            .copied()
            .zip(found.iter_mut())
            .filter(|(_, slot)| slot.is_none())
            .collect();
        if pending.is_empty() {
            break;
        }
        let asked: Vec<&Agent> = pending.iter().map(|(agent, _)| *agent).collect();
        let listings = list_agents(&asked, config, Some(&dir), limit);
        for ((_, slot), listing) in pending.into_iter().zip(listings) {
            if !listing.as_ref().is_ok_and(Vec::is_empty) {
                *slot = Some((Some(dir.clone()), listing));
            }
        }
    }
    found
        .into_iter()
        .map(|f| f.unwrap_or_else(|| (None, Ok(Vec::new()))))
        .collect()
}

/// The rows of each agent (or its failure), in the order given; all agents at once, each
/// waiting on its own store. An agent that has no session there answers no rows.
pub fn list_agents(
    agents: &[&Agent],
    config: &Config,
    cwd: Option<&str>,
    limit: Option<usize>,
) -> Vec<Result<Vec<SessionSummary>>> {
    let titles = Titles::new(config);
    std::thread::scope(|scope| {
        let listings: Vec<_> = agents
            .iter()
            .map(|agent| scope.spawn(|| list_agent(agent, config, cwd, limit, &titles)))
            .collect();
        listings
            .into_iter()
            .map(|listing| match listing.join() {
                Ok(Err(e)) if crate::error::is_not_found(&e) => Ok(Vec::new()),
                Ok(listing) => listing,
                Err(_) => Err(anyhow!("the listing crashed")),
            })
            .collect()
    })
}

/// One agent's rows, through its list cache: files that did not change since the cache saw them
/// are not read again. Titles are redacted (cached ones were redacted before they were stored);
/// with redaction off the cache, which holds only redacted titles, is not used.
fn list_agent(
    agent: &Agent,
    config: &Config,
    cwd: Option<&str>,
    limit: Option<usize>,
    titles: &Titles,
) -> Result<Vec<SessionSummary>> {
    let mut request = ListRequest {
        home: config.agent_home(agent.name()),
        cwd: cwd.map(str::to_owned),
        limit,
        ..ListRequest::default()
    };
    let Some(key) = &titles.key else {
        return Ok(agent.list_sessions(request)?);
    };
    let mut cache = ListCache::load(agent.name(), key);
    request.unchanged = cache.stamps(cwd);
    let answer = agent.list_sessions(request)?;
    let redactor = if answer.iter().any(|r| !r.cached && r.title.is_some()) {
        Some(titles.redactor.get()?)
    } else {
        None
    };
    let mut counts = RedactionCounts::default();
    let mut redact = |title: &str| match redactor {
        Some(r) => r.redact_text(title, &mut counts).into_owned(),
        None => title.to_owned(),
    };
    let rows = cache.resolve(answer, cwd.is_none() && limit.is_none(), &mut redact);
    // The cache only saves work: failing to write it must not fail the listing.
    let _ = cache.save();
    Ok(rows)
}

/// Redaction of listed titles, built only when a title needs it, once for all agents.
struct Titles {
    /// The cache key of the redaction rules; `None` when redaction is off.
    key: Option<String>,
    redactor: LazyRedactor,
}

impl Titles {
    fn new(config: &Config) -> Self {
        let on = config.redaction_on();
        Self {
            key: on.then(|| cache::redaction_key(&config.redaction.patterns)),
            redactor: LazyRedactor::new(&config.redaction.patterns),
        }
    }
}

/// ` [OpenCode 2.x database, read only]` when the row's store deserves a word.
pub fn store_note(row: &SessionSummary) -> String {
    row.store
        .as_deref()
        .map(|store| format!(" [{store}]"))
        .unwrap_or_default()
}

pub fn row_json(row: &SessionSummary) -> serde_json::Value {
    let mut json = json!({
        "agent": row.agent,
        "session_id": row.session_id,
        "cwd": row.cwd,
        "title": row.title,
        "messages": row.messages,
        "updated": row.updated_ms.map(handoff_time),
        "updated_ms": row.updated_ms,
        "path": row.path,
    });
    if let Some(store) = &row.store {
        json["store"] = json!(store);
    }
    json
}

/// RFC 3339 UTC, second precision.
fn handoff_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.0}"))
        .unwrap_or_default()
}
