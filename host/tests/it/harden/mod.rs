//! Helpers of the hardening tests: a scratch HOME with the agents' homes in it, the real-client
//! fixtures as sources, whole-tree snapshots to prove what changed, and the error contract.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

pub use crate::support::{handoff, stderr, stdout, workspace};

pub const CLAUDE_REAL_ID: &str = "c7f43f34-d913-44a6-9e66-6480077ad443";
pub const CODEX_REAL_ID: &str = "01a20b25-6870-7401-bf9b-27b91e0e682f";
pub const CODEX_REAL_FILE: &str =
    "rollout-2026-11-24T01-22-10-01a20b25-6870-7401-bf9b-27b91e0e682f.jsonl";
pub const OPENCODE_REAL_ID: &str = "ses_df4dad3a5ffe34Xtv7dLURTax8";
pub const KILO_REAL_ID: &str = "ses_dbd98e360ffej9XOg08z1cMik2";
pub const COPILOT_REAL_ID: &str = "a068d609-d9a9-48b5-ad5c-d4ca26444678";
pub const GEMINI_REAL_ID: &str = "c75e2ad3-c9d9-4c50-afe3-e30ba1c67020";
pub const QWEN_REAL_ID: &str = "d0deb225-7c8e-4703-869c-d3be4c91a566";
pub const PI_REAL_ID: &str = "01a24247-3e04-7737-8252-b6a5805b1fef";
/// The headless session Cline 3.0.65 wrote (`plugins/cline/tests/fixtures/real/home`).
pub const CLINE_REAL_ID: &str = "1796417279249_f7zk4";
/// The newest session of the Crush fixture database (built to Crush's schema, not by Crush).
pub const CRUSH_FIXTURE_ID: &str = "8558b774-f98f-4ada-bf9a-823f45c6fabb";
/// The scenario chats of the editors' fixtures (built to their documented stores).
pub const CURSOR_FIXTURE_ID: &str = "8f3c2a61-5d4e-4b7a-9c1e-2a6b0d9e4f17";
pub const VSCODE_FIXTURE_ID: &str = "f3c8a41c-5be2-4d07-9c3f-8e2b6a1d0c47";

pub fn fixture(agent: &str, name: &str) -> PathBuf {
    workspace()
        .join("plugins")
        .join(agent)
        .join("tests/fixtures")
        .join(name)
}

/// A scratch HOME: `.claude`, `.codex` and `.local/share/opencode` follow from it (the test
/// binary runs with a cleared environment), and a project directory inside it.
pub struct Env {
    pub home: tempfile::TempDir,
    pub project: PathBuf,
}

impl Env {
    pub fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let project = home.path().join("work/project");
        std::fs::create_dir_all(&project).unwrap();
        let project = std::fs::canonicalize(project).unwrap();
        Self { home, project }
    }

    pub fn claude_home(&self) -> PathBuf {
        self.home.path().join(".claude")
    }
    pub fn codex_home(&self) -> PathBuf {
        self.home.path().join(".codex")
    }
    pub fn opencode_home(&self) -> PathBuf {
        self.home.path().join(".local/share/opencode")
    }
    pub fn kilo_home(&self) -> PathBuf {
        self.home.path().join(".local/share/kilo")
    }
    pub fn copilot_home(&self) -> PathBuf {
        self.home.path().join(".copilot")
    }
    pub fn gemini_home(&self) -> PathBuf {
        self.home.path().join(".gemini")
    }
    pub fn qwen_home(&self) -> PathBuf {
        self.home.path().join(".qwen")
    }
    pub fn pi_home(&self) -> PathBuf {
        self.home.path().join(".pi/agent")
    }
    pub fn cline_home(&self) -> PathBuf {
        self.home.path().join(".cline")
    }
    /// Where Crush keeps the project's sessions (its own home holds only the project list).
    pub fn crush_project_store(&self) -> PathBuf {
        self.project.join(".crush")
    }
    pub fn cursor_home(&self) -> PathBuf {
        self.home.path().join(".config/Cursor")
    }
    pub fn vscode_copilot_home(&self) -> PathBuf {
        self.home.path().join(".config/Code/User")
    }
    pub fn home_of(&self, agent: &str) -> PathBuf {
        match agent {
            "claude" => self.claude_home(),
            "codex" => self.codex_home(),
            "opencode" => self.opencode_home(),
            "copilot" => self.copilot_home(),
            "gemini" => self.gemini_home(),
            "qwen" => self.qwen_home(),
            "pi" => self.pi_home(),
            "kilo" => self.kilo_home(),
            "cline" => self.cline_home(),
            "crush" => self.crush_project_store(),
            "cursor" => self.cursor_home(),
            "vscode-copilot" => self.vscode_copilot_home(),
            other => panic!("no home for {other}"),
        }
    }

    /// Puts `bytes` as Claude session `id` of project folder `-src`; returns its path.
    pub fn claude_session(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let path = self.claude_home().join(format!("projects/-src/{id}.jsonl"));
        put(&path, bytes);
        path
    }

    /// Puts `bytes` as a Codex rollout named for `id` (with `.zst` when `zst`).
    pub fn codex_session(&self, id: &str, zst: bool, bytes: &[u8]) -> PathBuf {
        let name = format!(
            "rollout-2025-10-01T10-00-00-{id}.jsonl{}",
            if zst { ".zst" } else { "" }
        );
        let path = self.codex_home().join("sessions/2025/10/01").join(name);
        put(&path, bytes);
        path
    }

    /// Puts `bytes` as the event log of Copilot CLI session `id`; returns its path.
    pub fn copilot_session(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let path = self
            .copilot_home()
            .join("session-state")
            .join(id)
            .join("events.jsonl");
        put(&path, bytes);
        path
    }

    /// Puts `bytes` as the Gemini CLI session file of project folder `project` named for `id`
    /// (its first 8 characters, as the client names them); returns its path.
    pub fn gemini_session(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let dir = self.gemini_home().join("tmp/project");
        put(
            &dir.join(".project_root"),
            self.project.display().to_string().as_bytes(),
        );
        let path = dir.join(format!("chats/session-2026-01-01T00-00-{}.jsonl", &id[..8]));
        put(&path, bytes);
        path
    }

    /// Puts `bytes` as pi session `id` of the project; returns its path.
    pub fn pi_session(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let folder = format!(
            "--{}--",
            self.project
                .display()
                .to_string()
                .trim_start_matches('/')
                .replace('/', "-")
        );
        let path = self.pi_home().join(format!(
            "sessions/{folder}/2026-01-01T00-00-00-000Z_{id}.jsonl"
        ));
        put(&path, bytes);
        path
    }

    /// Puts `bytes` as the conversation of Cline session `id` of the project, beside its
    /// manifest; returns its path.
    pub fn cline_session(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let dir = self.cline_home().join("data/sessions").join(id);
        let manifest = serde_json::json!({"session_id": id, "cwd": self.project});
        put(
            &dir.join(format!("{id}.json")),
            manifest.to_string().as_bytes(),
        );
        let path = dir.join(format!("{id}.messages.json"));
        put(&path, bytes);
        path
    }

    /// Puts `bytes` as Qwen Code session `id` of the project; returns its path.
    pub fn qwen_session(&self, id: &str, bytes: &[u8]) -> PathBuf {
        let key: String = self
            .project
            .display()
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = self
            .qwen_home()
            .join(format!("projects/{key}/chats/{id}.jsonl"));
        put(&path, bytes);
        path
    }

    /// The real clients' sessions in every home: Claude's and Codex's files (with Codex's thread
    /// index), OpenCode's database, Copilot CLI's session folder, and Gemini CLI's, Qwen Code's
    /// and pi's homes.
    pub fn with_real_sources(self) -> Self {
        copy_copilot_session(&self.copilot_home());
        copy_real_home("gemini", &self.gemini_home());
        copy_real_home("qwen", &self.qwen_home());
        copy_real_home("pi", &self.pi_home());
        copy_real_home("cline", &self.cline_home());
        // Cursor's fixture is its configuration folder; VS Code's a home.
        copy_tree(&fixture("cursor", "home"), &self.cursor_home());
        copy_tree(&fixture("vscode-copilot", "home"), self.home.path());
        put(
            &self.crush_project_store().join("crush.db"),
            &std::fs::read(fixture("crush", "crush.db")).unwrap(),
        );
        let projects = serde_json::json!({"projects": [{
            "path": self.project, "data_dir": self.crush_project_store()}]});
        put(
            &self.home.path().join(".local/share/crush/projects.json"),
            projects.to_string().as_bytes(),
        );
        let claude = std::fs::read(fixture("claude", &format!("real/{CLAUDE_REAL_ID}.jsonl")));
        self.claude_session(CLAUDE_REAL_ID, &claude.unwrap());
        let rollout = std::fs::read(fixture("codex", &format!("real/{CODEX_REAL_FILE}"))).unwrap();
        put(
            &self
                .codex_home()
                .join("sessions/2026/11/24")
                .join(CODEX_REAL_FILE),
            &rollout,
        );
        std::fs::copy(
            fixture("codex", "real/state_5.sqlite"),
            self.codex_home().join("state_5.sqlite"),
        )
        .unwrap();
        self.with_opencode_db()
    }

    /// OpenCode's and Kilo Code's homes with a copy of each real client's database (a transfer
    /// into them needs the database to exist).
    pub fn with_opencode_db(self) -> Self {
        for (fixture_name, home, db) in [
            ("real/opencode.db", self.opencode_home(), "opencode.db"),
            ("kilo/kilo.db", self.kilo_home(), "kilo.db"),
        ] {
            std::fs::create_dir_all(&home).unwrap();
            std::fs::copy(fixture("opencode", fixture_name), home.join(db)).unwrap();
        }
        self
    }

    pub fn run(&self, args: &[&str]) -> Output {
        handoff(self.home.path()).args(args).output().unwrap()
    }

    /// `handoff FROM TO --session-id ID --cwd <project> --json <extra…>`.
    pub fn transfer(&self, from: &str, to: &str, id: &str, extra: &[&str]) -> Output {
        let project = self.project.display().to_string();
        let mut args = vec![from, to, "--session-id", id, "--cwd", &project, "--json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(self.home.path())
    }
}

pub fn put(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A file as it was: its bytes' hash, length and mtime (or the target of a symlink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub sha256: String,
    pub len: u64,
    pub mtime: SystemTime,
}

/// Every file under a root, symlinks not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<PathBuf, FileState>);

impl Snapshot {
    pub fn of(root: &Path) -> Self {
        let mut files = BTreeMap::new();
        walk(root, &mut files);
        Self(files)
    }

    /// Files added, removed or changed (bytes or mtime) since `self`.
    pub fn changes(&self, after: &Snapshot) -> Vec<PathBuf> {
        let mut changed: Vec<PathBuf> = after
            .0
            .iter()
            .filter(|(path, state)| self.0.get(*path) != Some(state))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            self.0
                .keys()
                .filter(|path| !after.0.contains_key(*path))
                .cloned(),
        );
        changed.sort();
        changed
    }

    /// Asserts that everything that changed lies under one of `allowed`.
    pub fn assert_changes_only_under(&self, after: &Snapshot, allowed: &[&Path]) {
        let outside: Vec<PathBuf> = self
            .changes(after)
            .into_iter()
            .filter(|p| !allowed.iter().any(|a| p.starts_with(a)))
            .collect();
        assert!(
            outside.is_empty(),
            "changed outside {allowed:?}: {outside:#?}"
        );
    }
}

fn walk(dir: &Path, files: &mut BTreeMap<PathBuf, FileState>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            walk(&path, files);
            continue;
        }
        let bytes = if meta.file_type().is_symlink() {
            std::fs::read_link(&path)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes()
        } else {
            std::fs::read(&path).unwrap()
        };
        files.insert(
            path,
            FileState {
                sha256: format!("{:x}", Sha256::digest(&bytes)),
                len: meta.len(),
                mtime: meta.modified().unwrap(),
            },
        );
    }
}

/// Exit statuses (README: exit codes): nothing to hand off, an unreadable source session.
pub const NO_SESSION: i32 = 3;
pub const INVALID_SESSION: i32 = 4;
pub const UNSUPPORTED: i32 = 5;

/// The error contract: the documented exit `code`, no panic, exactly one `error: ` line, and it
/// is the last line. Returns that line.
pub fn assert_clean_error(output: &Output, code: i32) -> String {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit {code}: {err}"
    );
    assert!(!err.contains("panicked"), "a panic leaked: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected: {err}");
    assert_eq!(err.lines().last(), Some(errors[0]), "{err}");
    errors[0].to_owned()
}

/// Success: exit 0, no panic; the `--json` report.
pub fn assert_ok_json(output: &Output) -> serde_json::Value {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(0), "expected success: {err}");
    assert!(!err.contains("panicked"), "a panic leaked: {err}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json output: {e}: {}", stdout(output)))
}

/// No temp file of an atomic write is left anywhere under `root`.
pub fn assert_no_temp_files(root: &Path) {
    let temps: Vec<PathBuf> = Snapshot::of(root)
        .0
        .into_keys()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".handoff-"))
        })
        .collect();
    assert!(temps.is_empty(), "half-written files left: {temps:?}");
}

/// Copies the real Copilot CLI session folder into `copilot_home`.
/// The home the real client wrote its fixture session into (`plugins/<agent>/tests/fixtures/
/// real/home`, registry and markers included), copied to `to`.
pub fn copy_real_home(agent: &str, to: &Path) {
    copy_tree(&fixture(agent, "real/home"), to);
}

/// Copies the tree `from` into `to`, folders made as needed.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&entry.path(), &dest);
        } else {
            put(&dest, &std::fs::read(entry.path()).unwrap());
        }
    }
}

pub fn copy_copilot_session(copilot_home: &Path) {
    let folder = copilot_home.join("session-state").join(COPILOT_REAL_ID);
    std::fs::create_dir_all(&folder).unwrap();
    for name in ["events.jsonl", "workspace.yaml"] {
        std::fs::copy(
            fixture("copilot", &format!("real/{COPILOT_REAL_ID}/{name}")),
            folder.join(name),
        )
        .unwrap();
    }
}
