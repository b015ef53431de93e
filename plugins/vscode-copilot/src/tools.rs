//! Copilot Chat's agent tools in the shared vocabulary (reading only). The only place this
//! adapter names a tool. Names and parameters are those of microsoft/vscode-copilot-chat
//! (`src/extension/tools/common/toolNames.ts`: the names the model sees, `read_file`, …, and the
//! names VS Code registers them under, `copilot_readFile`, …) and of VS Code's own terminal tool
//! (`run_in_terminal`, earlier `runInTerminal` / `copilot_runInTerminal`).

use handoff_adapter_kit::tools::{ToolRow, ToolTable, complete};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value};

const SHELL: &[(&str, &str)] = &[];
const READ: &[(&str, &str)] = &[("path", "filePath"), ("offset", "startLine")];
const EDIT: &[(&str, &str)] = &[
    ("path", "filePath"),
    ("old_string", "oldString"),
    ("new_string", "newString"),
];
const WRITE: &[(&str, &str)] = &[("path", "filePath")];
const GLOB: &[(&str, &str)] = &[("pattern", "query")];
const SEARCH: &[(&str, &str)] = &[("pattern", "query"), ("glob", "includePattern")];
const PATCH: &[(&str, &str)] = &[("patch", "input")];

// `insert_edit_into_file`'s `code` is a sketch with `...existing code...` markers, neither a
// whole file nor a replacement: it stays `other`. `read_file`'s `endLine` is a line number, not
// a count, and keeps its own name.
const TABLE: ToolTable = ToolTable(&[
    row("run_in_terminal", ToolKind::Shell, SHELL),
    row("runInTerminal", ToolKind::Shell, SHELL),
    row("copilot_runInTerminal", ToolKind::Shell, SHELL),
    row("read_file", ToolKind::Read, READ),
    row("copilot_readFile", ToolKind::Read, READ),
    row("replace_string_in_file", ToolKind::Edit, EDIT),
    row("copilot_replaceString", ToolKind::Edit, EDIT),
    row("create_file", ToolKind::Write, WRITE),
    row("copilot_createFile", ToolKind::Write, WRITE),
    row("file_search", ToolKind::Glob, GLOB),
    row("copilot_findFiles", ToolKind::Glob, GLOB),
    row("grep_search", ToolKind::Search, SEARCH),
    row("copilot_findTextInFiles", ToolKind::Search, SEARCH),
    row("apply_patch", ToolKind::Patch, PATCH),
    row("copilot_applyPatch", ToolKind::Patch, PATCH),
    row("runSubagent", ToolKind::Subagent, &[]),
]);

const fn row(
    native: &'static str,
    kind: ToolKind,
    keys: &'static [(&'static str, &'static str)],
) -> ToolRow {
    ToolRow { native, kind, keys }
}

/// A call read from a chat, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    if matches!(name, "fetch_webpage" | "copilot_fetchWebPage") {
        return web_fetch(input).unwrap_or_default();
    }
    TABLE.read(name, input)
}

/// `fetch_webpage` takes a list of `urls` and a `query`: one URL is a fetch of it, several have
/// no shape in the vocabulary.
fn web_fetch(input: &Value) -> Option<Tool> {
    let mut args: Map<String, Value> = input.as_object()?.clone();
    let Some(Value::Array(urls)) = args.remove("urls") else {
        return None;
    };
    let [url] = urls.as_slice() else {
        return None;
    };
    args.insert("url".into(), url.clone());
    if let Some(query) = args.remove("query") {
        args.insert("prompt".into(), query);
    }
    Some(complete(ToolKind::WebFetch, args))
}

/// A shell call for a terminal invocation VS Code kept without the model's arguments.
pub fn shell(command: &str) -> Tool {
    let mut args = Map::new();
    args.insert("command".into(), Value::String(command.to_owned()));
    Tool {
        kind: ToolKind::Shell,
        args,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn copilot_calls_read_into_kinds() {
        let read = to_tool(
            "read_file",
            &json!({"filePath": "/p/a.rs", "startLine": 1, "endLine": 20}),
        );
        assert_eq!(read.kind, ToolKind::Read);
        assert_eq!(
            Value::Object(read.args),
            json!({"path": "/p/a.rs", "offset": 1, "endLine": 20})
        );
        let edit = to_tool(
            "replace_string_in_file",
            &json!({"filePath": "/a", "oldString": "x", "newString": "y", "explanation": "e"}),
        );
        assert_eq!(edit.kind, ToolKind::Edit);
        assert_eq!(edit.args["explanation"], "e");
        assert_eq!(
            to_tool(
                "run_in_terminal",
                &json!({"command": "ls", "isBackground": false})
            )
            .kind,
            ToolKind::Shell
        );
        assert_eq!(
            to_tool(
                "grep_search",
                &json!({"query": "fn main", "isRegexp": false})
            )
            .args["pattern"],
            "fn main"
        );
        let fetch = to_tool(
            "fetch_webpage",
            &json!({"urls": ["https://example.com"], "query": "x"}),
        );
        assert_eq!(
            Value::Object(fetch.args),
            json!({"url": "https://example.com", "prompt": "x"})
        );
        assert!(to_tool("fetch_webpage", &json!({"urls": ["a", "b"]})).is_other());
        assert!(
            to_tool(
                "insert_edit_into_file",
                &json!({"filePath": "/a", "code": "x"})
            )
            .is_other()
        );
        assert!(to_tool("mcp_github_get_issue", &json!({})).is_other());
    }
}
