//! What tells OpenCode and the forks that keep its store apart: names, folders, files,
//! environment variables, the migrations their schema adds, and the defaults a written session
//! carries. One reader and one writer serve every app listed here.

#[derive(Debug)]
pub struct App {
    /// The agent's name in handoff, and the client's command.
    pub name: &'static str,
    pub display_name: &'static str,
    /// The folder under the XDG data, config and state homes, and the file in `.git` that caches
    /// a project's id.
    pub dir: &'static str,
    pub db_file: &'static str,
    /// `<prefix>_DB`, `<prefix>_CONFIG`, `<prefix>_CONFIG_CONTENT`.
    pub env_prefix: &'static str,
    /// Config file stems, each read as `.json` and `.jsonc`, lowest precedence first.
    pub config_names: &'static [&'static str],
    /// A project's config folders, lowest precedence first.
    pub project_dirs: &'static [&'static str],
    /// The client version whose layout and schema the writer follows.
    pub version: &'static str,
    /// The agent a resumed session continues with.
    pub agent: &'static str,
    /// Migrations the app's schema has beyond OpenCode's.
    pub own_migrations: &'static [&'static str],
    /// Whether old installs kept sessions in the JSON tree before the database.
    pub legacy_tree: bool,
}

pub const OPENCODE: App = App {
    name: "opencode",
    display_name: "OpenCode",
    dir: "opencode",
    db_file: "opencode.db",
    env_prefix: "OPENCODE",
    config_names: &["opencode"],
    project_dirs: &[".opencode"],
    version: "1.18.33",
    agent: "build",
    own_migrations: &[],
    legacy_tree: true,
};

/// Kilo Code CLI 7.7.7: OpenCode's store in `kilo.db`, four migrations of its own (a board and
/// its messages, a usage index, a compatibility column set), and `code` as its default agent.
pub const KILO: App = App {
    name: "kilo",
    display_name: "Kilo Code",
    dir: "kilo",
    db_file: "kilo.db",
    env_prefix: "KILO",
    config_names: &["opencode", "kilo"],
    project_dirs: &[".kilocode", ".kilo"],
    version: "7.7.7",
    agent: "code",
    own_migrations: &[
        "20260714141136_session-message-legacy-writer-compat",
        "20260828074139_kilocode_board",
        "20260903104806_kilocode_board_reset",
        "20260907102000_kilocode_model_usage_index",
    ],
    legacy_tree: false,
};

impl App {
    /// `<prefix>_<suffix>` from the environment, when set and not empty.
    pub fn env(&self, suffix: &str) -> Option<std::ffi::OsString> {
        std::env::var_os(format!("{}_{suffix}", self.env_prefix)).filter(|v| !v.is_empty())
    }
}
