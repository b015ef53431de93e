//! Crush's tools in the shared vocabulary, both ways. The only place this adapter names a tool
//! (the names and parameters are those of `internal/agent/tools/*.go` and
//! `internal/agent/agent_tool.go`: `bash`, `view`, `write`, `edit`, `multiedit`, `grep`, `glob`,
//! `fetch`, `agentic_fetch`, `web_fetch`, `web_search`, `todos`, `agent`; the rest — `ls`,
//! `download`, `sourcegraph`, `lsp_*`, `job_*`, MCP tools — are `other`).

use handoff_adapter_kit::tools::{ToolRow, ToolTable, complete, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value, json};

const PATH: (&str, &str) = ("path", "file_path");

// `view`'s `offset` counts lines from 0; values keep their units.
const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "bash",
        kind: ToolKind::Shell,
        keys: &[("workdir", "working_dir")],
    },
    ToolRow {
        native: "view",
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
        keys: &[PATH],
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
    ToolRow {
        native: "fetch",
        kind: ToolKind::WebFetch,
        keys: &[],
    },
    // Read only: an `agentic_fetch` without a `url` searches the web, which `fetch` cannot.
    ToolRow {
        native: "agentic_fetch",
        kind: ToolKind::WebFetch,
        keys: &[],
    },
    // The agentic fetch's own sub-agent tools.
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
        native: "todos",
        kind: ToolKind::Todo,
        keys: &[],
    },
    ToolRow {
        native: "agent",
        kind: ToolKind::Subagent,
        keys: &[],
    },
]);

/// A call read from a Crush session, in the shared vocabulary. A `multiedit` of one edit is an
/// edit; several at once have no shape in the vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    if name == "multiedit" {
        return read_multiedit(input).unwrap_or_default();
    }
    TABLE.read(name, input)
}

fn read_multiedit(input: &Value) -> Option<Tool> {
    let mut args = input.as_object()?.clone();
    let Some(Value::Array(edits)) = args.remove("edits") else {
        return None;
    };
    let [Value::Object(edit)] = edits.as_slice() else {
        return None;
    };
    args.insert("path".into(), args.get("file_path")?.clone());
    args.remove("file_path");
    for (key, value) in edit {
        args.insert(key.clone(), value.clone());
    }
    Some(complete(ToolKind::Edit, args))
}

/// The tool name and arguments Crush gets for a call; `own` when the transcript is Crush's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        let (name, mut args) = TABLE.write(tool)?;
        fill_required(tool.kind, &mut args);
        Some((name.to_owned(), Value::Object(args)))
    })
}

/// The arguments Crush's tools require that other agents' do not have.
fn fill_required(kind: ToolKind, args: &mut Map<String, Value>) {
    match kind {
        ToolKind::Shell => {
            let command = args.get("command").and_then(Value::as_str).unwrap_or("");
            let description = summarize(command);
            args.entry("description").or_insert(json!(description));
        }
        ToolKind::WebFetch => {
            args.entry("format").or_insert(json!("markdown"));
        }
        // Each item's `active_form` is what the list shows while it is in progress.
        ToolKind::Todo => {
            if let Some(Value::Array(items)) = args.get_mut("todos") {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if !item.contains_key("active_form") {
                        let content = item.get("content").cloned().unwrap_or(json!(""));
                        item.insert("active_form".into(), content);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The first line of a command, short, as the description Crush asks for (under 30 characters
/// or so).
fn summarize(command: &str) -> String {
    let first = command.lines().next().unwrap_or("").trim();
    let mut short: String = first.chars().take(30).collect();
    if short.len() < first.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn crush_calls_read_into_kinds_and_back() {
        let input = json!({"command": "make", "description": "Build", "working_dir": "/p"});
        let shell = to_tool("bash", &input);
        assert_eq!(shell.kind, ToolKind::Shell);
        assert_eq!(shell.args["workdir"], "/p");
        assert_eq!(
            to_native(true, "bash", &input, &shell),
            ("bash".into(), input)
        );
        let view = to_tool("view", &json!({"file_path": "/a", "offset": 10}));
        assert_eq!(view.kind, ToolKind::Read);
        assert_eq!(
            Value::Object(view.args),
            json!({"path": "/a", "offset": 10})
        );
        let grep = to_tool("grep", &json!({"pattern": "x", "include": "*.rs"}));
        assert_eq!(
            Value::Object(grep.args),
            json!({"pattern": "x", "glob": "*.rs"})
        );
        assert!(to_tool("ls", &json!({"path": "/"})).is_other());
        assert!(to_tool("agentic_fetch", &json!({"prompt": "news"})).is_other());
    }

    #[test]
    fn a_multiedit_of_one_edit_is_an_edit() {
        let one = json!({"file_path": "/a", "edits": [{"old_string": "x", "new_string": "y"}]});
        let edit = to_tool("multiedit", &one);
        assert_eq!(
            Value::Object(edit.args.clone()),
            json!({"path": "/a", "old_string": "x", "new_string": "y"})
        );
        assert_eq!(
            to_native(false, "MultiEdit", &one, &edit),
            (
                "edit".into(),
                json!({"file_path": "/a", "old_string": "x", "new_string": "y"})
            )
        );
        let two = json!({"file_path": "/a", "edits": [
            {"old_string": "x", "new_string": "y"}, {"old_string": "p", "new_string": "q"}]});
        assert!(to_tool("multiedit", &two).is_other());
    }

    #[test]
    fn other_agents_calls_get_crush_s_required_arguments() {
        let shell = complete(
            ToolKind::Shell,
            object(
                json!({"command": "cargo test --workspace --all-targets\necho done", "timeout_ms": 5}),
            ),
        );
        let (name, input) = to_native(false, "run", &json!({}), &shell);
        assert_eq!(name, "bash");
        assert_eq!(
            input,
            json!({"command": "cargo test --workspace --all-targets\necho done",
                   "description": "cargo test --workspace --all-t…", "timeout_ms": 5})
        );
        let fetch = complete(ToolKind::WebFetch, object(json!({"url": "https://x"})));
        assert_eq!(
            to_native(false, "WebFetch", &json!({}), &fetch).1,
            json!({"url": "https://x", "format": "markdown"})
        );
        let todo = complete(
            ToolKind::Todo,
            object(json!({"todos": [{"content": "a", "status": "pending"}]})),
        );
        assert_eq!(
            to_native(false, "TodoWrite", &json!({}), &todo).1,
            json!({"todos": [{"content": "a", "status": "pending", "active_form": "a"}]})
        );
        let patch = complete(ToolKind::Patch, object(json!({"patch": "*** Begin Patch"})));
        assert_eq!(
            to_native(false, "apply_patch", &json!({"input": "p"}), &patch),
            ("apply_patch".into(), json!({"input": "p"}))
        );
    }
}
