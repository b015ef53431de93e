//! Regenerates the real-client fixtures under `plugins/<agent>/tests/fixtures/real/` (Kilo
//! Code's: `plugins/opencode/tests/fixtures/kilo/`).
//! Usage: `make-fixtures [claude|codex|opencode|copilot|gemini|qwen|pi|kilo|cline]...` (no
//! argument: every agent).

use handoff_conformance::clients::{Agent, Clients};
use handoff_conformance::fixtures;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(clients) = Clients::discover().or_else(|| Clients::at(&Clients::default_dir())) else {
        eprintln!("{}", handoff_conformance::clients::NOT_INSTALLED);
        return ExitCode::FAILURE;
    };
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut failed = false;
    for agent in Agent::ALL {
        if !wanted.is_empty() && !wanted.iter().any(|name| name == agent.name()) {
            continue;
        }
        match fixtures::make(&clients, &repo_root, agent) {
            Ok(dir) => eprintln!("{agent}: wrote {}", dir.display()),
            Err(error) => {
                eprintln!("{agent}: {error}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
