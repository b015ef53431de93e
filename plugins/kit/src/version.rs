//! Which client release a written session claims to come from.

use semver::Version;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// How far into a session file its client version is looked for: the clients write it on the
/// first lines.
const HEAD_BYTES: u64 = 64 * 1024;

/// The client version a JSONL session file claims: the first of its first lines for which
/// `version_of` finds one.
pub fn claimed_in(path: &Path, version_of: impl Fn(&Value) -> Option<&str>) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    BufReader::new(file.take(HEAD_BYTES))
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
        .find_map(|row| version_of(&row).map(str::to_owned))
}

/// The version a new session should carry: the one the target's newest session on this machine
/// carries when it lies within the releases the adapter was verified with (so the installed
/// client sees a session of its own release), else the newest verified release. `verified` is
/// oldest first and never empty.
pub fn stamp(found: Option<String>, verified: &[&str]) -> String {
    let parse = |v: &str| Version::parse(v.trim()).ok();
    let range = verified.iter().filter_map(|v| parse(v));
    let (oldest, newest) = (range.clone().min(), range.max());
    let within = |v: &Version| {
        oldest.as_ref().is_some_and(|o| v >= o) && newest.as_ref().is_some_and(|n| v <= n)
    };
    match found.filter(|f| parse(f).is_some_and(|v| within(&v))) {
        Some(found) => found.trim().to_owned(),
        None => verified.last().copied().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{claimed_in, stamp};

    const VERIFIED: &[&str] = &["2.1.330", "2.1.332"];

    #[test]
    fn a_version_within_the_verified_range_is_kept() {
        assert_eq!(stamp(Some("2.1.331".into()), VERIFIED), "2.1.331");
        assert_eq!(stamp(Some("2.1.330".into()), VERIFIED), "2.1.330");
    }

    #[test]
    fn anything_else_claims_the_newest_verified() {
        for found in [
            None,
            Some("2.1.333"),
            Some("2.0.1"),
            Some("latest"),
            Some(""),
        ] {
            assert_eq!(
                stamp(found.map(str::to_owned), VERIFIED),
                "2.1.332",
                "{found:?}"
            );
        }
    }

    #[test]
    fn the_first_line_that_names_a_version_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let text =
            "{\"type\":\"queue\"}\nnot json\n{\"version\":\"2.1.331\"}\n{\"version\":\"9\"}\n";
        std::fs::write(&path, text).unwrap();
        fn version(row: &serde_json::Value) -> Option<&str> {
            row.get("version")?.as_str()
        }
        assert_eq!(claimed_in(&path, version).as_deref(), Some("2.1.331"));
        assert_eq!(claimed_in(&dir.path().join("none"), version), None);
    }
}
