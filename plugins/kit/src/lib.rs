//! What every adapter needs and no adapter owns: safe file creation, tolerant JSONL reading, the
//! shared tool vocabulary, time formatting, and which session a request means. Adapters depend on
//! this, never on each other.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod find;
pub mod fs;
pub mod genai;
pub mod jsonl;
pub mod listing;
pub mod loose;
pub mod parallel;
pub mod report;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
pub mod text;
pub mod time;
pub mod tools;
pub mod version;
