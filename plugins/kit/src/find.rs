//! Which session an `extract` means when it names no file: one id (in full, or a prefix only one
//! session's id starts with), or the newest session of a project. One routine, so every adapter
//! chooses and fails alike.
//!
//! The adapter brings the candidates, newest first, as an iterator: a search stops as soon as it
//! has its answer, so an adapter that checks each candidate lazily (a file read, a query) pays
//! only for the ones looked at.

use crate::fs::{check_session_file, check_session_id, expand_tilde, physical};
use handoff_plugin_api::{AdapterError, AdapterResult, ErrorKind, ExtractRequest};
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// One adapter's search, named for its errors.
pub struct Search<'a> {
    /// The agent, as errors name it: `claude`.
    pub agent: &'a str,
    /// Where the candidates came from (a folder, a database), as errors show it.
    pub looked_in: &'a dyn Display,
}

impl Search<'_> {
    /// The candidate whose id is `wanted`, else the one whose id starts with it. An exact id
    /// wins over a prefix; a prefix of several ids is ambiguous, and the error lists them. Of
    /// candidates sharing one id (copies of a session), the first, the newest, is chosen.
    pub fn by_id<T>(
        &self,
        wanted: &str,
        candidates: impl IntoIterator<Item = T>,
        id_of: impl Fn(&T) -> &str,
    ) -> AdapterResult<T> {
        // Every id starts with the empty string: it names no session.
        if wanted.is_empty() {
            return Err(AdapterError::invalid(format!(
                "{}: empty session id",
                self.agent
            )));
        }
        let mut by_prefix: Vec<T> = Vec::new();
        for candidate in candidates {
            let id = id_of(&candidate);
            if id == wanted {
                return Ok(candidate);
            }
            let new_match = id.starts_with(wanted) && !by_prefix.iter().any(|m| id_of(m) == id);
            if new_match {
                by_prefix.push(candidate);
            }
        }
        if by_prefix.len() > 1 {
            let mut ids: Vec<&str> = by_prefix.iter().map(&id_of).collect();
            ids.sort_unstable();
            return Err(AdapterError::new(
                ErrorKind::Ambiguous,
                format!(
                    "{} session id {wanted} is ambiguous: {}",
                    self.agent,
                    ids.join(", ")
                ),
            ));
        }
        by_prefix.pop().ok_or_else(|| {
            AdapterError::not_found(format!(
                "no {} session with id {wanted} (looked in {})",
                self.agent, self.looked_in
            ))
        })
    }

    /// The first candidate: the newest session of `project`, when the candidates are that
    /// project's sessions worth offering, newest first.
    pub fn latest<T>(
        &self,
        project: impl Display,
        candidates: impl IntoIterator<Item = T>,
    ) -> AdapterResult<T> {
        candidates.into_iter().next().ok_or_else(|| {
            AdapterError::not_found(format!(
                "no {} session for {project} (looked in {})",
                self.agent, self.looked_in
            ))
        })
    }
}

/// The session file an extract request names: its `path` as given; else the file of its
/// `session_id` (`by_id`, after the id passed [`check_session_id`]); else the newest session of
/// its `cwd` or the current directory (`latest`, given the physical project path). A file found in
/// the home must lie in it ([`check_session_file`]).
pub fn requested_file(
    agent: &str,
    home: &Path,
    request: &ExtractRequest,
    by_id: impl FnOnce(&str) -> AdapterResult<PathBuf>,
    latest: impl FnOnce(&Path) -> AdapterResult<PathBuf>,
) -> AdapterResult<PathBuf> {
    if let Some(path) = &request.path {
        let path = expand_tilde(path);
        check_session_file(None, &path)?;
        return Ok(path);
    }
    let path = if let Some(id) = &request.session_id {
        check_session_id(agent, id)?;
        by_id(id)?
    } else {
        let cwd = match &request.cwd {
            Some(cwd) => physical(&expand_tilde(cwd)),
            None => std::env::current_dir()
                .map(|d| physical(&d))
                .map_err(|e| AdapterError::io("current directory", e))?,
        };
        latest(&cwd)?
    };
    check_session_file(Some(home), &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHERE: &str = "/home/dev/.agent";

    fn search() -> Search<'static> {
        Search {
            agent: "agent",
            looked_in: &WHERE,
        }
    }

    fn by_id(wanted: &str, ids: &[&'static str]) -> AdapterResult<&'static str> {
        search().by_id(wanted, ids.iter().copied(), |id| id)
    }

    #[test]
    fn an_exact_id_wins_over_a_prefix() {
        assert_eq!(by_id("abc", &["abcd", "abc", "abce"]), Ok("abc"));
    }

    #[test]
    fn a_unique_prefix_chooses_its_session() {
        assert_eq!(by_id("ab", &["xyz", "abcd"]), Ok("abcd"));
    }

    #[test]
    fn copies_of_one_session_are_one_match_and_the_newest_is_chosen() {
        let candidates = [("abcd", "new"), ("xyz", "other"), ("abcd", "old")];
        let chosen = search().by_id("ab", candidates, |c| c.0);
        assert_eq!(chosen, Ok(("abcd", "new")));
    }

    #[test]
    fn an_ambiguous_prefix_lists_the_ids() {
        let error = by_id("ab", &["abd", "xyz", "abc"]).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Ambiguous);
        assert_eq!(error.message, "agent session id ab is ambiguous: abc, abd");
    }

    #[test]
    fn no_match_says_where_it_looked() {
        let error = by_id("ab", &["xyz"]).unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotFound);
        assert_eq!(
            error.message,
            "no agent session with id ab (looked in /home/dev/.agent)"
        );
        assert_eq!(
            by_id("", &["xyz"]).unwrap_err().kind,
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn latest_is_the_first_candidate_and_reads_no_further() {
        let mut looked_at = 0;
        let candidates = ["new", "old"].into_iter().inspect(|_| looked_at += 1);
        assert_eq!(search().latest("/p", candidates), Ok("new"));
        assert_eq!(looked_at, 1);
        let error = search().latest("/p", Vec::<&str>::new()).unwrap_err();
        assert_eq!(error.kind, ErrorKind::NotFound);
        assert_eq!(
            error.message,
            "no agent session for /p (looked in /home/dev/.agent)"
        );
    }

    #[test]
    fn an_exact_id_stops_the_search() {
        let mut looked_at = 0;
        let candidates = ["abc", "abcd"].into_iter().inspect(|_| looked_at += 1);
        assert_eq!(search().by_id("abc", candidates, |id| id), Ok("abc"));
        assert_eq!(looked_at, 1);
    }
}
