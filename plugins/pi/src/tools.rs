//! pi's tools in the shared vocabulary, both ways. The only place this adapter names a tool (the
//! names and parameters are those pi 1.6.0 offers its model: `read`, `bash`, `edit`, `write`).

use handoff_adapter_kit::tools::{ToolRow, ToolTable, complete, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value, json};

// `bash`'s `timeout` is in seconds: it keeps its own name rather than pass for `timeout_ms`.
const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "bash",
        kind: ToolKind::Shell,
        keys: &[],
    },
    ToolRow {
        native: "read",
        kind: ToolKind::Read,
        keys: &[],
    },
    ToolRow {
        native: "write",
        kind: ToolKind::Write,
        keys: &[],
    },
]);

/// A call read from a pi session, in the shared vocabulary. An `edit` of one replacement is an
/// edit; several at once have no shape in the vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    if name == "edit" {
        return read_edit(input).unwrap_or_default();
    }
    TABLE.read(name, input)
}

fn read_edit(input: &Value) -> Option<Tool> {
    let mut args = input.as_object()?.clone();
    let Some(Value::Array(edits)) = args.remove("edits") else {
        return None;
    };
    let [edit] = edits.as_slice() else {
        return None;
    };
    args.insert("old_string".into(), edit.get("oldText")?.clone());
    args.insert("new_string".into(), edit.get("newText")?.clone());
    Some(complete(ToolKind::Edit, args))
}

/// The tool name and arguments pi gets for a call; `own` when the transcript is pi's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        if tool.kind == ToolKind::Edit {
            return Some(("edit".into(), Value::Object(write_edit(&tool.args))));
        }
        let (name, args) = TABLE.write(tool)?;
        Some((name.to_owned(), Value::Object(args)))
    })
}

/// pi's `edit` arguments for a replacement: the one edit in `edits`, the rest as they are.
fn write_edit(args: &Map<String, Value>) -> Map<String, Value> {
    let mut out = args.clone();
    let old = out.remove("old_string").unwrap_or(Value::Null);
    let new = out.remove("new_string").unwrap_or(Value::Null);
    out.insert("edits".into(), json!([{"oldText": old, "newText": new}]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi_calls_read_into_kinds_and_back() {
        let input = json!({"command": "ls", "timeout": 30});
        let shell = to_tool("bash", &input);
        assert_eq!(shell.kind, ToolKind::Shell);
        assert_eq!(shell.args["timeout"], 30);
        assert_eq!(
            to_native(true, "bash", &input, &shell),
            ("bash".into(), input)
        );
        let edit = to_tool(
            "edit",
            &json!({"path": "/a", "edits": [{"oldText": "x", "newText": "y"}]}),
        );
        assert_eq!(
            Value::Object(edit.args.clone()),
            json!({"path": "/a", "old_string": "x", "new_string": "y"})
        );
        let many = json!({"path": "/a", "edits": [{"oldText": "x", "newText": "y"}, {"oldText": "p", "newText": "q"}]});
        assert!(to_tool("edit", &many).is_other());
        assert_eq!(
            to_native(false, "str_replace", &json!({}), &edit),
            (
                "edit".into(),
                json!({"path": "/a", "edits": [{"oldText": "x", "newText": "y"}]})
            )
        );
    }

    #[test]
    fn kinds_without_a_pi_tool_keep_their_source_call() {
        let Value::Object(args) = json!({"pattern": "x"}) else {
            unreachable!()
        };
        let search = complete(ToolKind::Search, args);
        assert_eq!(
            to_native(false, "grep", &json!({"pattern": "x"}), &search),
            ("grep".into(), json!({"pattern": "x"}))
        );
    }
}
