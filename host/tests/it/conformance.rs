//! The real-client conformance matrix: every source S and target T among the agents with a real
//! client here. Needs the clients: `scripts/conformance` installs the pinned ones (or, with
//! `--latest`, the newest the registry serves) and runs this test. Without them it prints why and
//! returns, so `cargo test --workspace` stays offline.
//!
//! `HANDOFF_CONFORMANCE_DOC` redirects the report (default `docs/conformance.md`);
//! `HANDOFF_CONFORMANCE_BASELINE` names an earlier report whose cells this run is compared with.

use handoff_conformance::clients::{Agent, Clients};
use handoff_conformance::fixture_sources::Fixture;
use handoff_conformance::matrix::{self, Outcome, Source};
use std::path::{Path, PathBuf};

/// Two cores in CI: two cells at a time (each runs one client at a time).
const PARALLEL_CELLS: usize = 2;

#[test]
fn real_clients_resume_what_handoff_writes() {
    let Some(clients) = Clients::discover() else {
        println!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return;
    };
    let handoff = Path::new(env!("CARGO_BIN_EXE_handoff"));
    // `HANDOFF_CONFORMANCE_AGENTS=gemini,claude`: only the cells between those agents, reported
    // to target/conformance/partial.md unless HANDOFF_CONFORMANCE_DOC says where.
    let only = std::env::var("HANDOFF_CONFORMANCE_AGENTS").ok();
    let named = |name: &str| {
        only.as_deref()
            .is_none_or(|names| names.split(',').any(|n| n.trim() == name))
    };
    let agents: Vec<Agent> = Agent::ALL.into_iter().filter(|a| named(a.name())).collect();
    // Sources: every client, then the editors' fixtures (which no client here can write).
    let sources: Vec<Source> = agents
        .iter()
        .map(|agent| Source::Client(*agent))
        .chain(
            Fixture::ALL
                .into_iter()
                .filter(|f| named(f.agent()))
                .map(Source::Fixture),
        )
        .collect();
    let results = matrix::run_matrix(&clients, handoff, &sources, &agents, PARALLEL_CELLS);

    let default_doc = if only.is_some() {
        "../target/conformance/partial.md"
    } else {
        "../docs/conformance.md"
    };
    let docs = std::env::var_os("HANDOFF_CONFORMANCE_DOC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(default_doc),
        PathBuf::from,
    );
    let report = matrix::render_markdown(&clients, &results);
    std::fs::write(&docs, &report).unwrap();
    if let Some(baseline) = std::env::var_os("HANDOFF_CONFORMANCE_BASELINE") {
        let before = std::fs::read_to_string(&baseline).unwrap();
        let before = matrix::parse_markdown(&before);
        let changed: Vec<String> = matrix::parse_markdown(&report)
            .into_iter()
            .filter_map(|(source, target, now)| {
                let was = before
                    .iter()
                    .find(|(s, t, _)| *s == source && *t == target)
                    .map_or("not run", |(_, _, was)| was.as_str());
                (was != now).then(|| format!("  {source} -> {target}: {was} -> {now}"))
            })
            .collect();
        if changed.is_empty() {
            println!("\nno cell changed from {}", Path::new(&baseline).display());
        } else {
            println!(
                "\ncells that changed from {}:\n{}",
                Path::new(&baseline).display(),
                changed.join("\n")
            );
        }
    }

    println!("\nconformance matrix ({}):", docs.display());
    for result in &results {
        println!("  {:<28} {}", result.label(), matrix::summary(result));
    }
    let pending: Vec<String> = results
        .iter()
        .filter(|result| matches!(result.outcome, Outcome::Pending(_)))
        .map(|result| result.label())
        .collect();
    if !pending.is_empty() {
        println!(
            "PENDING (adapter not implemented yet): {}",
            pending.join(", ")
        );
    }
    let failures: Vec<String> = results
        .iter()
        .filter_map(|result| match &result.outcome {
            Outcome::Fail(reason) => Some(format!("{}: {reason}", result.label())),
            _ => None,
        })
        .collect();
    assert!(
        failures.is_empty(),
        "failing cells:\n\n{}",
        failures.join("\n\n")
    );
}
