//! Claude Code's tools in the shared vocabulary, both ways. The only place this adapter names a
//! tool.

use handoff_adapter_kit::tools::{ToolRow, ToolTable, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::Value;

const PATH: (&str, &str) = ("path", "file_path");

/// Claude Code's built-ins. `Agent` is the subagent tool's current name, `Task` its older one.
const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "Bash",
        kind: ToolKind::Shell,
        // Claude's `timeout` is in milliseconds.
        keys: &[("timeout_ms", "timeout")],
    },
    ToolRow {
        native: "Read",
        kind: ToolKind::Read,
        keys: &[PATH],
    },
    ToolRow {
        native: "Write",
        kind: ToolKind::Write,
        keys: &[PATH],
    },
    ToolRow {
        native: "Edit",
        kind: ToolKind::Edit,
        keys: &[PATH],
    },
    ToolRow {
        native: "Grep",
        kind: ToolKind::Search,
        keys: &[],
    },
    ToolRow {
        native: "Glob",
        kind: ToolKind::Glob,
        keys: &[],
    },
    ToolRow {
        native: "WebFetch",
        kind: ToolKind::WebFetch,
        keys: &[],
    },
    ToolRow {
        native: "WebSearch",
        kind: ToolKind::WebSearch,
        keys: &[],
    },
    ToolRow {
        native: "TodoWrite",
        kind: ToolKind::Todo,
        keys: &[],
    },
    ToolRow {
        native: "Agent",
        kind: ToolKind::Subagent,
        keys: &[("agent", "subagent_type")],
    },
    ToolRow {
        native: "Task",
        kind: ToolKind::Subagent,
        keys: &[("agent", "subagent_type")],
    },
]);

/// A call read from a Claude session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    TABLE.read(name, input)
}

/// The `tool_use` name and input Claude gets for a call; `own` when the transcript is Claude's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        TABLE
            .write(tool)
            .map(|(name, input)| (name.to_owned(), Value::Object(input)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_adapter_kit::tools::complete;
    use serde_json::json;

    fn tool(kind: ToolKind, args: Value) -> Tool {
        let Value::Object(args) = args else {
            panic!("args must be an object")
        };
        complete(kind, args)
    }

    #[test]
    fn claude_calls_read_into_kinds() {
        let read = to_tool("Read", &json!({"file_path": "/a.rs", "offset": 3}));
        assert_eq!(read.kind, ToolKind::Read);
        assert_eq!(read.args["path"], "/a.rs");
        assert_eq!(read.args["offset"], 3);
        let bash = to_tool("Bash", &json!({"command": "ls", "timeout": 1000}));
        assert_eq!(
            (bash.kind, &bash.args["timeout_ms"]),
            (ToolKind::Shell, &json!(1000))
        );
        assert!(to_tool("mcp__github__get_me", &json!({})).is_other());
        assert!(to_tool("MultiEdit", &json!({"file_path": "/a", "edits": []})).is_other());
    }

    #[test]
    fn kinds_take_claude_names_and_keys_and_keep_what_claude_has_no_key_for() {
        let shell = tool(
            ToolKind::Shell,
            json!({"command": "make", "workdir": "/src", "timeout_ms": 5}),
        );
        assert_eq!(
            to_native(false, "run", &json!(["make"]), &shell),
            (
                "Bash".into(),
                json!({"command": "make", "workdir": "/src", "timeout": 5})
            )
        );
        let edit = tool(
            ToolKind::Edit,
            json!({"path": "/a", "old_string": "x", "new_string": "y"}),
        );
        assert_eq!(
            to_native(false, "change", &json!({}), &edit),
            (
                "Edit".into(),
                json!({"file_path": "/a", "old_string": "x", "new_string": "y"})
            )
        );
    }

    #[test]
    fn claude_calls_and_kinds_claude_lacks_pass_unchanged() {
        let input = json!({"command": "ls", "description": "list"});
        let shell = to_tool("Bash", &input);
        assert_eq!(
            to_native(true, "Bash", &input, &shell),
            ("Bash".into(), input)
        );
        let patch = tool(ToolKind::Patch, json!({"patch": "*** Begin Patch"}));
        let native = json!("*** Begin Patch");
        assert_eq!(
            to_native(false, "apply", &native, &patch),
            ("apply".into(), native)
        );
    }
}
