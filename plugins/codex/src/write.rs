//! A transcript as a rollout Codex resumes: `session_meta` first (no `model_provider`), a
//! `turn_context` with the project, the history as `response_item` lines with real call/output
//! pairs, and the `event_msg` lines the picker and transcript view show.

use crate::paths;
use crate::state_db::{self, NewThread};
use crate::tools;
use handoff_adapter_kit::fs::{expand_tilde, physical, write_new_file_with};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms};
use handoff_adapter_kit::version;
use handoff_plugin_api::{
    AdapterError, AdapterResult, InjectMode, InjectRequest, Injected, Media, Part, Role, Tool,
    Transcript, Written,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

pub const ORIGINATOR: &str = "codex_cli_rs";
/// `exec` would hide the session from the picker.
const SOURCE: &str = "cli";

/// How a call was written, so its output is written in the matching shape.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CallShape {
    Function,
    Custom,
}

/// A rollout line as Codex writes it, its payload borrowed from the transcript: the lines are
/// encoded straight into the rollout, without a copy of each text in between.
#[derive(Serialize)]
struct Line<'a, P> {
    timestamp: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    payload: P,
}

/// The `response_item` payloads the writer puts down.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Item<'a> {
    Message {
        role: &'a str,
        content: &'a [Content<'a>],
    },
    Reasoning {
        summary: Vec<Summary<'a>>,
        encrypted_content: &'a str,
    },
    CustomToolCall {
        status: &'a str,
        call_id: &'a str,
        name: &'a str,
        input: &'a str,
    },
    FunctionCall {
        name: &'a str,
        arguments: &'a str,
        call_id: &'a str,
    },
    FunctionCallOutput {
        call_id: &'a str,
        output: Output<'a>,
    },
    CustomToolCallOutput {
        call_id: &'a str,
        output: Output<'a>,
    },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Content<'a> {
    InputText { text: Cow<'a, str> },
    InputImage { image_url: String },
    OutputText { text: &'a str },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Summary<'a> {
    SummaryText { text: &'a str },
}

/// A call's output: its text, or its text and images.
#[derive(Serialize)]
#[serde(untagged)]
enum Output<'a> {
    Text(&'a str),
    Items(Vec<Content<'a>>),
}

/// The `event_msg` payloads the picker and transcript view show.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event<'a> {
    UserMessage {
        message: &'a str,
        images: [&'a str; 0],
    },
    AgentMessage {
        message: &'a str,
    },
}

struct Writer<'a, W> {
    out: W,
    timestamp_ms: i64,
    /// `timestamp_ms` as written, formatted once per change.
    timestamp: String,
    /// The transcript is Codex's own: its calls are written as they were.
    native: bool,
    /// Source call id → the id and shape it was written with, for calls whose output has not
    /// been written yet.
    open_calls: HashMap<&'a str, (String, CallShape)>,
    user_content: Vec<Content<'a>>,
    assistant_text: Vec<&'a str>,
    first_user_message: Option<String>,
    synthetic_ids: usize,
}

impl<'a, W: Write> Writer<'a, W> {
    fn line(&mut self, kind: &str, payload: impl Serialize) -> serde_json::Result<()> {
        let line = Line {
            timestamp: &self.timestamp,
            kind,
            payload,
        };
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n").map_err(serde_json::Error::io)
    }

    fn item(&mut self, payload: Item<'_>) -> serde_json::Result<()> {
        self.line("response_item", payload)
    }

    fn set_time(&mut self, ms: i64) {
        if ms != self.timestamp_ms {
            self.timestamp_ms = ms;
            self.timestamp = format_rfc3339_ms(ms);
        }
    }

    fn flush_user(&mut self) -> serde_json::Result<()> {
        if self.user_content.is_empty() {
            return Ok(());
        }
        let content = std::mem::take(&mut self.user_content);
        let text: Vec<&str> = content
            .iter()
            .filter_map(|c| match c {
                Content::InputText { text } => Some(text.as_ref()),
                _ => None,
            })
            .collect();
        let text = text.join("\n");
        self.item(Item::Message {
            role: "user",
            content: &content,
        })?;
        if !text.is_empty() {
            self.line(
                "event_msg",
                Event::UserMessage {
                    message: &text,
                    images: [],
                },
            )?;
            if self.first_user_message.is_none() {
                self.first_user_message = Some(text);
            }
        }
        Ok(())
    }

    fn flush_assistant(&mut self) -> serde_json::Result<()> {
        if self.assistant_text.is_empty() {
            return Ok(());
        }
        let texts = std::mem::take(&mut self.assistant_text);
        let content: Vec<Content<'_>> = texts
            .iter()
            .map(|text| Content::OutputText { text })
            .collect();
        self.item(Item::Message {
            role: "assistant",
            content: &content,
        })?;
        self.line(
            "event_msg",
            Event::AgentMessage {
                message: &texts.join("\n\n"),
            },
        )
    }

    fn flush(&mut self) -> serde_json::Result<()> {
        self.flush_user()?;
        self.flush_assistant()
    }

    fn user_text(&mut self, text: Cow<'a, str>) {
        if !text.trim().is_empty() {
            self.user_content.push(Content::InputText { text });
        }
    }

    fn user_media(&mut self, media: &Media, what: &str) {
        match image_url(media) {
            Some(url) if what == "image" => self
                .user_content
                .push(Content::InputImage { image_url: url }),
            _ => {
                let name = media
                    .name
                    .as_deref()
                    .or(media.path.as_deref())
                    .unwrap_or(&media.media_type);
                self.user_text(Cow::Owned(format!("[{what}: {name}]")));
            }
        }
    }

    fn part(&mut self, role: Role, part: &'a Part) -> serde_json::Result<()> {
        match part {
            Part::Text { text } if role == Role::User => {
                self.flush_assistant()?;
                self.user_text(Cow::Borrowed(text));
            }
            Part::Text { text } => {
                self.flush_user()?;
                if !text.trim().is_empty() {
                    self.assistant_text.push(text);
                }
            }
            Part::Image(media) => {
                // Codex takes images as user input only.
                self.flush_assistant()?;
                self.user_media(media, "image");
            }
            Part::File(media) => {
                self.flush_assistant()?;
                self.user_media(media, "file");
            }
            Part::Compaction { summary } => {
                self.flush_assistant()?;
                self.user_text(Cow::Borrowed(summary));
            }
            Part::Reasoning {
                text,
                signature: Some(signature),
                provider: Some(provider),
            } if provider == "openai" => {
                self.flush()?;
                let summary = if text.is_empty() {
                    Vec::new()
                } else {
                    vec![Summary::SummaryText { text }]
                };
                self.item(Item::Reasoning {
                    summary,
                    encrypted_content: signature,
                })?;
            }
            // Reasoning Codex cannot verify is not forged into a reasoning item.
            Part::Reasoning { .. } => {}
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                self.flush()?;
                self.call(id, name, input, tool)?;
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                ..
            } => {
                self.flush()?;
                self.result(call_id, output, images)?;
            }
        }
        Ok(())
    }

    fn call(
        &mut self,
        id: &'a str,
        name: &str,
        input: &Value,
        tool: &Tool,
    ) -> serde_json::Result<()> {
        let call_id = if id.is_empty() {
            self.synthetic_ids += 1;
            format!("call_handoff_{}", self.synthetic_ids)
        } else {
            id.to_owned()
        };
        let (name, input) = tools::to_native(self.native, name, input, tool);
        let shape = match input {
            Value::String(text) => {
                self.item(Item::CustomToolCall {
                    status: "completed",
                    call_id: &call_id,
                    name: &name,
                    input: &text,
                })?;
                CallShape::Custom
            }
            arguments => {
                self.item(Item::FunctionCall {
                    name: &name,
                    arguments: &arguments.to_string(),
                    call_id: &call_id,
                })?;
                CallShape::Function
            }
        };
        self.open_calls.insert(id, (call_id, shape));
        Ok(())
    }

    fn result(&mut self, call_id: &str, output: &str, images: &[Media]) -> serde_json::Result<()> {
        // A result without its call (or a second one) has nothing to answer.
        let Some((written_id, shape)) = self.open_calls.remove(call_id) else {
            return Ok(());
        };
        let urls: Vec<String> = images.iter().filter_map(image_url).collect();
        let output = if urls.is_empty() || shape == CallShape::Custom {
            Output::Text(output)
        } else {
            let mut items = vec![Content::InputText {
                text: Cow::Borrowed(output),
            }];
            items.extend(
                urls.into_iter()
                    .map(|image_url| Content::InputImage { image_url }),
            );
            Output::Items(items)
        };
        let call_id = &written_id;
        self.item(match shape {
            CallShape::Function => Item::FunctionCallOutput { call_id, output },
            CallShape::Custom => Item::CustomToolCallOutput { call_id, output },
        })
    }
}

/// The `image_url` of inline or remote media; local paths have none.
fn image_url(media: &Media) -> Option<String> {
    match (&media.data_base64, &media.path) {
        (Some(data), _) => Some(format!("data:{};base64,{data}", media.media_type)),
        (None, Some(path)) if path.starts_with("https://") || path.starts_with("http://") => {
            Some(path.clone())
        }
        _ => None,
    }
}

/// The rollout text of `transcript` as session `id` of project `cwd`, created at `now_ms` by
/// Codex `cli_version`.
pub fn render(
    transcript: &Transcript,
    id: &str,
    cwd: &str,
    now_ms: i64,
    cli_version: &str,
) -> AdapterResult<String> {
    let mut out = Vec::new();
    render_into(&mut out, transcript, id, cwd, now_ms, cli_version)
        .map_err(|e| AdapterError::internal(format!("codex: cannot encode the rollout: {e}")))?;
    String::from_utf8(out)
        .map_err(|e| AdapterError::internal(format!("codex: the rollout is not UTF-8: {e}")))
}

/// Writes the rollout of `transcript` into `out` line by line; answers the first user text
/// written, for the thread index's title and preview.
fn render_into(
    out: impl Write,
    transcript: &Transcript,
    id: &str,
    cwd: &str,
    now_ms: i64,
    cli_version: &str,
) -> serde_json::Result<Option<String>> {
    let created = format_rfc3339_ms(now_ms);
    let mut writer = Writer {
        out,
        timestamp_ms: now_ms,
        timestamp: created.clone(),
        native: transcript.session.agent == "codex",
        open_calls: HashMap::new(),
        user_content: Vec::new(),
        assistant_text: Vec::new(),
        first_user_message: None,
        synthetic_ids: 0,
    };
    writer.line(
        "session_meta",
        json!({
            "id": id,
            "timestamp": created,
            "cwd": cwd,
            "originator": ORIGINATOR,
            "cli_version": cli_version,
            "source": SOURCE,
        }),
    )?;
    writer.line("turn_context", json!({"cwd": cwd}))?;
    for message in &transcript.messages {
        if matches!(message.role, Role::System | Role::Developer) {
            // Another agent's instructions are not Codex's; Codex brings its own.
            continue;
        }
        writer.flush()?;
        if let Some(ms) = message.timestamp_ms {
            writer.set_time(ms);
        }
        for part in &message.parts {
            writer.part(message.role, part)?;
        }
    }
    writer.flush()?;
    Ok(writer.first_user_message)
}

/// The Codex version the newest rollout on this machine was written by.
fn newest_claimed_version(home: &Path) -> Option<String> {
    let newest = paths::rollout_files(&paths::sessions_dir(home))
        .into_iter()
        .max_by_key(|file| file.modified_ms)?;
    version::claimed_in(&newest.path, |line| {
        (line.get("type")?.as_str()? == "session_meta")
            .then(|| line.get("payload")?.get("cli_version")?.as_str())?
    })
}

/// Writes (or plans, or renders) `request.transcript` as a new Codex session.
pub fn inject(request: &InjectRequest) -> AdapterResult<Injected> {
    let home = paths::home(request.home.as_deref());
    let now = now_ms();
    let id = uuid::Uuid::now_v7().to_string();
    let path = paths::new_rollout_path(&home, &id, now);
    let cwd = physical(&expand_tilde(&request.cwd)).display().to_string();
    let mut injected = Injected {
        session_id: id.clone(),
        path: path.display().to_string(),
        resume_command: format!("codex resume {id}"),
        written: Vec::new(),
        ..Injected::default()
    };
    if request.mode == InjectMode::Plan {
        return Ok(injected);
    }
    let cli_version = version::stamp(newest_claimed_version(&home), crate::VERIFIED_CLIENTS);
    if request.mode == InjectMode::Render {
        injected.rendered = Some(render(&request.transcript, &id, &cwd, now, &cli_version)?);
        return Ok(injected);
    }
    // Encoded straight into the new file: the rollout is never held whole as well.
    let mut first_user_message = None;
    write_new_file_with(&home, &path, |out| {
        first_user_message = render_into(out, &request.transcript, &id, &cwd, now, &cli_version)
            .map_err(|e| AdapterError::io(path.display(), e))?;
        Ok(())
    })?;
    injected.written.push(Written::File {
        path: injected.path.clone(),
    });
    if let Some(db) = state_db::find(&home) {
        let title = first_user_message
            .or_else(|| request.transcript.session.title.clone())
            .unwrap_or_else(|| "handoff".into());
        let provider = state_db::configured_provider(&home);
        let thread = NewThread {
            id: &id,
            rollout_path: &injected.path,
            cwd: &cwd,
            first_user_message: &title,
            created_ms: now,
            model_provider: &provider,
            cli_version: &cli_version,
            originator: ORIGINATOR,
            source: SOURCE,
        };
        // A refused or failing index leaves a rollout that still resumes by id (Codex searches
        // the files and indexes it then); only `resume --last` misses it until then.
        match state_db::register(&db, &thread) {
            Ok(Ok(())) => injected.written.push(Written::Rows {
                path: db.display().to_string(),
                table: state_db::TABLE.into(),
                ids: vec![id],
            }),
            Ok(Err(refused)) => injected.warnings.push(format!(
                "{}; `codex resume {id}` works, `codex resume --last` will not list it until Codex indexes it",
                refused.0
            )),
            Err(e) => injected.warnings.push(format!(
                "{e}; `codex resume {id}` works, `codex resume --last` will not list it until Codex indexes it"
            )),
        }
    }
    Ok(injected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{Message, SessionMeta};

    #[test]
    fn unpaired_input_is_written_without_inventing_outputs() {
        // Not what the host sends, but a direct caller may: nothing panics, nothing is made up.
        let call = Part::ToolCall {
            id: "call_a".into(),
            name: "shell".into(),
            input: json!({"command": ["ls"]}),
            tool: Tool::default(),
        };
        let lost = Part::ToolResult {
            call_id: "call_lost".into(),
            output: "lost output".into(),
            images: Vec::new(),
            is_error: false,
        };
        let transcript = Transcript::new(
            SessionMeta::default(),
            vec![
                Message::new(Role::Assistant, vec![call]),
                Message::new(Role::User, vec![lost]),
            ],
        );
        let text = render(&transcript, "id", "/p", 0, "0.169.0").unwrap();
        assert!(text.contains(r#""type":"function_call""#), "{text}");
        assert!(!text.contains("function_call_output"), "{text}");
        assert!(!text.contains("interrupted"), "{text}");
    }
}
