//! The walk over a transcript: every text that leaves the source goes through the engine.

use handoff_adapter_kit::parallel::par_chunks_mut;
use handoff_plugin_api::{Media, Message, Part, Transcript};
use serde_json::Value;

use std::borrow::Cow;

use super::engine::passes;
use super::rules::Check;
use super::{RedactionCounts, Redactor};

impl Redactor {
    /// Every text that leaves the source: message text, reasoning text, tool-call inputs (JSON
    /// string values, and any string under a secret-like key), tool outputs, compaction
    /// summaries, media paths and names, agent-specific `extra` data, the session title. The cwd
    /// and the source path are local paths the transfer needs and stay as they are.
    ///
    /// A reasoning part whose text changed loses its signature unless the provider is `openai`
    /// (there the signature is encrypted content independent of the summary text): a signature
    /// over the original text would be rejected by the provider, and adapters drop unsigned
    /// foreign reasoning rather than forge one.
    ///
    /// Messages before `from` are left as they are: the budget never writes them. Returns the
    /// counts and the indices of the messages that changed.
    pub fn redact_transcript(
        &self,
        transcript: &mut Transcript,
        from: usize,
    ) -> (RedactionCounts, Vec<usize>) {
        const CHUNK: usize = 16;
        let mut counts = RedactionCounts::default();
        if let Some(title) = transcript.session.title.as_mut() {
            self.redact_string(title, &mut counts);
        }
        let messages = transcript.messages.get_mut(from..).unwrap_or_default();
        // Messages are independent: chunks of them on every core, the counts summed after.
        let per_chunk = par_chunks_mut(messages, CHUNK, |messages| {
            let mut counts = RedactionCounts::default();
            let mut changed = Vec::new();
            for (index, message) in messages.iter_mut().enumerate() {
                let before = counts.total();
                self.redact_message(message, &mut counts);
                if counts.total() > before {
                    changed.push(index);
                }
            }
            (counts, changed)
        });
        let mut changed = Vec::new();
        for (chunk, (chunk_counts, chunk_changed)) in per_chunk.into_iter().enumerate() {
            for (kind, n) in chunk_counts.by_kind {
                *counts.by_kind.entry(kind).or_default() += n;
            }
            changed.extend(chunk_changed.into_iter().map(|i| from + chunk * CHUNK + i));
        }
        (counts, changed)
    }

    fn redact_message(&self, message: &mut Message, counts: &mut RedactionCounts) {
        for part in &mut message.parts {
            match part {
                Part::Text { text } | Part::Compaction { summary: text } => {
                    self.redact_string(text, counts);
                }
                Part::Reasoning {
                    text,
                    signature,
                    provider,
                } => {
                    if self.redact_string(text, counts) && provider.as_deref() != Some("openai") {
                        *signature = None;
                    }
                }
                Part::ToolCall { input, tool, .. } => {
                    self.redact_json(input, None, counts);
                    // The same arguments again, renamed: counted once, in `input`.
                    for (key, value) in &mut tool.args {
                        self.redact_json(value, Some(key), &mut RedactionCounts::default());
                    }
                }
                Part::ToolResult { output, images, .. } => {
                    self.redact_string(output, counts);
                    for image in images {
                        self.redact_media(image, counts);
                    }
                }
                Part::Image(media) | Part::File(media) => {
                    self.redact_media(media, counts);
                }
            }
        }
        for (key, value) in &mut message.extra {
            self.redact_json(value, Some(key), counts);
        }
    }

    /// Redacts in place; true when the text changed.
    fn redact_string(&self, text: &mut String, counts: &mut RedactionCounts) -> bool {
        match self.redact_text(text, counts) {
            Cow::Borrowed(_) => false,
            Cow::Owned(redacted) => {
                *text = redacted;
                true
            }
        }
    }

    fn redact_media(&self, media: &mut Media, counts: &mut RedactionCounts) {
        for text in [media.path.as_mut(), media.name.as_mut()]
            .into_iter()
            .flatten()
        {
            self.redact_string(text, counts);
        }
    }

    /// String values are redacted as text; a string that a secret-like key names (`"password":
    /// "hunter2"`) is a secret even when its text alone matches no rule.
    pub(super) fn redact_json(
        &self,
        value: &mut Value,
        key: Option<&str>,
        counts: &mut RedactionCounts,
    ) {
        match value {
            Value::String(text) => {
                if self.redact_string(text, counts) {
                    return;
                }
                let Some(key) = key else { return };
                let authorization = key.eq_ignore_ascii_case("authorization");
                let value = if authorization {
                    // `Bearer <token>`: the scheme is not the secret.
                    text.split_once(' ')
                        .map_or(text.as_str(), |(_, token)| token)
                } else {
                    text.as_str()
                };
                if self.secret_key.is_match(key) && passes(Check::AssignedValue, value) {
                    let kind = if authorization {
                        "authorization"
                    } else {
                        "secret_assignment"
                    };
                    *text = format!("[REDACTED:{kind}]");
                    counts.add(kind);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.redact_json(item, None, counts);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    self.redact_json(item, Some(key), counts);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}
