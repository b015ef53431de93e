//! The Claude Code adapter: sessions are `<home>/projects/<key(cwd)>/<uuid>.jsonl` files.
//! What the real client reads is checked by the tests against sessions it wrote (`tests/fixtures`).
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod list;
pub mod paths;
pub mod read;
pub mod tools;
pub mod write;

use handoff_adapter_kit::find::requested_file;
use handoff_adapter_kit::fs::{physical, write_new_file_with};
use handoff_adapter_kit::listing::Unchanged;
use handoff_adapter_kit::version;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectMode, InjectRequest, Injected, ListRequest, SessionSummary, Written,
    ffi::AdapterModuleRef,
};
use std::path::Path;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<ClaudeAdapter>()
}

#[derive(Default)]
pub struct ClaudeAdapter;

/// The project directory as the client keys it: physical (symlinks resolved).
fn project_cwd(cwd: &str) -> String {
    physical(Path::new(cwd)).display().to_string()
}

/// The client releases the conformance suite proved this adapter with, oldest first: the one
/// `conformance/pins` installs and newer ones a `scripts/conformance --latest` run passed with.
pub const VERIFIED_CLIENTS: &[&str] = &["2.1.330", "2.1.332"];

/// The client version the newest session on this machine claims.
fn newest_claimed_version(home: &Path) -> Option<String> {
    let newest = list::session_files(home, None).into_iter().next()?;
    version::claimed_in(&newest.path, |row| row.get("version")?.as_str())
}

impl Adapter for ClaudeAdapter {
    fn name(&self) -> &str {
        "claude"
    }

    fn info(&self) -> AgentInfo {
        AgentInfo {
            name: "claude".into(),
            display_name: "Claude Code".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: Capabilities {
                list: true,
                extract: true,
                inject: true,
            },
            default_home: paths::default_home().display().to_string(),
            resume_command: Some("claude --resume {id}".into()),
            verified_clients: VERIFIED_CLIENTS.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        let home = paths::home(request.home.as_deref());
        let cwd = request.cwd.as_deref().map(project_cwd);
        let unchanged = Unchanged::new(&request.unchanged);
        Ok(list::list(&home, cwd.as_deref(), request.limit, &unchanged))
    }

    fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
        let home = paths::home(request.home.as_deref());
        let path = requested_file(
            "claude",
            &home,
            &request,
            |id| list::find_by_id(&home, id),
            |cwd| list::latest_for(&home, &cwd.display().to_string()),
        )?;
        let file = std::fs::File::open(&path).map_err(|e| AdapterError::io(path.display(), e))?;
        let session_id = paths::session_id_of(&path).unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        read::read_session(file, &path, &session_id)
    }

    fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
        let home = paths::home(request.home.as_deref());
        let cwd = project_cwd(&request.cwd);
        let session_id = uuid::Uuid::new_v4().to_string();
        let path = paths::new_session_path(&home, &cwd, &session_id);
        let mut injected = Injected {
            resume_command: format!("claude --resume {session_id}"),
            path: path.display().to_string(),
            session_id,
            written: Vec::new(),
            rendered: None,
            warnings: Vec::new(),
        };
        if request.mode == InjectMode::Plan {
            return Ok(injected);
        }
        let version = version::stamp(newest_claimed_version(&home), VERIFIED_CLIENTS);
        let pieces = write::render(&request.transcript, &injected.session_id, &cwd, &version)
            .ok_or_else(|| AdapterError::invalid("claude: the transcript has nothing to write"))?;
        match request.mode {
            InjectMode::Plan => {}
            InjectMode::Render => injected.rendered = Some(pieces.concat()),
            InjectMode::Write => {
                write_new_file_with(&home, &path, |out| {
                    pieces
                        .iter()
                        .try_for_each(|piece| out.write_all(piece.as_bytes()))
                        .map_err(|e| AdapterError::io(path.display(), e))
                })?;
                injected.written.push(Written::File {
                    path: injected.path.clone(),
                });
            }
        }
        Ok(injected)
    }
}
