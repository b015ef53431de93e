//! The transcript model → a session in OpenCode's own layout, independent of where it is stored.
//!
//! OpenCode's layout of a turn: a user message (with `agent` and `model`), then one assistant
//! message per model step: `[step-start, reasoning/text…, tool…, step-finish]`, `finish:
//! "tool-calls"` when the step called tools, the tool parts holding their results (`completed` /
//! `error` with `time.start/end`), and the next step in a new assistant message. Part order is kept
//! exactly: text that follows a tool call starts a new step.

use crate::tools;
use handoff_adapter_kit::text::first_user_line;
use handoff_plugin_api::{AdapterError, Media, Message, Part, Role, Transcript};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

use crate::app::App;
use crate::config::{ModelKnowledge, ModelRef};
use crate::ids::IdGen;
use crate::project_id::ProjectRef;

#[derive(Debug, Clone)]
pub struct NativeSession {
    pub id: String,
    /// The client version the session claims (the one whose layout the writer follows).
    pub version: &'static str,
    pub project: ProjectRef,
    pub directory: String,
    pub title: String,
    pub slug: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub messages: Vec<NativeMessage>,
}

/// A message row: `info` is the message JSON without `id`/`sessionID`.
#[derive(Debug, Clone)]
pub struct NativeMessage {
    pub id: String,
    pub created_ms: i64,
    pub info: Map<String, Value>,
    pub parts: Vec<NativePart>,
}

/// A part row: `data` is the part JSON without `id`/`sessionID`/`messageID`.
#[derive(Debug, Clone)]
pub struct NativePart {
    pub id: String,
    pub created_ms: i64,
    pub data: Map<String, Value>,
}

impl NativeSession {
    /// The session as `opencode export` prints it (and `opencode import` takes it).
    pub fn export(&self) -> Value {
        let messages: Vec<Value> = self
            .messages
            .iter()
            .map(|m| {
                json!({
                    "info": self.message_json(m),
                    "parts": m.parts.iter().map(|p| self.part_json(m, p)).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"info": self.info_json(), "messages": messages})
    }

    /// The session's own record (`info` of the export, a session file of the JSON tree).
    pub fn info_json(&self) -> Value {
        json!({
            "id": self.id,
            "slug": self.slug,
            "projectID": self.project.id,
            "directory": self.directory,
            "title": self.title,
            "version": self.version,
            "time": {"created": self.created_ms, "updated": self.updated_ms},
        })
    }

    pub fn message_json(&self, message: &NativeMessage) -> Value {
        let mut info = Map::new();
        info.insert("id".into(), json!(message.id));
        info.insert("sessionID".into(), json!(self.id));
        info.extend(message.info.clone());
        Value::Object(info)
    }

    pub fn part_json(&self, message: &NativeMessage, part: &NativePart) -> Value {
        let mut data = Map::new();
        data.insert("id".into(), json!(part.id));
        data.insert("sessionID".into(), json!(self.id));
        data.insert("messageID".into(), json!(message.id));
        data.extend(part.data.clone());
        Value::Object(data)
    }
}

/// Where the session goes.
pub struct Target<'a> {
    pub app: &'a App,
    /// The physical project directory: `session.directory` and `path.cwd`.
    pub directory: &'a str,
    pub project: ProjectRef,
    pub models: &'a ModelKnowledge,
    pub now_ms: i64,
}

pub fn build(transcript: &Transcript, target: &Target<'_>) -> Result<NativeSession, AdapterError> {
    let mut ids = IdGen::default();
    let session_id = ids.descending("ses", target.now_ms)?;
    let source_model = transcript.session.model.clone().or_else(|| {
        transcript
            .messages
            .iter()
            .rev()
            .find_map(|m| m.model.clone())
    });
    let chosen = target.models.choose(source_model.as_deref());
    let assistant_model = chosen.clone().unwrap_or_else(|| ModelRef {
        provider: transcript.session.agent.clone(),
        model: source_model.clone().unwrap_or_else(|| "unknown".into()),
    });
    let first_ms = transcript
        .messages
        .iter()
        .find_map(|m| m.timestamp_ms)
        .unwrap_or(target.now_ms)
        .min(target.now_ms);
    let mut builder = Builder {
        ids,
        session_id: session_id.clone(),
        target,
        user_model: chosen,
        assistant_model,
        clock: first_ms,
        messages: Vec::new(),
        last_user: None,
        open_step: None,
        calls: HashMap::new(),
        source_agent: transcript.session.agent.clone(),
    };
    for message in &transcript.messages {
        builder.add(message)?;
    }
    builder.close_step()?;

    let title = transcript
        .session
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| first_user_line(&transcript.messages))
        .unwrap_or_else(|| format!("Imported from {}", transcript.session.agent));
    Ok(NativeSession {
        id: session_id,
        version: target.app.version,
        project: target.project.clone(),
        directory: target.directory.to_owned(),
        title,
        slug: "handoff".into(),
        created_ms: target.now_ms,
        updated_ms: target.now_ms,
        messages: builder.messages,
    })
}

#[derive(Clone, Copy)]
struct Call {
    message: usize,
    part: usize,
    start: i64,
}

struct Builder<'a> {
    ids: IdGen,
    session_id: String,
    target: &'a Target<'a>,
    user_model: Option<ModelRef>,
    assistant_model: ModelRef,
    /// Time of the latest record: never decreases, never passes now.
    clock: i64,
    messages: Vec<NativeMessage>,
    last_user: Option<String>,
    /// Index of the assistant message of the step being written.
    open_step: Option<usize>,
    /// Tool call id → where its tool part is and when it was called, for calls whose result
    /// has not been joined into their part yet.
    calls: HashMap<String, Call>,
    source_agent: String,
}

impl Builder<'_> {
    fn add(&mut self, message: &Message) -> Result<(), AdapterError> {
        if let Some(ms) = message.timestamp_ms {
            self.clock = self.clock.max(ms.min(self.target.now_ms));
        }
        match message.role {
            Role::User => self.add_user(message),
            Role::Assistant => self.add_assistant(message),
            // Instructions of the source agent are not part of the conversation.
            Role::System | Role::Developer => Ok(()),
        }
    }

    fn add_user(&mut self, message: &Message) -> Result<(), AdapterError> {
        // One OpenCode user message per source message, made on its first visible part (a
        // message of tool results only makes none).
        let mut current: Option<usize> = None;
        for part in &message.parts {
            let data = match part {
                Part::Text { text } if !text.is_empty() => json!({"type": "text", "text": text}),
                Part::Image(media) | Part::File(media) => match file_part(media) {
                    Some(data) => Value::Object(data),
                    None => continue,
                },
                Part::ToolResult { .. } => {
                    self.add_result(part)?;
                    continue;
                }
                Part::Compaction { summary } => {
                    self.add_compaction(summary)?;
                    current = None;
                    continue;
                }
                // Calls and reasoning only come from the model.
                Part::ToolCall { .. } | Part::Reasoning { .. } => {
                    self.add_assistant_part(part)?;
                    current = None;
                    continue;
                }
                Part::Text { .. } => continue,
            };
            let index = match current {
                Some(index) => index,
                None => {
                    let index = self.new_user_message()?;
                    current = Some(index);
                    index
                }
            };
            self.push_part(index, data)?;
        }
        Ok(())
    }

    fn add_assistant(&mut self, message: &Message) -> Result<(), AdapterError> {
        for part in &message.parts {
            self.add_assistant_part(part)?;
        }
        Ok(())
    }

    fn add_assistant_part(&mut self, part: &Part) -> Result<(), AdapterError> {
        match part {
            Part::Text { text } if !text.is_empty() => {
                let index = self.step_for_content()?;
                self.push_part(index, json!({"type": "text", "text": text}))?;
                Ok(())
            }
            Part::Reasoning { text, .. } if !text.is_empty() => {
                // OpenCode reasoning is unsigned: any provider's reasoning is written as is.
                let index = self.step_for_content()?;
                let time = json!({"start": self.clock, "end": self.clock});
                self.push_part(
                    index,
                    json!({"type": "reasoning", "text": text, "time": time}),
                )?;
                Ok(())
            }
            Part::ToolCall {
                id,
                name,
                input,
                tool,
            } => {
                let index = self.step()?;
                let own = self.source_agent == self.target.app.name;
                let (tool, input) = tools::to_native(own, name, input, tool);
                let state = json!({"status": "pending", "input": input, "raw": ""});
                let data = json!({"type": "tool", "callID": id, "tool": tool, "state": state});
                let part = self.push_part(index, data)?;
                let call = Call {
                    message: index,
                    part,
                    start: self.clock,
                };
                self.calls.insert(id.clone(), call);
                Ok(())
            }
            Part::ToolResult { .. } => self.add_result(part),
            Part::Image(media) | Part::File(media) => match file_part(media) {
                Some(data) => {
                    let index = self.step_for_content()?;
                    self.push_part(index, Value::Object(data))?;
                    Ok(())
                }
                None => Ok(()),
            },
            Part::Compaction { summary } => self.add_compaction(summary),
            Part::Text { .. } | Part::Reasoning { .. } => Ok(()),
        }
    }

    /// Fills the tool part of the call this result answers. A result whose call is unknown (or
    /// was answered already) becomes user text, so what it said is not lost.
    fn add_result(&mut self, part: &Part) -> Result<(), AdapterError> {
        let Part::ToolResult {
            call_id,
            output,
            images,
            is_error,
        } = part
        else {
            return Ok(());
        };
        let Some(call) = self.calls.remove(call_id) else {
            let index = self.new_user_message()?;
            let text = format!("[result of tool call {call_id}]\n{output}");
            self.push_part(index, json!({"type": "text", "text": text}))?;
            return Ok(());
        };
        let end = self.clock;
        let message_id = self.message_id(call.message);
        let mut attachments = Vec::new();
        for image in images {
            if let Some(mut data) = file_part(image) {
                data.insert("id".into(), json!(self.ids.ascending("prt", end)?));
                data.insert("sessionID".into(), json!(self.session_id));
                data.insert("messageID".into(), json!(message_id));
                attachments.push(Value::Object(data));
            }
        }
        let Some(tool) = self.tool_part(call) else {
            return Ok(());
        };
        let start = call.start;
        let input = tool
            .get("state")
            .and_then(|s| s.get("input"))
            .cloned()
            .unwrap_or_else(|| json!({}));
        let title = tool_title(tool.get("tool").and_then(Value::as_str), &input);
        let time = json!({"start": start, "end": end.max(start)});
        let state = if *is_error {
            json!({"status": "error", "input": input, "error": output, "time": time})
        } else {
            let mut state = json!({
                "status": "completed", "input": input, "output": output, "title": title,
                "metadata": {}, "time": time,
            });
            if !attachments.is_empty() {
                state["attachments"] = Value::Array(attachments);
            }
            state
        };
        tool.insert("state".into(), state);
        // Results come after the model's response: whatever the model does next is a new step.
        if self.open_step == Some(call.message) {
            self.close_step()?;
        }
        Ok(())
    }

    fn tool_part(&mut self, call: Call) -> Option<&mut Map<String, Value>> {
        self.messages
            .get_mut(call.message)
            .and_then(|m| m.parts.get_mut(call.part))
            .map(|p| &mut p.data)
    }

    fn message_id(&self, index: usize) -> String {
        self.messages
            .get(index)
            .map(|m| m.id.clone())
            .unwrap_or_default()
    }

    /// OpenCode's compaction: a user message holding a `compaction` part, answered by an
    /// assistant `summary` message. The model then sees the summary instead of what came before.
    fn add_compaction(&mut self, summary: &str) -> Result<(), AdapterError> {
        let user = self.new_user_message()?;
        self.push_part(user, json!({"type": "compaction", "auto": true}))?;
        let index = self.open_assistant()?;
        if let Some(info) = self.messages.get_mut(index).map(|m| &mut m.info) {
            info.insert("summary".into(), json!(true));
            info.insert("mode".into(), json!("compaction"));
            info.insert("agent".into(), json!("compaction"));
        }
        self.push_part(index, json!({"type": "text", "text": summary}))?;
        self.close_step()
    }

    /// The open step, or a new one.
    fn step(&mut self) -> Result<usize, AdapterError> {
        match self.open_step {
            Some(index) => Ok(index),
            None => self.open_assistant(),
        }
    }

    /// The step for text or reasoning: content after a tool call belongs to the next step.
    fn step_for_content(&mut self) -> Result<usize, AdapterError> {
        if let Some(index) = self.open_step
            && self.step_has_tools(index)
        {
            self.close_step()?;
        }
        self.step()
    }

    fn step_has_tools(&self, index: usize) -> bool {
        self.messages.get(index).is_some_and(|m| {
            m.parts
                .iter()
                .any(|p| p.data.get("type") == Some(&json!("tool")))
        })
    }

    fn open_assistant(&mut self) -> Result<usize, AdapterError> {
        self.close_step()?;
        let parent = match self.last_user.clone() {
            Some(parent) => parent,
            None => {
                // A conversation that starts with the model still needs a user turn to answer.
                let index = self.new_user_message()?;
                let text = format!("[conversation imported from {}]", self.source_agent);
                self.push_part(index, json!({"type": "text", "text": text}))?;
                self.message_id(index)
            }
        };
        let id = self.ids.ascending("msg", self.clock)?;
        let root = self.target.project.worktree.clone();
        let root = if root == "/" {
            self.target.directory.to_owned()
        } else {
            root
        };
        let info = json!({
            "role": "assistant",
            "time": {"created": self.clock},
            "parentID": parent,
            "modelID": self.assistant_model.model,
            "providerID": self.assistant_model.provider,
            "mode": self.target.app.agent,
            "agent": self.target.app.agent,
            "path": {"cwd": self.target.directory, "root": root},
            "cost": 0,
            "tokens": zero_tokens(),
        });
        self.messages.push(NativeMessage {
            id,
            created_ms: self.clock,
            info: into_map(info),
            parts: Vec::new(),
        });
        let index = self.messages.len() - 1;
        self.open_step = Some(index);
        self.push_part(index, json!({"type": "step-start"}))?;
        Ok(index)
    }

    fn close_step(&mut self) -> Result<(), AdapterError> {
        let Some(index) = self.open_step.take() else {
            return Ok(());
        };
        let reason = if self.step_has_tools(index) {
            "tool-calls"
        } else {
            "stop"
        };
        let finish =
            json!({"type": "step-finish", "reason": reason, "cost": 0, "tokens": zero_tokens()});
        self.push_part(index, finish)?;
        let clock = self.clock;
        if let Some(info) = self.messages.get_mut(index).map(|m| &mut m.info) {
            info.insert("finish".into(), json!(reason));
            if let Some(time) = info.get_mut("time").and_then(Value::as_object_mut) {
                time.insert("completed".into(), json!(clock));
            }
        }
        Ok(())
    }

    fn new_user_message(&mut self) -> Result<usize, AdapterError> {
        self.close_step()?;
        let id = self.ids.ascending("msg", self.clock)?;
        let agent = self.target.app.agent;
        let mut info = json!({"role": "user", "time": {"created": self.clock}, "agent": agent});
        if let Some(model) = &self.user_model {
            info["model"] = json!({"providerID": model.provider, "modelID": model.model});
        }
        self.last_user = Some(id.clone());
        self.messages.push(NativeMessage {
            id,
            created_ms: self.clock,
            info: into_map(info),
            parts: Vec::new(),
        });
        Ok(self.messages.len() - 1)
    }

    /// Appends a part to a message; its index in the message.
    fn push_part(&mut self, message_index: usize, data: Value) -> Result<usize, AdapterError> {
        let id = self.ids.ascending("prt", self.clock)?;
        let data = into_map(data);
        let clock = self.clock;
        let message = self
            .messages
            .get_mut(message_index)
            .ok_or_else(|| AdapterError::internal("opencode: part for a missing message"))?;
        message.parts.push(NativePart {
            id,
            created_ms: clock,
            data,
        });
        Ok(message.parts.len() - 1)
    }
}

fn zero_tokens() -> Value {
    json!({"input": 0, "output": 0, "reasoning": 0, "cache": {"read": 0, "write": 0}})
}

fn into_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A `file` part: inline bytes as a data URL, a path as a file URL.
fn file_part(media: &Media) -> Option<Map<String, Value>> {
    let url = match (&media.data_base64, &media.path) {
        (Some(data), _) => format!("data:{};base64,{data}", media.media_type),
        (None, Some(path)) if path.contains("://") => path.clone(),
        (None, Some(path)) => format!("file://{path}"),
        (None, None) => return None,
    };
    let mut data = json!({"type": "file", "mime": media.media_type, "url": url});
    if let Some(name) = media.name.clone().or_else(|| {
        media
            .path
            .as_deref()
            .and_then(|p| p.rsplit('/').next())
            .map(str::to_owned)
    }) {
        data["filename"] = json!(name);
    }
    Some(into_map(data))
}

fn tool_title(tool: Option<&str>, input: &Value) -> String {
    let from = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_owned);
    match tool {
        Some("bash") => from("description").or_else(|| from("command")),
        Some("read" | "write" | "edit") => from("filePath"),
        Some("glob" | "grep") => from("pattern"),
        Some("webfetch") => from("url"),
        _ => None,
    }
    .or_else(|| tool.map(str::to_owned))
    .unwrap_or_default()
}
