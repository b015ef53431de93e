//! Helpers shared by the host's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Builds the test plugins (`handoff-aider`, `handoff-faulty-plugin`) once, into their own target
/// dir (the outer `cargo test` holds the lock on the normal one), and returns the library path of
/// `package`.
pub fn plugin_library(package: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let target = workspace().join("target/test-plugins");
        let status = Command::new(env!("CARGO"))
            .current_dir(workspace())
            .args([
                "build",
                "--quiet",
                "-p",
                "handoff-aider",
                "-p",
                "handoff-faulty-plugin",
            ])
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the test plugins failed");
        target.join("debug")
    });
    let stem = package.replace('-', "_");
    let name = if cfg!(target_os = "macos") {
        format!("lib{stem}.dylib")
    } else if cfg!(windows) {
        format!("{stem}.dll")
    } else {
        format!("lib{stem}.so")
    };
    dir.join(name)
}

/// Copies plugin libraries into `<home>/.handoff/plugins` with private modes.
pub fn install_plugins(home: &Path, libraries: &[PathBuf]) -> PathBuf {
    let plugins = home.join(".handoff/plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for library in libraries {
        let dest = plugins.join(library.file_name().unwrap());
        std::fs::copy(library, &dest).unwrap();
        set_mode(&dest, 0o700);
    }
    set_mode(&plugins, 0o700);
    plugins
}

pub fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// `handoff` in a clean environment with `home` as HOME.
pub fn handoff(home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("handoff").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(home);
    cmd
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
