//! The VS Code Copilot Chat adapter, a source only: it lists and reads the chats VS Code keeps in
//! its workspace storage, and writes nothing.
//!
//! Built from the public sources, as the editor cannot run here:
//! - microsoft/vscode `src/vs/workbench/contrib/chat/common/chatSessionStore.ts` (where chats
//!   are: `<User>/workspaceStorage/<id>/chatSessions/<session id>.json`, and
//!   `<User>/globalStorage/emptyWindowChatSessions/` for windows without a folder),
//! - microsoft/vscode `src/vs/workbench/contrib/chat/common/chatModel.ts` (`ISerializableChatData`:
//!   requests, their response parts and `result.metadata`; terminal `toolSpecificData` in
//!   `chatService.ts`),
//! - microsoft/vscode `src/vs/workbench/contrib/chat/common/model/objectMutationLog.ts` (the
//!   `.jsonl` form: an initial value, then sets, pushes and deletes),
//! - microsoft/vscode-copilot-chat `src/extension/tools/common/toolNames.ts` (the agent's tools).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod list;
mod paths;
mod read;
mod tools;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::{expand_tilde, physical};
use handoff_adapter_kit::listing::Unchanged;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractReport, ExtractRequest,
    Extracted, InjectRequest, Injected, ListRequest, SessionSummary, ffi::AdapterModuleRef,
};
use paths::Layout;
use std::path::Path;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<VscodeCopilotAdapter>()
}

#[derive(Default)]
pub struct VscodeCopilotAdapter;

impl Adapter for VscodeCopilotAdapter {
    fn name(&self) -> &str {
        "vscode-copilot"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "vscode-copilot".into(),
            display_name: "VS Code Copilot Chat".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: false,
            },
            default_home: paths::default_user_dir().display().to_string(),
            resume_command: None,
            verified_clients: Vec::new(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let layout = Layout::of(request.home.as_deref());
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
        let layout = Layout::of(request.home.as_deref());
        let file = requested_file(
            "vscode-copilot",
            &layout.root,
            &request,
            |id| list::find_by_id(&layout, id).map(|file| file.path),
            |cwd| list::latest_for(&layout, cwd),
        )?;
        extract_file(&file)
    }

    fn inject(&self, _request: InjectRequest) -> AdapterResult<Injected> {
        Err(AdapterError::unsupported(
            "vscode-copilot: VS Code Copilot Chat is a source only: its chats live in the editor's workspace storage, which handoff does not write",
        ))
    }
}

/// One chat file as a transcript; its project is its workspace folder's.
fn extract_file(file: &Path) -> AdapterResult<Extracted> {
    let bytes = std::fs::read(file).map_err(|e| AdapterError::io(file.display(), e))?;
    let (chat, log_skipped) = read::document(&bytes, list::is_log(file)).map_err(|why| {
        AdapterError::invalid(format!(
            "{}: not a VS Code chat session: {why}",
            file.display()
        ))
    })?;
    let id = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let cwd = file.parent().and_then(paths::workspace_folder);
    let read = read::transcript(chat, id, cwd);
    let mut transcript = read.transcript;
    transcript.session.source_path = Some(file.display().to_string());
    Ok(Extracted {
        transcript,
        report: ExtractReport {
            skipped_lines: log_skipped + read.skipped,
            warnings: read.warnings,
            ..ExtractReport::default()
        },
    })
}
