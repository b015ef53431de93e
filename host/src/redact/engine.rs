//! The matching engine: one Aho-Corasick scan for the triggers, then only the rules they enable.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};
use regex::{Captures, Regex};

use super::heuristics::{
    is_assigned_secret, is_high_entropy_token, is_jwt, is_placeholder_token,
    mixes_letters_and_digits,
};
use super::rules::{Check, FIRST_GENERIC, SECRET_NAME, builtin_rules};
use super::{CUSTOM_KIND, RedactError, RedactionCounts};

struct Rule {
    kind: String,
    pattern: String,
    /// Compiled at the first text that holds one of the rule's triggers: most of the catalogue
    /// never runs in a given transfer, and compiling it all would cost more than the transfer.
    regex: OnceLock<Option<Regex>>,
    check: Check,
    /// Every match starts where one of the rule's triggers does: the regex (anchored with `^`)
    /// runs only on a short window at each trigger, not over the whole text.
    at_trigger: bool,
}

/// Bytes from a trigger that a match starting there can span (name, separator, 512-byte value).
const TRIGGER_WINDOW: usize = 640;

/// Replaces secrets with `[REDACTED:<kind>]`. Build once, use for every text of a transfer.
pub struct Redactor {
    rules: Vec<Rule>,
    /// Rules (indexes into `rules`) that run whatever the text: the user's patterns.
    always: Vec<usize>,
    triggers: AhoCorasick,
    /// For each trigger pattern id, the rules it enables.
    trigger_rules: Vec<Vec<usize>>,
    /// A JSON object key whose string value is a secret.
    pub(super) secret_key: Regex,
}

impl Redactor {
    /// Builtin rules plus the user's extra regex patterns (from config), which redact their first
    /// capture group, or the whole match when they have none. An invalid pattern is an error
    /// naming the pattern.
    pub fn new(extra_patterns: &[String]) -> Result<Self, RedactError> {
        let specs = builtin_rules();
        let mut rules = Vec::with_capacity(specs.len() + extra_patterns.len());
        let mut trigger_index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        // The user's patterns go after the specific builtins and before the generic ones, so a
        // known kind still names a key and a custom rule beats the guesswork.
        let generic_from = specs
            .iter()
            .position(|spec| spec.kind == FIRST_GENERIC)
            .unwrap_or(specs.len());
        let mut always = Vec::new();
        for (position, spec) in specs.into_iter().enumerate() {
            if position == generic_from {
                for pattern in extra_patterns {
                    let regex = Regex::new(pattern).map_err(|error| invalid(pattern, &error))?;
                    always.push(rules.len());
                    rules.push(Rule {
                        kind: CUSTOM_KIND.to_owned(),
                        pattern: pattern.clone(),
                        regex: OnceLock::from(Some(regex)),
                        check: Check::None,
                        at_trigger: false,
                    });
                }
            }
            for trigger in &spec.triggers {
                trigger_index
                    .entry(trigger.to_ascii_lowercase())
                    .or_default()
                    .push(rules.len());
            }
            rules.push(Rule {
                pattern: if spec.at_trigger {
                    format!("^(?:{})", spec.pattern)
                } else {
                    spec.pattern
                },
                kind: spec.kind,
                regex: OnceLock::new(),
                check: spec.check,
                at_trigger: spec.at_trigger,
            });
        }
        let (literals, trigger_rules): (Vec<String>, Vec<Vec<usize>>) =
            trigger_index.into_iter().unzip();
        let triggers = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .map_err(|error| RedactError::InvalidPattern {
                pattern: literals.join("|"),
                reason: error.to_string(),
            })?;
        let secret_key = Regex::new(&format!(r"{SECRET_NAME}$|^(?i-u:authorization)$"))
            .map_err(|error| invalid(SECRET_NAME, &error))?;
        Ok(Self {
            rules,
            always,
            triggers,
            trigger_rules,
            secret_key,
        })
    }

    /// Redacts one text; replacement `[REDACTED:<kind>]`; adds to counts. Returns the text
    /// itself, unallocated, when it holds no secret.
    pub fn redact_text<'a>(&self, text: &'a str, counts: &mut RedactionCounts) -> Cow<'a, str> {
        let mut active = vec![false; self.rules.len()];
        // (rule, trigger start) for the rules that run at their triggers.
        let mut at_triggers: Vec<(usize, usize)> = Vec::new();
        let mut any = false;
        for &rule in &self.always {
            if let Some(flag) = active.get_mut(rule) {
                *flag = true;
                any = true;
            }
        }
        for found in self.triggers.find_overlapping_iter(text) {
            for &rule in self
                .trigger_rules
                .get(found.pattern().as_usize())
                .into_iter()
                .flatten()
            {
                any = true;
                if self.rules.get(rule).is_some_and(|rule| rule.at_trigger) {
                    at_triggers.push((rule, found.start()));
                } else if let Some(flag) = active.get_mut(rule) {
                    *flag = true;
                }
            }
        }
        if !any {
            return Cow::Borrowed(text);
        }

        // (start, end, rule index): rule index doubles as priority.
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        let mut accept =
            |rule_index: usize, rule: &Rule, offset: usize, captures: &Captures<'_>| {
                if let Some((start, end)) = secret_span(captures)
                    && let Some(secret) = text.get(offset + start..offset + end)
                    && passes(rule.check, secret)
                {
                    spans.push((offset + start, offset + end, rule_index));
                }
            };
        for (index, rule) in self.rules.iter().enumerate() {
            if active.get(index).copied().unwrap_or(false)
                && let Some(regex) = rule.regex()
            {
                for captures in regex.captures_iter(text) {
                    accept(index, rule, 0, &captures);
                }
            }
        }
        at_triggers.sort_unstable();
        at_triggers.dedup();
        for (index, start) in at_triggers {
            let end = floor_char_boundary(text, start + TRIGGER_WINDOW);
            if let Some(rule) = self.rules.get(index)
                && let Some(window) = text.get(start..end)
                && let Some(regex) = rule.regex()
                && let Some(captures) = regex.captures(window)
            {
                accept(index, rule, start, &captures);
            }
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        spans.sort_unstable();

        let mut out = String::with_capacity(text.len());
        let mut copied_to = 0;
        for (start, end, index) in spans {
            if start < copied_to {
                continue; // overlaps a span already replaced
            }
            let Some(rule) = self.rules.get(index) else {
                continue;
            };
            out.push_str(text.get(copied_to..start).unwrap_or_default());
            out.push_str("[REDACTED:");
            out.push_str(&rule.kind);
            out.push(']');
            counts.add(&rule.kind);
            copied_to = end;
        }
        out.push_str(text.get(copied_to..).unwrap_or_default());
        Cow::Owned(out)
    }
}

impl Rule {
    /// The compiled pattern; `None` for one that does not compile (the tests compile them all).
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
    }
}

pub(super) fn invalid(pattern: &str, error: &regex::Error) -> RedactError {
    // regex's messages span several lines (pattern, caret, reason); keep the reason.
    let message = error.to_string();
    let reason = message
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error:"))
        .unwrap_or(&message)
        .trim()
        .to_owned();
    RedactError::InvalidPattern {
        pattern: pattern.to_owned(),
        reason,
    }
}

pub(super) fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The first participating capture group, else the whole match; empty spans never count.
pub(super) fn secret_span(captures: &Captures<'_>) -> Option<(usize, usize)> {
    let span = captures
        .iter()
        .skip(1)
        .flatten()
        .next()
        .or_else(|| captures.get(0))?;
    (span.start() < span.end()).then_some((span.start(), span.end()))
}

pub(super) fn passes(check: Check, secret: &str) -> bool {
    match check {
        Check::None => true,
        Check::Token => !is_placeholder_token(secret),
        Check::Random => !is_placeholder_token(secret) && mixes_letters_and_digits(secret),
        Check::AssignedValue => is_assigned_secret(secret),
        Check::HighEntropy => is_high_entropy_token(secret),
        Check::Jwt => is_jwt(secret),
    }
}
