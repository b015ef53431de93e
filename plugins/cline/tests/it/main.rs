//! The Cline adapter's one test binary.
#![allow(clippy::unwrap_used)]

mod adapter;
