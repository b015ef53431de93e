//! The builtin rules as data: for each kind, a pattern, the literals that every match contains
//! (the prefilter's triggers) and the check that a match must pass.

/// Extra test a match must pass, for rules whose shape alone also fits ordinary text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
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

/// Rules whose match begins with the trigger itself (a secret-like name). They are the costly
/// ones (case-insensitive names, long values), so they run in windows at their triggers.
pub(super) const STARTS_AT_TRIGGER: &[&str] = &[
    "aws_secret_access_key",
    "authorization",
    "secret_assignment",
    "high_entropy_secret",
];

/// A builtin rule before compilation: kind, pattern, triggers (ASCII, matched
/// case-insensitively; every match contains one), check.
pub(super) type RuleSpec = (&'static str, String, &'static [&'static str], Check);

/// Names whose value is a secret, as the end of an identifier (`DB_PASSWORD`, `githubToken`,
/// `client_secret`, `x-api-key`), shared by the assignment rule and JSON keys.
pub(super) const SECRET_NAME: &str = r"(?i-u:password|passwd|passphrase|secret|token|credentials?|(?:api|access|secret|private|signing|encryption|master)[_-]?key)";

/// `:`, `=`, `:=`, `=>`, after an optional closing quote (also JSON-escaped, `\"`).
pub(super) const ASSIGN: &str = r#"(?:\\?["'])?[ \t]*(?::=|=>|[:=])[ \t]*"#;

/// Builtin rules, most specific first.
pub(super) fn builtin_rules() -> Vec<RuleSpec> {
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
