//! The global database's chats: `cursorDiskKV` rows `composerData:<composerId>` (a chat's header)
//! and `bubbleId:<composerId>:<bubbleId>` (one message each).

use crate::json;
use crate::workspaces::Workspaces;
use handoff_plugin_api::{AdapterError, AdapterResult};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const TABLE: &str = "cursorDiskKV";
const COMPOSER: &str = "composerData:";

/// One chat as the listing shows it, read from its header alone.
#[derive(Debug, Clone)]
pub struct Chat {
    pub id: String,
    pub title: Option<String>,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    pub messages: usize,
    pub cwd: Option<String>,
}

pub struct Store {
    pub path: PathBuf,
    conn: Connection,
    pub workspaces: Workspaces,
}

impl Store {
    /// The global database at `path`, and the workspace folders beside it.
    pub fn open(path: &Path) -> AdapterResult<Self> {
        let conn = crate::db::open(path)?;
        if !crate::db::has_table(&conn, path, TABLE)? {
            return Err(AdapterError::invalid(format!(
                "{}: not a Cursor state database (no {TABLE} table)",
                path.display()
            )));
        }
        let workspaces = Workspaces::read(crate::paths::workspace_storage_of(path).as_deref());
        Ok(Self {
            path: path.to_path_buf(),
            conn,
            workspaces,
        })
    }

    /// Every chat with at least one message, newest first. A header that is not a JSON object is
    /// passed over, as the editor passes it over.
    pub fn chats(&self) -> AdapterResult<Vec<Chat>> {
        let rows = crate::db::rows_with_prefix(&self.conn, &self.path, TABLE, COMPOSER)?;
        let mut chats: Vec<Chat> = rows
            .into_iter()
            .filter_map(|(key, value)| {
                let id = key.strip_prefix(COMPOSER)?.to_owned();
                let header = json::parse(value?.as_bytes()).filter(Value::is_object)?;
                self.chat(id, &header)
            })
            .collect();
        chats.sort_by(|a, b| {
            (b.updated_ms.or(b.created_ms), &a.id).cmp(&(a.updated_ms.or(a.created_ms), &b.id))
        });
        Ok(chats)
    }

    fn chat(&self, id: String, header: &Value) -> Option<Chat> {
        let messages = message_count(header);
        // A chat opened and closed without a message is no session.
        if messages == 0 {
            return None;
        }
        Some(Chat {
            title: json::text_of(header, "name").map(str::to_owned),
            created_ms: json::time_of(header, "createdAt"),
            updated_ms: json::time_of(header, "lastUpdatedAt"),
            messages,
            cwd: self.workspaces.folder(&id).map(str::to_owned),
            id,
        })
    }

    /// The header of chat `id`: an error naming the database when it is not JSON.
    pub fn header(&self, id: &str) -> AdapterResult<Value> {
        let key = format!("{COMPOSER}{id}");
        let text = crate::db::value(&self.conn, &self.path, TABLE, &key)?.ok_or_else(|| {
            AdapterError::not_found(format!("{}: no chat {id}", self.path.display()))
        })?;
        json::parse(text.as_bytes())
            .filter(Value::is_object)
            .ok_or_else(|| {
                AdapterError::invalid(format!(
                    "{}: the header of chat {id} ({key}) is not a JSON object",
                    self.path.display()
                ))
            })
    }

    /// The message rows of chat `id`, by bubble id (`None`: a value that is not text).
    pub fn bubbles(&self, id: &str) -> AdapterResult<HashMap<String, Option<String>>> {
        let prefix = format!("bubbleId:{id}:");
        let rows = crate::db::rows_with_prefix(&self.conn, &self.path, TABLE, &prefix)?;
        Ok(rows
            .into_iter()
            .filter_map(|(key, value)| Some((key.strip_prefix(&prefix)?.to_owned(), value)))
            .collect())
    }
}

/// Messages a header names: its bubble headers, or the older inline conversation.
pub fn message_count(header: &Value) -> usize {
    let headers = json::array_of(header, "fullConversationHeadersOnly").len();
    if headers > 0 {
        headers
    } else {
        json::array_of(header, "conversation").len()
    }
}
