//! Valid JSON is understood however it is written: the fixture with every message's `parts`
//! rewritten every valid way (spacing, key order, escapes, line ends; a byte order mark is not
//! JSON to Crush, which decodes with Go) lists and extracts exactly as written.

use crate::support::{MAIN_ID, Machine, OLDER_ID, fixture_bytes};
use handoff_adapter_kit::testing::{Format, Observation, Rewrite, differences, extracted, listed};
use rusqlite::Connection;

const BOM: &[u8] = "\u{feff}".as_bytes();

fn observe(rewrite: Option<Rewrite>) -> Observation {
    let machine = Machine::new();
    let project = machine.project_with("p", &fixture_bytes());
    if let Some(rewrite) = rewrite {
        let conn = Connection::open(project.join(".crush/crush.db")).unwrap();
        let rows: Vec<(i64, String)> = conn
            .prepare("SELECT rowid, parts FROM messages")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (rowid, parts) in rows {
            let salted = rewrite.salted(rowid.unsigned_abs());
            let bytes = salted.apply(Format::Json, parts.as_bytes());
            let text =
                String::from_utf8(bytes.strip_prefix(BOM).unwrap_or(&bytes).to_vec()).unwrap();
            conn.execute(
                "UPDATE messages SET parts = ?1 WHERE rowid = ?2",
                (text, rowid),
            )
            .unwrap();
        }
    }
    let extract = |id| {
        let mut result = machine.try_extract(Some(&project), Some(id));
        // Where the project lives differs from one temporary directory to the next.
        if let Ok(found) = &mut result {
            found.transcript.session.cwd = None;
        }
        extracted(result)
    };
    let main = extract(MAIN_ID);
    let older = extract(OLDER_ID);
    let mut rows = machine.list(Some(&project));
    for row in &mut rows {
        row.cwd = None;
    }
    vec![("list", listed(&rows)), ("newest", main), ("older", older)]
}

#[test]
fn every_valid_serialisation_of_the_parts_reads_alike() {
    let failures = differences("crush.db", Format::Json, observe);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
