//! stdout, where data goes. Every write goes through here, so a reader that stops early
//! (`handoff list | head -1`) ends the command quietly (exit 0) instead of crashing it: the
//! closed pipe's `io::Error` travels up to `main`, which knows it as [`Kind::ClosedOutput`].
//!
//! [`Kind::ClosedOutput`]: crate::error::Kind::ClosedOutput

use anyhow::{Context as _, Result};
use std::io::{BufWriter, StdoutLock, Write};

/// Writes `text` to stdout as it is.
pub fn print(text: &str) -> Result<()> {
    write(|out| out.write_all(text.as_bytes()))
}

/// Writes `text` and a newline to stdout.
pub fn println(text: impl std::fmt::Display) -> Result<()> {
    write(|out| writeln!(out, "{text}"))
}

/// Runs `f` over one buffered, locked stdout and flushes it: many rows, one write.
pub fn write(f: impl FnOnce(&mut BufWriter<StdoutLock>) -> std::io::Result<()>) -> Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    f(&mut out)
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}
