//! The OpenCode adapter's integration tests, in one binary.

mod adapter;
mod legacy_install;
mod real_client;
mod v2;
