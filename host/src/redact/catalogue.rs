//! The provider catalogue: credential formats as data (`catalogue/*.toml`, described in its
//! README), compiled into the builtin rules ahead of the context rules.

use super::rules::RuleSpec;

/// The catalogue's files, most specific first, with the family each covers.
pub(super) const FILES: &[(&str, &str)] = &[
    ("keys", include_str!("catalogue/keys.toml")),
    ("ai", include_str!("catalogue/ai.toml")),
    ("cloud", include_str!("catalogue/cloud.toml")),
    ("source", include_str!("catalogue/source.toml")),
    ("registries", include_str!("catalogue/registries.toml")),
    ("payment", include_str!("catalogue/payment.toml")),
    ("messaging", include_str!("catalogue/messaging.toml")),
    (
        "observability",
        include_str!("catalogue/observability.toml"),
    ),
    ("data", include_str!("catalogue/data.toml")),
    ("saas", include_str!("catalogue/saas.toml")),
    ("generic", include_str!("catalogue/generic.toml")),
];

/// One credential format. `id`, `provider` and `what` are for people: the test that writes
/// docs/redaction.md reads them.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Entry {
    pub id: String,
    pub provider: String,
    pub what: String,
    #[serde(flatten)]
    pub rule: RuleSpec,
}

#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    rule: Vec<Entry>,
}

/// Every entry, with its family, in order. A file that does not parse is left out (the tests
/// parse every file, so a release never has one).
pub(super) fn entries() -> Vec<(&'static str, Entry)> {
    FILES
        .iter()
        .filter_map(|(family, text)| Some((*family, toml::from_str::<File>(text).ok()?)))
        .flat_map(|(family, file)| file.rule.into_iter().map(move |entry| (family, entry)))
        .collect()
}

pub(super) fn rules() -> Vec<RuleSpec> {
    entries().into_iter().map(|(_, entry)| entry.rule).collect()
}

/// What the catalogue is, for cache keys: titles redacted by another catalogue are stale.
pub fn fingerprint() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(_, text)| *text)
}

/// docs/redaction.md: every family, provider and kind, from the catalogue itself.
#[cfg(test)]
pub(super) fn markdown() -> String {
    let entries = entries();
    let providers: std::collections::BTreeSet<&str> = entries
        .iter()
        .flat_map(|(_, entry)| entry.provider.split(" / "))
        .map(|provider| provider.split(" (").next().unwrap_or(provider))
        .collect();
    let mut out = format!(
        "# Redaction\n\nGenerated from `host/src/redact/catalogue/` by `cargo test -p handoff \
         catalogue` (with `UPDATE_DOCS=1`); do not edit by hand.\n\n\
         {} rules for {} providers, then the context rules: credentials in URLs \
         (`scheme://user:pass@`), `.netrc` lines, CLI flags (`--password=…`, `--token …`, \
         `-p'…'`), cookies, `Authorization` headers, and values assigned to secret-like names in \
         code, env, YAML, TOML, INI and JSON (`DB_PASSWORD=…`, `\"clientSecret\": …`), and long \
         random values next to such names. A match becomes `[REDACTED:<kind>]`.\n",
        entries.len(),
        providers.len()
    );
    let mut family = "";
    for (name, entry) in &entries {
        if *name != family {
            family = name;
            out.push_str(&format!(
                "\n## {family}\n\n| provider | credential | kind |\n|---|---|---|\n"
            ));
        }
        out.push_str(&format!(
            "| {} | {} | `{}` |\n",
            entry.provider, entry.what, entry.rule.kind
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::engine::passes;
    use super::super::rules::Check;
    use super::super::{RedactionCounts, Redactor};
    use super::*;
    use rand::SeedableRng;
    use rand::distr::Distribution;
    use regex::Regex;
    use regex_syntax::hir::{Hir, HirKind};

    /// The pattern without its assertions (`\b`, `^`), which the sample generator cannot make.
    fn without_looks(hir: Hir) -> Hir {
        match hir.into_kind() {
            HirKind::Look(_) => Hir::empty(),
            HirKind::Repetition(mut repetition) => {
                repetition.sub = Box::new(without_looks(*repetition.sub));
                Hir::repetition(repetition)
            }
            HirKind::Capture(mut capture) => {
                capture.sub = Box::new(without_looks(*capture.sub));
                Hir::capture(capture)
            }
            HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(without_looks).collect()),
            HirKind::Alternation(subs) => {
                Hir::alternation(subs.into_iter().map(without_looks).collect())
            }
            kind @ (HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_)) => match kind {
                HirKind::Literal(literal) => Hir::literal(literal.0),
                HirKind::Class(class) => Hir::class(class),
                _ => Hir::empty(),
            },
        }
    }

    /// Samples of a rule's format, with the part the rule replaces, that its own check accepts.
    fn samples(spec: &RuleSpec, count: usize) -> Vec<(String, String)> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(&spec.pattern)
            .unwrap();
        let generator = rand_regex::Regex::with_hir(without_looks(hir), 12).unwrap();
        let regex = Regex::new(&spec.pattern).unwrap();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut out = Vec::new();
        for _ in 0..count * 30 {
            let sample: Result<String, _> = generator.sample(&mut rng);
            let Ok(mut sample) = sample else {
                continue;
            };
            if spec.check == Check::Jwt
                && let Some(start) = sample.find("eyJ")
                && let Some(dot) = sample[start..].find('.')
            {
                // A random header never decodes; a real one does (`{"alg":"HS256"}`).
                sample.replace_range(start..start + dot, "eyJhbGciOiJIUzI1NiJ9");
            }
            let Some(captures) = regex.captures(&sample) else {
                continue;
            };
            let span = captures
                .iter()
                .skip(1)
                .flatten()
                .next()
                .or_else(|| captures.get(0))
                .unwrap();
            let secret = span.as_str().to_owned();
            if secret.len() >= 4 && passes(spec.check, &secret) {
                out.push((sample, secret));
            }
            if out.len() == count {
                break;
            }
        }
        out
    }

    #[test]
    fn every_file_parses_and_ids_are_unique() {
        for (family, text) in FILES {
            toml::from_str::<File>(text).unwrap_or_else(|e| panic!("{family}.toml: {e}"));
        }
        let entries = entries();
        let mut ids = std::collections::HashSet::new();
        for (_, entry) in &entries {
            assert!(ids.insert(entry.id.clone()), "duplicate id {}", entry.id);
            assert!(
                !entry.rule.triggers.is_empty(),
                "{} has no trigger",
                entry.id
            );
            Regex::new(&entry.rule.pattern).unwrap_or_else(|e| panic!("{}: {e}", entry.id));
        }
        let providers: std::collections::BTreeSet<&str> = entries
            .iter()
            .flat_map(|(_, entry)| entry.provider.split(" / "))
            .collect();
        assert!(providers.len() >= 150, "{} providers", providers.len());
    }

    /// Each rule's own format, generated from its pattern, is redacted wherever it stands; the
    /// same text cut short after its trigger is left alone.
    #[test]
    fn generated_samples_are_redacted_and_near_misses_survive() {
        let redactor = Redactor::new(&[]).unwrap();
        let mut failures = Vec::new();
        for (_, entry) in entries() {
            let samples = samples(&entry.rule, 6);
            if samples.is_empty() {
                failures.push(format!("{}: no sample passes its own check", entry.id));
                continue;
            }
            for (sample, secret) in &samples {
                let lower = sample.to_ascii_lowercase();
                if !entry
                    .rule
                    .triggers
                    .iter()
                    .any(|t| lower.contains(&t.to_ascii_lowercase()))
                {
                    failures.push(format!("{}: no trigger in {sample:?}", entry.id));
                }
                let json = serde_json::to_string(sample).unwrap();
                let escaped = serde_json::to_string(secret).unwrap();
                let escaped = &escaped[1..escaped.len() - 1];
                let mut contexts = vec![
                    (format!("see {sample} here"), secret.as_str()),
                    (format!("{sample}\n"), secret.as_str()),
                ];
                // Escaping changes tabs and newlines into other text; the rest must still match.
                if !sample.contains(|c: char| c.is_control() || c == '\\') {
                    contexts.push((format!(r#"{{"output":{json}}}"#), escaped));
                }
                for (text, secret) in contexts {
                    let out = redactor.redact_text(&text, &mut RedactionCounts::default());
                    if out.contains(secret) {
                        failures.push(format!("{}: leaked {secret:?} from {text:?}", entry.id));
                    }
                }
            }
            // A sample that begins with its trigger, cut eight bytes after it (a value after a
            // name may be that short, so not for those).
            let (sample, _) = &samples[0];
            let lower = sample.to_ascii_lowercase();
            if let Some(trigger) = entry
                .rule
                .triggers
                .iter()
                .filter(|_| entry.rule.check != Check::AssignedValue)
                .find(|t| lower.starts_with(&t.to_ascii_lowercase()))
            {
                let end = (trigger.len() + 8).min(sample.len());
                if let Some(near) = sample.get(..end) {
                    let text = format!("near {near} miss");
                    let out = redactor.redact_text(&text, &mut RedactionCounts::default());
                    if out != text {
                        failures.push(format!("{}: near miss {text:?} became {out:?}", entry.id));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The corpus `scripts/compare-scanners` gives handoff and another scanner: five samples of
    /// each rule, each in a file of its own, in a line of prose. handoff finds every one; with
    /// `HANDOFF_SECRETS_CORPUS=<dir>` the files and what handoff found are written there.
    #[test]
    fn the_generated_corpus_is_found_whole() {
        let redactor = Redactor::new(&[]).unwrap();
        let out = std::env::var_os("HANDOFF_SECRETS_CORPUS").map(std::path::PathBuf::from);
        if let Some(out) = &out {
            std::fs::create_dir_all(out.join("corpus")).unwrap();
        }
        let mut findings = Vec::new();
        for (family, entry) in entries() {
            for (index, (sample, _)) in samples(&entry.rule, 5).iter().enumerate() {
                let text = format!("the value is {sample} here\n");
                let found = redactor.redact_text(&text, &mut RedactionCounts::default()) != text;
                assert!(found, "{}: {text:?} not found", entry.id);
                let file = format!("{}-{index}.txt", entry.id);
                if let Some(out) = &out {
                    std::fs::write(out.join("corpus").join(&file), &text).unwrap();
                }
                findings.push(serde_json::json!({
                    "file": file, "rule": entry.id, "family": family,
                    "kind": entry.rule.kind, "handoff": found,
                }));
            }
        }
        assert!(findings.len() >= 5 * 150, "{} samples", findings.len());
        if let Some(out) = &out {
            let lines: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
            std::fs::write(out.join("handoff.jsonl"), lines.join("\n") + "\n").unwrap();
        }
    }

    /// docs/redaction.md is the catalogue's; `UPDATE_DOCS=1` rewrites it.
    #[test]
    fn the_redaction_doc_lists_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/redaction.md");
        let expected = markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/redaction.md is stale: run with UPDATE_DOCS=1"
        );
    }
}
