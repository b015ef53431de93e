//! Which project a command is about. Agents record the directory they were started in; a user
//! who runs handoff from `src/` of the same repository means the repository's sessions. So a
//! lookup tries the directory itself, then each ancestor up to the repository's root, and takes
//! the nearest one that has sessions.

use std::path::Path;

/// Files or folders that mark a repository's root.
const REPOSITORY_MARKERS: [&str; 3] = [".git", ".jj", ".hg"];

/// The directories a lookup tries, nearest first: `dir`, then its ancestors up to the root of
/// the repository holding it. Outside a repository only `dir` itself: its parents are other
/// projects.
pub fn candidates(dir: &str) -> Vec<String> {
    let ancestors: Vec<&Path> = Path::new(dir).ancestors().collect();
    let root = ancestors
        .iter()
        .position(|a| REPOSITORY_MARKERS.iter().any(|m| a.join(m).exists()));
    let take = root.map_or(1, |at| at + 1);
    ancestors
        .into_iter()
        .take(take)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The first candidate of `dir` for which `find` finds something, with that directory.
/// `find` answers `Ok(None)` for "nothing here"; its errors stop the search.
pub fn nearest<T, E>(
    dir: &str,
    mut find: impl FnMut(&str) -> Result<Option<T>, E>,
) -> Result<Option<(String, T)>, E> {
    for candidate in candidates(dir) {
        if let Some(found) = find(&candidate)? {
            return Ok(Some((candidate, found)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_stop_at_the_repository_root() {
        let temp = tempfile::tempdir().unwrap();
        let repo = temp.path().join("repo");
        let deep = repo.join("src/module");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir(repo.join(".git")).unwrap();
        let got = candidates(deep.to_str().unwrap());
        let want: Vec<String> = [&deep, &repo.join("src"), &repo]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn outside_a_repository_only_the_directory_itself() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("a/b");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            candidates(dir.to_str().unwrap()),
            [dir.display().to_string()]
        );
    }
}
