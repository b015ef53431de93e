//! Google genai `Content` parts, the message shape Gemini CLI and the agents forked from it store:
//! `text` (a `thought` when flagged), `functionCall`, `functionResponse`, `inlineData` and
//! `fileData`. Read into transcript parts and written back here, once for every such agent; the
//! tool names stay each adapter's own.

use crate::loose::{LooseBool, LooseObject, LooseStr, present};
use crate::text::media_note;
use handoff_plugin_api::{Media, Message, Part, Role, Tool};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::value::MapAccessDeserializer};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::fmt;

/// One stored part. Every field is loose: a part of a shape this reader does not know is empty,
/// not an error that loses its record.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenaiPart {
    #[serde(default)]
    pub text: LooseStr,
    #[serde(default)]
    pub thought: LooseBool,
    #[serde(default)]
    pub thought_signature: LooseStr,
    #[serde(default)]
    pub function_call: LooseObject<FunctionCall>,
    #[serde(default)]
    pub function_response: LooseObject<FunctionResponse>,
    #[serde(default)]
    pub inline_data: LooseObject<Blob>,
    #[serde(default)]
    pub file_data: LooseObject<FileData>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FunctionCall {
    #[serde(default)]
    pub id: LooseStr,
    #[serde(default)]
    pub name: LooseStr,
    #[serde(default, deserialize_with = "present")]
    pub args: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FunctionResponse {
    #[serde(default)]
    pub id: LooseStr,
    #[serde(default)]
    pub name: LooseStr,
    #[serde(default, deserialize_with = "present")]
    pub response: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    #[serde(default)]
    pub mime_type: LooseStr,
    #[serde(default)]
    pub data: LooseStr,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    #[serde(default)]
    pub mime_type: LooseStr,
    #[serde(default)]
    pub file_uri: LooseStr,
}

/// A genai `PartListUnion`: a string, one part, or a list of parts and strings. Any other value
/// is an empty list.
#[derive(Debug, Default)]
pub struct PartList(pub Vec<GenaiPart>);

impl PartList {
    /// The text parts (not thoughts) joined, as the agents compute a message's text.
    pub fn text(&self) -> String {
        self.0
            .iter()
            .filter(|part| !part.thought.is_true())
            .filter_map(|part| part.text.as_deref())
            .collect()
    }
}

impl<'de> Deserialize<'de> for PartList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PartListVisitor)
    }
}

struct PartListVisitor;

fn text_part(text: String) -> GenaiPart {
    GenaiPart {
        text: LooseStr(Some(text)),
        ..GenaiPart::default()
    }
}

/// One element of a part list: a part object or a bare string.
struct ListItem(Option<GenaiPart>);

impl<'de> Deserialize<'de> for ListItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = ListItem;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a genai part or a string")
    }

    fn visit_str<E>(self, text: &str) -> Result<ListItem, E> {
        Ok(ListItem(Some(text_part(text.to_owned()))))
    }

    fn visit_string<E>(self, text: String) -> Result<ListItem, E> {
        Ok(ListItem(Some(text_part(text))))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ListItem, A::Error> {
        GenaiPart::deserialize(MapAccessDeserializer::new(map)).map(|part| ListItem(Some(part)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListItem, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(ListItem(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<ListItem, E> {
        Ok(ListItem(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<ListItem, E> {
        Ok(ListItem(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<ListItem, E> {
        Ok(ListItem(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<ListItem, E> {
        Ok(ListItem(None))
    }
    fn visit_unit<E>(self) -> Result<ListItem, E> {
        Ok(ListItem(None))
    }
}

impl<'de> Visitor<'de> for PartListVisitor {
    type Value = PartList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a genai part list")
    }

    fn visit_str<E>(self, text: &str) -> Result<PartList, E> {
        Ok(PartList(vec![text_part(text.to_owned())]))
    }

    fn visit_string<E>(self, text: String) -> Result<PartList, E> {
        Ok(PartList(vec![text_part(text)]))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PartList, A::Error> {
        GenaiPart::deserialize(MapAccessDeserializer::new(map)).map(|part| PartList(vec![part]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PartList, A::Error> {
        let mut parts = Vec::new();
        while let Some(ListItem(part)) = seq.next_element()? {
            parts.extend(part);
        }
        Ok(PartList(parts))
    }

    fn visit_bool<E>(self, _: bool) -> Result<PartList, E> {
        Ok(PartList::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<PartList, E> {
        Ok(PartList::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<PartList, E> {
        Ok(PartList::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<PartList, E> {
        Ok(PartList::default())
    }
    fn visit_unit<E>(self) -> Result<PartList, E> {
        Ok(PartList::default())
    }
}

/// Call ids for calls and responses that were stored without one (older sessions, hand-made
/// files): a response answers the oldest open call of its name, as the agents pair them.
#[derive(Debug, Default)]
pub struct CallIds {
    open: VecDeque<(String, String)>,
    made: usize,
}

impl CallIds {
    /// The id of a call named `name`: its own, else a new one.
    pub fn call(&mut self, id: Option<&str>, name: &str) -> String {
        let id = match id.filter(|id| !id.is_empty()) {
            Some(id) => id.to_owned(),
            None => {
                self.made += 1;
                format!("{name}-{}", self.made)
            }
        };
        self.open.push_back((name.to_owned(), id.clone()));
        id
    }

    /// The id of the call a response to `name` answers.
    pub fn response(&mut self, id: Option<&str>, name: &str) -> String {
        let position = match id.filter(|id| !id.is_empty()) {
            Some(id) => self.open.iter().position(|(_, open)| open == id),
            None => self.open.iter().position(|(open, _)| open == name),
        };
        match (position.and_then(|at| self.open.remove(at)), id) {
            (Some((_, open)), _) => open,
            (None, Some(id)) if !id.is_empty() => id.to_owned(),
            (None, _) => {
                self.made += 1;
                format!("{name}-{}", self.made)
            }
        }
    }
}

/// The transcript part of a stored part; `None` for an empty one. `to_tool` is the adapter's
/// tool table.
pub fn read_part(
    part: GenaiPart,
    ids: &mut CallIds,
    to_tool: impl Fn(&str, &Value) -> Tool,
) -> Option<Part> {
    if let Some(call) = part.function_call.0 {
        let name = call.name.0.unwrap_or_default();
        let input = call.args.unwrap_or_else(|| json!({}));
        return Some(Part::ToolCall {
            id: ids.call(call.id.as_deref(), &name),
            tool: to_tool(&name, &input),
            name,
            input,
        });
    }
    if let Some(response) = part.function_response.0 {
        let name = response.name.0.unwrap_or_default();
        let (output, is_error) = response_output(response.response);
        return Some(Part::ToolResult {
            call_id: ids.response(response.id.as_deref(), &name),
            output,
            images: Vec::new(),
            is_error,
        });
    }
    if let Some(blob) = part.inline_data.0 {
        let media_type = blob
            .mime_type
            .0
            .unwrap_or_else(|| "application/octet-stream".into());
        let media = Media {
            data_base64: blob.data.0,
            path: None,
            name: None,
            media_type,
        };
        return Some(if media.media_type.starts_with("image/") {
            Part::Image(media)
        } else {
            Part::File(media)
        });
    }
    if let Some(file) = part.file_data.0 {
        return Some(Part::File(Media {
            media_type: file
                .mime_type
                .0
                .unwrap_or_else(|| "application/octet-stream".into()),
            data_base64: None,
            path: file.file_uri.0,
            name: None,
        }));
    }
    let text = part.text.0.filter(|text| !text.is_empty())?;
    Some(if part.thought.is_true() {
        Part::Reasoning {
            signature: part.thought_signature.0,
            provider: Some(PROVIDER.into()),
            text,
        }
    } else {
        Part::Text { text }
    })
}

/// A turn's parts as a message: the model's, or the user's, where a user turn of only tool results
/// is the agent's own (its calls' answers); `None` when there is nothing.
pub fn message(model: bool, parts: Vec<Part>) -> Option<Message> {
    if parts.is_empty() {
        return None;
    }
    let results_only = parts.iter().all(|p| matches!(p, Part::ToolResult { .. }));
    let role = if model || results_only {
        Role::Assistant
    } else {
        Role::User
    };
    Some(Message::new(role, parts))
}

/// Who signs genai thoughts.
pub const PROVIDER: &str = "google";

/// A `functionResponse.response` as output text: its `output`, or its `error` (then it is an
/// error), or the whole object.
fn response_output(response: Option<Value>) -> (String, bool) {
    let as_text = |value: Value| match value {
        Value::String(text) => text,
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match response {
        Some(Value::Object(mut object)) => {
            if let Some(output) = object.remove("output") {
                (as_text(output), false)
            } else if let Some(error) = object.remove("error") {
                (as_text(error), true)
            } else {
                (Value::Object(object).to_string(), false)
            }
        }
        Some(other) => (as_text(other), false),
        None => (String::new(), false),
    }
}

/// A text part.
pub fn text(text: &str) -> Value {
    json!({ "text": text })
}

/// A `functionCall` part.
pub fn function_call(id: &str, name: &str, args: &Value) -> Value {
    json!({ "functionCall": { "id": id, "name": name, "args": args } })
}

/// A `functionResponse` part: `output`, or `error` when the call failed.
pub fn function_response(id: &str, name: &str, output: &str, is_error: bool) -> Value {
    let response = if is_error {
        json!({ "error": output })
    } else {
        json!({ "output": output })
    };
    json!({ "functionResponse": { "id": id, "name": name, "response": response } })
}

/// An image or file: inline bytes when the transcript has them, else a note naming it.
pub fn media(media: &Media) -> Value {
    match &media.data_base64 {
        Some(data) => json!({ "inlineData": { "mimeType": media.media_type, "data": data } }),
        None => text(&media_note(media)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::ToolKind;

    fn parts(json: &str) -> Vec<Part> {
        let mut ids = CallIds::default();
        serde_json::from_str::<PartList>(json)
            .unwrap()
            .0
            .into_iter()
            .filter_map(|part| read_part(part, &mut ids, |_, _| Tool::default()))
            .collect()
    }

    #[test]
    fn every_shape_of_a_part_list_is_read() {
        assert_eq!(parts(r#""hi""#), vec![Part::Text { text: "hi".into() }]);
        assert_eq!(
            parts(r#"{"text":"one"}"#),
            vec![Part::Text { text: "one".into() }]
        );
        let read = parts(
            r#"["a", {"text":"t","thought":true,"thoughtSignature":"sig"}, 7, [1],
               {"inlineData":{"mimeType":"image/png","data":"AAAA"}},
               {"fileData":{"mimeType":"application/pdf","fileUri":"/doc.pdf"}}]"#,
        );
        assert_eq!(read.len(), 4);
        assert_eq!(read[0], Part::Text { text: "a".into() });
        assert!(
            matches!(&read[1], Part::Reasoning { signature: Some(s), provider: Some(p), .. } if s == "sig" && p == PROVIDER)
        );
        assert!(matches!(&read[2], Part::Image(m) if m.data_base64.as_deref() == Some("AAAA")));
        assert!(matches!(&read[3], Part::File(m) if m.path.as_deref() == Some("/doc.pdf")));
        assert!(parts("12").is_empty());
        assert_eq!(
            serde_json::from_str::<PartList>(r#"[{"text":"a"},{"text":"b","thought":true},"c"]"#)
                .unwrap()
                .text(),
            "ac"
        );
    }

    #[test]
    fn responses_answer_their_calls_with_or_without_ids() {
        let read = parts(
            r#"[{"functionCall":{"name":"sh","args":{"c":1}}},
                {"functionCall":{"id":"x","name":"sh","args":{"c":2}}},
                {"functionResponse":{"id":"x","name":"sh","response":{"error":"boom"}}},
                {"functionResponse":{"name":"sh","response":{"output":"ok"}}},
                {"functionResponse":{"name":"ls","response":{"files":[1]}}}]"#,
        );
        let Part::ToolCall { id: first, .. } = &read[0] else {
            panic!("{read:?}")
        };
        assert!(
            matches!(&read[2], Part::ToolResult { call_id, output, is_error: true, .. } if call_id == "x" && output == "boom")
        );
        assert!(
            matches!(&read[3], Part::ToolResult { call_id, output, is_error: false, .. } if call_id == first && output == "ok")
        );
        assert!(
            matches!(&read[4], Part::ToolResult { output, .. } if output == r#"{"files":[1]}"#)
        );
    }

    #[test]
    fn calls_go_through_the_adapters_table() {
        let mut ids = CallIds::default();
        let part: GenaiPart = serde_json::from_str(
            r#"{"functionCall":{"id":"c","name":"run","args":{"command":"ls"}}}"#,
        )
        .unwrap();
        let read = read_part(part, &mut ids, |name, input| {
            assert_eq!((name, input), ("run", &json!({"command": "ls"})));
            crate::tools::complete(
                ToolKind::Shell,
                input.as_object().cloned().unwrap_or_default(),
            )
        });
        assert!(matches!(read, Some(Part::ToolCall { tool, .. }) if tool.kind == ToolKind::Shell));
    }

    #[test]
    fn written_parts_read_back() {
        let written = json!([
            text("hello"),
            function_call("c1", "run", &json!({"command": "ls"})),
            function_response("c1", "run", "out", false),
            function_response("c1", "run", "bad", true),
            media(&Media {
                media_type: "image/png".into(),
                data_base64: Some("AAAA".into()),
                path: None,
                name: None,
            }),
        ]);
        let read = parts(&written.to_string());
        assert_eq!(
            read[0],
            Part::Text {
                text: "hello".into()
            }
        );
        assert!(matches!(&read[1], Part::ToolCall { id, .. } if id == "c1"));
        assert!(
            matches!(&read[2], Part::ToolResult { output, is_error: false, .. } if output == "out")
        );
        assert!(
            matches!(&read[3], Part::ToolResult { output, is_error: true, .. } if output == "bad")
        );
        assert!(matches!(&read[4], Part::Image(_)));
    }
}
