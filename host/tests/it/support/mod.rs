//! Helpers shared by the host's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
/// The built-in agents, in the order `handoff agents` lists them.
pub const BUILTINS: [&str; 12] = [
    "claude",
    "codex",
    "opencode",
    "copilot",
    "gemini",
    "qwen",
    "pi",
    "kilo",
    "cline",
    "crush",
    "cursor",
    "vscode-copilot",
];

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
    dir.join(library_name(package))
}

/// The last commit whose `handoff-plugin-api` is 1.0.0, the API before the handshake.
pub const API_1_0_COMMIT: &str = "a89b2c9ad26b91dda520af644b9821fde8dd9f0f";

/// The example Aider plugin built from the repository as it was at `API_1_0_COMMIT` (its own
/// tree, lockfile and target dir), or why it cannot be: the commit is missing from a shallow
/// clone or an export without history.
pub fn aider_built_against_api_1_0() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = workspace().join("target/test-plugins-api-1.0");
            let tree = root.join("tree");
            if !tree.join(".complete").exists() {
                let _ = std::fs::remove_dir_all(&tree);
                std::fs::create_dir_all(&tree).map_err(|e| e.to_string())?;
                let archive = Command::new("git")
                    .current_dir(workspace())
                    .args(["archive", "--format=tar", API_1_0_COMMIT])
                    .output()
                    .map_err(|e| format!("git: {e}"))?;
                if !archive.status.success() {
                    return Err(format!(
                        "commit {API_1_0_COMMIT} is not in this clone: {}",
                        String::from_utf8_lossy(&archive.stderr).trim()
                    ));
                }
                let mut tar = Command::new("tar")
                    .current_dir(&tree)
                    .arg("-x")
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("tar: {e}"))?;
                std::io::Write::write_all(tar.stdin.as_mut().unwrap(), &archive.stdout)
                    .map_err(|e| e.to_string())?;
                drop(tar.stdin.take());
                assert!(tar.wait().unwrap().success(), "tar failed");
                std::fs::write(tree.join(".complete"), "").unwrap();
            }
            let status = Command::new(env!("CARGO"))
                .current_dir(&tree)
                .args(["build", "--quiet", "--locked", "-p", "handoff-aider"])
                .arg("--target-dir")
                .arg(root.join("target"))
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building the API 1.0 aider plugin failed");
            Ok(root
                .join("target/debug")
                .join(library_name("handoff-aider")))
        })
        .clone()
}

fn library_name(package: &str) -> String {
    let stem = package.replace('-', "_");
    if cfg!(target_os = "macos") {
        format!("lib{stem}.dylib")
    } else if cfg!(windows) {
        format!("{stem}.dll")
    } else {
        format!("lib{stem}.so")
    }
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

/// `handoff args`, run in `dir` with `home` as HOME.
pub fn run_in(home: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    handoff(home).current_dir(dir).args(args).output().unwrap()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
