//! A transcript as a rollout Codex resumes: `session_meta` first (no `model_provider`), a
//! `turn_context` with the project, the history as `response_item` lines with real call/output
//! pairs, and the `event_msg` lines the picker and transcript view show.

use crate::paths;
use crate::state_db::{self, NewThread};
use crate::tools;
use handoff_adapter_kit::fs::{expand_tilde, physical, write_new_file};
use handoff_adapter_kit::time::{format_rfc3339_ms, now_ms};
use handoff_adapter_kit::version;
use handoff_plugin_api::{
    AdapterResult, InjectMode, InjectRequest, Injected, Media, Part, Role, Tool, Transcript,
    Written,
};
use serde_json::{Value, json};
use std::collections::HashMap;
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

pub struct Rendered {
    pub text: String,
    /// The first user text written, for the thread index's title and preview.
    pub first_user_message: Option<String>,
}

struct Writer {
    lines: Vec<String>,
    timestamp_ms: i64,
    /// The transcript is Codex's own: its calls are written as they were.
    native: bool,
    /// Source call id → the id and shape it was written with, for calls whose output has not
    /// been written yet.
    open_calls: HashMap<String, (String, CallShape)>,
    user_content: Vec<Value>,
    assistant_text: Vec<String>,
    first_user_message: Option<String>,
    synthetic_ids: usize,
}

impl Writer {
    fn line(&mut self, kind: &str, payload: Value) {
        let line = json!({
            "timestamp": format_rfc3339_ms(self.timestamp_ms),
            "type": kind,
            "payload": payload,
        });
        self.lines.push(line.to_string());
    }

    fn item(&mut self, payload: Value) {
        self.line("response_item", payload);
    }

    fn flush_user(&mut self) {
        if self.user_content.is_empty() {
            return;
        }
        let content = std::mem::take(&mut self.user_content);
        let text: Vec<&str> = content
            .iter()
            .filter_map(|c| c.get("text").and_then(Value::as_str))
            .collect();
        let text = text.join("\n");
        self.item(json!({"type": "message", "role": "user", "content": content}));
        if !text.is_empty() {
            if self.first_user_message.is_none() {
                self.first_user_message = Some(text.clone());
            }
            self.line(
                "event_msg",
                json!({"type": "user_message", "message": text, "images": []}),
            );
        }
    }

    fn flush_assistant(&mut self) {
        if self.assistant_text.is_empty() {
            return;
        }
        let texts = std::mem::take(&mut self.assistant_text);
        let content: Vec<Value> = texts
            .iter()
            .map(|t| json!({"type": "output_text", "text": t}))
            .collect();
        self.item(json!({"type": "message", "role": "assistant", "content": content}));
        self.line(
            "event_msg",
            json!({"type": "agent_message", "message": texts.join("\n\n")}),
        );
    }

    fn flush(&mut self) {
        self.flush_user();
        self.flush_assistant();
    }

    fn user_text(&mut self, text: &str) {
        if !text.trim().is_empty() {
            self.user_content
                .push(json!({"type": "input_text", "text": text}));
        }
    }

    fn user_media(&mut self, media: &Media, what: &str) {
        match image_url(media) {
            Some(url) if what == "image" => self
                .user_content
                .push(json!({"type": "input_image", "image_url": url})),
            _ => {
                let name = media
                    .name
                    .as_deref()
                    .or(media.path.as_deref())
                    .unwrap_or(&media.media_type);
                self.user_text(&format!("[{what}: {name}]"));
            }
        }
    }

    fn part(&mut self, role: Role, part: &Part) {
        match part {
            Part::Text { text } if role == Role::User => {
                self.flush_assistant();
                self.user_text(text);
            }
            Part::Text { text } => {
                self.flush_user();
                if !text.trim().is_empty() {
                    self.assistant_text.push(text.clone());
                }
            }
            Part::Image(media) => {
                // Codex takes images as user input only.
                self.flush_assistant();
                self.user_media(media, "image");
            }
            Part::File(media) => {
                self.flush_assistant();
                self.user_media(media, "file");
            }
            Part::Compaction { summary } => {
                self.flush_assistant();
                self.user_text(summary);
            }
            Part::Reasoning {
                text,
                signature: Some(signature),
                provider: Some(provider),
            } if provider == "openai" => {
                self.flush();
                let summary: Vec<Value> = if text.is_empty() {
                    Vec::new()
                } else {
                    vec![json!({"type": "summary_text", "text": text})]
                };
                self.item(json!({
                    "type": "reasoning",
                    "summary": summary,
                    "encrypted_content": signature,
                }));
            }
            // Reasoning Codex cannot verify is not forged into a reasoning item.
            Part::Reasoning { .. } => {}
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                self.flush();
                self.call(id, name, input, tool);
            }
            Part::ToolResult {
                call_id,
                output,
                images,
                ..
            } => {
                self.flush();
                self.result(call_id, output, images);
            }
        }
    }

    fn call(&mut self, id: &str, name: &str, input: &Value, tool: &Tool) {
        let call_id = if id.is_empty() {
            self.synthetic_ids += 1;
            format!("call_handoff_{}", self.synthetic_ids)
        } else {
            id.to_owned()
        };
        let (name, input) = tools::to_native(self.native, name, input, tool);
        let shape = match input {
            Value::String(text) => {
                self.item(json!({
                    "type": "custom_tool_call",
                    "status": "completed",
                    "call_id": call_id,
                    "name": name,
                    "input": text,
                }));
                CallShape::Custom
            }
            arguments => {
                self.item(json!({
                    "type": "function_call",
                    "name": name,
                    "arguments": arguments.to_string(),
                    "call_id": call_id,
                }));
                CallShape::Function
            }
        };
        self.open_calls.insert(id.to_owned(), (call_id, shape));
    }

    fn result(&mut self, call_id: &str, output: &str, images: &[Media]) {
        // A result without its call (or a second one) has nothing to answer.
        let Some((written_id, shape)) = self.open_calls.remove(call_id) else {
            return;
        };
        let urls: Vec<String> = images.iter().filter_map(image_url).collect();
        let value = if urls.is_empty() || shape == CallShape::Custom {
            Value::String(output.to_owned())
        } else {
            let mut items = vec![json!({"type": "input_text", "text": output})];
            items.extend(
                urls.into_iter()
                    .map(|url| json!({"type": "input_image", "image_url": url})),
            );
            Value::Array(items)
        };
        let kind = match shape {
            CallShape::Function => "function_call_output",
            CallShape::Custom => "custom_tool_call_output",
        };
        self.item(json!({"type": kind, "call_id": written_id, "output": value}));
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
) -> Rendered {
    let mut writer = Writer {
        lines: Vec::new(),
        timestamp_ms: now_ms,
        native: transcript.session.agent == "codex",
        open_calls: HashMap::new(),
        user_content: Vec::new(),
        assistant_text: Vec::new(),
        first_user_message: None,
        synthetic_ids: 0,
    };
    let created = format_rfc3339_ms(now_ms);
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
    );
    writer.line("turn_context", json!({"cwd": cwd}));
    for message in &transcript.messages {
        if matches!(message.role, Role::System | Role::Developer) {
            // Another agent's instructions are not Codex's; Codex brings its own.
            continue;
        }
        writer.flush();
        if let Some(ms) = message.timestamp_ms {
            writer.timestamp_ms = ms;
        }
        for part in &message.parts {
            writer.part(message.role, part);
        }
    }
    writer.flush();
    let mut text = writer.lines.join("\n");
    text.push('\n');
    Rendered {
        text,
        first_user_message: writer.first_user_message,
    }
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
    let rendered = render(&request.transcript, &id, &cwd, now, &cli_version);
    if request.mode == InjectMode::Render {
        injected.rendered = Some(rendered.text);
        return Ok(injected);
    }
    write_new_file(&home, &path, rendered.text.as_bytes())?;
    injected.written.push(Written::File {
        path: injected.path.clone(),
    });
    if let Some(db) = state_db::find(&home) {
        let title = rendered
            .first_user_message
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
        let text = render(&transcript, "id", "/p", 0, "0.169.0").text;
        assert!(text.contains(r#""type":"function_call""#), "{text}");
        assert!(!text.contains("function_call_output"), "{text}");
        assert!(!text.contains("interrupted"), "{text}");
    }
}
