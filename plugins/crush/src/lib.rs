//! The Crush adapter: each project's sessions are in `<project>/.crush/crush.db` (SQLite, Crush's
//! own schema); Crush resumes what this writes with `crush --session <id>` run in the project.
//!
//! Read from Crush's source (charmbracelet/crush, commit 37f36e9 of 2026-08-21, after v0.90.0):
//! the schema and its migrations (`internal/db/migrations/`), the queries (`internal/db/sql/`),
//! the message parts (`internal/message/`), sessions (`internal/session/session.go`), where data
//! lives (`internal/config/load.go`, `internal/projects/projects.go`), the tools
//! (`internal/agent/tools/`), how the agent builds its context (`internal/agent/agent.go`) and
//! the CLI (`internal/cmd/root.go`, `run.go`). The client itself cannot be installed offline, so
//! no session here was written by it.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod config;
mod db;
mod list;
mod parts;
mod paths;
mod read;
mod schema;
mod tools;
mod write;

use handoff_adapter_kit::fs::{check_session_file, check_session_id, expand_tilde, physical};
use handoff_adapter_kit::sqlite::written_databases;
use handoff_adapter_kit::time::now_ms;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectMode, InjectRequest, Injected, ListRequest, Method, Remove, SessionSummary,
    ffi::AdapterModuleRef,
};
use list::Store;
use paths::Home;
use std::path::{Path, PathBuf};

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<CrushAdapter>()
}

#[derive(Default)]
pub struct CrushAdapter;

/// `crush --session <id>`, in the project: the interactive client continues the session
/// (`crush run --session <id> <prompt>` does one more turn headless).
fn resume_command(id: &str) -> String {
    format!("crush --session {id}")
}

/// The physical directory a request means: its `cwd`, else the current one.
fn request_dir(cwd: Option<&str>) -> AdapterResult<PathBuf> {
    match cwd {
        Some(cwd) => Ok(physical(&expand_tilde(cwd))),
        None => std::env::current_dir()
            .map(|dir| physical(&dir))
            .map_err(|e| AdapterError::io("current directory", e)),
    }
}

impl Adapter for CrushAdapter {
    const METHODS: &'static [&'static str] = &[Remove::NAME];

    fn name(&self) -> &str {
        "crush"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "crush".into(),
            display_name: "Crush".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: Home::of(None).dir.display().to_string(),
            resume_command: Some(resume_command("{id}")),
            verified_clients: Vec::new(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let home = Home::of(request.home.as_deref());
        let cwd = request
            .cwd
            .as_deref()
            .map(|cwd| physical(&expand_tilde(cwd)));
        list::sessions(&home, cwd.as_deref(), request.limit)
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let home = Home::of(request.home.as_deref());
        let (store, id) = if let Some(path) = request.path.as_deref() {
            let db = expand_tilde(path);
            check_session_file(None, &db)?;
            let store = Store::of_db(&db);
            let id = match request.session_id.as_deref() {
                Some(id) => {
                    check_session_id("crush", id)?;
                    id.to_owned()
                }
                None => list::latest_in(&store, &db.display())?,
            };
            (store, id)
        } else if let Some(wanted) = request.session_id.as_deref() {
            check_session_id("crush", wanted)?;
            let cwd = request.cwd.as_deref().map(|c| physical(&expand_tilde(c)));
            list::find_by_id(&home, cwd.as_deref(), wanted)?
        } else {
            let cwd = request_dir(request.cwd.as_deref())?;
            let (store, _) = list::store_for(&home, &cwd);
            let id = list::latest_in(&store, &cwd.display())?;
            (store, id)
        };
        check_session_file(None, &store.db)?;
        extract_session(&store, &id)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let home = Home::of(request.home.as_deref());
        let cwd = physical(&expand_tilde(&request.cwd));
        let (store, project) = list::store_for(&home, &cwd);
        let session_id = uuid::Uuid::new_v4().to_string();
        let session = write::build(
            &request.transcript,
            session_id.clone(),
            project.model.as_ref(),
            now_ms(),
        );
        let mut injected = Injected {
            resume_command: resume_command(&session_id),
            path: store.db.display().to_string(),
            session_id,
            ..Injected::default()
        };
        if request.mode == InjectMode::Plan {
            if store.db.is_file() {
                db::check_schema(&db::open_read(&store.db)?, &store.db)?;
            }
            return Ok(injected);
        }
        let session = session
            .ok_or_else(|| AdapterError::invalid("crush: the transcript has nothing to write"))?;
        if request.mode == InjectMode::Render {
            injected.rendered = Some(render(&session));
            return Ok(injected);
        }
        if !store.db.exists() {
            db::create(&project.data_dir, &store.db)?;
            ignore_data_dir(&project.data_dir);
        }
        injected.written = db::write(&store.db, &session, db::BUSY_TIMEOUT)?;
        Ok(injected)
    }

    fn remove(&self, request: Remove) -> AdapterResult<serde_json::Value> {
        let mut removed = 0;
        for path in written_databases(&request.0.written) {
            removed += db::remove(path, &request.0.written, db::BUSY_TIMEOUT)?;
        }
        Ok(serde_json::json!({ "removed": removed }))
    }
}

/// The `.gitignore` Crush puts in every data directory it uses, so that a database handoff
/// created first is not offered to git either. Best effort: the session is written without it.
fn ignore_data_dir(data_dir: &Path) {
    let path = data_dir.join(".gitignore");
    if !path.exists() {
        let _ = handoff_adapter_kit::fs::write_new_file(data_dir, &path, b"*\n");
    }
}

/// Session `id` of `store` as a transcript.
fn extract_session(store: &Store, id: &str) -> AdapterResult<Extracted> {
    let conn = db::open_read(&store.db)?;
    let (session, messages) = db::load(&conn, &store.db, id)?;
    let db_path = store.db.display().to_string();
    let project = store.project.display().to_string();
    let source = read::Source {
        db: &db_path,
        project: &project,
    };
    Ok(read::to_extracted(session, messages, &source))
}

/// The rows a session would be, as JSON (parts decoded for reading).
fn render(session: &db::NewSession) -> String {
    let messages: Vec<serde_json::Value> = session
        .messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m.id,
                "session_id": session.id,
                "role": m.role,
                "parts": serde_json::from_str::<serde_json::Value>(&m.parts).unwrap_or_default(),
                "model": m.model,
                "provider": m.provider,
                "is_summary_message": i64::from(m.is_summary),
                "created_at": m.created_at,
                "updated_at": m.created_at,
                "finished_at": m.finished_at,
            })
        })
        .collect();
    let rows = serde_json::json!({
        "session": {
            "id": session.id,
            "parent_session_id": null,
            "title": session.title,
            "message_count": session.messages.len(),
            "summary_message_id": session.summary_message_id,
            "created_at": session.created_at,
            "updated_at": session.created_at,
        },
        "messages": messages,
    });
    serde_json::to_string_pretty(&rows).unwrap_or_default()
}
