//! Valid re-serialisations of session files, for the tests that prove a reader finds the same
//! sessions and messages however its input is written: spaces after `:` and `,` (Python's
//! `json.dumps`, `jq`), whitespace anywhere JSON allows, keys in another order, `/` and non-ASCII
//! escaped, CRLF (or, where the format allows, CR) line ends, a BOM, pretty-printing where the
//! format allows it; every combination, and files where each line chooses on its own.
//!
//! Built only with the `testing` feature, which only dev-dependencies turn on.
#![allow(clippy::unwrap_used)]

use handoff_plugin_api::{
    Adapter, AdapterResult, ExtractRequest, Extracted, InjectMode, InjectRequest, Injected,
    ListRequest, Message, Part, Role, SessionMeta, SessionSummary, Tool, ToolKind, Transcript,
};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::ser::Formatter;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, Write};

/// How a file is laid out, which decides the variants it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines: one value a line. Whitespace inside a line is free; a value never spans lines.
    Jsonl,
    /// One JSON document a file: whitespace anywhere, line breaks and pretty-printing included.
    Json,
    /// Lines of text (Markdown): the line ends and a BOM are all that can change.
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spacing {
    /// No whitespace at all, as JavaScript's `JSON.stringify` and serde_json write.
    Compact,
    /// A space after every `:` and `,`, as Python's `json.dumps` writes.
    Spaced,
    /// Spaces and tabs around every token, and around the value.
    Loose,
    /// One member a line, indented (documents only).
    Pretty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Original,
    /// Every object's keys reversed, at every level.
    Reversed,
    /// Every object's keys shuffled (seeded), at every level.
    Shuffled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    Lf,
    CrLf,
    /// A lone CR, which Markdown (CommonMark) and JSON whitespace allow, JSON Lines does not.
    Cr,
}

impl LineEnd {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnd::Lf => b"\n",
            LineEnd::CrLf => b"\r\n",
            LineEnd::Cr => b"\r",
        }
    }
}

/// One way to write a file: every line (every value) the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub spacing: Spacing,
    pub order: Order,
    /// `/` written `\/`, and every non-ASCII character `\uXXXX` (surrogate pairs beyond the BMP).
    pub escaped: bool,
    pub line_end: LineEnd,
    pub bom: bool,
}

impl fmt::Display for Variant {
    /// What differs from the compact original, `as written` when nothing does.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let mut parts = Vec::new();
        match self.spacing {
            Spacing::Compact => {}
            Spacing::Spaced => parts.push("spaced"),
            Spacing::Loose => parts.push("loose"),
            Spacing::Pretty => parts.push("pretty"),
        }
        match self.order {
            Order::Original => {}
            Order::Reversed => parts.push("reversed keys"),
            Order::Shuffled => parts.push("shuffled keys"),
        }
        if self.escaped {
            parts.push("escaped");
        }
        match self.line_end {
            LineEnd::Lf => {}
            LineEnd::CrLf => parts.push("CRLF"),
            LineEnd::Cr => parts.push("CR"),
        }
        if self.bom {
            parts.push("BOM");
        }
        if parts.is_empty() {
            parts.push("as written");
        }
        f.write_str(&parts.join("+"))
    }
}

/// A rewrite of a file: one [`Variant`] throughout, or a seeded random choice for every line:
/// one of the variants, or (one line in four, and a whole JSON document) a random choice at
/// every token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewrite {
    Fixed(Variant),
    Mixed(u64),
}

impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Rewrite::Fixed(variant) => variant.fmt(f),
            Rewrite::Mixed(seed) => write!(f, "mixed (seed {seed})"),
        }
    }
}

/// Seeds of the mixed rewrites [`rewrites`] gives.
const MIXED_SEEDS: u64 = 16;

/// Every combination of the variants `format` allows, then [`MIXED_SEEDS`] mixed rewrites.
pub fn rewrites(format: Format) -> Vec<Rewrite> {
    let mut all: Vec<Rewrite> = variants(format).into_iter().map(Rewrite::Fixed).collect();
    all.extend((0..MIXED_SEEDS).map(Rewrite::Mixed));
    all
}

/// Every combination of the variants `format` allows.
pub fn variants(format: Format) -> Vec<Variant> {
    let (spacings, orders, escapes, line_ends): (&[Spacing], &[Order], &[bool], &[LineEnd]) =
        match format {
            Format::Jsonl => (
                &[Spacing::Compact, Spacing::Spaced, Spacing::Loose],
                &[Order::Original, Order::Reversed, Order::Shuffled],
                &[false, true],
                &[LineEnd::Lf, LineEnd::CrLf],
            ),
            Format::Json => (
                &[
                    Spacing::Compact,
                    Spacing::Spaced,
                    Spacing::Loose,
                    Spacing::Pretty,
                ],
                &[Order::Original, Order::Reversed, Order::Shuffled],
                &[false, true],
                &[LineEnd::Lf, LineEnd::CrLf, LineEnd::Cr],
            ),
            Format::Text => (
                &[Spacing::Compact],
                &[Order::Original],
                &[false],
                &[LineEnd::Lf, LineEnd::CrLf, LineEnd::Cr],
            ),
        };
    let mut all = Vec::new();
    for &spacing in spacings {
        for &order in orders {
            for &escaped in escapes {
                for &line_end in line_ends {
                    for bom in [false, true] {
                        all.push(Variant {
                            spacing,
                            order,
                            escaped,
                            line_end,
                            bom,
                        });
                    }
                }
            }
        }
    }
    all
}

impl Rewrite {
    /// The same rewrite with another seed for its random choices (for the files of a tree).
    pub fn salted(self, salt: u64) -> Self {
        match self {
            Rewrite::Fixed(variant) => Rewrite::Fixed(variant),
            Rewrite::Mixed(seed) => Rewrite::Mixed(seed.wrapping_mul(1_000_003).wrapping_add(salt)),
        }
    }

    /// `bytes` (a file of `format`) rewritten. Lines (documents) that are not JSON are kept as
    /// they are, so a reader skips exactly the lines it skipped before.
    pub fn apply(self, format: Format, bytes: &[u8]) -> Vec<u8> {
        let seed = match self {
            Rewrite::Fixed(_) => 0x5eed,
            Rewrite::Mixed(seed) => seed,
        };
        let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
        let fixed = match self {
            Rewrite::Fixed(variant) => Some(variant),
            Rewrite::Mixed(_) => None,
        };
        let mut out = Vec::with_capacity(bytes.len() * 2);
        if fixed.map_or(rng.chance(2), |v| v.bom) {
            out.extend_from_slice("\u{feff}".as_bytes());
        }
        if format == Format::Json {
            let style = fixed.map_or(Style::Chaotic, Style::Fixed);
            let line_end = fixed.map_or(LineEnd::Lf, |v| v.line_end);
            // The whole file is one document: its line ends are whitespace inside it.
            let document = bytes.trim_ascii();
            out.extend(render(document, style, line_end, format, &mut rng));
            if bytes.ends_with(b"\n") {
                out.extend_from_slice(line_end.bytes());
            }
            return out;
        }
        let (lines, last_has_end) = split_lines(bytes);
        let mixable = variants(format);
        let mut previous_end = LineEnd::Lf;
        for (index, line) in lines.iter().enumerate() {
            let (style, mut line_end) = match fixed {
                Some(variant) => (Style::Fixed(variant), variant.line_end),
                None => {
                    let variant = mixable[rng.below(mixable.len())];
                    let style = if rng.chance(4) {
                        Style::Chaotic
                    } else {
                        Style::Fixed(variant)
                    };
                    (style, variant.line_end)
                }
            };
            // CR then LF would read as one CRLF line end and lose this (blank) line.
            if previous_end == LineEnd::Cr && line.is_empty() && line_end == LineEnd::Lf {
                line_end = LineEnd::CrLf;
            }
            match format {
                Format::Jsonl => out.extend(render(line, style, line_end, format, &mut rng)),
                Format::Json | Format::Text => out.extend_from_slice(line),
            }
            if index + 1 < lines.len() || last_has_end {
                out.extend_from_slice(line_end.bytes());
            }
            previous_end = line_end;
        }
        out
    }
}

/// What a reader makes of a file, part by part (its list rows, an extraction…), to compare.
pub type Observation = Vec<(&'static str, serde_json::Value)>;

/// The texts of every `role` message, in order.
pub fn texts(messages: &[Message], role: Role) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.role == role)
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            Part::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// A call of another agent whose reader knew its kind, for writer tests: its native `name` is
/// made up and its native input is the kind's shape (`args`, an object).
pub fn shared_call(id: &str, name: &str, kind: ToolKind, args: serde_json::Value) -> Part {
    let serde_json::Value::Object(map) = args.clone() else {
        panic!("a call's arguments are an object: {args}")
    };
    Part::ToolCall {
        id: id.into(),
        name: name.into(),
        input: args,
        tool: Tool { kind, args: map },
    }
}

/// The conversation every writer test hands over from another agent: a prompt, then an
/// assistant turn with text, a shell call and a read whose results follow (the read's as the
/// host's normalize step leaves an interrupted call), and more text.
pub fn foreign_transcript() -> Transcript {
    let session = SessionMeta {
        id: "src".into(),
        agent: "elsewhere".into(),
        title: Some("fix the build".into()),
        model: Some("other-model".into()),
        ..SessionMeta::default()
    };
    let result = |call_id: &str, output: &str, is_error: bool| Part::ToolResult {
        call_id: call_id.into(),
        output: output.into(),
        images: vec![],
        is_error,
    };
    let mut assistant = Message::new(
        Role::Assistant,
        vec![
            Part::Text {
                text: "Running make.".into(),
            },
            shared_call(
                "c1",
                "run",
                ToolKind::Shell,
                serde_json::json!({"command": "make", "workdir": "/p"}),
            ),
            shared_call(
                "c2",
                "open",
                ToolKind::Read,
                serde_json::json!({"path": "/p/Makefile"}),
            ),
            result("c1", "make: ok", false),
            result("c2", handoff_plugin_api::INTERRUPTED_OUTPUT, true),
            Part::Text {
                text: "Done.".into(),
            },
        ],
    );
    assistant.timestamp_ms = Some(1_764_000_000_000);
    assistant.model = Some("other-model".into());
    let user = Message::new(
        Role::User,
        vec![Part::Text {
            text: "fix the build please".into(),
        }],
    );
    Transcript::new(session, vec![user, assistant])
}

/// One line per part, for comparing a reading with what the client wrote: what the part is, and
/// the start of its text, the call's name and kind, or the result's flag and first line.
pub fn outline(transcript: &Transcript) -> Vec<String> {
    transcript
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .map(|p| match p {
            Part::Text { text } => format!("text {}", text.chars().take(20).collect::<String>()),
            Part::ToolCall { name, tool, .. } => format!("call {name} {:?}", tool.kind),
            Part::ToolResult {
                output, is_error, ..
            } => format!("result {is_error} {}", output.lines().next().unwrap_or("")),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The calls and results of a transcript, in order (what a same-agent round trip must keep).
pub fn calls(transcript: &Transcript) -> Vec<Part> {
    transcript
        .messages
        .iter()
        .flat_map(|m| m.parts.clone())
        .filter(|p| matches!(p, Part::ToolCall { .. } | Part::ToolResult { .. }))
        .collect()
}

/// List rows as every rewrite must keep them: id, cwd, title, message count, created time.
pub fn listed(rows: &[SessionSummary]) -> serde_json::Value {
    rows.iter()
        .map(|r| serde_json::json!([r.session_id, r.cwd, r.title, r.messages, r.created_ms]))
        .collect()
}

/// An extraction as every rewrite must keep it: the transcript (without the path it was read
/// from) and the skipped-line count, or the kind of error.
pub fn extracted(result: AdapterResult<Extracted>) -> serde_json::Value {
    match result {
        Ok(mut extracted) => {
            extracted.transcript.session.source_path = None;
            serde_json::json!({
                "transcript": extracted.transcript,
                "skipped_lines": extracted.report.skipped_lines,
            })
        }
        Err(error) => serde_json::json!({ "error": error.kind }),
    }
}

/// The rewrites `observe` sees otherwise than the original (`None`), one line each naming the
/// parts that differ: `<name>: <rewrite>: <parts> differ`.
pub fn differences(
    name: &str,
    format: Format,
    mut observe: impl FnMut(Option<Rewrite>) -> Observation,
) -> Vec<String> {
    let expected = observe(None);
    rewrites(format)
        .into_iter()
        .filter_map(|rewrite| {
            let got = observe(Some(rewrite));
            let parts: Vec<&str> = expected
                .iter()
                .zip(&got)
                .filter(|(want, have)| want != have)
                .map(|((part, _), _)| *part)
                .collect();
            (!parts.is_empty()).then(|| format!("{name}: {rewrite}: {} differ", parts.join("+")))
        })
        .collect()
}

/// [`differences`] for one file: `observe` gets the original bytes and each rewrite of them.
pub fn file_differences(
    name: &str,
    format: Format,
    original: &[u8],
    mut observe: impl FnMut(&[u8]) -> Observation,
) -> Vec<String> {
    differences(name, format, |rewrite| match rewrite {
        None => observe(original),
        Some(rewrite) => observe(&rewrite.apply(format, original)),
    })
}

/// The `.jsonl` fixtures in `dirs` under `root` (sorted within each folder), named by their path
/// under `root`, and the well-formed ones (not under `malformed`) again with every string under
/// one of `pad_keys` padded past the windows a listing searches (see [`padded`]), so that keys
/// in another order can land in the middle of a long line.
pub fn jsonl_fixtures(
    root: &std::path::Path,
    dirs: &[&str],
    pad_keys: &[&str],
) -> Vec<(String, Vec<u8>)> {
    let filler = "lorem ipsum dolor ".repeat(700);
    let mut named = Vec::new();
    for dir in dirs {
        // A fixture folder that is not there would make the proof quietly smaller.
        let entries = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{}: {e}", root.join(dir).display()));
        let mut files: Vec<std::path::PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for path in files {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if !name.starts_with("malformed") {
                named.push((format!("{name}, padded"), padded(&bytes, pad_keys, &filler)));
            }
            named.push((name, bytes));
        }
    }
    named
}

/// A JSON Lines file with every string under one of `keys` (at any depth) lengthened by a line
/// of `filler`, written as before (compact, keys in their order): its rows become long lines
/// whose keys, in another order, can land beyond the windows a listing searches.
pub fn padded(bytes: &[u8], keys: &[&str], filler: &str) -> Vec<u8> {
    fn pad(json: &mut Json, keys: &[&str], filler: &str) {
        match json {
            Json::Array(items) => items.iter_mut().for_each(|item| pad(item, keys, filler)),
            Json::Object(entries) => {
                for (key, value) in entries {
                    match value {
                        Json::String(text) if keys.contains(&key.as_str()) => {
                            text.push('\n');
                            text.push_str(filler);
                        }
                        _ => pad(value, keys, filler),
                    }
                }
            }
            _ => {}
        }
    }
    let (lines, last_has_end) = split_lines(bytes);
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for (index, line) in lines.iter().enumerate() {
        match serde_json::from_slice::<Json>(line) {
            Ok(mut json) => {
                pad(&mut json, keys, filler);
                out.extend(serde_json::to_vec(&json).unwrap());
            }
            Err(_) => out.extend_from_slice(line),
        }
        if index + 1 < lines.len() || last_has_end {
            out.push(b'\n');
        }
    }
    out
}

/// The lines of `bytes` without their line ends (`\n`, or `\r\n`), and whether the last one
/// had its end.
fn split_lines(bytes: &[u8]) -> (Vec<&[u8]>, bool) {
    let mut lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .collect();
    let last_has_end = bytes.ends_with(b"\n");
    if last_has_end {
        lines.pop();
    }
    (lines, last_has_end)
}

/// One JSON text rewritten in `style`; anything that does not parse as JSON is kept as it is.
fn render(text: &[u8], style: Style, line_end: LineEnd, format: Format, rng: &mut Rng) -> Vec<u8> {
    let trimmed = text.trim_ascii();
    let Ok(mut json) = serde_json::from_slice::<Json>(trimmed) else {
        return text.to_vec();
    };
    arrange(&mut json, style, rng);
    let mut writer = Writer {
        style,
        rng,
        line_end,
        newlines: format == Format::Json,
        indent: 0,
        has_value: false,
    };
    let mut out = writer.gap(Place::Around);
    let after = writer.gap(Place::Around);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, writer);
    json.serialize(&mut serializer).unwrap();
    out.extend(after);
    out
}

#[derive(Debug, Clone, Copy)]
enum Style {
    Fixed(Variant),
    /// A random choice at every token: whitespace of any kind between every two tokens, each
    /// object's keys in any order, each string escaped or not. A writer spaces a line
    /// throughout or not at all; the fast paths tell a line's shape by its envelope, so a line
    /// compact up to its envelope with a lone space deep inside is not among the rewrites.
    Chaotic,
}

/// A JSON value that keeps its keys in the order they were read (serde_json's `Value` sorts
/// them unless its `preserve_order` feature is on, which would change the readers under test).
enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(text) => s.serialize_str(text),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// Puts every object's keys in the style's order. An object with a repeated key keeps its
/// order: which of the two a reader takes depends on it.
fn arrange(json: &mut Json, style: Style, rng: &mut Rng) {
    match json {
        Json::Array(items) => items.iter_mut().for_each(|item| arrange(item, style, rng)),
        Json::Object(entries) => {
            let order = match style {
                Style::Fixed(variant) => variant.order,
                Style::Chaotic => [Order::Original, Order::Reversed, Order::Shuffled][rng.below(3)],
            };
            let mut keys = HashSet::new();
            if entries.iter().all(|(key, _)| keys.insert(key.as_str())) {
                match order {
                    Order::Original => {}
                    Order::Reversed => entries.reverse(),
                    Order::Shuffled => {
                        for i in (1..entries.len()).rev() {
                            entries.swap(i, rng.below(i + 1));
                        }
                    }
                }
            }
            for (_, value) in entries {
                arrange(value, style, rng);
            }
        }
        _ => {}
    }
}

/// Where whitespace may go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before and after the whole value.
    Around,
    AfterOpen,
    BeforeClose,
    BeforeColon,
    AfterColon,
    BeforeComma,
    AfterComma,
}

/// serde_json's output, spaced and escaped as the style says.
struct Writer<'a> {
    style: Style,
    rng: &'a mut Rng,
    line_end: LineEnd,
    /// Whether line breaks are whitespace here (documents), or end the value (JSON Lines).
    newlines: bool,
    /// For pretty-printing: the depth, and whether the open container has a member yet.
    indent: usize,
    has_value: bool,
}

impl Writer<'_> {
    fn gap(&mut self, place: Place) -> Vec<u8> {
        let spacing = match self.style {
            Style::Fixed(variant) => variant.spacing,
            Style::Chaotic => {
                let mut choices: Vec<&[u8]> = vec![b" ", b"  ", b"\t", b" \t "];
                if self.newlines {
                    choices.push(self.line_end.bytes());
                    choices.push(b"\n  ");
                    choices.push(b"\r\n\t");
                }
                return choices[self.rng.below(choices.len())].to_vec();
            }
        };
        let text: &[u8] = match (spacing, place) {
            (Spacing::Compact | Spacing::Pretty, _) => b"",
            (Spacing::Spaced, Place::AfterColon | Place::AfterComma) => b" ",
            (Spacing::Spaced, _) => b"",
            (Spacing::Loose, Place::Around | Place::AfterColon) => b" ",
            (Spacing::Loose, Place::AfterOpen | Place::BeforeClose) => b" \t",
            (Spacing::Loose, Place::BeforeColon | Place::BeforeComma) => b"\t",
            (Spacing::Loose, Place::AfterComma) => b"  ",
        };
        text.to_vec()
    }

    fn pretty(&self) -> bool {
        matches!(self.style, Style::Fixed(v) if v.spacing == Spacing::Pretty)
    }

    fn newline_and_indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(self.line_end.bytes())?;
        w.write_all(&b"  ".repeat(self.indent))
    }

    fn escaped(&mut self) -> bool {
        match self.style {
            Style::Fixed(variant) => variant.escaped,
            Style::Chaotic => self.rng.chance(2),
        }
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.indent += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.indent -= 1;
        if self.pretty() {
            if self.has_value {
                self.newline_and_indent(w)?;
            }
        } else if self.has_value {
            w.write_all(&self.gap(Place::BeforeClose))?;
        }
        self.has_value = true;
        w.write_all(bracket)
    }

    fn member<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if !first {
            let before = self.gap(Place::BeforeComma);
            w.write_all(&before)?;
            w.write_all(b",")?;
        }
        if self.pretty() {
            return self.newline_and_indent(w);
        }
        let after = self.gap(if first {
            Place::AfterOpen
        } else {
            Place::AfterComma
        });
        w.write_all(&after)
    }
}

impl Formatter for Writer<'_> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if !self.escaped() {
            return w.write_all(fragment.as_bytes());
        }
        let upper = self.rng.chance(2);
        for c in fragment.chars() {
            if c == '/' {
                w.write_all(b"\\/")?;
            } else if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    if upper {
                        write!(w, "\\u{unit:04X}")?;
                    } else {
                        write!(w, "\\u{unit:04x}")?;
                    }
                }
            }
        }
        Ok(())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.member(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.member(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.pretty() {
            return w.write_all(b": ");
        }
        let before = self.gap(Place::BeforeColon);
        let after = self.gap(Place::AfterColon);
        w.write_all(&[before, b":".to_vec(), after].concat())
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// splitmix64: small, seeded, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True one time in `n`.
    fn chance(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Every file under `root` with its bytes and mtime, sorted: what a reader must leave as it was.
pub fn tree_snapshot(
    root: &std::path::Path,
) -> Vec<(std::path::PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                out.push((path.clone(), std::fs::read(&path).unwrap(), modified));
            }
        }
    }
    out.sort();
    out
}

/// An adapter's operations on a home folder, as its tests call them (each must succeed).
pub struct Calls<A>(pub A);

impl<A: Adapter> Calls<A> {
    pub fn extract(&self, home: &std::path::Path, request: ExtractRequest) -> Extracted {
        self.0
            .extract(ExtractRequest {
                home: home_str(home),
                ..request
            })
            .unwrap()
    }

    pub fn list(&self, home: &std::path::Path, cwd: Option<&str>) -> Vec<SessionSummary> {
        self.0
            .list_sessions(ListRequest {
                home: home_str(home),
                cwd: cwd.map(str::to_owned),
                ..Default::default()
            })
            .unwrap()
    }

    pub fn inject(
        &self,
        home: &std::path::Path,
        cwd: &std::path::Path,
        mode: InjectMode,
        transcript: Transcript,
    ) -> Injected {
        self.0
            .inject(InjectRequest {
                home: home_str(home),
                cwd: cwd.display().to_string(),
                mode,
                transcript,
            })
            .unwrap()
    }
}

/// A home as requests name it.
pub fn home_str(home: &std::path::Path) -> Option<String> {
    Some(home.display().to_string())
}

/// An extract of session `id` (or the one whose id starts with it).
pub fn by_id(id: &str) -> ExtractRequest {
    ExtractRequest {
        session_id: Some(id.to_owned()),
        ..Default::default()
    }
}

/// The permission bits of a file or folder.
#[cfg(unix)]
pub fn file_mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const SAMPLE: &str =
        r#"{"type":"user","cwd":"/home/dév/😀","n":[1,-2,3.5,{"a":null,"b":true}],"e":{},"l":[]}"#;

    fn parsed(bytes: &[u8]) -> Value {
        let text = std::str::from_utf8(bytes).unwrap();
        serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
    }

    #[test]
    fn every_rewrite_of_a_json_line_is_the_same_value() {
        let original: Value = serde_json::from_str(SAMPLE).unwrap();
        for format in [Format::Jsonl, Format::Json] {
            for rewrite in rewrites(format) {
                let bytes = rewrite.apply(format, format!("{SAMPLE}\n").as_bytes());
                assert_eq!(parsed(&bytes), original, "{rewrite}: {bytes:?}");
                if format == Format::Jsonl {
                    let text = String::from_utf8(bytes).unwrap();
                    assert_eq!(text.trim_end_matches(['\r', '\n']).lines().count(), 1);
                }
            }
        }
    }

    #[test]
    fn variants_write_what_they_say() {
        let line = |variant: Variant| {
            let bytes = Rewrite::Fixed(variant).apply(Format::Jsonl, SAMPLE.as_bytes());
            String::from_utf8(bytes).unwrap()
        };
        let base = Variant {
            spacing: Spacing::Compact,
            order: Order::Original,
            escaped: false,
            line_end: LineEnd::Lf,
            bom: false,
        };
        assert_eq!(line(base), SAMPLE);
        let spaced = line(Variant {
            spacing: Spacing::Spaced,
            ..base
        });
        assert!(
            spaced.starts_with(r#"{"type": "user", "cwd": "#),
            "{spaced}"
        );
        let reversed = line(Variant {
            order: Order::Reversed,
            ..base
        });
        assert!(reversed.starts_with(r#"{"l":[],"e":{},"n":[1,-2,3.5,{"b":true,"a":null}]"#));
        let escaped = line(Variant {
            escaped: true,
            ..base
        });
        assert!(
            escaped.contains(r#""\/home\/d\u00e9v\/\ud83d\ude00""#)
                || escaped.contains(r#""\/home\/d\u00E9v\/\uD83D\uDE00""#),
            "{escaped}"
        );
        let bom = line(Variant { bom: true, ..base });
        assert!(bom.starts_with('\u{feff}'));
    }

    #[test]
    fn garbage_lines_and_a_missing_last_line_end_are_kept() {
        let text = b"{\"a\":1}\nnot json\n\n{\"trunc";
        for rewrite in rewrites(Format::Jsonl) {
            let out = rewrite.apply(Format::Jsonl, text);
            let out = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = out
                .trim_start_matches('\u{feff}')
                .split('\n')
                .map(|l| l.trim_end_matches('\r'))
                .collect();
            assert_eq!(lines[1], "not json", "{rewrite}");
            assert_eq!(lines[2], "", "{rewrite}");
            assert_eq!(lines[3], "{\"trunc", "{rewrite}");
        }
    }

    #[test]
    fn text_lines_survive_every_line_end() {
        let text = "# a\n\n#### b  \n\nc\n";
        let normal = |bytes: &[u8]| {
            let text = std::str::from_utf8(bytes).unwrap();
            let text = text.trim_start_matches('\u{feff}');
            text.replace("\r\n", "\n").replace('\r', "\n")
        };
        for rewrite in rewrites(Format::Text) {
            assert_eq!(
                normal(&rewrite.apply(Format::Text, text.as_bytes())),
                text,
                "{rewrite}"
            );
        }
    }
}
