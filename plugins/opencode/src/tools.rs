//! OpenCode's tools in the shared vocabulary, both ways. The only place this adapter names a tool.

use handoff_adapter_kit::tools::{ToolRow, ToolTable, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value, json};

const PATH: (&str, &str) = ("path", "filePath");

const TABLE: ToolTable = ToolTable(&[
    // `timeout` is in milliseconds; `description` is required.
    ToolRow {
        native: "bash",
        kind: ToolKind::Shell,
        keys: &[("timeout_ms", "timeout")],
    },
    ToolRow {
        native: "read",
        kind: ToolKind::Read,
        keys: &[PATH],
    },
    ToolRow {
        native: "write",
        kind: ToolKind::Write,
        keys: &[PATH],
    },
    ToolRow {
        native: "edit",
        kind: ToolKind::Edit,
        keys: &[
            PATH,
            ("old_string", "oldString"),
            ("new_string", "newString"),
            ("replace_all", "replaceAll"),
        ],
    },
    ToolRow {
        native: "grep",
        kind: ToolKind::Search,
        keys: &[("glob", "include")],
    },
    ToolRow {
        native: "glob",
        kind: ToolKind::Glob,
        keys: &[],
    },
    // `format` (`markdown`, `text`, `html`) is required.
    ToolRow {
        native: "webfetch",
        kind: ToolKind::WebFetch,
        keys: &[],
    },
    ToolRow {
        native: "websearch",
        kind: ToolKind::WebSearch,
        keys: &[],
    },
    ToolRow {
        native: "todowrite",
        kind: ToolKind::Todo,
        keys: &[],
    },
    // `description` and `subagent_type` are required.
    ToolRow {
        native: "task",
        kind: ToolKind::Subagent,
        keys: &[("agent", "subagent_type")],
    },
    // Offered to some models only, so read but never written.
    ToolRow {
        native: "apply_patch",
        kind: ToolKind::Patch,
        keys: &[("patch", "patchText")],
    },
    ToolRow {
        native: "patch",
        kind: ToolKind::Patch,
        keys: &[("patch", "patchText")],
    },
]);

/// A call read from an OpenCode session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    TABLE.read(name, input)
}

/// The tool name and input OpenCode gets for a call; `own` when the transcript is OpenCode's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        if tool.kind == ToolKind::Patch {
            return None;
        }
        let (name, mut args) = TABLE.write(tool)?;
        fill_required(tool.kind, &mut args);
        Some((name.to_owned(), Value::Object(args)))
    })
}

/// The arguments OpenCode requires that other agents do not have.
fn fill_required(kind: ToolKind, args: &mut Map<String, Value>) {
    let defaults = match kind {
        ToolKind::Shell => {
            let command = args.get("command").and_then(Value::as_str).unwrap_or("");
            vec![("description", json!(summarize(command)))]
        }
        ToolKind::WebFetch => vec![("format", json!("markdown"))],
        ToolKind::Subagent => vec![
            ("description", json!("subtask")),
            ("subagent_type", json!("general")),
        ],
        _ => Vec::new(),
    };
    for (key, value) in defaults {
        args.entry(key).or_insert(value);
    }
}

/// The first line of a command, short, as the description OpenCode shows for it.
fn summarize(command: &str) -> String {
    let first = command.lines().next().unwrap_or("").trim();
    let short: String = first.chars().take(60).collect();
    if short.is_empty() {
        "Run a command".into()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_adapter_kit::tools::complete;

    fn tool(kind: ToolKind, args: Value) -> Tool {
        let Value::Object(args) = args else {
            panic!("args must be an object")
        };
        complete(kind, args)
    }

    #[test]
    fn opencode_calls_read_into_kinds() {
        let edit = to_tool(
            "edit",
            &json!({"filePath": "/a", "oldString": "x", "newString": "y"}),
        );
        assert_eq!(edit.kind, ToolKind::Edit);
        assert_eq!(
            Value::Object(edit.args),
            json!({"path": "/a", "old_string": "x", "new_string": "y"})
        );
        let patch = to_tool("apply_patch", &json!({"patchText": "*** Begin Patch"}));
        assert_eq!(patch.kind, ToolKind::Patch);
        assert!(to_tool("list", &json!({"path": "/"})).is_other());
    }

    #[test]
    fn kinds_take_opencode_names_keys_and_required_fields() {
        let shell = tool(
            ToolKind::Shell,
            json!({"command": "cargo build\ncargo test", "timeout_ms": 5, "workdir": "/w"}),
        );
        assert_eq!(
            to_native(false, "run", &json!({}), &shell),
            (
                "bash".into(),
                json!({"command": "cargo build\ncargo test", "timeout": 5, "workdir": "/w",
                    "description": "cargo build"})
            )
        );
        let fetch = tool(
            ToolKind::WebFetch,
            json!({"url": "https://x", "prompt": "p"}),
        );
        assert_eq!(
            to_native(false, "fetch", &json!({}), &fetch).1,
            json!({"url": "https://x", "prompt": "p", "format": "markdown"})
        );
        let task = tool(
            ToolKind::Subagent,
            json!({"prompt": "p", "agent": "explore"}),
        );
        assert_eq!(
            to_native(false, "spawn", &json!({}), &task).1,
            json!({"prompt": "p", "subagent_type": "explore", "description": "subtask"})
        );
    }

    #[test]
    fn patches_and_unknown_tools_keep_the_source_call() {
        let native = json!("*** Begin Patch");
        let patch = tool(ToolKind::Patch, json!({"patch": "*** Begin Patch"}));
        assert_eq!(
            to_native(false, "apply", &native, &patch),
            ("apply".into(), native)
        );
        let mcp = json!({"owner": "x"});
        assert_eq!(
            to_native(false, "mcp__gh__me", &mcp, &Tool::default()),
            ("mcp__gh__me".into(), mcp)
        );
    }
}
