//! Listing many session files fast: honour the host's list cache (files whose size and mtime
//! still equal the host's stamp are not read) and read the others on every core.

use handoff_plugin_api::{FileStamp, SessionSummary};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

/// The stamps of [`handoff_plugin_api::ListRequest::unchanged`], by path.
#[derive(Debug, Default)]
pub struct Unchanged(HashMap<String, (u64, i64)>);

impl Unchanged {
    pub fn new(stamps: &[FileStamp]) -> Self {
        Self(
            stamps
                .iter()
                .map(|s| (s.path.clone(), (s.size, s.mtime_ms)))
                .collect(),
        )
    }

    /// Whether the host holds a row for `path` as it is now (same size, same mtime).
    pub fn contains(&self, path: &Path, size: u64, mtime_ms: i64) -> bool {
        self.0
            .get(path.to_string_lossy().as_ref())
            .is_some_and(|&stamp| stamp == (size, mtime_ms))
    }

    /// The row that tells the host to use its own copy.
    pub fn cached_row(agent: &str, session_id: String, path: &Path) -> SessionSummary {
        SessionSummary {
            agent: agent.to_owned(),
            session_id,
            path: path.display().to_string(),
            cached: true,
            ..SessionSummary::default()
        }
    }
}

/// A file's mtime in unix milliseconds, as the host stamps it (0 when unknown).
pub fn mtime_ms(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .unwrap_or(0)
}

/// Below this many items the threads cost more than they save.
const PARALLEL_FROM: usize = 16;

/// `f` over every item, on as many threads as there are cores, results in item order. Items are
/// handed out one at a time, so a few big files do not leave a core idle.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || items.len() < PARALLEL_FROM {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, f(item)));
        }
    };
    let mut indexed: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut all = work();
        for helper in helpers {
            // A helper that panicked lost its items; the caller's catch_unwind reports the panic.
            match helper.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    indexed.sort_unstable_by_key(|(index, _)| *index);
    indexed.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_item_order() {
        let items: Vec<usize> = (0..1000).collect();
        let doubled = par_map(&items, |i| i * 2);
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn unchanged_needs_the_same_size_and_mtime() {
        let unchanged = Unchanged::new(&[FileStamp {
            path: "/s/a.jsonl".into(),
            size: 10,
            mtime_ms: 5,
        }]);
        assert!(unchanged.contains(Path::new("/s/a.jsonl"), 10, 5));
        assert!(!unchanged.contains(Path::new("/s/a.jsonl"), 11, 5));
        assert!(!unchanged.contains(Path::new("/s/a.jsonl"), 10, 6));
        assert!(!unchanged.contains(Path::new("/s/b.jsonl"), 10, 5));
    }
}
