//! The `handoff` host: commands, the plugin registry, and the transfer pipeline
//! extract → redact → budget → inject → verify.

pub mod budget;
pub mod redact;
