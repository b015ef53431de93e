//! `handoff list`: sessions of the current project (or all), newest first.

use anyhow::{Result, bail};
use handoff_plugin_api::{ErrorKind, ListRequest, SessionSummary};
use serde_json::json;
use std::path::PathBuf;

use super::{Context, project_dir};
use crate::ui::{age, now_ms, one_line};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this agent's sessions.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Sessions of every project, not only the current one.
    #[arg(long)]
    pub all: bool,
    /// Project directory (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// At most this many sessions per agent.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// A JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let cwd = if args.all {
        None
    } else {
        Some(project_dir(args.cwd.as_deref())?)
    };
    let rows = collect(ctx, args.agent.as_deref(), cwd, args.limit)?;
    if args.json {
        let rows: Vec<_> = rows.iter().map(row_json).collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    if rows.is_empty() {
        ctx.ui.line("No sessions found.");
        return Ok(());
    }
    let now = now_ms();
    for row in &rows {
        let title = one_line(row.title.as_deref().unwrap_or("(untitled)"), 60);
        let place = if args.all {
            format!("  {}", row.cwd.as_deref().unwrap_or("-"))
        } else {
            String::new()
        };
        println!(
            "{:<9} {:<36} {:>8} {:>5} msgs  {title}{place}",
            row.agent,
            row.session_id,
            age(row.updated_ms, now),
            row.messages
        );
    }
    Ok(())
}

/// Rows of every agent that can list (or just `agent`), newest first. An agent whose store is
/// unreadable is a warning, so the others still show.
pub fn collect(
    ctx: &mut Context,
    agent_filter: Option<&str>,
    cwd: Option<String>,
    limit: Option<usize>,
) -> Result<Vec<SessionSummary>> {
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
    let mut rows = Vec::new();
    for name in names {
        let request = ListRequest {
            home: ctx.config.agent_home(&name),
            cwd: cwd.clone(),
            limit,
            ..Default::default()
        };
        let agent = ctx.registry.get(&name)?;
        if !agent.info.capabilities.list {
            if agent_filter.is_some() {
                bail!("{name} cannot list sessions");
            }
            continue;
        }
        match agent.list_sessions(&request) {
            Ok(found) => rows.extend(found),
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => ctx.ui.warn(&format!("{name}: {e}")),
        }
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.updated_ms));
    Ok(rows)
}

pub fn row_json(row: &SessionSummary) -> serde_json::Value {
    json!({
        "agent": row.agent,
        "session_id": row.session_id,
        "cwd": row.cwd,
        "title": row.title,
        "messages": row.messages,
        "updated": row.updated_ms.map(handoff_time),
        "updated_ms": row.updated_ms,
        "path": row.path,
    })
}

/// RFC 3339 UTC, second precision.
fn handoff_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.0}"))
        .unwrap_or_default()
}
