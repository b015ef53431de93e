//! The OpenAI Codex adapter: reads every rollout generation Codex has written (plain or
//! `.jsonl.zst`), and writes rollouts Codex 0.169 resumes by id and, through its thread index, by
//! `resume --last`.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod list;
mod paths;
mod read;
mod rollout;
mod state_db;
mod tools;
mod write;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::expand_tilde;
use handoff_adapter_kit::listing::Unchanged;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractReport, ExtractRequest,
    Extracted, InjectRequest, Injected, ListRequest, SessionSummary, Written,
    ffi::AdapterModuleRef,
};
use std::path::{Path, PathBuf};

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<CodexAdapter>()
}

#[derive(Default)]
pub struct CodexAdapter;

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["0.169.0", "0.171.0"];

impl Adapter for CodexAdapter {
    fn name(&self) -> &str {
        "codex"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "codex".into(),
            display_name: "OpenAI Codex".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: paths::home(None).display().to_string(),
            resume_command: Some("codex resume {id}".into()),
            verified_clients: VERIFIED_CLIENTS.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let home = paths::home(request.home.as_deref());
        let cwd = request.cwd.as_deref().map(expand_tilde);
        list::sessions(
            &home,
            cwd.as_deref(),
            request.limit,
            &Unchanged::new(&request.unchanged),
        )
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let home = paths::home(request.home.as_deref());
        let path = requested_file(
            "codex",
            &home,
            &request,
            |id| list::find_by_id(&home, id),
            |cwd| list::latest_for(&home, cwd),
        )?;
        extract_file(&path)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        write::inject(&request)
    }

    fn call(&self, method: &str, request: serde_json::Value) -> AdapterResult<serde_json::Value> {
        match method {
            "remove" => remove(request),
            _ => Err(AdapterError::unsupported(format!(
                "codex: unknown method {method:?}"
            ))),
        }
    }
}

/// One rollout file as a transcript.
fn extract_file(path: &Path) -> AdapterResult<Extracted> {
    let bytes = rollout::load(path)?;
    let mut parsed = rollout::parse(&bytes);
    if parsed.records.is_empty() {
        return Err(AdapterError::invalid(format!(
            "{}: no Codex rollout line in this file",
            path.display()
        )));
    }
    let fallback_id = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(paths::id_from_file_name)
        .unwrap_or_default();
    let (mut transcript, _) = read::transcript(&parsed, &fallback_id);
    transcript.session.source_path = Some(path.display().to_string());
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok());
    transcript.session.updated_ms = modified.or(transcript.session.updated_ms);
    Ok(Extracted {
        transcript,
        report: ExtractReport {
            skipped_lines: parsed.skipped,
            unknown_records: std::mem::take(&mut parsed.unknown_types),
            ..ExtractReport::default()
        },
    })
}

/// `call("remove", <Injected>)`: deletes the thread rows that inject wrote (the host removes files).
fn remove(request: serde_json::Value) -> AdapterResult<serde_json::Value> {
    let injected: Injected = serde_json::from_value(request)
        .map_err(|e| AdapterError::invalid(format!("codex: remove: bad request: {e}")))?;
    let mut removed = 0;
    for written in &injected.written {
        if let Written::Rows { path, table, ids } = written {
            if table != state_db::TABLE {
                return Err(AdapterError::invalid(format!(
                    "{path}: codex writes no rows to table {table:?}"
                )));
            }
            removed += state_db::remove(&PathBuf::from(path), ids)?;
        }
    }
    Ok(serde_json::json!({ "removed": removed }))
}
