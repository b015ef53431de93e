//! `workspace.yaml`, the session's summary (id, folder, name, times). Written by hand: the file is
//! a flat map of scalars, and a YAML library would be larger than this adapter.

use std::collections::HashMap;

/// The scalars of a flat `key: value` YAML map. Values may be plain, `'single'` (`''` is a
/// quote) or `"double"` quoted (JSON escapes); lines that are not `key: value` are ignored.
pub fn parse(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|line| !line.starts_with([' ', '\t', '#', '-']))
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            Some((key.trim().to_owned(), scalar(value.trim())))
        })
        .collect()
}

fn scalar(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if value.starts_with('"')
        && let Ok(text) = serde_json::from_str::<String>(value)
    {
        return text;
    }
    // A plain scalar ends at a comment.
    value.split(" #").next().unwrap_or(value).trim().to_owned()
}

/// A value as a double-quoted YAML scalar: JSON's string syntax is a subset of it.
pub fn quote(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scalar_style_reads_back() {
        let text = "id: 0af6\ncwd: /tmp/p q\nname: 'it''s: done'\nbranch: \"a\\nb\"\nuser_named: false # note\n  nested: x\n";
        let map = parse(text);
        assert_eq!(map["id"], "0af6");
        assert_eq!(map["cwd"], "/tmp/p q");
        assert_eq!(map["name"], "it's: done");
        assert_eq!(map["branch"], "a\nb");
        assert_eq!(map["user_named"], "false");
        assert!(!map.contains_key("nested"));
        assert_eq!(
            parse(&format!("name: {}\n", quote("a: 'b' \"c\"\n")))["name"],
            "a: 'b' \"c\"\n"
        );
    }
}
