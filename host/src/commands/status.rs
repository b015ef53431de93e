//! `handoff status`: the current project and the latest session of each agent.

use anyhow::Result;
use handoff_plugin_api::ErrorKind;
use serde_json::json;
use std::path::PathBuf;

use super::{Context, project_dir};
use crate::registry::AgentError;
use crate::ui::{age, now_ms, one_line};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Project directory (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let cwd = project_dir(args.cwd.as_deref())?;
    ctx.load_plugins();
    let now = now_ms();
    let listed: Vec<_> = ctx
        .registry
        .agents()
        .iter()
        .filter(|agent| agent.info.capabilities.list)
        .collect();
    let mut answers = super::list::list_agents(&listed, &ctx.config, Some(&cwd), Some(1))
        .into_iter()
        .zip(&listed)
        .map(|(answer, agent)| (agent.name(), answer))
        .collect::<std::collections::HashMap<_, _>>();
    let mut agents = Vec::new();
    for agent in ctx.registry.agents() {
        let name = agent.name();
        let home = ctx
            .config
            .agent_home(name)
            .unwrap_or_else(|| agent.info.default_home.clone());
        let latest = answers.remove(name).unwrap_or_else(|| Ok(Vec::new()));
        let (latest, problem) = match latest {
            Ok(rows) => (rows.into_iter().next(), None),
            Err(e) => match e.downcast_ref::<AgentError>() {
                Some(e) if e.kind == ErrorKind::NotFound => (None, None),
                Some(e) => (None, Some(e.message.clone())),
                None => return Err(e),
            },
        };
        agents.push((agent.info.clone(), home, latest, problem));
    }
    if args.json {
        let agents: Vec<_> = agents
            .iter()
            .map(|(info, home, latest, problem)| {
                json!({
                    "agent": info.name,
                    "display_name": info.display_name,
                    "home": home,
                    "latest": latest.as_ref().map(super::list::row_json),
                    "error": problem,
                })
            })
            .collect();
        println!("{}", json!({ "project": cwd, "agents": agents }));
        return Ok(());
    }
    println!("Project: {cwd}");
    for (info, home, latest, problem) in &agents {
        let what = match (latest, problem) {
            (_, Some(problem)) => format!("error: {}", one_line(problem, 100)),
            (Some(row), None) => format!(
                "{} · {} · {} msgs · {}",
                row.session_id,
                age(row.updated_ms, now),
                row.messages,
                one_line(row.title.as_deref().unwrap_or("(untitled)"), 50)
            ),
            (None, None) => String::from("no session for this project"),
        };
        println!("  {:<14} {what}", info.display_name);
        println!(
            "  {:<14} home {}",
            "",
            crate::ui::tilde(std::path::Path::new(home))
        );
    }
    Ok(())
}
