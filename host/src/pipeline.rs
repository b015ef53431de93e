//! The transfer pipeline: extract → redact → budget → inject → verify. Data flows one way; each
//! step only sees what the previous one produced. The budget's plan is made before redaction (one
//! estimate of the source, on every core): what it will leave out whole, the history before the
//! last compaction of an over-budget session, is not redacted for nothing.

use anyhow::{Context, Result, anyhow, bail};
use handoff_plugin_api::{
    ExtractRequest, Extracted, InjectMode, Injected, Part, Role, Transcript, Written,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

use crate::budget::{self, BudgetReport, Plan};
use crate::error::{Error, Kind, fail};
use crate::redact::{RedactionCounts, Redactor};
use crate::registry::Agent;

/// What the source step found.
pub struct Source {
    pub extracted: Extracted,
}

/// Extracts the chosen (or latest) session of `cwd` from `agent`.
pub fn extract(
    agent: &Agent,
    home: Option<String>,
    cwd: &str,
    session_id: Option<String>,
) -> Result<Source> {
    // An id reaches file names and queries: one that could be a path is refused here, whatever
    // the adapter (a plugin's too) would make of it.
    if let Some(id) = &session_id {
        handoff_adapter_kit::fs::check_session_id(&agent.info.name, id)
            .map_err(|e| Error::new(Kind::Usage, e.message))?;
    }
    let extracted = agent.extract(&ExtractRequest {
        home,
        cwd: Some(cwd.to_owned()),
        session_id,
        path: None,
    })?;
    if extracted.transcript.messages.is_empty() {
        let session = &extracted.transcript.session;
        let name = session.source_path.as_deref().unwrap_or(&session.id);
        // Lines were there but none could be read: a broken session, not an empty one.
        return match extracted.report.skipped_lines {
            0 => fail(
                Kind::NoSession,
                format!("{name}: the session has no messages to hand off"),
            ),
            skipped => fail(
                Kind::InvalidSession,
                format!(
                    "{name}: the session has no messages to hand off ({skipped} unreadable lines skipped)"
                ),
            ),
        };
    }
    Ok(Source { extracted })
}

/// Estimates the transcript and decides where the budget starts it (`None`: no budget).
pub fn plan(transcript: &Transcript, max_tokens: Option<usize>) -> Plan {
    Plan::new(transcript, max_tokens)
}

/// The redaction rules: the builtin ones and the user's `patterns`.
pub fn redactor(patterns: &[String]) -> Result<Redactor> {
    Redactor::new(patterns).map_err(|e| anyhow!("[redaction] patterns: {e}"))
}

/// Redacts in place every text that can be written (everything from the plan's start); the plan
/// learns which messages changed.
pub fn redact(
    transcript: &mut Transcript,
    redactor: &Redactor,
    plan: &mut Plan,
) -> RedactionCounts {
    let (counts, changed) = redactor.redact_transcript(transcript, plan.start());
    plan.refresh(transcript, &changed);
    counts
}

/// Fits the transcript into the plan's budget.
pub fn fit(transcript: &mut Transcript, plan: Plan) -> BudgetReport {
    budget::apply(transcript, plan)
}

pub fn inject(
    agent: &Agent,
    home: Option<String>,
    cwd: &str,
    mode: InjectMode,
    transcript: &Transcript,
) -> Result<Injected> {
    // The request is serialized from a borrow: a copy of a big transcript would double the
    // memory a transfer needs.
    #[derive(Serialize)]
    struct BorrowedInjectRequest<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        home: Option<String>,
        cwd: &'a str,
        mode: InjectMode,
        transcript: &'a Transcript,
    }
    let request = BorrowedInjectRequest {
        home,
        cwd,
        mode,
        transcript,
    };
    Ok(agent.call("inject", &request)?)
}

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
    meant: &Transcript,
) -> Result<()> {
    let back = agent
        .extract(&ExtractRequest {
            home,
            cwd: Some(cwd.to_owned()),
            session_id: Some(injected.session_id.clone()),
            path: None,
        })
        .with_context(|| format!("cannot read back {}", injected.path))?;
    match Fingerprint::of(meant).mismatch(&Fingerprint::of(&back.transcript)) {
        None => Ok(()),
        Some(why) => Err(anyhow!("{}: {why}", injected.path)),
    }
}

/// The home an agent writes into: the configured one, else the agent's own default.
fn home_of(agent: &Agent, configured: Option<&str>) -> PathBuf {
    PathBuf::from(configured.unwrap_or(&agent.info.default_home))
}

/// Checks that every file an inject reports lies inside the target's home once symlinks are
/// resolved. Built-in adapters cannot write elsewhere (kit::fs refuses); a plugin that did is an
/// error, and handoff neither records nor removes what it cannot vouch for.
pub fn check_written_inside(agent: &Agent, home: Option<&str>, injected: &Injected) -> Result<()> {
    let files: Vec<&String> = injected
        .written
        .iter()
        .filter_map(|w| match w {
            Written::File { path } => Some(path),
            Written::Rows { .. } => None,
        })
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let home = home_of(agent, home);
    let root = std::fs::canonicalize(&home).with_context(|| {
        format!(
            "{}: cannot resolve {}'s home",
            home.display(),
            agent.info.name
        )
    })?;
    for path in files {
        let real = std::fs::canonicalize(path)
            .with_context(|| format!("{path}: reported as written but cannot be resolved"))?;
        if !real.starts_with(&root) {
            bail!(
                "{path}: {} wrote outside its home {}; left in place for you to inspect",
                agent.info.name,
                home.display()
            );
        }
    }
    Ok(())
}

/// Removes what an inject wrote: files here (only inside the target's home, see
/// [`check_written_inside`]), database rows by the adapter that wrote them.
pub fn remove_written(agent: &Agent, home: Option<&str>, injected: &Injected) -> Result<()> {
    // Files already gone (the user deleted the session) have nothing left to check or remove.
    let present = Injected {
        written: injected
            .written
            .iter()
            .filter(|w| match w {
                Written::File { path } => std::fs::symlink_metadata(path).is_ok(),
                Written::Rows { .. } => true,
            })
            .cloned()
            .collect(),
        ..injected.clone()
    };
    check_written_inside(agent, home, &present)?;
    if injected
        .written
        .iter()
        .any(|w| matches!(w, Written::Rows { .. }))
    {
        let _: serde_json::Value = agent.call("remove", injected)?;
    }
    for written in &injected.written {
        if let Written::File { path } = written {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("cannot remove {path}")),
            }
        }
    }
    Ok(())
}

pub fn sha256_file(path: &str) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {path}"))?;
    Ok(hex(&Sha256::digest(&bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{Message, SessionMeta};

    fn transcript(parts: Vec<Vec<Part>>) -> Transcript {
        let messages = parts
            .into_iter()
            .enumerate()
            .map(|(i, parts)| {
                let role = if i % 2 == 0 {
                    Role::User
                } else {
                    Role::Assistant
                };
                Message::new(role, parts)
            })
            .collect();
        Transcript::new(SessionMeta::default(), messages)
    }

    fn text(t: &str) -> Part {
        Part::Text { text: t.into() }
    }

    /// Over budget, the history before the last compaction is left out whole: it is not
    /// redacted (nor counted), and nothing of it is written; everything kept is redacted, and a
    /// message that redaction changed is estimated again.
    #[test]
    fn redaction_covers_what_the_budget_keeps_and_skips_what_it_drops() {
        let secret = "AKIAQWERTYUIOPASDFGH";
        let filler = "lorem ipsum dolor sit amet ".repeat(400);
        let mut source = transcript(vec![
            vec![text(&format!("old key {secret} {filler}"))],
            vec![text(&filler)],
            vec![Part::Compaction {
                summary: "so far".into(),
            }],
            vec![text("fine")],
            vec![text(&format!("new key {secret}"))],
        ]);
        let kept_tokens = budget::estimate_tokens(&Transcript::new(
            SessionMeta::default(),
            source.messages[2..].to_vec(),
        ));
        let mut budget = plan(&source, Some(kept_tokens + 200));
        assert_eq!(budget.start(), 2);
        let counts = redact(&mut source, &redactor(&[]).unwrap(), &mut budget);
        assert_eq!(counts.total(), 1, "only the kept secret is counted");
        let report = fit(&mut source, budget);
        assert!(report.from_compaction);
        let written = serde_json::to_string(&source).unwrap();
        assert!(!written.contains(secret), "{written}");
        assert!(written.contains("[REDACTED:"));
        assert!(report.tokens_after <= kept_tokens + 200, "{report:?}");

        // Without a budget everything is written, so everything is redacted.
        let mut whole = transcript(vec![vec![text(&format!("old key {secret}"))]]);
        let mut budget = plan(&whole, None);
        assert_eq!(
            redact(&mut whole, &redactor(&[]).unwrap(), &mut budget).total(),
            1
        );
        fit(&mut whole, budget);
        assert!(!serde_json::to_string(&whole).unwrap().contains(secret));
    }

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
        };
        let meant = transcript(vec![vec![text("a")], vec![call]]);
        let back = transcript(vec![vec![text("a")]]);
        let why = Fingerprint::of(&meant)
            .mismatch(&Fingerprint::of(&back))
            .unwrap();
        assert!(why.contains("tool calls"), "{why}");
    }
}
