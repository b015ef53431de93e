//! Human output: status lines on stderr, colour only for a terminal and without `NO_COLOR`.

use std::io::{IsTerminal, Write};
use std::path::Path;

pub struct Ui {
    color: bool,
    quiet: bool,
    pub verbose: bool,
}

impl Ui {
    /// `quiet` silences progress lines (used with `--json`); warnings and errors still go out.
    pub fn new(quiet: bool, verbose: bool) -> Self {
        let color = color_allowed(std::io::stderr().is_terminal());
        Self {
            color,
            quiet,
            verbose,
        }
    }

    /// Whether stderr shows colour.
    pub fn color(&self) -> bool {
        self.color
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// `✓ Found Codex session 019cdd7f (42 messages, 1h 23m)`
    pub fn step(&self, text: &str) {
        if !self.quiet {
            say(format_args!("{} {text}", self.paint("32", "✓")));
        }
    }

    /// A plain progress line.
    pub fn line(&self, text: &str) {
        if !self.quiet {
            say(format_args!("{text}"));
        }
    }

    pub fn warn(&self, text: &str) {
        say(format_args!("{} {text}", self.paint("33", "warning:")));
    }

    /// The one line a failed command ends with.
    pub fn error(&self, text: &str) {
        say(format_args!("{} {text}", self.paint("31", "error:")));
    }

    pub fn detail(&self, text: &str) {
        if self.verbose {
            say(format_args!("  {text}"));
        }
    }
}

/// Colour for a stream that `is_terminal`, unless `NO_COLOR` is set (https://no-color.org).
pub fn color_allowed(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// One line on stderr. A closed stderr leaves nobody to tell, so its error is dropped.
fn say(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A path with the home directory shortened to `~`, for people.
pub fn tilde(path: &Path) -> String {
    if let Some(home) = std::env::var_os("HOME")
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}

/// `1h 23m`, `5m`, `42s` from milliseconds.
pub fn duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m"),
        _ => format!("{h}h {m}m"),
    }
}

/// A short age like `3m ago`, `2d ago` from a Unix-ms time.
pub fn age(updated_ms: Option<i64>, now_ms: i64) -> String {
    let Some(updated) = updated_ms else {
        return String::from("-");
    };
    let secs = (now_ms - updated).max(0) / 1000;
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86400),
    }
}

/// The first line of a text, cut to `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let first = first.trim();
    if first.chars().count() > max {
        let cut: String = first.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        first.to_owned()
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_the_seed() {
        assert_eq!(duration(83 * 60 * 1000), "1h 23m");
        assert_eq!(duration(5 * 60 * 1000 + 10), "5m");
        assert_eq!(duration(42_000), "42s");
    }

    #[test]
    fn one_line_cuts_on_char_boundaries() {
        assert_eq!(one_line("\n  héllo wörld\nsecond", 6), "héllo…");
        assert_eq!(one_line("short", 10), "short");
    }
}
