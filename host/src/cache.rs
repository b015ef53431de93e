//! The list cache: `~/.handoff/cache/list-<agent>.json` (0600, in a 0700 folder) holds the rows
//! `list` and `status` showed, keyed by file with the size and mtime the file had then. The host
//! sends those stamps with the list request; an adapter answers `cached: true` for a file that
//! still matches, without reading it, and the row comes from here.
//!
//! Titles are user text, so they are stored only after redaction (with the rules of the redaction
//! key below; other rules, another key, an empty cache). The cache is trusted for nothing but
//! listing, and a missing, stale or unreadable cache is rebuilt without a word.

use anyhow::{Context, Result};
use handoff_plugin_api::{FileStamp, SessionSummary};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{create_private_dir, handoff_dir};

/// Bumped when the layout or the meaning of a row changes.
const FORMAT: u32 = 1;

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    /// Which redaction made the titles (see [`redaction_key`]).
    redaction: String,
    rows: HashMap<String, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    size: u64,
    mtime_ms: i64,
    row: SessionSummary,
}

/// One agent's cache, loaded for one listing.
pub struct ListCache {
    path: PathBuf,
    file: CacheFile,
    dirty: bool,
}

/// Names the redaction rules a title went through: this build's builtin rules and the user's
/// patterns. A change of either empties the cache.
pub fn redaction_key(patterns: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    for pattern in patterns {
        hasher.update([0]);
        hasher.update(pattern.as_bytes());
    }
    crate::pipeline::hex(&hasher.finalize())
}

pub fn cache_dir() -> PathBuf {
    handoff_dir().join("cache")
}

impl ListCache {
    /// The cache of `agent`, empty when missing, unreadable or made under other rules.
    pub fn load(agent: &str, redaction: &str) -> Self {
        let path = cache_dir().join(format!("list-{agent}.json"));
        let file = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|f| f.format == FORMAT && f.redaction == redaction)
            .unwrap_or_else(|| CacheFile {
                format: FORMAT,
                redaction: redaction.to_owned(),
                rows: HashMap::new(),
            });
        Self {
            path,
            file,
            dirty: false,
        }
    }

    /// The stamps to send: every cached file, or with `cwd` only the files of that project (an
    /// adapter that filters by reading the file cannot tell a cached file's project).
    pub fn stamps(&self, cwd: Option<&str>) -> Vec<FileStamp> {
        self.file
            .rows
            .iter()
            .filter(|(_, e)| cwd.is_none_or(|cwd| e.row.cwd.as_deref() == Some(cwd)))
            .map(|(path, e)| FileStamp {
                path: path.clone(),
                size: e.size,
                mtime_ms: e.mtime_ms,
            })
            .collect()
    }

    /// Turns an adapter's answer into rows to show: `cached` rows come from the cache, fresh
    /// rows get their title redacted by `redact` and are remembered when their file is stable
    /// (its mtime is the row's `updated_ms`, so it did not change while it was read). With
    /// `complete` (every file of the agent was listed), files that are gone are forgotten.
    pub fn resolve(
        &mut self,
        answer: Vec<SessionSummary>,
        complete: bool,
        redact: &mut dyn FnMut(&str) -> String,
    ) -> Vec<SessionSummary> {
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(answer.len());
        for row in &answer {
            *seen.entry(row.path.clone()).or_default() += 1;
        }
        let mut rows = Vec::with_capacity(answer.len());
        for mut row in answer {
            if row.cached {
                // A cached answer for a file we hold no row for is a confused adapter: skip it.
                if let Some(entry) = self.file.rows.get(&row.path) {
                    rows.push(entry.row.clone());
                }
                continue;
            }
            row.title = row.title.as_deref().map(&mut *redact);
            // Rows that share a file (a database) cannot be keyed by it.
            if seen.get(&row.path) == Some(&1) {
                if let Some((size, mtime_ms)) = stamp(Path::new(&row.path)) {
                    if row.updated_ms == Some(mtime_ms) {
                        let entry = Entry {
                            size,
                            mtime_ms,
                            row: row.clone(),
                        };
                        self.file.rows.insert(row.path.clone(), entry);
                        self.dirty = true;
                    }
                }
            }
            rows.push(row);
        }
        if complete {
            let before = self.file.rows.len();
            self.file.rows.retain(|path, _| seen.contains_key(path));
            self.dirty |= self.file.rows.len() != before;
        }
        rows
    }

    /// Writes the cache if it changed: a private temp file renamed into place, so a reader never
    /// sees half of it.
    pub fn save(&self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let bytes = serde_json::to_vec(&self.file).context("cannot encode the list cache")?;
        let mut temp = tempfile::Builder::new()
            .prefix(".list-")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        std::io::Write::write_all(&mut temp, &bytes)
            .with_context(|| format!("cannot write {}", temp.path().display()))?;
        // tempfile creates 0600 files.
        temp.persist(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        Ok(())
    }
}

/// A file's size and mtime in unix milliseconds, as adapters stamp them.
fn stamp(path: &Path) -> Option<(u64, i64)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime_ms = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_millis()).ok())?;
    Some((meta.len(), mtime_ms))
}
