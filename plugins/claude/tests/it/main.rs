//! The Claude adapter's integration tests, in one binary.

mod common;

mod list;
mod read;
mod real_client;
mod write;
