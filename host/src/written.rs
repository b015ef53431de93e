//! What a transfer wrote, and undoing it: written files stay inside the target's home, are
//! hashed for the history (so `undo` can tell whether the agent changed them since), and are
//! removed together with database rows by the adapter that wrote them.

use anyhow::{Context, Result, bail};
use handoff_plugin_api::{Injected, Remove, Written};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

use crate::registry::Agent;

/// The home an agent writes into: the configured one, else the agent's own default.
fn home_of(agent: &Agent, configured: Option<&str>) -> PathBuf {
    PathBuf::from(configured.unwrap_or(&agent.info.default_home))
}

/// Checks that every file an inject reports lies inside the target's home once symlinks are
/// resolved. Built-in adapters cannot write elsewhere (kit::fs refuses); a plugin that did is an
/// error, and handoff neither records nor removes what it cannot vouch for.
pub fn check_inside(agent: &Agent, home: Option<&str>, injected: &Injected) -> Result<()> {
    let files: Vec<&String> = injected
        .written
        .iter()
        .filter_map(|w| match w {
            Written::File { path } => Some(path),
            Written::Rows { .. } => None,
        })
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let home = home_of(agent, home);
    let root = std::fs::canonicalize(&home).with_context(|| {
        format!(
            "{}: cannot resolve {}'s home",
            home.display(),
            agent.info.name
        )
    })?;
    for path in files {
        let real = std::fs::canonicalize(path)
            .with_context(|| format!("{path}: reported as written but cannot be resolved"))?;
        if !real.starts_with(&root) {
            bail!(
                "{path}: {} wrote outside its home {}; left in place for you to inspect",
                agent.info.name,
                home.display()
            );
        }
    }
    Ok(())
}

/// Removes what an inject wrote: files here (only inside the target's home, see
/// [`check_inside`]), database rows by the adapter that wrote them.
pub fn remove(agent: &Agent, home: Option<&str>, injected: &Injected) -> Result<()> {
    // Files already gone (the user deleted the session) have nothing left to check or remove.
    let present = Injected {
        written: injected
            .written
            .iter()
            .filter(|w| match w {
                Written::File { path } => std::fs::symlink_metadata(path).is_ok(),
                Written::Rows { .. } => true,
            })
            .cloned()
            .collect(),
        ..injected.clone()
    };
    check_inside(agent, home, &present)?;
    if injected
        .written
        .iter()
        .any(|w| matches!(w, Written::Rows { .. }))
    {
        agent.request(&Remove(injected.clone()))?;
    }
    for written in &injected.written {
        if let Written::File { path } = written {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove {path}")),
            }
            // A folder the session leaves empty goes too (agents that keep a folder per
            // session would otherwise list an empty one); a folder with anything left stays.
            if let Some(parent) = std::path::Path::new(path).parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
    Ok(())
}

pub fn sha256_file(path: &str) -> Result<String> {
    // Streamed: a written session is tens of megabytes, hashed while it is also read back.
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {path}"))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).with_context(|| format!("cannot read {path}"))?;
    Ok(hex(&hasher.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
