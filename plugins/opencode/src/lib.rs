//! The OpenCode adapter: reads `opencode.db` (OpenCode ≥ 1.2, and the tables 2.x adds to it) or
//! the legacy JSON tree, writes sessions OpenCode 1.x resumes (`opencode --session <id>`), in its
//! database, or in the JSON tree for an old install. The same code serves Kilo Code CLI, a fork that keeps OpenCode's store in
//! `kilo.db` (`kilo run --session <id>`): everything that differs is in [`app::App`].
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod app;
mod config;
mod db;
mod ids;
mod legacy;
mod paths;
mod project_id;
mod read;
mod tools;
mod v2;
mod write;

use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::{check_session_file, check_session_id, physical};
use handoff_adapter_kit::sqlite::written_databases;
use handoff_adapter_kit::time::now_ms;
use handoff_plugin_api::{
    Adapter, AdapterError, AdapterResult, AgentInfo, Capabilities, ExtractRequest, Extracted,
    InjectMode, InjectRequest, Injected, ListRequest, SessionSummary, ffi::AdapterModuleRef,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use app::App;

/// The root module the host registers, exactly as it would a plugin file's.
pub fn module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<OpenCodeAdapter>()
}

/// Kilo Code's root module.
pub fn kilo_module() -> AdapterModuleRef {
    handoff_plugin_api::root_module::<KiloAdapter>()
}

/// An adapter serving one [`App`]: each method is the shared one, given the app.
macro_rules! store_adapter {
    ($name:ident, $app:expr) => {
        #[derive(Default)]
        pub struct $name;

        impl Adapter for $name {
            fn name(&self) -> &str {
                $app.name
            }
            fn info(&self) -> AgentInfo {
                info(&$app)
            }
            fn list_sessions(&self, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
                list_sessions(&$app, request)
            }
            fn extract(&self, request: ExtractRequest) -> AdapterResult<Extracted> {
                extract(&$app, request)
            }
            fn inject(&self, request: InjectRequest) -> AdapterResult<Injected> {
                inject(&$app, request)
            }
            fn call(
                &self,
                method: &str,
                request: serde_json::Value,
            ) -> AdapterResult<serde_json::Value> {
                call(&$app, method, request)
            }
        }
    };
}

store_adapter!(OpenCodeAdapter, app::OPENCODE);
store_adapter!(KiloAdapter, app::KILO);

/// Where the sessions of a data home are.
enum Store {
    Db(PathBuf),
    Legacy(PathBuf),
    /// Neither exists: where the database would be.
    Missing(PathBuf),
}

impl Store {
    /// The database wins when both exist.
    fn locate(app: &App, home: Option<&str>) -> Self {
        let db = paths::db_path(app, home);
        let data = paths::data_home(app, home);
        let storage = paths::storage_dir(&data);
        if db.is_file() {
            Store::Db(db)
        } else if app.legacy_tree && storage.join("session").is_dir() {
            Store::Legacy(storage)
        } else {
            Store::Missing(db)
        }
    }
}

/// Where the store is, as errors and reports show it.
impl std::fmt::Display for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Db(path) | Store::Legacy(path) | Store::Missing(path) => path.display().fmt(f),
        }
    }
}

/// The project filter of `cwd`: its directory, and its projectID unless that is `global`.
fn project_filter(app: &App, cwd: &Path) -> (String, Option<String>) {
    let dir = physical(cwd);
    let project = project_id::resolve(&dir, app.dir);
    let id = (project.id != project_id::GLOBAL).then_some(project.id);
    (dir.display().to_string(), id)
}

fn list_in(
    app: &App,
    store: &Store,
    cwd: Option<&str>,
    limit: Option<usize>,
) -> AdapterResult<Vec<SessionSummary>> {
    let filter = cwd.map(|cwd| project_filter(app, Path::new(cwd)));
    match store {
        Store::Db(path) => {
            let conn = db::open_read(path)?;
            let filter = filter.as_ref().map(|(directory, project_id)| db::Filter {
                directory,
                project_id: project_id.as_deref(),
            });
            db::list(app, &conn, path, filter.as_ref(), limit)
        }
        Store::Legacy(storage) => Ok(legacy::list(
            storage,
            filter.as_ref().map(|f| f.0.as_str()),
            filter.as_ref().and_then(|f| f.1.as_deref()),
            limit,
        )),
        Store::Missing(..) => Ok(Vec::new()),
    }
}

fn info(app: &App) -> AgentInfo {
    AgentInfo {
        name: app.name.into(),
        display_name: app.display_name.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        capabilities: Capabilities {
            list: true,
            extract: true,
            inject: true,
        },
        default_home: paths::data_home(app, None).display().to_string(),
        resume_command: Some(resume_command(app, "{id}")),
        verified_clients: vec![app.version.into()],
    }
}

fn list_sessions(app: &App, request: ListRequest) -> AdapterResult<Vec<SessionSummary>> {
    let store = Store::locate(app, request.home.as_deref());
    list_in(app, &store, request.cwd.as_deref(), request.limit)
}

fn extract(app: &App, request: ExtractRequest) -> AdapterResult<Extracted> {
    let mut store = Store::locate(app, request.home.as_deref());
    if let Some(path) = request.path.as_deref() {
        let path = physical(Path::new(path));
        check_session_file(None, &path)?;
        if app.legacy_tree && path.extension().is_some_and(|e| e == "json") {
            return extract_legacy_file(app, &path);
        }
        store = Store::Db(path);
    }
    let id = match request.session_id.as_deref() {
        Some(wanted) => {
            check_session_id(app.name, wanted)?;
            resolve_id(app, &store, wanted)?
        }
        None => {
            let latest = list_in(app, &store, request.cwd.as_deref(), Some(1))?;
            let whose = request.cwd.as_deref().unwrap_or("any project");
            search(app, &store).latest(whose, latest)?.session_id
        }
    };
    match &store {
        Store::Db(path) => {
            let conn = db::open_read(path)?;
            let source = path.display().to_string();
            let extracted = match db::load(&conn, path, &id)? {
                db::Loaded::V2 {
                    session,
                    messages,
                    skipped,
                } => v2::to_extracted(app.name, &session, &messages, &source, skipped),
                db::Loaded::V1 {
                    session,
                    messages,
                    skipped,
                    beside_v2,
                } => {
                    let mut extracted =
                        read::to_extracted(app.name, &session, &messages, &source, skipped);
                    if beside_v2 {
                        extracted.report.warnings.push(V1_BESIDE_V2.to_owned());
                    }
                    extracted
                }
            };
            usable(extracted, &source)
        }
        Store::Legacy(storage) => {
            let file = legacy::sessions(storage)
                .into_iter()
                .find(|s| s.info.get("id").and_then(|v| v.as_str()) == Some(id.as_str()))
                .ok_or_else(|| AdapterError::not_found(format!("no {} session {id}", app.name)))?;
            let (session, messages, skipped) = legacy::load(storage, &file);
            let source = file.path.display().to_string();
            usable(
                read::to_extracted(app.name, &session, &messages, &source, skipped),
                &source,
            )
        }
        Store::Missing(..) => Err(AdapterError::not_found(format!(
            "no {} session with id {id} (looked in {store})",
            app.name
        ))),
    }
}

/// Said of a 1.x session kept in a 2.x database: 2.x imported the 1.x sessions once, at the
/// upgrade, so it does not show this one.
const V1_BESIDE_V2: &str = "a 1.x session in an OpenCode 2.x database, created after 2.x \
                            imported the 1.x ones; OpenCode 2.x does not show it";

fn inject(app: &App, request: InjectRequest) -> AdapterResult<Injected> {
    let directory = physical(Path::new(&request.cwd));
    let models = config::ModelKnowledge::load(app, &directory);
    let directory_text = directory.display().to_string();
    let target = write::Target {
        app,
        directory: &directory_text,
        project: project_id::resolve(&directory, app.dir),
        models: &models,
        now_ms: now_ms(),
    };
    let session = write::build(&request.transcript, &target)?;
    let resume_command = resume_command(app, &session.id);
    let store = Store::locate(app, request.home.as_deref());
    let mut injected = Injected {
        session_id: session.id.clone(),
        path: store.to_string(),
        resume_command,
        written: Vec::new(),
        rendered: None,
        warnings: Vec::new(),
    };
    if request.mode == InjectMode::Render {
        let export = serde_json::to_string_pretty(&session.export())
            .map_err(|e| AdapterError::internal(format!("{}: cannot encode: {e}", app.name)))?;
        injected.rendered = Some(export);
        return Ok(injected);
    }
    let write_now = request.mode == InjectMode::Write;
    match store {
        Store::Db(path) => {
            if write_now {
                injected.written = db::write(app, &path, &session, db::BUSY_TIMEOUT)?;
            } else {
                db::check_schema(app, &db::open_read(&path)?, &path)?;
            }
        }
        Store::Legacy(storage) => {
            require_old_install(&storage)?;
            injected.path = storage
                .join("session")
                .join(&session.project.id)
                .join(format!("{}.json", session.id))
                .display()
                .to_string();
            if write_now {
                injected.written = legacy::write(&storage, &session)?;
            }
        }
        Store::Missing(db_path) => return Err(no_database(app, &db_path)),
    }
    Ok(injected)
}

fn call(app: &App, method: &str, request: serde_json::Value) -> AdapterResult<serde_json::Value> {
    if method != "remove" {
        return Err(AdapterError::unsupported(format!(
            "{}: unknown method {method:?}",
            app.name
        )));
    }
    let injected: Injected = serde_json::from_value(request)
        .map_err(|e| AdapterError::invalid(format!("{}: remove: bad request: {e}", app.name)))?;
    let mut removed = 0;
    for path in written_databases(&injected.written) {
        removed += db::remove(path, &injected.written, db::BUSY_TIMEOUT)?;
    }
    Ok(serde_json::json!({"removed": removed}))
}

/// The session id `wanted` is (in full, or the only id starting with it).
fn resolve_id(app: &App, store: &Store, wanted: &str) -> AdapterResult<String> {
    let candidates = match store {
        Store::Db(path) => db::ids_with_prefix(&db::open_read(path)?, path, wanted)?,
        Store::Legacy(storage) => legacy::sessions(storage)
            .into_iter()
            .filter_map(|s| s.info.get("id").and_then(|v| v.as_str()).map(str::to_owned))
            .collect(),
        Store::Missing(..) => Vec::new(),
    };
    search(app, store).by_id(wanted, candidates, String::as_str)
}

/// A search of `store`, named in its errors.
fn search<'a>(app: &'a App, store: &'a Store) -> Search<'a> {
    Search {
        agent: app.name,
        looked_in: store,
    }
}

/// The command that resumes session `id` (the fork keeps OpenCode's flag).
fn resume_command(app: &App, id: &str) -> String {
    format!("{} --session {id}", app.name)
}

fn extract_legacy_file(app: &App, path: &Path) -> AdapterResult<Extracted> {
    // storage/session/<projectID>/<sessionID>.json
    let storage = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .ok_or_else(|| {
            AdapterError::invalid(format!(
                "{}: not in an OpenCode storage tree",
                path.display()
            ))
        })?;
    let file = legacy::sessions(storage)
        .into_iter()
        .find(|s| s.path == path)
        .ok_or_else(|| {
            AdapterError::invalid(format!("{}: not an OpenCode session file", path.display()))
        })?;
    let (session, messages, skipped) = legacy::load(storage, &file);
    usable(
        read::to_extracted(
            app.name,
            &session,
            &messages,
            &path.display().to_string(),
            skipped,
        ),
        &path.display().to_string(),
    )
}

fn usable(extracted: Extracted, source: &str) -> AdapterResult<Extracted> {
    if extracted.transcript.messages.is_empty() {
        return Err(AdapterError::invalid(format!(
            "{source}: session {} has no usable message ({} unreadable record(s))",
            extracted.transcript.session.id, extracted.report.skipped_lines
        )));
    }
    Ok(extracted)
}

fn no_database(app: &App, db_path: &Path) -> AdapterError {
    AdapterError::not_found(format!(
        "{}: no {} database yet; run any `{}` command once (e.g. `{} session list`) to create it, then retry",
        db_path.display(),
        app.display_name,
        app.name,
        app.name
    ))
}

/// The JSON tree is only read by OpenCode < 1.2 (1.2 – 1.15 migrate it once, then ignore it):
/// write it only when the installed OpenCode is that old.
fn require_old_install(storage: &Path) -> AdapterResult<()> {
    let db_path = storage
        .parent()
        .map(|p| p.join(app::OPENCODE.db_file))
        .unwrap_or_default();
    match installed_version() {
        Some((major, minor)) if major == 0 || (major == 1 && minor < 2) => Ok(()),
        Some((major, minor)) => Err(AdapterError::not_found(format!(
            "{}: OpenCode {major}.{minor} keeps sessions in a database that does not exist yet; run any `opencode` command once (e.g. `opencode session list`) to create it, then retry",
            db_path.display()
        ))),
        None => Err(no_database(&app::OPENCODE, &db_path)),
    }
}

/// `(major, minor)` of `opencode --version`, if it runs within a few seconds.
fn installed_version() -> Option<(u64, u64)> {
    let mut child = Command::new("opencode")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let output = child.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let mut numbers = version.split('.').map(|n| n.parse::<u64>().ok());
    Some((numbers.next()??, numbers.next()??))
}
