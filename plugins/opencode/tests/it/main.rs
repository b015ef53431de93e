//! The OpenCode adapter's integration tests, in one binary.

mod adapter;
mod legacy_install;
mod real_client;
mod v2;

use handoff_plugin_api::Part;

/// The tool results among `parts`: (call id, output, is error), in order.
fn tool_results<'a>(parts: impl IntoIterator<Item = &'a Part>) -> Vec<(&'a str, &'a str, bool)> {
    parts
        .into_iter()
        .filter_map(|p| match p {
            Part::ToolResult {
                call_id,
                output,
                is_error,
                ..
            } => Some((call_id.as_str(), output.as_str(), *is_error)),
            _ => None,
        })
        .collect()
}
