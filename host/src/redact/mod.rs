//! Secret redaction: every text that leaves the source passes through [`Redactor`].
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
//! project machine), with the whole provider catalogue: 94 MB/s on 20.5 MB of realistic
//! transcript text (source code, lockfiles, git log, a real Claude session, minified JS, with a
//! secret every ~4 KB, 4,838 redactions); 289 MB/s on text with no trigger (base64 images). A
//! transfer parses, writes and re-reads its session at least once each, so redaction stays a
//! fraction of a transfer (a 20 MB session: ~0.2 s).
//!
//! What stays: git SHAs and other bare hex, UUIDs, base64 images, lockfile hashes (`sha512-…`,
//! `checksum = …`), identifiers and code that merely mention `token` or `password`
//! (`self.token`, `password: String`, `max_tokens = 4096`), placeholders (`$TOKEN`, `<api-key>`,
//! `changeme`, `xxxx`). A quoted value with spaces after a secret-like name is taken as prose,
//! not a passphrase. The corpora in `tests/fixtures/redaction/` pin both sides.
//!
//! The provider formats are data in `catalogue/*.toml` (loaded by `catalogue`), the context rules
//! in `rules`, the matching engine in `engine`, the walk over a transcript's texts in `walk`, and
//! the checks that tell a secret from a placeholder in `heuristics`.

mod catalogue;
mod engine;
mod heuristics;
mod rules;
mod walk;

pub use catalogue::fingerprint as catalogue_fingerprint;
pub use engine::Redactor;

use std::collections::BTreeMap;
use std::sync::OnceLock;

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

/// A [`Redactor`] built at its first use, once for every thread: compiling the rules costs more
/// than a warm listing, and most listings and searches never need them.
pub struct LazyRedactor {
    patterns: Vec<String>,
    redactor: OnceLock<Result<Redactor, String>>,
}

impl LazyRedactor {
    /// The builtin rules and the user's `patterns` (from config).
    pub fn new(patterns: &[String]) -> Self {
        Self {
            patterns: patterns.to_vec(),
            redactor: OnceLock::new(),
        }
    }

    pub fn get(&self) -> anyhow::Result<&Redactor> {
        self.redactor
            .get_or_init(|| Redactor::new(&self.patterns).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| anyhow::anyhow!("[redaction] patterns: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::rules::builtin_rules;
    use super::*;
    use handoff_plugin_api::{Media, Part, Transcript};
    use handoff_plugin_api::{Message, Role, SessionMeta};
    use serde_json::Value;
    use serde_json::json;
    use std::borrow::Cow;

    const SECRETS: &str = include_str!("../../tests/fixtures/redaction/secrets.jsonl");

    /// Real code and tool output that must come out byte-identical.
    const CLEAN: &[(&str, &str)] = &[
        (
            "cargo-lock.toml",
            include_str!("../../tests/fixtures/redaction/clean/cargo-lock.toml"),
        ),
        (
            "package-lock.json",
            include_str!("../../tests/fixtures/redaction/clean/package-lock.json"),
        ),
        (
            "git-log.txt",
            include_str!("../../tests/fixtures/redaction/clean/git-log.txt"),
        ),
        (
            "claude-session.jsonl",
            include_str!("../../tests/fixtures/redaction/clean/claude-session.jsonl"),
        ),
        (
            "base64-png.txt",
            include_str!("../../tests/fixtures/redaction/clean/base64-png.txt"),
        ),
        (
            "jquery.min.js",
            include_str!("../../tests/fixtures/redaction/clean/jquery.min.js"),
        ),
        (
            "pip-network-auth.py",
            include_str!("../../tests/fixtures/redaction/clean/pip-network-auth.py"),
        ),
        (
            "npm-registry-fetch-auth.js",
            include_str!("../../tests/fixtures/redaction/clean/npm-registry-fetch-auth.js"),
        ),
        (
            "tiktoken-rs-vendor_tiktoken.rs",
            include_str!("../../tests/fixtures/redaction/clean/tiktoken-rs-vendor_tiktoken.rs"),
        ),
        (
            "tool-output.txt",
            include_str!("../../tests/fixtures/redaction/clean/tool-output.txt"),
        ),
        (
            "code-and-config.txt",
            include_str!("../../tests/fixtures/redaction/clean/code-and-config.txt"),
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
        let rules = builtin_rules();
        let builtin_kinds: std::collections::BTreeSet<&str> =
            rules.iter().map(|spec| spec.kind.as_str()).collect();
        let corpus_kinds: std::collections::BTreeSet<&str> =
            secrets.iter().map(|secret| secret.kind.as_str()).collect();
        assert!(
            corpus_kinds.is_subset(&builtin_kinds),
            "the corpus names kinds no rule has: {:?}",
            corpus_kinds.difference(&builtin_kinds).collect::<Vec<_>>()
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
                    tool: Default::default(),
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
    fn a_jwt_is_known_by_its_decodable_header() {
        use super::heuristics::is_jwt;
        assert!(is_jwt(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        ));
        // Starts like one, but the header is not JSON.
        assert!(!is_jwt(
            "eyJub3QganNvbg.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmN"
        ));
        assert!(!is_jwt("eyJ!!!!.eyJx.y"));
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
                tool: Default::default(),
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
    fn a_calls_shared_vocabulary_arguments_are_redacted_and_counted_once() {
        let key = "ghp_Zq8RkT3mW9xLp2Vb7NcY4HdJ6sFa1Eg0Ui5O";
        let command = format!("curl -H 'Authorization: token {key}' https://api.github.com");
        let mut args = serde_json::Map::new();
        args.insert("command".into(), json!(command));
        let mut transcript = transcript(vec![Message::new(
            Role::Assistant,
            vec![Part::ToolCall {
                id: "c1".into(),
                name: "run".into(),
                input: json!({"cmd": command}),
                tool: handoff_plugin_api::Tool {
                    kind: handoff_plugin_api::ToolKind::Shell,
                    args,
                },
            }],
        )]);
        let counts = builtin().redact_transcript(&mut transcript, 0).0;
        let written = serde_json::to_string(&transcript).unwrap();
        assert!(!written.contains(key), "{written}");
        assert_eq!(written.matches("[REDACTED:").count(), 2, "{written}");
        assert_eq!(counts.total(), 1);
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
