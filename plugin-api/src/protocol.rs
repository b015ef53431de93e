//! Requests and answers of the adapter operations. They cross the ABI as JSON text, so fields can
//! be added (with serde defaults) without changing the frozen layout.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::model::Transcript;

/// What `info` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// Short name used on the command line (`claude`).
    pub name: String,
    /// Human name (`Claude Code`).
    pub display_name: String,
    /// Version of the adapter.
    pub version: String,
    pub capabilities: Capabilities,
    /// The home the adapter uses when the host passes none (environment already applied).
    pub default_home: String,
    /// The command that resumes a session, with `{id}` for its id (`claude --resume {id}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_command: Option<String>,
    /// The client releases the adapter was proven with, oldest first (`handoff doctor` compares
    /// the installed client with them); empty when no release could be run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified_clients: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub list: bool,
    pub extract: bool,
    pub inject: bool,
}

/// `list_sessions`: the sessions of one project (`cwd`), or of all when `cwd` is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Newest first; at most this many rows when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Files the host already holds a row for, with the size and mtime they had then. For a
    /// candidate file whose current size and mtime equal its stamp, the adapter may answer a row
    /// with only `session_id`, `path` and `cached: true` instead of reading the file; the host
    /// fills in the rest. Adapters that do not list from files may ignore it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<FileStamp>,
}

/// A file as it was when the host cached its row: size in bytes and mtime in unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: String,
    pub size: u64,
    pub mtime_ms: i64,
}

/// One row of `list_sessions`, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub agent: String,
    pub session_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Conversation messages (an estimate is fine; no full parse needed).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub messages: usize,
    /// Unix time in milliseconds of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    /// File or database that holds it.
    pub path: String,
    /// The file matched its stamp in [`ListRequest::unchanged`] and was not read: only
    /// `session_id` and `path` are meaningful.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// The kind of store the row comes from, when the adapter reads more than one kind and this
    /// one deserves a word (`OpenCode 2.x database, read only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// `extract`: one session as a transcript. With neither `session_id` nor `path`, the most recent
/// session of `cwd`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// A full id or a unique prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// A session file, when the caller already knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    pub transcript: Transcript,
    #[serde(default)]
    pub report: ExtractReport,
}

/// What the reader passed over, so the host can tell the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractReport {
    /// Lines or records that could not be parsed and were skipped, as the agent skips them.
    #[serde(default)]
    pub skipped_lines: usize,
    /// Subagent / side conversations that are not part of the main one.
    #[serde(default)]
    pub sidechains: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Records of a kind the reader does not know, by kind, passed over as the client passes
    /// them over (a newer client than the adapter knows writes them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_records: BTreeMap<String, usize>,
}

impl ExtractReport {
    /// Counts a record of a kind the reader does not know.
    pub fn unknown_record(&mut self, kind: &str) {
        *self.unknown_records.entry(kind.to_owned()).or_default() += 1;
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectMode {
    /// Write the session into the agent's store.
    #[default]
    Write,
    /// Decide id and path, write nothing.
    Plan,
    /// Write nothing; return the session in the agent's own format in `rendered`.
    Render,
}

/// `inject`: write `transcript` as a new session of this agent for project `cwd`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InjectRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    pub cwd: String,
    #[serde(default)]
    pub mode: InjectMode,
    pub transcript: Transcript,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Injected {
    /// The new session's id, in the target's own shape.
    pub session_id: String,
    /// The file (or database) the session lives in.
    pub path: String,
    /// The command that resumes it.
    #[serde(default)]
    pub resume_command: String,
    /// Everything written, so the host can record and undo it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<Written>,
    /// With [`InjectMode::Render`]: the native bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    /// What the user should know about the written session (e.g. a part that could not be done).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One thing an inject wrote: a whole file, or rows of a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Written {
    File {
        path: String,
    },
    Rows {
        path: String,
        table: String,
        ids: Vec<String>,
    },
}

/// How an operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No such session, or no session for the project.
    NotFound,
    /// A session prefix that matches more than one session.
    Ambiguous,
    /// The source data cannot be used.
    InvalidInput,
    /// The adapter does not do this (yet).
    Unsupported,
    /// Reading or writing the store failed.
    Io,
    /// The adapter broke (panicked, answered garbage).
    Internal,
}

/// An adapter's error: a kind for the exit code and a one-line message naming the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterError {
    pub kind: ErrorKind,
    pub message: String,
}

impl AdapterError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    /// An IO error, always with the path it concerns.
    pub fn io(path: impl fmt::Display, err: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Io, format!("{path}: {err}"))
    }
}

impl fmt::Display for AdapterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AdapterError {}

pub type AdapterResult<T> = Result<T, AdapterError>;

/// The protocol this API speaks. 1 was the frozen ABI alone; 2 added the [`Hello`] handshake.
/// Bumped when a host and a plugin built from different versions must know of each other.
pub const PROTOCOL_VERSION: u32 = 2;
/// The oldest protocol this API still works with: plugins built before the handshake (they
/// answer `hello` as an unknown method) speak 1.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

/// An operation added after the ABI froze: carried by `call` under [`Method::NAME`], its request
/// and answer typed here so neither side spells a method name or guesses a shape.
pub trait Method: Serialize + serde::de::DeserializeOwned {
    const NAME: &'static str;
    type Answer: Serialize + serde::de::DeserializeOwned;
}

/// The handshake, both ways: before its first call the host says hello with what it speaks, and
/// the plugin answers with what it speaks. Each side refuses a peer outside its range with one
/// line that says which side to upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// The newest protocol this side speaks.
    pub protocol: u32,
    /// The oldest protocol this side still works with.
    pub min_protocol: u32,
    /// The newest transcript version this side reads and writes.
    pub ir_version: u32,
    /// The optional methods this side answers (plugins) or may call (hosts).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Who is speaking, for messages: `handoff 0.2.0`, `handoff-plugin-api 1.1.0`.
    #[serde(default)]
    pub software: String,
    /// How the operations' requests and answers can travel between the two sides:
    /// [`ENCODING_JSON`] always (a peer that lists nothing, built before 1.3, speaks only that),
    /// and [`ENCODING_IN_PROCESS`] when this side can hand over or take an adapter compiled into
    /// the same program as the host (see [`crate::in_process`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<String>,
}

/// JSON text across the frozen ABI: every side speaks it.
pub const ENCODING_JSON: &str = "json";
/// The typed values themselves, moved and borrowed without encoding: only between a host and an
/// adapter compiled into the same program ([`crate::in_process`]).
pub const ENCODING_IN_PROCESS: &str = "in-process";

impl Method for Hello {
    const NAME: &'static str = "hello";
    type Answer = Hello;
}

impl Hello {
    /// What this build of the API speaks, with these optional methods.
    pub fn current(software: impl Into<String>, methods: &[&str]) -> Self {
        Self {
            protocol: PROTOCOL_VERSION,
            min_protocol: MIN_PROTOCOL_VERSION,
            ir_version: crate::model::IR_VERSION,
            methods: methods.iter().map(|m| (*m).to_owned()).collect(),
            software: software.into(),
            encodings: [ENCODING_JSON, ENCODING_IN_PROCESS]
                .map(String::from)
                .to_vec(),
        }
    }

    /// Whether this side said it speaks `encoding`.
    pub fn speaks(&self, encoding: &str) -> bool {
        encoding == ENCODING_JSON || self.encodings.iter().any(|e| e == encoding)
    }

    /// Why `self` cannot work with `peer`, if it cannot: the peer needs a newer `self`
    /// ([`Mismatch::UpgradeSelf`]) or is older than `self` still supports
    /// ([`Mismatch::UpgradePeer`]).
    pub fn mismatch(&self, peer: &Hello) -> Option<Mismatch> {
        if peer.min_protocol > self.protocol || peer.ir_version > self.ir_version {
            Some(Mismatch::UpgradeSelf)
        } else if peer.protocol < self.min_protocol {
            Some(Mismatch::UpgradePeer)
        } else {
            None
        }
    }
}

/// Which side of a handshake is too old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    UpgradeSelf,
    UpgradePeer,
}

/// `remove`: takes back what an inject wrote, by the adapter that wrote it (database rows; the
/// host removes files itself). The request is the inject's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Remove(pub Injected);

impl Method for Remove {
    const NAME: &'static str = "remove";
    type Answer = serde_json::Value;
}
