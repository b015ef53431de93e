//! The Copilot CLI adapter against sessions the real client wrote (`tests/fixtures/real`).

mod adapter;
