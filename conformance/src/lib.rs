//! Real-client conformance suite for `handoff`: recording mock model servers, drivers for the
//! pinned clients (`pins`), and the scenario every matrix cell checks.
//! `scripts/conformance` installs the clients and runs it; see `docs/conformance.md`.

pub mod clients;
pub mod copilot_import;
pub mod fixture_sources;
pub mod fixtures;
pub mod history;
pub mod matrix;
pub mod mock;
pub mod scenario;
pub mod store;
