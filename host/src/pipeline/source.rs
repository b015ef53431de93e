//! The extract step: the chosen session, or the latest of the nearest project that has one.

use anyhow::Result;
use handoff_plugin_api::{ExtractRequest, Extracted, Transcript};

use crate::error::{Error, Kind, fail};
use crate::project;
use crate::registry::Agent;

/// What the source step found.
pub struct Source {
    pub extracted: Extracted,
}

/// Extracts the chosen (or latest) session of `cwd` from `agent`.
pub fn extract(
    agent: &Agent,
    home: Option<String>,
    cwd: &str,
    session_id: Option<String>,
) -> Result<Source> {
    // An id reaches file names and queries: one that could be a path is refused here, whatever
    // the adapter (a plugin's too) would make of it.
    if let Some(id) = &session_id {
        handoff_adapter_kit::fs::check_session_id(&agent.info.name, id)
            .map_err(|e| Error::new(Kind::Usage, e.message))?;
    }
    let extracted = agent.extract(ExtractRequest {
        home,
        cwd: Some(cwd.to_owned()),
        session_id,
        path: None,
    })?;
    if extracted.transcript.messages.is_empty() {
        let session = &extracted.transcript.session;
        let name = session.source_path.as_deref().unwrap_or(&session.id);
        // Lines were there but none could be read: a broken session, not an empty one.
        return match extracted.report.skipped_lines {
            0 => fail(
                Kind::NoSession,
                format!("{name}: the session has no messages to hand off"),
            ),
            skipped => fail(
                Kind::InvalidSession,
                format!(
                    "{name}: the session has no messages to hand off ({skipped} unreadable lines skipped)"
                ),
            ),
        };
    }
    Ok(Source { extracted })
}

/// The chosen session (`session_id`, found in every project), or the latest of the nearest
/// project with one: `here`, then its ancestors up to the repository's root. With the project
/// the session was found for.
pub fn extract_nearest(
    agent: &Agent,
    home: Option<String>,
    here: &str,
    session_id: Option<&str>,
) -> Result<(String, Source)> {
    if let Some(id) = session_id {
        let source = extract(agent, home, here, Some(id.to_owned()))?;
        return Ok((here.to_owned(), source));
    }
    let mut first_miss = None;
    let found = project::nearest(here, |dir| match extract(agent, home.clone(), dir, None) {
        Ok(source) => Ok(Some(source)),
        Err(e) if crate::error::is_not_found(&e) => {
            first_miss.get_or_insert(e);
            Ok(None)
        }
        Err(e) => Err(e),
    })?;
    match (found, first_miss) {
        (Some(found), _) => Ok(found),
        (None, Some(miss)) => Err(miss),
        (None, None) => fail(Kind::NoSession, format!("no session for {here}")),
    }
}

/// The directory the source session recorded, as a physical path, if it still exists.
pub fn recorded_dir(transcript: &Transcript) -> Option<String> {
    let recorded = transcript.session.cwd.as_deref()?;
    let physical = std::fs::canonicalize(recorded).ok()?;
    physical
        .is_dir()
        .then(|| physical.to_string_lossy().into_owned())
}
