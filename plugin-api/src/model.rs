//! The transcript model: the one language every adapter speaks.
//!
//! A source adapter turns its agent's store into a [`Transcript`]; a target adapter turns a
//! [`Transcript`] into its agent's store. Nothing here is specific to one agent: whatever a
//! same-agent round trip needs beyond this goes into [`Message::extra`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the transcript JSON. Bumped on any change a reader could misread; hosts refuse
/// transcripts of a newer version than they know.
pub const IR_VERSION: u32 = 1;

/// The output of a tool call that never got a result (the agent was interrupted, or the result
/// was lost): the host's normalize step gives every such call this result, marked as an error,
/// so writers always receive calls paired with exactly one result.
pub const INTERRUPTED_OUTPUT: &str = "interrupted: the tool call got no result";

/// One conversation, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub ir_version: u32,
    pub session: SessionMeta,
    pub messages: Vec<Message>,
}

impl Transcript {
    pub fn new(session: SessionMeta, messages: Vec<Message>) -> Self {
        Self {
            ir_version: IR_VERSION,
            session,
            messages,
        }
    }
}

/// What is known about the session as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// The session id in the source agent's own shape.
    pub id: String,
    /// Name of the agent that wrote it (`claude`, `codex`, `opencode`, …).
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Project directory the session belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Unix time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    /// Where the source lives (file or database), for notes and reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    System,
    Developer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    /// Unix time in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub parts: Vec<Part>,
    /// Agent-specific data a same-agent round trip may use; other agents ignore it.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
}

impl Message {
    pub fn new(role: Role, parts: Vec<Part>) -> Self {
        Self {
            role,
            timestamp_ms: None,
            model: None,
            parts,
            extra: Map::new(),
        }
    }
}

/// One piece of a message, in the order the agent produced it.
///
/// On the wire, an object with a `type` tag and the variant's fields. It is read through
/// [`WirePart`], one flat struct: serde's reader for tagged enums buffers every part before
/// reading it, which doubled the cost of a transcript crossing the plugin boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "WirePart")]
pub enum Part {
    Text {
        text: String,
    },
    /// Model reasoning. `signature` is opaque provider data (Claude's thinking signature,
    /// Codex's encrypted content) that only the same provider can verify; never forge it.
    Reasoning {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
        /// Which provider issued `signature` (`anthropic`, `openai`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
    /// A call as the agent made it (`name`, `input`), and the same call in the shared vocabulary
    /// when the reading adapter knows the tool. Writers of the same agent use `name` and `input`;
    /// writers of another agent use `tool`, or `name` and `input` when the kind is
    /// [`ToolKind::Other`] or they have no tool of that kind.
    ToolCall {
        id: String,
        name: String,
        input: Value,
        #[serde(default, skip_serializing_if = "Tool::is_other")]
        tool: Tool,
    },
    ToolResult {
        call_id: String,
        #[serde(default)]
        output: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<Media>,
        #[serde(default)]
        is_error: bool,
    },
    Image(Media),
    File(Media),
    /// The agent compacted its context here: the model saw `summary` instead of what came before.
    Compaction {
        summary: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PartKind {
    Text,
    Reasoning,
    ToolCall,
    ToolResult,
    Image,
    File,
    Compaction,
}

/// Every field any [`Part`] has, for reading one in a single pass.
#[derive(Deserialize)]
struct WirePart {
    #[serde(rename = "type")]
    kind: PartKind,
    text: Option<String>,
    signature: Option<String>,
    provider: Option<String>,
    id: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    input: Option<Value>,
    tool: Option<Tool>,
    call_id: Option<String>,
    output: Option<String>,
    #[serde(default)]
    images: Vec<Media>,
    #[serde(default)]
    is_error: bool,
    media_type: Option<String>,
    data_base64: Option<String>,
    path: Option<String>,
    summary: Option<String>,
}

/// A field that is there, even as `null` (which `Option` alone reads as absent).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl TryFrom<WirePart> for Part {
    type Error = String;

    fn try_from(wire: WirePart) -> Result<Self, String> {
        let need =
            |field: Option<String>, name: &str| field.ok_or(format!("missing field `{name}`"));
        let media = |wire: WirePart| -> Result<Media, String> {
            Ok(Media {
                media_type: need(wire.media_type, "media_type")?,
                data_base64: wire.data_base64,
                path: wire.path,
                name: wire.name,
            })
        };
        Ok(match wire.kind {
            PartKind::Text => Part::Text {
                text: need(wire.text, "text")?,
            },
            PartKind::Reasoning => Part::Reasoning {
                text: need(wire.text, "text")?,
                signature: wire.signature,
                provider: wire.provider,
            },
            PartKind::ToolCall => Part::ToolCall {
                id: need(wire.id, "id")?,
                name: need(wire.name, "name")?,
                input: wire.input.ok_or("missing field `input`")?,
                tool: wire.tool.unwrap_or_default(),
            },
            PartKind::ToolResult => Part::ToolResult {
                call_id: need(wire.call_id, "call_id")?,
                output: wire.output.unwrap_or_default(),
                images: wire.images,
                is_error: wire.is_error,
            },
            PartKind::Image => Part::Image(media(wire)?),
            PartKind::File => Part::File(media(wire)?),
            PartKind::Compaction => Part::Compaction {
                summary: need(wire.summary, "summary")?,
            },
        })
    }
}

/// A tool call in the vocabulary every adapter shares: what it does and its arguments in the
/// shape [`ToolKind`] documents for that kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub kind: ToolKind,
    /// The kind's documented keys, plus any argument of the source tool that the kind has no key
    /// for, under the source's own name (so a writer can still show it to the model).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub args: Map<String, Value>,
}

impl Tool {
    pub fn is_other(&self) -> bool {
        self.kind == ToolKind::Other
    }
}

/// What a tool call does, whichever agent made it. Each kind documents its argument keys; `?`
/// marks an optional one. Values keep the source agent's units unless the key says otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    /// `command` (one shell command line), `workdir?`, `timeout_ms?`, `description?`.
    Shell,
    /// `path`, `offset?` (first line), `limit?` (line count).
    Read,
    /// `path`, `content` (the whole file).
    Write,
    /// `path`, `old_string`, `new_string`, `replace_all?`.
    Edit,
    /// `patch` (a patch in the `*** Begin Patch` format).
    Patch,
    /// Content search: `pattern` (a regular expression), `path?`, `glob?` (which files).
    Search,
    /// File names matching `pattern`, under `path?`.
    Glob,
    /// `url`, `prompt?` (what to look for in the page).
    WebFetch,
    /// `query`.
    WebSearch,
    /// The agent's task list: `todos`, a list of `{content, status}` where `status` is
    /// `pending`, `in_progress` or `completed`.
    Todo,
    /// Work handed to another agent: `prompt`, `description?`, `agent?` (which kind of agent).
    Subagent,
    /// Any other tool (MCP servers, agent-specific ones, kinds newer than this reader): only the
    /// call's native `name` and `input` describe it.
    #[default]
    #[serde(other)]
    Other,
}

impl ToolKind {
    /// The keys a call of this kind always has.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            ToolKind::Shell => &["command"],
            ToolKind::Read => &["path"],
            ToolKind::Write => &["path", "content"],
            ToolKind::Edit => &["path", "old_string", "new_string"],
            ToolKind::Patch => &["patch"],
            ToolKind::Search | ToolKind::Glob => &["pattern"],
            ToolKind::WebFetch => &["url"],
            ToolKind::WebSearch => &["query"],
            ToolKind::Todo => &["todos"],
            ToolKind::Subagent => &["prompt"],
            ToolKind::Other => &[],
        }
    }
}

/// An image or attached file: inline bytes (base64) or a path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    pub media_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_base64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_serialize_with_a_type_tag() {
        let message = Message::new(
            Role::Assistant,
            vec![
                Part::Text { text: "hi".into() },
                Part::ToolCall {
                    id: "c1".into(),
                    name: "bash".into(),
                    input: serde_json::json!({"command": "ls"}),
                    tool: Tool::default(),
                },
            ],
        );
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["parts"][0]["type"], "text");
        assert_eq!(json["parts"][1]["type"], "tool_call");
        assert_eq!(json["parts"][1]["input"]["command"], "ls");
        assert!(json.get("extra").is_none());
        assert!(
            json["parts"][1].get("tool").is_none(),
            "an `other` call adds nothing"
        );
        let back: Message = serde_json::from_value(json).unwrap();
        assert_eq!(back, message);
    }

    #[test]
    fn every_part_reads_back_as_written_and_a_missing_field_is_an_error() {
        let media = Media {
            media_type: "image/png".into(),
            data_base64: Some("iVBO".into()),
            path: None,
            name: Some("shot.png".into()),
        };
        let parts = vec![
            Part::Text { text: "hi".into() },
            Part::Reasoning {
                text: "think".into(),
                signature: Some("sig".into()),
                provider: Some("anthropic".into()),
            },
            Part::ToolCall {
                id: "c1".into(),
                name: "bash".into(),
                input: Value::Null,
                tool: Tool {
                    kind: ToolKind::Shell,
                    args: serde_json::from_str(r#"{"command":"ls"}"#).unwrap(),
                },
            },
            Part::ToolResult {
                call_id: "c1".into(),
                output: "out".into(),
                images: vec![media.clone()],
                is_error: true,
            },
            Part::Image(media.clone()),
            Part::File(media),
            Part::Compaction {
                summary: "so far".into(),
            },
        ];
        let json = serde_json::to_string(&parts).unwrap();
        let back: Vec<Part> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, parts);

        for (json, missing) in [
            (r#"{"type":"text"}"#, "text"),
            (r#"{"type":"tool_call","id":"c","name":"n"}"#, "input"),
            (r#"{"type":"image","path":"/a.png"}"#, "media_type"),
        ] {
            let error = serde_json::from_str::<Part>(json).unwrap_err().to_string();
            assert!(error.contains(missing), "{json}: {error}");
        }
        assert!(serde_json::from_str::<Part>(r#"{"type":"video","text":"x"}"#).is_err());
    }

    #[test]
    fn a_tool_kind_newer_than_the_reader_is_other() {
        let json = r#"{"type":"tool_call","id":"c","name":"nb","input":{},"tool":{"kind":"notebook","args":{"cell":1}}}"#;
        let Part::ToolCall { tool, .. } = serde_json::from_str::<Part>(json).unwrap() else {
            panic!("not a call");
        };
        assert_eq!(tool.kind, ToolKind::Other);
        let json = r#"{"type":"tool_call","id":"c","name":"Read","input":{},"tool":{"kind":"web_fetch","args":{"url":"u"}}}"#;
        let Part::ToolCall { tool, .. } = serde_json::from_str::<Part>(json).unwrap() else {
            panic!("not a call");
        };
        assert_eq!(tool.kind, ToolKind::WebFetch);
    }
}
