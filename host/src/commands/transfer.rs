//! `handoff <FROM> <TO>`: the transfer. The pipeline runs it; this command turns the arguments
//! into a request and shows the report.

use anyhow::Result;
use std::path::{Path, PathBuf};

use super::{Context, picker, project_dir};
use crate::budget::BudgetReport;
use crate::config::Format;
use crate::error::{Kind, fail};
use crate::output;
use crate::pipeline::{self, Action, Normalized, Progress, Report, Request};
use crate::redact::RedactionCounts;
use crate::ui::{Ui, duration, tilde};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agent to take the session from (`handoff agents` lists them: claude, codex, opencode, …).
    #[arg(value_name = "FROM", required = true)]
    pub from: Option<String>,
    /// Agent to hand the session to.
    #[arg(value_name = "TO", required = true)]
    pub to: Option<String>,
    /// Source session: a full id or a unique prefix (default: the latest of this project).
    #[arg(long, value_name = "ID|PREFIX")]
    pub session_id: Option<String>,
    /// Pick the source session from a list of the project's sessions, filtered as you type (on
    /// a terminal).
    #[arg(long, conflicts_with = "session_id")]
    pub pick: bool,
    /// Show what would be written; write nothing anywhere.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the converted transcript on stdout instead of writing a session.
    #[arg(long, conflicts_with = "json")]
    pub no_inject: bool,
    /// The transcript on stdout in this format, with --no-inject [default: from config, native]
    /// or --dry-run (then the plan goes to stderr).
    #[arg(long, value_enum, conflicts_with = "json")]
    pub format: Option<Format>,
    /// Do not redact secrets (not recommended).
    #[arg(long)]
    pub no_redact_secrets: bool,
    /// Project directory (default: the current directory). Without a session there, the nearest
    /// ancestor up to the repository's root with one is used.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// Context budget in estimated tokens [default: from config]
    #[arg(long, value_name = "N", conflicts_with = "full")]
    pub max_tokens: Option<usize>,
    /// Transfer everything: no context budget.
    #[arg(long)]
    pub full: bool,
    /// Print one JSON object on stdout instead of progress lines.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    let (Some(from), Some(to)) = (args.from.clone(), args.to.clone()) else {
        return fail(Kind::Usage, "name the agents: handoff <FROM> <TO>");
    };
    let defaults = &ctx.config.defaults;
    let action = if args.no_inject || !defaults.auto_inject {
        Action::Print(args.format.unwrap_or(defaults.format))
    } else if args.dry_run {
        Action::DryRun {
            preview: args.format,
        }
    } else {
        Action::Write
    };
    let here = project_dir(args.cwd.as_deref())?;
    // Both agents resolve before anything is read, so a typo costs nothing.
    ctx.agent(&to)?;
    ctx.agent(&from)?;
    let session_id = if args.pick {
        Some(picker::pick_session(ctx, &from, &here)?)
    } else {
        args.session_id.clone()
    };
    let defaults = &ctx.config.defaults;
    let request = Request {
        here,
        session_id,
        action,
        redact: ctx.config.redaction_on() && !args.no_redact_secrets,
        max_tokens: (!args.full).then(|| args.max_tokens.unwrap_or(defaults.max_tokens)),
        from,
        to,
    };
    let ui = &ctx.ui;
    let report = pipeline::run(&request, &ctx.config, &ctx.registry, &mut |event| {
        show_progress(ui, &request, event);
    })?;
    if let Some(text) = &report.rendered {
        output::print(text)?;
    }
    if args.json {
        return output::println(serde_json::to_string(&report)?);
    }
    show_outcome(ui, &report);
    Ok(())
}

/// `✓ Found Codex session 019cdd7f (42 messages, 1h 23m)` and the like, as the steps happen.
fn show_progress(ui: &Ui, request: &Request, event: Progress) {
    match event {
        Progress::Found(source, project) => {
            let span = source
                .span_ms
                .map(|ms| format!(", {}", duration(ms)))
                .unwrap_or_default();
            ui.step(&format!(
                "Found {} session {} ({} messages{span})",
                source.display_name,
                short_id(&source.session_id),
                source.messages
            ));
            if project != request.here {
                ui.line(&format!(
                    "  of {project}: the nearest project with a {} session (no session for {})",
                    source.display_name, request.here
                ));
            }
        }
        Progress::Converted {
            redactions,
            budget,
            normalized,
            skipped_lines,
            unknown_records,
        } => {
            ui.step(&format!(
                "Extracted context{}",
                extract_notes(redactions, budget, normalized, skipped_lines)
            ));
            if !unknown_records.is_empty() {
                let kinds: Vec<String> = unknown_records
                    .iter()
                    .map(|(kind, n)| format!("{kind} ×{n}"))
                    .collect();
                ui.detail(&format!(
                    "passed over records of kinds the reader does not know (as the client does): {}",
                    kinds.join(", ")
                ));
            }
        }
        Progress::Warning(text) => ui.warn(text),
    }
}

/// The last lines: the session written, or what would be.
fn show_outcome(ui: &Ui, report: &Report) {
    let Some(target) = &report.target else {
        return;
    };
    if report.dry_run {
        ui.line(&format!(
            "Would create {} session: {}",
            target.display_name, target.session_id
        ));
        ui.line(&format!("  {}", tilde(Path::new(&target.path))));
        ui.line(&format!(
            "  {} messages ({} user, {} assistant); nothing was written",
            report.messages_written, report.user_messages, report.assistant_messages
        ));
        return;
    }
    ui.step(&format!(
        "Created {} session: {}",
        target.display_name, target.session_id
    ));
    ui.line(&tilde(Path::new(&target.path)));
    ui.line(&format!("Resume with: {}", target.resume_command));
    ui.line("Ready to continue!");
}

fn short_id(id: &str) -> &str {
    let end = id.char_indices().nth(8).map(|(i, _)| i).unwrap_or(id.len());
    id.get(..end).unwrap_or(id)
}

/// ` (3 secrets redacted, 2 turns dropped to fit 150000 tokens, 1 unreadable line skipped)`
fn extract_notes(
    redactions: &RedactionCounts,
    budget: &BudgetReport,
    normalized: &Normalized,
    skipped: usize,
) -> String {
    let mut notes = Vec::new();
    match redactions.total() {
        0 => {}
        1 => notes.push(String::from("1 secret redacted")),
        n => notes.push(format!("{n} secrets redacted")),
    }
    if budget.from_compaction {
        notes.push(String::from("started at the last compaction"));
    }
    if budget.elided_bytes > 0 {
        notes.push(format!(
            "{} bytes of tool output elided",
            budget.elided_bytes
        ));
    }
    if budget.dropped_turns > 0 {
        notes.push(format!("{} oldest turns dropped", budget.dropped_turns));
    }
    if budget.tokens_after < budget.tokens_before {
        notes.push(format!(
            "~{} → ~{} tokens",
            budget.tokens_before, budget.tokens_after
        ));
    }
    match normalized.interrupted_calls {
        0 => {}
        1 => notes.push(String::from("1 unanswered tool call marked interrupted")),
        n => notes.push(format!("{n} unanswered tool calls marked interrupted")),
    }
    match skipped {
        0 => {}
        1 => notes.push(String::from("1 unreadable line skipped")),
        n => notes.push(format!("{n} unreadable lines skipped")),
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    }
}
