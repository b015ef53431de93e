//! The transfer pipeline: extract → redact → budget → normalize → inject → verify, run by [`run`]. Data flows
//! one way; each step only sees what the previous one produced. [`run`] owns the order, the
//! rollback of a session that did not verify, and the history record; commands only build a
//! [`Request`] and show the [`Report`].

mod normalize;
mod source;
mod steps;
mod verify;

pub use normalize::Normalized;

use normalize::normalize;
use source::{Source, extract_nearest, recorded_dir};
use steps::{fit, inject, plan, redact, redactor};
use verify::{Fingerprint, verify};

use anyhow::{Result, anyhow, bail};
use handoff_plugin_api::{Extracted, InjectMode, Injected, Role, Transcript};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::budget::BudgetReport;
use crate::config::{Config, Format};
use crate::history::{self, Endpoint, Record};
use crate::redact::{RedactionCounts, Redactor};
use crate::registry::{Agent, Registry};

/// One transfer, as the command line asked for it.
#[derive(Debug, Clone)]
pub struct Request {
    pub from: String,
    pub to: String,
    /// Where handoff runs: the project directory, or a folder inside it.
    pub here: String,
    /// A full id or a unique prefix; `None`: the latest session of the project.
    pub session_id: Option<String>,
    pub action: Action,
    pub redact: bool,
    /// The context budget in estimated tokens; `None`: everything.
    pub max_tokens: Option<usize>,
}

/// What becomes of the converted transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A new session of the target, verified and recorded in the history.
    Write,
    /// What would be written, and nothing is; with a format, the transcript in it as well.
    DryRun { preview: Option<Format> },
    /// The transcript in a format instead of a session (`--no-inject`).
    Print(Format),
}

/// What happened, for people (the command's lines) and scripts (`--json`, this shape).
#[derive(Debug, Serialize)]
pub struct Report {
    /// The project the source session was found for.
    pub project: String,
    pub source: SourceReport,
    /// The session written (or that would be); `None` when the transcript was printed instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetReport>,
    pub redactions: usize,
    pub redactions_by_kind: BTreeMap<String, usize>,
    pub skipped_lines: usize,
    /// Records of kinds the source's reader does not know, passed over as its client does.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_records: BTreeMap<String, usize>,
    pub sidechains: usize,
    pub budget: BudgetReport,
    /// Tool calls given the interrupted result, and results kept as text.
    pub normalized: Normalized,
    pub messages_written: usize,
    #[serde(skip)]
    pub user_messages: usize,
    #[serde(skip)]
    pub assistant_messages: usize,
    pub dry_run: bool,
    pub warnings: Vec<String>,
    /// The transcript in the asked format (`Print`, or `DryRun` with a preview).
    #[serde(skip)]
    pub rendered: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SourceReport {
    pub agent: String,
    #[serde(skip)]
    pub display_name: String,
    pub session_id: String,
    pub path: Option<String>,
    pub messages: usize,
    #[serde(skip)]
    pub span_ms: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub agent: String,
    #[serde(skip)]
    pub display_name: String,
    pub session_id: String,
    pub path: String,
    /// The directory the target resumes in.
    pub cwd: String,
    /// `cd <cwd> && <the target's resume command>`; empty when the target has none.
    pub resume_command: String,
}

/// Progress as it happens, before the report: a long transfer says what it found first.
pub enum Progress<'a> {
    Found(&'a SourceReport, &'a str),
    Converted {
        redactions: &'a RedactionCounts,
        budget: &'a BudgetReport,
        normalized: &'a Normalized,
        skipped_lines: usize,
        unknown_records: &'a BTreeMap<String, usize>,
    },
    Warning(&'a str),
}

/// Runs a transfer. Both agents must be registered already (the command loads plugins first).
pub fn run(
    request: &Request,
    config: &Config,
    registry: &Registry,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    let source_agent = registry.get(&request.from)?;
    let target = registry.get(&request.to)?;
    let target_home = config.agent_home(&request.to);

    let (project, Source { extracted }, redactor) = extract_with_rules(
        source_agent,
        config,
        &request.here,
        request.session_id.as_deref(),
        request.redact,
    )?;
    let Extracted {
        mut transcript,
        report: mut extract_report,
    } = extracted;
    let mut warnings = Vec::new();
    let mut warn = |text: String, progress: &mut dyn FnMut(Progress)| {
        progress(Progress::Warning(&text));
        warnings.push(text);
    };

    let source = SourceReport {
        agent: request.from.clone(),
        display_name: source_agent.info.display_name.clone(),
        session_id: transcript.session.id.clone(),
        path: transcript.session.source_path.clone(),
        messages: transcript.messages.len(),
        span_ms: transcript
            .session
            .created_ms
            .zip(transcript.session.updated_ms)
            .map(|(created, updated)| updated - created),
    };
    progress(Progress::Found(&source, &project));
    for warning in std::mem::take(&mut extract_report.warnings) {
        warn(warning, progress);
    }

    let mut plan = plan(&transcript, request.max_tokens);
    let redactions = match &redactor {
        Some(redactor) => redact(&mut transcript, redactor, &mut plan),
        None => {
            warn(
                "secret redaction is off: the new session may contain credentials".into(),
                progress,
            );
            RedactionCounts::default()
        }
    };
    let budget = fit(&mut transcript, plan);
    let normalized = normalize(&mut transcript);
    // A kind is the source file's text like any other: printed only redacted.
    let unknown_records: BTreeMap<String, usize> =
        std::mem::take(&mut extract_report.unknown_records)
            .into_iter()
            .map(|(kind, n)| match &redactor {
                Some(redactor) => (
                    redactor
                        .redact_text(&kind, &mut RedactionCounts::default())
                        .into_owned(),
                    n,
                ),
                None => (kind, n),
            })
            .collect();
    progress(Progress::Converted {
        redactions: &redactions,
        budget: &budget,
        normalized: &normalized,
        skipped_lines: extract_report.skipped_lines,
        unknown_records: &unknown_records,
    });

    // The target resumes where the conversation happened, wherever handoff was run from.
    let cwd = recorded_dir(&transcript).unwrap_or_else(|| project.clone());
    let (users, assistants) = role_counts(&transcript);
    let mut report = Report {
        project,
        source,
        target: None,
        redactions: redactions.total(),
        redactions_by_kind: redactions.by_kind,
        skipped_lines: extract_report.skipped_lines,
        unknown_records,
        sidechains: extract_report.sidechains,
        budget,
        normalized,
        messages_written: transcript.messages.len(),
        user_messages: users,
        assistant_messages: assistants,
        dry_run: !matches!(request.action, Action::Write),
        warnings: Vec::new(),
        rendered: None,
    };

    match request.action {
        // Printing is the last use of the transcript: it goes to the target whole.
        Action::Print(format) => {
            let (transcript, sidechains) = (Cow::Owned(transcript), report.sidechains);
            let rendered = render(target, target_home, &cwd, format, transcript, sidechains)?;
            report.rendered = Some(rendered);
            report.warnings = warnings;
            return Ok(report);
        }
        Action::DryRun {
            preview: Some(format),
        } => {
            let (transcript, sidechains) = (Cow::Borrowed(&transcript), report.sidechains);
            let home = target_home.clone();
            let rendered = render(target, home, &cwd, format, transcript, sidechains)?;
            report.rendered = Some(rendered);
        }
        Action::DryRun { preview: None } | Action::Write => {}
    }

    let mode = match request.action {
        Action::Write => InjectMode::Write,
        _ => InjectMode::Plan,
    };
    // What the written session must read back as, taken before the transcript moves to the
    // target.
    let meant = (mode == InjectMode::Write).then(|| Fingerprint::of(&transcript));
    let injected = inject(target, target_home.clone(), &cwd, mode, transcript)?;
    for warning in &injected.warnings {
        warn(warning.clone(), progress);
    }
    if let Some(meant) = meant {
        let record = || {
            Record::new(
                Endpoint {
                    agent: request.from.clone(),
                    session_id: report.source.session_id.clone(),
                    path: report.source.path.clone(),
                },
                Endpoint {
                    agent: request.to.clone(),
                    session_id: injected.session_id.clone(),
                    path: Some(injected.path.clone()),
                },
                &injected,
            )
        };
        let record = commit(
            target,
            target_home.as_deref(),
            &cwd,
            &injected,
            &meant,
            record,
        )?;
        if let Err(e) = history::append(&record) {
            warn(
                format!("{e:#} (undo will not know this transfer)"),
                progress,
            );
        }
    }
    report.target = Some(TargetReport {
        agent: request.to.clone(),
        display_name: target.info.display_name.clone(),
        resume_command: resume_line(&cwd, &injected),
        session_id: injected.session_id,
        path: injected.path,
        cwd,
    });
    report.warnings = warnings;
    Ok(report)
}

/// Keeps a written session only if it lies inside the target's home and reads back as meant;
/// otherwise removes it and fails. Its history record (the written files' hashes) is made while
/// it is read back.
fn commit(
    target: &Agent,
    home: Option<&str>,
    cwd: &str,
    injected: &Injected,
    meant: &Fingerprint,
    record: impl FnOnce() -> Result<Record> + Send,
) -> Result<Record> {
    crate::written::check_inside(target, home, injected)?;
    let (verified, record) = std::thread::scope(|scope| {
        let record = scope.spawn(record);
        let verified = verify(target, home.map(str::to_owned), cwd, injected, meant);
        let record = record
            .join()
            .unwrap_or_else(|_| Err(anyhow!("hashing the written files crashed")));
        (verified, record)
    });
    if let Err(e) = verified {
        let cleanup = crate::written::remove(target, home, injected)
            .err()
            .map(|c| format!(" (and removing it failed: {c:#})"))
            .unwrap_or_default();
        bail!("the written session did not read back as meant, removed it{cleanup}: {e:#}");
    }
    record
}

/// The source session (see [`extract_nearest`]) and, when `redact`, the redaction rules,
/// compiled on another thread while the source is read.
fn extract_with_rules(
    agent: &Agent,
    config: &Config,
    here: &str,
    session_id: Option<&str>,
    redact: bool,
) -> Result<(String, Source, Option<Redactor>)> {
    let (found, redactor) = std::thread::scope(|scope| {
        let redactor = redact.then(|| scope.spawn(|| redactor(&config.redaction.patterns)));
        let found = extract_nearest(agent, config.agent_home(agent.name()), here, session_id);
        let redactor = redactor.map(|building| {
            building
                .join()
                .unwrap_or_else(|_| Err(anyhow!("compiling the redaction rules crashed")))
        });
        (found, redactor)
    });
    let (project, source) = found?;
    Ok((project, source, redactor.transpose()?))
}

/// One session to look at (`handoff show`): the same source and redaction as a transfer.
#[derive(Debug, Clone)]
pub struct ShowRequest {
    pub agent: String,
    /// Where handoff runs: the project directory, or a folder inside it.
    pub here: String,
    /// A full id or a unique prefix; `None`: the latest session of the project.
    pub session_id: Option<String>,
    pub redact: bool,
}

/// The session `show` prints, redacted, and what the reader noticed about it.
pub struct Shown {
    pub transcript: Transcript,
    pub sidechains: usize,
    pub warnings: Vec<String>,
}

/// Reads and redacts one session, everything of it (no budget: nothing is written).
pub fn read(request: &ShowRequest, config: &Config, registry: &Registry) -> Result<Shown> {
    let agent = registry.get(&request.agent)?;
    let (_, Source { mut extracted }, redactor) = extract_with_rules(
        agent,
        config,
        &request.here,
        request.session_id.as_deref(),
        request.redact,
    )?;
    let mut warnings = std::mem::take(&mut extracted.report.warnings);
    match &redactor {
        Some(redactor) => {
            let mut everything = plan(&extracted.transcript, None);
            redact(&mut extracted.transcript, redactor, &mut everything);
        }
        None => warnings.push("secret redaction is off: the output may contain credentials".into()),
    }
    Ok(Shown {
        transcript: extracted.transcript,
        sidechains: extracted.report.sidechains,
        warnings,
    })
}

/// The transcript as `--format` asks: readable Markdown or HTML, the transcript model, or the
/// target's own format.
fn render(
    target: &Agent,
    home: Option<String>,
    cwd: &str,
    format: Format,
    transcript: Cow<'_, Transcript>,
    sidechains: usize,
) -> Result<String> {
    Ok(match format {
        Format::Markdown => crate::render::markdown(&transcript),
        Format::Html => crate::render::html(&transcript, sidechains),
        Format::Json => serde_json::to_string_pretty(&transcript)? + "\n",
        Format::Native => {
            // A borrowed transcript is still to be planned after: the target renders a copy.
            let transcript = transcript.into_owned();
            let rendered = inject(target, home, cwd, InjectMode::Render, transcript)?;
            rendered.rendered.unwrap_or_default()
        }
    })
}

/// The command a user types to resume, from the directory the session belongs to.
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

fn role_counts(transcript: &Transcript) -> (usize, usize) {
    let count = |role| {
        transcript
            .messages
            .iter()
            .filter(|m| m.role == role)
            .count()
    };
    (count(Role::User), count(Role::Assistant))
}

#[cfg(test)]
pub(crate) mod test_transcript {
    use handoff_plugin_api::{Message, Part, Role, SessionMeta, Transcript};

    pub fn transcript(parts: Vec<Vec<Part>>) -> Transcript {
        let messages = parts
            .into_iter()
            .enumerate()
            .map(|(i, parts)| {
                let role = if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                };
                Message::new(role, parts)
            })
            .collect();
        Transcript::new(SessionMeta::default(), messages)
    }

    pub fn text(t: &str) -> Part {
        Part::Text { text: t.into() }
    }
}
