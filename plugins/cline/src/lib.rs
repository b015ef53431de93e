//! The Cline adapter: Cline 3.x sessions are `<data>/sessions/<id>/<id>.messages.json` beside a
//! manifest, indexed in `<data>/db/sessions.db`; Cline 3.0.65 resumes what this writes with
//! `cline --id <id>`. Older Cline task folders (`api_conversation_history.json`) are read too.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod db;
mod list;
mod paths;
mod read;
mod tools;
mod write;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::{expand_tilde, physical, write_new_file};
use handoff_adapter_kit::listing::Unchanged;
use handoff_adapter_kit::report;
use handoff_adapter_kit::sqlite::written_databases;
use handoff_adapter_kit::version;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractReport, ExtractRequest,
    Extracted, InjectMode, InjectRequest, Injected, ListRequest, Remove, SessionMeta,
    SessionSummary, Written, ffi::AdapterModuleRef,
};
use paths::Store;
use std::path::{Path, PathBuf};

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<ClineAdapter>()
}

#[derive(Default)]
pub struct ClineAdapter;

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["3.0.65"];

/// The Cline version that wrote the newest session on this machine (its manifest says).
fn newest_claimed_version(store: &Store) -> Option<String> {
    let newest = list::candidates(store)
        .into_iter()
        .find_map(|c| paths::manifest_of(&c.path))?;
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(newest).ok()?).ok()?;
    let origin = manifest.get("metadata")?.get("sessionHistoryOrigin")?;
    origin.get("version")?.as_str().map(str::to_owned)
}

impl Adapter for ClineAdapter {
    fn name(&self) -> &str {
        "cline"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "cline".into(),
            display_name: "Cline".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: Store::of(None).home.display().to_string(),
            resume_command: Some("cline --id {id}".into()),
            verified_clients: VERIFIED_CLIENTS.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let store = Store::of(request.home.as_deref());
        let cwd = request
            .cwd
            .as_deref()
            .map(|cwd| physical(&expand_tilde(cwd)).display().to_string());
        Ok(list::sessions(
            &store,
            cwd.as_deref(),
            request.limit,
            &Unchanged::new(&request.unchanged),
        ))
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let store = Store::of(request.home.as_deref());
        // A found file must lie in the folder it was found in (the sessions folder or an older
        // task folder): `list` checks it against that one.
        let file = requested_file(
            "cline",
            Path::new("/"),
            &request,
            |id| list::find_by_id(&store, id),
            |cwd| list::latest_for(&store, cwd),
        )?;
        extract_file(&file)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let store = Store::of(request.home.as_deref());
        let cwd = physical(&expand_tilde(&request.cwd)).display().to_string();
        let session_id = write::new_session_id();
        let dir = store.session_dir(&session_id);
        let messages_path = paths::messages_file(&dir, &session_id);
        let manifest_path = dir.join(format!("{session_id}.json"));
        let mut injected = Injected {
            resume_command: format!("cline --id {session_id}"),
            path: messages_path.display().to_string(),
            session_id: session_id.clone(),
            ..Injected::default()
        };
        if request.mode == InjectMode::Plan {
            return Ok(injected);
        }
        let providers = std::fs::read(store.data.join("settings").join("providers.json")).ok();
        let model = write::Model::configured(
            providers.as_deref(),
            request.transcript.session.model.as_deref(),
        );
        let version = version::stamp(newest_claimed_version(&store), VERIFIED_CLIENTS);
        let rendered = write::render(
            &request.transcript,
            &session_id,
            &cwd,
            &version,
            &model,
            &injected.path,
        )
        .ok_or_else(|| AdapterError::invalid("cline: the transcript has nothing to write"))?;
        if request.mode == InjectMode::Render {
            injected.rendered = Some(rendered.messages_json);
            return Ok(injected);
        }
        write_new_file(
            &store.home,
            &messages_path,
            rendered.messages_json.as_bytes(),
        )?;
        let files = [messages_path, manifest_path];
        let written = write_new_file(&store.home, &files[1], rendered.manifest_json.as_bytes())
            .and_then(|()| {
                db::insert(
                    &store.db,
                    &db::Row {
                        session_id: &session_id,
                        started_at: &rendered.started_at,
                        ended_at: &rendered.ended_at,
                        provider: &model.provider,
                        model: &model.id,
                        cwd: &cwd,
                        prompt: &rendered.prompt,
                        metadata_json: &rendered.metadata_json,
                        messages_path: &injected.path,
                    },
                )
            });
        if let Err(e) = written {
            // Nothing half-written: the files go when the row could not be added.
            for file in &files {
                let _ = std::fs::remove_file(file);
            }
            let _ = std::fs::remove_dir(&dir);
            return Err(e);
        }
        injected.written = files
            .iter()
            .map(|file| Written::File {
                path: file.display().to_string(),
            })
            .chain([Written::Rows {
                path: store.db.display().to_string(),
                table: "sessions".into(),
                ids: vec![session_id],
            }])
            .collect();
        Ok(injected)
    }

    fn remove(&self, request: Remove) -> AdapterResult<serde_json::Value> {
        let mut removed = 0;
        for path in written_databases(&request.0.written) {
            removed += db::remove(path, &request.0.written)?;
        }
        Ok(serde_json::json!({ "removed": removed }))
    }
}

/// One conversation file as a transcript.
fn extract_file(file: &Path) -> AdapterResult<Extracted> {
    let bytes = std::fs::read(file).map_err(|e| AdapterError::io(file.display(), e))?;
    let conversation = read::conversation(&bytes).ok_or_else(|| {
        AdapterError::invalid(format!(
            "{}: not a Cline conversation (a JSON object with `messages`, or a list of messages)",
            file.display()
        ))
    })?;
    let id = conversation.session_id.clone().or_else(|| {
        let dir = file.parent()?.file_name()?.to_str()?;
        Some(dir.to_owned())
    });
    let candidate = list::Candidate {
        id: id.clone().unwrap_or_default(),
        path: file.to_path_buf(),
        root: PathBuf::new(),
        size: 0,
        modified_ms: 0,
    };
    let identity = list::identity(&candidate);
    let updated_ms = std::fs::metadata(file)
        .ok()
        .map(|meta| handoff_adapter_kit::listing::mtime_ms(&meta));
    let meta = SessionMeta {
        id: id.unwrap_or_default(),
        agent: "cline".into(),
        title: identity.title,
        cwd: identity.cwd,
        created_ms: identity.created_ms,
        updated_ms,
        model: identity.model,
        git_branch: None,
        source_path: Some(file.display().to_string()),
    };
    let mut report = ExtractReport::default();
    let blocks = conversation
        .messages
        .iter()
        .filter_map(|m| m.get("content").and_then(serde_json::Value::as_array))
        .flatten();
    let kinds = blocks.filter_map(|b| b.get("type").and_then(serde_json::Value::as_str));
    report::count_unknown(&mut report, kinds, read::KNOWN_BLOCKS);
    let (transcript, skipped_lines) = read::transcript(conversation, meta);
    Ok(Extracted {
        transcript,
        report: ExtractReport {
            skipped_lines,
            ..report
        },
    })
}
