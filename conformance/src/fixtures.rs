//! Real-client fixtures: each pinned client writes the scenario session (see `scenario`) and the
//! files it wrote are copied to `plugins/<agent>/tests/fixtures/real/` with a README saying which
//! client wrote them and how to regenerate them (`cargo run -p handoff-conformance --bin
//! make-fixtures`).

use crate::clients::{self, Agent, Clients, Sandbox};
use crate::history::Item;
use crate::mock::MockServer;
use crate::scenario::{self, SourceSession};
use crate::store;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Databases bigger than this are described (schema) instead of copied.
const MAX_DB_FIXTURE_BYTES: u64 = 512 * 1024;

/// Writes the fixtures of `agent` under `repo_root`; returns the directory.
pub fn make(clients: &Clients, repo_root: &Path, agent: Agent) -> Result<PathBuf, String> {
    let sandbox = Sandbox::new().map_err(|error| error.to_string())?;
    let source = scenario::create_session(clients, &sandbox, agent)?;
    // Kilo Code's store is OpenCode's, served by the OpenCode adapter.
    let out = match agent {
        Agent::Kilo => repo_root.join("plugins/opencode/tests/fixtures/kilo"),
        _ => repo_root
            .join("plugins")
            .join(agent.name())
            .join("tests/fixtures/real"),
    };
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|error| format!("{}: {error}", out.display()))?;
    }
    std::fs::create_dir_all(&out).map_err(|error| format!("{}: {error}", out.display()))?;
    let notes = match agent {
        Agent::Claude => claude(&source, &out)?,
        Agent::Codex => codex(&sandbox, &source, &out)?,
        Agent::OpenCode | Agent::Kilo => opencode(&sandbox, &source, &out)?,
        Agent::Copilot => copilot(&source, &out)?,
        Agent::Gemini => gemini(&sandbox, &source, &out)?,
        Agent::Qwen => qwen(&sandbox, &source, &out)?,
        Agent::Pi => pi(&sandbox, &source, &out)?,
        Agent::Cline => cline(clients, &sandbox, &source, &out)?,
    };
    let readme = readme(clients, &sandbox, &source, &notes);
    write(&out.join("README.md"), readme.as_bytes())?;
    Ok(out)
}

fn claude(source: &SourceSession, out: &Path) -> Result<String, String> {
    copy(&source.path, &out.join(file_name(&source.path)))?;
    // Subagent transcripts live in <session id>/subagents/ next to the file.
    let sidecar = source.path.with_extension("");
    let mut notes = String::new();
    if sidecar.is_dir() {
        copy_tree(&sidecar, &out.join(&source.id))?;
        let _ = writeln!(
            notes,
            "- `{}/`: the session's sidecar directory (subagents).",
            source.id
        );
    }
    let text = read(&source.path)?;
    let entrypoints = distinct_field(&text, "entrypoint");
    let types = distinct_field(&text, "type");
    let _ = writeln!(
        notes,
        "- `{}`: the session, written by `claude -p` (non-interactive).\n\
         - `entrypoint` values in it: {entrypoints:?}. Sessions of every entrypoint must be \
         listed and extracted (the picker hides `sdk-*` ones, handoff must not).\n\
         - row `type` values in it: {types:?}.\n\
         - tools: `Bash` for the command, `Read` for the missing file (`tool_result` with \
         `is_error: true`).",
        file_name(&source.path)
    );
    Ok(notes)
}

fn codex(sandbox: &Sandbox, source: &SourceSession, out: &Path) -> Result<String, String> {
    copy(&source.path, &out.join(file_name(&source.path)))?;
    let text = read(&source.path)?;
    let meta: serde_json::Value = text
        .lines()
        .next()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or_default();
    let payload = &meta["payload"];
    let relative = source
        .path
        .strip_prefix(sandbox.codex_home())
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    let mut notes = format!(
        "- `{}`: the rollout, written by `codex exec` (it lived at `$CODEX_HOME/{relative}`).\n\
         - `session_meta.payload`: `source` = {}, `originator` = {}, `cli_version` = {}, \
         `model_provider` = {}, `history_mode` = {}. Sessions of every source must be listed.\n\
         - Codex has no read tool: the failing read is its shell tool running `cat` (exit code 1 \
         in the `function_call_output` text; Responses items carry no error flag).\n\
         - line `type` values in it: {:?}.\n",
        file_name(&source.path),
        payload["source"],
        payload["originator"],
        payload["cli_version"],
        payload["model_provider"],
        payload["history_mode"],
        distinct_field(&text, "type"),
    );
    let state = std::fs::read_dir(sandbox.codex_home())
        .map_err(|error| error.to_string())?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            let name = file_name(path);
            name.starts_with("state_") && name.ends_with(".sqlite")
        });
    if let Some(state) = state {
        let name = file_name(&state);
        let copy = out.join(&name);
        vacuum_into(&state, &copy)?;
        let schema = schema(&copy, "threads")?;
        let size = std::fs::metadata(&copy).map(|meta| meta.len()).unwrap_or(0);
        if size > MAX_DB_FIXTURE_BYTES {
            std::fs::remove_file(&copy).map_err(|error| error.to_string())?;
            let _ = writeln!(
                notes,
                "- `{name}` ({size} bytes, not kept) table `threads`:\n```sql\n{schema}\n```"
            );
        } else {
            let _ = writeln!(
                notes,
                "- `{name}`: the thread index (`VACUUM INTO` copy, no WAL), table `threads`:\n```sql\n{schema}\n```"
            );
        }
    }
    Ok(notes)
}

fn opencode(sandbox: &Sandbox, source: &SourceSession, out: &Path) -> Result<String, String> {
    let db = sandbox.db_of(source.agent);
    let name = file_name(&db);
    let copy = out.join(&name);
    vacuum_into(&db, &copy)?;
    let connection = store::open(&copy)?;
    let count = |table: &str| -> i64 {
        connection
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })
            .unwrap_or(-1)
    };
    let migrations = count("migration");
    let (messages, parts) = (count("message"), count("part"));
    let part_types: Vec<String> = connection
        .prepare("SELECT DISTINCT json_extract(data, '$.type') FROM part ORDER BY 1")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|error| error.to_string())?;
    let size = std::fs::metadata(&copy).map(|meta| meta.len()).unwrap_or(0);
    Ok(format!(
        "- `{name}`: the database after `{agent} run` (`VACUUM INTO` copy, {size} bytes, no \
         WAL). Session `{}` ({messages} messages, {parts} parts; part types {part_types:?}); \
         {migrations} rows in `migration`.\n\
         - Open a copy, never this file, when a test writes.\n",
        source.id,
        agent = source.agent,
    ))
}

fn copilot(source: &SourceSession, out: &Path) -> Result<String, String> {
    // <home>/session-state/<uuid>/{events.jsonl, workspace.yaml}
    let folder = source
        .path
        .parent()
        .ok_or_else(|| format!("{}: no session folder", source.path.display()))?;
    let target = out.join(&source.id);
    std::fs::create_dir_all(&target).map_err(|error| format!("{}: {error}", target.display()))?;
    for name in ["events.jsonl", "workspace.yaml"] {
        copy(&folder.join(name), &target.join(name))?;
    }
    let types = distinct_field(&read(&source.path)?, "type");
    Ok(format!(
        "- `{id}/events.jsonl` and `{id}/workspace.yaml`: the session folder `copilot -p` wrote \
         (the client's other files there, checkpoints and locks, are not kept).\n\
         - event `type` values in it: {types:?}.\n\
         - tools: `bash` for the command, `view` for the missing file \
         (`tool.execution_complete` with `success: false`).\n",
        id = source.id
    ))
}

fn gemini(sandbox: &Sandbox, source: &SourceSession, out: &Path) -> Result<String, String> {
    // The session file keeps its place under the home: tmp/<slug>/chats/, with the registry and
    // the project marker the client wrote beside it.
    let home = sandbox.gemini_home();
    let mut kept = Vec::new();
    let slug_dir = source
        .path
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("{}: no project folder", source.path.display()))?;
    for file in [
        source.path.clone(),
        slug_dir.join(".project_root"),
        home.join("projects.json"),
    ] {
        let relative = file
            .strip_prefix(&home)
            .map_err(|_| format!("{} is outside {}", file.display(), home.display()))?;
        let target = out.join("home").join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("{}: {error}", parent.display()))?;
        }
        copy(&file, &target)?;
        kept.push(format!("`home/{}`", relative.display()));
    }
    let text = read(&source.path)?;
    Ok(format!(
        "- {}: what `gemini -p` wrote under `~/.gemini` (the client's logs and shell history \
         are not kept).\n\
         - record `type` values in it: {:?}.\n\
         - tools: `run_shell_command` for the command, `read_file` for the missing file (a call \
         with `status: \"error\"`).\n",
        kept.join(", "),
        distinct_field(&text, "type"),
    ))
}

fn qwen(sandbox: &Sandbox, source: &SourceSession, out: &Path) -> Result<String, String> {
    let home = sandbox.qwen_home();
    let relative = source
        .path
        .strip_prefix(&home)
        .map_err(|_| format!("{} is outside {}", source.path.display(), home.display()))?;
    let target = out.join("home").join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("{}: {error}", parent.display()))?;
    }
    copy(&source.path, &target)?;
    let text = read(&source.path)?;
    Ok(format!(
        "- `home/{}`: the session `qwen -p` wrote under `~/.qwen`.\n\
         - record `type` values in it: {:?}; `subtype` values: {:?}.\n\
         - tools: `run_shell_command` for the command, `read_file` for the missing file.\n",
        relative.display(),
        distinct_field(&text, "type"),
        distinct_field(&text, "subtype"),
    ))
}

fn pi(sandbox: &Sandbox, source: &SourceSession, out: &Path) -> Result<String, String> {
    let home = sandbox.pi_home();
    let relative = source
        .path
        .strip_prefix(&home)
        .map_err(|_| format!("{} is outside {}", source.path.display(), home.display()))?;
    let target = out.join("home").join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("{}: {error}", parent.display()))?;
    }
    copy(&source.path, &target)?;
    let text = read(&source.path)?;
    Ok(format!(
        "- `home/{}`: the session `pi -p` wrote under `~/.pi/agent` (its settings and models \
         files, pointing at the mock, are not kept).\n\
         - entry `type` values in it: {:?}.\n\
         - tools: `bash` for the command, `read` for the missing file (a `toolResult` with \
         `isError: true`).\n",
        relative.display(),
        distinct_field(&text, "type"),
    ))
}

fn cline(
    clients: &Clients,
    sandbox: &Sandbox,
    source: &SourceSession,
    out: &Path,
) -> Result<String, String> {
    // The same conversation once more, typed into the terminal UI: its sessions differ from the
    // headless ones (mode `act`, no completion tool, `interactive`).
    let mock = MockServer::start(scenario::script(sandbox), "mock reply")
        .map_err(|error| error.to_string())?;
    let run = clients::create_cline_interactive(
        clients,
        sandbox,
        &mock.base_url(),
        &scenario::create_prompt(),
    )
    .map_err(|error| format!("cline (terminal UI): cannot run: {error}"))?;
    if !run.success() {
        return Err(format!(
            "cline (terminal UI) did not write the session: {}",
            run.describe()
        ));
    }
    let steps = mock.agent_requests().last().map_or(0, |request| {
        request
            .history()
            .iter()
            .filter(|item| matches!(item, Item::ToolResult { .. }))
            .count()
    });
    let sessions = store::sessions(sandbox, Agent::Cline)?;
    let interactive = sessions
        .iter()
        .find(|session| session.id != source.id)
        .ok_or_else(|| format!("cline (terminal UI) wrote no second session: {sessions:?}"))?;
    if steps < 2
        || !store::session_contains(sandbox, Agent::Cline, &interactive.id, scenario::FINAL)?
    {
        return Err(format!(
            "cline (terminal UI): session {} lacks the scenario ({steps} tool results): {}",
            interactive.id,
            run.describe()
        ));
    }

    let home = sandbox.cline_home();
    let mut kept = Vec::new();
    for session in [&source.id, &interactive.id] {
        for name in [
            format!("{session}.json"),
            format!("{session}.messages.json"),
        ] {
            let relative = Path::new("data/sessions").join(session).join(name);
            let target = out.join("home").join(&relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|error| format!("{}: {error}", parent.display()))?;
            }
            copy(&home.join(&relative), &target)?;
            kept.push(format!("`home/{}`", relative.display()));
        }
    }
    let db = home.join("data/db/sessions.db");
    let db_copy = out.join("home/data/db/sessions.db");
    if let Some(parent) = db_copy.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| format!("{}: {error}", parent.display()))?;
    }
    vacuum_into(&db, &db_copy)?;
    let schema = schema(&db_copy, "sessions")?;
    let size = std::fs::metadata(&db_copy)
        .map(|meta| meta.len())
        .unwrap_or(0);

    // What the client lists, from that database.
    let env = sandbox
        .configure(clients, &mock.base_url())
        .map_err(|error| error.to_string())?;
    let history = clients::run_agent(
        clients,
        Agent::Cline,
        &["history".into(), "--json".into()],
        &sandbox.project,
        &env,
        clients::CLIENT_TIMEOUT,
    )
    .map_err(|error| error.to_string())?;
    let listed: serde_json::Value = serde_json::from_str(history.stdout.trim())
        .map_err(|error| format!("cline history --json ({error}): {}", history.describe()))?;
    let pretty = serde_json::to_string_pretty(&listed).map_err(|error| error.to_string())?;
    write(&out.join("history.json"), format!("{pretty}\n").as_bytes())?;

    let kinds = |id: &str| -> Result<(Vec<String>, Vec<String>), String> {
        let file = home
            .join("data/sessions")
            .join(id)
            .join(format!("{id}.messages.json"));
        let doc: serde_json::Value = serde_json::from_str(&read(&file)?)
            .map_err(|error| format!("{}: {error}", file.display()))?;
        let mut blocks = Vec::new();
        let mut tools = Vec::new();
        for message in doc["messages"].as_array().into_iter().flatten() {
            for block in message["content"].as_array().into_iter().flatten() {
                let kind = format!(
                    "{}/{}",
                    message["role"].as_str().unwrap_or_default(),
                    block["type"].as_str().unwrap_or_default()
                );
                if !blocks.contains(&kind) {
                    blocks.push(kind);
                }
                if let Some(name) = block["name"]
                    .as_str()
                    .filter(|_| block["type"] == "tool_use")
                    && !tools.iter().any(|tool| tool == name)
                {
                    tools.push(name.to_owned());
                }
            }
        }
        Ok((blocks, tools))
    };
    let (headless_blocks, headless_tools) = kinds(&source.id)?;
    let (interactive_blocks, interactive_tools) = kinds(&interactive.id)?;
    Ok(format!(
        "Two sessions of the same conversation in one `CLINE_DIR` (`~/.cline`), each what the \
         client wrote itself:\n\n\
         - `{headless}`: headless, `cline -y \"<prompt>\"` (the user prompt wrapped in \
         `<user_input mode=\"yolo\">`; a `[SYSTEM]` user message that nudges the model to its \
         completion tool; the final reply calls `submit_and_exit`, whose result closes the run). \
         Content block kinds (role/type): {headless_blocks:?}; tools: {headless_tools:?}.\n\
         - `{interactive}`: the terminal UI, `cline` with the prompt typed in (through a \
         pseudo-terminal; wrapped in `<user_input mode=\"act\">`; the final reply is plain text). \
         Content block kinds: {interactive_blocks:?}; tools: {interactive_tools:?}.\n\n\
         Files:\n\n\
         - {kept}: per session, the manifest `<id>.json` and the conversation \
         `<id>.messages.json` under `data/sessions/<id>/`.\n\
         - `home/data/db/sessions.db`: the session index (`VACUUM INTO` copy, {size} bytes, no \
         WAL), a row per session; table `sessions`:\n```sql\n{schema}\n```\n\
         - `history.json`: what `cline history --json` in the project printed from that \
         database (the client's own listing).\n\
         - Not kept: the provider settings (pointing at the mock), logs, caches, locks and the \
         client's other databases (tasks, teams, cron, hub events).\n\
         - tools: `run_commands` for the command, `read_files` for the missing file (its result \
         carries `success: false` and the error; no error flag on the block).\n",
        headless = source.id,
        interactive = interactive.id,
        kept = kept.join(", "),
    ))
}

fn readme(clients: &Clients, sandbox: &Sandbox, source: &SourceSession, notes: &str) -> String {
    let agent = source.agent;
    format!(
        "# Real {agent} fixtures\n\n\
         Written by the real client **{version}** (pinned in `conformance/pins`) driven by the \
         conformance suite's scripted mock model, not by hand. Session id `{id}`; project dir (cwd) \
         `{project}`, a git repo.\n\n\
         The conversation (markers from `conformance/src/scenario.rs`): user prompt `{user}`; \
         assistant text `{assistant}` then a shell tool call whose command contains `{arg}` and whose \
         output is `{output}`; a failing read of `{error_file}` (error result); final reply `{final_}`.\n\n\
         {notes}\n\
         Regenerate (needs the clients: `scripts/conformance` installs them):\n\n\
         ```sh\ncargo run -p handoff-conformance --bin make-fixtures -- {agent}\n```\n",
        version = clients.version(agent),
        id = source.id,
        project = sandbox.project.display(),
        user = scenario::USER,
        assistant = scenario::ASSISTANT,
        arg = scenario::TOOL_ARG,
        output = scenario::TOOL_OUTPUT,
        error_file = scenario::ERROR_FILE,
        final_ = scenario::FINAL,
    )
}

/// Distinct values of a top-level string field over the JSONL lines, in first-seen order.
fn distinct_field(text: &str, field: &str) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for line in text.lines() {
        let value = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|row| {
                row.get(field)
                    .and_then(|value| value.as_str())
                    .map(str::to_owned)
            });
        if let Some(value) = value
            && !values.contains(&value)
        {
            values.push(value);
        }
    }
    values
}

fn vacuum_into(db: &Path, copy: &Path) -> Result<(), String> {
    let connection = store::open(db)?;
    connection
        .execute("VACUUM INTO ?1", [copy.to_string_lossy()])
        .map_err(|error| format!("{}: VACUUM INTO: {error}", db.display()))?;
    Ok(())
}

fn schema(db: &Path, table: &str) -> Result<String, String> {
    store::open(db)?
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = ?1",
            [table],
            |row| row.get(0),
        )
        .map_err(|error| format!("{}: schema of {table}: {error}", db.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|error| format!("{}: {error}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(drop)
        .map_err(|error| format!("copy {} -> {}: {error}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|error| format!("{}: {error}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|error| format!("{}: {error}", from.display()))? {
        let path = entry.map_err(|error| error.to_string())?.path();
        let target = to.join(file_name(&path));
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}
