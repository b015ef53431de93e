//! Databases of OpenCode's store as Kilo Code 7.7.7 (and OpenCode) write them: per turn a user
//! message with its text part, assistant messages of a step (`step-start`, text, a completed
//! `bash` tool part with its output, `step-finish`), and a final answer. Written into a copy of
//! a database the real client made, so the schema and migrations are the client's own.

use crate::Spec;
use crate::rng::Rng;
use rusqlite::{Connection, params};
use serde_json::json;
use std::path::Path;

/// A message row to insert: id, time, JSON, and its parts (id, JSON).
type MessageRow = (String, i64, String, Vec<(String, String)>);

struct Ids(u64);

impl Ids {
    /// Ids that sort in the order they are made, as the client's do.
    fn next(&mut self, prefix: &str, rng: &mut Rng) -> String {
        self.0 += 1;
        format!("{prefix}_{:012x}{}", self.0, rng.hex(14))
    }
}

/// Empties a copy of `template` at `db` and fills it with `sessions`; returns the last mtime.
pub fn write(
    db: &Path,
    template: &Path,
    version: &str,
    agent: &str,
    rng: &mut Rng,
    sessions: &[Spec<'_>],
) -> rusqlite::Result<i64> {
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    }
    std::fs::copy(template, db).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    let mut conn = Connection::open(db)?;
    conn.execute_batch("PRAGMA journal_mode=DELETE; DELETE FROM part; DELETE FROM message; DELETE FROM session; DELETE FROM project;")?;
    let tx = conn.transaction()?;
    let mut ids = Ids(0);
    let mut last_ms = 0;
    for spec in sessions {
        let project = format!("{:040x}", fxhash(spec.cwd));
        tx.execute(
            "INSERT OR IGNORE INTO project (id, worktree, vcs, time_created, time_updated, sandboxes)
             VALUES (?1, ?2, 'git', ?3, ?3, '[]')",
            params![project, spec.cwd, spec.start_ms],
        )?;
        let session = ids.next("ses", rng);
        let title = rng.text(4, 10);
        let mut now = spec.start_ms;
        let mut bytes = 0;
        let mut rows: Vec<MessageRow> = Vec::new();
        while bytes < spec.target_bytes {
            now += 1_000;
            let user = ids.next("msg", rng);
            let info = json!({"role": "user", "time": {"created": now}, "agent": agent,
                "model": {"providerID": "mock", "modelID": "m"}});
            let text = json!({"type": "text", "text": rng.text(8, 40)}).to_string();
            bytes += text.len();
            rows.push((
                user.clone(),
                now,
                info.to_string(),
                vec![(ids.next("prt", rng), text)],
            ));
            for _ in 0..1 + rng.below(4) {
                now += 500 + i64::try_from(rng.below(2_000)).unwrap_or(0);
                let id = ids.next("msg", rng);
                let info = json!({"parentID": user, "role": "assistant", "mode": agent, "agent": agent,
                    "path": {"cwd": spec.cwd, "root": spec.cwd}, "cost": 0,
                    "tokens": {"total": 12300, "input": 12000, "output": 300, "reasoning": 0,
                        "cache": {"write": 0, "read": 0}},
                    "modelID": "m", "providerID": "mock", "time": {"created": now, "completed": now + 400},
                    "finish": "tool-calls"});
                let command = format!("rg -n {} {}/src", rng.word(), spec.cwd);
                let size = rng.skewed(100, spec.max_output);
                let output = rng.output(size);
                let parts = vec![
                    json!({"type": "step-start", "time": {"start": now}}),
                    json!({"type": "text", "text": rng.text(5, 30), "time": {"start": now, "end": now}}),
                    json!({"type": "tool", "tool": "bash", "callID": format!("call_{}", rng.hex(24)),
                        "state": {"status": "completed", "input": {"command": command, "description": "Search"},
                            "output": output, "metadata": {"exit": 0, "truncated": false},
                            "title": command, "time": {"start": now, "end": now + 300}}}),
                    json!({"type": "step-finish", "reason": "tool-calls", "cost": 0,
                        "tokens": {"total": 12300, "input": 12000, "output": 300, "reasoning": 0,
                            "cache": {"write": 0, "read": 0}}}),
                ];
                let parts: Vec<(String, String)> = parts
                    .into_iter()
                    .map(|part| (ids.next("prt", rng), part.to_string()))
                    .collect();
                bytes += parts.iter().map(|(_, data)| data.len()).sum::<usize>();
                rows.push((id, now, info.to_string(), parts));
            }
            now += 500;
            let id = ids.next("msg", rng);
            let info = json!({"parentID": user, "role": "assistant", "mode": agent, "agent": agent,
                "path": {"cwd": spec.cwd, "root": spec.cwd}, "cost": 0, "modelID": "m",
                "providerID": "mock", "time": {"created": now, "completed": now + 200}, "finish": "stop"});
            let text = json!({"type": "text", "text": rng.text(20, 80)}).to_string();
            bytes += text.len();
            rows.push((
                id,
                now,
                info.to_string(),
                vec![(ids.next("prt", rng), text)],
            ));
        }
        tx.execute(
            "INSERT INTO session (id, project_id, slug, directory, title, version, time_created, time_updated)
             VALUES (?1, ?2, 'bench', ?3, ?4, ?5, ?6, ?7)",
            params![session, project, spec.cwd, title, version, spec.start_ms, now],
        )?;
        for (id, created, info, parts) in rows {
            tx.execute(
                "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?1, ?2, ?3, ?3, ?4)",
                params![id, session, created, info],
            )?;
            for (part, data) in parts {
                tx.execute(
                    "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data)
                     VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                    params![part, id, session, created, data],
                )?;
            }
        }
        last_ms = last_ms.max(now);
    }
    tx.commit()?;
    Ok(last_ms)
}

/// A stable stand-in for a project id (the real one is the repository's root commit).
fn fxhash(text: &str) -> u128 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u128, |h, b| {
        (h ^ u128::from(b)).wrapping_mul(0x1000_0000_01b3)
    })
}
