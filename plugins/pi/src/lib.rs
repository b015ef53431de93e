//! The pi adapter: sessions are `<agent dir>/sessions/--<cwd>--/<time>_<id>.jsonl` entry trees;
//! pi 1.6.0 resumes what this writes with `pi --session <id>`.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod list;
mod paths;
mod read;
mod tools;
mod write;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::{expand_tilde, physical, write_new_file};
use handoff_adapter_kit::listing::Unchanged;
use handoff_adapter_kit::report;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectMode, InjectRequest, Injected, ListRequest, SessionSummary, Written,
    ffi::AdapterModuleRef,
};
use paths::Layout;
use std::path::Path;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<PiAdapter>()
}

#[derive(Default)]
pub struct PiAdapter;

/// The agent folder and the session layout of a request's home.
fn layout(home: Option<&str>) -> (std::path::PathBuf, Layout) {
    let configured = home.is_some_and(|h| !h.is_empty());
    let agent_dir = paths::agent_dir(home);
    let layout = Layout::of(&agent_dir, configured);
    (agent_dir, layout)
}

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["1.6.0"];

impl Adapter for PiAdapter {
    fn name(&self) -> &str {
        "pi"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "pi".into(),
            display_name: "pi".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: paths::agent_dir(None).display().to_string(),
            resume_command: Some("pi --session {id}".into()),
            verified_clients: VERIFIED_CLIENTS.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let (_, layout) = layout(request.home.as_deref());
        let cwd = request
            .cwd
            .as_deref()
            .map(|cwd| physical(&expand_tilde(cwd)).display().to_string());
        Ok(list::sessions(
            &layout,
            cwd.as_deref(),
            request.limit,
            &Unchanged::new(&request.unchanged),
        ))
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let (_, layout) = layout(request.home.as_deref());
        // A found file must lie in the sessions folder (which the user may have moved out of the
        // agent folder).
        let file = requested_file(
            "pi",
            layout.root(),
            &request,
            |id| list::find_by_id(&layout, id),
            |cwd| list::latest_for(&layout, cwd),
        )?;
        extract_file(&file)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let (agent_dir, layout) = layout(request.home.as_deref());
        let cwd = physical(&expand_tilde(&request.cwd)).display().to_string();
        let session_id = uuid::Uuid::now_v7().to_string();
        let model = write::Model::configured(paths::settings(&agent_dir).as_ref());
        let rendered = write::render(&request.transcript, &session_id, &cwd, model);
        let dir = layout.dir_for(&cwd);
        let name = rendered.as_ref().map_or_else(
            || format!("{session_id}.jsonl"),
            |r| paths::file_name(&r.timestamp, &session_id),
        );
        let path = dir.join(name);
        let mut injected = Injected {
            resume_command: format!("pi --session {session_id}"),
            path: path.display().to_string(),
            session_id,
            ..Injected::default()
        };
        if request.mode == InjectMode::Plan {
            return Ok(injected);
        }
        let rendered = rendered
            .ok_or_else(|| AdapterError::invalid("pi: the transcript has nothing to write"))?;
        if request.mode == InjectMode::Render {
            injected.rendered = Some(rendered.text);
            return Ok(injected);
        }
        write_new_file(layout.root(), &path, rendered.text.as_bytes())?;
        injected.written = vec![Written::File {
            path: injected.path.clone(),
        }];
        Ok(injected)
    }
}

/// One session file as a transcript.
fn extract_file(file: &Path) -> AdapterResult<Extracted> {
    let lines = read::read_entries(file).map_err(|e| AdapterError::io(file.display(), e))?;
    let report = report::of_lines(&lines, |entry| entry.kind.as_deref(), read::KNOWN_ENTRIES);
    let session = read::session(lines.rows).ok_or_else(|| {
        AdapterError::invalid(format!(
            "{}: no pi session header on its first line",
            file.display()
        ))
    })?;
    let mut transcript = read::transcript(session);
    transcript.session.source_path = Some(file.display().to_string());
    Ok(Extracted { transcript, report })
}
