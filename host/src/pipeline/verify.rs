//! The verify step: the written session is read back through the target's own reader and
//! compared with what was meant to be written.

use anyhow::{Context, Result, anyhow};
use handoff_plugin_api::{ExtractRequest, Injected, Part, Role, Transcript};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::registry::Agent;
use crate::written::hex;

/// What a check of the written session compares: the conversation's texts in order and how many
/// tool calls and results it holds. Targets may merge or split messages and rename tools, so
/// texts are compared as an ordered sequence inside the read-back stream, not message by message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    pub tool_calls: usize,
    pub tool_results: usize,
    #[serde(skip)]
    texts: Vec<String>,
    pub text_sha256: String,
}

impl Fingerprint {
    pub fn of(transcript: &Transcript) -> Self {
        let mut texts = Vec::new();
        let (mut tool_calls, mut tool_results) = (0, 0);
        for message in &transcript.messages {
            if !matches!(message.role, Role::User | Role::Assistant) {
                continue;
            }
            for part in &message.parts {
                match part {
                    Part::Text { text } | Part::Compaction { summary: text } => {
                        let text = text.trim();
                        if !text.is_empty() {
                            texts.push(text.to_owned());
                        }
                    }
                    Part::ToolCall { .. } => tool_calls += 1,
                    Part::ToolResult { .. } => tool_results += 1,
                    _ => {}
                }
            }
        }
        let mut hasher = Sha256::new();
        for text in &texts {
            hasher.update(text.as_bytes());
            hasher.update([0]);
        }
        Self {
            tool_calls,
            tool_results,
            texts,
            text_sha256: hex(&hasher.finalize()),
        }
    }

    /// Why `written` (read back) does not hold what `self` (meant) does, if it does not.
    pub fn mismatch(&self, written: &Fingerprint) -> Option<String> {
        if written.tool_calls != self.tool_calls {
            return Some(format!(
                "{} tool calls written, {} read back",
                self.tool_calls, written.tool_calls
            ));
        }
        // Every call gets exactly one result in the target, even an interrupted one.
        if written.tool_results < self.tool_results.min(self.tool_calls) {
            return Some(format!(
                "{} tool results written, {} read back",
                self.tool_results, written.tool_results
            ));
        }
        let stream = written.texts.join("\n");
        let mut from = 0;
        for text in &self.texts {
            match stream[from..].find(text.as_str()) {
                Some(at) => from += at + text.len(),
                None => {
                    return Some(format!(
                        "text not found in order: {:?}",
                        crate::ui::one_line(text, 60)
                    ));
                }
            }
        }
        None
    }
}

/// Reads the new session back through the target's own reader and compares it with what was
/// meant to be written.
pub fn verify(
    agent: &Agent,
    home: Option<String>,
    cwd: &str,
    injected: &Injected,
    meant: &Fingerprint,
) -> Result<()> {
    let back = agent
        .extract(ExtractRequest {
            home,
            cwd: Some(cwd.to_owned()),
            session_id: Some(injected.session_id.clone()),
            path: None,
        })
        .with_context(|| format!("cannot read back {}", injected.path))?;
    match meant.mismatch(&Fingerprint::of(&back.transcript)) {
        None => Ok(()),
        Some(why) => Err(anyhow!("{}: {why}", injected.path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::test_transcript::{text, transcript};

    #[test]
    fn merged_messages_still_match() {
        let meant = transcript(vec![vec![text("a")], vec![text("b")], vec![text("c")]]);
        let back = transcript(vec![vec![text("a")], vec![text("b\n\nc")]]);
        assert_eq!(
            Fingerprint::of(&meant).mismatch(&Fingerprint::of(&back)),
            None
        );
    }

    #[test]
    fn lost_or_reordered_text_is_a_mismatch() {
        let meant = transcript(vec![vec![text("a")], vec![text("b")]]);
        let reordered = transcript(vec![vec![text("b")], vec![text("a")]]);
        let lost = transcript(vec![vec![text("a")]]);
        assert!(
            Fingerprint::of(&meant)
                .mismatch(&Fingerprint::of(&reordered))
                .is_some()
        );
        assert!(
            Fingerprint::of(&meant)
                .mismatch(&Fingerprint::of(&lost))
                .is_some()
        );
    }

    #[test]
    fn a_lost_tool_call_is_a_mismatch() {
        let call = Part::ToolCall {
            id: "1".into(),
            name: "bash".into(),
            input: serde_json::json!({}),
            tool: Default::default(),
        };
        let meant = transcript(vec![vec![text("a")], vec![call]]);
        let back = transcript(vec![vec![text("a")]]);
        let why = Fingerprint::of(&meant)
            .mismatch(&Fingerprint::of(&back))
            .unwrap();
        assert!(why.contains("tool calls"), "{why}");
    }
}
