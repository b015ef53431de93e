//! Writing sessions: the rows the client needs, foreign transcripts, and claude→claude round trips.
#![allow(clippy::unwrap_used)] // test helpers unwrap like the tests do

use crate::common::*;
use handoff_adapter_kit::testing::shared_call;
use handoff_claude::{ClaudeAdapter, read};
use handoff_plugin_api::{
    Adapter, INTERRUPTED_OUTPUT, InjectMode, InjectRequest, Injected, Media, Message, Part, Role,
    SessionMeta, Tool, ToolKind, Transcript, Written,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn inject(home: &Path, cwd: &str, mode: InjectMode, transcript: Transcript) -> Injected {
    ClaudeAdapter
        .inject(InjectRequest {
            home: Some(home.display().to_string()),
            cwd: cwd.into(),
            mode,
            transcript,
        })
        .unwrap()
}

fn render(transcript: Transcript) -> (Injected, Vec<Value>) {
    let home = tempfile::tempdir().unwrap();
    let injected = inject(
        home.path(),
        "/home/dev/proj",
        InjectMode::Render,
        transcript,
    );
    let rows = injected
        .rendered
        .as_deref()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (injected, rows)
}

/// Reads rendered JSONL back through the adapter's own reader.
fn parse_back(injected: &Injected) -> Transcript {
    let text = injected.rendered.as_deref().unwrap();
    read::read_session(
        text.as_bytes(),
        Path::new(&injected.path),
        &injected.session_id,
    )
    .unwrap()
    .transcript
}

/// The invariants every written session keeps (what the real client needs to resume it).
fn assert_resumable(injected: &Injected, rows: &[Value]) {
    let text = injected.rendered.as_deref().unwrap();
    assert!(!text.contains("\": "), "compact JSON");
    let conversation: Vec<&Value> = rows.iter().filter(|r| r.get("uuid").is_some()).collect();
    let mut parent = Value::Null;
    let mut calls = Vec::new();
    let mut results = Vec::new();
    for row in &conversation {
        for key in [
            "parentUuid",
            "isSidechain",
            "userType",
            "entrypoint",
            "cwd",
            "sessionId",
            "version",
            "gitBranch",
            "uuid",
            "timestamp",
            "type",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
        assert_eq!(row["entrypoint"], "cli");
        assert_eq!(row["isSidechain"], false);
        assert_eq!(row["sessionId"], injected.session_id.as_str());
        if row["subtype"] == "compact_boundary" {
            assert_eq!(row["parentUuid"], Value::Null);
            assert_eq!(row["logicalParentUuid"], parent);
        } else {
            assert_eq!(row["parentUuid"], parent, "chain broken at {row}");
        }
        parent = row["uuid"].clone();
        if row["type"] == "assistant" {
            let message = &row["message"];
            assert!(message["id"].as_str().unwrap().starts_with("msg_"));
            for key in ["type", "role", "content", "stop_reason", "usage"] {
                assert!(message.get(key).is_some(), "{key} missing in {message}");
            }
            if let Some(model) = message.get("model") {
                assert!(model.as_str().unwrap().starts_with("claude"));
            }
        }
        for block in row["message"]["content"].as_array().into_iter().flatten() {
            match block["type"].as_str() {
                Some("tool_use") => calls.push(block["id"].as_str().unwrap().to_owned()),
                Some("tool_result") => {
                    let id = block["tool_use_id"].as_str().unwrap().to_owned();
                    assert!(calls.contains(&id), "result before its call: {id}");
                    results.push(id);
                }
                _ => {}
            }
        }
    }
    let mut sorted_calls = calls.clone();
    sorted_calls.sort();
    sorted_calls.dedup();
    assert_eq!(sorted_calls.len(), calls.len(), "tool_use ids unique");
    results.sort();
    assert_eq!(results, sorted_calls, "every call has exactly one result");
    // The last conversation row is the newest: it is the leaf the client loads from.
    let times: Vec<&str> = conversation
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "timestamps increase");
    assert!(rows.iter().any(|r| r["type"] == "custom-title"));
}

/// Everything a transfer must keep: texts, calls (name, input), results and images, in order.
fn essentials(transcript: &Transcript) -> Vec<Value> {
    transcript
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .map(|part| match part {
            Part::Text { text } => json!({"text": text}),
            Part::ToolCall { name, input, .. } => json!({"call": name, "input": input}),
            Part::ToolResult {
                output,
                images,
                is_error,
                ..
            } => json!({"result": output, "images": images, "error": is_error}),
            Part::Image(media) => json!({"image": media}),
            Part::Compaction { summary } => json!({"compaction": summary}),
            Part::Reasoning {
                text, signature, ..
            } => json!({"reasoning": text, "sig": signature}),
            Part::File(media) => json!({"file": media}),
        })
        .collect()
}

fn round_trip_sources() -> Vec<PathBuf> {
    let mut files = vec![
        sample("written-by-claude-2.1.330.jsonl"),
        sample("resumes-ok-recommended.jsonl"),
    ];
    for name in [
        "compaction",
        "sidechain",
        "images",
        "parallel",
        "errors",
        "client-written/compaction",
    ] {
        files.push(fixture(&format!("{name}.jsonl")));
    }
    files.extend(real_fixtures());
    files
}

#[test]
fn claude_to_claude_round_trip_keeps_everything() {
    for source in round_trip_sources() {
        let extracted = extract_path(&source).transcript;
        let (injected, rows) = render(extracted.clone());
        assert_resumable(&injected, &rows);
        let back = parse_back(&injected);
        assert_eq!(essentials(&back), essentials(&extracted), "{source:?}");
        let roles = |t: &Transcript| t.messages.iter().map(|m| m.role).collect::<Vec<_>>();
        assert_eq!(roles(&back), roles(&extracted), "{source:?}");
        // Claude's own model and redacted thinking come back too.
        assert_eq!(back.session.model, extracted.session.model, "{source:?}");
        let extras = |t: &Transcript| {
            t.messages
                .iter()
                .map(|m| m.extra.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(extras(&back), extras(&extracted), "{source:?}");
    }
}

fn message(role: Role, model: Option<&str>, parts: Vec<Part>) -> Message {
    let mut message = Message::new(role, parts);
    message.model = model.map(str::to_owned);
    message
}

fn text(text: &str) -> Part {
    Part::Text { text: text.into() }
}

fn call(id: &str, name: &str, input: Value) -> Part {
    Part::ToolCall {
        id: id.into(),
        name: name.into(),
        input,
        tool: Tool::default(),
    }
}

fn result(id: &str, output: &str) -> Part {
    Part::ToolResult {
        call_id: id.into(),
        output: output.into(),
        images: vec![],
        is_error: false,
    }
}

/// A Codex conversation as the host's normalize step hands it over: the unanswered call has the
/// interrupted result, the result whose call was lost is text.
fn foreign_transcript() -> Transcript {
    let session = SessionMeta {
        id: "019a0000-0000-7000-8000-000000000000".into(),
        agent: "codex".into(),
        title: Some("Fix the build".into()),
        model: Some("gpt-5.1-codex".into()),
        ..SessionMeta::default()
    };
    let gpt = Some("gpt-5.1-codex");
    Transcript::new(
        session,
        vec![
            message(
                Role::Developer,
                None,
                vec![text("NOTE: earlier turns were left out")],
            ),
            message(Role::User, None, vec![text("fix the build please")]),
            message(
                Role::Assistant,
                gpt,
                vec![
                    Part::Reasoning {
                        text: "thinking in codex".into(),
                        signature: Some("gAAAAencrypted".into()),
                        provider: Some("openai".into()),
                    },
                    text("Running make."),
                    shared_call(
                        "call_1",
                        "run",
                        ToolKind::Shell,
                        json!({"command": "make", "workdir": "/p"}),
                    ),
                    shared_call(
                        "call_2",
                        "open",
                        ToolKind::Read,
                        json!({"path": "/p/Makefile"}),
                    ),
                    result("call_1", "make: ok"),
                    text("Now the second one."),
                    result("call_2", "all: build"),
                    shared_call(
                        "functions.exec:3",
                        "run",
                        ToolKind::Shell,
                        json!({"command": "ls"}),
                    ),
                    Part::ToolResult {
                        call_id: "functions.exec:3".into(),
                        output: INTERRUPTED_OUTPUT.into(),
                        images: vec![],
                        is_error: true,
                    },
                ],
            ),
            message(
                Role::User,
                None,
                vec![
                    text("[tool output of call call_unknown]\norphan output"),
                    text("thanks"),
                    Part::Image(Media {
                        media_type: "image/png".into(),
                        data_base64: Some("iVBORw0KGgo=".into()),
                        path: None,
                        name: None,
                    }),
                ],
            ),
            message(Role::Assistant, gpt, vec![text("Done.")]),
        ],
    )
}

#[test]
fn foreign_transcripts_become_native_claude_rows() {
    let (injected, rows) = render(foreign_transcript());
    assert_resumable(&injected, &rows);
    let text = injected.rendered.as_deref().unwrap();
    assert!(
        !text.contains("gpt-5.1-codex"),
        "foreign model ids are not written"
    );
    assert!(
        !text.contains("thinking in codex"),
        "foreign reasoning is dropped"
    );
    assert!(!text.contains("\"thinking\""));
    let uses: Vec<&Value> = rows
        .iter()
        .filter(|r| r["type"] == "assistant")
        .flat_map(|r| r["message"]["content"].as_array().unwrap())
        .filter(|b| b["type"] == "tool_use")
        .collect();
    assert_eq!(uses[0]["name"], "Bash");
    assert_eq!(uses[0]["input"]["command"], "make");
    assert_eq!(uses[0]["input"]["workdir"], "/p", "kept under its own name");
    assert_eq!(uses[1]["name"], "Read");
    assert_eq!(uses[1]["input"], json!({"file_path": "/p/Makefile"}));
    // An id the API would refuse is replaced, and its result follows it.
    assert_eq!(uses[2]["name"], "Bash");
    assert!(uses[2]["id"].as_str().unwrap().starts_with("toolu_"));

    let back = parse_back(&injected);
    let order: Vec<String> = back
        .messages
        .iter()
        .flat_map(|m| m.parts.iter().map(move |p| (m.role, p)))
        .map(|(role, part)| match part {
            Part::Text { text } => format!("{role:?}:{text}"),
            Part::ToolCall { name, .. } => format!("{role:?}:call {name}"),
            Part::ToolResult {
                output, is_error, ..
            } => format!("{role:?}:result {output} {is_error}"),
            Part::Image(_) => format!("{role:?}:image"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        order,
        [
            "User:NOTE: earlier turns were left out",
            "User:fix the build please",
            "Assistant:Running make.",
            "Assistant:call Bash",
            "Assistant:call Read",
            // Results of one message's calls come right after it, taken from later when needed.
            "User:result make: ok false",
            "User:result all: build false",
            "Assistant:Now the second one.",
            "Assistant:call Bash",
            "User:result interrupted: the tool call got no result true",
            "User:[tool output of call call_unknown]\norphan output",
            "User:thanks",
            "User:image",
            "Assistant:Done.",
        ]
    );
    assert_eq!(
        back.session.title.as_deref(),
        Some("handoff: Fix the build")
    );
}

#[test]
fn unpaired_input_is_written_without_inventing_results() {
    // Not what the host sends, but a direct caller may: nothing panics, nothing is made up.
    let transcript = Transcript::new(
        SessionMeta::default(),
        vec![
            message(Role::User, None, vec![text("go")]),
            message(
                Role::Assistant,
                None,
                vec![call("call_a", "Bash", json!({}))],
            ),
            message(Role::User, None, vec![result("call_lost", "lost output")]),
            message(Role::Assistant, None, vec![text("Done.")]),
        ],
    );
    let (injected, rows) = render(transcript);
    let text = injected.rendered.as_deref().unwrap();
    assert!(!text.contains("interrupted"), "{text}");
    assert!(!text.contains("tool_result"), "{text}");
    let user_texts: Vec<&Value> = rows
        .iter()
        .filter(|r| r["type"] == "user")
        .map(|r| &r["message"]["content"])
        .collect();
    assert_eq!(
        user_texts,
        [
            &json!("go"),
            &json!("[tool result for call_lost]\nlost output")
        ]
    );
}

#[test]
fn write_creates_a_private_file_where_the_client_looks_and_plan_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let cwd = project.path().canonicalize().unwrap().display().to_string();
    let transcript = extract_path(&fixture("images.jsonl")).transcript;

    let planned = inject(home.path(), &cwd, InjectMode::Plan, transcript.clone());
    assert!(!home.path().join("projects").exists());
    assert!(planned.written.is_empty() && planned.rendered.is_none());

    let injected = inject(home.path(), &cwd, InjectMode::Write, transcript);
    uuid_of(&injected.session_id);
    let expected = home
        .path()
        .join("projects")
        .join(handoff_claude::paths::project_key(&cwd))
        .join(format!("{}.jsonl", injected.session_id));
    assert_eq!(Path::new(&injected.path), expected);
    assert_eq!(
        injected.written,
        [Written::File {
            path: injected.path.clone()
        }]
    );
    assert_eq!(
        injected.resume_command,
        format!("claude --resume {}", injected.session_id)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&expected).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The new session is what the project's latest session now is.
    let latest = ClaudeAdapter
        .extract(handoff_plugin_api::ExtractRequest {
            home: Some(home.path().display().to_string()),
            cwd: Some(cwd.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(latest.transcript.session.id, injected.session_id);
}

fn uuid_of(id: &str) {
    assert_eq!(id.len(), 36);
    assert_eq!(id.as_bytes()[14], b'4', "uuid v4: {id}");
}

#[test]
fn a_transcript_with_nothing_for_the_model_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let only_reasoning = Transcript::new(
        SessionMeta::default(),
        vec![message(
            Role::Assistant,
            None,
            vec![Part::Reasoning {
                text: "unsigned".into(),
                signature: None,
                provider: None,
            }],
        )],
    );
    let err = ClaudeAdapter
        .inject(InjectRequest {
            home: Some(home.path().display().to_string()),
            cwd: "/home/dev/proj".into(),
            mode: InjectMode::Write,
            transcript: only_reasoning,
        })
        .unwrap_err();
    assert_eq!(err.kind, handoff_plugin_api::ErrorKind::InvalidInput);
    assert!(!home.path().join("projects").exists());
}
