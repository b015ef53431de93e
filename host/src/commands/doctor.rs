//! `handoff doctor`: why something does not work. The config, every agent (its home, its sessions
//! for this project, the installed client's version beside the one this release was verified
//! with), every plugin loaded or refused, and handoff's own cache and history. Exits non-zero only
//! when something is broken; what merely deserves a look is a warning.

use anyhow::Result;
use serde::Serialize;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::project_dir;
use crate::config::{self, Config};
use crate::error::{Kind, fail};
use crate::output;
use crate::registry::{Agent, Origin, Registry};
use crate::ui::{Ui, tilde};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Project directory whose sessions are counted (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Built-in agents whose client the conformance suite cannot run, and why.
const UNVERIFIED: &[(&str, &str)] = &[
    (
        "crush",
        "its npm package downloads the binary at install time; read from its source",
    ),
    (
        "cursor",
        "an editor that cannot run here; read from its documented store",
    ),
    (
        "vscode-copilot",
        "an editor that cannot run here; read from its documented store",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    Warning,
    Broken,
}

#[derive(Debug, Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
    /// What a script would look at, per kind of check (an agent's home, sessions, client).
    #[serde(flatten)]
    facts: serde_json::Map<String, serde_json::Value>,
}

impl Check {
    fn new(check: impl Into<String>, status: Status, detail: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            status,
            detail: detail.into(),
            facts: serde_json::Map::new(),
        }
    }
}

pub fn run(args: Args, _ui: &Ui) -> Result<()> {
    let cwd = project_dir(args.cwd.as_deref())?;
    let mut checks = Vec::new();
    let path = config::config_path();
    let config = match Config::load_or_create() {
        Ok(config) => {
            checks.push(Check::new("config", Status::Ok, tilde(&path)));
            config
        }
        Err(error) => {
            checks.push(Check::new("config", Status::Broken, format!("{error:#}")));
            // The rest is checked as the defaults would have it.
            Config::parse(config::DEFAULT_CONFIG, &path)?
        }
    };
    let mut registry = Registry::new(
        config.plugins_dir(),
        Duration::from_secs(config.plugin_timeout_secs),
    )?;
    registry.load_plugins();
    for skipped in &registry.skipped {
        checks.push(Check::new(
            format!("plugin {}", tilde(&skipped.path)),
            Status::Broken,
            crate::ui::one_line(&skipped.reason, 300),
        ));
    }
    let agents: Vec<_> = registry.agents().iter().collect();
    let listed: Vec<_> = agents
        .iter()
        .copied()
        .filter(|a| a.info.capabilities.list)
        .collect();
    let counts = super::list::list_nearest(&listed, &config, Some(&cwd), None);
    let versions = client_versions(&agents);
    for agent in &agents {
        let name = agent.name();
        let home = config
            .agent_home(name)
            .unwrap_or_else(|| agent.info.default_home.clone());
        let home_path = config::expand(&home);
        let shown = tilde(&home_path);
        let mut facts = serde_json::Map::new();
        facts.insert("agent".into(), json!(name));
        facts.insert("home".into(), json!(home_path));
        let mut status = Status::Ok;
        let mut detail = match &agent.origin {
            Origin::Builtin => String::from("built-in"),
            Origin::Plugin(path) => format!("plugin {}", tilde(path)),
        };
        match std::fs::read_dir(&home_path) {
            Ok(_) => detail.push_str(&format!("; home {shown}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                detail.push_str(&format!("; home {shown} not there yet (no session)"));
            }
            Err(e) => {
                status = Status::Broken;
                detail.push_str(&format!("; home {shown} cannot be read: {e}"));
            }
        }
        let position = listed.iter().position(|l| l.name() == name);
        if let Some((_, Ok(rows))) = position.and_then(|i| counts.get(i)) {
            facts.insert("sessions".into(), json!(rows.len()));
            detail.push_str(&format!("; {} sessions for this project", rows.len()));
            let mut stores = std::collections::BTreeMap::<&str, usize>::new();
            for store in rows.iter().filter_map(|row| row.store.as_deref()) {
                *stores.entry(store).or_default() += 1;
            }
            for (store, n) in &stores {
                detail.push_str(&format!(" ({n} in an {store})"));
            }
            if !stores.is_empty() {
                facts.insert("stores".into(), json!(stores));
            }
        } else if let Some((_, Err(e))) = position.and_then(|i| counts.get(i)) {
            status = status.max_with(Status::Warning);
            detail.push_str(&format!(
                "; cannot list: {}",
                crate::ui::one_line(&format!("{e:#}"), 200)
            ));
        }
        if let Some((installed, verified)) =
            versions.iter().find(|v| v.0 == name).map(|v| (&v.1, &v.2))
        {
            let (oldest, newest) = (&verified[0], &verified[verified.len() - 1]);
            facts.insert(
                "client".into(),
                json!({"installed": installed, "verified": newest, "verified_releases": verified}),
            );
            match installed {
                None => detail.push_str(&format!("; client not on PATH (verified with {newest})")),
                Some(installed) if verified.contains(installed) => {
                    detail.push_str(&format!("; client {installed} (verified)"));
                }
                Some(installed) if newer(installed, newest) || newer(oldest, installed) => {
                    status = status.max_with(Status::Warning);
                    let (side, bound) = if newer(installed, newest) {
                        ("newer", newest)
                    } else {
                        ("older", oldest)
                    };
                    detail.push_str(&format!(
                        "; client {installed} is {side} than the verified {bound}"
                    ));
                }
                Some(installed) => detail.push_str(&format!(
                    "; client {installed} (between the verified {oldest} and {newest})"
                )),
            }
        }
        if let Some((_, why)) = UNVERIFIED.iter().find(|u| u.0 == name) {
            facts.insert(
                "client".into(),
                json!({"installed": null, "verified": null}),
            );
            detail.push_str(&format!("; no client release verified ({why})"));
        }
        let mut check = Check::new(format!("agent {name}"), status, detail);
        check.facts = facts;
        checks.push(check);
    }
    checks.push(private_store("cache", &crate::cache::cache_dir()));
    checks.push(private_store("history", &crate::history::path()));

    let broken = checks.iter().filter(|c| c.status == Status::Broken).count();
    if args.json {
        output::println(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "project": cwd,
            "ok": broken == 0,
            "checks": checks,
        }))?;
    } else {
        output::write(|out| {
            writeln!(out, "handoff {} — project {cwd}", env!("CARGO_PKG_VERSION"))?;
            for check in &checks {
                let mark = match check.status {
                    Status::Ok => "✓",
                    Status::Warning => "!",
                    Status::Broken => "✗",
                };
                writeln!(out, "{mark} {}: {}", check.check, check.detail)?;
            }
            Ok(())
        })?;
    }
    if broken > 0 {
        return fail(
            Kind::Failure,
            format!("{broken} broken: see the ✗ lines above"),
        );
    }
    Ok(())
}

impl Status {
    fn max_with(self, other: Status) -> Status {
        let rank = |s: Status| match s {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Broken => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// Handoff's own store at `path`: present or not, and private (0700 folders, 0600 files).
fn private_store(name: &str, path: &Path) -> Check {
    let Ok(meta) = std::fs::metadata(path) else {
        return Check::new(name, Status::Ok, format!("{} not there yet", tilde(path)));
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Check::new(
                name,
                Status::Warning,
                format!(
                    "{} is readable by others (mode {mode:o}); `chmod go-rwx` it",
                    tilde(path)
                ),
            );
        }
    }
    let what = if meta.is_dir() {
        let entries = std::fs::read_dir(path).map(|d| d.count()).unwrap_or(0);
        format!("{} ({entries} entries, private)", tilde(path))
    } else {
        format!("{} ({} bytes, private)", tilde(path), meta.len())
    };
    Check::new(name, Status::Ok, what)
}

/// For each agent with verified client releases: (agent, the version its client on PATH reports,
/// the verified releases, oldest first). The client's command is the resume command's program.
fn client_versions<'a>(agents: &[&'a Agent]) -> Vec<(&'a str, Option<String>, &'a [String])> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = agents
            .iter()
            .filter(|agent| !agent.info.verified_clients.is_empty())
            .filter_map(|agent| {
                let resume = agent.info.resume_command.as_deref()?;
                let command = resume.split_whitespace().next()?;
                let verified = agent.info.verified_clients.as_slice();
                Some(scope.spawn(move || (agent.name(), installed_version(command), verified)))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// The first `x.y.z` that `<command> --version` prints, when the command is on PATH.
fn installed_version(command: &str) -> Option<String> {
    let program = std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(command))
        .find(|p| p.is_file())?;
    let mut child = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok()?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut text).ok()?;
    let version = regex::Regex::new(r"\d+\.\d+\.\d+").ok()?;
    version.find(&text).map(|m| m.as_str().to_owned())
}

/// Whether version `a` is newer than `b` (numeric, field by field).
fn newer(a: &str, b: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    parse(a) > parse(b)
}
