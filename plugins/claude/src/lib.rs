//! The Claude Code adapter. Its format work is tracked in its own issue; until then every operation
//! answers a clear "not implemented yet" error.

use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectRequest, Injected, ListRequest, SessionSummary, ffi::AdapterModuleRef,
};

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<ClaudeAdapter>()
}

#[derive(Default)]
pub struct ClaudeAdapter;

fn not_yet() -> AdapterError {
    AdapterError::unsupported("claude: not implemented yet")
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
            capabilities: Capabilities::default(),
            default_home: String::new(),
            resume_command: None,
        }
    }

    fn list_sessions(&self, _request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
        Err(not_yet())
    }

    fn extract(&self, _request: ExtractRequest) -> AdapterResult<Extracted> {
        Err(not_yet())
    }

    fn inject(&self, _request: InjectRequest) -> AdapterResult<Injected> {
        Err(not_yet())
    }
}
