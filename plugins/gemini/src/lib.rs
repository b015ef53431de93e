//! The Gemini CLI adapter: sessions are `<home>/tmp/<project slug>/chats/session-*.jsonl` files,
//! the slug told by the project registry `<home>/projects.json`; Gemini CLI 0.61.0 resumes what
//! this writes with `gemini --resume <id>`.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod list;
mod paths;
mod project;
mod read;
mod tools;
mod write;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::{expand_tilde, physical, write_new_file};
use handoff_adapter_kit::listing::Unchanged;
use handoff_adapter_kit::report;
use handoff_adapter_kit::time::now_ms;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractReport, ExtractRequest,
    Extracted, InjectMode, InjectRequest, Injected, ListRequest, SessionSummary, Written,
    ffi::AdapterModuleRef,
};
use std::path::Path;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<GeminiAdapter>()
}

#[derive(Default)]
pub struct GeminiAdapter;

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["0.61.0"];

impl Adapter for GeminiAdapter {
    fn name(&self) -> &str {
        "gemini"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "gemini".into(),
            display_name: "Gemini CLI".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: paths::home(None).display().to_string(),
            resume_command: Some("gemini --resume {id}".into()),
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
        let file = requested_file(
            "gemini",
            &home,
            &request,
            |id| list::find_by_id(&home, id),
            |cwd| list::latest_for(&home, cwd),
        )?;
        extract_file(&file)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let home = paths::home(request.home.as_deref());
        let cwd = physical(&expand_tilde(&request.cwd)).display().to_string();
        let session_id = uuid::Uuid::new_v4().to_string();
        let now = now_ms();
        let name = write::file_name(&session_id, now);
        let planned = project::registered_dir(&home, &cwd);
        let mut injected = Injected {
            resume_command: format!("gemini --resume {session_id}"),
            path: paths::chats_dir(&planned.unwrap_or_else(|| paths::tmp_dir(&home).join("…")))
                .join(&name)
                .display()
                .to_string(),
            session_id,
            ..Injected::default()
        };
        if request.mode == InjectMode::Plan {
            return Ok(injected);
        }
        let rendered = write::render(
            &request.transcript,
            &injected.session_id,
            &paths::project_hash(&cwd),
            write::configured_model(&home),
        )
        .ok_or_else(|| AdapterError::invalid("gemini: the transcript has nothing to write"))?;
        if request.mode == InjectMode::Render {
            injected.rendered = Some(rendered);
            return Ok(injected);
        }
        // Registering the project first, as the client does before it writes a session; the
        // markers it makes are the transfer's too, for undo (the registry entry stays: the
        // client makes markers again for an entry without them).
        let project = project::ensure_dir(&home, &cwd)?;
        let path = paths::chats_dir(&project.dir).join(&name);
        write_new_file(&home, &path, rendered.as_bytes())?;
        injected.path = path.display().to_string();
        injected.written = std::iter::once(&path)
            .chain(&project.new_markers)
            .map(|path| Written::File {
                path: path.display().to_string(),
            })
            .collect();
        Ok(injected)
    }
}

/// One session file as a transcript.
fn extract_file(file: &Path) -> AdapterResult<Extracted> {
    let lines = read::read_lines(file).map_err(|e| AdapterError::io(file.display(), e))?;
    let mut report = ExtractReport {
        skipped_lines: lines.skipped,
        ..ExtractReport::default()
    };
    let session = read::session(lines.rows);
    if session.meta.session_id.0.is_none() && session.messages.is_empty() {
        return Err(AdapterError::invalid(format!(
            "{}: no Gemini CLI session record in this file",
            file.display()
        )));
    }
    let kinds = session.messages.iter().filter_map(|m| m.kind.as_deref());
    report::count_unknown(&mut report, kinds, read::KNOWN_MESSAGES);
    let mut transcript = read::transcript(session, "");
    transcript.session.source_path = Some(file.display().to_string());
    transcript.session.cwd = file
        .parent()
        .and_then(Path::parent)
        .and_then(project::marker_owner);
    Ok(Extracted { transcript, report })
}
