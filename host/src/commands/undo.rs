//! `handoff undo [TRANSFER]`: remove what a transfer wrote, unless the agent changed it since.

use anyhow::{Result, bail};
use handoff_plugin_api::Written;

use super::Context;
use crate::error::{Kind, fail};
use crate::history::{self, Record};
use crate::written::{self, sha256_file};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transfer id (or unique prefix) from `handoff history`; default: the last transfer.
    #[arg(value_name = "TRANSFER")]
    pub transfer: Option<String>,
    /// Remove it even if the target agent has changed it since (e.g. you resumed it).
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let records = history::load()?;
    let record = pick(&records, args.transfer.as_deref())?;
    if !args.force {
        for item in &record.written {
            if let (Written::File { path }, Some(expected)) = (&item.written, &item.sha256) {
                let changed = match sha256_file(path) {
                    Ok(now) => now != *expected,
                    // Already gone: nothing to protect.
                    Err(_) => false,
                };
                if changed {
                    bail!(
                        "{path}: changed since handoff wrote it (was it resumed?); use --force to remove it anyway"
                    );
                }
            }
        }
    }
    let home = ctx.config.agent_home(&record.target.agent);
    let agent = ctx.agent(&record.target.agent)?;
    written::remove(agent, home.as_deref(), &record.injected())?;
    history::mark_undone(&record.id)?;
    ctx.ui.step(&format!(
        "Removed {} session {} (transfer {})",
        record.target.agent, record.target.session_id, record.id
    ));
    Ok(())
}

fn pick<'a>(records: &'a [Record], id: Option<&str>) -> Result<&'a Record> {
    let Some(id) = id else {
        return match records.last() {
            Some(record) => Ok(record),
            None => fail(
                Kind::NoSession,
                format!("no transfer to undo ({})", history::path().display()),
            ),
        };
    };
    let matches: Vec<&Record> = records.iter().filter(|r| r.id.starts_with(id)).collect();
    match matches.as_slice() {
        [record] => Ok(record),
        [] => fail(
            Kind::NoSession,
            format!("no transfer {id} in {}", history::path().display()),
        ),
        many => fail(
            Kind::Usage,
            format!(
                "transfer prefix {id} is ambiguous: {}",
                many.iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
}
