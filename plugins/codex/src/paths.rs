//! Where Codex keeps things: the home, the dated `sessions/` tree and the rollout file names.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use handoff_adapter_kit::listing::mtime_ms;
use std::path::{Path, PathBuf};

/// The Codex home: the configured one, else `$CODEX_HOME`, else `~/.codex`.
pub fn home(configured: Option<&str>) -> PathBuf {
    if let Some(home) = configured.filter(|h| !h.is_empty()) {
        return expand_tilde(home);
    }
    match std::env::var("CODEX_HOME") {
        Ok(env) if !env.is_empty() => expand_tilde(&env),
        _ => home_dir().join(".codex"),
    }
}

pub fn sessions_dir(home: &Path) -> PathBuf {
    home.join("sessions")
}

pub fn archived_dir(home: &Path) -> PathBuf {
    home.join("archived_sessions")
}

/// One rollout file found on disk.
#[derive(Debug, Clone)]
pub struct RolloutFile {
    pub path: PathBuf,
    /// The uuid at the end of the name (`rollout-…-<uuid>.jsonl`).
    pub id: String,
    pub size: u64,
    pub modified_ms: i64,
}

/// The session id a rollout file name carries: the trailing uuid of `rollout-<time>-<uuid>.jsonl`
/// (or `.jsonl.zst`).
pub fn id_from_file_name(name: &str) -> Option<String> {
    let stem = name
        .strip_suffix(".jsonl")
        .or_else(|| name.strip_suffix(".jsonl.zst"))?;
    let rest = stem.strip_prefix("rollout-")?;
    // A uuid is 36 characters: 8-4-4-4-12.
    let start = rest.len().checked_sub(36)?;
    let id = rest.get(start..)?;
    is_uuid(id).then(|| id.to_ascii_lowercase())
}

pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Every rollout under `root`, newest day folder first. The tree is `YYYY/MM/DD/`; files lying
/// directly in `root` (the earliest Codex versions) are found too.
pub fn rollout_files(root: &Path) -> Vec<RolloutFile> {
    let mut found = Vec::new();
    collect(root, 0, &mut found);
    found
}

fn collect(dir: &Path, depth: usize, found: &mut Vec<RolloutFile>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs = Vec::new();
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if file_type.is_dir() && depth < 3 {
            subdirs.push(entry.path());
        } else if file_type.is_file()
            && let Some(id) = id_from_file_name(name)
        {
            let (size, modified_ms) = entry
                .metadata()
                .map(|m| (m.len(), mtime_ms(&m)))
                .unwrap_or((0, 0));
            found.push(RolloutFile {
                path: entry.path(),
                id,
                size,
                modified_ms,
            });
        }
    }
    // Day folders sort by name; newest first keeps "most recent" searches short.
    subdirs.sort_unstable_by(|a, b| b.cmp(a));
    for sub in subdirs {
        collect(&sub, depth + 1, found);
    }
}

/// Where a new rollout goes: `sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<id>.jsonl` (UTC).
pub fn new_rollout_path(home: &Path, id: &str, now_ms: i64) -> PathBuf {
    let (year, month, day, hour, minute, second) = handoff_adapter_kit::time::utc_fields(now_ms);
    sessions_dir(home)
        .join(format!("{year:04}"))
        .join(format!("{month:02}"))
        .join(format!("{day:02}"))
        .join(format!(
            "rollout-{year:04}-{month:02}-{day:02}T{hour:02}-{minute:02}-{second:02}-{id}.jsonl"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_end_of_rollout_names() {
        assert_eq!(
            id_from_file_name(
                "rollout-2025-10-01T10-00-00-0199a213-81c0-7800-8aa1-bbab2a035a54.jsonl"
            )
            .as_deref(),
            Some("0199a213-81c0-7800-8aa1-bbab2a035a54")
        );
        assert_eq!(
            id_from_file_name(
                "rollout-2025-10-01T10-00-00-0199A213-81C0-7800-8AA1-BBAB2A035A54.jsonl.zst"
            )
            .as_deref(),
            Some("0199a213-81c0-7800-8aa1-bbab2a035a54")
        );
        assert_eq!(
            id_from_file_name("rollout-2025-10-01T10-00-00-notauuid.jsonl"),
            None
        );
        assert_eq!(id_from_file_name("history.jsonl"), None);
    }

    #[test]
    fn new_paths_follow_codex_naming() {
        let path = new_rollout_path(Path::new("/h"), "abc", 1_759_312_801_250);
        assert_eq!(
            path,
            Path::new("/h/sessions/2025/10/01/rollout-2025-10-01T10-00-01-abc.jsonl")
        );
    }
}
