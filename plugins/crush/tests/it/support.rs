//! A Crush home and projects in temporary directories, holding the fixture's database.

use handoff_crush::CrushAdapter;
use handoff_plugin_api::{
    Adapter, AdapterResult, ExtractRequest, Extracted, InjectMode, InjectRequest, Injected,
    ListRequest, SessionSummary, Transcript,
};
use std::path::{Path, PathBuf};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The fixture's sessions: the newest (tool calls, an error, a sub-agent), its sub-agent's, and
/// an older one (attachments, a summary, a `!command`, a cancelled turn).
pub const MAIN_ID: &str = "8558b774-f98f-4ada-bf9a-823f45c6fabb";
pub const CHILD_ID: &str = "3762f646-d56c-4ecb-9ca0-6268b986df50$$toolu_05";
pub const OLDER_ID: &str = "31f7b9cf-f04e-40a9-afe5-cec24709c06a";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

/// A home (Crush's global data directory) and a folder for projects.
pub struct Machine {
    pub home: tempfile::TempDir,
    pub root: tempfile::TempDir,
}

impl Machine {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn home(&self) -> Option<String> {
        Some(self.home.path().display().to_string())
    }

    /// A new project directory (a git work tree), physical path.
    pub fn project(&self, name: &str) -> PathBuf {
        let dir = self.root.path().join(name);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        dir.canonicalize().unwrap()
    }

    /// A project whose `.crush/crush.db` holds `bytes`, registered as Crush registers it.
    pub fn project_with(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let project = self.project(name);
        std::fs::create_dir_all(project.join(".crush")).unwrap();
        std::fs::write(project.join(".crush/crush.db"), bytes).unwrap();
        self.register(&project);
        project
    }

    /// Adds `project` to `projects.json`, most recent first.
    pub fn register(&self, project: &Path) {
        let file = self.home.path().join("projects.json");
        let mut list: serde_json::Value = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_else(|| serde_json::json!({"projects": []}));
        let entry = serde_json::json!({
            "path": project,
            "data_dir": project.join(".crush"),
            "last_accessed": "2026-01-02T10:00:00Z",
        });
        list["projects"].as_array_mut().unwrap().insert(0, entry);
        std::fs::write(file, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    }

    pub fn list(&self, cwd: Option<&Path>) -> Vec<SessionSummary> {
        CrushAdapter
            .list_sessions(ListRequest {
                home: self.home(),
                cwd: cwd.map(|c| c.display().to_string()),
                ..ListRequest::default()
            })
            .unwrap()
    }

    pub fn try_extract(&self, cwd: Option<&Path>, id: Option<&str>) -> AdapterResult<Extracted> {
        CrushAdapter.extract(ExtractRequest {
            home: self.home(),
            cwd: cwd.map(|c| c.display().to_string()),
            session_id: id.map(str::to_owned),
            path: None,
        })
    }

    pub fn extract(&self, cwd: Option<&Path>, id: Option<&str>) -> Extracted {
        self.try_extract(cwd, id).unwrap()
    }

    pub fn try_inject(
        &self,
        cwd: &Path,
        mode: InjectMode,
        transcript: Transcript,
    ) -> AdapterResult<Injected> {
        CrushAdapter.inject(InjectRequest {
            home: self.home(),
            cwd: cwd.display().to_string(),
            mode,
            transcript,
        })
    }

    pub fn inject(&self, cwd: &Path, transcript: Transcript) -> Injected {
        self.try_inject(cwd, InjectMode::Write, transcript).unwrap()
    }
}

pub fn fixture_bytes() -> Vec<u8> {
    std::fs::read(fixture("crush.db")).unwrap()
}

/// Every table of a database, schema and rows, as text: what two builds of a fixture must share.
pub fn dump(db: &Path) -> Vec<String> {
    // A copy: opening a WAL database, even read-only, puts files beside it.
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path().join("copy.db");
    std::fs::copy(db, &copy).unwrap();
    let conn =
        rusqlite::Connection::open_with_flags(&copy, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut out = Vec::new();
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (name, sql) in tables {
        out.push(sql.clone());
        if !sql.starts_with("CREATE TABLE") || name == "sqlite_sequence" {
            continue;
        }
        let mut statement = conn
            .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))
            .unwrap();
        let columns = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                let values: Vec<String> = (0..columns)
                    .map(|i| match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(text) => {
                            format!("{:?}", String::from_utf8_lossy(text))
                        }
                        other => format!("{other:?}"),
                    })
                    .collect();
                Ok(format!("{name}: {}", values.join(" | ")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

/// Every known project's sessions, at most `limit`.
pub fn list_limited(machine: &Machine, limit: usize) -> Vec<SessionSummary> {
    CrushAdapter
        .list_sessions(ListRequest {
            home: machine.home(),
            limit: Some(limit),
            ..ListRequest::default()
        })
        .unwrap()
}

pub fn list_result(machine: &Machine, cwd: Option<&Path>) -> AdapterResult<Vec<SessionSummary>> {
    CrushAdapter.list_sessions(ListRequest {
        home: machine.home(),
        cwd: cwd.map(|c| c.display().to_string()),
        ..ListRequest::default()
    })
}
