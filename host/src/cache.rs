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
const FORMAT: u32 = 3;

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    /// Which redaction made the titles (see [`redaction_key`]).
    redaction: String,
    /// Sorted by the row's path, which is the key (stored once: a warm listing's cost is mostly
    /// reading this file).
    rows: Vec<Entry>,
}

/// One file's row, stored as a JSON array rather than an object: the cache is read on every
/// listing, and arrays are half the bytes and no key lookups.
#[derive(Clone, Serialize, Deserialize)]
#[serde(into = "EntryFields", from = "EntryFields")]
struct Entry {
    size: u64,
    mtime_ms: i64,
    row: SessionSummary,
}

/// (size, mtime, agent, session id, cwd, title, messages, updated, created, path)
type EntryFields = (
    u64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    usize,
    Option<i64>,
    Option<i64>,
    String,
);

impl From<Entry> for EntryFields {
    fn from(
        Entry {
            size,
            mtime_ms,
            row,
        }: Entry,
    ) -> Self {
        let SessionSummary {
            agent,
            session_id,
            cwd,
            title,
            messages,
            updated_ms,
            created_ms,
            path,
            cached: _,
            store: _,
        } = row;
        (
            size, mtime_ms, agent, session_id, cwd, title, messages, updated_ms, created_ms, path,
        )
    }
}

impl From<EntryFields> for Entry {
    fn from(fields: EntryFields) -> Self {
        let (size, mtime_ms, agent, session_id, cwd, title, messages, updated_ms, created_ms, path) =
            fields;
        Self {
            size,
            mtime_ms,
            row: SessionSummary {
                agent,
                session_id,
                cwd,
                title,
                messages,
                updated_ms,
                created_ms,
                path,
                cached: false,
                store: None,
            },
        }
    }
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
    for catalogue in crate::redact::catalogue_fingerprint() {
        hasher.update(catalogue.as_bytes());
    }
    for pattern in patterns {
        hasher.update([0]);
        hasher.update(pattern.as_bytes());
    }
    crate::written::hex(&hasher.finalize())
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
            .filter(|f| f.rows.is_sorted_by(|a, b| a.row.path < b.row.path))
            .unwrap_or_else(|| CacheFile {
                format: FORMAT,
                redaction: redaction.to_owned(),
                rows: Vec::new(),
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
            .filter(|e| cwd.is_none_or(|cwd| e.row.cwd.as_deref() == Some(cwd)))
            .map(|e| FileStamp {
                path: e.row.path.clone(),
                size: e.size,
                mtime_ms: e.mtime_ms,
            })
            .collect()
    }

    fn index_of(&self, path: &str) -> Option<usize> {
        self.file
            .rows
            .binary_search_by(|e| e.row.path.as_str().cmp(path))
            .ok()
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
        // Which answered files are listed once (rows that share a file, a database, cannot be
        // keyed by it), and which cached files are still there.
        let (unique, listed) = {
            let mut count: HashMap<&str, usize> = HashMap::with_capacity(answer.len());
            for row in &answer {
                *count.entry(row.path.as_str()).or_default() += 1;
            }
            let unique: Vec<bool> = answer
                .iter()
                .map(|r| count.get(r.path.as_str()) == Some(&1))
                .collect();
            let listed: Vec<bool> = self
                .file
                .rows
                .iter()
                .map(|e| count.contains_key(e.row.path.as_str()))
                .collect();
            (unique, listed)
        };
        let mut rows = Vec::with_capacity(answer.len());
        let mut fresh = Vec::new();
        // Cached rows are moved out (a warm listing copies next to nothing) and put back if the
        // cache is saved: (entry, row) pairs.
        let mut taken = Vec::new();
        for (mut row, unique) in answer.into_iter().zip(unique) {
            if row.cached {
                // A cached answer for a file we hold no row for is a confused adapter: skip it.
                // (The path stays: it keeps the rows searchable.)
                if let Some(index) = self.index_of(&row.path)
                    && let Some(entry) = self.file.rows.get_mut(index)
                    && !entry.row.session_id.is_empty()
                {
                    let cached = std::mem::take(&mut entry.row);
                    entry.row.path.clone_from(&cached.path);
                    taken.push((index, rows.len()));
                    rows.push(cached);
                }
                continue;
            }
            row.title = row.title.as_deref().map(&mut *redact);
            if unique
                && let Some((size, mtime_ms)) = stamp(Path::new(&row.path))
                && row.updated_ms == Some(mtime_ms)
            {
                fresh.push(Entry {
                    size,
                    mtime_ms,
                    row: row.clone(),
                });
            }
            rows.push(row);
        }
        let forget = complete && listed.contains(&false);
        self.dirty |= forget || !fresh.is_empty();
        if !self.dirty {
            return rows;
        }
        for (entry, row) in taken {
            if let (Some(entry), Some(row)) = (self.file.rows.get_mut(entry), rows.get(row)) {
                entry.row = row.clone();
            }
        }
        if forget {
            let mut listed = listed.into_iter();
            self.file.rows.retain(|_| listed.next().unwrap_or(true));
        }
        if !fresh.is_empty() {
            let stale: std::collections::HashSet<&str> =
                fresh.iter().map(|e| e.row.path.as_str()).collect();
            self.file
                .rows
                .retain(|e| !stale.contains(e.row.path.as_str()));
            self.file.rows.extend(fresh);
            self.file.rows.sort_by(|a, b| a.row.path.cmp(&b.row.path));
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
