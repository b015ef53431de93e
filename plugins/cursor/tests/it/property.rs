//! Valid JSON is understood however it is written: every JSON value of the fixture home (chat
//! headers, messages, workspace files and lists) re-serialised every valid way lists and extracts
//! exactly as the compact original.

use crate::fixture::{self, OLDER, OTHER, PROJECT, SCENARIO};
use handoff_adapter_kit::testing::{
    Format, Observation, Rewrite, differences, extracted, home_str, listed,
};
use handoff_cursor::CursorAdapter;
use handoff_plugin_api::{Adapter, ExtractRequest, ListRequest};

fn observe(rewrite: Option<Rewrite>) -> Observation {
    let home = tempfile::tempdir().unwrap();
    fixture::build(home.path(), rewrite);
    let h = home_str(home.path());
    let rows = CursorAdapter
        .list_sessions(ListRequest {
            home: h.clone(),
            ..Default::default()
        })
        .unwrap();
    let project = CursorAdapter
        .list_sessions(ListRequest {
            home: h.clone(),
            cwd: Some(PROJECT.into()),
            ..Default::default()
        })
        .unwrap();
    let extract = |request: ExtractRequest| {
        extracted(CursorAdapter.extract(ExtractRequest {
            home: h.clone(),
            ..request
        }))
    };
    let by = |id: &str| ExtractRequest {
        session_id: Some(id.into()),
        ..Default::default()
    };
    vec![
        ("list", listed(&rows)),
        ("list project", listed(&project)),
        ("scenario", extract(by(SCENARIO))),
        ("older", extract(by(OLDER))),
        ("other", extract(by(OTHER))),
        (
            "latest",
            extract(ExtractRequest {
                cwd: Some(PROJECT.into()),
                ..Default::default()
            }),
        ),
    ]
}

#[test]
fn every_valid_serialisation_of_the_values_reads_alike() {
    let original = observe(None);
    assert_eq!(original[0].1.as_array().map(Vec::len), Some(3));
    assert!(original[2].1.get("transcript").is_some());
    let failures = differences("cursor home", Format::Json, observe);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
