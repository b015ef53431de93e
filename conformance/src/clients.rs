//! Drivers for the real clients: a sandbox (temp HOME + git project) with every client configured
//! against a mock, and runs of each client's non-interactive create / resume under a timeout, with
//! `env -i` style environments that keep each client offline and away from the user's own config.

use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Agent {
    Claude,
    Codex,
    OpenCode,
    Copilot,
    Gemini,
    Qwen,
    Pi,
    Kilo,
}

impl Agent {
    pub const ALL: [Agent; 8] = [
        Agent::Claude,
        Agent::Codex,
        Agent::OpenCode,
        Agent::Copilot,
        Agent::Gemini,
        Agent::Qwen,
        Agent::Pi,
        Agent::Kilo,
    ];

    /// The name handoff and npm's `.bin` use.
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::OpenCode => "opencode",
            Agent::Copilot => "copilot",
            Agent::Gemini => "gemini",
            Agent::Qwen => "qwen",
            Agent::Pi => "pi",
            Agent::Kilo => "kilo",
        }
    }

    /// The agents whose store is OpenCode's database.
    pub fn is_opencode_store(self) -> bool {
        matches!(self, Agent::OpenCode | Agent::Kilo)
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The installed pinned clients (`target/conformance/clients/node_modules/.bin`).
#[derive(Clone, Debug)]
pub struct Clients {
    bin_dir: PathBuf,
    path_env: String,
}

/// Env var naming the bin dir with every client's launcher (set by `scripts/conformance`).
pub const CLIENTS_DIR_ENV: &str = "HANDOFF_CLIENTS_DIR";

/// What a real-client test prints when it skips.
pub const NOT_INSTALLED: &str = "clients not installed: run scripts/conformance (it installs them and sets HANDOFF_CLIENTS_DIR)";

impl Clients {
    /// The clients from `$HANDOFF_CLIENTS_DIR` (set by `scripts/conformance`); `None` when it is
    /// unset or any client is missing. Only the script opts in, so a plain
    /// `cargo test --workspace` never starts the slow real-client runs.
    pub fn discover() -> Option<Clients> {
        Clients::at(&PathBuf::from(std::env::var_os(CLIENTS_DIR_ENV)?))
    }

    /// Where `scripts/conformance` installs the clients.
    pub fn default_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/conformance/clients/node_modules/.bin")
    }

    /// The clients in `bin_dir`; `None` when any of them is missing.
    pub fn at(bin_dir: &Path) -> Option<Clients> {
        let bin_dir = bin_dir.canonicalize().ok()?;
        if !Agent::ALL
            .iter()
            .all(|agent| bin_dir.join(agent.name()).is_file())
        {
            return None;
        }
        // The launchers are node scripts: the install's own `node` (a Node 22 from the registry,
        // which Qwen Code needs) sits in `bin_dir`, first on PATH; git and bash come from the system.
        let mut path = vec![bin_dir.clone()];
        if let Some(node_dir) =
            find_in_path("node").and_then(|node| node.parent().map(Path::to_path_buf))
        {
            path.push(node_dir);
        }
        path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
        let path_env = std::env::join_paths(path)
            .ok()?
            .to_string_lossy()
            .into_owned();
        Some(Clients { bin_dir, path_env })
    }

    pub fn binary(&self, agent: Agent) -> PathBuf {
        self.bin_dir.join(agent.name())
    }

    /// `PATH` for the sandboxed runs.
    pub fn path_env(&self) -> &str {
        &self.path_env
    }

    /// What `<client> --version` prints (first line).
    pub fn version(&self, agent: Agent) -> String {
        let output = Command::new(self.binary(agent))
            .arg("--version")
            .env("PATH", &self.path_env)
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(output) => String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .unwrap_or("unknown")
                .trim()
                .to_owned(),
            Err(error) => format!("does not run: {error}"),
        }
    }
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A temp HOME with a git project inside; every client is configured into it.
pub struct Sandbox {
    _root: tempfile::TempDir,
    pub home: PathBuf,
    /// Physical path of the project (a git repo with one commit).
    pub project: PathBuf,
    tmp: PathBuf,
}

impl Sandbox {
    pub fn new() -> std::io::Result<Sandbox> {
        let root = tempfile::Builder::new().prefix("handoff-conf-").tempdir()?;
        let physical_root = root.path().canonicalize()?;
        let home = physical_root.join("home");
        let project = physical_root.join("work").join("project");
        let tmp = physical_root.join("tmp");
        for dir in [&home, &project, &tmp] {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(project.join("README.md"), "# conformance project\n")?;
        let sandbox = Sandbox {
            _root: root,
            home,
            project,
            tmp,
        };
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "README.md"],
            &["commit", "-q", "-m", "initial commit"],
        ] {
            let status = Command::new("git")
                .args(args)
                .current_dir(&sandbox.project)
                .env_clear()
                .env("PATH", "/usr/local/bin:/usr/bin:/bin")
                .env("HOME", &sandbox.home)
                .env("GIT_AUTHOR_NAME", "conformance")
                .env("GIT_AUTHOR_EMAIL", "conformance@example.invalid")
                .env("GIT_COMMITTER_NAME", "conformance")
                .env("GIT_COMMITTER_EMAIL", "conformance@example.invalid")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                return Err(std::io::Error::other(format!("git {args:?} failed")));
            }
        }
        Ok(sandbox)
    }

    pub fn claude_home(&self) -> PathBuf {
        self.home.join(".claude")
    }

    pub fn codex_home(&self) -> PathBuf {
        self.home.join(".codex")
    }

    pub fn opencode_data(&self) -> PathBuf {
        self.home.join(".local/share/opencode")
    }

    pub fn opencode_db(&self) -> PathBuf {
        self.opencode_data().join("opencode.db")
    }

    pub fn kilo_db(&self) -> PathBuf {
        self.home.join(".local/share/kilo/kilo.db")
    }

    /// The database of an agent that keeps OpenCode's store.
    pub fn db_of(&self, agent: Agent) -> PathBuf {
        if agent == Agent::Kilo {
            self.kilo_db()
        } else {
            self.opencode_db()
        }
    }

    pub fn copilot_home(&self) -> PathBuf {
        self.home.join(".copilot")
    }

    pub fn gemini_home(&self) -> PathBuf {
        self.home.join(".gemini")
    }

    pub fn qwen_home(&self) -> PathBuf {
        self.home.join(".qwen")
    }

    pub fn pi_home(&self) -> PathBuf {
        self.home.join(".pi/agent")
    }

    /// Writes every client's config for a mock at `mock_url` (`http://127.0.0.1:<port>`) and
    /// returns the environment all clients (and handoff) run with.
    pub fn configure(
        &self,
        clients: &Clients,
        mock_url: &str,
    ) -> std::io::Result<Vec<(String, String)>> {
        std::fs::create_dir_all(self.codex_home())?;
        std::fs::write(
            self.codex_home().join("config.toml"),
            format!(
                "model = \"gpt-5.1-codex\"\n\
                 approval_policy = \"never\"\n\
                 sandbox_mode = \"danger-full-access\"\n\
                 check_for_update_on_startup = false\n\
                 openai_base_url = \"{mock_url}/v1\"\n\
                 [analytics]\nenabled = false\n\
                 [feedback]\nenabled = false\n\
                 [features]\nplugins = false\n"
            ),
        )?;
        let opencode_config = self.home.join(".config/opencode");
        std::fs::create_dir_all(&opencode_config)?;
        let config = serde_json::json!({
            "$schema": "https://opencode.ai/config.json",
            "autoupdate": false,
            "share": "disabled",
            "model": "mock/mock-model",
            "small_model": "mock/mock-model",
            "permission": {"bash": "allow", "edit": "allow", "read": "allow", "external_directory": "allow"},
            "provider": {"mock": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Mock",
                "options": {"baseURL": format!("{mock_url}/v1"), "apiKey": "sk-mock-dummy"},
                "models": {"mock-model": {
                    "name": "Mock Model",
                    "tool_call": true,
                    "limit": {"context": 200_000, "output": 8_000}
                }}
            }}
        });
        std::fs::write(opencode_config.join("opencode.json"), config.to_string())?;
        // Kilo Code reads the same config under its own name; its own provider would fetch a
        // model catalog.
        let kilo_config = self.home.join(".config/kilo");
        std::fs::create_dir_all(&kilo_config)?;
        let mut kilo = config;
        kilo["$schema"] = serde_json::json!("https://app.kilo.ai/config.json");
        kilo["disabled_providers"] = serde_json::json!(["kilo"]);
        std::fs::write(kilo_config.join("kilo.json"), kilo.to_string())?;
        // Gemini CLI and its fork Qwen Code: no telemetry, no update checks, no trust prompt.
        let quiet = serde_json::json!({
            "general": {"disableAutoUpdate": true, "disableUpdateNag": true},
            "privacy": {"usageStatisticsEnabled": false},
            "telemetry": {"enabled": false},
            "security": {"folderTrust": {"enabled": false}},
        });
        let mut gemini = quiet.clone();
        gemini["security"]["auth"] = serde_json::json!({"selectedType": "gemini-api-key"});
        let mut qwen = quiet;
        qwen["security"]["auth"] = serde_json::json!({"selectedType": "openai"});
        // Its background memory extraction would be one more model request after each turn.
        qwen["memory"] = serde_json::json!({"enableManagedAutoMemory": false});
        // pi: one OpenAI-compatible provider, its default.
        let pi = serde_json::json!({"defaultProvider": "mock", "defaultModel": "mock-model"});
        for (dir, settings) in [
            (self.gemini_home(), gemini),
            (self.qwen_home(), qwen),
            (self.pi_home(), pi),
        ] {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("settings.json"), settings.to_string())?;
        }
        let pi_models = serde_json::json!({"providers": {"mock": {
            "baseUrl": format!("{mock_url}/v1"), "api": "openai-completions", "apiKey": "sk-pi-dummy",
            "models": [{"id": "mock-model"}]}}});
        std::fs::write(self.pi_home().join("models.json"), pi_models.to_string())?;

        let home = self.home.to_string_lossy().into_owned();
        let path = |relative: &str| self.home.join(relative).to_string_lossy().into_owned();
        let vars = [
            ("HOME", home.clone()),
            ("PATH", clients.path_env().to_owned()),
            ("USER", "conformance".into()),
            ("SHELL", "/bin/bash".into()),
            ("LANG", "C.UTF-8".into()),
            ("TERM", "dumb".into()),
            ("NO_COLOR", "1".into()),
            ("TMPDIR", self.tmp.to_string_lossy().into_owned()),
            ("XDG_DATA_HOME", path(".local/share")),
            ("XDG_CONFIG_HOME", path(".config")),
            ("XDG_CACHE_HOME", path(".cache")),
            ("XDG_STATE_HOME", path(".local/state")),
            ("GIT_AUTHOR_NAME", "conformance".into()),
            ("GIT_AUTHOR_EMAIL", "conformance@example.invalid".into()),
            ("GIT_COMMITTER_NAME", "conformance".into()),
            ("GIT_COMMITTER_EMAIL", "conformance@example.invalid".into()),
            // Claude Code
            ("ANTHROPIC_BASE_URL", mock_url.to_owned()),
            (
                "ANTHROPIC_API_KEY",
                "sk-ant-test-dummy-key-0123456789".into(),
            ),
            ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into()),
            ("DISABLE_AUTOUPDATER", "1".into()),
            ("DISABLE_TELEMETRY", "1".into()),
            ("DISABLE_ERROR_REPORTING", "1".into()),
            ("CLAUDE_CODE_MAX_RETRIES", "0".into()),
            // Codex (without CODEX_HOME it writes ~/.codex/tmp; set it to the default explicitly)
            (
                "CODEX_HOME",
                self.codex_home().to_string_lossy().into_owned(),
            ),
            ("CODEX_API_KEY", "sk-codex-dummy".into()),
            // OpenCode
            ("OPENCODE_DISABLE_AUTOUPDATE", "1".into()),
            ("OPENCODE_DISABLE_MODELS_FETCH", "1".into()),
            ("OPENCODE_DISABLE_SHARE", "1".into()),
            ("OPENCODE_DISABLE_LSP_DOWNLOAD", "1".into()),
            ("OPENCODE_DISABLE_DEFAULT_PLUGINS", "1".into()),
            ("OPENCODE_DISABLE_CLAUDE_CODE", "1".into()),
            ("OPENCODE_DISABLE_EXTERNAL_SKILLS", "1".into()),
            // Copilot CLI: a local provider, no GitHub login
            ("COPILOT_OFFLINE", "true".into()),
            ("COPILOT_PROVIDER_BASE_URL", format!("{mock_url}/v1")),
            ("COPILOT_PROVIDER_API_KEY", "sk-copilot-dummy".into()),
            ("COPILOT_MODEL", "gpt-4.1".into()),
            // Gemini CLI: an API key against the mock's Gemini route
            ("GOOGLE_GEMINI_BASE_URL", mock_url.to_owned()),
            ("GEMINI_API_KEY", "gemini-dummy-key".into()),
            // Qwen Code: its OpenAI-compatible auth against the mock's Chat Completions
            ("OPENAI_BASE_URL", format!("{mock_url}/v1")),
            ("OPENAI_API_KEY", "sk-qwen-dummy".into()),
            ("OPENAI_MODEL", "mock-model".into()),
            // Kilo Code
            ("KILO_DISABLE_AUTOUPDATE", "1".into()),
            ("KILO_DISABLE_MODELS_FETCH", "1".into()),
            ("KILO_DISABLE_DEFAULT_PLUGINS", "1".into()),
            ("KILO_DISABLE_LSP_DOWNLOAD", "1".into()),
            ("KILO_DISABLE_SHARE", "1".into()),
            ("KILO_DISABLE_SESSION_INGEST", "1".into()),
            ("KILO_DISABLE_CODEBASE_INDEXING", "1".into()),
            ("KILO_DISABLE_PRESENCE", "1".into()),
            ("KILO_DISABLE_CLAUDE_CODE", "1".into()),
            ("KILO_DISABLE_EXTERNAL_SKILLS", "1".into()),
            ("KILO_TELEMETRY_LEVEL", "off".into()),
            // pi
            ("PI_OFFLINE", "1".into()),
            ("PI_SKIP_VERSION_CHECK", "1".into()),
            ("PI_TELEMETRY", "0".into()),
        ];
        Ok(vars
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect())
    }
}

/// How a client run ended.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    /// Exit code; `None` when killed (timeout or signal).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// One paragraph for failure messages.
    pub fn describe(&self) -> String {
        let tail = |text: &str| {
            let start = text.len().saturating_sub(1500);
            let start = (start..text.len())
                .find(|index| text.is_char_boundary(*index))
                .unwrap_or(text.len());
            text[start..].trim().to_owned()
        };
        format!(
            "`{}` {} after {:.1}s\n--- stdout (tail)\n{}\n--- stderr (tail)\n{}",
            self.command,
            match (self.timed_out, self.code) {
                (true, _) => "timed out".to_owned(),
                (false, Some(code)) => format!("exited {code}"),
                (false, None) => "was killed".to_owned(),
            },
            self.elapsed.as_secs_f64(),
            tail(&self.stdout),
            tail(&self.stderr),
        )
    }
}

/// Runs `program args` in `cwd` with exactly `env`, stdin /dev/null, killed (whole process
/// group) after `timeout`.
pub fn run(
    program: &Path,
    args: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
) -> std::io::Result<Run> {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    // Each pipe is read on its own thread and handed over through a channel, so a pipe held open
    // by an orphaned grandchild can delay the result only until the grace period ends.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            let _ = sender.send(String::from_utf8_lossy(&bytes).into_owned());
        });
        receiver
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|pipe| Box::new(pipe) as Box<dyn Read + Send>),
    );
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            // Not reaped yet, so the group id is still ours.
            kill_group(child.id());
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    const GRACE: Duration = Duration::from_secs(3);
    let mut stdout_text = stdout.recv_timeout(GRACE).ok();
    let mut stderr_text = stderr.recv_timeout(GRACE).ok();
    if stdout_text.is_none() || stderr_text.is_none() {
        // A descendant still holds a pipe, so the group still has a member: end it.
        kill_group(child.id());
        stdout_text = stdout_text.or_else(|| stdout.recv_timeout(GRACE).ok());
        stderr_text = stderr_text.or_else(|| stderr.recv_timeout(GRACE).ok());
    }
    let command = std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let lost = || "(output not collected: a descendant kept the pipe open)".to_owned();
    Ok(Run {
        command,
        code: status.code(),
        timed_out,
        stdout: stdout_text.unwrap_or_else(lost),
        stderr: stderr_text.unwrap_or_else(lost),
        elapsed: started.elapsed(),
    })
}

fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The model Gemini CLI is told to use (the mock answers any).
const GEMINI_MODEL: &str = "gemini-2.5-pro";

/// Arguments that make `agent` start a new session with `prompt` and run its tools unattended.
pub fn create_args(agent: Agent, prompt: &str) -> Vec<String> {
    let args: Vec<&str> = match agent {
        // --dangerously-skip-permissions is refused as root; allow the two tools instead.
        Agent::Claude => vec![
            "-p",
            prompt,
            "--allowedTools=Bash,Read",
            "--output-format",
            "json",
        ],
        Agent::Codex => vec!["exec", "--skip-git-repo-check", "--json", prompt],
        Agent::OpenCode => vec!["run", prompt],
        Agent::Copilot => vec!["-p", prompt, "--allow-all-tools"],
        Agent::Gemini => vec!["-m", GEMINI_MODEL, "-p", prompt, "--yolo"],
        // The prompt first: a later list-valued option would swallow it.
        Agent::Qwen => vec!["-p", prompt, "--auth-type", "openai", "--yolo"],
        Agent::Pi => vec!["-p", prompt],
        Agent::Kilo => vec!["run", prompt],
    };
    args.into_iter().map(str::to_owned).collect()
}

/// Arguments that make `agent` resume session `id` non-interactively with one more prompt.
pub fn resume_args(agent: Agent, id: &str, prompt: &str) -> Vec<String> {
    let args: Vec<&str> = match agent {
        Agent::Claude => vec![
            "-p",
            "--resume",
            id,
            prompt,
            "--allowedTools=Bash,Read",
            "--output-format",
            "json",
        ],
        Agent::Codex => vec![
            "exec",
            "resume",
            "--skip-git-repo-check",
            "--json",
            id,
            prompt,
        ],
        Agent::OpenCode => vec!["run", "--session", id, prompt],
        Agent::Copilot => vec!["-p", prompt, "--resume", id, "--allow-all-tools"],
        Agent::Gemini => vec!["-m", GEMINI_MODEL, "--resume", id, "-p", prompt, "--yolo"],
        Agent::Qwen => vec![
            "-p",
            prompt,
            "--auth-type",
            "openai",
            "--resume",
            id,
            "--yolo",
        ],
        Agent::Pi => vec!["-p", "--session", id, prompt],
        Agent::Kilo => vec!["run", "--session", id, prompt],
    };
    args.into_iter().map(str::to_owned).collect()
}

/// The client's own time limit: generous for a cold start, short enough to fail fast on a hang.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs `agent` with `args` in the sandbox's project against the mock at `mock_url`.
pub fn run_client(
    clients: &Clients,
    sandbox: &Sandbox,
    agent: Agent,
    mock_url: &str,
    args: &[String],
) -> std::io::Result<Run> {
    let env = sandbox.configure(clients, mock_url)?;
    run(
        &clients.binary(agent),
        args,
        &sandbox.project,
        &env,
        CLIENT_TIMEOUT,
    )
}
