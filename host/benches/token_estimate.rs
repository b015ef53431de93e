//! Measures `budget::estimate_text` / `estimate_tokens` against OpenAI's o200k tokenizer (whose
//! vocabulary tiktoken-rs ships, so this runs offline):
//! `cargo bench -p handoff --bench token_estimate --features measure-tokens`.
//! Prints a markdown table; the figures are kept in docs/budget.md.

use std::path::{Path, PathBuf};

use handoff::budget::{IMAGE_TOKENS, estimate_text, estimate_tokens};
use handoff_plugin_api::{Adapter, ExtractRequest, Part, Transcript};
use tiktoken_rs::{CoreBPE, o200k_base};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The same framing constants as the estimate, with o200k counts for every text: the difference
/// is the error of the text estimate alone (framing differs per provider and is not measurable
/// offline).
fn reference_tokens(bpe: &CoreBPE, transcript: &Transcript) -> usize {
    let count = |text: &str| bpe.encode_ordinary(text).len();
    transcript
        .messages
        .iter()
        .map(|message| {
            4 + message
                .parts
                .iter()
                .map(|part| {
                    3 + match part {
                        Part::Text { text }
                        | Part::Reasoning { text, .. }
                        | Part::Compaction { summary: text } => count(text),
                        Part::ToolCall { name, input, .. } => {
                            count(name) + count(&input.to_string())
                        }
                        Part::ToolResult { output, images, .. } => {
                            count(output) + images.len() * IMAGE_TOKENS
                        }
                        Part::Image(_) => IMAGE_TOKENS,
                        Part::File(media) => media
                            .path
                            .iter()
                            .chain(&media.name)
                            .map(|text| count(text))
                            .sum(),
                    }
                })
                .sum::<usize>()
        })
        .sum()
}

/// Every string of a JSONL file longer than 40 bytes, except base64 images: the real prose,
/// markdown, JSON schemas and tool output a client stores.
fn strings_of(path: &Path) -> Vec<String> {
    fn walk(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(text) if text.len() > 40 && !text.starts_with("iVBOR") => {
                out.push(text.clone())
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, out)),
            serde_json::Value::Object(map) => map.values().for_each(|item| walk(item, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        if let Ok(value) = serde_json::from_str(line) {
            walk(&value, &mut out);
        }
    }
    out
}

fn row(name: &str, estimate: usize, reference: usize) {
    let error = (estimate as f64 - reference as f64) / reference.max(1) as f64 * 100.0;
    println!("| {name} | {estimate} | {reference} | {error:+.1} % |");
}

fn main() {
    let Ok(bpe) = o200k_base() else {
        eprintln!("o200k vocabulary unavailable");
        return;
    };
    let count = |text: &str| bpe.encode_ordinary(text).len();
    let claude = [
        "plugins/claude/tests/fixtures/real/c7f43f34-d913-44a6-9e66-6480077ad443.jsonl",
        "plugins/claude/tests/fixtures/client-written/compaction.jsonl",
    ];
    let codex = [
        "plugins/codex/tests/fixtures/real/rollout-2026-11-24T01-22-10-01a20b25-6870-7401-bf9b-27b91e0e682f.jsonl",
        "plugins/codex/tests/fixtures/captured-0.169/exec-failing-tool.jsonl",
    ];

    println!(
        "| transcript extracted by the adapter | estimate | o200k | error |\n|---|---|---|---|"
    );
    let adapters: [(&dyn Adapter, &[&str]); 2] = [
        (&handoff_claude::ClaudeAdapter, &claude),
        (&handoff_codex::CodexAdapter, &codex),
    ];
    for (adapter, files) in adapters {
        for file in files {
            let request = ExtractRequest {
                path: Some(repo().join(file).display().to_string()),
                ..ExtractRequest::default()
            };
            match adapter.extract(request) {
                Ok(extracted) => row(
                    file,
                    estimate_tokens(&extracted.transcript),
                    reference_tokens(&bpe, &extracted.transcript),
                ),
                Err(error) => println!("| {file} | extract failed: {} | | |", error.message),
            }
        }
    }

    println!(
        "\n| every stored string of a real client's file | estimate | o200k | error |\n|---|---|---|---|"
    );
    for file in claude.iter().chain(&codex) {
        let strings = strings_of(&repo().join(file));
        row(
            file,
            strings.iter().map(|text| estimate_text(text)).sum(),
            strings.iter().map(|text| count(text)).sum(),
        );
    }

    println!("\n| kind of content | estimate | o200k | error |\n|---|---|---|---|");
    let clean = repo().join("host/tests/fixtures/redaction/clean");
    for (kind, file) in [
        ("Rust source", "tiktoken-rs-vendor_tiktoken.rs"),
        ("Python source", "pip-network-auth.py"),
        ("JavaScript source", "npm-registry-fetch-auth.js"),
        ("minified JavaScript", "jquery.min.js"),
        ("Cargo.lock", "cargo-lock.toml"),
        ("package-lock.json", "package-lock.json"),
        ("git log --stat and -p", "git-log.txt"),
        ("shell tool output", "tool-output.txt"),
    ] {
        let text = std::fs::read_to_string(clean.join(file)).unwrap_or_default();
        row(kind, estimate_text(&text), count(&text));
    }
    let prose = std::fs::read_to_string(repo().join("host/tests/fixtures/redaction/README.md"))
        .unwrap_or_default();
    row(
        "English prose (markdown)",
        estimate_text(&prose),
        count(&prose),
    );
}
