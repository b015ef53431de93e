//! The Qwen Code adapter: sessions are `<runtime>/projects/<project key>/chats/<id>.jsonl` chains
//! of records holding genai contents; Qwen Code 0.24.4 resumes what this writes with
//! `qwen --resume <id>`.
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
use handoff_adapter_kit::version;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectMode, InjectRequest, Injected, ListRequest, SessionSummary, Written,
    ffi::AdapterModuleRef,
};
use std::path::Path;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<QwenAdapter>()
}

#[derive(Default)]
pub struct QwenAdapter;

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["0.24.4"];

/// The Qwen Code version that wrote the newest session on this machine.
fn newest_claimed_version(home: &Path) -> Option<String> {
    let newest = list::all_files(home).into_iter().next()?;
    version::claimed_in(&newest.path, |record| record.get("version")?.as_str())
}

impl Adapter for QwenAdapter {
    fn name(&self) -> &str {
        "qwen"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "qwen".into(),
            display_name: "Qwen Code".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: paths::home(None).display().to_string(),
            resume_command: Some("qwen --resume {id}".into()),
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
            "qwen",
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
        let path = paths::chats_dir(&home, &cwd).join(format!("{session_id}.jsonl"));
        let mut injected = Injected {
            resume_command: format!("qwen --resume {session_id}"),
            path: path.display().to_string(),
            session_id,
            ..Injected::default()
        };
        if request.mode == InjectMode::Plan {
            return Ok(injected);
        }
        // A home handoff was told of holds the settings too; else the client's config home.
        let settings_home = match request.home.as_deref().filter(|h| !h.is_empty()) {
            Some(_) => home.clone(),
            None => paths::config_home(),
        };
        let model = write::configured_model(paths::settings(&settings_home));
        let version = version::stamp(newest_claimed_version(&home), VERIFIED_CLIENTS);
        let rendered = write::render(
            &request.transcript,
            &injected.session_id,
            &cwd,
            &version,
            model,
        )
        .ok_or_else(|| AdapterError::invalid("qwen: the transcript has nothing to write"))?;
        if request.mode == InjectMode::Render {
            injected.rendered = Some(rendered);
            return Ok(injected);
        }
        write_new_file(&home, &path, rendered.as_bytes())?;
        injected.written = vec![Written::File {
            path: injected.path.clone(),
        }];
        Ok(injected)
    }
}

/// One session file as a transcript.
fn extract_file(file: &Path) -> AdapterResult<Extracted> {
    let lines = read::read_records(file).map_err(|e| AdapterError::io(file.display(), e))?;
    let report = report::of_lines(&lines, |record| record.kind.as_deref(), read::KNOWN_RECORDS);
    let id = file
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let chain = read::chain(lines.rows.into_iter().map(|(_, record)| record).collect());
    if chain.is_empty() {
        return Err(AdapterError::invalid(format!(
            "{}: no Qwen Code record in this file",
            file.display()
        )));
    }
    let mut transcript = read::transcript(chain, &id);
    transcript.session.source_path = Some(file.display().to_string());
    Ok(Extracted { transcript, report })
}
