//! `~/.handoff/history.jsonl`: one record per transfer, enough to undo it. Records hold ids,
//! paths and hashes only, never conversation text.

use anyhow::{Context, Result};
use handoff_plugin_api::{Injected, Written};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;

use crate::config::{create_private_dir, handoff_dir};
use crate::written::sha256_file;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// Transfer id (UUIDv7: sorts by time).
    pub id: String,
    pub time_ms: i64,
    pub source: Endpoint,
    pub target: Endpoint,
    pub written: Vec<WrittenRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub agent: String,
    pub session_id: String,
    #[serde(default)]
    pub path: Option<String>,
}

/// A written item with the hash of a file as handoff left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrittenRecord {
    #[serde(flatten)]
    pub written: Written,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

pub fn path() -> PathBuf {
    handoff_dir().join("history.jsonl")
}

impl Record {
    pub fn new(source: Endpoint, target: Endpoint, injected: &Injected) -> Result<Self> {
        let written = injected
            .written
            .iter()
            .map(|w| {
                let sha256 = match w {
                    Written::File { path } => Some(sha256_file(path)?),
                    Written::Rows { .. } => None,
                };
                Ok(WrittenRecord {
                    written: w.clone(),
                    sha256,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            id: uuid::Uuid::now_v7().to_string(),
            time_ms: crate::ui::now_ms(),
            source,
            target,
            written,
        })
    }

    /// What the target adapter is told to remove.
    pub fn injected(&self) -> Injected {
        Injected {
            session_id: self.target.session_id.clone(),
            path: self.target.path.clone().unwrap_or_default(),
            written: self.written.iter().map(|w| w.written.clone()).collect(),
            ..Injected::default()
        }
    }
}

/// Appends one record.
pub fn append(record: &Record) -> Result<()> {
    append_line(record)
}

/// One write of one line, so concurrent transfers do not interleave.
fn append_line(value: &impl Serialize) -> Result<()> {
    let path = path();
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut line = serde_json::to_string(value).context("cannot encode history record")?;
    line.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()))
        .with_context(|| format!("cannot append to {}", path.display()))
}

/// The transfers still in effect, oldest first (undone ones left out; unreadable lines skipped).
pub fn load() -> Result<Vec<Record>> {
    let path = path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut records = Vec::new();
    let mut undone = Vec::new();
    for line in text.lines() {
        if let Ok(record) = serde_json::from_str::<Record>(line) {
            records.push(record);
        } else if let Ok(marker) = serde_json::from_str::<UndoMarker>(line) {
            undone.push(marker.undone);
        }
    }
    records.retain(|r| !undone.contains(&r.id));
    Ok(records)
}

#[derive(Serialize, Deserialize)]
struct UndoMarker {
    undone: String,
}

/// Appends an undo marker so `history` and a later `undo` know the transfer is gone.
pub fn mark_undone(id: &str) -> Result<()> {
    append_line(&UndoMarker {
        undone: id.to_owned(),
    })
}
