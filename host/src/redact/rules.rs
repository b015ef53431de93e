//! The builtin rules as data: for each kind, a pattern, the literals that every match contains
//! (the prefilter's triggers) and the check that a match must pass.

/// Extra test a match must pass, for rules whose shape alone also fits ordinary text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Check {
    #[default]
    None,
    /// A vendor-shaped token, unless it is a placeholder (`ghp_xxxx…`, `sk_test_0000…`).
    Token,
    /// A token, and it looks machine-generated: letters and digits mixed.
    Random,
    /// The value of a `name = value` assignment: not a placeholder, a type or an expression.
    #[serde(rename = "assigned")]
    AssignedValue,
    /// A long high-entropy token next to a secret-like name.
    #[serde(rename = "entropy")]
    HighEntropy,
    /// A JSON Web Token: its header decodes to a JSON object.
    Jwt,
}

/// A rule before compilation.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct RuleSpec {
    /// What `[REDACTED:<kind>]` says.
    pub kind: String,
    pub pattern: String,
    /// ASCII literals, matched case-insensitively; every match contains one.
    pub triggers: Vec<String>,
    #[serde(default)]
    pub check: Check,
    /// Every match starts at a trigger (a secret-like name): the costly rules (case-insensitive
    /// names, long values) then run in windows at their triggers only.
    #[serde(default)]
    pub at_trigger: bool,
}

impl RuleSpec {
    fn generic(kind: &str, pattern: String, triggers: &[&str], check: Check) -> Self {
        Self {
            kind: kind.to_owned(),
            pattern,
            triggers: triggers.iter().map(|t| (*t).to_owned()).collect(),
            check,
            at_trigger: false,
        }
    }
}

/// Names whose value is a secret, as the end of an identifier (`DB_PASSWORD`, `githubToken`,
/// `client_secret`, `x-api-key`), shared by the assignment rule and JSON keys.
pub(super) const SECRET_NAME: &str = r"(?i-u:password|passwd|passphrase|secret|token|credentials?|(?:api|access|secret|private|signing|encryption|master)[_-]?key)";

/// `:`, `=`, `:=`, `=>`, after an optional closing quote (also JSON-escaped, `\"`).
pub(super) const ASSIGN: &str = r#"(?:\\?["'])?[ \t]*(?::=|=>|[:=])[ \t]*"#;

/// Builtin rules, most specific first: the provider catalogue, then the rules that know a secret
/// by where it stands (URLs, headers, flags, names).
pub(super) fn builtin_rules() -> Vec<RuleSpec> {
    let mut rules = super::catalogue::rules();
    rules.extend(context_rules());
    rules
}

/// Position of the first generic rule: the user's patterns go before it.
pub(super) const FIRST_GENERIC: &str = "secret_assignment";

fn context_rules() -> Vec<RuleSpec> {
    let assignment = format!(
        r#"{SECRET_NAME}{ASSIGN}(?:\\?"([^"\\\r\n]{{1,512}})\\?"|'([^'\r\n]{{1,512}})'|([^\s"'`,;(){{}}\[\]<>=][^\s"'`,;(){{}}\[\]<>]{{0,511}}))"#
    );
    let high_entropy = r#"(?i-u:key|secret|token|passw(?:or)?d|credential|auth)[A-Za-z0-9_-]{0,20}(?:\\?["'])?[ \t]*(?::=|=>|[:= \t])[ \t]*(?:\\?["'])?([A-Za-z0-9+/_.~=-]{20,512})"#;
    let at_trigger = |mut rule: RuleSpec| {
        rule.at_trigger = true;
        rule
    };
    vec![
        RuleSpec::generic(
            "url_credentials",
            r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@"'<>]*:([^\s/@"'<>]+)@[A-Za-z0-9\[]"#.to_owned(),
            &["://"],
            Check::AssignedValue,
        ),
        // `.netrc`: `machine host login user password secret`.
        at_trigger(RuleSpec::generic(
            "netrc_password",
            r"(?i-u:login)[ \t]+\S+[ \t]+(?i-u:password)[ \t]+(\S+)".to_owned(),
            &["login"],
            Check::AssignedValue,
        )),
        // `--password=…`, `--db-token …`, `--api-key …`; `-p'…'` glued to its quote (MySQL).
        at_trigger(RuleSpec::generic(
            "cli_secret_flag",
            r#"-(?i-u:password|passwd|token|secret|api-key|apikey|access-key|auth-key)(?:=|[ \t]+)(?:"([^"\s]{4,256})"|'([^'\s]{4,256})'|([^\s'"-][^\s'"]{3,255}))|-p(?:'([^'\s]{4,256})'|"([^"\s]{4,256})")"#.to_owned(),
            &["-password", "-passwd", "-token", "-secret", "-api-key", "-apikey", "-access-key", "-auth-key", "-p'", "-p\""],
            Check::AssignedValue,
        )),
        at_trigger(RuleSpec::generic(
            "cookie",
            r#"(?i-u:cookie)(?:\\?["'])?[ \t]*:[ \t]*[^\r\n]*?[A-Za-z0-9_.-]+=([A-Za-z0-9%+/_.~=-]{16,2048})"#.to_owned(),
            &["cookie"],
            Check::Random,
        )),
        at_trigger(RuleSpec::generic(
            "authorization",
            r#"(?:(?i-u:authorization)(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?(?i-u:bearer|basic|token|digest)[ \t]+([A-Za-z0-9._~+/=-]{8,})|(?i-u:bearer)[ \t]+([A-Za-z0-9._~+/-]{20,}=*))"#.to_owned(),
            &["authorization", "bearer"],
            Check::AssignedValue,
        )),
        at_trigger(RuleSpec::generic(
            FIRST_GENERIC,
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
        )),
        at_trigger(RuleSpec::generic(
            "high_entropy_secret",
            high_entropy.to_owned(),
            &["key", "secret", "token", "passw", "credential", "auth"],
            Check::HighEntropy,
        )),
    ]
}
