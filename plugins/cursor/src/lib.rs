//! The Cursor adapter, read-only: Cursor keeps its chats in the editor's state database,
//! `<config>/Cursor/User/globalStorage/state.vscdb` (`<config>`: `$XDG_CONFIG_HOME` or
//! `~/.config` on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows), table
//! `cursorDiskKV`: `composerData:<composerId>` is a chat's header, `bubbleId:<composerId>:<bubbleId>`
//! one of its messages. A chat's workspace folder is found through
//! `User/workspaceStorage/<hash>/workspace.json` and that folder's own `state.vscdb`
//! (`ItemTable` key `composer.composerData`, `allComposers`).
//!
//! Cursor cannot be installed or run here: the layout comes from public reverse-engineering notes
//! (the repositories michaeldhood/chatrxiv `docs/cursor/storage-reference.md`,
//! pppp606/cursor-efficiency `docs/vscdbRelation.md`, AgentOrchestrator/AgentBase
//! `docs/CURSOR.md`, stwalsh4118/clio `docs/api-specs/cursor/cursor-api.md`,
//! blueplane-ai/bp-telemetry-core `docs/research/cursor-composer-data-capture-examples.md`,
//! jverre/agents-for-cursor `investigations/TOOLS_SYSTEM.md`, guidemode/desktop's Cursor provider
//! notes, and the page "cursor-storage.md" of jdconley/deadhand). See README.md for what is and
//! is not read. Databases are opened read-only and never changed (see [`db`]).
//!
//! The Cursor CLI's store (`~/.cursor/chats/<md5 of the folder>/<chatId>/store.db`, tables
//! `meta` and `blobs`) is not read: its messages are content-addressed protocol-buffer blobs whose
//! schema the notes only partly reconstruct.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod db;
mod json;
mod paths;
mod read;
mod store;
mod tools;
mod workspaces;

use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::{check_session_file, check_session_id, expand_tilde, physical};
use handoff_adapter_kit::text::first_user_line;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectRequest, Injected, ListRequest, SessionMeta, SessionSummary, Transcript,
    ffi::AdapterModuleRef,
};
use std::path::{Path, PathBuf};
use store::{Chat, Store};

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<CursorAdapter>()
}

#[derive(Default)]
pub struct CursorAdapter;

const NAME: &str = "cursor";

impl Adapter for CursorAdapter {
    fn name(&self) -> &str {
        NAME
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: NAME.into(),
            display_name: "Cursor".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: false,
            },
            default_home: paths::home(None).display().to_string(),
            resume_command: None,
            verified_clients: Vec::new(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let db = paths::global_db(&paths::home(request.home.as_deref()));
        // No database: Cursor was never used here.
        if !db.exists() {
            return Ok(Vec::new());
        }
        let store = Store::open(&db)?;
        let cwd = request.cwd.as_deref().map(project);
        let rows = store
            .chats()?
            .into_iter()
            .filter(|chat| cwd.is_none() || chat.cwd.as_deref() == cwd.as_deref())
            .take(request.limit.unwrap_or(usize::MAX))
            .map(|chat| summary(&db, chat))
            .collect();
        Ok(rows)
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let home = paths::home(request.home.as_deref());
        // One database holds many chats: a `path` names the database, the id (or the newest
        // chat of the project) the chat in it.
        let db = match &request.path {
            Some(path) => {
                let path = expand_tilde(path);
                check_session_file(None, &path)?;
                path
            }
            None => {
                let db = paths::global_db(&home);
                check_session_file(Some(&home), &db)?;
                db
            }
        };
        let store = Store::open(&db)?;
        let chats = store.chats()?;
        let search = Search {
            agent: NAME,
            looked_in: &db.display(),
        };
        let chat = match &request.session_id {
            Some(id) => {
                check_session_id(NAME, id)?;
                match search.by_id(id, chats, |c| c.id.as_str()) {
                    Ok(chat) => chat,
                    // A chat the listing passed over because its header is broken: say so.
                    Err(e) => return Err(store.header(id).err().unwrap_or(e)),
                }
            }
            None if request.path.is_some() && request.cwd.is_none() => {
                search.latest(db.display(), chats)?
            }
            None => {
                let cwd = match &request.cwd {
                    Some(cwd) => project(cwd),
                    None => std::env::current_dir()
                        .map(|d| physical(&d).display().to_string())
                        .map_err(|e| AdapterError::io("current directory", e))?,
                };
                let of_project = chats.into_iter().filter(|c| c.cwd.as_deref() == Some(&cwd));
                search.latest(&cwd, of_project)?
            }
        };
        extract_chat(&store, chat)
    }

    fn inject(&self, _request: InjectRequest) -> AdapterResult<Injected> {
        Err(AdapterError::unsupported(
            "cursor: Cursor is a source only: its chats live in the editor's state database, which handoff does not write",
        ))
    }
}

/// A project folder as chats record it: physical, `~` expanded.
fn project(cwd: &str) -> String {
    physical(&expand_tilde(cwd)).display().to_string()
}

fn summary(db: &Path, chat: Chat) -> SessionSummary {
    SessionSummary {
        agent: NAME.into(),
        session_id: chat.id,
        cwd: chat.cwd,
        title: chat.title,
        messages: chat.messages,
        // The database holds every chat: its file time is not this chat's.
        updated_ms: chat.updated_ms.or(chat.created_ms),
        created_ms: chat.created_ms,
        path: db.display().to_string(),
        cached: false,
        store: None,
    }
}

fn extract_chat(store: &Store, chat: Chat) -> AdapterResult<Extracted> {
    let header = store.header(&chat.id)?;
    let bubbles = store.bubbles(&chat.id)?;
    let read = read::chat(&header, &bubbles);
    if read.messages.is_empty() {
        return Err(AdapterError::invalid(format!(
            "{}: chat {} has no readable message",
            store.path.display(),
            chat.id
        )));
    }
    let model = header
        .get("modelConfig")
        .and_then(|m| json::text_of(m, "modelName"))
        // `default` is Cursor's automatic choice, not a model.
        .filter(|m| *m != "default")
        .map(str::to_owned);
    let session = SessionMeta {
        id: chat.id.clone(),
        agent: NAME.into(),
        title: chat.title.or_else(|| first_user_line(&read.messages)),
        cwd: chat.cwd,
        created_ms: chat.created_ms,
        updated_ms: chat.updated_ms,
        model,
        git_branch: json::text_of(&header, "createdOnBranch").map(str::to_owned),
        source_path: Some(store.path.display().to_string()),
    };
    Ok(Extracted {
        transcript: Transcript::new(session, read.messages),
        report: read.report,
    })
}

/// Where the adapter looks, for the docs and tests.
pub fn global_db(home: Option<&str>) -> PathBuf {
    paths::global_db(&paths::home(home))
}
