//! JSON values as the editor's JavaScript reads them: lenient about types, a field of another
//! type than expected is absent.

use serde_json::Value;

/// A JSON document (a byte-order mark before it tolerated), `None` when it is not JSON.
pub fn parse(bytes: &[u8]) -> Option<Value> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    serde_json::from_slice(bytes).ok()
}

pub fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key)?.as_str()
}

/// A non-empty string field.
pub fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    str_of(value, key).filter(|s| !s.trim().is_empty())
}

/// A time in unix milliseconds: a number, a numeric string, or an RFC 3339 string (bubbles keep
/// ISO strings, chat headers numbers).
pub fn time_of(value: &Value, key: &str) -> Option<i64> {
    match value.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            // Saturating: a float time is still roughly that time.
            #[allow(clippy::cast_possible_truncation)]
            n.as_f64().map(|f| f as i64)
        }),
        Value::String(s) => s
            .trim()
            .parse()
            .ok()
            .or_else(|| handoff_adapter_kit::time::parse_rfc3339_ms(s)),
        _ => None,
    }
}

/// An integer: a number or a numeric string (`type` of a bubble).
pub fn int_of(value: &Value, key: &str) -> Option<i64> {
    match value.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub fn array_of<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A field that holds JSON either as an object or as a JSON-encoded string (`rawArgs`, `params`,
/// `result`): the value, or the string itself when it is not JSON.
pub fn embedded(value: &Value) -> Value {
    match value {
        Value::String(s) => parse(s.as_bytes()).unwrap_or_else(|| value.clone()),
        other => other.clone(),
    }
}
