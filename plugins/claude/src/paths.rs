//! Where Claude Code keeps its sessions: the home, the per-project folder and its key.

use handoff_adapter_kit::fs::{expand_tilde, home_dir};
use std::path::{Path, PathBuf};

/// Keys longer than this many UTF-16 units are cut and suffixed with a hash of the cwd.
const MAX_KEY_UNITS: usize = 200;

/// The home the client uses: `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn default_home() -> PathBuf {
    match std::env::var_os("CLAUDE_CONFIG_DIR") {
        Some(dir) if !dir.is_empty() => expand_tilde(&dir.to_string_lossy()),
        _ => home_dir().join(".claude"),
    }
}

/// The configured home wins over the environment.
pub fn home(configured: Option<&str>) -> PathBuf {
    match configured {
        Some(dir) if !dir.is_empty() => expand_tilde(dir),
        _ => default_home(),
    }
}

pub fn projects_dir(home: &Path) -> PathBuf {
    home.join("projects")
}

/// The folder name Claude Code gives a project: every UTF-16 unit that is not ASCII alphanumeric
/// becomes `-`; past 200 units the key is cut and suffixed with the base-36 hash of the cwd.
pub fn project_key(cwd: &str) -> String {
    let units: Vec<u16> = cwd.encode_utf16().collect();
    let sanitized: String = units
        .iter()
        .map(|&unit| match char::from_u32(u32::from(unit)) {
            Some(c) if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    if units.len() <= MAX_KEY_UNITS {
        return sanitized;
    }
    // The sanitized key is ASCII, so byte offsets are unit offsets.
    let head = sanitized.get(..MAX_KEY_UNITS).unwrap_or(&sanitized);
    format!("{head}-{}", base36(i64::from(java_hash(&units)).abs()))
}

/// `h = (h << 5) - h + unit` over the UTF-16 units, wrapping in i32 (JavaScript's `| 0`).
fn java_hash(units: &[u16]) -> i32 {
    units.iter().fold(0i32, |h, &unit| {
        h.wrapping_shl(5)
            .wrapping_sub(h)
            .wrapping_add(i32::from(unit))
    })
}

fn base36(mut n: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        let digit = usize::try_from(n % 36).unwrap_or(0);
        out.push(DIGITS.get(digit).copied().unwrap_or(b'0'));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The project folders that may hold `cwd`'s sessions: the exact key, plus, for cut keys, any
/// folder starting with the same 200-unit prefix (the client accepts those when their sessions'
/// cwd has the same key; the caller checks that). Missing folders are left out.
pub fn project_dirs(home: &Path, cwd: &str) -> Vec<PathBuf> {
    let projects = projects_dir(home);
    let key = project_key(cwd);
    let mut dirs = Vec::new();
    let exact = projects.join(&key);
    if exact.is_dir() {
        dirs.push(exact);
    }
    if key.len() > MAX_KEY_UNITS {
        let prefix = key.get(..MAX_KEY_UNITS).unwrap_or(&key);
        for dir in subdirs(&projects) {
            let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.is_some_and(|n| n != key && n.starts_with(prefix)) {
                dirs.push(dir);
            }
        }
    }
    dirs
}

/// Whether a folder found by prefix (see [`project_dirs`]) really belongs to `cwd`.
pub fn is_cut_key(key: &str) -> bool {
    key.len() > MAX_KEY_UNITS
}

/// Every project folder of the home.
pub fn all_project_dirs(home: &Path) -> Vec<PathBuf> {
    subdirs(&projects_dir(home))
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}

/// The session files of one project folder with their metadata: `<uuid>.jsonl` (subagent files
/// `agent-*.jsonl` and the `<uuid>/subagents/` folders are not sessions).
pub fn session_files(project_dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let Ok(entries) = std::fs::read_dir(project_dir) else {
        return Vec::new();
    };
    // The entry's type comes with the directory listing, and its metadata is read relative to
    // the open folder: a listing of thousands of files walks no full paths.
    entries
        .filter_map(Result::ok)
        .filter(|e| session_id_of(Path::new(&e.file_name())).is_some())
        .filter_map(|e| {
            let meta = match e.file_type().ok()? {
                t if t.is_symlink() => std::fs::metadata(e.path()).ok()?,
                _ => e.metadata().ok()?,
            };
            meta.is_file().then(|| (e.path(), meta))
        })
        .collect()
}

/// The session id of a session file: its stem, when that is a UUID and the extension is `jsonl`.
pub fn session_id_of(path: &Path) -> Option<String> {
    if path.extension()? != "jsonl" {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    uuid::Uuid::try_parse(stem).ok()?;
    Some(stem.to_owned())
}

/// The file a new session of `cwd` gets.
pub fn new_session_path(home: &Path, cwd: &str, session_id: &str) -> PathBuf {
    projects_dir(home)
        .join(project_key(cwd))
        .join(format!("{session_id}.jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_replace_every_non_alphanumeric_unit() {
        assert_eq!(project_key("/home/dev/demo_proj"), "-home-dev-demo-proj");
        assert_eq!(project_key("/home/dev/my.app v2"), "-home-dev-my-app-v2");
        // No collapsing of runs.
        assert_eq!(project_key("/a//b--c"), "-a--b--c");
    }

    #[test]
    fn emoji_is_two_units_and_cjk_one() {
        assert_eq!(project_key("/tmp/🚀x"), "-tmp---x");
        assert_eq!(project_key("/tmp/项目"), "-tmp---");
        assert_eq!(project_key("/tmp/café"), "-tmp-caf-");
    }

    #[test]
    fn windows_paths() {
        assert_eq!(project_key(r"C:\Users\dev\my_proj"), "C--Users-dev-my-proj");
    }

    #[test]
    fn hash_matches_javascript_string_hash() {
        // Values computed with JavaScript's `(h << 5) - h + c | 0` over UTF-16 units.
        let units = |s: &str| s.encode_utf16().collect::<Vec<_>>();
        assert_eq!(java_hash(&units("a")), 97);
        assert_eq!(java_hash(&units("hello")), 99_162_322);
        // Wraps in i32: Java's "hello world".hashCode() is 1794106052; a longer one goes negative.
        assert_eq!(java_hash(&units("hello world")), 1_794_106_052);
        assert_eq!(java_hash(&units("polygenelubricants")), i32::MIN);
        assert_eq!(base36(i64::from(i32::MIN).abs()), "zik0zk");
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
    }

    #[test]
    fn long_paths_are_cut_at_200_units_and_hashed() {
        let cwd = format!("/home/dev/{}", "a".repeat(300));
        let key = project_key(&cwd);
        let units: Vec<u16> = cwd.encode_utf16().collect();
        let hash = base36(i64::from(java_hash(&units)).abs());
        assert_eq!(key, format!("{}-{hash}", &project_key(&cwd)[..200]));
        assert!(key.starts_with("-home-dev-aaaa"));
        assert_eq!(key.len(), 201 + hash.len());
        // Exactly 200 units is not cut.
        let cwd200 = format!("/{}", "b".repeat(199));
        assert_eq!(project_key(&cwd200).len(), 200);
        assert!(!project_key(&cwd200).contains("--"));
        // The hash is over the original text, so paths with the same key prefix differ.
        let other = format!("/home/dev/{}é", "a".repeat(300));
        assert_ne!(project_key(&other), key);
        assert!(is_cut_key(&key));
    }

    #[test]
    fn session_ids_are_uuid_stems() {
        let id = "5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c";
        assert_eq!(
            session_id_of(Path::new(&format!("/p/{id}.jsonl"))).as_deref(),
            Some(id)
        );
        assert_eq!(session_id_of(Path::new("/p/agent-1234abcd.jsonl")), None);
        assert_eq!(session_id_of(Path::new(&format!("/p/{id}.json"))), None);
    }
}
