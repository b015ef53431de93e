//! The conversation every cell checks: markers, the scripted model that makes a real client write
//! it, and the assertion that a resumed request carries it in order, in native roles.

use crate::clients::{self, Agent, Clients, Run, Sandbox};
use crate::history::Item;
use crate::mock::{MockServer, ToolIntent, Turn};
use crate::store;
use std::path::PathBuf;

/// The user's first prompt.
pub const USER: &str = "HOK_USER_PROMPT_a41c";
/// Assistant text before the first tool call.
pub const ASSISTANT: &str = "HOK_ASSISTANT_TEXT_5be2";
/// In the first tool call's arguments (the command), not in its output.
pub const TOOL_ARG: &str = "HOK_OUT 42";
/// In the first tool call's output only (`printf` joins the two words).
pub const TOOL_OUTPUT: &str = "HOK_OUT_42";
/// In the failing tool call's arguments and its error output.
pub const ERROR_FILE: &str = "HOK_ERR_FILE_9d07";
/// The final reply of the source session.
pub const FINAL: &str = "HOK_FINAL_REPLY_c3f8";
/// The prompt of the resume.
pub const RESUME_PROMPT: &str = "HOK_RESUME_PROMPT_e6d1 what did we do so far?";
/// What the mock answers the resume with; it must be appended to the same session.
pub const RESUME_REPLY: &str = "HOK_RESUMED_REPLY_0b9a";

pub fn create_prompt() -> String {
    format!("{USER}: run the marker command, then read the missing file")
}

/// The path the failing read targets (inside the project, so no client asks for permission).
pub fn missing_file(sandbox: &Sandbox) -> PathBuf {
    sandbox
        .project
        .join("missing")
        .join(format!("{ERROR_FILE}.txt"))
}

/// The model's side of the source conversation.
pub fn script(sandbox: &Sandbox) -> Vec<Turn> {
    vec![
        Turn {
            text: Some(format!("{ASSISTANT}: I will run the marker command.")),
            tool: Some(ToolIntent::Shell("printf '%s_%s\\n' HOK_OUT 42".to_owned())),
        },
        Turn {
            text: None,
            tool: Some(ToolIntent::ReadFile(
                missing_file(sandbox).to_string_lossy().into_owned(),
            )),
        },
        Turn {
            text: Some(format!(
                "{FINAL}: the command printed its marker and the file is missing."
            )),
            tool: None,
        },
    ]
}

/// A session the real client wrote itself.
pub struct SourceSession {
    pub agent: Agent,
    pub id: String,
    /// The session's file (Claude, Codex) or the database holding it (OpenCode).
    pub path: PathBuf,
    pub run: Run,
}

/// How often a source client that failed to write the scenario (its own flake, such as a shell
/// call that lost its output under load) is run again, each time in a fresh sandbox.
pub const SOURCE_RETRIES: usize = 2;

/// [`create_session`] in a fresh sandbox, run again up to [`SOURCE_RETRIES`] times in another
/// one when the client fails to write the scenario.
pub fn create_session_retrying(
    clients: &Clients,
    agent: Agent,
) -> Result<(Sandbox, SourceSession), String> {
    let mut tries = 0;
    loop {
        let sandbox = Sandbox::new().map_err(|error| format!("sandbox: {error}"))?;
        match create_session(clients, &sandbox, agent) {
            Ok(source) => return Ok((sandbox, source)),
            Err(error) if tries == SOURCE_RETRIES => return Err(error),
            Err(error) => {
                println!("{agent}: the client did not write the scenario, again: {error:.200}");
                tries += 1;
            }
        }
    }
}

/// Makes `agent` write the scenario's session in `sandbox`, and checks that it did.
pub fn create_session(
    clients: &Clients,
    sandbox: &Sandbox,
    agent: Agent,
) -> Result<SourceSession, String> {
    let mock =
        MockServer::start(script(sandbox), "mock reply").map_err(|error| error.to_string())?;
    let run = clients::run_client(
        clients,
        sandbox,
        agent,
        &mock.base_url(),
        &clients::create_args(agent, &create_prompt()),
    )
    .map_err(|error| format!("{agent}: cannot run: {error}"))?;
    if !run.success() {
        return Err(format!(
            "{agent} did not write the source session: {}",
            run.describe()
        ));
    }
    // The last agent-loop request carried the whole conversation up to the final reply.
    let last = mock
        .agent_requests()
        .last()
        .map(|request| request.history())
        .ok_or_else(|| format!("{agent}: the mock saw no model request: {}", run.describe()))?;
    let steps = last
        .iter()
        .filter(|item| matches!(item, Item::ToolResult { .. }))
        .count();
    if steps < 2 {
        return Err(format!(
            "{agent}: the client ran {steps} of the 2 scripted tool calls: {}\n{last:#?}",
            run.describe()
        ));
    }
    let printed = last.iter().any(
        |item| matches!(item, Item::ToolResult { output, .. } if output.contains(TOOL_OUTPUT)),
    );
    if !printed {
        return Err(format!(
            "{agent}: the client's shell call returned without the command's output: {}",
            render(&last)
        ));
    }
    let sessions = store::sessions(sandbox, agent)?;
    let [session] = sessions.as_slice() else {
        return Err(format!(
            "{agent}: expected one session after create, found {sessions:?}"
        ));
    };
    if !store::session_contains(sandbox, agent, &session.id, FINAL)? {
        return Err(format!(
            "{agent}: session {} lacks the final reply",
            session.id
        ));
    }
    Ok(SourceSession {
        agent,
        id: session.id.clone(),
        path: session.path.clone(),
        run,
    })
}

/// Checks that a resumed request's history holds the scenario in order, with native tool calls
/// and results, ending with the resume prompt.
pub fn check_history(items: &[Item]) -> Result<(), String> {
    let mut position = 0;
    let mut expect = |what: &str, matches: &dyn Fn(&Item) -> bool| -> Result<Item, String> {
        let found = items[position..].iter().position(matches).ok_or_else(|| {
            format!(
                "{what} missing (searched from item {position}) in:\n{}",
                render(items)
            )
        })?;
        position += found + 1;
        Ok(items[position - 1].clone())
    };
    expect(
        "user text with USER marker",
        &|item| matches!(item, Item::User(text) if text.contains(USER)),
    )?;
    expect(
        "assistant text with ASSISTANT marker",
        &|item| matches!(item, Item::Assistant(text) if text.contains(ASSISTANT)),
    )?;
    let call = expect(
        "native tool call with TOOL_ARG in its arguments",
        &|item| matches!(item, Item::ToolCall { arguments, .. } if arguments.contains(TOOL_ARG)),
    )?;
    let call_id = tool_call_id(&call);
    expect(
        "native tool result of that call with TOOL_OUTPUT",
        &|item| matches!(item, Item::ToolResult { call_id: id, output, .. } if *id == call_id && output.contains(TOOL_OUTPUT)),
    )?;
    let failing = expect(
        "native tool call with ERROR_FILE in its arguments",
        &|item| matches!(item, Item::ToolCall { arguments, .. } if arguments.contains(ERROR_FILE)),
    )?;
    let failing_id = tool_call_id(&failing);
    expect(
        "native tool result of the failing call",
        &|item| matches!(item, Item::ToolResult { call_id: id, .. } if *id == failing_id),
    )?;
    expect(
        "assistant text with FINAL marker",
        &|item| matches!(item, Item::Assistant(text) if text.contains(FINAL)),
    )?;
    expect(
        "user text with the resume prompt",
        &|item| matches!(item, Item::User(text) if text.contains(RESUME_PROMPT)),
    )?;
    // Not flattened: the tool output lives only in tool results.
    if let Some(flat) = items
        .iter()
        .find(|item| !matches!(item, Item::ToolResult { .. }) && item.text().contains(TOOL_OUTPUT))
    {
        return Err(format!("tool output flattened into {flat:?}"));
    }
    Ok(())
}

fn tool_call_id(item: &Item) -> String {
    match item {
        Item::ToolCall { id, .. } => id.clone(),
        _ => String::new(),
    }
}

/// The history, one short line per item, for failure messages.
pub fn render(items: &[Item]) -> String {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let line = format!("{item:?}");
            let short: String = line.chars().take(200).collect();
            format!("  {index}: {short}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
