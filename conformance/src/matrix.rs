//! The matrix: for every source S and target T, the real S client writes the scenario
//! session (or, for a source no client here can write, its fixture is put in place), `handoff S
//! T --json` moves it, and the real T client resumes it against a recording mock that must
//! receive the whole conversation, natively, in order.

use crate::clients::{self, Agent, Clients, Run, Sandbox};
use crate::fixture_sources::Fixture;
use crate::mock::MockServer;
use crate::scenario::{self, RESUME_PROMPT, RESUME_REPLY, USER};
use crate::store;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    /// The adapter answered "not implemented yet".
    Pending(String),
    Fail(String),
}

/// Where a cell's source session comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The real client writes the scenario.
    Client(Agent),
    /// A source whose client cannot run here: its fixture, built to the documented layout with
    /// the scenario in it.
    Fixture(Fixture),
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::Client(agent) => agent.name(),
            Source::Fixture(fixture) => fixture.agent(),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Debug)]
pub struct CellResult {
    pub source: Source,
    pub target: Agent,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

impl CellResult {
    pub fn label(&self) -> String {
        format!("{} -> {}", self.source, self.target)
    }
}

const HANDOFF_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs every cell from `sources` to `targets`, `parallelism` at a time; results in matrix order
/// (source, then target).
pub fn run_matrix(
    clients: &Clients,
    handoff: &Path,
    sources: &[Source],
    targets: &[Agent],
    parallelism: usize,
) -> Vec<CellResult> {
    let cells: Vec<(Source, Agent)> = sources
        .iter()
        .flat_map(|source| targets.iter().map(move |target| (*source, *target)))
        .collect();
    let queue = Mutex::new(cells.clone().into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallelism.max(1) {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut queue| queue.next());
                    let Some((source, target)) = next else { break };
                    let result = run_cell(clients, handoff, source, target);
                    println!("{:<28} {}", result.label(), summary(&result));
                    if let Ok(mut results) = results.lock() {
                        results.push(result);
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|result| {
        cells
            .iter()
            .position(|cell| *cell == (result.source, result.target))
    });
    results
}

/// One line: PASS / PENDING / FAIL with the time and the reason's first line.
pub fn summary(result: &CellResult) -> String {
    let seconds = result.elapsed.as_secs_f64();
    match &result.outcome {
        Outcome::Pass => format!("PASS     ({seconds:.1}s)"),
        Outcome::Pending(reason) => format!("PENDING  ({seconds:.1}s) {}", first_line(reason)),
        Outcome::Fail(reason) => format!("FAIL     ({seconds:.1}s) {}", first_line(reason)),
    }
}

/// What a failure that happened before handoff ran starts with: the source client did not write
/// the scenario (a client's own flake, such as a shell call that lost its output under load).
const SOURCE_FAILED: &str = "source session: ";

pub fn run_cell(clients: &Clients, handoff: &Path, source: Source, target: Agent) -> CellResult {
    let started = Instant::now();
    let mut outcome = check_cell(clients, handoff, source, target);
    // Up to twice more, each in a fresh sandbox: the cell tests handoff, not the source client.
    for _ in 0..scenario::SOURCE_RETRIES {
        if !outcome
            .as_ref()
            .is_err_and(|reason| reason.starts_with(SOURCE_FAILED))
        {
            break;
        }
        outcome = check_cell(clients, handoff, source, target);
    }
    let outcome = outcome.unwrap_or_else(Outcome::Fail);
    CellResult {
        source,
        target,
        outcome,
        elapsed: started.elapsed(),
    }
}

fn check_cell(
    clients: &Clients,
    handoff: &Path,
    source: Source,
    target: Agent,
) -> Result<Outcome, String> {
    let sandbox = Sandbox::new().map_err(|error| format!("sandbox: {error}"))?;
    let source_id = match source {
        Source::Client(agent) => {
            scenario::create_session(clients, &sandbox, agent)
                .map_err(|error| format!("{SOURCE_FAILED}{error}"))?
                .id
        }
        Source::Fixture(fixture) => fixture
            .place(&sandbox)
            .map_err(|error| format!("placing the {source} fixture: {error}"))?,
    };
    let mock = MockServer::replying(RESUME_REPLY).map_err(|error| format!("mock: {error}"))?;
    let env = sandbox
        .configure(clients, &mock.base_url())
        .map_err(|error| format!("configure: {error}"))?;

    if target.is_opencode_store() && source != Source::Client(target) {
        // A user handing off to OpenCode (or Kilo) has run it before; its first run creates the
        // database.
        let warm = clients::run_agent(
            clients,
            target,
            &["session".into(), "list".into()],
            &sandbox.project,
            &env,
            clients::CLIENT_TIMEOUT,
        )
        .map_err(|error| error.to_string())?;
        expect_success(&warm, &format!("{target} first run"))?;
    }

    let mut args: Vec<String> = vec![source.name().into(), target.name().into(), "--json".into()];
    if let Source::Fixture(_) = source {
        // A fixture's chat belongs to the folder it was made in, not to the sandbox's project.
        args.extend(["--session-id".into(), source_id.clone()]);
    }
    let run = clients::run(handoff, &args, &sandbox.project, &env, HANDOFF_TIMEOUT)
        .map_err(|error| format!("handoff: {error}"))?;
    if !run.success() {
        // Exit 5: the agent cannot do that (yet).
        if run.code == Some(5) && run.stderr.contains("not implemented yet") {
            return Ok(Outcome::Pending(run.stderr.trim().to_owned()));
        }
        return Err(format!("handoff failed: {}", run.describe()));
    }
    let report: Value = serde_json::from_str(run.stdout.trim()).map_err(|error| {
        format!(
            "handoff --json printed no JSON object ({error}): {}",
            run.describe()
        )
    })?;
    let picked = report.pointer("/source/session_id").and_then(Value::as_str);
    if picked != Some(source_id.as_str()) {
        return Err(format!(
            "handoff took source session {picked:?}, the project's latest {source} session is {source_id}"
        ));
    }
    let target_id = report
        .pointer("/target/session_id")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no target.session_id in {report}"))?
        .to_owned();

    match target {
        Agent::Claude => check_claude_listing(&sandbox, &target_id)?,
        // Before the resume: `gemini --resume <id> -p` in a later minute than the session file's
        // name leaves a second file of the id with no conversation, and the client's next start
        // deletes every file of that id (its own sessions too).
        Agent::Gemini => check_picker(
            clients,
            &sandbox,
            Agent::Gemini,
            &["--list-sessions"],
            &target_id,
        )?,
        _ => {}
    }
    let sessions_before = store::sessions(&sandbox, target)?.len();

    // Cline has no non-interactive resume: its terminal UI, through a pseudo-terminal.
    let resume = clients::resume(
        clients,
        target,
        &target_id,
        RESUME_PROMPT,
        &sandbox.project,
        &env,
    )
    .map_err(|error| error.to_string())?;
    expect_success(&resume, &format!("{target} resume of {target_id}"))?;
    let request = mock.agent_requests().pop().ok_or_else(|| {
        format!(
            "{target} resumed without asking the model: {}",
            resume.describe()
        )
    })?;
    scenario::check_history(&request.history())
        .map_err(|problem| format!("{target} resume of {target_id}: {problem}"))?;
    if !store::session_contains(&sandbox, target, &target_id, RESUME_REPLY)? {
        return Err(format!(
            "{target} did not append the resumed reply to session {target_id}"
        ));
    }
    let sessions_after = store::sessions(&sandbox, target)?.len();
    if sessions_after != sessions_before {
        return Err(format!(
            "{target} resume created a new session ({sessions_before} -> {sessions_after} sessions)"
        ));
    }

    match target {
        Agent::Codex => check_codex_last(clients, &sandbox, &target_id)?,
        Agent::OpenCode | Agent::Kilo => {
            check_opencode_listing(&sandbox, &env, clients, target, &target_id)?;
        }
        Agent::Copilot => {
            check_copilot_import(clients, handoff, &sandbox, &env, source, &source_id)?;
            let args = ["-p", RESUME_PROMPT, "--continue", "--allow-all-tools"];
            check_continue(clients, &sandbox, Agent::Copilot, &args, &target_id)?;
        }
        Agent::Qwen => check_picker(
            clients,
            &sandbox,
            Agent::Qwen,
            &["sessions", "list", "--json"],
            &target_id,
        )?,
        Agent::Pi => {
            let args = ["-p", "--continue", RESUME_PROMPT];
            check_continue(clients, &sandbox, Agent::Pi, &args, &target_id)?;
        }
        Agent::Cline => check_cline_history(clients, &sandbox, &env, &target_id)?,
        Agent::Claude | Agent::Gemini => {}
    }
    Ok(Outcome::Pass)
}

fn expect_success(run: &Run, what: &str) -> Result<(), String> {
    if run.success() {
        Ok(())
    } else {
        Err(format!("{what} failed: {}", run.describe()))
    }
}

/// Claude's picker lists `projects/<key(cwd)>/*.jsonl` with a title: the file must be in the
/// project's folder and carry a title row.
fn check_claude_listing(sandbox: &Sandbox, id: &str) -> Result<(), String> {
    let key: String = sandbox
        .project
        .to_string_lossy()
        .encode_utf16()
        .map(|unit| match char::from_u32(u32::from(unit)) {
            Some(c) if c.is_ascii_alphanumeric() => c,
            _ => '-',
        })
        .collect();
    let file = sandbox
        .claude_home()
        .join("projects")
        .join(key)
        .join(format!("{id}.jsonl"));
    let text = std::fs::read_to_string(&file).map_err(|error| {
        format!(
            "claude session not in the project folder: {}: {error}",
            file.display()
        )
    })?;
    let has_title = text.lines().any(|line| {
        serde_json::from_str::<Value>(line).ok().is_some_and(|row| {
            matches!(
                row.get("type").and_then(Value::as_str),
                Some("custom-title" | "ai-title" | "summary" | "last-prompt")
            )
        })
    });
    if has_title {
        Ok(())
    } else {
        Err(format!(
            "{}: no title row (custom-title / ai-title / summary / last-prompt)",
            file.display()
        ))
    }
}

/// `codex exec resume --last` in the project must find the session.
fn check_codex_last(clients: &Clients, sandbox: &Sandbox, id: &str) -> Result<(), String> {
    const LAST_REPLY: &str = "HOK_RESUMED_LAST_71fe";
    let mock = MockServer::replying(LAST_REPLY).map_err(|error| error.to_string())?;
    let args = [
        "exec",
        "resume",
        "--last",
        "--skip-git-repo-check",
        RESUME_PROMPT,
    ]
    .map(str::to_owned);
    let run = clients::run_client(clients, sandbox, Agent::Codex, &mock.base_url(), &args)
        .map_err(|error| error.to_string())?;
    expect_success(&run, "codex exec resume --last")?;
    let sees_history = mock.agent_requests().pop().is_some_and(|request| {
        request
            .history()
            .iter()
            .any(|item| item.text().contains(USER))
    });
    if !sees_history || !store::session_contains(sandbox, Agent::Codex, id, LAST_REPLY)? {
        return Err(format!(
            "codex exec resume --last did not resume {id}: {}",
            run.describe()
        ));
    }
    Ok(())
}

/// Copilot CLI's importer accepts the same conversation (`copilot sessions import --dry-run`).
fn check_copilot_import(
    clients: &Clients,
    handoff: &Path,
    sandbox: &Sandbox,
    env: &[(String, String)],
    source: Source,
    source_id: &str,
) -> Result<(), String> {
    let args = [
        source.name(),
        "copilot",
        "--session-id",
        source_id,
        "--no-inject",
        "--format",
        "json",
    ]
    .map(str::to_owned);
    let run = clients::run(handoff, &args, &sandbox.project, env, HANDOFF_TIMEOUT)
        .map_err(|error| error.to_string())?;
    expect_success(&run, "handoff --no-inject --format json")?;
    let transcript: Value = serde_json::from_str(&run.stdout)
        .map_err(|error| format!("handoff printed no transcript ({error})"))?;
    let file = sandbox.project.join("../copilot-import.jsonl");
    std::fs::write(&file, crate::copilot_import::interchange(&transcript))
        .map_err(|error| format!("{}: {error}", file.display()))?;
    let mut args: Vec<String> = vec![
        "sessions".into(),
        "import".into(),
        file.to_string_lossy().into_owned(),
        "--dry-run".into(),
        "--output".into(),
        "json".into(),
    ];
    if let Source::Fixture(_) = source {
        // A fixture's chat names the folder it was made in, which does not exist here.
        args.push("--working-directory".into());
        args.push(sandbox.project.to_string_lossy().into_owned());
    }
    let run = clients::run_agent(
        clients,
        Agent::Copilot,
        &args,
        &sandbox.project,
        env,
        clients::CLIENT_TIMEOUT,
    )
    .map_err(|error| error.to_string())?;
    let answer: Value = serde_json::from_str(run.stdout.trim()).unwrap_or(Value::Null);
    let imported = &answer["imported"];
    // Every call the transcript holds: the scenario's two, and any the source agent adds on its
    // own (a headless Cline run ends with a call of its completion tool).
    let calls = transcript["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|message| message["parts"].as_array())
        .flatten()
        .filter(|part| part["type"] == "tool_call")
        .count();
    let whole = answer["ok"] == true
        && calls >= 2
        && imported["toolCalls"] == calls
        && imported["toolResults"] == calls
        && imported["messages"].as_u64().is_some_and(|n| n >= 3);
    if !whole {
        return Err(format!(
            "copilot sessions import --dry-run refused the conversation: {}",
            run.describe()
        ));
    }
    Ok(())
}

/// The client's "continue the most recent session" (`args`, with the resume prompt) in the
/// project must resume the session.
fn check_continue(
    clients: &Clients,
    sandbox: &Sandbox,
    agent: Agent,
    args: &[&str],
    id: &str,
) -> Result<(), String> {
    const LAST_REPLY: &str = "HOK_RESUMED_LAST_71fe";
    let mock = MockServer::replying(LAST_REPLY).map_err(|error| error.to_string())?;
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let run = clients::run_client(clients, sandbox, agent, &mock.base_url(), &args)
        .map_err(|error| error.to_string())?;
    let what = format!("{agent} {}", args.join(" "));
    expect_success(&run, &what)?;
    let sees_history = mock.agent_requests().pop().is_some_and(|request| {
        request
            .history()
            .iter()
            .any(|item| item.text().contains(USER))
    });
    if !sees_history || !store::session_contains(sandbox, agent, id, LAST_REPLY)? {
        return Err(format!("{what} did not resume {id}: {}", run.describe()));
    }
    Ok(())
}

/// The client's own session list in the project (`args`) must show the session with the title
/// handoff gave it. Run against a mock: a client may ask the model to title untitled sessions.
fn check_picker(
    clients: &Clients,
    sandbox: &Sandbox,
    agent: Agent,
    args: &[&str],
    id: &str,
) -> Result<(), String> {
    let mock = MockServer::replying("mock title").map_err(|error| error.to_string())?;
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    let run = clients::run_client(clients, sandbox, agent, &mock.base_url(), &args)
        .map_err(|error| error.to_string())?;
    expect_success(&run, &format!("{agent} {}", args.join(" ")))?;
    // The title is the source's (a client may have named its session itself), after handoff's
    // prefix.
    let listing = format!("{}{}", run.stdout, run.stderr);
    if listing.contains(id) && listing.contains("handoff: ") {
        Ok(())
    } else {
        Err(format!(
            "{agent} {} does not show {id} with its title: {}",
            args.join(" "),
            run.describe()
        ))
    }
}

/// `opencode session list --format json` (or Kilo's) in the project must list the session.
fn check_opencode_listing(
    sandbox: &Sandbox,
    env: &[(String, String)],
    clients: &Clients,
    agent: Agent,
    id: &str,
) -> Result<(), String> {
    let args = ["session", "list", "--format", "json"].map(str::to_owned);
    let run = clients::run_agent(
        clients,
        agent,
        &args,
        &sandbox.project,
        env,
        clients::CLIENT_TIMEOUT,
    )
    .map_err(|error| error.to_string())?;
    expect_success(&run, &format!("{agent} session list"))?;
    let listed: Value = serde_json::from_str(run.stdout.trim()).map_err(|error| {
        format!(
            "{agent} session list printed no JSON ({error}): {}",
            run.describe()
        )
    })?;
    let found = listed.as_array().is_some_and(|sessions| {
        sessions
            .iter()
            .any(|session| session.get("id").and_then(Value::as_str) == Some(id))
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "{agent} session list in the project does not list {id}: {}",
            run.stdout.trim()
        ))
    }
}

/// `cline history --json` (what its history list shows, from its session database) must list
/// the session in the project with the title handoff gave it (after handoff's prefix).
fn check_cline_history(
    clients: &Clients,
    sandbox: &Sandbox,
    env: &[(String, String)],
    id: &str,
) -> Result<(), String> {
    let args = ["history", "--json"].map(str::to_owned);
    let run = clients::run_agent(
        clients,
        Agent::Cline,
        &args,
        &sandbox.project,
        env,
        clients::CLIENT_TIMEOUT,
    )
    .map_err(|error| error.to_string())?;
    expect_success(&run, "cline history --json")?;
    let listed: Value = serde_json::from_str(run.stdout.trim()).map_err(|error| {
        format!(
            "cline history --json printed no JSON ({error}): {}",
            run.describe()
        )
    })?;
    let entry = listed
        .as_array()
        .and_then(|sessions| {
            sessions
                .iter()
                .find(|session| session.get("sessionId").and_then(Value::as_str) == Some(id))
        })
        .ok_or_else(|| {
            format!(
                "cline history --json does not list {id}: {}",
                run.stdout.trim()
            )
        })?;
    let project = sandbox.project.to_string_lossy();
    let cwd = entry.get("cwd").and_then(Value::as_str);
    let title = entry
        .pointer("/metadata/title")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if cwd != Some(project.as_ref()) || !title.starts_with("handoff: ") {
        return Err(format!(
            "cline history --json lists {id} with cwd {cwd:?} and title {title:?} \
             (want {project:?} and a title starting `handoff: `)"
        ));
    }
    Ok(())
}

/// The outcome of each cell in a matrix `render_markdown` wrote: `(source, target, outcome)`,
/// the outcome as written (`pass`, `**fail**`, `pending`, `not run`).
pub fn parse_markdown(text: &str) -> Vec<(String, String, String)> {
    let mut targets: Vec<String> = Vec::new();
    let mut cells = Vec::new();
    for line in text.lines() {
        let columns: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if line.starts_with("| source \\ target |") {
            targets = columns.iter().skip(1).map(|c| (*c).to_owned()).collect();
        } else if let Some(source) = columns
            .first()
            .and_then(|c| c.strip_prefix("**"))
            .and_then(|c| c.strip_suffix("**"))
        {
            for (target, outcome) in targets.iter().zip(columns.iter().skip(1)) {
                cells.push((source.to_owned(), target.clone(), (*outcome).to_owned()));
            }
        }
    }
    cells
}

/// `docs/conformance.md`: the matrix with the client versions.
pub fn render_markdown(clients: &Clients, results: &[CellResult]) -> String {
    let mut out = String::from(
        "# Real-client conformance\n\n\
         Generated by `scripts/conformance` (`host/tests/it/conformance.rs`); do not edit.\n\n\
         Each cell: the real source client writes a session (user text, assistant text, a shell tool \
         call and its output, a failing tool call, a final reply; each with a marker), `handoff S T` \
         moves it, the real target client resumes it non-interactively (Cline, which cannot, in its \
         terminal UI driven through a pseudo-terminal) against a recording mock model, and every \
         marker must reach the model in order, with tool calls and results as the target's native \
         items; the client must exit 0 and append to the same session. Extra \
         checks: Claude's file sits in the project folder with a title row; `codex exec resume \
         --last` finds the session; `opencode session list` and `kilo session list` in the project \
         list it; \
         `copilot --continue` and `pi --continue` in the project resume it; `gemini \
         --list-sessions`, `qwen sessions list` and `cline history --json` in the project show it \
         with its title.\n\n\
         The rows of Cursor and VS Code Copilot Chat start from their fixtures (built to the \
         layouts documented in `plugins/cursor/README.md` and `plugins/vscode-copilot/README.md`, \
         with the same markers), since neither editor can run here; handoff reads them and every \
         real target client resumes the result the same way.\n\n",
    );
    let today = jiff::Zoned::now().date();
    let _ = writeln!(out, "Verified on {today} with:\n");
    for agent in Agent::ALL {
        let _ = writeln!(out, "- {agent}: `{}`", clients.version(agent));
    }
    out.push_str("\n| source \\ target |");
    for target in Agent::ALL {
        let _ = write!(out, " {target} |");
    }
    out.push_str("\n|---|");
    for _ in Agent::ALL {
        out.push_str("---|");
    }
    let mut sources: Vec<Source> = Vec::new();
    for result in results {
        if !sources.contains(&result.source) {
            sources.push(result.source);
        }
    }
    for source in sources {
        let _ = write!(out, "\n| **{source}** |");
        for target in Agent::ALL {
            let cell = results
                .iter()
                .find(|result| result.source == source && result.target == target);
            let text = match cell.map(|result| &result.outcome) {
                Some(Outcome::Pass) => "pass",
                Some(Outcome::Pending(_)) => "pending",
                Some(Outcome::Fail(_)) => "**fail**",
                None => "not run",
            };
            let _ = write!(out, " {text} |");
        }
    }
    out.push('\n');
    let notes: Vec<String> = results
        .iter()
        .filter_map(|result| match &result.outcome {
            Outcome::Pass => None,
            Outcome::Pending(reason) | Outcome::Fail(reason) => Some(format!(
                "- {}: {}",
                result.label(),
                first_line(reason).replace('|', "\\|")
            )),
        })
        .collect();
    out.push_str(
        "\nNot in the matrix: Crush (`@charmland/crush@0.96.1`). Its npm package has no binary: \
         its install script downloads one from the project's release page, which these machines \
         cannot reach (`getaddrinfo ENOTFOUND`), and no registry they reach carries Crush. Its \
         adapter is read from Crush's source and tested against a database built to that schema \
         (`plugins/crush/README.md`); no session it writes has been opened by Crush.\n",
    );
    if !notes.is_empty() {
        out.push_str("\nNot passing:\n\n");
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
