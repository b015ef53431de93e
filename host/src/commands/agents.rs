//! `handoff agents`: registered adapters, built-in and plugin.

use anyhow::Result;
use serde_json::json;

use super::Context;
use crate::output;
use crate::registry::Origin;
use std::io::Write;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    ctx.load_plugins();
    let rows: Vec<_> = ctx
        .registry
        .agents()
        .iter()
        .map(|agent| {
            let (origin, path) = match &agent.origin {
                Origin::Builtin => ("builtin", None),
                Origin::Plugin(path) => ("plugin", Some(path.display().to_string())),
            };
            let home = ctx
                .config
                .agent_home(agent.name())
                .unwrap_or_else(|| agent.info.default_home.clone());
            json!({
                "name": agent.info.name,
                "display_name": agent.info.display_name,
                "origin": origin,
                "path": path,
                "version": agent.info.version,
                "verified_clients": agent.info.verified_clients,
                "home": home,
                "list": agent.info.capabilities.list,
                "extract": agent.info.capabilities.extract,
                "inject": agent.info.capabilities.inject,
            })
        })
        .collect();
    if args.json {
        return output::println(serde_json::Value::Array(rows));
    }
    let mark = |v: &serde_json::Value| {
        if v.as_bool() == Some(true) {
            "✓"
        } else {
            "-"
        }
    };
    // Columns as wide as their longest value.
    let width = |key: &str, floor: usize| {
        rows.iter()
            .filter_map(|row| row[key].as_str())
            .map(|text| text.chars().count())
            .fold(floor, usize::max)
    };
    let (name_width, agent_width) = (width("name", 10), width("display_name", 14));
    output::write(|out| {
        writeln!(
            out,
            "{:<name_width$} {:<agent_width$} {:<8} {:<8} {:<7} {:<6} HOME / PATH",
            "NAME", "AGENT", "ORIGIN", "VERSION", "EXTRACT", "INJECT"
        )?;
        rows.iter().try_for_each(|row| {
            let place = row["path"].as_str().or(row["home"].as_str()).unwrap_or("");
            writeln!(
                out,
                "{:<name_width$} {:<agent_width$} {:<8} {:<8} {:<7} {:<6} {place}",
                row["name"].as_str().unwrap_or(""),
                row["display_name"].as_str().unwrap_or(""),
                row["origin"].as_str().unwrap_or(""),
                row["version"].as_str().unwrap_or(""),
                mark(&row["extract"]),
                mark(&row["inject"]),
            )
        })
    })
}
