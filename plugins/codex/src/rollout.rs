//! The lines of a rollout file, whichever Codex generation wrote it, in one shape.
//!
//! - current: `{"timestamp","type","payload"}` envelopes (with or without `ordinal`);
//! - transitional: `{"record_type": <type>, …fields}` lines;
//! - before ~2025-09: a bare first line `{"id","timestamp","instructions",…}`, then bare response
//!   items, with `{"record_type":"state"}` snapshot lines in between.

use handoff_adapter_kit::{jsonl, time::parse_rfc3339_ms};
use handoff_plugin_api::AdapterError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SessionMeta,
    ResponseItem,
    TurnContext,
    Compacted,
    EventMsg,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub kind: Kind,
    pub timestamp_ms: Option<i64>,
    pub payload: Value,
}

#[derive(Debug, Default)]
pub struct Rollout {
    pub records: Vec<Record>,
    /// Lines that are not JSON objects.
    pub skipped: usize,
    /// Envelopes of a type Codex's readers do not know, by type: passed over as Codex does.
    pub unknown_types: BTreeMap<String, usize>,
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// A decompressed rollout larger than this is refused rather than filling memory.
const MAX_DECODED_BYTES: u64 = 2 << 30;

/// The bytes of a rollout, zstd-decoded when the file is a zstd stream.
pub fn load(path: &Path) -> Result<Vec<u8>, AdapterError> {
    let bytes = std::fs::read(path).map_err(|e| AdapterError::io(path.display(), e))?;
    decode(path, bytes)
}

/// Whether the bytes are a zstd stream (whatever the file's name).
pub fn is_zstd(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

fn is_zst_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

fn not_zstd(path: &Path, err: impl std::fmt::Display) -> AdapterError {
    AdapterError::invalid(format!(
        "{}: not a readable zstd stream: {err}",
        path.display()
    ))
}

fn decode(path: &Path, bytes: Vec<u8>) -> Result<Vec<u8>, AdapterError> {
    if !bytes.starts_with(&ZSTD_MAGIC) {
        if is_zst_name(path) {
            return Err(not_zstd(path, "missing zstd magic"));
        }
        return Ok(bytes);
    }
    let decoder =
        zstd::stream::read::Decoder::new(bytes.as_slice()).map_err(|e| not_zstd(path, e))?;
    let mut out = Vec::new();
    match decoder.take(MAX_DECODED_BYTES).read_to_end(&mut out) {
        Ok(_) => Ok(out),
        // A stream cut short (Codex was killed mid-write) still gives its complete lines; the
        // torn last line is then skipped like any garbage line.
        Err(_) if !out.is_empty() => Ok(out),
        Err(e) => Err(not_zstd(path, e)),
    }
}

/// Every usable line of a rollout, in file order.
pub fn parse(bytes: &[u8]) -> Rollout {
    let lines = jsonl::parse::<Value>(bytes);
    let mut rollout = Rollout {
        records: Vec::with_capacity(lines.rows.len()),
        skipped: lines.skipped,
        unknown_types: BTreeMap::new(),
    };
    for (_, value) in lines.rows {
        let first = rollout.records.is_empty();
        if let Some(kind) = unknown_envelope(&value) {
            *rollout.unknown_types.entry(kind.to_owned()).or_default() += 1;
            continue;
        }
        if let Some(record) = classify(value, first) {
            rollout.records.push(record);
        }
    }
    rollout
}

/// One line as a record, for readers that pick lines (`first`: no record came before it).
pub fn parse_line(line: &[u8], first: bool) -> Option<Record> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    classify(serde_json::from_slice(line).ok()?, first)
}

fn kind_named(name: &str) -> Option<Kind> {
    Some(match name {
        "session_meta" => Kind::SessionMeta,
        "response_item" => Kind::ResponseItem,
        "turn_context" => Kind::TurnContext,
        "compacted" => Kind::Compacted,
        "event_msg" => Kind::EventMsg,
        _ => return None,
    })
}

/// Envelope types of Codex's own bookkeeping (usage and state records) that carry nothing of the
/// conversation, seen in the rollouts of the verified releases.
const BOOKKEEPING_TYPES: &[&str] = &["token_usage_record", "world_state"];

/// The type of an envelope (`{"type", "payload"}`) that no Codex reader knows.
fn unknown_envelope(line: &Value) -> Option<&str> {
    line.get("payload")?;
    line.get("type")?
        .as_str()
        .filter(|name| kind_named(name).is_none() && !BOOKKEEPING_TYPES.contains(name))
}

/// One line in the common shape; `None` for lines Codex itself ignores (state snapshots,
/// unknown types).
fn classify(value: Value, first: bool) -> Option<Record> {
    let Value::Object(mut line) = value else {
        return None;
    };
    let timestamp_ms = line
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339_ms);
    // Current envelope.
    if let Some(payload) = line.remove("payload") {
        let kind = line
            .get("type")
            .and_then(Value::as_str)
            .and_then(kind_named)?;
        return Some(Record {
            kind,
            timestamp_ms,
            payload,
        });
    }
    // Transitional `record_type` lines carry their fields inline.
    if let Some(record_type) = line.remove("record_type") {
        let kind = record_type.as_str().and_then(kind_named)?;
        return Some(Record {
            kind,
            timestamp_ms,
            payload: Value::Object(line),
        });
    }
    // Pre-envelope: a bare meta line first, bare response items after it.
    if first && line.contains_key("id") && !line.contains_key("type") {
        return Some(Record {
            kind: Kind::SessionMeta,
            timestamp_ms,
            payload: Value::Object(line),
        });
    }
    if line.get("type").is_some_and(Value::is_string) {
        return Some(Record {
            kind: Kind::ResponseItem,
            timestamp_ms,
            payload: Value::Object(line),
        });
    }
    None
}

/// A string field of a JSON object.
pub fn str_field<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generation_classifies_alike() {
        let text = br#"{"id":"5c4a3b2e-1d0f-4a9b-8c7d-6e5f4a3b2c1d","timestamp":"2025-08-01T10:00:00.000Z","instructions":null}
{"record_type":"state"}
{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}
{"record_type":"response_item","type":"message","role":"assistant","content":[]}
{"timestamp":"2025-10-01T10:00:00.000Z","ordinal":3,"type":"turn_context","payload":{"cwd":"/p"}}
{"timestamp":"2025-10-01T10:00:00.000Z","type":"something_new","payload":{}}
not json
"#;
        let rollout = parse(text);
        let kinds: Vec<Kind> = rollout.records.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::SessionMeta,
                Kind::ResponseItem,
                Kind::ResponseItem,
                Kind::TurnContext
            ]
        );
        assert_eq!(rollout.skipped, 1);
        assert_eq!(rollout.records[0].timestamp_ms, Some(1_754_042_400_000));
        assert_eq!(str_field(&rollout.records[3].payload, "cwd"), Some("/p"));
    }
}
