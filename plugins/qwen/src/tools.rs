//! Qwen Code's tools in the shared vocabulary, both ways. The only place this adapter names a
//! tool (the names and parameters are those Qwen Code 0.24.4 offers its model).

use handoff_adapter_kit::tools::{ToolRow, ToolTable, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::Value;

const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "run_shell_command",
        kind: ToolKind::Shell,
        keys: &[("workdir", "directory"), ("timeout_ms", "timeout")],
    },
    ToolRow {
        native: "read_file",
        kind: ToolKind::Read,
        keys: &[("path", "file_path")],
    },
    ToolRow {
        native: "write_file",
        kind: ToolKind::Write,
        keys: &[("path", "file_path")],
    },
    ToolRow {
        native: "edit",
        kind: ToolKind::Edit,
        keys: &[("path", "file_path")],
    },
    ToolRow {
        native: "grep_search",
        kind: ToolKind::Search,
        keys: &[],
    },
    ToolRow {
        native: "glob",
        kind: ToolKind::Glob,
        keys: &[],
    },
    ToolRow {
        native: "web_fetch",
        kind: ToolKind::WebFetch,
        keys: &[],
    },
    ToolRow {
        native: "web_search",
        kind: ToolKind::WebSearch,
        keys: &[],
    },
    ToolRow {
        native: "todo_write",
        kind: ToolKind::Todo,
        keys: &[],
    },
    ToolRow {
        native: "agent",
        kind: ToolKind::Subagent,
        keys: &[("agent", "subagent_type")],
    },
    // Names older sessions hold.
    ToolRow {
        native: "replace",
        kind: ToolKind::Edit,
        keys: &[("path", "file_path")],
    },
    ToolRow {
        native: "search_file_content",
        kind: ToolKind::Search,
        keys: &[],
    },
    ToolRow {
        native: "task",
        kind: ToolKind::Subagent,
        keys: &[("agent", "subagent_type")],
    },
]);

/// A call read from a Qwen Code session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    TABLE.read(name, input)
}

/// The tool name and arguments Qwen Code gets for a call; `own` when the transcript is Qwen's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        let (name, args) = TABLE.write(tool)?;
        Some((name.to_owned(), Value::Object(args)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_adapter_kit::tools::complete;
    use serde_json::json;

    #[test]
    fn qwen_calls_read_into_kinds_and_back() {
        let input = json!({"command": "ls", "directory": "/w", "timeout": 5000});
        let shell = to_tool("run_shell_command", &input);
        assert_eq!(
            Value::Object(shell.args.clone()),
            json!({"command": "ls", "workdir": "/w", "timeout_ms": 5000})
        );
        assert_eq!(
            to_native(true, "run_shell_command", &input, &shell),
            ("run_shell_command".into(), input)
        );
        let old = to_tool(
            "replace",
            &json!({"file_path": "/a", "old_string": "x", "new_string": "y"}),
        );
        assert_eq!(old.kind, ToolKind::Edit);
        assert!(to_tool("lsp", &json!({"op": "x"})).is_other());
    }

    #[test]
    fn kinds_take_qwen_names_and_keys() {
        let Value::Object(args) = json!({"path": "/a", "offset": 3}) else {
            unreachable!()
        };
        let read = complete(ToolKind::Read, args);
        assert_eq!(
            to_native(false, "open", &json!({}), &read),
            ("read_file".into(), json!({"file_path": "/a", "offset": 3}))
        );
        let Value::Object(args) = json!({"prompt": "p", "agent": "explore"}) else {
            unreachable!()
        };
        let task = complete(ToolKind::Subagent, args);
        assert_eq!(
            to_native(false, "spawn", &json!({}), &task),
            (
                "agent".into(),
                json!({"prompt": "p", "subagent_type": "explore"})
            )
        );
    }
}
