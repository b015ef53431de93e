//! Cursor's store as the editor keeps it (see `plugins/cursor/README.md`): every chat in the global
//! `User/globalStorage/state.vscdb`, table `cursorDiskKV`, as a header `composerData:<id>` listing
//! its messages (`fullConversationHeadersOnly`) and one row `bubbleId:<id>:<bubble>` a message,
//! values compact JSON text. Per turn a user bubble, one to four steps of an assistant text bubble
//! and a `run_terminal_cmd` bubble (`toolFormerData` with its arguments and its result, both
//! JSON-encoded strings), and a final answer. Each project gets a `User/workspaceStorage/<hash>/`
//! folder: `workspace.json` naming it and a `state.vscdb` listing its chats
//! (`ItemTable` key `composer.composerData`).

use crate::rng::Rng;
use crate::{Obj, Spec, rfc3339, set_mtime, write_file};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;
use std::path::Path;

/// Both databases' tables, as VS Code (and so Cursor) creates them.
const SCHEMA: &str = "PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE;
     CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
     CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);";

const MODEL: &str = "claude-4-sonnet";

/// One written chat: what its workspace's list of chats says of it.
struct Written {
    id: String,
    title: String,
    start_ms: i64,
    end_ms: i64,
}

/// The editor's rich-text (Lexical) document of a one-paragraph prompt.
fn lexical(text: &str) -> String {
    let leaf = Obj::new()
        .field("type", "text")
        .field("text", text)
        .field("format", 0)
        .done();
    let paragraph = Obj::new()
        .field("type", "paragraph")
        .raw("children", &format!("[{leaf}]"))
        .done();
    let root = Obj::new()
        .field("type", "root")
        .raw("children", &format!("[{paragraph}]"))
        .done();
    Obj::new().raw("root", &root).done()
}

/// A bubble's leading fields; the caller adds its words or its tool call.
fn bubble(kind: u8, id: &str, at_ms: i64) -> Obj {
    Obj::new()
        .field("_v", 3)
        .field("type", kind)
        .field("bubbleId", id)
        .field("createdAt", rfc3339(at_ms))
        .raw("modelInfo", &Obj::new().field("modelName", MODEL).done())
}

/// Writes one chat's header and bubbles through `insert`; the chat.
fn chat(
    rng: &mut Rng,
    spec: &Spec<'_>,
    insert: &mut rusqlite::CachedStatement<'_>,
) -> rusqlite::Result<Written> {
    let id = rng.uuid();
    let title = rng.text(4, 10);
    let mut now_ms = spec.start_ms;
    let mut headers = Vec::new();
    let mut size = 0;
    let mut put = |kind: u8, bubble_id: String, json: String| -> rusqlite::Result<usize> {
        headers.push(
            Obj::new()
                .field("bubbleId", &bubble_id)
                .field("type", kind)
                .done(),
        );
        insert.execute(params![format!("bubbleId:{id}:{bubble_id}"), json])?;
        Ok(json.len())
    };
    while size < spec.target_bytes {
        let prompt = rng.text(8, 40);
        let bubble_id = rng.uuid();
        let user = bubble(1, &bubble_id, now_ms)
            .field("text", &prompt)
            .field("richText", lexical(&prompt))
            .raw("context", r#"{"fileSelections":[],"selections":[]}"#)
            .done();
        size += put(1, bubble_id, user)?;
        for _ in 0..1 + rng.below(4) {
            now_ms += 20 + i64::try_from(rng.below(2_000)).unwrap_or(0);
            let bubble_id = rng.uuid();
            let said = bubble(2, &bubble_id, now_ms)
                .field("text", rng.text(5, 30))
                .done();
            size += put(2, bubble_id, said)?;
            let command = format!("rg -n {} {}/src", rng.word(), spec.cwd);
            let args = Obj::new()
                .field("command", &command)
                .field("is_background", false)
                .field("explanation", "Search the sources.")
                .done();
            let output_size = rng.skewed(100, spec.max_output);
            let result = Obj::new()
                .field("output", rng.output(output_size))
                .field("exitCode", 0)
                .done();
            // Arguments and result are JSON text inside the JSON, as Cursor stores them.
            let tool = Obj::new()
                .field("tool", 15)
                .field("name", "run_terminal_cmd")
                .field("toolCallId", format!("toolu_{}", rng.hex(24)))
                .field("status", "completed")
                .field("rawArgs", &args)
                .field("result", &result)
                .done();
            let bubble_id = rng.uuid();
            let call = bubble(2, &bubble_id, now_ms)
                .field("text", "")
                .raw("toolFormerData", &tool)
                .done();
            size += put(2, bubble_id, call)?;
        }
        now_ms += 20 + i64::try_from(rng.below(2_000)).unwrap_or(0);
        let bubble_id = rng.uuid();
        let answer = bubble(2, &bubble_id, now_ms)
            .field("text", rng.text(20, 80))
            .done();
        size += put(2, bubble_id, answer)?;
        now_ms += 1_000;
    }
    let header = Obj::new()
        .field("_v", 10)
        .field("composerId", &id)
        .field("name", &title)
        .field("createdAt", spec.start_ms)
        .field("lastUpdatedAt", now_ms)
        .field("status", "completed")
        .field("unifiedMode", "agent")
        .field("isAgentic", true)
        .field("text", "")
        .field("richText", "")
        .raw("conversationMap", "{}")
        .field("createdOnBranch", "main")
        .raw(
            "modelConfig",
            &Obj::new()
                .field("modelName", MODEL)
                .field("maxMode", false)
                .done(),
        )
        .raw(
            "fullConversationHeadersOnly",
            &format!("[{}]", headers.join(",")),
        )
        .done();
    insert.execute(params![format!("composerData:{id}"), header])?;
    Ok(Written {
        id,
        title,
        start_ms: spec.start_ms,
        end_ms: now_ms,
    })
}

/// A fresh key-value database at `path` (an older one from another run is replaced).
fn create(path: &Path) -> rusqlite::Result<Connection> {
    let io = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(e.into());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let conn = Connection::open(path)?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Writes `chats` into `<home>/User/globalStorage/state.vscdb` (`home`: Cursor's configuration
/// folder) and one workspace folder per project; each file gets the mtime of its newest chat.
pub fn write(home: &Path, rng: &mut Rng, chats: &[Spec<'_>]) -> rusqlite::Result<()> {
    let io = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(e.into());
    let global = home.join("User/globalStorage/state.vscdb");
    let mut conn = create(&global)?;
    let mut by_project: BTreeMap<&str, Vec<Written>> = BTreeMap::new();
    let tx = conn.transaction()?;
    {
        let mut insert =
            tx.prepare_cached("INSERT INTO cursorDiskKV (key, value) VALUES (?1, ?2)")?;
        for spec in chats {
            let written = chat(rng, spec, &mut insert)?;
            by_project.entry(spec.cwd).or_default().push(written);
        }
    }
    tx.commit()?;
    drop(conn);
    let last = |chats: &[Written]| chats.iter().map(|c| c.end_ms).max().unwrap_or(0);
    let newest = by_project.values().map(|c| last(c)).max().unwrap_or(0);
    set_mtime(&global, newest).map_err(io)?;
    for (cwd, chats) in &by_project {
        // VS Code names the folder by a hash of the workspace: any 32 hex digits will do.
        let dir = home.join("User/workspaceStorage").join(rng.hex(32));
        let folder = Obj::new().field("folder", crate::file_uri(cwd)).done();
        write_file(
            &dir.join("workspace.json"),
            folder.as_bytes(),
            crate::EPOCH_MS,
        )
        .map_err(io)?;
        let composers: Vec<String> = chats
            .iter()
            .map(|c| {
                Obj::new()
                    .field("type", "head")
                    .field("composerId", &c.id)
                    .field("name", &c.title)
                    .field("createdAt", c.start_ms)
                    .field("lastUpdatedAt", c.end_ms)
                    .field("unifiedMode", "agent")
                    .done()
            })
            .collect();
        let list = Obj::new()
            .raw("allComposers", &format!("[{}]", composers.join(",")))
            .field(
                "selectedComposerIds",
                chats
                    .last()
                    .map(|c| vec![c.id.as_str()])
                    .unwrap_or_default(),
            )
            .done();
        let db = dir.join("state.vscdb");
        create(&db)?.execute(
            "INSERT INTO ItemTable (key, value) VALUES ('composer.composerData', ?1)",
            [list],
        )?;
        set_mtime(&db, last(chats)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chat_has_its_header_bubbles_and_workspace() {
        let dir = std::env::temp_dir().join(format!("handoff-bench-cursor-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let spec = |cwd, start_ms| Spec {
            cwd,
            start_ms,
            target_bytes: 4_000,
            max_output: 500,
        };
        let specs = [
            spec("/w/a", crate::EPOCH_MS),
            spec("/w/b", crate::EPOCH_MS + 60_000),
            spec("/w/a", crate::EPOCH_MS + 120_000),
        ];
        write(&dir, &mut Rng::new(1), &specs).unwrap();
        let conn = Connection::open(dir.join("User/globalStorage/state.vscdb")).unwrap();
        let count = |like: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM cursorDiskKV WHERE key LIKE ?1",
                [like],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(count("composerData:%"), 3);
        let headers: Vec<String> = conn
            .prepare("SELECT value FROM cursorDiskKV WHERE key LIKE 'composerData:%'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let listed: usize = headers
            .iter()
            .map(|h| {
                let h: serde_json::Value = serde_json::from_str(h).unwrap();
                h["fullConversationHeadersOnly"].as_array().unwrap().len()
            })
            .sum();
        assert_eq!(i64::try_from(listed).unwrap(), count("bubbleId:%"));
        let workspaces = std::fs::read_dir(dir.join("User/workspaceStorage")).unwrap();
        assert_eq!(workspaces.count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
