//! Which workspace folder each chat belongs to. The global database does not say: each
//! `User/workspaceStorage/<hash>/` folder has a `workspace.json` naming its folder
//! (`{"folder": "file:///path"}`; a multi-root workspace names a `.code-workspace` file instead,
//! and has no one folder) and its own `state.vscdb`, whose `ItemTable` key `composer.composerData`
//! lists the chats opened there (`allComposers[].composerId`).

use crate::json;
use handoff_adapter_kit::fs::file_uri_path;
use handoff_adapter_kit::fs::physical;
use std::collections::HashMap;
use std::path::Path;

/// composerId → the physical path of its workspace folder.
#[derive(Debug, Default)]
pub struct Workspaces(HashMap<String, String>);

impl Workspaces {
    /// Reads every workspace folder under `storage`; one that cannot be read is passed over (the
    /// editor's own state of other windows is not the chat).
    pub fn read(storage: Option<&Path>) -> Self {
        let mut map = HashMap::new();
        let Some(entries) = storage.and_then(|s| std::fs::read_dir(s).ok()) else {
            return Self(map);
        };
        let mut dirs: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        // Sorted, so that a chat listed by two workspaces always lands in the same one.
        dirs.sort();
        for dir in dirs {
            let Some(folder) = folder_of(&dir.join("workspace.json")) else {
                continue;
            };
            for id in composer_ids(&dir.join("state.vscdb")) {
                map.entry(id).or_insert_with(|| folder.clone());
            }
        }
        Self(map)
    }

    pub fn folder(&self, composer_id: &str) -> Option<&str> {
        self.0.get(composer_id).map(String::as_str)
    }
}

fn folder_of(workspace_json: &Path) -> Option<String> {
    let bytes = std::fs::read(workspace_json).ok()?;
    let value = json::parse(&bytes)?;
    let path = file_uri_path(value.get("folder")?.as_str()?)?;
    Some(physical(Path::new(&path)).display().to_string())
}

fn composer_ids(db: &Path) -> Vec<String> {
    let Some(text) = crate::db::open(db)
        .and_then(|conn| crate::db::value(&conn, db, "ItemTable", "composer.composerData"))
        .ok()
        .flatten()
    else {
        return Vec::new();
    };
    let Some(value) = json::parse(text.as_bytes()) else {
        return Vec::new();
    };
    value
        .get("allComposers")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("composerId")?.as_str().map(str::to_owned))
        .collect()
}
