//! The fixture chats listed and read; the store never touched; writing refused.

use crate::*;
use handoff_adapter_kit::listing::mtime_ms;
use handoff_adapter_kit::testing::{
    Format, Observation, by_id, extracted, file_differences, home_str, listed, outline,
    tree_snapshot,
};
use handoff_plugin_api::{
    Adapter, ErrorKind, ExtractRequest, FileStamp, InjectMode, InjectRequest, ListRequest, Part,
    Role, ToolKind,
};
use serde_json::{Value, json};

const SCENARIO_OUTLINE: [&str; 7] = [
    "text HOK_USER_PROMPT_a41c",
    "text HOK_ASSISTANT_TEXT_5",
    "call run_in_terminal Shell",
    "result false HOK_OUT_42",
    "call read_file Read",
    "result true ERROR while calling tool: Unable to read file '/tmp/vscode-fixture/project/missing/HOK_ERR_FILE_9d07.txt': the file does not exist",
    "text HOK_FINAL_REPLY_c3f8",
];

#[test]
fn the_scenario_reads_whole_in_order() {
    let home = Home::new();
    let extracted = VSCODE.extract(&home.user(), by_id(&SCENARIO[..8]));
    assert_eq!(extracted.report.skipped_lines, 0);
    assert!(
        extracted.report.warnings.is_empty(),
        "{:?}",
        extracted.report.warnings
    );
    let t = &extracted.transcript;
    assert_eq!(t.session.id, SCENARIO);
    assert_eq!(t.session.agent, "vscode-copilot");
    assert_eq!(t.session.cwd.as_deref(), Some(PROJECT));
    assert_eq!(t.session.model.as_deref(), Some("copilot/gpt-4.1"));
    assert_eq!(t.session.created_ms, Some(1_796_411_990_000));
    assert_eq!(
        t.session.title.as_deref(),
        Some("HOK_USER_PROMPT_a41c: run the marker command, then read the missing file")
    );
    assert_eq!(outline(t), SCENARIO_OUTLINE);
    let roles: Vec<Role> = t.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles[0], Role::User);
    assert!(roles[1..].iter().all(|r| *r == Role::Assistant));

    let parts: Vec<&Part> = t.messages.iter().flat_map(|m| &m.parts).collect();
    let Part::ToolCall { tool, input, .. } = parts[2] else {
        panic!("{:?}", parts[2]);
    };
    assert_eq!(tool.args["command"], "printf '%s_%s\\n' HOK_OUT 42");
    assert_eq!(input["isBackground"], false);
    let Part::ToolCall { tool, .. } = parts[4] else {
        panic!("{:?}", parts[4]);
    };
    assert_eq!(tool.kind, ToolKind::Read);
    assert_eq!(
        tool.args["path"],
        "/tmp/vscode-fixture/project/missing/HOK_ERR_FILE_9d07.txt"
    );
    // The marker output is the tool's result and nothing else.
    for (i, part) in parts.iter().enumerate() {
        let json = serde_json::to_string(part).unwrap();
        assert_eq!(json.contains("HOK_OUT_42"), i == 3, "{json}");
    }
}

#[test]
fn the_older_chat_is_a_mutation_log_with_an_attachment_a_terminal_and_an_edit() {
    let home = Home::new();
    let extracted = VSCODE.extract(&home.user(), by_id(EDIT));
    assert_eq!(extracted.report.skipped_lines, 0);
    let t = &extracted.transcript;
    assert_eq!(t.session.id, EDIT);
    assert_eq!(t.session.title.as_deref(), Some("Rename the greeting"));
    assert_eq!(t.session.cwd.as_deref(), Some(PROJECT));
    assert_eq!(t.session.updated_ms, Some(1_796_408_000_000));
    let Part::File(media) = &t.messages[0].parts[1] else {
        panic!("{:?}", t.messages[0].parts);
    };
    assert_eq!(
        media.path.as_deref(),
        Some("/tmp/vscode-fixture/project/hello.py")
    );
    assert_eq!(media.name.as_deref(), Some("hello.py"));
    let outline = outline(t);
    assert_eq!(
        outline[2..],
        [
            "text I'll update the gree",
            "call copilot_runInTerminal Shell",
            "result false Ran `python hello.py`",
            "call textEditGroup Other",
            "result false 1 edit(s) to /tmp/vscode-fixture/project/hello.py",
            "text Done: the greeting n",
        ]
    );
    let Part::Text { text } = &t.messages[1].parts[0] else {
        panic!()
    };
    assert_eq!(
        text,
        "I'll update the greeting in `/tmp/vscode-fixture/project/hello.py`."
    );
    let Part::ToolCall { input, .. } = &t.messages[1].parts[3] else {
        panic!()
    };
    assert_eq!(input["edits"][0]["text"], "print('hello, world')");
    let warnings = extracted.report.warnings.join("\n");
    assert!(warnings.contains("1 code edit(s)"), "{warnings}");
}

#[test]
fn listing_gives_a_workspace_s_chats_or_all_newest_first() {
    let home = Home::new();
    let rows = VSCODE.list(&home.user(), Some(PROJECT));
    let ids: Vec<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
    assert_eq!(ids, [SCENARIO, EDIT]);
    let scenario = &rows[0];
    assert_eq!(scenario.cwd.as_deref(), Some(PROJECT));
    assert_eq!(
        scenario.title.as_deref(),
        Some("HOK_USER_PROMPT_a41c: run the marker command, then read the missing file")
    );
    assert_eq!(scenario.messages, 4);
    assert_eq!(scenario.created_ms, Some(1_796_411_990_000));
    let meta = std::fs::metadata(home.scenario_file()).unwrap();
    assert_eq!(scenario.updated_ms, Some(mtime_ms(&meta)));
    assert_eq!(scenario.path, home.scenario_file().display().to_string());
    assert_eq!(rows[1].title.as_deref(), Some("Rename the greeting"));

    let all = VSCODE.list(&home.user(), None);
    let ids: Vec<&str> = all.iter().map(|r| r.session_id.as_str()).collect();
    assert_eq!(ids, [SCENARIO, EDIT, EMPTY_WINDOW]);
    assert_eq!(all[2].cwd, None);
    assert_eq!(all[2].title.as_deref(), Some("git rebase --onto"));
    assert!(VSCODE.list(&home.user(), Some("/elsewhere")).is_empty());

    let limited = VscodeCopilotAdapter
        .list_sessions(ListRequest {
            home: home_str(&home.user()),
            limit: Some(1),
            // The host holds the scenario's row as it is: the file is not read.
            unchanged: vec![FileStamp {
                path: scenario.path.clone(),
                size: meta.len(),
                mtime_ms: mtime_ms(&meta),
            }],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 1);
    assert!(limited[0].cached);
    assert_eq!(limited[0].path, scenario.path);
}

#[test]
fn extract_finds_the_newest_chat_of_a_folder_a_path_or_says_why_not() {
    let home = Home::new();
    let latest = VSCODE.extract(
        &home.user(),
        ExtractRequest {
            cwd: Some(PROJECT.into()),
            ..Default::default()
        },
    );
    assert_eq!(latest.transcript.session.id, SCENARIO);
    let by_path = VSCODE.extract(
        &home.user(),
        ExtractRequest {
            path: Some(home.edit_file().display().to_string()),
            ..Default::default()
        },
    );
    assert_eq!(by_path.transcript.session.id, EDIT);
    assert_eq!(
        by_path.transcript.session.source_path,
        Some(home.edit_file().display().to_string())
    );
    let empty = VSCODE.extract(&home.user(), by_id(EMPTY_WINDOW));
    assert_eq!(empty.transcript.session.cwd, None);
    assert_eq!(
        outline(&empty.transcript),
        ["text What does `git rebas", "text It replays commits o"]
    );

    let request = |id: &str| ExtractRequest {
        home: home_str(&home.user()),
        ..by_id(id)
    };
    let missing = VscodeCopilotAdapter.extract(request("ffff")).unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
    assert!(missing.message.contains("vscode-copilot"), "{missing}");
    // A `.json` and a `.jsonl` of one chat in one folder are one chat: the newer stands for it.
    std::fs::write(
        home.chats().join(format!("{SCENARIO}.jsonl")),
        json!({"kind": 0, "v": {"sessionId": SCENARIO, "requests": []}}).to_string() + "\n",
    )
    .unwrap();
    set_mtime(
        &home.chats().join(format!("{SCENARIO}.jsonl")),
        SystemTime::now() - Duration::from_secs(86_400),
    );
    assert_eq!(
        VSCODE
            .extract(&home.user(), by_id("f3c8"))
            .transcript
            .session
            .id,
        SCENARIO
    );
    std::fs::write(
        home.chats().join("f3c8ffff.json"),
        json!({"sessionId": "f3c8ffff", "requests": []}).to_string(),
    )
    .unwrap();
    let ambiguous = VscodeCopilotAdapter.extract(request("f3c8")).unwrap_err();
    assert_eq!(ambiguous.kind, ErrorKind::Ambiguous);
    let nowhere = VscodeCopilotAdapter
        .extract(ExtractRequest {
            home: home_str(&home.user()),
            cwd: Some("/elsewhere".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(nowhere.kind, ErrorKind::NotFound);
}

#[test]
fn reading_changes_nothing_on_disk_and_writing_is_refused() {
    let home = Home::new();
    let before = tree_snapshot(home.dir.path());
    VSCODE.list(&home.user(), None);
    VSCODE.list(&home.user(), Some(PROJECT));
    for id in [SCENARIO, EDIT, EMPTY_WINDOW] {
        VSCODE.extract(&home.user(), by_id(id));
    }
    let transcript = VSCODE.extract(&home.user(), by_id(SCENARIO)).transcript;
    for mode in [InjectMode::Write, InjectMode::Plan, InjectMode::Render] {
        let error = VscodeCopilotAdapter
            .inject(InjectRequest {
                home: home_str(&home.user()),
                cwd: PROJECT.into(),
                mode,
                transcript: transcript.clone(),
            })
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Unsupported);
        assert_eq!(
            error.message,
            "vscode-copilot: VS Code Copilot Chat is a source only: its chats live in the editor's workspace storage, which handoff does not write"
        );
    }
    assert_eq!(tree_snapshot(home.dir.path()), before);

    let info = VscodeCopilotAdapter.info();
    assert_eq!(info.name, "vscode-copilot");
    assert_eq!(info.display_name, "VS Code Copilot Chat");
    assert!(info.capabilities.list && info.capabilities.extract);
    assert!(!info.capabilities.inject);
    assert_eq!(info.resume_command, None);
    assert!(info.default_home.ends_with("User"), "{}", info.default_home);
}

/// Valid JSON is understood however it is written: each fixture chat re-serialised every valid
/// way lists and extracts as written.
#[test]
fn every_valid_serialisation_lists_and_extracts_alike() {
    let home = Home::new();
    for (id, file, format) in [
        (SCENARIO, home.scenario_file(), Format::Json),
        (EDIT, home.edit_file(), Format::Jsonl),
        (EMPTY_WINDOW, home.empty_window_file(), Format::Json),
    ] {
        let original = std::fs::read(&file).unwrap();
        let observe = |bytes: &[u8]| -> Observation {
            std::fs::write(&file, bytes).unwrap();
            // Rewriting makes the file the newest: the rows are compared by id.
            let mut rows = VSCODE.list(&home.user(), None);
            rows.sort_by(|a, b| a.session_id.cmp(&b.session_id));
            let extract = VscodeCopilotAdapter.extract(ExtractRequest {
                home: home_str(&home.user()),
                ..by_id(id)
            });
            let extract: Value = extracted(extract);
            vec![("list", listed(&rows)), ("extract", extract)]
        };
        let failures = file_differences(id, format, &original, observe);
        assert!(failures.is_empty(), "{failures:#?}");
        std::fs::write(&file, original).unwrap();
    }
}
