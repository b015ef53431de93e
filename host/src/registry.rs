//! The agent registry: built-in adapters and `cdylib` plugins, both through the same root module.
//!
//! Built-ins hand over their `AdapterModuleRef` as a value; plugin files are loaded with
//! `plugin-api`'s loader. From then on both are an [`Agent`]: typed calls over the ABI as JSON,
//! or, for an adapter compiled into this program that the handshake handed over, as the values
//! themselves ([`handoff_plugin_api::in_process`]).

use crate::error::{Error, Kind};
use anyhow::{Context, Result, anyhow, bail};
use handoff_plugin_api::ffi::{AdapterBox, AdapterModuleRef, load_module};
use handoff_plugin_api::in_process::{InProcess, take_handover};
use handoff_plugin_api::{
    AdapterError, AgentInfo, ENCODING_IN_PROCESS, ErrorKind, ExtractRequest, Extracted, Hello,
    IR_VERSION, InjectRequest, Injected, ListRequest, Method, Mismatch, Remove, SessionSummary,
    decode_error, newer_transcript,
};
use serde::{Serialize, de::DeserializeOwned};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Duration;

/// Where an adapter came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Plugin(PathBuf),
}

/// One registered agent.
pub struct Agent {
    pub info: AgentInfo,
    pub origin: Origin,
    adapter: Arc<AdapterBox>,
    /// The same adapter without the ABI, when it is compiled into this program: sessions then
    /// cross as values, not JSON.
    in_process: Option<Arc<dyn InProcess>>,
    timeout: Duration,
}

impl Agent {
    fn from_module(module: AdapterModuleRef, origin: Origin, timeout: Duration) -> Result<Self> {
        let adapter = module.new_adapter()();
        let info_json = adapter.info();
        let info: AgentInfo = serde_json::from_str(info_json.as_str())
            .map_err(|e| anyhow!("its info() is not valid JSON: {e}"))?;
        if info.name.is_empty() || info.name != adapter.name().as_str() {
            bail!("its name() and info().name disagree or are empty");
        }
        let mut agent = Self {
            info,
            origin,
            adapter: Arc::new(adapter),
            in_process: None,
            timeout,
        };
        agent.handshake()?;
        Ok(agent)
    }

    /// Says hello and checks the answer, before any other call: a plugin outside this handoff's
    /// range is refused with one line saying which side to upgrade. An adapter compiled into this
    /// program hands itself over for the in-process channel while answering.
    fn handshake(&mut self) -> Result<()> {
        let host = Hello::current(
            format!("handoff {}", env!("CARGO_PKG_VERSION")),
            &[Remove::NAME],
        );
        // Like `info`, answered on this thread: it is the plugin's first words, said while
        // loading, and a thread per agent would be most of the startup time.
        let json = serde_json::to_string(&host)?;
        take_handover();
        let answer = self
            .adapter
            .call(Hello::NAME.into(), json.as_str().into())
            .into_result()
            .map(String::from)
            .map_err(String::from);
        let handed_over = take_handover();
        let plugin =
            match self.decode_answer(Hello::NAME, answer, |text| serde_json::from_str(text)) {
                Ok(plugin) => plugin,
                // Built before the handshake: the wrapper of API 1.0 knows no `hello`.
                Err(e)
                    if e.adapter == Some(ErrorKind::Unsupported)
                        && e.message.contains("unknown method") =>
                {
                    Hello {
                        protocol: 1,
                        min_protocol: 1,
                        ir_version: 1,
                        methods: Vec::new(),
                        software: String::from("handoff-plugin-api 1.0"),
                        encodings: Vec::new(),
                    }
                }
                // The plugin refused this handoff; its line says why.
                Err(e) => return Err(e.into()),
            };
        match host.mismatch(&plugin) {
            None => {
                self.in_process = handed_over.filter(|_| plugin.speaks(ENCODING_IN_PROCESS));
                Ok(())
            }
            Some(Mismatch::UpgradeSelf) => bail!(
                "plugin {} needs a newer handoff: upgrade handoff (it needs protocol {} and transcript version {}; {} speaks up to {} and {})",
                self.info.name,
                plugin.min_protocol,
                plugin.ir_version,
                host.software,
                host.protocol,
                host.ir_version
            ),
            Some(Mismatch::UpgradePeer) => bail!(
                "plugin {} is too old for this handoff: upgrade the plugin (it speaks protocol {}; {} needs {} or later)",
                self.info.name,
                plugin.protocol,
                host.software,
                host.min_protocol
            ),
        }
    }

    /// A typed operation added after the ABI froze ([`Method`]).
    pub fn request<M: Method>(&self, request: &M) -> Result<M::Answer, Error> {
        self.invoke(M::NAME, request)
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// How errors name this adapter: plugins by file, built-ins by name.
    fn who(&self) -> String {
        match &self.origin {
            Origin::Builtin => self.info.name.clone(),
            Origin::Plugin(path) => format!("plugin {} ({})", self.info.name, path.display()),
        }
    }

    pub fn list_sessions(&self, request: ListRequest) -> Result<Vec<SessionSummary>, Error> {
        match &self.in_process {
            Some(adapter) => {
                let adapter = Arc::clone(adapter);
                self.in_process_call("list_sessions", move || adapter.list_sessions(request))
            }
            None => self.invoke("list_sessions", &request),
        }
    }

    pub fn extract(&self, request: ExtractRequest) -> Result<Extracted, Error> {
        let extracted = match &self.in_process {
            Some(adapter) => {
                let adapter = Arc::clone(adapter);
                self.in_process_call("extract", move || adapter.extract(request))?
            }
            None => self.invoke_with("extract", &request, crate::wire::decode_extracted)?,
        };
        let version = extracted.transcript.ir_version;
        if version > IR_VERSION {
            return Err(self.newer_transcript_error(version));
        }
        Ok(extracted)
    }

    fn newer_transcript_error(&self, version: u32) -> Error {
        Error::from_adapter(
            ErrorKind::Internal,
            format!(
                "{}: answered transcript version {version}, this handoff knows up to {IR_VERSION}; upgrade handoff",
                self.who()
            ),
        )
    }

    /// Writes (or plans, or renders) the request's transcript. It is moved to an in-process
    /// adapter and encoded from a borrow for a plugin: never copied whole.
    pub fn inject(&self, request: InjectRequest) -> Result<Injected, Error> {
        match &self.in_process {
            Some(adapter) => {
                let adapter = Arc::clone(adapter);
                self.in_process_call("inject", move || adapter.inject(request))
            }
            None => self.invoke("inject", &request),
        }
    }

    /// Runs one operation on a worker thread so a plugin that hangs becomes an error after the
    /// configured time limit instead of hanging handoff.
    fn invoke<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        op: &str,
        request: &Req,
    ) -> Result<Resp, Error> {
        self.invoke_with(op, request, |text| serde_json::from_str(text))
    }

    /// [`Agent::invoke`], the answer read by `decode`.
    fn invoke_with<Req: Serialize, Resp>(
        &self,
        op: &str,
        request: &Req,
        decode: fn(&str) -> serde_json::Result<Resp>,
    ) -> Result<Resp, Error> {
        let json = serde_json::to_string(request).map_err(|e| {
            Error::from_adapter(ErrorKind::Internal, format!("cannot encode request: {e}"))
        })?;
        let adapter = Arc::clone(&self.adapter);
        let method = op.to_owned();
        let answer = self.on_worker(op, move || {
            let answer = match method.as_str() {
                "list_sessions" => adapter.list_sessions(json.as_str().into()),
                "extract" => adapter.extract(json.as_str().into()),
                "inject" => adapter.inject(json.as_str().into()),
                other => adapter.call(other.into(), json.as_str().into()),
            };
            answer.into_result().map(String::from).map_err(String::from)
        })?;
        self.decode_answer(op, answer, decode)
    }

    /// One operation of the in-process channel, on a worker thread with the same time limit.
    fn in_process_call<Resp: Send + 'static>(
        &self,
        op: &str,
        call: impl FnOnce() -> Result<Resp, AdapterError> + Send + 'static,
    ) -> Result<Resp, Error> {
        self.on_worker(op, call)?
            .map_err(|error| self.adapter_error(error))
    }

    /// Runs `work` on a thread of its own and waits for it at most the configured time.
    fn on_worker<T: Send + 'static>(
        &self,
        op: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(format!("{}-{op}", self.info.name))
            .spawn(move || {
                // The receiver is gone only after a timeout; nothing is left to tell then.
                let _ = tx.send(work());
            });
        if let Err(e) = spawned {
            return Err(Error::from_adapter(
                ErrorKind::Internal,
                format!("cannot start a thread for {}: {e}", self.who()),
            ));
        }
        match rx.recv_timeout(self.timeout) {
            Ok(answer) => Ok(answer),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::from_adapter(
                ErrorKind::Internal,
                format!(
                    "{}: {op} did not answer within {}s (plugin_timeout_secs in config)",
                    self.who(),
                    self.timeout.as_secs()
                ),
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(Error::from_adapter(
                ErrorKind::Internal,
                format!("{}: {op} died without an answer", self.who()),
            )),
        }
    }

    /// An operation's answer, read by `decode`, or its error with the adapter's kind.
    fn decode_answer<Resp>(
        &self,
        op: &str,
        answer: Result<String, String>,
        decode: fn(&str) -> serde_json::Result<Resp>,
    ) -> Result<Resp, Error> {
        match answer {
            Ok(text) => decode(&text).map_err(|e| match newer_transcript(&text) {
                // Not garbage: a transcript of a version this handoff cannot read yet.
                Some(version) => self.newer_transcript_error(version),
                None => Error::from_adapter(
                    ErrorKind::Internal,
                    format!("{}: {op} answered invalid JSON: {e}", self.who()),
                ),
            }),
            Err(text) => Err(self.adapter_error(decode_error(&text))),
        }
    }

    /// An adapter's error with its kind; a crash or a broken answer names the adapter.
    fn adapter_error(&self, AdapterError { kind, message }: AdapterError) -> Error {
        let message = match kind {
            ErrorKind::Internal => format!("{}: {message}", self.who()),
            _ => message,
        };
        Error::from_adapter(kind, message)
    }
}

/// A plugin that was passed over, with a one-line reason and the full detail for `-v`.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

pub struct Registry {
    agents: Vec<Agent>,
    pub skipped: Vec<Skipped>,
    plugins_scanned: bool,
    plugins_dir: PathBuf,
    timeout: Duration,
}

impl Registry {
    /// The built-in adapters only; plugins are scanned on first need ([`Registry::load_plugins`]).
    pub fn new(plugins_dir: PathBuf, timeout: Duration) -> Result<Self> {
        let mut registry = Self {
            agents: Vec::new(),
            skipped: Vec::new(),
            plugins_scanned: false,
            plugins_dir,
            timeout,
        };
        for module in [
            handoff_claude::module(),
            handoff_codex::module(),
            handoff_opencode::module(),
            handoff_copilot::module(),
            handoff_gemini::module(),
            handoff_qwen::module(),
            handoff_pi::module(),
            handoff_opencode::kilo_module(),
            handoff_cline::module(),
            handoff_crush::module(),
            handoff_cursor::module(),
            handoff_vscode_copilot::module(),
        ] {
            let agent = Agent::from_module(module, Origin::Builtin, timeout)
                .context("a built-in adapter failed to start")?;
            registry.agents.push(agent);
        }
        Ok(registry)
    }

    pub fn agents(&self) -> &[Agent] {
        &self.agents
    }

    pub fn names(&self) -> Vec<&str> {
        self.agents.iter().map(Agent::name).collect()
    }

    /// An agent by name among those registered so far (see [`Registry::load_plugins`]).
    pub fn get(&self, name: &str) -> Result<&Agent> {
        match self.agents.iter().find(|a| a.name() == name) {
            Some(agent) => Ok(agent),
            None => crate::error::fail(
                Kind::Usage,
                format!(
                    "unknown agent '{name}' (known: {}; plugins go in {})",
                    self.names().join(", "),
                    self.plugins_dir.display()
                ),
            ),
        }
    }

    /// Scans the plugin directory once. Nothing in it can stop the other agents from working:
    /// every problem becomes an entry in `skipped`.
    pub fn load_plugins(&mut self) {
        if std::mem::replace(&mut self.plugins_scanned, true) {
            return;
        }
        let dir = self.plugins_dir.clone();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.skip(&dir, format!("cannot read the plugin directory: {e}"));
                return;
            }
        };
        if let Err(reason) = check_private(&dir) {
            self.skip(&dir, reason);
            return;
        }
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| is_library(path))
            .collect();
        files.sort();
        for path in files {
            if let Err(reason) = self.load_plugin(&path) {
                self.skip(&path, reason);
            }
        }
    }

    fn load_plugin(&mut self, path: &Path) -> Result<(), String> {
        check_private(path)?;
        let module = load_module(path).map_err(|e| format!("not a handoff plugin: {e}"))?;
        let agent = Agent::from_module(module, Origin::Plugin(path.to_path_buf()), self.timeout)
            .map_err(|e| format!("{e:#}"))?;
        if let Some(existing) = self.agents.iter().find(|a| a.name() == agent.name()) {
            let from = match &existing.origin {
                Origin::Builtin => String::from("a built-in"),
                Origin::Plugin(p) => p.display().to_string(),
            };
            return Err(format!(
                "agent name '{}' is already taken by {from}",
                agent.name()
            ));
        }
        self.agents.push(agent);
        Ok(())
    }

    fn skip(&mut self, path: &Path, reason: String) {
        self.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason,
        });
    }
}

fn is_library(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    (name.starts_with("lib") && name.ends_with(".so"))
        || name.ends_with(".dylib")
        || name.ends_with(".dll")
}

/// Plugins run with the user's rights, so only the user may be able to change them.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot stat: {e}"))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "refused: owned by uid {}, not by you (uid {me})",
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(format!(
            "refused: group- or world-writable (mode {:o}); run chmod go-w",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(60);

    /// Every built-in is compiled into this program, so the handshake hands each over, and a
    /// session reads the same as values as it does through the ABI's JSON.
    #[test]
    fn builtins_take_the_in_process_channel_and_read_as_they_do_in_json() {
        let registry = Registry::new(PathBuf::from("/nonexistent"), TIMEOUT).unwrap();
        for agent in registry.agents() {
            assert!(agent.in_process.is_some(), "{}", agent.name());
        }

        let mut json_only =
            Agent::from_module(handoff_claude::module(), Origin::Builtin, TIMEOUT).unwrap();
        json_only.in_process = None;
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../plugins/claude/tests/fixtures/compaction.jsonl"
        );
        let request = ExtractRequest {
            path: Some(fixture.into()),
            ..ExtractRequest::default()
        };
        let in_process = registry.get("claude").unwrap().extract(request.clone());
        let through_json = json_only.extract(request).unwrap();
        assert!(!through_json.transcript.messages.is_empty());
        assert_eq!(in_process.unwrap(), through_json);
    }
}
