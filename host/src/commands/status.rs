//! `handoff status`: the current project and the latest session of each agent.

use anyhow::Result;
use serde_json::json;
use std::path::PathBuf;

use super::{Context, project_dir};
use crate::error::Error;
use crate::output;
use crate::ui::{age, now_ms, one_line};
use std::io::Write;

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
    let mut answers = super::list::list_nearest(&listed, &ctx.config, Some(&cwd), Some(1))
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
        let (found_in, latest) = answers
            .remove(name)
            .unwrap_or_else(|| (None, Ok(Vec::new())));
        let (latest, problem) = match latest {
            Ok(rows) => (rows.into_iter().next(), None),
            Err(e) => match e.downcast_ref::<Error>() {
                Some(e) => (None, Some(e.message.clone())),
                None => return Err(e),
            },
        };
        // Said only when it is not the directory itself.
        let project = found_in.filter(|dir| *dir != cwd);
        agents.push((agent.info.clone(), home, latest, project, problem));
    }
    if args.json {
        let agents: Vec<_> = agents
            .iter()
            .map(|(info, home, latest, project, problem)| {
                json!({
                    "agent": info.name,
                    "display_name": info.display_name,
                    "home": home,
                    "latest": latest.as_ref().map(super::list::row_json),
                    "project": project.as_deref().unwrap_or(&cwd),
                    "error": problem,
                })
            })
            .collect();
        return output::println(json!({ "project": cwd, "agents": agents }));
    }
    let width = agents
        .iter()
        .map(|(info, ..)| info.display_name.chars().count())
        .fold(14, usize::max);
    output::write(|out| {
        writeln!(out, "Project: {cwd}")?;
        agents
            .iter()
            .try_for_each(|(info, home, latest, project, problem)| {
                let what = match (latest, problem) {
                    (_, Some(problem)) => format!("error: {}", one_line(problem, 100)),
                    (Some(row), None) => format!(
                        "{} · {} · {} msgs · {}{}",
                        row.session_id,
                        age(row.updated_ms, now),
                        row.messages,
                        one_line(row.title.as_deref().unwrap_or("(untitled)"), 50),
                        super::list::store_note(row),
                    ),
                    (None, None) => String::from("no session for this project"),
                };
                writeln!(out, "  {:<width$} {what}", info.display_name)?;
                if let Some(project) = project {
                    writeln!(
                        out,
                        "  {:<width$} of {project} (nearest project with a session)",
                        ""
                    )?;
                }
                writeln!(
                    out,
                    "  {:<width$} home {}",
                    "",
                    crate::ui::tilde(std::path::Path::new(home))
                )
            })
    })
}
