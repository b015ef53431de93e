//! The steps between extract and inject, and the inject call: each takes what the previous one
//! produced. The budget's plan is made before redaction (one estimate of the source, on every
//! core): what it will leave out whole, the history before the last compaction of an
//! over-budget session, is not redacted for nothing.

use anyhow::{Result, anyhow};
use handoff_plugin_api::{InjectMode, InjectRequest, Injected, Transcript};

use crate::budget::{self, BudgetReport, Plan};
use crate::redact::{RedactionCounts, Redactor};
use crate::registry::Agent;

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

/// Hands the transcript to the target (moved, not copied: a copy of a big transcript would
/// double the memory a transfer needs).
pub fn inject(
    agent: &Agent,
    home: Option<String>,
    cwd: &str,
    mode: InjectMode,
    transcript: Transcript,
) -> Result<Injected> {
    Ok(agent.inject(InjectRequest {
        home,
        cwd: cwd.to_owned(),
        mode,
        transcript,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::test_transcript::{text, transcript};
    use handoff_plugin_api::{Part, SessionMeta};

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
}
