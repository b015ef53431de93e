//! Crush's store as its agent writes it (see `plugins/crush/README.md`): one `.crush/crush.db` per
//! project, listed in the global data directory's `projects.json`. Per turn a user message, one to
//! four assistant steps (text and a `bash` call, `finish` `tool_use`) each followed by a `tool`
//! message with the result, and a final answer. Written into copies of the adapter's fixture
//! database (Crush's schema and goose's record of its migrations), emptied first.

use crate::rng::Rng;
use crate::{Obj, Spec, write_file};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;
use std::path::Path;

/// A message row: id, role, parts, Unix seconds, finished time.
type MessageRow = (String, &'static str, String, i64, Option<i64>);

fn part(kind: &str, data: String) -> String {
    Obj::new().field("type", kind).raw("data", &data).done()
}

fn finish(reason: &str, time: i64) -> String {
    part(
        "finish",
        Obj::new()
            .field("reason", reason)
            .field("time", time)
            .done(),
    )
}

fn text(text: &str) -> String {
    part("text", Obj::new().field("text", text).done())
}

fn parts(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

/// Adds a message (its id comes later); its size.
fn push(
    rows: &mut Vec<MessageRow>,
    role: &'static str,
    parts: String,
    at: i64,
    finished: Option<i64>,
) -> usize {
    let size = parts.len();
    rows.push((String::new(), role, parts, at, finished));
    size
}

/// One session's rows and when it ended (seconds).
fn session(rng: &mut Rng, spec: &Spec<'_>) -> (Vec<MessageRow>, i64) {
    let mut now = spec.start_ms / 1000;
    let mut bytes = 0;
    let mut rows = Vec::new();
    while bytes < spec.target_bytes {
        now += 1;
        let prompt = rng.text(8, 40);
        bytes += push(
            &mut rows,
            "user",
            parts(&[text(&prompt), finish("stop", 0)]),
            now,
            None,
        );
        for _ in 0..1 + rng.below(4) {
            now += 1 + i64::try_from(rng.below(3)).unwrap_or(0);
            let call_id = format!("toolu_{}", rng.hex(24));
            let command = format!("rg -n {} {}/src", rng.word(), spec.cwd);
            let input = Obj::new()
                .field("command", &command)
                .field("description", "Search")
                .done();
            let call = Obj::new()
                .field("id", &call_id)
                .field("name", "bash")
                .field("input", &input)
                .field("provider_executed", false)
                .field("finished", true)
                .done();
            let step = parts(&[
                text(&rng.text(5, 30)),
                part("tool_call", call),
                finish("tool_use", now + 1),
            ]);
            bytes += push(&mut rows, "assistant", step, now, Some(now + 1));
            let size = rng.skewed(100, spec.max_output);
            let output = rng.output(size);
            let result = Obj::new()
                .field("tool_call_id", &call_id)
                .field("name", "bash")
                .field("content", &output)
                .field("data", "")
                .field("mime_type", "")
                .field("metadata", "")
                .field("is_error", false)
                .done();
            now += 1;
            bytes += push(
                &mut rows,
                "tool",
                parts(&[part("tool_result", result), finish("stop", 0)]),
                now,
                None,
            );
        }
        now += 1;
        let answer = parts(&[text(&rng.text(20, 80)), finish("end_turn", now + 1)]);
        bytes += push(&mut rows, "assistant", answer, now, Some(now + 1));
        now += 1;
    }
    for row in &mut rows {
        row.0 = rng.uuid();
    }
    (rows, now)
}

/// Writes `sessions` into the database of each one's project and lists those projects in
/// `<data home>/projects.json`; every database gets the mtime of its last session.
pub fn write(
    data_home: &Path,
    template: &Path,
    rng: &mut Rng,
    sessions: &[Spec<'_>],
) -> rusqlite::Result<()> {
    let io = |e: std::io::Error| rusqlite::Error::ToSqlConversionFailure(e.into());
    let mut by_project: BTreeMap<&str, Vec<&Spec<'_>>> = BTreeMap::new();
    for spec in sessions {
        by_project.entry(spec.cwd).or_default().push(spec);
    }
    let mut projects = Vec::new();
    for (cwd, specs) in by_project {
        let data_dir = Path::new(cwd).join(".crush");
        let db = data_dir.join("crush.db");
        std::fs::create_dir_all(&data_dir).map_err(io)?;
        std::fs::copy(template, &db).map_err(io)?;
        let mut conn = Connection::open(&db)?;
        // Messages go in before their session, so Crush's triggers leave its counts and times.
        conn.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA foreign_keys = OFF;
             DELETE FROM messages; DELETE FROM sessions;",
        )?;
        let tx = conn.transaction()?;
        let mut last = 0;
        for spec in specs {
            let id = rng.uuid();
            let title = rng.text(4, 10);
            let (rows, end) = session(rng, spec);
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, session_id, role, parts, model, provider,
                                       is_summary_message, created_at, updated_at, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7, ?8)",
            )?;
            for (message, role, parts, at, finished) in &rows {
                let (model, provider) = match *role {
                    "assistant" => ("m", Some("mock")),
                    _ => ("", None),
                };
                insert.execute(params![
                    message, id, role, parts, model, provider, at, finished
                ])?;
            }
            tx.execute(
                "INSERT INTO sessions (id, parent_session_id, title, message_count, prompt_tokens,
                                       completion_tokens, cost, updated_at, created_at)
                 VALUES (?1, NULL, ?2, ?3, 12000, 300, 0.05, ?4, ?5)",
                params![id, title, rows.len(), end, spec.start_ms / 1000],
            )?;
            last = last.max(end);
        }
        tx.commit()?;
        conn.execute_batch("PRAGMA journal_mode = WAL;")?;
        drop(conn);
        write_file(&db, &std::fs::read(&db).map_err(io)?, last * 1000).map_err(io)?;
        projects.push(
            Obj::new()
                .field("path", cwd)
                .field("data_dir", data_dir.display().to_string())
                .field("last_accessed", crate::rfc3339(last * 1000))
                .done(),
        );
    }
    let list = format!("{{\"projects\":[{}]}}", projects.join(","));
    write_file(
        &data_home.join("projects.json"),
        list.as_bytes(),
        crate::EPOCH_MS,
    )
    .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_project_gets_a_database_and_a_registry_entry() {
        let dir = std::env::temp_dir().join(format!("handoff-bench-crush-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let template =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/crush/tests/fixtures/crush.db");
        let a = dir.join("a").display().to_string();
        let b = dir.join("b").display().to_string();
        let specs = [
            Spec {
                cwd: &a,
                start_ms: crate::EPOCH_MS,
                target_bytes: 4_000,
                max_output: 500,
            },
            Spec {
                cwd: &b,
                start_ms: crate::EPOCH_MS + 60_000,
                target_bytes: 4_000,
                max_output: 500,
            },
            Spec {
                cwd: &a,
                start_ms: crate::EPOCH_MS + 120_000,
                target_bytes: 4_000,
                max_output: 500,
            },
        ];
        let home = dir.join("home");
        write(&home, &template, &mut Rng::new(1), &specs).unwrap();
        let sessions = |project: &str| -> i64 {
            Connection::open(Path::new(project).join(".crush/crush.db"))
                .unwrap()
                .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!((sessions(&a), sessions(&b)), (2, 1));
        let list: serde_json::Value =
            serde_json::from_slice(&std::fs::read(home.join("projects.json")).unwrap()).unwrap();
        assert_eq!(list["projects"].as_array().unwrap().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
