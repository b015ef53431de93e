//! The shared tool vocabulary. Each agent names its built-in tools differently (`Bash`, `shell`,
//! `bash`); a target adapter classifies a foreign call here and writes its own tool in its place.

use serde_json::Value;

/// A built-in tool that every agent has in some form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    Shell,
    Read,
    Write,
    Edit,
    Glob,
    Grep,
    WebFetch,
    WebSearch,
    TodoWrite,
    Task,
    Patch,
}

/// Which built-in a tool name means, whichever agent wrote it.
pub fn classify(name: &str) -> Option<ToolKind> {
    Some(match name {
        "Bash" | "bash" | "shell" | "shell_command" | "exec_command" | "local_shell"
        | "container.exec" => ToolKind::Shell,
        "Read" | "read" | "view" => ToolKind::Read,
        "Write" | "write" => ToolKind::Write,
        "Edit" | "edit" | "MultiEdit" | "multiedit" => ToolKind::Edit,
        "Glob" | "glob" => ToolKind::Glob,
        "Grep" | "grep" => ToolKind::Grep,
        "WebFetch" | "webfetch" => ToolKind::WebFetch,
        "WebSearch" | "websearch" | "web_search" => ToolKind::WebSearch,
        "TodoWrite" | "todowrite" | "update_plan" => ToolKind::TodoWrite,
        "Task" | "Agent" | "task" => ToolKind::Task,
        "apply_patch" | "patch" => ToolKind::Patch,
        _ => return None,
    })
}

/// The command line of a shell call, from any agent's input shape: a string `command`, an argv
/// `command` array (`["bash","-lc","ls"]` gives `ls`), or `cmd`.
pub fn shell_command(input: &Value) -> Option<String> {
    match input.get("command").or_else(|| input.get("cmd"))? {
        Value::String(command) => Some(command.clone()),
        Value::Array(argv) => {
            let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
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

/// The file a read/write/edit call works on, from any agent's key (`file_path`, `filePath`, `path`).
pub fn file_path(input: &Value) -> Option<&str> {
    ["file_path", "filePath", "path"]
        .iter()
        .find_map(|key| input.get(*key).and_then(Value::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shell_names_of_every_agent_classify_alike() {
        for name in ["Bash", "bash", "shell", "exec_command", "shell_command"] {
            assert_eq!(classify(name), Some(ToolKind::Shell), "{name}");
        }
        assert_eq!(classify("mcp__github__create_issue"), None);
    }

    #[test]
    fn shell_command_reads_every_shape() {
        assert_eq!(
            shell_command(&json!({"command": "ls -1"})).unwrap(),
            "ls -1"
        );
        assert_eq!(
            shell_command(&json!({"command": ["bash", "-lc", "cargo test"]})).unwrap(),
            "cargo test"
        );
        assert_eq!(
            shell_command(&json!({"command": ["ls", "my dir"]})).unwrap(),
            "ls 'my dir'"
        );
        assert_eq!(shell_command(&json!({"cmd": "pwd"})).unwrap(), "pwd");
        assert_eq!(shell_command(&json!({"path": "x"})), None);
    }

    #[test]
    fn file_path_accepts_each_agents_key() {
        assert_eq!(file_path(&json!({"file_path": "/a"})), Some("/a"));
        assert_eq!(file_path(&json!({"filePath": "/b"})), Some("/b"));
        assert_eq!(file_path(&json!({"path": "/c"})), Some("/c"));
    }
}
