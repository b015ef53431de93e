//! The one rule every adapter's tool table follows. Reading, a native call becomes a [`Tool`] by
//! renaming its argument keys to the kind's; writing, a [`Tool`] becomes a native call by renaming
//! them back. A key the table does not rename keeps its own name both ways: an argument the other
//! agent's tool has no slot for still reaches the model instead of being dropped.

use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value};

/// One native tool: its name, its kind, and how its argument keys are called in the kind's shape.
#[derive(Debug)]
pub struct ToolRow {
    pub native: &'static str,
    pub kind: ToolKind,
    /// `(kind's key, native key)` pairs for the keys whose names differ.
    pub keys: &'static [(&'static str, &'static str)],
}

/// An adapter's tools. Reading, every row counts; writing, the first row of a kind is the tool
/// the adapter writes for it.
#[derive(Debug)]
pub struct ToolTable(pub &'static [ToolRow]);

impl ToolTable {
    /// The call in the shared vocabulary: [`ToolKind::Other`] for a tool the table does not know
    /// or an input without the kind's required keys. Several rows of one name are the tool's
    /// parameter names across versions: the first that fits the input wins.
    pub fn read(&self, name: &str, input: &Value) -> Tool {
        let Value::Object(input) = input else {
            return Tool::default();
        };
        self.0
            .iter()
            .filter(|row| row.native == name)
            .map(|row| {
                let args = rename(input, row.keys.iter().map(|&(kind, native)| (native, kind)));
                complete(row.kind, args)
            })
            .find(|tool| !tool.is_other())
            .unwrap_or_default()
    }

    /// This agent's name and arguments for a call of another agent, or `None` when it has no
    /// tool of that kind.
    pub fn write(&self, tool: &Tool) -> Option<(&'static str, Map<String, Value>)> {
        if tool.is_other() {
            return None;
        }
        let row = self.0.iter().find(|row| row.kind == tool.kind)?;
        Some((row.native, rename(&tool.args, row.keys.iter().copied())))
    }
}

/// `args` as a [`Tool`] of `kind` when it has the kind's required keys, else `other`.
pub fn complete(kind: ToolKind, args: Map<String, Value>) -> Tool {
    if kind.required().iter().all(|key| args.contains_key(*key)) {
        Tool { kind, args }
    } else {
        Tool::default()
    }
}

fn rename<'a>(
    from: &Map<String, Value>,
    pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Map<String, Value> {
    from.iter()
        .map(|(key, value)| {
            let key = pairs
                .clone()
                .find(|(old, _)| old == key)
                .map_or(key.as_str(), |(_, new)| new);
            (key.to_owned(), value.clone())
        })
        .collect()
}

/// The name and input a writer puts down for a call: its own agent's call unchanged; another
/// agent's through `write` (the writer's table) when it has a tool of that kind; else the call as
/// the source made it, which the model still reads.
pub fn native_call(
    own: bool,
    name: &str,
    input: &Value,
    tool: &Tool,
    write: impl FnOnce(&Tool) -> Option<(String, Value)>,
) -> (String, Value) {
    if !own && let Some(call) = write(tool) {
        return call;
    }
    (name.to_owned(), input.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TABLE: ToolTable = ToolTable(&[
        ToolRow {
            native: "run",
            kind: ToolKind::Shell,
            keys: &[("command", "cmd"), ("timeout_ms", "timeout")],
        },
        ToolRow {
            native: "sh",
            kind: ToolKind::Shell,
            keys: &[],
        },
        ToolRow {
            native: "open",
            kind: ToolKind::Read,
            keys: &[("path", "file")],
        },
        ToolRow {
            native: "open",
            kind: ToolKind::Read,
            keys: &[("path", "file_name")],
        },
    ]);

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn reading_renames_known_keys_and_keeps_the_rest() {
        let tool = TABLE.read("run", &json!({"cmd": "ls", "timeout": 5, "sandbox": "ro"}));
        assert_eq!(tool.kind, ToolKind::Shell);
        assert_eq!(
            tool.args,
            object(json!({"command": "ls", "timeout_ms": 5, "sandbox": "ro"}))
        );
        assert_eq!(
            TABLE.read("sh", &json!({"command": "pwd"})).kind,
            ToolKind::Shell
        );
    }

    #[test]
    fn unknown_tools_and_inputs_missing_a_required_key_are_other() {
        assert!(TABLE.read("mcp__x__y", &json!({"cmd": "ls"})).is_other());
        assert!(TABLE.read("open", &json!({"name": "/a"})).is_other());
        assert_eq!(
            TABLE.read("open", &json!({"file_name": "/a"})).args,
            object(json!({"path": "/a"}))
        );
        assert!(TABLE.read("run", &json!("ls")).is_other());
    }

    #[test]
    fn writing_uses_the_first_row_of_the_kind_and_keeps_unheld_arguments() {
        let tool = Tool {
            kind: ToolKind::Shell,
            args: object(json!({"command": "ls", "workdir": "/src"})),
        };
        let (name, input) = TABLE.write(&tool).unwrap();
        assert_eq!(name, "run");
        assert_eq!(input, object(json!({"cmd": "ls", "workdir": "/src"})));
        let search = Tool {
            kind: ToolKind::Search,
            args: object(json!({"pattern": "x"})),
        };
        assert_eq!(TABLE.write(&search), None);
        assert_eq!(TABLE.write(&Tool::default()), None);
    }

    #[test]
    fn own_calls_pass_unchanged_and_others_fall_back_to_their_native_form() {
        let input = json!({"cmd": "ls"});
        let tool = TABLE.read("run", &input);
        let write = |t: &Tool| {
            TABLE
                .write(t)
                .map(|(n, i)| (n.to_owned(), Value::Object(i)))
        };
        assert_eq!(
            native_call(true, "run", &input, &tool, write),
            ("run".to_owned(), input.clone())
        );
        let foreign = json!({"command": "ls"});
        let tool = complete(ToolKind::Shell, object(foreign.clone()));
        assert_eq!(
            native_call(false, "run_command", &foreign, &tool, write).0,
            "run"
        );
        let other = Tool::default();
        assert_eq!(
            native_call(false, "mcp__x", &foreign, &other, write),
            ("mcp__x".to_owned(), foreign.clone())
        );
    }
}
