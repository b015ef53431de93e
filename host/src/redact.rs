//! Secret redaction (issue 7): every text that leaves the source passes through [`Redactor`].
//!
//! Each builtin rule is a regex plus the literals ("triggers") that every match of it contains.
//! One ASCII-case-insensitive Aho-Corasick scan finds which triggers occur in a text, and only
//! the rules they belong to run; a text with no trigger costs one scan and is returned borrowed.
//! The part of a match that is replaced is the rule's first participating capture group (the
//! whole match when it has none), so `password = hunter2` keeps its name and loses its value.
//! Where rules overlap, the earlier match wins, and at the same start the more specific rule
//! (earlier in [`builtin_rules`]) names the kind.
//!
//! Cost, measured by `cargo bench -p handoff --bench redaction` (release, one core of the 2-core
//! project machine): 79 MB/s on 20.5 MB of realistic transcript text (source code, lockfiles,
//! git log, a real Claude session, minified JS, with a secret every ~4 KB, 4,838 redactions);
//! 271 MB/s on text with no trigger (base64 images). For scale, `serde_json::to_string` of the
//! same texts runs at ~300 MB/s, and a transfer parses, writes and re-reads its session at least
//! once each, so redaction stays a fraction of a transfer (a 20 MB session: ~0.25 s).
//!
//! What stays: git SHAs and other bare hex, UUIDs, base64 images, lockfile hashes (`sha512-…`,
//! `checksum = …`), identifiers and code that merely mention `token` or `password`
//! (`self.token`, `password: String`, `max_tokens = 4096`), placeholders (`$TOKEN`, `<api-key>`,
//! `changeme`, `xxxx`). A quoted value with spaces after a secret-like name is taken as prose,
//! not a passphrase. The corpora in `tests/fixtures/redaction/` pin both sides.

use std::borrow::Cow;
use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind};
use handoff_adapter_kit::parallel::par_chunks_mut;
use handoff_plugin_api::{Media, Message, Part, Transcript};
use regex::{Captures, Regex};
use serde_json::Value;

/// Kind reported for a match of a pattern from the user's config.
pub const CUSTOM_KIND: &str = "custom";

#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("invalid redaction pattern {pattern:?}: {reason}")]
    InvalidPattern { pattern: String, reason: String },
}

/// How many secrets of each kind were replaced.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RedactionCounts {
    pub by_kind: BTreeMap<String, usize>,
}

impl RedactionCounts {
    pub fn total(&self) -> usize {
        self.by_kind.values().sum()
    }

    fn add(&mut self, kind: &str) {
        *self.by_kind.entry(kind.to_owned()).or_default() += 1;
    }
}

/// Extra test a match must pass, for rules whose shape alone also fits ordinary text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    /// A vendor-shaped token, unless it is a placeholder (`ghp_xxxx…`, `sk_test_0000…`).
    Token,
    /// A token, and it looks machine-generated: letters and digits mixed.
    Random,
    /// The value of a `name = value` assignment: not a placeholder, a type or an expression.
    AssignedValue,
    /// A long high-entropy token next to a secret-like name.
    HighEntropy,
}

struct Rule {
    kind: &'static str,
    regex: Regex,
    check: Check,
    /// Every match starts where one of the rule's triggers does: the regex (anchored with `^`)
    /// runs only on a short window at each trigger, not over the whole text.
    at_trigger: bool,
}

/// Rules whose match begins with the trigger itself (a secret-like name). They are the costly
/// ones (case-insensitive names, long values), so they run in windows at their triggers.
const STARTS_AT_TRIGGER: &[&str] = &[
    "aws_secret_access_key",
    "authorization",
    "secret_assignment",
    "high_entropy_secret",
];

/// Bytes from a trigger that a match starting there can span (name, separator, 512-byte value).
const TRIGGER_WINDOW: usize = 640;

/// A builtin rule before compilation: kind, pattern, triggers (ASCII, matched
/// case-insensitively; every match contains one), check.
type RuleSpec = (&'static str, String, &'static [&'static str], Check);

/// Names whose value is a secret, as the end of an identifier (`DB_PASSWORD`, `githubToken`,
/// `client_secret`, `x-api-key`), shared by the assignment rule and JSON keys.
const SECRET_NAME: &str = r"(?i-u:password|passwd|passphrase|secret|token|credentials?|(?:api|access|secret|private|signing|encryption|master)[_-]?key)";

/// `:`, `=`, `:=`, `=>`, after an optional closing quote (also JSON-escaped, `\"`).
const ASSIGN: &str = r#"(?:\\?["'])?[ \t]*(?::=|=>|[:=])[ \t]*"#;

/// Builtin rules, most specific first.
fn builtin_rules() -> Vec<RuleSpec> {
    let assignment = format!(
        r#"{SECRET_NAME}{ASSIGN}(?:\\?"([^"\\\r\n]{{1,512}})\\?"|'([^'\r\n]{{1,512}})'|([^\s"'`,;(){{}}\[\]<>=][^\s"'`,;(){{}}\[\]<>]{{0,511}}))"#
    );
    let high_entropy = r#"(?i-u:key|secret|token|passw(?:or)?d|credential|auth)[A-Za-z0-9_-]{0,20}(?:\\?["'])?[ \t]*(?::=|=>|[:= \t])[ \t]*(?:\\?["'])?([A-Za-z0-9+/_.~=-]{20,512})"#;
    vec![
        (
            "private_key",
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:(?s:.*?)-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,\\-]*)".to_owned(),
            &["PRIVATE KEY"],
            Check::None,
        ),
        (
            "anthropic_api_key",
            r"\bsk-ant-[A-Za-z0-9_-]{20,}".to_owned(),
            &["sk-ant-"],
            Check::Token,
        ),
        (
            "openai_api_key",
            r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}".to_owned(),
            &["sk-"],
            Check::Random,
        ),
        (
            "github_token",
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})\b".to_owned(),
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            Check::Token,
        ),
        (
            "gitlab_token",
            r"\bglpat-[A-Za-z0-9_-]{20,}".to_owned(),
            &["glpat-"],
            Check::Token,
        ),
        (
            "aws_access_key_id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b".to_owned(),
            &["AKIA", "ASIA", "ABIA", "ACCA"],
            Check::Token,
        ),
        (
            "aws_secret_access_key",
            r#"(?i-u:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)(?:\\?["'])?[ \t]*(?::=|=>|[:=])[ \t]*(?:\\?["'])?([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#.to_owned(),
            &[
                "aws_secret",
                "aws-secret",
                "awssecret",
                "secret_access",
                "secret-access",
                "secretaccess",
            ],
            Check::None,
        ),
        (
            "google_api_key",
            r"\bAIza[0-9A-Za-z_-]{35}".to_owned(),
            &["AIza"],
            Check::Token,
        ),
        (
            "slack_webhook",
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}".to_owned(),
            &["hooks.slack.com"],
            Check::Token,
        ),
        (
            "slack_token",
            r"\bxox[abprs]-[0-9A-Za-z-]{10,}".to_owned(),
            &["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"],
            Check::Token,
        ),
        (
            "stripe_key",
            r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}".to_owned(),
            &["k_live_", "k_test_"],
            Check::Token,
        ),
        ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b".to_owned(), &["npm_"], Check::Token),
        (
            "huggingface_token",
            r"\bhf_[A-Za-z0-9]{30,40}\b".to_owned(),
            &["hf_"],
            Check::Random,
        ),
        (
            "jwt",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}".to_owned(),
            &["eyJ"],
            Check::Token,
        ),
        (
            "url_credentials",
            r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'<>]*:([^\s/@"'<>]+)@[A-Za-z0-9\[]"#.to_owned(),
            &["://"],
            Check::AssignedValue,
        ),
        (
            "authorization",
            r#"(?:(?i-u:authorization)(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?(?i-u:bearer|basic|token|digest)[ \t]+([A-Za-z0-9._~+/=-]{8,})|(?i-u:bearer)[ \t]+([A-Za-z0-9._~+/-]{20,}=*))"#.to_owned(),
            &["authorization", "bearer"],
            Check::AssignedValue,
        ),
        (
            "secret_assignment",
            assignment,
            &[
                "password",
                "passwd",
                "passphrase",
                "secret",
                "token",
                "apikey",
                "api_key",
                "api-key",
                "accesskey",
                "access_key",
                "access-key",
                "privatekey",
                "private_key",
                "private-key",
                "signingkey",
                "signing_key",
                "signing-key",
                "encryptionkey",
                "encryption_key",
                "encryption-key",
                "masterkey",
                "master_key",
                "master-key",
                "credential",
            ],
            Check::AssignedValue,
        ),
        (
            "high_entropy_secret",
            high_entropy.to_owned(),
            &["key", "secret", "token", "passw", "credential", "auth"],
            Check::HighEntropy,
        ),
    ]
}

/// Replaces secrets with `[REDACTED:<kind>]`. Build once, use for every text of a transfer.
pub struct Redactor {
    rules: Vec<Rule>,
    /// Rules (indexes into `rules`) that run whatever the text: the user's patterns.
    always: Vec<usize>,
    triggers: AhoCorasick,
    /// For each trigger pattern id, the rules it enables.
    trigger_rules: Vec<Vec<usize>>,
    /// A JSON object key whose string value is a secret.
    secret_key: Regex,
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
            .position(|spec| spec.0 == "secret_assignment")
            .unwrap_or(specs.len());
        let mut always = Vec::new();
        for (position, (kind, pattern, triggers, check)) in specs.into_iter().enumerate() {
            if position == generic_from {
                for pattern in extra_patterns {
                    let regex = Regex::new(pattern).map_err(|error| invalid(pattern, &error))?;
                    always.push(rules.len());
                    rules.push(Rule {
                        kind: CUSTOM_KIND,
                        regex,
                        check: Check::None,
                        at_trigger: false,
                    });
                }
            }
            let at_trigger = STARTS_AT_TRIGGER.contains(&kind);
            let pattern = if at_trigger {
                format!("^(?:{pattern})")
            } else {
                pattern
            };
            let regex = Regex::new(&pattern).map_err(|error| invalid(&pattern, &error))?;
            for trigger in triggers {
                trigger_index
                    .entry(trigger.to_ascii_lowercase())
                    .or_default()
                    .push(rules.len());
            }
            rules.push(Rule {
                kind,
                regex,
                check,
                at_trigger,
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
            if active.get(index).copied().unwrap_or(false) {
                for captures in rule.regex.captures_iter(text) {
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
                && let Some(captures) = rule.regex.captures(window)
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
            out.push_str(rule.kind);
            out.push(']');
            counts.add(rule.kind);
            copied_to = end;
        }
        out.push_str(text.get(copied_to..).unwrap_or_default());
        Cow::Owned(out)
    }

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
                Part::ToolCall { input, .. } => self.redact_json(input, None, counts),
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
    fn redact_json(&self, value: &mut Value, key: Option<&str>, counts: &mut RedactionCounts) {
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

fn invalid(pattern: &str, error: &regex::Error) -> RedactError {
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

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// The first participating capture group, else the whole match; empty spans never count.
fn secret_span(captures: &Captures<'_>) -> Option<(usize, usize)> {
    let span = captures
        .iter()
        .skip(1)
        .flatten()
        .next()
        .or_else(|| captures.get(0))?;
    (span.start() < span.end()).then_some((span.start(), span.end()))
}

fn passes(check: Check, secret: &str) -> bool {
    match check {
        Check::None => true,
        Check::Token => !is_placeholder_token(secret),
        Check::Random => !is_placeholder_token(secret) && mixes_letters_and_digits(secret),
        Check::AssignedValue => is_assigned_secret(secret),
        Check::HighEntropy => is_high_entropy_token(secret),
    }
}

/// Placeholder tokens in docs and examples repeat one character (`xxxx`, `0000`) or say so.
fn is_placeholder_token(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    let mut run = 0;
    let mut previous = None;
    for byte in token.bytes() {
        run = if previous == Some(byte) { run + 1 } else { 1 };
        previous = Some(byte);
        if run >= 6 && byte.is_ascii_alphanumeric() {
            return true;
        }
    }
    ["example", "placeholder", "redacted"]
        .iter()
        .any(|word| lower.contains(word))
}

fn mixes_letters_and_digits(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit()) && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Whether the value of `secret-like-name = value` is a real value rather than a placeholder,
/// a type, a reference to another variable or a word.
fn is_assigned_secret(value: &str) -> bool {
    let value = value.trim();
    if value.len() < 4 || value.chars().any(char::is_whitespace) || is_placeholder(value) {
        return false;
    }
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return false; // a number: `max_token = 4096`
    }
    // Identifiers and dotted paths without digits: `self.token`, `String`, `process.env.TOKEN`,
    // `handoff.auth-token`, `TOKEN_NAME`.
    let identifier_like = value
        .bytes()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-' | b':'));
    has_digit || !identifier_like
}

fn is_placeholder(value: &str) -> bool {
    /// Whole values that are types, literals or schema words.
    const WORDS: &[&str] = &[
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "string",
        "str",
        "number",
        "integer",
        "boolean",
        "bool",
        "object",
        "any",
        "required",
        "optional",
    ];
    /// Markers of example values anywhere in the value.
    const MARKERS: &[&str] = &[
        "changeme",
        "placeholder",
        "example",
        "redacted",
        "***",
        "...",
        "…",
    ];
    let lower = value.to_ascii_lowercase();
    let first = value.chars().next().unwrap_or(' ');
    matches!(
        first,
        '$' | '%' | '<' | '{' | '[' | '(' | '&' | '*' | '/' | '~' | '!' | '|' | '#' | '@'
    ) || lower.starts_with("./")
        || lower.starts_with("your")
        || WORDS.contains(&lower.as_str())
        || MARKERS.iter().any(|marker| lower.contains(marker))
        || is_placeholder_token(value)
}

/// A long token that looks generated: letters and digits mixed, high Shannon entropy, and not
/// one of the ordinary long tokens (hex digests, UUIDs, SRI hashes, paths).
fn is_high_entropy_token(token: &str) -> bool {
    let token = token.trim_end_matches('=');
    if token.len() < 20 || is_placeholder(token) {
        return false;
    }
    let hex_or_uuid = token.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let digest = ["sha1-", "sha256-", "sha384-", "sha512-", "md5-"]
        .iter()
        .any(|prefix| token.starts_with(prefix));
    let path_like = token.contains('/') && token.contains('.');
    if hex_or_uuid || digest || path_like {
        return false;
    }
    let classes = [
        token.bytes().any(|b| b.is_ascii_lowercase()),
        token.bytes().any(|b| b.is_ascii_uppercase()),
        token.bytes().any(|b| b.is_ascii_digit()),
    ];
    // Generated keys are one long run; `v1-deps-7f3c2a1b9e8d` (a cache key) is short words.
    let longest_run = token
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::len)
        .max()
        .unwrap_or(0);
    classes.iter().filter(|&&present| present).count() >= 2
        && token.bytes().any(|b| b.is_ascii_digit())
        && longest_run >= 20
        && shannon_entropy(token) >= 3.5
}

/// Bits per byte.
fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for byte in text.bytes() {
        if let Some(count) = counts.get_mut(usize::from(byte)) {
            *count += 1;
        }
    }
    let length = text.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = f64::from(count) / length;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff_plugin_api::{Message, Role, SessionMeta};
    use serde_json::json;

    const SECRETS: &str = include_str!("../tests/fixtures/redaction/secrets.jsonl");

    /// Real code and tool output that must come out byte-identical.
    const CLEAN: &[(&str, &str)] = &[
        (
            "cargo-lock.toml",
            include_str!("../tests/fixtures/redaction/clean/cargo-lock.toml"),
        ),
        (
            "package-lock.json",
            include_str!("../tests/fixtures/redaction/clean/package-lock.json"),
        ),
        (
            "git-log.txt",
            include_str!("../tests/fixtures/redaction/clean/git-log.txt"),
        ),
        (
            "claude-session.jsonl",
            include_str!("../tests/fixtures/redaction/clean/claude-session.jsonl"),
        ),
        (
            "base64-png.txt",
            include_str!("../tests/fixtures/redaction/clean/base64-png.txt"),
        ),
        (
            "jquery.min.js",
            include_str!("../tests/fixtures/redaction/clean/jquery.min.js"),
        ),
        (
            "pip-network-auth.py",
            include_str!("../tests/fixtures/redaction/clean/pip-network-auth.py"),
        ),
        (
            "npm-registry-fetch-auth.js",
            include_str!("../tests/fixtures/redaction/clean/npm-registry-fetch-auth.js"),
        ),
        (
            "tiktoken-rs-vendor_tiktoken.rs",
            include_str!("../tests/fixtures/redaction/clean/tiktoken-rs-vendor_tiktoken.rs"),
        ),
        (
            "tool-output.txt",
            include_str!("../tests/fixtures/redaction/clean/tool-output.txt"),
        ),
        (
            "code-and-config.txt",
            include_str!("../tests/fixtures/redaction/clean/code-and-config.txt"),
        ),
    ];

    #[derive(serde::Deserialize)]
    struct Secret {
        kind: String,
        context: String,
        secret: String,
    }

    fn secrets() -> Vec<Secret> {
        SECRETS
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// Compiled once for all tests (compiling is slow in debug builds).
    fn builtin() -> &'static Redactor {
        static REDACTOR: std::sync::OnceLock<Redactor> = std::sync::OnceLock::new();
        REDACTOR.get_or_init(|| Redactor::new(&[]).unwrap())
    }

    fn redact(text: &str) -> (String, RedactionCounts) {
        let mut counts = RedactionCounts::default();
        let out = builtin().redact_text(text, &mut counts).into_owned();
        (out, counts)
    }

    fn transcript(messages: Vec<Message>) -> Transcript {
        Transcript::new(
            SessionMeta {
                id: "s1".into(),
                agent: "claude".into(),
                ..SessionMeta::default()
            },
            messages,
        )
    }

    /// Every string in the transcript, as the model would see it.
    fn strings(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| strings(item, out)),
            Value::Object(map) => map.iter().for_each(|(key, item)| {
                out.push(key.clone());
                strings(item, out);
            }),
            _ => {}
        }
    }

    #[test]
    fn every_secret_of_the_corpus_is_gone_from_user_text_tool_input_and_tool_output() {
        let secrets = secrets();
        assert!(secrets.len() >= 40, "corpus has {} secrets", secrets.len());
        let builtin_kinds: std::collections::BTreeSet<&str> =
            builtin_rules().iter().map(|spec| spec.0).collect();
        let corpus_kinds: std::collections::BTreeSet<&str> =
            secrets.iter().map(|secret| secret.kind.as_str()).collect();
        assert_eq!(
            corpus_kinds, builtin_kinds,
            "the corpus covers every builtin kind"
        );

        let mut messages = Vec::new();
        for (index, secret) in secrets.iter().enumerate() {
            let id = format!("call_{index}");
            messages.push(Message::new(
                Role::User,
                vec![Part::Text {
                    text: secret.context.clone(),
                }],
            ));
            messages.push(Message::new(
                Role::Assistant,
                vec![Part::ToolCall {
                    id: id.clone(),
                    name: "Bash".into(),
                    input: json!({"command": secret.context, "description": "run it"}),
                }],
            ));
            messages.push(Message::new(
                Role::User,
                vec![Part::ToolResult {
                    call_id: id,
                    output: format!("$ run\n{}\nexit 0\n", secret.context),
                    images: vec![],
                    is_error: false,
                }],
            ));
        }
        let mut transcript = transcript(messages);
        let counts = builtin().redact_transcript(&mut transcript, 0).0;

        let mut all = Vec::new();
        strings(&serde_json::to_value(&transcript).unwrap(), &mut all);
        for secret in &secrets {
            let leaks: Vec<&String> = all
                .iter()
                .filter(|text| text.contains(&secret.secret))
                .collect();
            assert!(leaks.is_empty(), "{} leaked: {leaks:?}", secret.kind);
        }
        let mut expected = BTreeMap::new();
        for secret in &secrets {
            *expected.entry(secret.kind.clone()).or_insert(0) += 3;
        }
        assert_eq!(counts.by_kind, expected);
        assert_eq!(counts.total(), secrets.len() * 3);
        // The names stay, so the reader still sees what was there.
        let text = all
            .iter()
            .find(|text| text.starts_with("export OPENAI_API_KEY="))
            .unwrap();
        assert_eq!(text, "export OPENAI_API_KEY=[REDACTED:openai_api_key]");
    }

    #[test]
    fn real_code_and_tool_output_come_out_byte_identical() {
        let redactor = builtin();
        for (name, text) in CLEAN {
            let mut counts = RedactionCounts::default();
            let out = redactor.redact_text(text, &mut counts);
            let changed: Vec<&str> = out
                .match_indices("[REDACTED:")
                .map(|(at, _)| out.get(at.saturating_sub(60)..at + 40).unwrap_or_default())
                .collect();
            assert!(
                matches!(out, Cow::Borrowed(_)),
                "{name}: {counts:?} {changed:#?}"
            );
        }
    }

    #[test]
    fn json_rows_of_a_real_session_keep_every_value_as_tool_input() {
        let redactor = builtin();
        let (_, session) = CLEAN
            .iter()
            .find(|(name, _)| *name == "claude-session.jsonl")
            .unwrap();
        for line in session.lines() {
            let mut value: Value = serde_json::from_str(line).unwrap();
            let before = value.clone();
            let mut counts = RedactionCounts::default();
            redactor.redact_json(&mut value, None, &mut counts);
            assert_eq!(value, before, "{counts:?}");
        }
    }

    #[test]
    fn keeps_the_name_and_replaces_the_value() {
        let (out, counts) = redact("export DB_PASSWORD=hunter2x9\n");
        assert_eq!(out, "export DB_PASSWORD=[REDACTED:secret_assignment]\n");
        assert_eq!(counts.total(), 1);
        let (out, _) = redact(r#"{\"password\": \"Tr0ub4dor&3\"}"#);
        assert_eq!(out, r#"{\"password\": \"[REDACTED:secret_assignment]\"}"#);
    }

    #[test]
    fn a_value_under_a_secret_like_json_key_is_redacted_even_without_a_known_shape() {
        let mut transcript = transcript(vec![Message::new(
            Role::Assistant,
            vec![Part::ToolCall {
                id: "c1".into(),
                name: "mcp__db__connect".into(),
                input: json!({"host": "db.internal", "password": "hunter2x", "dbPassword": "abc",
                              "headers": {"Authorization": "Bearer tok-81a9f2"}, "max_tokens": 4096,
                              "token_type": "bearer"}),
            }],
        )]);
        let counts = builtin().redact_transcript(&mut transcript, 0).0;
        let Some(Part::ToolCall { input, .. }) = transcript.messages[0].parts.first() else {
            panic!("tool call expected")
        };
        assert_eq!(
            input,
            &json!({"host": "db.internal", "password": "[REDACTED:secret_assignment]", "dbPassword": "abc",
                    "headers": {"Authorization": "[REDACTED:authorization]"}, "max_tokens": 4096,
                    "token_type": "bearer"})
        );
        assert_eq!(counts.total(), 2);
    }

    #[test]
    fn titles_reasoning_summaries_and_media_names_are_covered_and_signatures_dropped() {
        let key = "ghp_Zq8RkT3mW9xLp2Vb7NcY4HdJ6sFa1Eg0Ui5O";
        let media = Media {
            media_type: "image/png".into(),
            data_base64: None,
            path: Some(format!("/tmp/{key}.png")),
            name: Some(format!("{key}.png")),
        };
        let mut transcript = transcript(vec![
            Message::new(
                Role::Assistant,
                vec![
                    Part::Reasoning {
                        text: format!("the user pasted {key}"),
                        signature: Some("sig".into()),
                        provider: Some("anthropic".into()),
                    },
                    Part::Reasoning {
                        text: format!("again {key}"),
                        signature: Some("encrypted".into()),
                        provider: Some("openai".into()),
                    },
                    Part::Reasoning {
                        text: "nothing secret".into(),
                        signature: Some("kept".into()),
                        provider: Some("anthropic".into()),
                    },
                ],
            ),
            Message::new(
                Role::User,
                vec![
                    Part::Compaction {
                        summary: format!("used {key}"),
                    },
                    Part::Image(media.clone()),
                    Part::File(media),
                ],
            ),
        ]);
        transcript.session.title = Some(format!("fix auth with {key}"));
        transcript.session.cwd = Some("/home/dev/proj".into());
        let counts = builtin().redact_transcript(&mut transcript, 0).0;
        assert_eq!(counts.by_kind.get("github_token"), Some(&8));
        assert_eq!(
            transcript.session.title.as_deref(),
            Some("fix auth with [REDACTED:github_token]")
        );
        assert_eq!(transcript.session.cwd.as_deref(), Some("/home/dev/proj"));
        let signatures: Vec<Option<&str>> = transcript.messages[0]
            .parts
            .iter()
            .map(|part| match part {
                Part::Reasoning { signature, .. } => signature.as_deref(),
                _ => panic!("reasoning expected"),
            })
            .collect();
        assert_eq!(signatures, [None, Some("encrypted"), Some("kept")]);
    }

    #[test]
    fn placeholders_types_and_references_are_not_secrets() {
        for text in [
            "export OPENAI_API_KEY=$OPENAI_API_KEY",
            "curl -H \"Authorization: Bearer ${TOKEN}\" https://api.acme.dev",
            "password: String,",
            "let token = self.next_token();",
            "token: Option<String>,",
            "api_key = os.environ[\"API_KEY\"]",
            "const TOKEN_KEY = \"handoff.auth-token\";",
            "max_tokens = 4096",
            "\"token_type\": \"bearer\"",
            "password = \"<your password here>\"",
            "SECRET_KEY=changeme",
            "postgres://user:password@localhost:5432/db",
            "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app",
            "git@github.com:acme/widgets.git",
            "passwordless login; the bearer of this letter",
            "\"password\": {\"type\": \"string\", \"description\": \"The user's password\"}",
            "const sk = \"sk-learn-some-long-kebab-case-name\";",
        ] {
            let (out, counts) = redact(text);
            assert_eq!(out, text, "{counts:?}");
        }
    }

    #[test]
    fn the_users_patterns_add_to_the_builtins() {
        let redactor =
            Redactor::new(&["ACME-[0-9]{6}".to_owned(), r"ticket=(\w+)".to_owned()]).unwrap();
        let mut counts = RedactionCounts::default();
        let out = redactor.redact_text("ACME-123456 ticket=abc npm_TOKEN", &mut counts);
        assert_eq!(out, "[REDACTED:custom] ticket=[REDACTED:custom] npm_TOKEN");
        assert_eq!(counts.by_kind.get("custom"), Some(&2));
    }

    #[test]
    fn an_invalid_pattern_is_a_one_line_error_naming_it() {
        let Err(error) = Redactor::new(&["ok".to_owned(), "(unclosed".to_owned()]) else {
            panic!("expected an error")
        };
        let message = error.to_string();
        assert_eq!(
            message,
            "invalid redaction pattern \"(unclosed\": unclosed group"
        );
    }

    #[test]
    fn a_text_without_any_trigger_is_returned_borrowed() {
        let redactor = builtin();
        let mut counts = RedactionCounts::default();
        let text = "fn main() { println!(\"hello\"); }";
        assert!(matches!(
            redactor.redact_text(text, &mut counts),
            Cow::Borrowed(_)
        ));
        assert_eq!(counts.total(), 0);
    }
}
