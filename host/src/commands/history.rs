//! `handoff history`: transfers made by handoff, newest first.

use anyhow::Result;

use super::Context;
use crate::history;
use crate::ui::{age, now_ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let mut records = history::load()?;
    records.reverse();
    if args.json {
        println!("{}", serde_json::to_string(&records)?);
        return Ok(());
    }
    if records.is_empty() {
        ctx.ui.line("No transfers yet.");
        return Ok(());
    }
    let now = now_ms();
    for record in &records {
        println!(
            "{}  {:>8}  {} {} → {} {}",
            record.id,
            age(Some(record.time_ms), now),
            record.source.agent,
            record.source.session_id,
            record.target.agent,
            record.target.session_id
        );
    }
    Ok(())
}
