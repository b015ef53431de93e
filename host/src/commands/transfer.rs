//! `handoff <FROM> <TO>`: the transfer.

use anyhow::{Result, bail};
use handoff_plugin_api::{InjectMode, Injected, Role, Transcript};
use serde_json::json;
use std::path::{Path, PathBuf};

use super::{Context, project_dir};
use crate::budget::BudgetReport;
use crate::config::Format;
use crate::error::{Error, Kind, fail};
use crate::history::{self, Endpoint, Record};
use crate::output;
use crate::pipeline::{self, Source};
use crate::project;
use crate::redact::RedactionCounts;
use crate::registry::Agent;
use crate::ui::{duration, tilde};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agent to take the session from (claude, codex, opencode, or a plugin's name).
    #[arg(value_name = "FROM", required = true)]
    pub from: Option<String>,
    /// Agent to hand the session to.
    #[arg(value_name = "TO", required = true)]
    pub to: Option<String>,
    /// Source session: a full id or a unique prefix (default: the latest of this project).
    #[arg(long, value_name = "ID|PREFIX")]
    pub session_id: Option<String>,
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
    let here = project_dir(args.cwd.as_deref())?;
    let no_inject = args.no_inject || !ctx.config.defaults.auto_inject;
    let format = args.format.unwrap_or(ctx.config.defaults.format);
    let redact_on = ctx.config.redaction_on() && !args.no_redact_secrets;
    let max_tokens = if args.full {
        None
    } else {
        Some(args.max_tokens.unwrap_or(ctx.config.defaults.max_tokens))
    };

    // Both agents resolve before anything is read, so a typo costs nothing.
    ctx.agent(&to)?;
    ctx.agent(&from)?;
    let ctx: &Context = ctx;
    let source_home = ctx.config.agent_home(&from);
    let target_home = ctx.config.agent_home(&to);
    let source_agent = ctx.registry.get(&from)?;
    let source_name = source_agent.info.display_name.clone();

    // The redaction rules compile while the source is read.
    let (extracted, redactor) = std::thread::scope(|scope| {
        let redactor =
            redact_on.then(|| scope.spawn(|| pipeline::redactor(&ctx.config.redaction.patterns)));
        let extracted = extract_nearest(source_agent, source_home, &here, &args.session_id);
        let redactor = redactor.map(|building| {
            building
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("compiling the redaction rules crashed")))
        });
        (extracted, redactor)
    });
    let (project, Source { mut extracted }) = extracted?;
    let redactor = redactor.transpose()?;
    let transcript = &mut extracted.transcript;
    // The target resumes where the conversation happened, wherever handoff was run from.
    let cwd = recorded_dir(transcript).unwrap_or_else(|| project.clone());
    let source_messages = transcript.messages.len();
    let span = match (transcript.session.created_ms, transcript.session.updated_ms) {
        (Some(a), Some(b)) => format!(", {}", duration(b - a)),
        _ => String::new(),
    };
    ctx.ui.step(&format!(
        "Found {source_name} session {} ({source_messages} messages{span})",
        short_id(&transcript.session.id)
    ));
    if project != here {
        ctx.ui.line(&format!(
            "  of {project}: the nearest project with a {source_name} session (no session for {here})"
        ));
    }
    for warning in &extracted.report.warnings {
        ctx.ui.warn(warning);
    }

    let mut plan = pipeline::plan(transcript, max_tokens);
    let redactions = if let Some(redactor) = &redactor {
        pipeline::redact(transcript, redactor, &mut plan)
    } else {
        ctx.ui
            .warn("secret redaction is off: the new session may contain credentials");
        RedactionCounts::default()
    };
    let budget = pipeline::fit(transcript, plan);
    ctx.ui.step(&format!(
        "Extracted context{}",
        extract_notes(&redactions, &budget, extracted.report.skipped_lines)
    ));

    let target = ctx.registry.get(&to)?;
    if no_inject {
        return output::print(&render(target, target_home, &cwd, format, transcript)?);
    }
    // A dry run with a format previews the converted transcript; its plan goes to stderr.
    if args.dry_run
        && let Some(format) = args.format
    {
        output::print(&render(
            target,
            target_home.clone(),
            &cwd,
            format,
            transcript,
        )?)?;
    }

    let mode = if args.dry_run {
        InjectMode::Plan
    } else {
        InjectMode::Write
    };
    let injected = pipeline::inject(target, target_home.clone(), &cwd, mode, transcript)?;
    for warning in &injected.warnings {
        ctx.ui.warn(warning);
    }
    if !args.dry_run {
        pipeline::check_written_inside(target, target_home.as_deref(), &injected)?;
        if let Err(e) = pipeline::verify(target, target_home.clone(), &cwd, &injected, transcript) {
            let cleanup = pipeline::remove_written(target, target_home.as_deref(), &injected)
                .err()
                .map(|c| format!(" (and removing it failed: {c:#})"))
                .unwrap_or_default();
            bail!("the written session did not read back as meant, removed it{cleanup}: {e:#}");
        }
        let record = Record::new(
            Endpoint {
                agent: from.clone(),
                session_id: transcript.session.id.clone(),
                path: transcript.session.source_path.clone(),
            },
            Endpoint {
                agent: to.clone(),
                session_id: injected.session_id.clone(),
                path: Some(injected.path.clone()),
            },
            &injected,
        )?;
        if let Err(e) = history::append(&record) {
            ctx.ui
                .warn(&format!("{e:#} (undo will not know this transfer)"));
        }
    }

    let target_name = &target.info.display_name;
    if args.json {
        let report = json!({
            "project": project,
            "source": {
                "agent": from,
                "session_id": transcript.session.id,
                "path": transcript.session.source_path,
                "messages": source_messages,
            },
            "target": {
                "agent": to,
                "session_id": injected.session_id,
                "path": injected.path,
                "cwd": cwd,
                "resume_command": resume_line(&cwd, &injected),
            },
            "redactions": redactions.total(),
            "redactions_by_kind": redactions.by_kind,
            "skipped_lines": extracted.report.skipped_lines,
            "sidechains": extracted.report.sidechains,
            "budget": budget,
            "messages_written": transcript.messages.len(),
            "dry_run": args.dry_run,
            "warnings": extracted.report.warnings.iter().chain(&injected.warnings).collect::<Vec<_>>(),
        });
        return output::println(report);
    }
    let ui = &ctx.ui;
    if args.dry_run {
        ui.line(&format!(
            "Would create {target_name} session: {}",
            injected.session_id
        ));
        ui.line(&format!("  {}", tilde(Path::new(&injected.path))));
        let (users, assistants) = role_counts(transcript);
        ui.line(&format!(
            "  {} messages ({users} user, {assistants} assistant); nothing was written",
            transcript.messages.len()
        ));
        return Ok(());
    }
    ui.step(&format!(
        "Created {target_name} session: {}",
        injected.session_id
    ));
    ui.line(&tilde(Path::new(&injected.path)));
    ui.line(&format!("Resume with: {}", resume_line(&cwd, &injected)));
    ui.line("Ready to continue!");
    Ok(())
}

/// The chosen session (`--session-id`, found in every project), or the latest of the nearest
/// project with one: `cwd`, then its ancestors up to the repository's root. With the project
/// the session was found for.
fn extract_nearest(
    agent: &Agent,
    home: Option<String>,
    cwd: &str,
    session_id: &Option<String>,
) -> Result<(String, Source)> {
    if session_id.is_some() {
        let source = pipeline::extract(agent, home, cwd, session_id.clone())?;
        return Ok((cwd.to_owned(), source));
    }
    let mut first_miss = None;
    let found = project::nearest(cwd, |dir| {
        match pipeline::extract(agent, home.clone(), dir, None) {
            Ok(source) => Ok(Some(source)),
            Err(e) if is_no_session(&e) => {
                first_miss.get_or_insert(e);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    })?;
    match (found, first_miss) {
        (Some(found), _) => Ok(found),
        (None, Some(miss)) => Err(miss),
        (None, None) => fail(Kind::NoSession, format!("no session for {cwd}")),
    }
}

fn is_no_session(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<Error>()
        .is_some_and(Error::is_not_found)
}

/// The directory the source session recorded, as a physical path, if it still exists.
fn recorded_dir(transcript: &Transcript) -> Option<String> {
    let recorded = transcript.session.cwd.as_deref()?;
    let physical = std::fs::canonicalize(recorded).ok()?;
    physical
        .is_dir()
        .then(|| physical.to_string_lossy().into_owned())
}

/// The transcript as `--format` asks: readable Markdown, the transcript model, or the target's
/// own format.
fn render(
    target: &Agent,
    home: Option<String>,
    cwd: &str,
    format: Format,
    transcript: &Transcript,
) -> Result<String> {
    Ok(match format {
        Format::Markdown => crate::render::markdown(transcript),
        Format::Json => serde_json::to_string_pretty(transcript)? + "\n",
        Format::Native => {
            let rendered = pipeline::inject(target, home, cwd, InjectMode::Render, transcript)?;
            rendered.rendered.unwrap_or_default()
        }
    })
}

/// The command a user types to resume, from the project directory.
fn resume_line(cwd: &str, injected: &Injected) -> String {
    if injected.resume_command.is_empty() {
        return String::new();
    }
    format!("cd {} && {}", shell_quote(cwd), injected.resume_command)
}

fn shell_quote(text: &str) -> String {
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@".contains(&b))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn short_id(id: &str) -> &str {
    let end = id.char_indices().nth(8).map(|(i, _)| i).unwrap_or(id.len());
    id.get(..end).unwrap_or(id)
}

fn role_counts(transcript: &handoff_plugin_api::Transcript) -> (usize, usize) {
    let count = |role| {
        transcript
            .messages
            .iter()
            .filter(|m| m.role == role)
            .count()
    };
    (count(Role::User), count(Role::Assistant))
}

/// ` (3 secrets redacted, 2 turns dropped to fit 150000 tokens, 1 unreadable line skipped)`
fn extract_notes(redactions: &RedactionCounts, budget: &BudgetReport, skipped: usize) -> String {
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
