//! Copilot CLI's tools in the shared vocabulary, both ways. The only place this adapter names a
//! tool (the names and arguments are those Copilot CLI 1.0.102 offers its model).

use handoff_adapter_kit::tools::{ToolRow, ToolTable, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value, json};

const TABLE: ToolTable = ToolTable(&[
    // `description` is required.
    ToolRow {
        native: "bash",
        kind: ToolKind::Shell,
        keys: &[],
    },
    ToolRow {
        native: "view",
        kind: ToolKind::Read,
        keys: &[],
    },
    ToolRow {
        native: "create",
        kind: ToolKind::Write,
        keys: &[("content", "file_text")],
    },
    ToolRow {
        native: "edit",
        kind: ToolKind::Edit,
        keys: &[("old_string", "old_str"), ("new_string", "new_str")],
    },
    ToolRow {
        native: "grep",
        kind: ToolKind::Search,
        keys: &[("path", "paths")],
    },
    ToolRow {
        native: "glob",
        kind: ToolKind::Glob,
        keys: &[("path", "paths")],
    },
    // `name`, `description` and `agent_type` are required.
    ToolRow {
        native: "task",
        kind: ToolKind::Subagent,
        keys: &[("agent", "agent_type")],
    },
]);

/// A call read from a Copilot session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    TABLE.read(name, input)
}

/// The tool name and arguments Copilot gets for a call; `own` when the transcript is Copilot's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        let (name, mut args) = TABLE.write(tool)?;
        fill_required(tool.kind, &mut args);
        Some((name.to_owned(), Value::Object(args)))
    })
}

/// The arguments Copilot requires that other agents do not have.
fn fill_required(kind: ToolKind, args: &mut Map<String, Value>) {
    let defaults = match kind {
        ToolKind::Shell => vec![("description", json!("Run a command"))],
        ToolKind::Subagent => vec![
            ("name", json!("subtask")),
            ("description", json!("subtask")),
            ("agent_type", json!("general-purpose")),
        ],
        _ => Vec::new(),
    };
    for (key, value) in defaults {
        args.entry(key).or_insert(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_adapter_kit::tools::complete;

    #[test]
    fn copilot_calls_read_into_kinds_and_back() {
        let input = json!({"command": "ls", "description": "list"});
        let shell = to_tool("bash", &input);
        assert_eq!(shell.kind, ToolKind::Shell);
        assert_eq!(
            to_native(true, "bash", &input, &shell),
            ("bash".into(), input)
        );
        let edit = to_tool(
            "edit",
            &json!({"path": "/a", "old_str": "x", "new_str": "y"}),
        );
        assert_eq!(
            Value::Object(edit.args),
            json!({"path": "/a", "old_string": "x", "new_string": "y"})
        );
        assert!(to_tool("sql", &json!({"query": "select 1", "description": "d"})).is_other());
    }

    #[test]
    fn kinds_take_copilot_names_keys_and_required_fields() {
        let Value::Object(args) = json!({"command": "make", "workdir": "/w"}) else {
            unreachable!()
        };
        let shell = complete(ToolKind::Shell, args);
        assert_eq!(
            to_native(false, "run", &json!({}), &shell),
            (
                "bash".into(),
                json!({"command": "make", "workdir": "/w", "description": "Run a command"})
            )
        );
        let Value::Object(args) = json!({"path": "/a", "content": "x"}) else {
            unreachable!()
        };
        let write = complete(ToolKind::Write, args);
        assert_eq!(
            to_native(false, "put", &json!({}), &write),
            ("create".into(), json!({"path": "/a", "file_text": "x"}))
        );
    }
}
