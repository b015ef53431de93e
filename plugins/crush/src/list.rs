//! Finding sessions: a project's are in the database of the data directory Crush uses there;
//! all of them are in the databases of the projects `projects.json` lists, as `crush projects`
//! and `crush stats --all` find them.
//!
//! A listing is one query per database and ignores the host's file stamps: Crush writes in WAL
//! mode, so a database changes without its file's size or mtime changing. Each row's
//! `updated_ms` is the session's own `updated_at`.

use crate::config;
use crate::db;
use crate::paths::{self, Home};
use handoff_adapter_kit::find::Search;
use handoff_adapter_kit::fs::physical;
use handoff_adapter_kit::parallel::par_map;
use handoff_plugin_api::{AdapterError, AdapterResult, SessionSummary};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A database and the project directory its sessions belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub db: PathBuf,
    pub project: PathBuf,
}

impl Store {
    /// The store of the database at `db` (a data directory's `crush.db`).
    pub fn of_db(db: &Path) -> Store {
        let data_dir = db.parent().unwrap_or(db);
        Store {
            db: db.to_path_buf(),
            project: paths::owner_dir(data_dir, data_dir),
        }
    }
}

/// The store Crush uses in `cwd` (a physical path), and what the configuration says there.
pub fn store_for(home: &Home, cwd: &Path) -> (Store, config::Project) {
    let project = config::project(home, cwd);
    let store = Store {
        db: project.db(),
        project: paths::owner_dir(&project.data_dir, cwd),
    };
    (store, project)
}

/// The stores of every project Crush knows whose database exists, most recently used first, each
/// database once.
pub fn known_stores(home: &Home) -> Vec<Store> {
    let mut seen = HashSet::new();
    paths::known_projects(home)
        .into_iter()
        .filter(|project| project.db().is_file())
        .filter(|project| seen.insert(physical(&project.db())))
        .map(|project| Store {
            db: project.db(),
            project: paths::owner_dir(&project.data_dir, &project.path),
        })
        .collect()
}

/// The rows of one store, newest first.
fn rows(store: &Store, limit: Option<usize>) -> AdapterResult<Vec<SessionSummary>> {
    let conn = db::open_read(&store.db)?;
    let project = store.project.display().to_string();
    let path = store.db.display().to_string();
    Ok(db::sessions(&conn, &store.db, limit)?
        .into_iter()
        .map(|row| SessionSummary {
            agent: "crush".into(),
            session_id: row.id,
            cwd: Some(project.clone()),
            title: row.title,
            messages: row.messages,
            updated_ms: row.updated,
            created_ms: row.created,
            path: path.clone(),
            cached: false,
            store: None,
        })
        .collect())
}

/// Sessions of project `cwd` (all known projects' when `None`), newest first, at most `limit`.
/// A project's own database that cannot be read is an error; across all projects it is passed
/// over.
pub fn sessions(
    home: &Home,
    cwd: Option<&Path>,
    limit: Option<usize>,
) -> AdapterResult<Vec<SessionSummary>> {
    if let Some(cwd) = cwd {
        let (store, _) = store_for(home, cwd);
        if !store.db.is_file() {
            return Ok(Vec::new());
        }
        return rows(&store, limit);
    }
    let stores = known_stores(home);
    let mut all: Vec<SessionSummary> = par_map(&stores, |store| rows(store, limit))
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    all.sort_by(|a, b| {
        b.updated_ms
            .cmp(&a.updated_ms)
            .then_with(|| a.session_id.cmp(&b.session_id))
    });
    all.truncate(limit.unwrap_or(usize::MAX));
    Ok(all)
}

/// The store holding session `wanted` (or the one session whose id starts with it), and its id:
/// `cwd`'s database first, then every known project's.
pub fn find_by_id(home: &Home, cwd: Option<&Path>, wanted: &str) -> AdapterResult<(Store, String)> {
    let mut stores = Vec::new();
    let mut looked_in = Vec::new();
    if let Some(cwd) = cwd {
        let (store, _) = store_for(home, cwd);
        looked_in.push(store.db.display().to_string());
        if store.db.is_file() {
            stores.push((store, true));
        }
    }
    looked_in.push(format!(
        "the projects in {}",
        home.projects_file().display()
    ));
    let mut seen: HashSet<PathBuf> = stores.iter().map(|(s, _)| physical(&s.db)).collect();
    for store in known_stores(home) {
        if seen.insert(physical(&store.db)) {
            stores.push((store, false));
        }
    }
    let mut candidates: Vec<(usize, String)> = Vec::new();
    for (index, (store, own_project)) in stores.iter().enumerate() {
        let ids =
            db::open_read(&store.db).and_then(|conn| db::ids_with_prefix(&conn, &store.db, wanted));
        match ids {
            Ok(ids) => candidates.extend(ids.into_iter().map(|id| (index, id))),
            Err(e) if *own_project => return Err(e),
            Err(_) => {}
        }
    }
    let looked_in = looked_in.join(" and ");
    let (index, id) = Search {
        agent: "crush",
        looked_in: &looked_in,
    }
    .by_id(wanted, candidates, |(_, id)| id.as_str())?;
    let store = stores
        .into_iter()
        .nth(index)
        .map(|(store, _)| store)
        .ok_or_else(|| AdapterError::internal("crush: a found session lost its database"))?;
    Ok((store, id))
}

/// The newest session in `store`.
pub fn latest_in(store: &Store, whose: &dyn std::fmt::Display) -> AdapterResult<String> {
    let db = store.db.display().to_string();
    let search = Search {
        agent: "crush",
        looked_in: &db,
    };
    if !store.db.is_file() {
        return search.latest(whose, None::<String>);
    }
    let conn = db::open_read(&store.db)?;
    let newest = db::sessions(&conn, &store.db, Some(1))?
        .into_iter()
        .map(|row| row.id);
    search.latest(whose, newest)
}
