//! The suite's own tests, in one binary: offline checks of its parts, and same-client sanity
//! (which needs the real clients and says so when they are missing).

mod offline;
mod same_client;
