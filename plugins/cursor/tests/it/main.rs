//! The Cursor adapter's integration tests, in one binary.
#![allow(clippy::unwrap_used)]

mod adapter;
mod fixture;
mod malformed;
mod property;
