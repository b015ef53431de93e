//! Writing into an agent's store: never overwrite, never half-write, private modes.

use handoff_plugin_api::AdapterError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents with mode 0700 (existing ones are left as they are).
pub fn create_private_dirs(dir: &Path) -> Result<(), AdapterError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| AdapterError::io(dir.display(), e))
}

/// Writes a new file atomically: a 0600 temp file in the same directory, fsynced, then linked into
/// place only if `path` does not exist yet. Readers never see a partial file and an existing file
/// is never replaced.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), AdapterError> {
    let dir = path
        .parent()
        .ok_or_else(|| AdapterError::invalid(format!("{}: no parent directory", path.display())))?;
    create_private_dirs(dir)?;
    // Refuse to write through a symlinked directory planted inside the store.
    let meta = std::fs::symlink_metadata(dir).map_err(|e| AdapterError::io(dir.display(), e))?;
    if meta.file_type().is_symlink() {
        return Err(AdapterError::invalid(format!(
            "{}: is a symlink; refusing to write through it",
            dir.display()
        )));
    }
    // tempfile creates with 0600 and O_EXCL.
    let mut temp = tempfile::Builder::new()
        .prefix(".handoff-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| AdapterError::io(dir.display(), e))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| AdapterError::io(temp.path().display(), e))?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            AdapterError::io(path.display(), "already exists; refusing to overwrite")
        } else {
            AdapterError::io(path.display(), e.error)
        }
    })?;
    Ok(())
}

/// Expands a leading `~/` against the home directory.
pub fn expand_tilde(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(rest))
            .unwrap_or_else(|| PathBuf::from(path)),
        None if path == "~" => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(path)),
        None => PathBuf::from(path),
    }
}

/// The user's home directory (`$HOME`).
pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The physical path of a directory (symlinks resolved), or the path itself when it cannot be
/// resolved (a project that no longer exists still has sessions).
pub fn physical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/session.jsonl");
        write_new_file(&path, b"one\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\n");
        let err = write_new_file(&path, b"two\n").unwrap_err();
        assert!(err.message.contains("already exists"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"one\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        }
        // No temp file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
