//! What a reader tells about the records it passed over.

use crate::jsonl::Lines;
use handoff_plugin_api::ExtractReport;

/// The report of a JSONL session's lines: those skipped as unreadable, and the records whose kind
/// (`kind_of`) is not in `known`.
pub fn of_lines<T>(
    lines: &Lines<T>,
    kind_of: impl Fn(&T) -> Option<&str>,
    known: &[&str],
) -> ExtractReport {
    let mut report = ExtractReport {
        skipped_lines: lines.skipped,
        ..ExtractReport::default()
    };
    let kinds = lines.rows.iter().filter_map(|(_, row)| kind_of(row));
    count_unknown(&mut report, kinds, known);
    report
}

/// Counts in `report` every record kind of `kinds` that is not in `known` (the kinds the reader
/// reads or knows to be the client's bookkeeping): a newer client than the adapter knows writes
/// them, and the reader passes over them as the client does.
pub fn count_unknown<'a>(
    report: &mut ExtractReport,
    kinds: impl IntoIterator<Item = &'a str>,
    known: &[&str],
) {
    for kind in kinds {
        if !known.contains(&kind) {
            report.unknown_record(kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kinds_outside_the_known_ones_are_counted() {
        let mut report = ExtractReport::default();
        count_unknown(
            &mut report,
            ["user", "new-kind", "tool", "new-kind", "x"],
            &["user", "tool"],
        );
        let counted: Vec<(&str, usize)> = report
            .unknown_records
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        assert_eq!(counted, [("new-kind", 2), ("x", 1)]);
    }
}
