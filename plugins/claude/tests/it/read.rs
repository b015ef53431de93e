//! Extracting sessions: real-client files and hand-written ones shaped like Claude's rows.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::common::*;
use handoff_plugin_api::{ErrorKind, Part, Role, ToolKind};

#[test]
fn session_written_by_claude_print_mode_is_read_whole() {
    let extracted = extract_path(&sample("written-by-claude-2.1.330.jsonl"));
    let messages = &extracted.transcript.messages;
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    assert_eq!(texts(messages, Role::User), ["read notes.txt please"]);
    // The two rows of msg_mock_0001 (text, then tool_use) are one message, in order.
    assert_eq!(messages[1].parts.len(), 2);
    assert!(matches!(&messages[1].parts[0], Part::Text { text } if text == "Let me read it."));
    match &messages[1].parts[1] {
        Part::ToolCall {
            id,
            name,
            input,
            tool,
        } => {
            assert_eq!((id.as_str(), name.as_str()), ("toolu_mock_0001", "Read"));
            assert_eq!(input["file_path"], "/home/dev/proj/notes.txt");
            assert_eq!(tool.kind, ToolKind::Read);
            assert_eq!(tool.args["path"], "/home/dev/proj/notes.txt");
        }
        other => panic!("{other:?}"),
    }
    match &messages[2].parts[..] {
        [
            Part::ToolResult {
                call_id,
                output,
                is_error,
                ..
            },
        ] => {
            assert_eq!(call_id, "toolu_mock_0001");
            assert_eq!(output, "1\thello from notes.txt\n2\t");
            assert!(!is_error);
        }
        other => panic!("{other:?}"),
    }
    let session = &extracted.transcript.session;
    assert_eq!(session.id, "written-by-claude-2.1.330");
    assert_eq!(session.cwd.as_deref(), Some("/home/dev/proj"));
    assert_eq!(session.model.as_deref(), Some("claude-opus-5-5"));
    assert_eq!(session.title.as_deref(), Some("read notes.txt please"));
    assert_eq!(extracted.report.skipped_lines, 0);
    assert_eq!(extracted.report.sidechains, 0);
}

#[test]
fn real_client_fixtures_keep_every_marker_in_order() {
    let files = real_fixtures();
    assert!(
        !files.is_empty(),
        "no real fixtures under tests/fixtures/real"
    );
    for path in files {
        let extracted = extract_path(&path);
        let text = all_text(&extracted.transcript.messages);
        let markers = [
            "HOK_USER_PROMPT_a41c",
            "HOK_ASSISTANT_TEXT_5be2",
            "HOK_OUT_42",
            "HOK_ERR_FILE_9d07",
            "HOK_FINAL_REPLY_c3f8",
        ];
        let positions: Vec<usize> = markers
            .iter()
            .map(|m| {
                text.find(m)
                    .unwrap_or_else(|| panic!("{m} missing in {path:?}"))
            })
            .collect();
        assert!(positions.is_sorted(), "{path:?}: markers out of order");
        let parts: Vec<&Part> = extracted
            .transcript
            .messages
            .iter()
            .flat_map(|m| &m.parts)
            .collect();
        let calls = parts
            .iter()
            .filter(|p| matches!(p, Part::ToolCall { .. }))
            .count();
        let results: Vec<bool> = parts
            .iter()
            .filter_map(|p| match p {
                Part::ToolResult { is_error, .. } => Some(*is_error),
                _ => None,
            })
            .collect();
        assert_eq!(calls, 2, "{path:?}");
        assert_eq!(
            results,
            [false, true],
            "{path:?}: second result is the failed read"
        );
        // Injected context (system reminders, environment) is not user text.
        assert!(!text.contains("<system-reminder>"), "{path:?}");
        assert_eq!(extracted.report.skipped_lines, 0);
        assert!(extracted.transcript.session.cwd.is_some());
    }
}

#[test]
fn compaction_keeps_history_then_the_summary_marker_then_what_follows() {
    let extracted = extract_path(&fixture("compaction.jsonl"));
    let messages = &extracted.transcript.messages;
    let text = all_text(messages);
    let order = [
        "BEFORE-COMPACT-1",
        "BEFORE-COMPACT-2",
        "SUMMARY-MARKER",
        "AFTER-COMPACT-1",
        "AFTER-COMPACT-2",
    ];
    let positions: Vec<usize> = order.iter().map(|m| text.find(m).unwrap()).collect();
    assert!(positions.is_sorted());
    let compaction = messages
        .iter()
        .position(|m| matches!(m.parts.first(), Some(Part::Compaction { .. })))
        .unwrap();
    assert_eq!(messages[compaction].parts.len(), 1);
    assert_eq!(
        texts(&messages[compaction + 1..], Role::User),
        ["Now add tests AFTER-COMPACT-1"]
    );
    // The /compact command, its caveat and its stdout are not user text.
    for injected in ["/compact", "Caveat", "Compacted (ctrl+o"] {
        assert!(!text.contains(injected), "{injected}");
    }
    // ai-title beats the old summary row.
    assert_eq!(
        extracted.transcript.session.title.as_deref(),
        Some("Parser module and tests")
    );
}

#[test]
fn sidechains_are_reported_not_flattened() {
    let dir = tempfile::tempdir().unwrap();
    let id = "7d2e9b14-5c3a-4f60-8e21-b9a0c4d5e6f7";
    let path = install(
        dir.path(),
        "/home/dev/proj",
        id,
        &fixture("sidechain.jsonl"),
    );
    let subagents = path.parent().unwrap().join(id).join("subagents");
    std::fs::create_dir_all(&subagents).unwrap();
    std::fs::copy(
        fixture("sidechain-subagent.jsonl"),
        subagents.join("agent-d4e5f6.jsonl"),
    )
    .unwrap();
    let extracted = extract_path(&path);
    let text = all_text(&extracted.transcript.messages);
    assert!(!text.contains("SIDECHAIN-ONLY"));
    assert!(!text.contains("Nothing there"));
    assert!(text.contains("AGENT-RESULT"));
    assert_eq!(
        extracted.report.sidechains, 2,
        "one in the file, one subagent file"
    );
    assert_eq!(extracted.transcript.messages.len(), 4);
}

#[test]
fn images_in_user_turns_and_tool_results() {
    let extracted = extract_path(&fixture("images.jsonl"));
    let messages = &extracted.transcript.messages;
    match &messages[0].parts[..] {
        [Part::Text { text }, Part::Image(image)] => {
            assert!(text.contains("IMAGE-USER"));
            assert_eq!(image.media_type, "image/png");
            assert!(image.data_base64.as_deref().unwrap().starts_with("iVBOR"));
        }
        other => panic!("{other:?}"),
    }
    match &messages[2].parts[..] {
        [Part::ToolResult { output, images, .. }] => {
            assert_eq!(output, "chart.png IMAGE-RESULT");
            assert_eq!(images.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn parallel_calls_streamed_per_block_merge_into_one_message() {
    let extracted = extract_path(&fixture("parallel.jsonl"));
    let messages = &extracted.transcript.messages;
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    let kinds: Vec<&str> = messages[1]
        .parts
        .iter()
        .map(|p| match p {
            Part::Reasoning { .. } => "reasoning",
            Part::Text { .. } => "text",
            Part::ToolCall { .. } => "call",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["reasoning", "text", "call", "call"]);
    match &messages[1].parts[0] {
        Part::Reasoning {
            text,
            signature,
            provider,
        } => {
            assert!(text.contains("THINKING-MARKER"));
            assert_eq!(signature.as_deref(), Some("EqQBCkYIBxgCKkCsig=="));
            assert_eq!(provider.as_deref(), Some("anthropic"));
        }
        other => panic!("{other:?}"),
    }
    let result_ids: Vec<&str> = messages[2]
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolResult { call_id, .. } => Some(call_id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(result_ids, ["toolu_par1", "toolu_par2"]);
    // The redacted thinking block is kept, marked so Claude can get it back.
    assert!(matches!(&messages[3].parts[0],
        Part::Reasoning { text, signature: Some(data), .. } if text.is_empty() && data == "EmwKAhgBEgy3REDACTED"));
    assert!(
        messages[3]
            .extra
            .contains_key(handoff_claude::read::REDACTED_THINKING_KEY)
    );
    // The last custom-title wins.
    assert_eq!(
        extracted.transcript.session.title.as_deref(),
        Some("config check renamed")
    );
}

#[test]
fn errors_garbage_and_truncated_lines() {
    let extracted = extract_path(&fixture("errors.jsonl"));
    let messages = &extracted.transcript.messages;
    assert_eq!(
        extracted.report.skipped_lines, 3,
        "garbage, broken, truncated last line"
    );
    let text = all_text(messages);
    assert!(
        !text.contains("529 Overloaded"),
        "API error rows are not conversation"
    );
    assert!(!text.contains("opened the file notes.md"));
    assert_eq!(
        texts(messages, Role::User),
        [
            "Run the build ERROR-USER",
            "[Request interrupted by user]",
            "try cargo build instead"
        ]
    );
    assert!(messages.iter().flat_map(|m| &m.parts).any(
        |p| matches!(p, Part::ToolResult { is_error: true, output, .. } if output.contains("ERROR-RESULT"))
    ));
    assert!(text.contains("ERROR-FINAL"));
    assert!(!extracted.report.warnings.is_empty());
}

#[test]
fn a_file_without_conversation_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c.jsonl");
    std::fs::write(&path, "garbage\n{\"type\":\"summary\",\"summary\":\"x\"}\n").unwrap();
    let err = handoff_plugin_api::Adapter::extract(
        &handoff_claude::ClaudeAdapter,
        handoff_plugin_api::ExtractRequest {
            path: Some(path.display().to_string()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(err.message.contains(&path.display().to_string()), "{err}");
    assert!(!err.message.contains('\n'));
}

#[test]
fn compaction_written_by_the_client() {
    let extracted = extract_path(&fixture("client-written/compaction.jsonl"));
    let messages = &extracted.transcript.messages;
    let text = all_text(messages);
    let marker = messages
        .iter()
        .position(|m| matches!(m.parts.first(), Some(Part::Compaction { summary }) if summary.contains("continued from a previous conversation")))
        .unwrap();
    let before = text.find("HOK_FINAL_REPLY_c3f8").unwrap();
    let compaction = text.find("\"compaction\"").unwrap();
    assert!(before < compaction);
    assert_eq!(
        texts(&messages[marker + 1..], Role::User),
        ["AFTER-COMPACT-PROMPT"]
    );
    for injected in ["/compact", "local-command", "Compacted (ctrl+o"] {
        assert!(!text.contains(injected), "{injected}");
    }
    assert_eq!(extracted.report.skipped_lines, 0);
}
