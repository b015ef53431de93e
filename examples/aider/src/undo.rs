//! The imported section and how to take it back.
//!
//! Aider keeps one history file per project, so an import appends a section instead of writing a
//! file of its own. The section says what it is in a line right after its header, which aider's
//! reader skips as it skips every `# ` line:
//!
//! ```text
//! # aider chat started at 2025-01-31 14:05:09
//! # handoff: imported claude session 5f0c…; 1234 bytes follow, fnv1a64 0123456789abcdef
//! ```
//!
//! Removing it truncates the file back to where the section began, and only when the section is
//! still the file's last and its bytes are still exactly those written (length and hash). So
//! nothing aider wrote since, and no edit by the user, is ever lost: such a section stays and the
//! removal is an error naming the file.

use handoff_plugin_api::{AdapterError, ErrorKind, SessionMeta};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::history::{HEADER, History, MARKER};

/// The whole section for `body`: header, handoff's marker line, body.
pub fn section(stamp: &str, source: &SessionMeta, body: &str) -> String {
    let source_id: String = source
        .id
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    format!(
        "\n{HEADER}{stamp}\n{MARKER}imported {} session {source_id}; {} bytes follow, fnv1a64 {:016x}\n{body}",
        source.agent.replace(char::is_control, "_"),
        body.len(),
        fnv1a64(body.as_bytes()),
    )
}

/// Appends `section` with one write to an append-only handle, creating the file (0600) if needed.
pub fn append(path: &Path, section: &str) -> Result<(), AdapterError> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| AdapterError::io(path.display(), e))?;
    file.write_all(section.as_bytes())
        .map_err(|e| AdapterError::io(path.display(), e))
}

/// Removes the imported section `id` from `path`. Returns whether there was one to remove.
pub fn remove(path: &Path, id: &str) -> Result<bool, AdapterError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(AdapterError::io(path.display(), e)),
    };
    let history = History::parse(&bytes);
    let Some(position) = history.sections.iter().position(|s| s.id == id) else {
        return Ok(false);
    };
    let refuse = |why: &str| {
        AdapterError::new(
            ErrorKind::InvalidInput,
            format!("{}: aider session {id} not removed: {why}", path.display()),
        )
    };
    if position + 1 != history.sections.len() {
        return Err(refuse("aider has started other sessions after it"));
    }
    let section = history
        .sections
        .get(position)
        .ok_or_else(|| refuse("it vanished"))?;
    let marker = section
        .marker
        .ok_or_else(|| refuse("handoff did not write it"))?;
    let (length, hash) =
        parse_marker(marker.text).ok_or_else(|| refuse("its handoff line is damaged"))?;
    let body_start = marker.offset + marker.text.len() + 1;
    let body = bytes.get(body_start..).unwrap_or_default();
    if body.len() != length || fnv1a64(body) != hash {
        return Err(refuse("it was changed since it was written"));
    }
    // The blank line before the header is the section's too.
    let start = match section.header_offset.checked_sub(1) {
        Some(before) if bytes.get(before) == Some(&b'\n') => before,
        _ => section.header_offset,
    };
    if start == 0 {
        std::fs::remove_file(path).map_err(|e| AdapterError::io(path.display(), e))?;
    } else {
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| AdapterError::io(path.display(), e))?;
        file.set_len(start as u64)
            .map_err(|e| AdapterError::io(path.display(), e))?;
    }
    Ok(true)
}

/// `… ; <n> bytes follow, fnv1a64 <hex>` → (n, hash).
fn parse_marker(line: &str) -> Option<(usize, u64)> {
    let (head, hash) = line.strip_prefix(MARKER)?.rsplit_once(", fnv1a64 ")?;
    let (_, length) = head.rsplit_once("; ")?;
    let length = length.strip_suffix(" bytes follow")?.parse().ok()?;
    Some((length, u64::from_str_radix(hash.trim(), 16).ok()?))
}

/// FNV-1a, 64 bits: enough to notice that the section changed.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_marker_reads_back() {
        let meta = SessionMeta {
            id: "ses; weird, id\n".into(),
            agent: "opencode".into(),
            ..SessionMeta::default()
        };
        let text = section("2025-01-31 14:05:09", &meta, "\n#### hi  \n");
        let marker = text.lines().nth(2).unwrap();
        assert!(marker.starts_with("# handoff: imported opencode session ses; weird, id_;"));
        assert_eq!(parse_marker(marker), Some((11, fnv1a64(b"\n#### hi  \n"))));
    }
}
