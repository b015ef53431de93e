//! The host's integration tests, in one binary: one link for all of them, and cargo runs their
//! tests in parallel.

mod harden;
mod support;

mod cli;
mod concurrency;
mod conformance;
mod doctor;
mod fuzz_corpus;
mod human_output;
mod immutability;
mod list_cache;
mod malformed;
mod picker;
mod plugin_aider;
mod plugin_paths;
mod plugins;
mod search;
mod show;
mod transfer;
