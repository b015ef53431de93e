//! The `handoff` host: commands, the plugin registry, and the transfer pipeline
//! extract → redact → budget → inject → verify.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod budget;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod history;
pub mod pipeline;
pub mod redact;
pub mod registry;
pub mod render;
pub mod spinner;
pub mod ui;
pub mod wire;
