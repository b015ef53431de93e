//! The `handoff` host: commands, the plugin registry, and the transfer pipeline
//! extract → redact → budget → inject → verify.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]
// stdout goes through `output` (a closed pipe is not a crash), stderr through `ui`.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod budget;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod history;
pub mod output;
pub mod pager;
pub mod pipeline;
pub mod project;
pub mod redact;
pub mod registry;
pub mod render;
pub mod search;
pub mod spinner;
pub mod ui;
pub mod wire;
pub mod written;
