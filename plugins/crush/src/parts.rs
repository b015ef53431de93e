//! A message's `parts` column: a JSON array of `{"type": …, "data": {…}}`, one per content part
//! (`internal/message/message.go`, `marshalParts` / `unmarshalParts`; the part structs are in
//! `internal/message/content.go`). Types: `text`, `reasoning`, `image_url`, `binary` (an
//! attachment, Go's `[]byte` as base64, its fields named `Path`, `MIMEType`, `Data`),
//! `tool_call` (its `input` a JSON text), `tool_result`, `finish`, `shell_command`.
//!
//! Crush refuses a whole message when one part does not decode; this reader keeps the parts it
//! can read and counts the others, so one bad part costs only itself.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One decoded part. Text fields that are absent or `null` are empty, as in Go.
#[derive(Debug, Clone, PartialEq)]
pub enum CrushPart {
    Text(String),
    Reasoning(Reasoning),
    ImageUrl(String),
    Binary(Binary),
    ToolCall(ToolCall),
    ToolResult(ToolResult),
    Finish(Finish),
    ShellCommand(ShellCommand),
}

fn null_is_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// What `serde(default, deserialize_with = …)` needs on every field: Go leaves a missing or
/// `null` field at its zero value, and refuses one of another type.
macro_rules! go_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                #[serde(default, deserialize_with = "null_is_default")]
                pub $field: $ty,
            )*
        }
    };
}

go_struct! {
    pub struct Reasoning {
        pub thinking: String,
        pub signature: String,
        pub thought_signature: String,
        pub tool_id: String,
        pub responses_data: Option<Value>,
        #[serde(skip_serializing_if = "is_zero")]
        pub started_at: i64,
        #[serde(skip_serializing_if = "is_zero")]
        pub finished_at: i64,
    }
}

go_struct! {
    pub struct Text {
        pub text: String,
    }
}

go_struct! {
    pub struct ImageUrl {
        pub url: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        pub detail: String,
    }
}

go_struct! {
    /// Go's field names, which have no JSON tags.
    pub struct Binary {
        #[serde(rename = "Path")]
        pub path: String,
        #[serde(rename = "MIMEType")]
        pub mime_type: String,
        /// Base64 (standard alphabet, padded).
        #[serde(rename = "Data")]
        pub data: String,
    }
}

go_struct! {
    pub struct ToolCall {
        pub id: String,
        pub name: String,
        /// The arguments as the model sent them: JSON text.
        pub input: String,
        pub provider_executed: bool,
        pub finished: bool,
    }
}

go_struct! {
    pub struct ToolResult {
        pub tool_call_id: String,
        pub name: String,
        pub content: String,
        /// Media the tool returned, base64, with its type.
        pub data: String,
        pub mime_type: String,
        /// The tool's own JSON about the call (diffs, timings), for Crush's display.
        pub metadata: String,
        pub is_error: bool,
    }
}

go_struct! {
    pub struct Finish {
        pub reason: String,
        /// Unix seconds; 0 in the `stop` part Crush adds to every non-assistant message.
        pub time: i64,
        #[serde(skip_serializing_if = "String::is_empty")]
        pub message: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        pub details: String,
    }
}

go_struct! {
    /// A `!command` the user ran in the prompt, with its output.
    pub struct ShellCommand {
        pub command: String,
        pub output: String,
        pub exit_code: i64,
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// Whether `text` is what Go decodes into a `[]byte`: standard, padded base64.
pub fn is_base64(text: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .is_ok()
}

/// The parts of a `parts` column and how many could not be read; `None` when the column is not a
/// JSON array at all.
pub fn decode(column: &str) -> Option<(Vec<CrushPart>, usize)> {
    let Ok(raw) = serde_json::from_str::<Vec<Value>>(column) else {
        return None;
    };
    let mut skipped = 0;
    let mut parts = Vec::with_capacity(raw.len());
    for value in raw {
        match decode_part(value) {
            Some(part) => parts.push(part),
            None => skipped += 1,
        }
    }
    Some((parts, skipped))
}

fn decode_part(value: Value) -> Option<CrushPart> {
    let Value::Object(mut wrapper) = value else {
        return None;
    };
    let kind = match wrapper.remove("type")? {
        Value::String(kind) => kind,
        _ => return None,
    };
    // Go decodes a missing `data` as an error, and `null` as the zero value.
    let data = wrapper.remove("data")?;
    fn data_of<T: DeserializeOwned + Default>(data: Value) -> Option<T> {
        match data {
            Value::Null => Some(T::default()),
            data => serde_json::from_value(data).ok(),
        }
    }
    Some(match kind.as_str() {
        "text" => CrushPart::Text(data_of::<Text>(data)?.text),
        "reasoning" => CrushPart::Reasoning(data_of(data)?),
        "image_url" => CrushPart::ImageUrl(data_of::<ImageUrl>(data)?.url),
        "binary" => {
            let binary: Binary = data_of(data)?;
            if !is_base64(&binary.data) {
                return None;
            }
            CrushPart::Binary(binary)
        }
        "tool_call" => CrushPart::ToolCall(data_of(data)?),
        "tool_result" => CrushPart::ToolResult(data_of(data)?),
        "finish" => CrushPart::Finish(data_of(data)?),
        "shell_command" => CrushPart::ShellCommand(data_of(data)?),
        _ => return None,
    })
}

/// One part as Crush writes it: the type, then the struct's fields in Go's order.
#[derive(Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Encoded<'a> {
    Reasoning(&'a Reasoning),
    Text(Text),
    Binary(&'a Binary),
    ToolCall(&'a ToolCall),
    ToolResult(&'a ToolResult),
    Finish(&'a Finish),
}

/// A `parts` column.
pub fn encode(parts: &[Encoded<'_>]) -> String {
    // Serialising these plain structs of strings and numbers cannot fail.
    serde_json::to_string(parts).unwrap_or_else(|_| String::from("[]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_written_in_crush_s_shape_and_read_back() {
        let call = ToolCall {
            id: "toolu_1".into(),
            name: "bash".into(),
            input: r#"{"command":"ls"}"#.into(),
            provider_executed: false,
            finished: true,
        };
        let finish = Finish {
            reason: "tool_use".into(),
            time: 1_767_225_600,
            ..Finish::default()
        };
        let column = encode(&[
            Encoded::Text(Text { text: "hi".into() }),
            Encoded::ToolCall(&call),
            Encoded::Finish(&finish),
        ]);
        assert_eq!(
            column,
            r#"[{"type":"text","data":{"text":"hi"}},{"type":"tool_call","data":{"id":"toolu_1","name":"bash","input":"{\"command\":\"ls\"}","provider_executed":false,"finished":true}},{"type":"finish","data":{"reason":"tool_use","time":1767225600}}]"#
        );
        let (parts, skipped) = decode(&column).unwrap();
        assert_eq!(skipped, 0);
        assert_eq!(
            parts,
            [
                CrushPart::Text("hi".into()),
                CrushPart::ToolCall(call),
                CrushPart::Finish(finish)
            ]
        );
        let binary = Binary {
            path: "/a.png".into(),
            mime_type: "image/png".into(),
            data: "iVBORw==".into(),
        };
        assert_eq!(
            encode(&[Encoded::Binary(&binary)]),
            r#"[{"type":"binary","data":{"Path":"/a.png","MIMEType":"image/png","Data":"iVBORw=="}}]"#
        );
    }

    #[test]
    fn unreadable_parts_are_counted_and_the_rest_kept() {
        let column = r#"[
            {"type":"text","data":{"text":"kept"}},
            {"type":"video","data":{}},
            {"type":"text"},
            {"type":"text","data":{"text":5}},
            {"type":"binary","data":{"Path":"x","MIMEType":"image/png","Data":"not base64!"}},
            "text",
            {"data":{"text":"no type"}},
            {"type":"finish","data":null},
            {"type":"text","data":{"text":null,"extra":1}}
        ]"#;
        let (parts, skipped) = decode(column).unwrap();
        assert_eq!(skipped, 6);
        assert_eq!(
            parts,
            [
                CrushPart::Text("kept".into()),
                CrushPart::Finish(Finish::default()),
                CrushPart::Text(String::new())
            ]
        );
        assert_eq!(decode("{}"), None);
        assert_eq!(decode("not json"), None);
    }
}
