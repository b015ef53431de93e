//! A third-party `handoff` plugin for [Aider](https://aider.chat): reads and writes the project's
//! `.aider.chat.history.md`. It is built against `handoff-plugin-api` alone, as any plugin would be;
//! see README.md for how to build and install it.
//!
//! - Sessions are the file's `# aider chat started at …` sections; a session's id is its start
//!   stamp (`20250131T140509`, `-2`, `-3`… for sections started in the same second).
//! - Extract: prompts are user text, replies assistant text (with aider's reasoning block as
//!   reasoning), aider's quoted notes assistant text, and each `> Running <command>` a shell call
//!   whose result is the notes after it (aider does not keep the command's output).
//! - Inject appends one section that `aider --restore-chat-history` restores (see `render`), and
//!   `call("remove", Injected)` takes it back (see `undo`).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod clock;
mod history;
mod location;
mod render;
mod undo;

use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ErrorKind, ExtractReport,
    ExtractRequest, Extracted, InjectMode, InjectRequest, Injected, ListRequest, SessionMeta,
    SessionSummary, Transcript, Written,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

use history::{History, Section};
use location::Location;

const NAME: &str = "aider";
/// How `Written::Rows` names what an inject adds to the history file.
const SECTION_TABLE: &str = "section";

#[derive(Debug, Default)]
pub struct AiderAdapter;

handoff_plugin_api::export_adapter!(AiderAdapter);

impl Adapter for AiderAdapter {
    fn name(&self) -> &str {
        NAME
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: NAME.into(),
            display_name: "Aider".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            // The project directory: aider keeps its history there.
            default_home: ".".into(),
            resume_command: Some("aider --restore-chat-history".into()),
            verified_clients: Vec::new(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let location = Location::find(request.home.as_deref(), request.cwd.as_deref())?;
        let Some(bytes) = read_if_exists(&location.file)? else {
            return Ok(Vec::new());
        };
        let history = History::parse(&bytes);
        let modified_ms = modified_ms(&location.file);
        let last = history.sections.len().saturating_sub(1);
        // One file, appended in order: newest is last.
        let rows = history
            .sections
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(index, section)| {
                let conversation = section.conversation();
                if conversation.messages.is_empty() {
                    // A launch of aider without a prompt.
                    return None;
                }
                Some(SessionSummary {
                    agent: NAME.into(),
                    session_id: section.id.clone(),
                    cwd: Some(location.project.display().to_string()),
                    title: conversation.title,
                    messages: conversation.messages.len(),
                    updated_ms: updated_ms(section, index == last, modified_ms),
                    created_ms: section.started_ms,
                    path: location.file.display().to_string(),
                    cached: false,
                    store: None,
                })
            })
            .take(request.limit.unwrap_or(usize::MAX))
            .collect();
        Ok(rows)
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let location = Location::find(request.home.as_deref(), request.cwd.as_deref())?;
        let (file, project) = match &request.path {
            Some(path) => {
                let file = PathBuf::from(path);
                let project = match &request.cwd {
                    Some(_) => location.project,
                    None => file.parent().map(Path::to_path_buf).unwrap_or_default(),
                };
                (file, project)
            }
            None => (location.file, location.project),
        };
        let Some(bytes) = read_if_exists(&file)? else {
            return Err(AdapterError::not_found(match &request.path {
                Some(path) => format!("{path}: no such file"),
                None => format!(
                    "no aider session for {} (looked in {})",
                    project.display(),
                    file.display()
                ),
            }));
        };
        let history = History::parse(&bytes);
        if history.sections.is_empty() {
            return Err(AdapterError::invalid(format!(
                "{}: not an aider chat history (no \"{}\" line)",
                file.display(),
                history::HEADER.trim_end()
            )));
        }
        let index = match &request.session_id {
            Some(id) => find(&history, id, &file)?,
            None => latest(&history),
        };
        let section = history
            .sections
            .get(index)
            .ok_or_else(|| AdapterError::internal("section index out of range"))?;
        let conversation = section.conversation();
        let is_last = index + 1 == history.sections.len();
        let session = SessionMeta {
            id: section.id.clone(),
            agent: NAME.into(),
            title: conversation.title,
            cwd: Some(project.display().to_string()),
            created_ms: section.started_ms,
            updated_ms: updated_ms(section, is_last, modified_ms(&file)),
            model: conversation.model,
            git_branch: None,
            source_path: Some(file.display().to_string()),
        };
        let mut report = ExtractReport {
            skipped_lines: section.skipped + if index == 0 { history.preamble } else { 0 },
            ..ExtractReport::default()
        };
        if conversation.messages.iter().any(|m| {
            m.parts.iter().any(
                |p| matches!(p, handoff_plugin_api::Part::ToolCall { name, .. } if name == history::SHELL),
            )
        }) && section.marker.is_none()
        {
            report.warnings.push(
                "aider does not keep the output of the shell commands it runs; their results hold aider's notes only".into(),
            );
        }
        Ok(Extracted {
            transcript: Transcript::new(session, conversation.messages),
            report,
        })
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let location = Location::find(request.home.as_deref(), Some(&request.cwd))?;
        let body = render::body(&request.transcript);
        if body.trim().is_empty() {
            return Err(AdapterError::invalid(format!(
                "{} session {}: nothing aider can show (no prompt, reply or tool call)",
                request.transcript.session.agent, request.transcript.session.id
            )));
        }
        let existing = read_if_exists(&location.file)?.unwrap_or_default();
        let history = History::parse(&existing);
        let stamp = clock::format_stamp(clock::now_ms());
        let session_id = history.next_id(&stamp);
        let section = undo::section(&stamp, &request.transcript.session, &body);
        let path = location.file.display().to_string();
        let mut injected = Injected {
            session_id: session_id.clone(),
            path: path.clone(),
            resume_command: location.resume_command(),
            written: Vec::new(),
            rendered: None,
            warnings: inject_warnings(&request.transcript, &history, &path),
        };
        match request.mode {
            InjectMode::Plan => {}
            InjectMode::Render => injected.rendered = Some(section),
            InjectMode::Write => {
                undo::append(&location.file, &section)?;
                // The section is a "row" of the history file: the host removes it through
                // `call("remove")`, never by deleting the file, which holds other sessions.
                injected.written.push(Written::Rows {
                    path,
                    table: SECTION_TABLE.into(),
                    ids: vec![session_id],
                });
            }
        }
        Ok(injected)
    }

    fn call(&self, method: &str, request: Value) -> AdapterResult<Value> {
        match method {
            "remove" => {
                let injected: Injected = serde_json::from_value(request)
                    .map_err(|e| AdapterError::invalid(format!("aider: remove: {e}")))?;
                let mut removed = Vec::new();
                for (path, id) in imported_sections(&injected) {
                    if undo::remove(Path::new(&path), &id)? {
                        removed.push(id);
                    }
                }
                Ok(json!({ "removed": removed }))
            }
            other => Err(AdapterError::unsupported(format!(
                "aider: unknown method {other:?}"
            ))),
        }
    }
}

/// What differs from resuming in the source agent.
fn inject_warnings(transcript: &Transcript, history: &History<'_>, path: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    let earlier = history
        .sections
        .iter()
        .filter(|s| !s.conversation().messages.is_empty())
        .count();
    if earlier > 0 {
        warnings.push(format!(
            "aider --restore-chat-history restores all of {path}: its {earlier} earlier session(s) come back too"
        ));
    }
    let has_calls = transcript
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .any(|p| matches!(p, handoff_plugin_api::Part::ToolCall { .. }));
    if has_calls {
        warnings.push(
            "tool calls are written as quoted lines, which aider keeps in the file but does not restore to the model".into(),
        );
    }
    warnings
}

/// The sections an inject wrote: its `Rows`, or its own id and path when the caller kept none.
fn imported_sections(injected: &Injected) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> = injected
        .written
        .iter()
        .filter_map(|w| match w {
            Written::Rows { path, table, ids } if table == SECTION_TABLE => Some((path, ids)),
            _ => None,
        })
        .flat_map(|(path, ids)| ids.iter().map(|id| (path.clone(), id.clone())))
        .collect();
    if rows.is_empty() {
        vec![(injected.path.clone(), injected.session_id.clone())]
    } else {
        rows
    }
}

fn read_if_exists(path: &Path) -> AdapterResult<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AdapterError::io(path.display(), e)),
    }
}

fn modified_ms(path: &Path) -> Option<i64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    clock::system_time_ms(modified)
}

/// The last section was active until the file last changed; earlier ones are dated by their start.
fn updated_ms(section: &Section<'_>, is_last: bool, modified_ms: Option<i64>) -> Option<i64> {
    if is_last {
        section.started_ms.max(modified_ms)
    } else {
        section.started_ms
    }
}

/// The most recent session that holds a conversation (every launch of aider starts a section,
/// most of them end without a prompt), else the last one.
fn latest(history: &History<'_>) -> usize {
    history
        .sections
        .iter()
        .rposition(|s| !s.conversation().messages.is_empty())
        .unwrap_or(history.sections.len().saturating_sub(1))
}

fn find(history: &History<'_>, id: &str, file: &Path) -> AdapterResult<usize> {
    if let Some(index) = history.sections.iter().position(|s| s.id == id) {
        return Ok(index);
    }
    let matches: Vec<usize> = (0..history.sections.len())
        .filter(|i| {
            history
                .sections
                .get(*i)
                .is_some_and(|s| s.id.starts_with(id))
        })
        .collect();
    match matches.as_slice() {
        [index] => Ok(*index),
        [] => Err(AdapterError::not_found(format!(
            "no aider session {id} in {}",
            file.display()
        ))),
        many => {
            let ids: Vec<&str> = many
                .iter()
                .filter_map(|i| history.sections.get(*i).map(|s| s.id.as_str()))
                .collect();
            Err(AdapterError::new(
                ErrorKind::Ambiguous,
                format!(
                    "aider session {id} is ambiguous in {}: {}",
                    file.display(),
                    ids.join(", ")
                ),
            ))
        }
    }
}

#[cfg(test)]
mod testdir;

#[cfg(test)]
mod tests;
