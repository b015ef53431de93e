//! The GitHub Copilot CLI adapter: sessions are `<home>/session-state/<uuid>/` folders holding
//! `events.jsonl` and `workspace.yaml`; Copilot CLI 1.0.102 resumes what this writes with
//! `copilot --resume <id>`.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod list;
mod paths;
mod read;
mod tools;
mod workspace;
mod write;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::{expand_tilde, physical, write_new_file};
use handoff_adapter_kit::listing::Unchanged;
use handoff_adapter_kit::report;
use handoff_adapter_kit::version;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectMode, InjectRequest, Injected, ListRequest, SessionSummary, Written,
    ffi::AdapterModuleRef,
};
use std::path::Path;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<CopilotAdapter>()
}

#[derive(Default)]
pub struct CopilotAdapter;

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["1.0.102"];

/// The Copilot version that started the newest session on this machine.
fn newest_claimed_version(home: &Path) -> Option<String> {
    let newest = list::folders(home).into_iter().next()?;
    version::claimed_in(&newest.events, |event| {
        (event.get("type")?.as_str()? == "session.start")
            .then(|| event.get("data")?.get("copilotVersion")?.as_str())?
    })
}

impl Adapter for CopilotAdapter {
    fn name(&self) -> &str {
        "copilot"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "copilot".into(),
            display_name: "GitHub Copilot CLI".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: paths::home(None).display().to_string(),
            resume_command: Some("copilot --resume {id}".into()),
            verified_clients: VERIFIED_CLIENTS.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let home = paths::home(request.home.as_deref());
        let cwd = request.cwd.as_deref().map(expand_tilde);
        Ok(list::sessions(
            &home,
            cwd.as_deref(),
            request.limit,
            &Unchanged::new(&request.unchanged),
        ))
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let home = paths::home(request.home.as_deref());
        let events = requested_file(
            "copilot",
            &home,
            &request,
            |id| list::find_by_id(&home, id).map(|folder| folder.events),
            |cwd| list::latest_for(&home, cwd).map(|folder| folder.events),
        )?;
        extract_file(&events)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let home = paths::home(request.home.as_deref());
        let cwd = physical(&expand_tilde(&request.cwd)).display().to_string();
        let session_id = uuid::Uuid::new_v4().to_string();
        let dir = paths::session_dir(&home, &session_id);
        let events_path = dir.join(paths::EVENTS);
        let mut injected = Injected {
            resume_command: format!("copilot --resume {session_id}"),
            path: events_path.display().to_string(),
            session_id,
            ..Injected::default()
        };
        if request.mode == InjectMode::Plan {
            return Ok(injected);
        }
        let version = version::stamp(newest_claimed_version(&home), VERIFIED_CLIENTS);
        let rendered = write::render(&request.transcript, &injected.session_id, &cwd, &version)
            .ok_or_else(|| AdapterError::invalid("copilot: the transcript has nothing to write"))?;
        if request.mode == InjectMode::Render {
            injected.rendered = Some(rendered.events);
            return Ok(injected);
        }
        if dir.exists() {
            return Err(AdapterError::invalid(format!(
                "{}: already exists; refusing to write over a session",
                dir.display()
            )));
        }
        write_new_file(&home, &events_path, rendered.events.as_bytes())?;
        let workspace_path = dir.join(paths::WORKSPACE);
        if let Err(error) = write_new_file(&home, &workspace_path, rendered.workspace.as_bytes()) {
            // Nothing half-written: the session is both files or neither.
            let _ = std::fs::remove_file(&events_path);
            let _ = std::fs::remove_dir(&dir);
            return Err(error);
        }
        injected.written = vec![
            Written::File {
                path: injected.path.clone(),
            },
            Written::File {
                path: workspace_path.display().to_string(),
            },
        ];
        Ok(injected)
    }
}

/// One session's event log as a transcript.
fn extract_file(events: &Path) -> AdapterResult<Extracted> {
    let lines = read::read_events(events).map_err(|e| AdapterError::io(events.display(), e))?;
    if !lines
        .rows
        .iter()
        .any(|(_, event)| event.kind.as_deref().is_some_and(|k| k.contains('.')))
    {
        return Err(AdapterError::invalid(format!(
            "{}: no Copilot CLI event in this file",
            events.display()
        )));
    }
    let dir = events.parent().map(Path::to_path_buf).unwrap_or_default();
    let id = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let title = std::fs::read_to_string(dir.join(paths::WORKSPACE))
        .ok()
        .and_then(|text| workspace::parse(&text).remove("name"))
        .filter(|name| !name.is_empty());
    let mut transcript = read::transcript(&lines.rows, &id, title);
    transcript.session.source_path = Some(events.display().to_string());
    let report = report::of_lines(&lines, |event| event.kind.as_deref(), read::KNOWN_EVENTS);
    Ok(Extracted { transcript, report })
}
