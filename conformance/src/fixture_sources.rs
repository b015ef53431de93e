//! Sources no client here can write (editors that cannot be installed or logged into): each is
//! a fixture in its adapter's tests, built to the store's documented layout with the scenario's
//! markers in its newest chat, laid under the sandbox's home where the editor keeps its store.

use crate::clients::Sandbox;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixture {
    Cursor,
    VscodeCopilot,
}

impl Fixture {
    pub const ALL: [Fixture; 2] = [Fixture::Cursor, Fixture::VscodeCopilot];

    /// The agent handoff reads it as.
    pub fn agent(self) -> &'static str {
        match self {
            Fixture::Cursor => "cursor",
            Fixture::VscodeCopilot => "vscode-copilot",
        }
    }

    /// Copies the fixture's tree where the editor keeps its store under the sandbox's home (on
    /// Linux); returns the scenario chat's id.
    pub fn place(self, sandbox: &Sandbox) -> std::io::Result<String> {
        let plugins = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
        let (tree, into, id): (PathBuf, PathBuf, &str) = match self {
            // The tree is Cursor's configuration folder.
            Fixture::Cursor => (
                plugins.join("cursor/tests/fixtures/home"),
                sandbox.home.join(".config/Cursor"),
                CURSOR_ID,
            ),
            // The tree is a home.
            Fixture::VscodeCopilot => (
                plugins.join("vscode-copilot/tests/fixtures/home"),
                sandbox.home.clone(),
                VSCODE_ID,
            ),
        };
        copy_tree(&tree, &into)?;
        Ok(id.to_owned())
    }
}

const CURSOR_ID: &str = "8f3c2a61-5d4e-4b7a-9c1e-2a6b0d9e4f17";
const VSCODE_ID: &str = "f3c8a41c-5be2-4d07-9c3f-8e2b6a1d0c47";

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
