//! Cursor's agent tools in the shared vocabulary. Names and argument keys are those of Cursor's
//! published agent tool definitions as the reverse-engineering notes list them (see the crate
//! docs); tools with no shared kind (`codebase_search`, `list_dir`, `delete_file`, `edit_file`,
//! whose `code_edit` is a sketch with `// ... existing code ...` markers rather than an exact
//! replacement, MCP tools) stay `other`, described by their own name and input.

use handoff_adapter_kit::tools::{ToolRow, ToolTable};
use handoff_plugin_api::ToolKind;

pub const TABLE: ToolTable = ToolTable(&[
    ToolRow {
        native: "run_terminal_cmd",
        kind: ToolKind::Shell,
        keys: &[],
    },
    ToolRow {
        native: "run_terminal_command_v2",
        kind: ToolKind::Shell,
        keys: &[],
    },
    ToolRow {
        native: "read_file",
        kind: ToolKind::Read,
        keys: &[("path", "target_file")],
    },
    ToolRow {
        native: "read_file_v2",
        kind: ToolKind::Read,
        keys: &[("path", "target_file")],
    },
    ToolRow {
        native: "search_replace",
        kind: ToolKind::Edit,
        keys: &[("path", "file_path")],
    },
    ToolRow {
        native: "write",
        kind: ToolKind::Write,
        keys: &[("path", "file_path"), ("content", "contents")],
    },
    ToolRow {
        native: "grep",
        kind: ToolKind::Search,
        keys: &[],
    },
    ToolRow {
        native: "grep_search",
        kind: ToolKind::Search,
        keys: &[("pattern", "query"), ("glob", "include_pattern")],
    },
    ToolRow {
        native: "glob_file_search",
        kind: ToolKind::Glob,
        keys: &[("pattern", "glob_pattern"), ("path", "target_directory")],
    },
    ToolRow {
        native: "web_search",
        kind: ToolKind::WebSearch,
        keys: &[("query", "search_term")],
    },
    ToolRow {
        native: "todo_write",
        kind: ToolKind::Todo,
        keys: &[],
    },
]);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursor_names_and_keys_read_as_the_shared_kinds() {
        let read = TABLE.read("read_file", &json!({"target_file": "/a", "offset": 3}));
        assert_eq!(read.kind, ToolKind::Read);
        assert_eq!(read.args["path"], "/a");
        assert_eq!(read.args["offset"], 3);
        let write = TABLE.read("write", &json!({"file_path": "/n", "contents": "x"}));
        assert_eq!(write.kind, ToolKind::Write);
        assert_eq!(write.args["content"], "x");
        let shell = TABLE.read("run_terminal_cmd", &json!({"command": "ls"}));
        assert_eq!(shell.kind, ToolKind::Shell);
        assert!(
            TABLE
                .read("edit_file", &json!({"target_file": "/a"}))
                .is_other()
        );
        assert!(
            TABLE
                .read("grep_search", &json!({"include_pattern": "*.rs"}))
                .is_other()
        );
    }
}
