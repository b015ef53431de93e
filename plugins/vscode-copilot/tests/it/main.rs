//! The VS Code Copilot Chat adapter's one test binary.
#![allow(clippy::unwrap_used)]

mod adapter;
mod malformed;

use handoff_adapter_kit::testing::Calls;
use handoff_vscode_copilot::VscodeCopilotAdapter;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const VSCODE: Calls<VscodeCopilotAdapter> = Calls(VscodeCopilotAdapter);

/// The fixture HOME: the chats under `.config/Code/User`, as on Linux.
const FIXTURE_HOME: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/home");
/// The `User` folder under a HOME, the adapter's home.
const USER: &str = ".config/Code/User";
const WORKSPACE: &str = "workspaceStorage/5e0c8f3a2b1d4c6e9f7a8b0c1d2e3f4a";
const PROJECT: &str = "/tmp/vscode-fixture/project";
/// The conformance scenario, the newest chat.
const SCENARIO: &str = "f3c8a41c-5be2-4d07-9c3f-8e2b6a1d0c47";
/// An older chat, kept as a mutation log: an attachment, a terminal call and a code edit.
const EDIT: &str = "2b7e9c10-4d3f-4a8e-b6c5-1f0e9d8c7b6a";
/// A chat of a window without a folder, the oldest.
const EMPTY_WINDOW: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// A copy of the fixture HOME with the chats' times in their order (the scenario newest), and
/// the adapter's home in it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(Path::new(FIXTURE_HOME), dir.path());
        let home = Home { dir };
        let base = SystemTime::now() - Duration::from_secs(3600);
        for (age, file) in [
            (3, home.empty_window_file()),
            (2, home.edit_file()),
            (1, home.scenario_file()),
        ] {
            set_mtime(&file, base - Duration::from_secs(age * 60));
        }
        home
    }

    /// The adapter's home: `<HOME>/.config/Code/User`.
    fn user(&self) -> PathBuf {
        self.dir.path().join(USER)
    }

    fn chats(&self) -> PathBuf {
        self.user().join(WORKSPACE).join("chatSessions")
    }

    fn scenario_file(&self) -> PathBuf {
        self.chats().join(format!("{SCENARIO}.json"))
    }

    fn edit_file(&self) -> PathBuf {
        self.chats().join(format!("{EDIT}.jsonl"))
    }

    fn empty_window_file(&self) -> PathBuf {
        self.user()
            .join("globalStorage/emptyWindowChatSessions")
            .join(format!("{EMPTY_WINDOW}.json"))
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}
