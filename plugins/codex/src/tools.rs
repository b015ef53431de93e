//! Codex's tools in the shared vocabulary, both ways. The only place this adapter names a tool.

use handoff_adapter_kit::tools::{ToolRow, ToolTable, native_call};
use handoff_plugin_api::{Tool, ToolKind};
use serde_json::{Map, Value, json};

/// Codex's built-ins across its versions; the first shell row is the one written.
const TABLE: ToolTable = ToolTable(&[
    // `command` is an argv: `["bash", "-lc", "<line>"]`.
    ToolRow {
        native: "shell",
        kind: ToolKind::Shell,
        keys: &[],
    },
    ToolRow {
        native: "shell_command",
        kind: ToolKind::Shell,
        keys: &[],
    },
    ToolRow {
        native: "exec_command",
        kind: ToolKind::Shell,
        keys: &[("command", "cmd")],
    },
    // A `local_shell_call` item's `action`.
    ToolRow {
        native: "local_shell",
        kind: ToolKind::Shell,
        keys: &[("workdir", "working_directory")],
    },
    // The function form of `apply_patch`; the custom form's input is the patch itself.
    ToolRow {
        native: "apply_patch",
        kind: ToolKind::Patch,
        keys: &[("patch", "input")],
    },
    // `plan` is a list of `{step, status}`.
    ToolRow {
        native: "update_plan",
        kind: ToolKind::Todo,
        keys: &[("todos", "plan")],
    },
]);

/// A call read from a Codex session, in the shared vocabulary.
pub fn to_tool(name: &str, input: &Value) -> Tool {
    // A custom tool's input is one string, which the function form of the same tool calls `input`.
    let wrapped;
    let input = match input {
        Value::String(text) => {
            wrapped = json!({ "input": text });
            &wrapped
        }
        _ => input,
    };
    let mut tool = TABLE.read(name, input);
    match tool.kind {
        ToolKind::Shell => match tool.args.get("command").and_then(command_line) {
            Some(line) => {
                tool.args.insert("command".into(), Value::String(line));
            }
            None => return Tool::default(),
        },
        ToolKind::Todo => rename_items(&mut tool.args, "todos", "step", "content"),
        _ => {}
    }
    tool
}

/// The name and input Codex gets for a call; `own` when the transcript is Codex's. A string input
/// is a custom tool's (`apply_patch`).
pub fn to_native(own: bool, name: &str, input: &Value, tool: &Tool) -> (String, Value) {
    native_call(own, name, input, tool, |tool| {
        let (name, mut args) = TABLE.write(tool)?;
        match tool.kind {
            ToolKind::Shell => {
                let line = args.get("command")?.as_str()?.to_owned();
                args.insert("command".into(), json!(["bash", "-lc", line]));
            }
            ToolKind::Patch if args.len() == 1 => {
                return Some((name.to_owned(), args.remove("input")?));
            }
            ToolKind::Todo => rename_items(&mut args, "plan", "content", "step"),
            _ => {}
        }
        Some((name.to_owned(), Value::Object(args)))
    })
}

/// Renames `from` to `to` in each object of the list at `key`.
fn rename_items(args: &mut Map<String, Value>, key: &str, from: &str, to: &str) {
    let Some(Value::Array(items)) = args.get_mut(key) else {
        return;
    };
    for item in items.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(value) = item.remove(from) {
            item.insert(to.to_owned(), value);
        }
    }
}

/// The command line of a Codex shell call: a string, or an argv (`["bash","-lc","ls"]` gives
/// `ls`; any other argv is quoted back into one line).
fn command_line(command: &Value) -> Option<String> {
    match command {
        Value::String(line) => Some(line.clone()),
        Value::Array(argv) => {
            let words: Vec<&str> = argv.iter().map(Value::as_str).collect::<Option<_>>()?;
            match words.as_slice() {
                [shell, flag, script] if is_shell(shell) && flag.starts_with('-') => {
                    Some((*script).to_owned())
                }
                _ => Some(
                    words
                        .iter()
                        .map(|w| quote_word(w))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            }
        }
        _ => None,
    }
}

fn is_shell(program: &str) -> bool {
    matches!(
        program.rsplit('/').next(),
        Some("bash" | "sh" | "zsh" | "dash")
    )
}

fn quote_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_codex_shell_reads_as_one_command_line() {
        for (name, input, line) in [
            (
                "shell",
                json!({"command": ["bash", "-lc", "cargo test"]}),
                "cargo test",
            ),
            ("shell", json!({"command": ["ls", "my dir"]}), "ls 'my dir'"),
            ("shell_command", json!({"command": "ls -1"}), "ls -1"),
            ("exec_command", json!({"cmd": "pwd"}), "pwd"),
            (
                "local_shell",
                json!({"type": "exec", "command": ["git", "status"]}),
                "git status",
            ),
        ] {
            let tool = to_tool(name, &input);
            assert_eq!(tool.kind, ToolKind::Shell, "{name}");
            assert_eq!(tool.args["command"], line, "{name}");
        }
        let tool = to_tool(
            "shell",
            &json!({"command": ["ls"], "workdir": "/src", "timeout_ms": 9}),
        );
        assert_eq!(
            (&tool.args["workdir"], &tool.args["timeout_ms"]),
            (&json!("/src"), &json!(9))
        );
        assert!(to_tool("shell", &json!({"command": [1, 2]})).is_other());
    }

    #[test]
    fn patches_and_plans_read_into_their_kinds() {
        let tool = to_tool("apply_patch", &json!("*** Begin Patch\n*** End Patch"));
        assert_eq!(tool.kind, ToolKind::Patch);
        assert_eq!(tool.args["patch"], "*** Begin Patch\n*** End Patch");
        let tool = to_tool(
            "update_plan",
            &json!({"plan": [{"step": "build", "status": "completed"}], "explanation": "x"}),
        );
        assert_eq!(tool.kind, ToolKind::Todo);
        assert_eq!(
            tool.args["todos"],
            json!([{"content": "build", "status": "completed"}])
        );
        assert_eq!(tool.args["explanation"], "x");
        assert!(to_tool("view_image", &json!({"path": "/a.png"})).is_other());
    }

    #[test]
    fn kinds_are_written_as_codex_tools() {
        let shell = to_tool(
            "shell_command",
            &json!({"command": "make", "workdir": "/src"}),
        );
        assert_eq!(
            to_native(false, "run", &json!({}), &shell),
            (
                "shell".into(),
                json!({"command": ["bash", "-lc", "make"], "workdir": "/src"})
            )
        );
        let patch = to_tool("apply_patch", &json!({"input": "*** Begin Patch"}));
        assert_eq!(
            to_native(false, "apply", &json!({}), &patch),
            ("apply_patch".into(), json!("*** Begin Patch"))
        );
        let plan = to_tool(
            "update_plan",
            &json!({"plan": [{"step": "a", "status": "pending"}]}),
        );
        assert_eq!(
            to_native(false, "plan", &json!({}), &plan).1,
            json!({"plan": [{"step": "a", "status": "pending"}]})
        );
        let native = json!({"command": ["ls"]});
        let own = to_tool("shell", &native);
        assert_eq!(
            to_native(true, "shell", &native, &own),
            ("shell".into(), native)
        );
    }
}
