//! `~/.handoff/config.toml`: created with commented defaults on first run, validated on load.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a new config file holds: every default spelled out, agent homes commented so that the
/// agents' own environment variables keep working until the user sets one.
pub const DEFAULT_CONFIG: &str = r#"# handoff configuration. Created on first run; every key is optional.
# Docs: handoff --help, and the README.

# Where third-party adapter plugins (lib*.so / *.dylib / *.dll) are loaded from.
plugins_dir = "~/.handoff/plugins"
# How long one plugin operation may take before it is abandoned with an error.
plugin_timeout_secs = 120

[agents]
# Each agent's home. When unset, the agent's own environment decides:
# claude_home = "~/.claude"        # else $CLAUDE_CONFIG_DIR, else ~/.claude
# codex_home = "~/.codex"          # else $CODEX_HOME, else ~/.codex
# opencode follows XDG_DATA_HOME; override below if yours lives somewhere else.
# opencode_home = "~/.local/share/opencode"
# copilot_home = "~/.copilot"      # else $COPILOT_HOME, else ~/.copilot
# gemini_home = "~/.gemini"        # else $GEMINI_CLI_HOME/.gemini, else ~/.gemini
# qwen_home = "~/.qwen"            # else $QWEN_RUNTIME_DIR, else $QWEN_HOME, else ~/.qwen
# pi_home = "~/.pi/agent"          # else $PI_CODING_AGENT_DIR, else ~/.pi/agent
# kilo_home = "~/.local/share/kilo"   # else $XDG_DATA_HOME/kilo ($KILO_DB for the db)
# cline_home = "~/.cline"          # else $CLINE_DIR ($CLINE_DATA_DIR for its data), else ~/.cline
# crush_home = "~/.local/share/crush"  # else $CRUSH_GLOBAL_DATA; sessions: <project>/.crush/crush.db
# cursor_home = "~/.config/Cursor"  # read only (macOS ~/Library/Application Support/Cursor)
# vscode-copilot_home = "~/.config/Code/User"   # read only; unset: Code, Code - Insiders and VSCodium
# Plugins read <name>_home too, e.g. aider_home = "~/src/app".

[defaults]
# Redact secrets from everything handoff writes or prints (--no-redact-secrets turns it off).
redact_secrets = true
# false: `handoff <from> <to>` prints the transcript instead of writing a session (like --no-inject).
auto_inject = true
# Output of --no-inject: native (the target agent's own format), markdown or json.
format = "native"
# Context budget of a transfer, in estimated tokens (--max-tokens N; --full disables it).
max_tokens = 150000

[redaction]
# false disables redaction entirely, builtin rules included.
enabled = true
# Extra regular expressions, redacted as [REDACTED:custom] in addition to the builtin rules
# (OpenAI, Anthropic, GitHub, GitLab, AWS, Google, Slack, Stripe, npm, Hugging Face, JWT, PEM keys,
# URL credentials, Authorization headers, password/secret/token assignments, high-entropy values).
patterns = [
    "OPENAI_API_KEY=.*",
    "ANTHROPIC_API_KEY=.*",
    "Bearer [a-zA-Z0-9_\\-\\.]{20,}",
    "sk-[a-zA-Z0-9]{20,}",
]
"#;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_plugins_dir")]
    pub plugins_dir: String,
    #[serde(default = "default_plugin_timeout")]
    pub plugin_timeout_secs: u64,
    /// `<agent>_home` → directory.
    #[serde(default)]
    pub agents: BTreeMap<String, String>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub redaction: Redaction,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    #[serde(default = "yes")]
    pub redact_secrets: bool,
    #[serde(default = "yes")]
    pub auto_inject: bool,
    #[serde(default)]
    pub format: Format,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// What `--no-inject` prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The target agent's own format.
    #[default]
    Native,
    /// Readable Markdown, a heading per turn.
    Markdown,
    /// One self-contained HTML page: contents by turn, tool calls folded, code highlighted.
    Html,
    /// The transcript model as JSON.
    Json,
}

fn yes() -> bool {
    true
}
fn default_plugins_dir() -> String {
    String::from("~/.handoff/plugins")
}
fn default_plugin_timeout() -> u64 {
    120
}
fn default_max_tokens() -> usize {
    150_000
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            redact_secrets: true,
            auto_inject: true,
            format: Format::Native,
            max_tokens: default_max_tokens(),
        }
    }
}

impl Default for Redaction {
    fn default() -> Self {
        Self {
            enabled: true,
            patterns: Vec::new(),
        }
    }
}

/// `~/.handoff`, from `$HOME`.
pub fn handoff_dir() -> PathBuf {
    home().join(".handoff")
}

pub fn config_path() -> PathBuf {
    handoff_dir().join("config.toml")
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// Expands `~/` in a configured path.
pub fn expand(path: &str) -> PathBuf {
    match path.strip_prefix("~/") {
        Some(rest) => home().join(rest),
        None if path == "~" => home(),
        None => PathBuf::from(path),
    }
}

impl Config {
    /// Loads the config, creating it with the defaults first when it does not exist.
    pub fn load_or_create() -> Result<Self> {
        let path = config_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_default(&path)?;
                Self::parse(DEFAULT_CONFIG, &path)
            }
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Parses and validates; errors are one line naming the file, line and key.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().trim().replace('\n', " ");
            match line {
                Some(line) => anyhow::anyhow!("{}:{line}: {message}", path.display()),
                None => anyhow::anyhow!("{}: {message}", path.display()),
            }
        })?;
        for key in config.agents.keys() {
            if key.strip_suffix("_home").is_none_or(str::is_empty) {
                bail!(
                    "{}: [agents] key `{key}` is not of the form <agent>_home",
                    path.display()
                );
            }
        }
        if config.plugin_timeout_secs == 0 {
            bail!("{}: plugin_timeout_secs must be at least 1", path.display());
        }
        Ok(config)
    }

    /// The configured home of an agent, if the user set one.
    pub fn agent_home(&self, agent: &str) -> Option<String> {
        self.agents
            .get(&format!("{agent}_home"))
            .map(|home| expand(home).to_string_lossy().into_owned())
    }

    pub fn plugins_dir(&self) -> PathBuf {
        expand(&self.plugins_dir)
    }

    /// Redaction is on unless the user turned it off in either place.
    pub fn redaction_on(&self) -> bool {
        self.defaults.redact_secrets && self.redaction.enabled
    }
}

/// Writes the default config (0600) into a 0700 directory, without replacing a file that appeared
/// meanwhile.
fn create_default(path: &Path) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => file
            .write_all(DEFAULT_CONFIG.as_bytes())
            .with_context(|| format!("cannot write {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Creates a directory (and parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    handoff_adapter_kit::fs::create_private_dirs(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses_to_the_defaults() {
        let config = Config::parse(DEFAULT_CONFIG, Path::new("c.toml")).unwrap();
        assert!(config.redaction_on());
        assert!(config.defaults.auto_inject);
        assert_eq!(config.defaults.format, Format::Native);
        assert_eq!(config.redaction.patterns.len(), 4);
        assert!(config.agents.is_empty(), "homes stay commented");
    }

    #[test]
    fn wrong_types_name_file_line_and_key() {
        let err = Config::parse(
            "[defaults]\nauto_inject = \"yes\"\n",
            Path::new("/h/c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("/h/c.toml:2: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = Config::parse("[agents]\nclaude = \"/x\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`claude`"), "{err}");
        let err = Config::parse("colour = 1\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
    }
}
