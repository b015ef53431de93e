//! Text taller than the terminal goes through `$PAGER` (`less -R` by default, with `LESS=FRX`
//! unless set: quit when it fits, keep colours, leave the text on the screen). Not a terminal, or
//! a pager that cannot start: the text is printed as it is.

use anyhow::Result;
use std::io::Write;
use std::process::{Command, Stdio};

use crate::output;

/// The size of the terminal stdout is, `(columns, rows)`; `None` when stdout is not a terminal
/// or the terminal does not say.
pub fn screen_size() -> Option<(usize, usize)> {
    let (width, height) = terminal_size::terminal_size_of(std::io::stdout())?;
    Some((usize::from(width.0), usize::from(height.0)))
}

pub fn page_or_print(text: &str) -> Result<()> {
    let Some((width, height)) = screen_size() else {
        return output::print(text);
    };
    if rows(text, width) < height {
        return output::print(text);
    }
    let Some(mut pager) = pager() else {
        return output::print(text);
    };
    let Ok(mut child) = pager.stdin(Stdio::piped()).spawn() else {
        return output::print(text);
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The pager quit before reading everything: the reader is done, not an error.
        match stdin.write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    child.wait()?;
    Ok(())
}

/// `$PAGER` split on spaces (no shell: a pager's path with spaces is not supported), or
/// `less -R`; `None` when `PAGER` is set but empty, which asks for no pager.
fn pager() -> Option<Command> {
    let configured = std::env::var("PAGER").ok();
    let line = configured.as_deref().unwrap_or("less -R");
    let mut words = line.split_whitespace();
    let mut command = Command::new(words.next()?);
    command.args(words);
    if configured.is_none() && std::env::var_os("LESS").is_none() {
        command.env("LESS", "FRX");
    }
    Some(command)
}

/// Screen rows `text` takes at `width` columns, counting each character as one column (colour
/// codes too: paging a little early beats a screen that scrolls away).
fn rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    text.lines()
        .map(|line| line.chars().count().div_ceil(width).max(1))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_take_several_rows() {
        assert_eq!(rows("ab\n\nabcde\n", 2), 1 + 1 + 3);
    }
}
