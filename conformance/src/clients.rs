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
    Cline,
}

impl Agent {
    pub const ALL: [Agent; 9] = [
        Agent::Claude,
        Agent::Codex,
        Agent::OpenCode,
        Agent::Copilot,
        Agent::Gemini,
        Agent::Qwen,
        Agent::Pi,
        Agent::Kilo,
        Agent::Cline,
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
            Agent::Cline => "cline",
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
    /// The port of this sandbox's Cline hub daemon: its own, so concurrent sandboxes (and the
    /// user's Cline, on the default port) never meet, let alone retire each other's hub.
    cline_hub_port: u16,
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
        let cline_hub_port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let sandbox = Sandbox {
            _root: root,
            home,
            project,
            tmp,
            cline_hub_port,
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

    /// `CLINE_DIR`: Cline's config and, under `data/`, its sessions and databases.
    pub fn cline_home(&self) -> PathBuf {
        self.home.join(".cline")
    }

    pub fn cline_data(&self) -> PathBuf {
        self.cline_home().join("data")
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
        // Cline: what `cline auth -p openai -k dummy -m mock-model -b <mock>/v1` writes (its
        // OpenAI-compatible provider, no login), and no telemetry or self-update.
        let cline_settings = self.cline_data().join("settings");
        std::fs::create_dir_all(&cline_settings)?;
        let cline_provider = serde_json::json!({
            "version": 1,
            "lastUsedProvider": "openai-compatible",
            "modes": {},
            "providers": {"openai-compatible": {
                "settings": {
                    "provider": "openai-compatible",
                    "apiKey": "sk-cline-dummy",
                    "model": "mock-model",
                    "baseUrl": format!("{mock_url}/v1"),
                },
                "updatedAt": "2026-01-01T00:00:00.000Z",
                "tokenSource": "manual",
            }},
        });
        std::fs::write(
            cline_settings.join("providers.json"),
            cline_provider.to_string(),
        )?;
        std::fs::write(
            cline_settings.join("global-settings.json"),
            serde_json::json!({"telemetryOptOut": true, "autoUpdateEnabled": false}).to_string(),
        )?;

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
            // Cline
            (
                CLINE_DIR_ENV,
                self.cline_home().to_string_lossy().into_owned(),
            ),
            ("CLINE_NO_AUTO_UPDATE", "1".into()),
            // Its terminal UI would open with an advert whose Enter opens a browser.
            ("CLINE_DISABLE_CLINE_PASS_NOTICE", "1".into()),
            ("CLINE_HUB_PORT", self.cline_hub_port.to_string()),
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
        // Headless (yolo): it ends when the model calls its completion tool.
        Agent::Cline => vec!["-y", prompt],
    };
    args.into_iter().map(str::to_owned).collect()
}

/// Arguments that make `agent` resume session `id` non-interactively with one more prompt.
/// Cline has no non-interactive resume: its arguments open the session in its terminal UI, and
/// [`resume`] types the prompt there (a prompt argument beside `--id` would be ignored).
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
        Agent::Cline => vec!["--id", id],
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
    run_agent(clients, agent, args, &sandbox.project, &env, CLIENT_TIMEOUT)
}

/// Runs the client of `agent` like [`run`], then stops what it left running (Cline's hub
/// daemon).
pub fn run_agent(
    clients: &Clients,
    agent: Agent,
    args: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
) -> std::io::Result<Run> {
    let run = run(&clients.binary(agent), args, cwd, env, timeout);
    if agent == Agent::Cline {
        stop_cline_hub(env);
    }
    run
}

/// Makes `agent` resume session `id` with `prompt` in `cwd`: [`resume_args`] for the clients
/// with a non-interactive resume; Cline's terminal UI through a pseudo-terminal.
pub fn resume(
    clients: &Clients,
    agent: Agent,
    id: &str,
    prompt: &str,
    cwd: &Path,
    env: &[(String, String)],
) -> std::io::Result<Run> {
    let args = resume_args(agent, id, prompt);
    if agent != Agent::Cline {
        return run_agent(clients, agent, &args, cwd, env, CLIENT_TIMEOUT);
    }
    let sessions = cline_dir(env)?.join("data/sessions");
    let done = || cline_turn_done(&sessions, Some(id), prompt);
    let input = TuiInput {
        ready: CLINE_READY,
        prompt,
        done: &done,
    };
    let run = run_tui(
        &clients.binary(agent),
        &args,
        cwd,
        env,
        &input,
        CLIENT_TIMEOUT,
    );
    stop_cline_hub(env);
    run
}

/// [`resume`] in the sandbox's project against the mock at `mock_url`.
pub fn resume_client(
    clients: &Clients,
    sandbox: &Sandbox,
    agent: Agent,
    mock_url: &str,
    id: &str,
    prompt: &str,
) -> std::io::Result<Run> {
    let env = sandbox.configure(clients, mock_url)?;
    resume(clients, agent, id, prompt, &sandbox.project, &env)
}

/// Starts a new Cline session in its terminal UI (no prompt argument: `prompt` is typed), in
/// the sandbox's project against the mock at `mock_url`; the run ends once the model's turn
/// ended (the session's last message is an assistant reply without tool calls).
pub fn create_cline_interactive(
    clients: &Clients,
    sandbox: &Sandbox,
    mock_url: &str,
    prompt: &str,
) -> std::io::Result<Run> {
    let env = sandbox.configure(clients, mock_url)?;
    let sessions = sandbox.cline_data().join("sessions");
    let done = || cline_turn_done(&sessions, None, prompt);
    let input = TuiInput {
        ready: CLINE_READY,
        prompt,
        done: &done,
    };
    let run = run_tui(
        &clients.binary(Agent::Cline),
        &[],
        &sandbox.project,
        &env,
        &input,
        CLIENT_TIMEOUT,
    );
    stop_cline_hub(&env);
    run
}

/// The env var naming Cline's home (its default is `~/.cline`).
pub const CLINE_DIR_ENV: &str = "CLINE_DIR";

/// What Cline's terminal UI shows in its empty input box once it takes input: a session with
/// messages, a new one.
const CLINE_READY: &[&str] = &["Ask anything", "What can I do for you?"];

fn cline_dir(env: &[(String, String)]) -> std::io::Result<PathBuf> {
    env.iter()
        .find(|(key, _)| key == CLINE_DIR_ENV)
        .map(|(_, value)| PathBuf::from(value))
        .ok_or_else(|| std::io::Error::other("the environment sets no CLINE_DIR"))
}

/// True when a Cline session in `sessions` (`<id>/<id>.messages.json`; only `id` when given)
/// has a user message holding `prompt` and ends, after it, with an assistant reply that calls
/// no tool: the model's turn is over and the client wrote it.
pub fn cline_turn_done(sessions: &Path, id: Option<&str>, prompt: &str) -> bool {
    let ids: Vec<String> = match id {
        Some(id) => vec![id.to_owned()],
        None => std::fs::read_dir(sessions)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default(),
    };
    ids.iter().any(|id| {
        let file = sessions.join(id).join(format!("{id}.messages.json"));
        let Some(messages) = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|value| value.get("messages").and_then(|m| m.as_array()).cloned())
        else {
            return false;
        };
        let role = |message: &serde_json::Value| {
            message
                .get("role")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let text = |message: &serde_json::Value| -> String {
            message
                .get("content")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|block| block.get("text").and_then(serde_json::Value::as_str))
                .collect()
        };
        let Some(asked) = messages
            .iter()
            .rposition(|message| role(message) == "user" && text(message).contains(prompt))
        else {
            return false;
        };
        let last = messages.len() - 1;
        let calls_tool = messages[last]
            .get("content")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|blocks| {
                blocks.iter().any(|block| {
                    block.get("type").and_then(serde_json::Value::as_str) == Some("tool_use")
                })
            });
        last > asked && role(&messages[last]) == "assistant" && !calls_tool
    })
}

/// Stops the hub daemons Cline runs in `env`'s `CLINE_DIR` started (`cline
/// --cline-hub-daemon`: detached, each its own session leader, so a process-group kill misses
/// them). Only those: the pid in the hub's discovery record (`data/locks/hub/production.json`)
/// and any process still starting before it wrote one, each only while its command line says hub
/// daemon and its environment names this very `CLINE_DIR` (a sandbox's own temp dir).
pub fn stop_cline_hub(env: &[(String, String)]) {
    let Ok(home) = cline_dir(env) else { return };
    let wanted = format!("{CLINE_DIR_ENV}={}", home.display());
    let ours = |pid: u64| {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let cmdline = std::fs::read(proc_dir.join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(proc_dir.join("environ")).unwrap_or_default();
        cmdline
            .split(|byte| *byte == 0)
            .any(|arg| arg == b"--cline-hub-daemon")
            && environ
                .split(|byte| *byte == 0)
                .any(|entry| entry == wanted.as_bytes())
            && !is_zombie(pid)
    };
    let recorded = std::fs::read_to_string(home.join("data/locks/hub/production.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|value| value.get("pid").and_then(serde_json::Value::as_u64));
    let mut daemons: Vec<u64> = recorded.into_iter().chain(processes()).collect();
    daemons.sort_unstable();
    daemons.dedup();
    daemons.retain(|pid| ours(*pid));
    for pid in &daemons {
        signal(*pid, "-TERM");
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while daemons.iter().any(|pid| ours(*pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in daemons {
        if ours(pid) {
            signal(pid, "-KILL");
        }
    }
}

/// The pids in /proc.
fn processes() -> Vec<u64> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().to_str()?.parse::<u64>().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn signal(pid: u64, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// `/proc/<pid>/stat`: its state (third field, after the parenthesised name) and parent pid.
fn proc_stat(pid: u64) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((state, parent))
}

fn is_zombie(pid: u64) -> bool {
    proc_stat(pid).is_none_or(|(state, _)| matches!(state, 'Z' | 'X'))
}

/// Every live descendant of `pid`, children before their parents' siblings' children.
fn descendants(pid: u64) -> Vec<u64> {
    let parents: Vec<(u64, u64)> = processes()
        .into_iter()
        .filter_map(|child| Some((child, proc_stat(child)?.1)))
        .collect();
    let mut found = vec![pid];
    let mut index = 0;
    while index < found.len() {
        let parent = found[index];
        found.extend(
            parents
                .iter()
                .filter(|(_, of)| *of == parent)
                .map(|(child, _)| *child),
        );
        index += 1;
    }
    found.remove(0);
    found
}

/// What a terminal-UI run types and when it is over.
pub struct TuiInput<'a> {
    /// Texts on the screen once the client takes input (any of them).
    pub ready: &'a [&'a str],
    /// Typed into the client, then Enter as a keystroke of its own (typed together, a terminal
    /// UI may take the Enter as part of a paste).
    pub prompt: &'a str,
    /// Polled after Enter: true once the client has done its work; then its stdin closes, which
    /// ends it.
    pub done: &'a dyn Fn() -> bool,
}

/// The terminal size the UI gets (util-linux `script` leaves a pty without a size when its own
/// stdin is no terminal).
const TUI_COLUMNS: u16 = 120;
const TUI_ROWS: u16 = 40;

/// Runs an interactive terminal client under a pseudo-terminal (util-linux `script`, its stdin
/// and stdout pipes): waits for one of `input.ready` on the screen, types `input.prompt`, presses
/// Enter, waits for `input.done`, closes stdin and waits for the exit; killed (the `script`
/// process group and every process under it) at `timeout`. `stdout` is the screen output
/// without escape sequences.
pub fn run_tui(
    program: &Path,
    args: &[String],
    cwd: &Path,
    env: &[(String, String)],
    input: &TuiInput<'_>,
    timeout: Duration,
) -> std::io::Result<Run> {
    use std::io::Write as _;
    let started = Instant::now();
    let command = std::iter::once(program.to_string_lossy().into_owned())
        .chain(args.iter().cloned())
        .map(|word| shell_quote(&word))
        .collect::<Vec<_>>()
        .join(" ");
    let shell = format!("stty cols {TUI_COLUMNS} rows {TUI_ROWS} 2>/dev/null; exec {command}");
    let mut child = Command::new("script")
        .args([
            "--quiet",
            "--flush",
            "--return",
            "--command",
            &shell,
            "/dev/null",
        ])
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(key, value)| (key, value)))
        // A terminal UI needs a terminal that draws.
        .env("TERM", "xterm-256color")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    if let Some(mut stdout) = child.stdout.take() {
        let screen = std::sync::Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buffer = [0_u8; 8192];
            while let Ok(read) = stdout.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                if let Ok(mut screen) = screen.lock() {
                    screen.extend_from_slice(&buffer[..read]);
                }
            }
        });
    }
    let (stderr_sender, stderr_receiver) = std::sync::mpsc::channel();
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = stderr.read_to_end(&mut bytes);
            let _ = stderr_sender.send(String::from_utf8_lossy(&bytes).into_owned());
        });
    }
    let text = || {
        screen
            .lock()
            .map(|bytes| strip_ansi(&String::from_utf8_lossy(&bytes)))
            .unwrap_or_default()
    };
    let mut stdin = child.stdin.take();
    // Waits for `until` (polled) while the client runs; false at the deadline or its exit.
    let mut wait_for = |until: &dyn Fn() -> bool| -> std::io::Result<bool> {
        while started.elapsed() < timeout {
            if until() {
                return Ok(true);
            }
            if child.try_wait()?.is_some() {
                return Ok(until());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(false)
    };
    let mut problem = None;
    let ready = || {
        let screen = text();
        input.ready.iter().any(|ready| screen.contains(ready))
    };
    if !wait_for(&ready)? {
        problem = Some(format!("the screen never showed any of {:?}", input.ready));
    } else if let Some(pipe) = stdin.as_mut() {
        let mut typed = pipe
            .write_all(input.prompt.as_bytes())
            .and_then(|()| pipe.flush());
        if typed.is_ok() {
            std::thread::sleep(Duration::from_millis(800));
            typed = pipe.write_all(b"\r").and_then(|()| pipe.flush());
        }
        if let Err(error) = typed {
            problem = Some(format!("typing failed: {error}"));
        } else if !wait_for(input.done)? {
            problem = Some("the client did not finish its turn".to_owned());
        }
    }
    // End of input ends the UI.
    drop(stdin);
    const EXIT_GRACE: Duration = Duration::from_secs(15);
    let exit_deadline = Instant::now() + EXIT_GRACE;
    let mut status = child.try_wait()?;
    while status.is_none() && Instant::now() < exit_deadline && started.elapsed() < timeout {
        std::thread::sleep(Duration::from_millis(50));
        status = child.try_wait()?;
    }
    let timed_out = status.is_none();
    let status = match status {
        Some(status) => status,
        None => {
            for pid in descendants(u64::from(child.id())).into_iter().rev() {
                signal(pid, "-KILL");
            }
            kill_group(child.id());
            child.wait()?
        }
    };
    // The reader ends with the pty; give it a moment to take the last screen.
    std::thread::sleep(Duration::from_millis(100));
    let mut stderr = stderr_receiver
        .recv_timeout(Duration::from_secs(3))
        .unwrap_or_default();
    // A run that never got to type its prompt, or whose turn never ended, did not succeed,
    // whatever the client's exit code.
    let code = match &problem {
        None => status.code(),
        Some(problem) => {
            stderr = format!("(terminal run: {problem})\n{stderr}");
            None
        }
    };
    Ok(Run {
        command: format!("script -c {shell:?} (typed: {:?}, Enter)", input.prompt),
        code,
        timed_out,
        stdout: text(),
        stderr,
        elapsed: started.elapsed(),
    })
}

/// `word` for `sh -c`.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Terminal output without escape sequences (CSI, OSC, two-byte escapes) and carriage returns.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    // Parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    // Until BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}
