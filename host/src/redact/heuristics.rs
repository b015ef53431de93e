//! What tells a secret from a placeholder, a type or an expression.

/// Placeholder tokens in docs and examples repeat one character (`xxxx`, `0000`) or say so.
pub(super) fn is_placeholder_token(token: &str) -> bool {
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

pub(super) fn mixes_letters_and_digits(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit()) && text.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Whether the value of `secret-like-name = value` is a real value rather than a placeholder,
/// a type, a reference to another variable or a word.
pub(super) fn is_assigned_secret(value: &str) -> bool {
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

pub(super) fn is_placeholder(value: &str) -> bool {
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
pub(super) fn is_high_entropy_token(token: &str) -> bool {
    let token = token.trim_end_matches('=');
    if token.len() < 20 || is_placeholder(token) {
        return false;
    }
    let hex_or_uuid = token.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let digest = ["sha1-", "sha256-", "sha384-", "sha512-", "md5-"]
        .iter()
        .any(|prefix| token.starts_with(prefix));
    let path_like = token.contains('/') && token.contains('.');
    // Public keys are meant to be shared: age recipients, SSH public key bodies, nostr npubs.
    let public_key = [
        "age1",
        "npub1",
        "AAAAC3NzaC1lZDI1NTE5",
        "AAAAB3NzaC1yc2E",
        "AAAAE2VjZHNh",
    ]
    .iter()
    .any(|prefix| token.starts_with(prefix));
    if hex_or_uuid || digest || path_like || public_key {
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
pub(super) fn shannon_entropy(text: &str) -> f64 {
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

/// Whether a `header.payload.signature` token's header is base64url JSON, as every JWT's is:
/// dotted base64 that merely starts with `eyJ` is not one.
pub(super) fn is_jwt(token: &str) -> bool {
    use base64::Engine as _;
    let header = token.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .is_ok_and(|bytes| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).is_ok()
        })
}
