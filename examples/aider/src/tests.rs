//! Tests over a history file in aider's own format.
//!
//! `tests/fixtures/.aider.chat.history.md` was written line for line as aider writes it
//! (Aider-AI/aider, aider/io.py: `InputOutput.__init__` for the `# aider chat started at` header,
//! `user_input` for `#### ` prompts, `ai_output` for replies, `tool_output` / `confirm_ask` for
//! `> ` lines; aider/coders/base_coder.py `get_announcements` for the start-up lines and
//! `handle_shell_commands` for `> Running …`; aider/reasoning_tags.py for the reasoning block).
//! `restore` below is a line-for-line port of aider/utils.py `split_chat_history_markdown`, the
//! function behind `aider --restore-chat-history`, to check what aider would restore.

use super::*;
use crate::testdir::TestDir;
use handoff_adapter_kit::testing::{Format, Observation, extracted, file_differences, listed};
use handoff_plugin_api::{Message, Part, Role, Tool, ToolKind};
use serde_json::json;

const FIXTURE: &str = include_str!("../tests/fixtures/.aider.chat.history.md");

fn project_with(history: &[u8]) -> TestDir {
    let dir = TestDir::new();
    std::fs::write(dir.path().join(location::HISTORY_FILE), history).unwrap();
    dir
}

fn extract_from(dir: &TestDir, session_id: Option<&str>) -> AdapterResult<Extracted> {
    AiderAdapter.extract(ExtractRequest {
        cwd: Some(dir.path().display().to_string()),
        session_id: session_id.map(str::to_owned),
        ..ExtractRequest::default()
    })
}

fn text(text: &str) -> Part {
    Part::Text { text: text.into() }
}

fn texts(message: &Message) -> Vec<&str> {
    message
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// aider/utils.py `split_chat_history_markdown(text)`: (role, content) of what aider restores.
fn restore(text: &str) -> Vec<(&'static str, String)> {
    let mut messages = Vec::new();
    let (mut user, mut assistant, mut tool) = (String::new(), String::new(), String::new());
    fn append(messages: &mut Vec<(&'static str, String)>, role: &'static str, lines: &mut String) {
        if !lines.trim().is_empty() {
            messages.push((role, lines.clone()));
        }
        lines.clear();
    }
    for line in text.split_inclusive('\n') {
        if line.starts_with("# ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("> ") {
            append(&mut messages, "assistant", &mut assistant);
            append(&mut messages, "user", &mut user);
            tool.push_str(rest);
            continue;
        }
        if let Some(rest) = line.strip_prefix("#### ") {
            append(&mut messages, "assistant", &mut assistant);
            tool.clear();
            user.push_str(rest);
            continue;
        }
        append(&mut messages, "user", &mut user);
        tool.clear();
        assistant.push_str(line);
    }
    append(&mut messages, "assistant", &mut assistant);
    append(&mut messages, "user", &mut user);
    messages
}

#[test]
fn sessions_are_the_started_at_sections_newest_first_without_empty_launches() {
    let dir = project_with(FIXTURE.as_bytes());
    let rows = AiderAdapter
        .list_sessions(ListRequest {
            cwd: Some(dir.path().display().to_string()),
            ..ListRequest::default()
        })
        .unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.session_id.as_str()).collect();
    // 20250314T094010 is a launch without a prompt.
    assert_eq!(ids, ["20250314T100102", "20250314T091244"]);
    assert_eq!(
        rows[0].title.as_deref(),
        Some("why does greet() print twice?")
    );
    assert_eq!(
        rows[1].title.as_deref(),
        Some("make greet() take a name argument")
    );
    assert_eq!(rows[1].messages, 8);
    assert_eq!(
        rows[1].created_ms,
        clock::parse_stamp("2025-03-14 09:12:44")
    );
    assert_eq!(rows[0].cwd.as_deref(), Some(dir.path().to_str().unwrap()));
    assert!(rows[0].path.ends_with("/.aider.chat.history.md"));

    let limited = AiderAdapter
        .list_sessions(ListRequest {
            cwd: Some(dir.path().display().to_string()),
            limit: Some(1),
            ..ListRequest::default()
        })
        .unwrap();
    assert_eq!(limited.len(), 1);
}

#[test]
fn a_session_reads_as_prompts_replies_notes_and_shell_calls() {
    let dir = project_with(FIXTURE.as_bytes());
    let extracted = extract_from(&dir, Some("20250314T091244")).unwrap();
    let transcript = &extracted.transcript;
    assert_eq!(transcript.session.id, "20250314T091244");
    assert_eq!(transcript.session.agent, "aider");
    assert_eq!(
        transcript.session.model.as_deref(),
        Some("anthropic/claude-sonnet-4-20250514")
    );
    let roles: Vec<Role> = transcript.messages.iter().map(|m| m.role).collect();
    use Role::{Assistant as A, User as U};
    assert_eq!(roles, [U, A, U, A, A, U, A, A]);
    let m = &transcript.messages;
    // The start-up announcement is not conversation.
    assert_eq!(m[0].parts, [text("/add greet.py")]);
    assert_eq!(m[1].parts, [text("Added greet.py to the chat")]);
    assert_eq!(m[1].extra.get("aider"), Some(&json!("quoted")));
    assert_eq!(
        m[2].parts,
        [text(
            "make greet() take a name argument\n\nand print \"Hello, <name>!\""
        )]
    );
    let reply = texts(&m[3]).concat();
    assert!(reply.starts_with("I'll change `greet()` to take the name.\n\n# Plan\n"));
    assert!(reply.ends_with("```bash\npython greet.py\n```"));
    assert!(m[3].extra.is_empty());

    let [
        Part::Text { text: notes },
        Part::ToolCall {
            id,
            name,
            input,
            tool,
        },
        Part::ToolResult {
            call_id,
            output,
            is_error,
            ..
        },
    ] = m[4].parts.as_slice()
    else {
        panic!("unexpected parts: {:?}", m[4].parts);
    };
    assert!(notes.starts_with("Tokens: 2.4k sent"));
    assert!(notes.ends_with("Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]: y"));
    assert_eq!(
        (name.as_str(), input),
        ("shell", &json!({"command": "python greet.py"}))
    );
    assert_eq!(tool.kind, ToolKind::Shell);
    assert_eq!(tool.args["command"], "python greet.py");
    assert_eq!(call_id, id);
    assert_eq!(
        output,
        "Add command output to the chat? (Y)es/(N)o/(D)on't ask again [Yes]: y\nAdded 1 line of output to the chat."
    );
    assert!(!is_error);
    assert_eq!(m[5].parts, [text("thanks")]);
    assert_eq!(m[6].parts, [text("You're welcome!")]);
    assert_eq!(extracted.report.skipped_lines, 0);
    assert_eq!(extracted.report.warnings.len(), 1, "{:?}", extracted.report);
}

#[test]
fn the_latest_session_is_the_last_one_with_a_prompt() {
    let mut history = FIXTURE.to_owned();
    // A later launch without a prompt, as aider writes one.
    history.push_str(
        "\n# aider chat started at 2025-03-14 11:00:00\n\n> Aider v0.86.1  \n> Git repo: .git with 12 files  \n",
    );
    let dir = project_with(history.as_bytes());
    let transcript = extract_from(&dir, None).unwrap().transcript;
    assert_eq!(transcript.session.id, "20250314T100102");
    assert_eq!(
        transcript.session.model.as_deref(),
        Some("deepseek/deepseek-reasoner")
    );
    assert_eq!(
        transcript.messages[1].parts,
        [
            Part::Reasoning {
                text: "The caller calls it in a loop.".into(),
                signature: None,
                provider: None
            },
            text("It is called from a `for` loop in main.py.")
        ]
    );
}

#[test]
fn prefixes_resolve_or_say_what_they_match() {
    let dir = project_with(FIXTURE.as_bytes());
    let unique = extract_from(&dir, Some("20250314T10")).unwrap();
    assert_eq!(unique.transcript.session.id, "20250314T100102");
    let ambiguous = extract_from(&dir, Some("20250314")).unwrap_err();
    assert_eq!(ambiguous.kind, ErrorKind::Ambiguous);
    assert!(
        ambiguous
            .message
            .contains("20250314T091244, 20250314T094010, 20250314T100102")
    );
    let missing = extract_from(&dir, Some("2024")).unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound);
}

#[test]
fn sections_started_in_the_same_second_get_distinct_ids() {
    let section = "\n# aider chat started at 2025-03-14 09:12:44\n\n#### hi  \n";
    let twice = format!("{section}{section}");
    let history = History::parse(twice.as_bytes());
    let ids: Vec<&str> = history.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["20250314T091244", "20250314T091244-2"]);
    assert_eq!(history.next_id("2025-03-14 09:12:44"), "20250314T091244-3");
    assert_eq!(history.next_id("2025-03-14 09:12:45"), "20250314T091245");
}

#[test]
fn garbage_is_skipped_and_counted_or_refused() {
    // Invalid UTF-8 and a NUL line inside a session: skipped, the rest still reads.
    let mut bytes = b"\n# aider chat started at 2025-03-14 09:12:44\n\n#### hello  \n".to_vec();
    bytes.extend_from_slice(b"\xff\xfe broken \xc3\n\0\0\0\n\nHi there.\n\n");
    let dir = project_with(&bytes);
    let extracted = extract_from(&dir, None).unwrap();
    assert_eq!(extracted.report.skipped_lines, 2);
    assert_eq!(extracted.transcript.messages.len(), 2);
    assert_eq!(extracted.transcript.messages[1].parts, [text("Hi there.")]);

    // No session header at all: not an aider history.
    let dir = project_with(b"\x00\x01\x02 binary junk\n{\"type\":\"user\"}\n");
    let error = extract_from(&dir, None).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidInput);
    assert!(
        error.message.contains(".aider.chat.history.md"),
        "{}",
        error.message
    );
    assert!(!error.message.contains('\n'));
    // A header with a broken stamp is not a header either.
    let dir = project_with(b"# aider chat started at yesterday\n#### hi  \n");
    assert_eq!(
        extract_from(&dir, None).unwrap_err().kind,
        ErrorKind::InvalidInput
    );
    assert!(
        AiderAdapter
            .list_sessions(ListRequest {
                cwd: Some(dir.path().display().to_string()),
                ..ListRequest::default()
            })
            .unwrap()
            .is_empty()
    );

    // No history file: not found, saying where it looked.
    let empty = TestDir::new();
    let error = extract_from(&empty, None).unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(error.message.contains("looked in"), "{}", error.message);
}

/// A conversation as another agent hands it over: reasoning, a shell call whose result comes in
/// the next (user) message, a failing read, a call that never got a result, lines that would
/// mean something else to aider.
fn foreign_transcript() -> Transcript {
    let user = |parts| Message::new(Role::User, parts);
    let assistant = |parts| Message::new(Role::Assistant, parts);
    Transcript::new(
        SessionMeta {
            id: "0b9f6a3e-2b1c-4f6e-9c35-6a1f0e2d7c11".into(),
            agent: "claude".into(),
            ..SessionMeta::default()
        },
        vec![
            Message::new(Role::System, vec![text("You are a helpful agent.")]),
            user(vec![text("Run the tests\nthen fix what fails.")]),
            assistant(vec![
                Part::Reasoning {
                    text: "Start with cargo test.".into(),
                    signature: Some("c2lnbmF0dXJl".into()),
                    provider: Some("anthropic".into()),
                },
                text("Running the tests first."),
                Part::ToolCall {
                    id: "toolu_01".into(),
                    name: "run".into(),
                    input: json!({"cmd": "cargo test", "description": "Run tests"}),
                    tool: Tool {
                        kind: ToolKind::Shell,
                        args: serde_json::from_value(
                            json!({"command": "cargo test", "description": "Run tests"}),
                        )
                        .unwrap(),
                    },
                },
            ]),
            user(vec![Part::ToolResult {
                call_id: "toolu_01".into(),
                output: "running 2 tests\nRunning unittests\n> test a ... FAILED\n".into(),
                images: Vec::new(),
                is_error: true,
            }]),
            assistant(vec![
                Part::ToolCall {
                    id: "toolu_02".into(),
                    name: "open".into(),
                    input: json!({"file": "/p/src/lib.rs"}),
                    tool: Tool::default(),
                },
                Part::ToolCall {
                    id: "toolu_03".into(),
                    name: "mcp__github__create_issue".into(),
                    input: json!({"title": "x"}),
                    tool: Tool::default(),
                },
            ]),
            user(vec![Part::ToolResult {
                call_id: "toolu_02".into(),
                output: "fn a() {}\n\n#### not a prompt".into(),
                images: Vec::new(),
                is_error: false,
            }]),
            assistant(vec![text(
                "# Fix\n\n> note: quoted\n#### not a prompt either\n  # indented heading\nDone.",
            )]),
            user(vec![text("What are <think> tags?")]),
            assistant(vec![text(
                "<think> opens a model's reasoning, </think> closes it.",
            )]),
        ],
    )
}

fn inject(dir: &TestDir, mode: InjectMode, transcript: Transcript) -> Injected {
    AiderAdapter
        .inject(InjectRequest {
            home: None,
            cwd: dir.path().display().to_string(),
            mode,
            transcript,
        })
        .unwrap()
}

#[test]
fn an_injected_section_is_appended_and_reads_back_in_order() {
    let dir = project_with(FIXTURE.as_bytes());
    let injected = inject(&dir, InjectMode::Write, foreign_transcript());
    let file = dir.path().join(location::HISTORY_FILE);
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.starts_with(FIXTURE),
        "the existing sessions are untouched"
    );
    assert_eq!(injected.path, file.display().to_string());
    assert_eq!(injected.resume_command, "aider --restore-chat-history");
    assert_eq!(
        injected.written,
        [Written::Rows {
            path: injected.path.clone(),
            table: "section".into(),
            ids: vec![injected.session_id.clone()]
        }]
    );
    assert_eq!(injected.session_id.len(), "20250314T091244".len());
    assert_eq!(injected.warnings.len(), 2, "{:?}", injected.warnings);
    assert!(injected.warnings[0].contains("its 2 earlier session(s)"));

    let back = extract_from(&dir, Some(&injected.session_id)).unwrap();
    assert!(back.report.warnings.is_empty());
    let m = &back.transcript.messages;
    assert_eq!(m[0].role, Role::User);
    assert_eq!(m[0].parts, [text("Run the tests\nthen fix what fails.")]);
    assert_eq!(
        m[1].parts,
        [
            Part::Reasoning {
                text: "Start with cargo test.".into(),
                signature: None,
                provider: None
            },
            text("Running the tests first.")
        ]
    );
    let calls: Vec<(&str, &serde_json::Value)> = m
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolCall { name, input, .. } => Some((name.as_str(), input)),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            ("shell", &json!({"command": "cargo test"})),
            ("open", &json!({"file": "/p/src/lib.rs"})),
            ("mcp__github__create_issue", &json!({"title": "x"})),
        ]
    );
    let results: Vec<(&str, bool)> = m
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::ToolResult {
                output, is_error, ..
            } => Some((output.as_str(), *is_error)),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        [
            (
                "running 2 tests\nRunning unittests\n> test a ... FAILED",
                true
            ),
            ("fn a() {}\n\n#### not a prompt", false),
            ("interrupted", true),
        ]
    );
    assert_eq!(
        m[3].parts,
        [text(
            "# Fix\n\n> note: quoted\n#### not a prompt either\n  # indented heading\nDone."
        )]
    );
    // A reply about reasoning tags is not reasoning.
    assert_eq!(
        m[5].parts,
        [text(
            "<think> opens a model's reasoning, </think> closes it."
        )]
    );
    assert_eq!(m.len(), 6, "{m:#?}");
}

#[test]
fn aider_restores_the_prompts_and_replies_of_an_injected_section() {
    let dir = TestDir::new();
    let injected = inject(&dir, InjectMode::Render, foreign_transcript());
    let section = injected.rendered.unwrap();
    let restored = restore(&section);
    let roles: Vec<&str> = restored.iter().map(|(role, _)| *role).collect();
    assert_eq!(
        roles,
        ["user", "assistant", "assistant", "user", "assistant"]
    );
    // Aider keeps the Markdown hard breaks of prompts; the model sees the same words.
    assert_eq!(restored[0].1, "Run the tests  \nthen fix what fails.  \n");
    assert!(restored[1].1.contains("Start with cargo test."));
    assert!(restored[1].1.contains("Running the tests first."));
    assert_eq!(
        restored[2].1.trim(),
        "# Fix\n\n > note: quoted\n #### not a prompt either\n   # indented heading\nDone."
    );
}

#[test]
fn plan_and_render_write_nothing() {
    let dir = TestDir::new();
    let file = dir.path().join(location::HISTORY_FILE);
    let planned = inject(&dir, InjectMode::Plan, foreign_transcript());
    assert!(!file.exists());
    assert!(planned.written.is_empty() && planned.rendered.is_none());
    // A new history file: nothing earlier comes back with it.
    assert!(!planned.warnings.iter().any(|w| w.contains("earlier")));
    assert_eq!(planned.path, file.display().to_string());
    let rendered = inject(&dir, InjectMode::Render, foreign_transcript());
    assert!(!file.exists());
    let text = rendered.rendered.unwrap();
    assert!(text.starts_with("\n# aider chat started at "));
    assert!(
        text.lines().nth(2).unwrap().starts_with(
            "# handoff: imported claude session 0b9f6a3e-2b1c-4f6e-9c35-6a1f0e2d7c11;"
        )
    );
}

#[test]
fn aider_to_aider_keeps_the_conversation() {
    let source = project_with(FIXTURE.as_bytes());
    let original = extract_from(&source, Some("20250314T091244"))
        .unwrap()
        .transcript;
    let target = TestDir::new();
    let injected = inject(&target, InjectMode::Write, original.clone());
    let back = extract_from(&target, Some(&injected.session_id))
        .unwrap()
        .transcript;
    // Call ids are minted per section; everything else is the same.
    let renumber = |transcript: &Transcript| -> Vec<Message> {
        let mut messages = transcript.messages.clone();
        for part in messages.iter_mut().flat_map(|m| &mut m.parts) {
            match part {
                Part::ToolCall { id, .. } => *id = String::new(),
                Part::ToolResult { call_id, .. } => *call_id = String::new(),
                _ => {}
            }
        }
        messages
    };
    assert_eq!(renumber(&back), renumber(&original));
}

#[cfg(unix)]
#[test]
fn a_new_history_file_is_private_and_removing_the_section_removes_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new();
    let injected = inject(&dir, InjectMode::Write, foreign_transcript());
    let file = dir.path().join(location::HISTORY_FILE);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let answer = AiderAdapter
        .call("remove", serde_json::to_value(&injected).unwrap())
        .unwrap();
    assert_eq!(answer, json!({"removed": [injected.session_id]}));
    assert!(!file.exists());
}

#[test]
fn removing_restores_the_file_exactly_and_only_while_it_is_ours() {
    let dir = project_with(FIXTURE.as_bytes());
    let file = dir.path().join(location::HISTORY_FILE);
    let remove =
        |injected: &Injected| AiderAdapter.call("remove", serde_json::to_value(injected).unwrap());

    // Straight after the import: the file is back to its bytes.
    let injected = inject(&dir, InjectMode::Write, foreign_transcript());
    remove(&injected).unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FIXTURE);
    // Again: nothing left to remove, and nothing else touched.
    assert_eq!(remove(&injected).unwrap(), json!({"removed": []}));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FIXTURE);

    // Resumed in aider (a new section after it): kept.
    let injected = inject(&dir, InjectMode::Write, foreign_transcript());
    let mut resumed = std::fs::read_to_string(&file).unwrap();
    resumed.push_str("\n# aider chat started at 2099-01-01 00:00:00\n\n> Aider v0.86.1  \n");
    std::fs::write(&file, &resumed).unwrap();
    let error = remove(&injected).unwrap_err();
    assert!(
        error.message.contains("other sessions after it"),
        "{}",
        error.message
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), resumed);

    // Edited by hand: kept.
    let dir = project_with(FIXTURE.as_bytes());
    let file = dir.path().join(location::HISTORY_FILE);
    let injected = inject(&dir, InjectMode::Write, foreign_transcript());
    let mut edited = std::fs::read_to_string(&file).unwrap();
    edited.push_str("#### one more thing  \n");
    std::fs::write(&file, &edited).unwrap();
    let error = remove(&injected).unwrap_err();
    assert!(error.message.contains("changed since"), "{}", error.message);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);

    // A section aider wrote itself is never removed.
    let dir = project_with(FIXTURE.as_bytes());
    let aiders = Injected {
        session_id: "20250314T100102".into(),
        path: dir
            .path()
            .join(location::HISTORY_FILE)
            .display()
            .to_string(),
        ..Injected::default()
    };
    let error = remove(&aiders).unwrap_err();
    assert!(
        error.message.contains("handoff did not write it"),
        "{}",
        error.message
    );
}

#[test]
fn the_plugin_answers_through_its_exported_root_module() {
    let module = handoff_root_module();
    let adapter = module.new_adapter()();
    assert_eq!(adapter.name().as_str(), "aider");
    let info: AgentInfo = serde_json::from_str(adapter.info().as_str()).unwrap();
    assert_eq!(info.display_name, "Aider");
    assert_eq!(info.default_home, ".");
    assert!(info.capabilities.list && info.capabilities.extract && info.capabilities.inject);

    let dir = project_with(FIXTURE.as_bytes());
    let request = json!({"cwd": dir.path(), "session_id": "20250314T10"}).to_string();
    let answer = adapter
        .extract(request.as_str().into())
        .into_result()
        .unwrap();
    let extracted: Extracted = serde_json::from_str(answer.as_str()).unwrap();
    assert_eq!(extracted.transcript.session.id, "20250314T100102");
    let error = adapter
        .extract("not json".into())
        .into_result()
        .unwrap_err();
    let error = handoff_plugin_api::decode_error(error.as_str());
    assert_eq!(error.kind, ErrorKind::InvalidInput);
}

/// What list and extract make of a history file: its list rows, and every session's
/// transcript, then the latest one's.
fn observe(dir: &TestDir, history: &[u8]) -> Observation {
    let file = dir.path().join(location::HISTORY_FILE);
    std::fs::write(&file, history).unwrap();
    let stamp = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(stamp)
        .unwrap();
    let rows = AiderAdapter
        .list_sessions(ListRequest {
            cwd: Some(dir.path().display().to_string()),
            ..ListRequest::default()
        })
        .unwrap();
    let ids = rows
        .iter()
        .map(|r| Some(r.session_id.as_str()))
        .chain([None]);
    let sessions: Vec<Value> = ids.map(|id| extracted(extract_from(dir, id))).collect();
    vec![("list", listed(&rows)), ("extract", Value::Array(sessions))]
}

/// A history is understood however its lines end: aider's own sessions and one handoff
/// imported, re-written with CRLF or CR line ends (both Markdown line ends; aider reads them
/// as lines too), a BOM, and lines that each choose their end, list and extract alike.
#[test]
fn every_valid_line_layout_lists_and_extracts_alike() {
    let dir = project_with(FIXTURE.as_bytes());
    inject(&dir, InjectMode::Write, foreign_transcript());
    let original = std::fs::read(dir.path().join(location::HISTORY_FILE)).unwrap();
    assert_eq!(
        observe(&dir, &original)[0].1.as_array().map(Vec::len),
        Some(3)
    );
    let failures = file_differences("history", Format::Text, &original, |bytes| {
        observe(&dir, bytes)
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
