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

/// Writes a new file at `path`, which must lie inside `home`, atomically: a 0600 temp file in the
/// same directory, fsynced, then linked into place only if `path` does not exist yet. Readers
/// never see a partial file and an existing file is never replaced.
///
/// The home itself may be a symlink (users move `~/.claude` to another disk); nothing inside it
/// may be: every directory between the home and the file is created 0700 or must already be a
/// real directory, and `..`, absolute or empty components are refused, so a write can never land
/// outside the home.
pub fn write_new_file(home: &Path, path: &Path, bytes: &[u8]) -> Result<(), AdapterError> {
    write_new_file_with(home, path, |out| {
        out.write_all(bytes)
            .map_err(|e| AdapterError::io(path.display(), e))
    })
}

/// [`write_new_file`] of the bytes `write` puts down as it makes them, so a long session is never
/// held whole in memory as well as written. Nothing appears at `path` unless `write` succeeds.
pub fn write_new_file_with(
    home: &Path,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), AdapterError>,
) -> Result<(), AdapterError> {
    let outside = || {
        AdapterError::invalid(format!(
            "{}: not inside {}; refusing to write",
            path.display(),
            home.display()
        ))
    };
    let relative = path.strip_prefix(home).map_err(|_| outside())?;
    let mut names: Vec<&std::ffi::OsStr> = Vec::new();
    for component in relative.components() {
        match component {
            std::path::Component::Normal(name) => names.push(name),
            _ => return Err(outside()),
        }
    }
    let file_name = names.pop().ok_or_else(outside)?;
    create_private_dirs(home)?;
    let root = std::fs::canonicalize(home).map_err(|e| AdapterError::io(home.display(), e))?;
    let mut dir = root.clone();
    for name in names {
        dir.push(name);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(AdapterError::invalid(format!(
                    "{}: is a symlink; refusing to write through it",
                    dir.display()
                )));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(AdapterError::invalid(format!(
                    "{}: not a directory",
                    dir.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private_dir(&dir)?,
            Err(e) => return Err(AdapterError::io(dir.display(), e)),
        }
    }
    let path = dir.join(file_name);
    let temp = temp_file_in(&dir)?;
    persist(temp, &dir, &path, write)
}

/// One directory, 0700; one that appeared meanwhile is fine (it is checked by the caller's
/// final canonical-path comparison).
fn create_private_dir(dir: &Path) -> Result<(), AdapterError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(AdapterError::io(dir.display(), e)),
    }
}

/// A 0600, exclusively created temp file in `dir` (tempfile uses O_EXCL).
fn temp_file_in(dir: &Path) -> Result<tempfile::NamedTempFile, AdapterError> {
    tempfile::Builder::new()
        .prefix(".handoff-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| AdapterError::io(dir.display(), e))
}

/// Fills and syncs the temp file, then links it into place unless something is there already.
/// The directory is checked once more first: had a component been swapped for a symlink since
/// the walk, its canonical path would differ.
fn persist(
    mut temp: tempfile::NamedTempFile,
    dir: &Path,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), AdapterError>,
) -> Result<(), AdapterError> {
    /// Bytes handed to the kernel at a time.
    const BUFFER: usize = 1 << 20;
    let temp_path = temp.path().to_path_buf();
    let mut out = std::io::BufWriter::with_capacity(BUFFER, temp.as_file_mut());
    write(&mut out)?;
    out.flush()
        .map_err(|e| AdapterError::io(temp_path.display(), e))?;
    drop(out);
    temp.as_file()
        .sync_all()
        .map_err(|e| AdapterError::io(temp_path.display(), e))?;
    let now = std::fs::canonicalize(dir).map_err(|e| AdapterError::io(dir.display(), e))?;
    if now != dir {
        return Err(AdapterError::invalid(format!(
            "{}: changed into a link to {} while writing; refusing",
            dir.display(),
            now.display()
        )));
    }
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            AdapterError::io(path.display(), "already exists; refusing to overwrite")
        } else {
            AdapterError::io(path.display(), e.error)
        }
    })?;
    Ok(())
}

/// Refuses to read a session file that is not a regular file (a FIFO or a device would block or
/// never end) or, when it was found by looking in `home`, that resolves outside the home (a
/// symlink planted in the store).
pub fn check_session_file(home: Option<&Path>, path: &Path) -> Result<(), AdapterError> {
    let real = std::fs::canonicalize(path).map_err(|e| AdapterError::io(path.display(), e))?;
    let meta = std::fs::metadata(&real).map_err(|e| AdapterError::io(path.display(), e))?;
    if !meta.is_file() {
        return Err(AdapterError::invalid(format!(
            "{}: not a regular file; refusing to read it",
            path.display()
        )));
    }
    if let Some(home) = home {
        let root = std::fs::canonicalize(home).map_err(|e| AdapterError::io(home.display(), e))?;
        if !real.starts_with(&root) {
            return Err(AdapterError::invalid(format!(
                "{}: links to {}, outside {}; refusing to read it",
                path.display(),
                real.display(),
                home.display()
            )));
        }
    }
    Ok(())
}

/// Whether `id` can name a session in a file name, a directory name or a database row without
/// meaning anything else: 1 to 128 ASCII letters, digits, `_`, `-` or `.`, not starting with `.`.
/// Every session id the agents mint (UUIDs, `ses_…`, time stamps) passes.
pub fn is_safe_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// [`is_safe_id`] as the error every adapter gives for an id it will not look up.
pub fn check_session_id(agent: &str, id: &str) -> Result<(), AdapterError> {
    if is_safe_id(id) {
        return Ok(());
    }
    let shown: String = format!("{id:?}").chars().take(80).collect();
    Err(AdapterError::invalid(format!(
        "{agent}: {shown} is not a session id (ids are letters, digits, `_`, `-` and `.`)"
    )))
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

/// The local path of a `file://` URI as VS Code-based editors write them in `workspace.json`,
/// percent-decoded: `file:///c%3A/x` is `c:/x`, `file://host/share` keeps its host as a UNC path;
/// `None` for other schemes (remote and virtual workspaces have no local folder) or bytes that
/// are not UTF-8.
pub fn file_uri_path(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("file://")?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .ok()?
        .into_owned();
    let is_drive = |path: &str| {
        let bytes = path.as_bytes();
        bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
    };
    Some(match decoded.strip_prefix('/') {
        Some(after) if is_drive(after) => after.to_owned(),
        Some(_) => decoded,
        None => format!("//{decoded}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_local_paths() {
        assert_eq!(
            file_uri_path("file:///home/me/my%20project").as_deref(),
            Some("/home/me/my project")
        );
        assert_eq!(
            file_uri_path("file:///c%3A/Users/me").as_deref(),
            Some("c:/Users/me")
        );
        assert_eq!(
            file_uri_path("file://server/share/p").as_deref(),
            Some("//server/share/p")
        );
        assert_eq!(file_uri_path("vscode-remote://ssh-remote+h/p"), None);
        assert_eq!(file_uri_path("file:///bad%ff"), None);
    }

    /// A file written as it is made appears whole, or, when the making fails halfway, not at
    /// all (nor its temp file).
    #[test]
    fn a_file_written_as_it_is_made_appears_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/session.jsonl");
        let err = write_new_file_with(dir.path(), &path, |out| {
            out.write_all(b"half of it\n").unwrap();
            Err(AdapterError::invalid("gave up"))
        })
        .unwrap_err();
        assert_eq!(err.message, "gave up");
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path().join("a")).unwrap().count(), 0);

        write_new_file_with(dir.path(), &path, |out| {
            for line in 0..3 {
                writeln!(out, "line {line}").unwrap();
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"line 0\nline 1\nline 2\n");
    }

    #[test]
    fn new_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/session.jsonl");
        write_new_file(dir.path(), &path, b"one\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\n");
        let err = write_new_file(dir.path(), &path, b"two\n").unwrap_err();
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

    #[cfg(unix)]
    #[test]
    fn writes_stay_inside_the_home_and_follow_no_symlink() {
        let home = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let h = home.path();
        for path in [
            h.join("../escape.jsonl"),
            h.join("a/../../escape.jsonl"),
            outside.path().join("x.jsonl"),
            h.to_path_buf(),
        ] {
            let err = write_new_file(h, &path, b"x").unwrap_err();
            assert!(err.message.contains("refusing to write"), "{path:?}: {err}");
        }
        // A symlinked directory anywhere below the home is refused, not only the last one.
        std::os::unix::fs::symlink(outside.path(), h.join("projects")).unwrap();
        let err = write_new_file(h, &h.join("projects/key/s.jsonl"), b"x").unwrap_err();
        assert!(err.message.contains("is a symlink"), "{err}");
        std::fs::create_dir_all(h.join("real/key")).unwrap();
        std::os::unix::fs::symlink(outside.path(), h.join("real/key/link")).unwrap();
        let err = write_new_file(h, &h.join("real/key/link/s.jsonl"), b"x").unwrap_err();
        assert!(err.message.contains("is a symlink"), "{err}");
        // A dangling symlink where the file goes is not followed.
        std::os::unix::fs::symlink(outside.path().join("target"), h.join("real/key/s.jsonl"))
            .unwrap();
        let err = write_new_file(h, &h.join("real/key/s.jsonl"), b"x").unwrap_err();
        assert!(err.message.contains("already exists"), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);

        // The home itself may be a symlink.
        let link_home = outside.path().join("home-link");
        std::os::unix::fs::symlink(h, &link_home).unwrap();
        write_new_file(&link_home, &link_home.join("new/s.jsonl"), b"ok").unwrap();
        assert_eq!(std::fs::read(h.join("new/s.jsonl")).unwrap(), b"ok");
    }

    #[cfg(unix)]
    #[test]
    fn session_files_must_be_regular_and_inside_the_home() {
        let home = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let inside = home.path().join("s.jsonl");
        std::fs::write(&inside, b"{}").unwrap();
        let secret = outside.path().join("secret");
        std::fs::write(&secret, b"{}").unwrap();
        check_session_file(Some(home.path()), &inside).unwrap();
        let link = home.path().join("link.jsonl");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let err = check_session_file(Some(home.path()), &link).unwrap_err();
        assert!(err.message.contains("outside"), "{err}");
        // Named explicitly, a file outside any home is the caller's choice.
        check_session_file(None, &link).unwrap();
        let err = check_session_file(None, Path::new("/dev/zero")).unwrap_err();
        assert!(err.message.contains("not a regular file"), "{err}");
    }

    #[test]
    fn session_ids_that_could_be_paths_are_refused() {
        for id in [
            "5f0c2a8e-3b1d-4c7e-9a42-1d2e3f4a5b6c",
            "ses_df4dad3a5ffe34Xtv7dLURTax8",
            "20250314T091244-2",
            "5f0c",
        ] {
            assert!(check_session_id("t", id).is_ok(), "{id}");
        }
        let long = "a".repeat(129);
        for id in [
            "",
            "../../x",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "x\0y",
            "..",
            ".hidden",
            "a\nb",
            &long,
        ] {
            let err = check_session_id("t", id).unwrap_err();
            assert_eq!(err.kind, handoff_plugin_api::ErrorKind::InvalidInput);
            assert!(
                !err.message.contains('\n') && !err.message.contains('\0'),
                "{err}"
            );
        }
    }
}
