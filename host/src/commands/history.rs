//! `handoff history`: transfers made by handoff, newest first.

use anyhow::Result;
use std::io::Write;

use super::Context;
use crate::ui::{age, now_ms};
use crate::{history, output};

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
        return output::println(serde_json::to_string(&records)?);
    }
    if records.is_empty() {
        ctx.ui.line("No transfers yet.");
        return Ok(());
    }
    let now = now_ms();
    output::write(|out| {
        records.iter().try_for_each(|record| {
            writeln!(
                out,
                "{}  {:>8}  {} {} → {} {}",
                record.id,
                age(Some(record.time_ms), now),
                record.source.agent,
                record.source.session_id,
                record.target.agent,
                record.target.session_id
            )
        })
    })
}
