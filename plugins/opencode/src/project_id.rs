//! OpenCode's projectID of a directory (checked on 1.18.33):
//! 1. no git repository above it → `global`;
//! 2. `origin` remote that parses → `sha1("git-remote:" + host/path)`;
//! 3. else the id cached in `<git-common-dir>/opencode` (`kilo` for Kilo Code);
//! 4. else the first sorted root commit;
//! 5. else (no commits) `global`.
//!
//! `git` runs as a subprocess; anything that fails (no git installed, not a repo) gives `global`,
//! as it does in OpenCode.

use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const GLOBAL: &str = "global";

/// The project a directory belongs to, as OpenCode's `project` table records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: String,
    /// The repository's top level, or `/` for the global project.
    pub worktree: String,
    /// `git` for a repository.
    pub vcs: Option<String>,
}

impl ProjectRef {
    pub fn global() -> Self {
        Self {
            id: GLOBAL.into(),
            worktree: "/".into(),
            vcs: None,
        }
    }
}

/// Resolves the project of `dir` the way OpenCode does (`cache` names the file in `.git` that
/// caches the id).
pub fn resolve(dir: &Path, cache: &str) -> ProjectRef {
    let Some(repo) = discover(dir) else {
        return ProjectRef::global();
    };
    let id = git(dir, &["remote", "get-url", "origin"])
        .and_then(|url| normalize_remote(&url))
        .map(|normalized| sha1_hex(&format!("git-remote:{normalized}")))
        .or_else(|| cached_id(&repo.common_dir, cache))
        .or_else(|| root_commit(dir));
    match id {
        Some(id) => ProjectRef {
            id,
            worktree: repo.worktree,
            vcs: Some("git".into()),
        },
        None => ProjectRef::global(),
    }
}

struct Repo {
    worktree: String,
    common_dir: PathBuf,
}

fn discover(dir: &Path) -> Option<Repo> {
    let out = git(dir, &["rev-parse", "--show-toplevel", "--git-common-dir"])?;
    let mut lines = out.lines();
    let worktree = lines.next()?.trim().to_owned();
    let common = PathBuf::from(lines.next()?.trim());
    let common_dir = if common.is_absolute() {
        common
    } else {
        dir.join(common)
    };
    (!worktree.is_empty()).then_some(Repo {
        worktree,
        common_dir,
    })
}

fn cached_id(common_dir: &Path, cache: &str) -> Option<String> {
    let text = std::fs::read_to_string(common_dir.join(cache)).ok()?;
    let id = text.trim();
    // The id names a folder of the legacy tree: anything that could be a path is ignored.
    handoff_adapter_kit::fs::is_safe_id(id).then(|| id.to_owned())
}

fn root_commit(dir: &Path) -> Option<String> {
    let out = git(dir, &["rev-list", "--max-parents=0", "HEAD"])?;
    let mut roots: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    roots.sort_unstable();
    roots.first().map(|root| (*root).to_owned())
}

/// Runs git in `dir`; its trimmed stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn sha1_hex(text: &str) -> String {
    Sha1::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `host/path` of a remote URL as OpenCode normalizes it: URLs by their host and path, scp-like
/// `user@host:path` too; `file://` URLs and local paths have none. The host is lowercased, the
/// path keeps its case and loses leading `/`, a trailing `.git` and trailing `/`.
pub fn normalize_remote(url: &str) -> Option<String> {
    let value = url.trim();
    if value.is_empty() {
        return None;
    }
    if let Some((scheme, rest)) = value.split_once(':')
        && is_url_scheme(scheme)
    {
        if scheme.eq_ignore_ascii_case("file") {
            return None;
        }
        // A URL without an authority (`github.com:owner/repo` parses as scheme `github.com:`)
        // has no host, hence no identity.
        let authority_and_path = rest.strip_prefix("//")?;
        let (authority, path) = match authority_and_path.find(['/', '?', '#']) {
            Some(at) => authority_and_path.split_at(at),
            None => (authority_and_path, ""),
        };
        let path = path.split(['?', '#']).next().unwrap_or("");
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let host = strip_port(host_port);
        return join_host_path(host, path);
    }
    scp_like(value)
}

/// `^([^@/:]+@)?([^/:]+):(.+)$`
fn scp_like(value: &str) -> Option<String> {
    let (head, path) = value.split_once(':')?;
    if path.is_empty() {
        return None;
    }
    let host = match head.split_once('@') {
        Some((user, host)) if !user.is_empty() && !user.contains(['/', ':']) => host,
        Some(_) => return None,
        None => head,
    };
    if host.is_empty() || host.contains(['/', ':', '@']) {
        return None;
    }
    join_host_path(host, path)
}

fn is_url_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

fn strip_port(host_port: &str) -> &str {
    if host_port.starts_with('[') {
        // An IPv6 literal keeps its brackets, as URL.hostname does.
        return host_port.split_inclusive(']').next().unwrap_or(host_port);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

fn join_host_path(host: &str, path: &str) -> Option<String> {
    let path = path.trim_start_matches('/');
    let path = path
        .strip_suffix(".git/")
        .or_else(|| path.strip_suffix(".git"))
        .unwrap_or(path);
    let path = path.trim_end_matches('/');
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{}/{}", host.to_ascii_lowercase(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_normalize_like_opencode() {
        let cases = [
            (
                "git@github.com:Owner/Repo.git",
                Some("github.com/Owner/Repo"),
            ),
            (
                "https://GitHub.com/Owner/Repo.git",
                Some("github.com/Owner/Repo"),
            ),
            (
                "https://github.com/Owner/Repo/",
                Some("github.com/Owner/Repo"),
            ),
            (
                "ssh://git@Host.example:2222/a/b.git",
                Some("host.example/a/b"),
            ),
            ("https://user:pw@gitlab.com/g/p", Some("gitlab.com/g/p")),
            ("file:///srv/repo.git", None),
            ("/srv/repo.git", None),
            ("../repo", None),
            ("github.com:owner/repo", None),
            ("", None),
        ];
        for (url, want) in cases {
            assert_eq!(normalize_remote(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn remote_hash_is_sha1_of_the_prefixed_url() {
        assert_eq!(
            sha1_hex("git-remote:github.com/Owner/Repo"),
            "11f3c80b242022192a49fbe6fa3d06af97909468"
        );
    }

    fn run_git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[test]
    fn project_of_a_directory_follows_the_precedence() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = handoff_adapter_kit::fs::physical(tmp.path());
        // Not a repository.
        assert_eq!(resolve(&dir, "opencode"), ProjectRef::global());
        // A repository with no commit is global too.
        run_git(&dir, &["init", "-q"]);
        assert_eq!(resolve(&dir, "opencode").id, GLOBAL);
        // The root commit.
        run_git(&dir, &["commit", "-q", "--allow-empty", "-m", "root"]);
        let root = git(&dir, &["rev-parse", "HEAD"]).unwrap();
        let project = resolve(&dir, "opencode");
        assert_eq!(project.id, root);
        assert_eq!(project.worktree, dir.to_string_lossy());
        assert_eq!(project.vcs.as_deref(), Some("git"));
        // A subdirectory belongs to the same project.
        std::fs::create_dir(dir.join("sub")).unwrap();
        assert_eq!(resolve(&dir.join("sub"), "opencode").id, root);
        // The cached id wins over the root commit.
        std::fs::write(dir.join(".git/opencode"), "cached-id\n").unwrap();
        assert_eq!(resolve(&dir, "opencode").id, "cached-id");
        // The remote wins over everything.
        run_git(
            &dir,
            &["remote", "add", "origin", "git@github.com:Owner/Repo.git"],
        );
        assert_eq!(
            resolve(&dir, "opencode").id,
            "11f3c80b242022192a49fbe6fa3d06af97909468"
        );
    }
}
