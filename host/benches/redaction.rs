//! Redaction throughput: `cargo bench -p handoff --bench redaction`. The figures are kept in the
//! docs of `host/src/redact.rs`.

use std::path::Path;
use std::time::Instant;

use handoff::redact::{RedactionCounts, Redactor};

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redaction")
}

fn main() {
    let clean = fixtures().join("clean");
    let mut corpus = String::new();
    let mut names: Vec<_> = std::fs::read_dir(&clean)
        .map(|dir| {
            dir.filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    for path in names {
        corpus.push_str(&std::fs::read_to_string(path).unwrap_or_default());
    }
    let secrets: Vec<String> = std::fs::read_to_string(fixtures().join("secrets.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|entry| entry["context"].as_str().map(str::to_owned))
        .collect();

    // ~20 MB of texts of 16 KB (a tool output or a long message each), a secret every ~4 KB.
    let mut texts = Vec::new();
    let mut total = 0;
    let mut secret = secrets.iter().cycle();
    while total < 20_000_000 {
        for chunk in corpus.as_bytes().chunks(4_096) {
            let mut text = String::from_utf8_lossy(chunk).into_owned();
            text.push('\n');
            text.push_str(secret.next().map_or("", String::as_str));
            text.push('\n');
            total += text.len();
            texts.push(text);
        }
    }
    let texts: Vec<String> = texts.chunks(4).map(|group| group.concat()).collect();

    let redactor = match Redactor::new(&[]) {
        Ok(redactor) => redactor,
        Err(error) => return eprintln!("{error}"),
    };
    let measure = |name: &str, texts: &[String]| {
        let bytes: usize = texts.iter().map(String::len).sum();
        let mut counts = RedactionCounts::default();
        let start = Instant::now();
        for text in texts {
            std::hint::black_box(redactor.redact_text(text, &mut counts));
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{name}: {:.1} MB in {seconds:.2} s = {:.0} MB/s, {} redactions",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / seconds,
            counts.total()
        );
    };
    measure("realistic transcript text with secrets", &texts);
    let image = std::fs::read_to_string(clean.join("base64-png.txt")).unwrap_or_default();
    let images: Vec<String> = std::iter::repeat_n(image, 20_000_000 / 30_000).collect();
    measure("base64 image data (no trigger)", &images);

    // For scale: serializing the same text as JSON, which every transfer does at least once.
    let start = Instant::now();
    let json = serde_json::to_string(&texts).unwrap_or_default();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "serde_json::to_string of the same texts: {:.0} MB/s",
        json.len() as f64 / 1e6 / seconds
    );
}
