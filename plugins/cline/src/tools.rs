//! Cline's tools in the shared vocabulary, both ways. The only place this adapter names a tool
//! (the names and parameters Cline 3.0.65 offers its model). Most take a list of requests
//! (`run_commands {commands}`, `read_files {files}`, `search_codebase {queries}`,
//! `fetch_web_content {requests}`): a call of one request is that kind's call, several have no
//! shape in the vocabulary.

use handoff_adapter_kit::tools::{ToolRow, ToolTable, complete, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value, json};

const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "editor",
        kind: ToolKind::Edit,
        keys: &[("old_string", "old_text"), ("new_string", "new_text")],
    },
    ToolRow {
        native: "spawn_agent",
        kind: ToolKind::Subagent,
        keys: &[("prompt", "task")],
    },
]);

/// A call read from a Cline session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    let Some(args) = input.as_object() else {
        return Tool::default();
    };
    let one = |key: &str| match args.get(key) {
        Some(Value::Array(items)) if items.len() == 1 => items.first(),
        _ => None,
    };
    let tool = match name {
        "run_commands" => one("commands")
            .filter(|c| c.is_string())
            .map(|command| complete(ToolKind::Shell, object(json!({"command": command})))),
        "read_files" => one("files").and_then(read_request),
        "search_codebase" => one("queries")
            .filter(|q| q.is_string())
            .map(|pattern| complete(ToolKind::Search, object(json!({"pattern": pattern})))),
        "fetch_web_content" => one("requests")
            .and_then(Value::as_object)
            .map(|request| complete(ToolKind::WebFetch, request.clone())),
        // An editor call without text to replace creates the file.
        "editor" if args.get("old_text").is_none_or(Value::is_null) => {
            let mut args = args.clone();
            args.remove("old_text");
            let content = args.remove("new_text");
            if args.get("insert_line").is_some_and(|line| !line.is_null()) {
                return Tool::default();
            }
            args.remove("insert_line");
            content.map(|content| {
                args.insert("content".into(), content);
                complete(ToolKind::Write, args)
            })
        }
        _ => None,
    };
    tool.unwrap_or_else(|| TABLE.read(name, input))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One `read_files` request as a read: its line range as a first line and a count.
fn read_request(request: &Value) -> Option<Tool> {
    let request = request.as_object()?;
    let mut args = Map::new();
    args.insert("path".into(), request.get("path")?.clone());
    let start = request.get("start_line").and_then(Value::as_u64);
    let end = request.get("end_line").and_then(Value::as_u64);
    if let Some(start) = start {
        args.insert("offset".into(), start.into());
    }
    if let Some(end) = end {
        let count = end.saturating_sub(start.unwrap_or(1)) + 1;
        args.insert("limit".into(), count.into());
    }
    Some(complete(ToolKind::Read, args))
}

/// The tool name and arguments Cline gets for a call; `own` when the transcript is Cline's.
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        let args = &tool.args;
        let get = |key: &str| args.get(key).cloned().unwrap_or(Value::Null);
        let call = match tool.kind {
            ToolKind::Shell => ("run_commands", json!({"commands": [get("command")]})),
            ToolKind::Read => {
                let mut request = json!({"path": get("path")});
                let start = args.get("offset").and_then(Value::as_u64);
                if let Some(start) = start {
                    request["start_line"] = start.into();
                }
                if let Some(count) = args.get("limit").and_then(Value::as_u64) {
                    request["end_line"] = (start.unwrap_or(1) + count.max(1) - 1).into();
                }
                ("read_files", json!({"files": [request]}))
            }
            ToolKind::Search => ("search_codebase", json!({"queries": [get("pattern")]})),
            ToolKind::WebFetch => {
                let prompt = args
                    .get("prompt")
                    .cloned()
                    .unwrap_or_else(|| json!("Summarize the page"));
                (
                    "fetch_web_content",
                    json!({"requests": [{"url": get("url"), "prompt": prompt}]}),
                )
            }
            ToolKind::Write => (
                "editor",
                json!({"path": get("path"), "new_text": get("content")}),
            ),
            _ => {
                let (name, args) = TABLE.write(tool)?;
                return Some((name.to_owned(), Value::Object(args)));
            }
        };
        Some((call.0.to_owned(), call.1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_calls_read_into_kinds_and_back() {
        let shell = to_tool("run_commands", &json!({"commands": ["ls -la"]}));
        assert_eq!(shell.kind, ToolKind::Shell);
        assert_eq!(shell.args["command"], "ls -la");
        assert_eq!(
            to_native(false, "sh", &json!({}), &shell),
            ("run_commands".into(), json!({"commands": ["ls -la"]}))
        );
        let read = to_tool(
            "read_files",
            &json!({"files": [{"path": "/a", "start_line": 3, "end_line": 7}]}),
        );
        assert_eq!(
            Value::Object(read.args.clone()),
            json!({"path": "/a", "offset": 3, "limit": 5})
        );
        assert_eq!(
            to_native(false, "open", &json!({}), &read).1,
            json!({"files": [{"path": "/a", "start_line": 3, "end_line": 7}]})
        );
        let edit = to_tool(
            "editor",
            &json!({"path": "/a", "old_text": "x", "new_text": "y"}),
        );
        assert_eq!(edit.kind, ToolKind::Edit);
        assert_eq!(
            to_native(false, "change", &json!({}), &edit).1,
            json!({"path": "/a", "old_text": "x", "new_text": "y"})
        );
        let create = to_tool(
            "editor",
            &json!({"path": "/a", "old_text": null, "new_text": "all"}),
        );
        assert_eq!(
            Value::Object(create.args),
            json!({"path": "/a", "content": "all"})
        );
    }

    #[test]
    fn several_requests_and_unknown_tools_are_other() {
        assert!(to_tool("run_commands", &json!({"commands": ["a", "b"]})).is_other());
        assert!(
            to_tool(
                "editor",
                &json!({"path": "/a", "new_text": "y", "insert_line": 3})
            )
            .is_other()
        );
        assert!(to_tool("submit_and_exit", &json!({"summary": "done"})).is_other());
        let own = json!({"commands": ["a", "b"]});
        assert_eq!(
            to_native(true, "run_commands", &own, &Tool::default()),
            ("run_commands".into(), own)
        );
    }
}
