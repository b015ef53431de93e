//! The real-client conformance matrix: every source S and target T in {claude, codex,
//! opencode}. Needs the pinned clients: `scripts/conformance` installs them and runs this test.
//! Without them it prints why and returns, so `cargo test --workspace` stays offline.

use handoff_conformance::clients::Clients;
use handoff_conformance::matrix::{self, Outcome};
use std::path::Path;

/// Two cores in CI: two cells at a time (each runs one client at a time).
const PARALLEL_CELLS: usize = 2;

#[test]
fn real_clients_resume_what_handoff_writes() {
    let Some(clients) = Clients::discover() else {
        println!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return;
    };
    let handoff = Path::new(env!("CARGO_BIN_EXE_handoff"));
    let results = matrix::run_matrix(&clients, handoff, PARALLEL_CELLS);

    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/conformance.md");
    std::fs::write(&docs, matrix::render_markdown(&clients, &results)).unwrap();

    println!("\nconformance matrix ({}):", docs.display());
    for result in &results {
        println!("  {:<22} {}", result.label(), matrix::summary(result));
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
