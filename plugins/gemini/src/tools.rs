//! Gemini CLI's tools in the shared vocabulary, both ways. The only place this adapter names a
//! tool (the names and parameters are those Gemini CLI 0.61.0 offers its model).

use handoff_adapter_kit::tools::{ToolRow, ToolTable, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::Value;

const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "run_shell_command",
        kind: ToolKind::Shell,
        keys: &[("workdir", "dir_path")],
    },
    ToolRow {
        native: "read_file",
        kind: ToolKind::Read,
        keys: &[("path", "file_path"), ("offset", "start_line")],
    },
    // Before 0.30 the read tool took `absolute_path`.
    ToolRow {
        native: "read_file",
        kind: ToolKind::Read,
        keys: &[("path", "absolute_path")],
    },
    ToolRow {
        native: "write_file",
        kind: ToolKind::Write,
        keys: &[("path", "file_path")],
    },
    ToolRow {
        native: "replace",
        kind: ToolKind::Edit,
        keys: &[("path", "file_path"), ("replace_all", "allow_multiple")],
    },
    ToolRow {
        native: "grep_search",
        kind: ToolKind::Search,
        keys: &[("path", "dir_path"), ("glob", "include")],
    },
    ToolRow {
        native: "glob",
        kind: ToolKind::Glob,
        keys: &[("path", "dir_path")],
    },
    ToolRow {
        native: "google_web_search",
        kind: ToolKind::WebSearch,
        keys: &[],
    },
]);

/// A call read from a Gemini CLI session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    TABLE.read(name, input)
}

/// The tool name and arguments Gemini CLI gets for a call; `own` when the transcript is Gemini's.
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
    fn gemini_calls_read_into_kinds_and_back() {
        let input = json!({"command": "ls", "dir_path": "/w"});
        let shell = to_tool("run_shell_command", &input);
        assert_eq!(shell.kind, ToolKind::Shell);
        assert_eq!(shell.args["workdir"], "/w");
        assert_eq!(
            to_native(true, "run_shell_command", &input, &shell),
            ("run_shell_command".into(), input)
        );
        let read = to_tool("read_file", &json!({"file_path": "/a", "start_line": 3}));
        assert_eq!(Value::Object(read.args), json!({"path": "/a", "offset": 3}));
        let old = to_tool("read_file", &json!({"absolute_path": "/a"}));
        assert_eq!(Value::Object(old.args), json!({"path": "/a"}));
        assert!(to_tool("write_todos", &json!({"todos": []})).is_other());
    }

    #[test]
    fn kinds_take_gemini_names_and_keys() {
        let Value::Object(args) = json!({"command": "make", "workdir": "/w"}) else {
            unreachable!()
        };
        let shell = complete(ToolKind::Shell, args);
        assert_eq!(
            to_native(false, "exec", &json!({}), &shell),
            (
                "run_shell_command".into(),
                json!({"command": "make", "dir_path": "/w"})
            )
        );
        let Value::Object(args) = json!({"path": "/a", "old_string": "x", "new_string": "y"})
        else {
            unreachable!()
        };
        let edit = complete(ToolKind::Edit, args);
        assert_eq!(
            to_native(false, "edit", &json!({}), &edit),
            (
                "replace".into(),
                json!({"file_path": "/a", "old_string": "x", "new_string": "y"})
            )
        );
    }
}
