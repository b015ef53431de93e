//! Deterministic session trees for benchmarking `handoff` (see `docs/performance.md`): Claude Code
//! projects with tool calls, subagent files and compactions, Codex rollouts across day folders,
//! Copilot CLI session folders, Gemini CLI, Qwen Code and pi session files, a Kilo Code database,
//! Crush project databases, Cline session folders, Cursor's state databases, VS Code Copilot Chat
//! session files, and one big session of each. Same seed, same bytes, same mtimes.

pub mod claude;
pub mod cline;
pub mod codex;
pub mod copilot;
pub mod crush;
pub mod cursor;
pub mod gemini;
pub mod opencode_db;
pub mod pi;
pub mod qwen;
pub mod rng;
pub mod vscode_copilot;

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// 2026-01-01T00:00:00Z: sessions are spread over the days after it.
pub const EPOCH_MS: i64 = 1_767_225_600_000;

/// One session to generate: its project, start, size, and the largest tool output in it.
#[derive(Debug, Clone, Copy)]
pub struct Spec<'a> {
    pub cwd: &'a str,
    pub start_ms: i64,
    pub target_bytes: usize,
    pub max_output: usize,
}

/// A JSON object written with its keys in the given order, as the clients write them
/// (`serde_json::json!` would sort them).
#[derive(Default)]
pub struct Obj(String);

impl Obj {
    pub fn new() -> Self {
        Self(String::from("{"))
    }

    /// A field whose value serde_json encodes.
    pub fn field(self, key: &str, value: impl serde::Serialize) -> Self {
        let json = serde_json::to_string(&value).unwrap_or_else(|_| "null".into());
        self.raw(key, &json)
    }

    /// A field whose value is already JSON (an [`Obj::done`]).
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0
            .push_str(&serde_json::to_string(key).unwrap_or_default());
        self.0.push(':');
        self.0.push_str(json);
        self
    }

    pub fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The `file://` URI VS Code (and Cursor, its fork) writes for a local folder: every byte but
/// unreserved ones and `/` percent-encoded.
pub fn file_uri(path: &str) -> String {
    let mut uri = String::from("file://");
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// Writes `bytes` to `path` (parents created) and gives it the mtime `mtime_ms`.
pub fn write_file(path: &Path, bytes: &[u8], mtime_ms: i64) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, bytes)?;
    set_mtime(path, mtime_ms)
}

/// Gives the file at `path` the mtime `mtime_ms` (a database written in place, not read back).
pub fn set_mtime(path: &Path, mtime_ms: i64) -> std::io::Result<()> {
    let file = std::fs::File::options().write(true).open(path)?;
    let mtime = UNIX_EPOCH + Duration::from_millis(u64::try_from(mtime_ms).unwrap_or(0));
    file.set_modified(mtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(EPOCH_MS), "2026-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(EPOCH_MS + 86_400_000 * 59 + 3_723_004),
            "2026-03-01T01:02:03.004Z"
        );
    }

    #[test]
    fn file_uris_escape_what_a_uri_would_misread() {
        assert_eq!(file_uri("/w/p 1#x"), "file:///w/p%201%23x");
    }
}
