//! An old OpenCode (< 1.2) reads only the JSON tree: with no database, the adapter writes the tree
//! when `opencode --version` says so, and reads the session back from it.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use handoff_adapter_kit::testing::shared_call;
use handoff_opencode::OpenCodeAdapter;
use handoff_plugin_api::{
    Adapter, ExtractRequest, InjectMode, InjectRequest, Message, Part, Role, SessionMeta, ToolKind,
    Transcript, Written,
};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;

#[test]
fn an_old_install_gets_the_json_tree() {
    let bin = tempfile::tempdir().unwrap();
    let fake = bin.path().join("opencode");
    std::fs::write(&fake, "#!/bin/sh\necho 1.1.65\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = tempfile::tempdir().unwrap();
    // SAFETY: the only test of this binary; nothing else reads the environment concurrently.
    unsafe {
        let path = std::env::var("PATH").unwrap_or_default();
        std::env::set_var("PATH", format!("{}:{path}", bin.path().display()));
        std::env::set_var("XDG_CONFIG_HOME", config.path());
        std::env::set_var("XDG_STATE_HOME", config.path());
        std::env::remove_var("OPENCODE_DB");
    }
    let home = tempfile::tempdir().unwrap();
    let storage = home.path().join("storage");
    std::fs::create_dir_all(storage.join("session")).unwrap();
    let project = tempfile::tempdir().unwrap();
    let cwd = std::fs::canonicalize(project.path())
        .unwrap()
        .display()
        .to_string();

    let transcript = Transcript::new(
        SessionMeta {
            agent: "codex".into(),
            model: Some("gpt-5-codex".into()),
            ..SessionMeta::default()
        },
        vec![
            Message::new(
                Role::User,
                vec![Part::Text {
                    text: "LEGACY_USER".into(),
                }],
            ),
            Message::new(
                Role::Assistant,
                vec![
                    shared_call(
                        "call_1",
                        "run",
                        ToolKind::Shell,
                        json!({"command": "ls -1"}),
                    ),
                    Part::ToolResult {
                        call_id: "call_1".into(),
                        output: "a\nb\n".into(),
                        images: Vec::new(),
                        is_error: false,
                    },
                    Part::Text {
                        text: "LEGACY_REPLY".into(),
                    },
                ],
            ),
        ],
    );
    let injected = OpenCodeAdapter
        .inject(InjectRequest {
            home: Some(home.path().display().to_string()),
            cwd: cwd.clone(),
            mode: InjectMode::Write,
            transcript,
        })
        .unwrap();
    assert!(!home.path().join("opencode.db").exists());
    let session_file = storage.join(format!("session/global/{}.json", injected.session_id));
    assert_eq!(injected.path, session_file.display().to_string());
    let files: Vec<&str> = injected
        .written
        .iter()
        .map(|w| match w {
            Written::File { path } => path.as_str(),
            Written::Rows { .. } => panic!("no rows without a database"),
        })
        .collect();
    // project; user, assistant (the call), assistant (the reply after its result); 1 + 3 + 3
    // parts; the session last.
    assert_eq!(files.len(), 1 + 3 + 7 + 1);
    assert_eq!(files.last(), Some(&session_file.to_str().unwrap()));
    let mode = std::fs::metadata(&session_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let session: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&session_file).unwrap()).unwrap();
    assert_eq!(session["directory"], cwd.as_str());
    assert_eq!(session["projectID"], "global");

    let back = OpenCodeAdapter
        .extract(ExtractRequest {
            home: Some(home.path().display().to_string()),
            cwd: Some(cwd),
            ..ExtractRequest::default()
        })
        .unwrap()
        .transcript;
    assert_eq!(back.session.id, injected.session_id);
    let parts: Vec<&Part> = back.messages.iter().flat_map(|m| &m.parts).collect();
    assert_eq!(parts.len(), 4, "{parts:?}");
    assert!(matches!(parts[1], Part::ToolCall { name, input, .. }
        if name == "bash" && input["command"] == "ls -1" && input["description"] == "ls -1"));
    assert!(matches!(parts[2], Part::ToolResult { output, .. } if output == "a\nb\n"));
    assert_eq!(
        parts[3],
        &Part::Text {
            text: "LEGACY_REPLY".into()
        }
    );
}
