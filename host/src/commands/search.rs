//! `handoff search <TEXT>`: the sessions of every agent (this project, or all) whose user,
//! assistant or tool texts hold the text, newest first, one line each with a snippet of the
//! newest match.
//!
//! The sessions come from the listing (and its cache). A session file of its own in JSON lines is
//! first scanned as raw bytes ([`Query::file_may_match`]); only a file that may hold the text, and
//! a session whose store cannot be scanned so (a database, a compressed file, a plugin's), is read
//! through its adapter. Sessions are taken newest first and the search stops at the limit.

use anyhow::Result;
use handoff_plugin_api::{ExtractRequest, SessionSummary};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use super::Context;
use super::list::{self, row_json};
use crate::error::{Kind, fail};
use crate::output;
use crate::redact::{LazyRedactor, RedactionCounts};
use crate::registry::{Agent, Origin};
use crate::search::{Place, Query};
use crate::spinner::Spinner;
use crate::ui::{age, now_ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The text to find, as typed; upper and lower case match each other (see --case-sensitive).
    #[arg(value_name = "TEXT")]
    pub text: String,
    #[command(flatten)]
    pub scope: list::Scope,
    /// At most this many sessions, the newest; 0 for every one.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Upper and lower case differ.
    #[arg(long)]
    pub case_sensitive: bool,
    /// A JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A session that holds the text.
struct Hit {
    row: SessionSummary,
    /// How many of its texts hold it.
    matches: usize,
    place: Place,
    /// Around the newest match, redacted.
    snippet: String,
}

enum Outcome {
    Miss,
    Hit(Box<Hit>),
    /// The session could not be read: why, for a warning.
    Unreadable(String),
}

/// Sessions looked at together at first: enough to keep every core busy, few enough to stop
/// soon when the newest sessions match. Each batch after is twice as big, up to the last size
/// (a batch waits for its slowest session before the next starts).
const FIRST_BATCH: usize = 32;
const LAST_BATCH: usize = 1024;
const SNIPPET_WIDTH: usize = 100;

pub fn run(args: Args, ctx: &mut Context) -> Result<()> {
    if args.text.trim().is_empty() {
        return fail(Kind::Usage, "name the text to find: handoff search <TEXT>");
    }
    let query = Query::new(&args.text, args.case_sensitive)?;
    let cwd = args.scope.project()?;
    let (rows, projects) = list::collect(
        ctx,
        args.scope.agent.as_deref(),
        cwd.clone(),
        None,
        !args.json,
    )?;
    list::tell_nearest(&ctx.ui, cwd.as_deref(), &projects);
    let limit = match args.limit {
        0 => usize::MAX,
        n => n,
    };
    let searched = {
        let _spinner = Spinner::after_delay("Searching sessions", !args.json);
        search(ctx, &rows, &query, limit)?
    };
    if let Some(first) = searched.unreadable.first() {
        let others = match searched.unreadable.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        ctx.ui.warn(&format!("could not read {first}{others}"));
    }
    if searched.more {
        ctx.ui.line(&format!(
            "The {limit} newest sessions that match; --limit N for more (0: all)."
        ));
    }
    if args.json {
        let hits: Vec<_> = searched.hits.iter().map(hit_json).collect();
        return output::println(serde_json::Value::Array(hits));
    }
    if searched.hits.is_empty() {
        ctx.ui.line("No session matches.");
        return Ok(());
    }
    let now = now_ms();
    output::write(|out| {
        searched
            .hits
            .iter()
            .try_for_each(|hit| write_hit(out, hit, now))
    })
}

struct Searched {
    /// Newest first, at most the limit.
    hits: Vec<Hit>,
    /// More sessions than the limit match.
    more: bool,
    unreadable: Vec<String>,
}

/// Looks through `rows` (newest first) until `limit` sessions match.
fn search(ctx: &Context, rows: &[SessionSummary], query: &Query, limit: usize) -> Result<Searched> {
    let config = &ctx.config;
    let redactor = config
        .redaction_on()
        .then(|| LazyRedactor::new(&config.redaction.patterns));
    // A file listed for several sessions (a database) holds more than one session's text.
    let mut sessions_per_path: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        *sessions_per_path.entry(row.path.as_str()).or_default() += 1;
    }
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        let agent = ctx.registry.get(&row.agent)?;
        let scan =
            sessions_per_path.get(row.path.as_str()) == Some(&1) && scannable(agent, &row.path);
        jobs.push((agent, scan, row));
    }
    let mut searched = Searched {
        hits: Vec::new(),
        more: false,
        unreadable: Vec::new(),
    };
    let mut batch_size = FIRST_BATCH;
    let mut rest = jobs.as_slice();
    while !rest.is_empty() {
        let (batch, after) = rest.split_at(batch_size.min(rest.len()));
        rest = after;
        batch_size = (batch_size * 2).min(LAST_BATCH);
        let outcomes = handoff_adapter_kit::parallel::par_map(batch, |(agent, scan, row)| {
            look(
                agent,
                config.agent_home(agent.name()),
                row,
                *scan,
                query,
                redactor.as_ref(),
            )
        });
        for outcome in outcomes {
            match outcome? {
                Outcome::Miss => {}
                Outcome::Unreadable(why) => searched.unreadable.push(why),
                Outcome::Hit(hit) if searched.hits.len() < limit => searched.hits.push(*hit),
                Outcome::Hit(_) => searched.more = true,
            }
        }
        if searched.more {
            break;
        }
    }
    Ok(searched)
}

/// The built-in agents whose JSON-lines session file holds each text of the session whole, as one
/// JSON string, so a text that holds the query holds its stretch in the file (their readers put
/// each stored string in its own part, or join strings with a newline, which no stretch holds; a
/// label a reader puts before a stored text, like pi's "Ran `ls`", is found only by a query within
/// one or the other). VS Code's log builds a reply from many appended pieces, OpenCode's older tree
/// keeps the messages beside the file listed, a plugin's store is unknown: those are read through
/// their adapters, as are databases and compressed rollouts.
const SCANNED_AGENTS: [&str; 6] = ["claude", "codex", "copilot", "gemini", "qwen", "pi"];

/// Whether a session's raw file may be scanned for the text instead of read (see
/// [`SCANNED_AGENTS`]).
fn scannable(agent: &Agent, path: &str) -> bool {
    agent.origin == Origin::Builtin
        && SCANNED_AGENTS.contains(&agent.name())
        && path.ends_with(".jsonl")
}

thread_local! {
    /// The scanner's buffer, one per thread for every file it scans.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One session: scanned, and read through its adapter if it may hold the text.
fn look(
    agent: &Agent,
    home: Option<String>,
    row: &SessionSummary,
    scan: bool,
    query: &Query,
    redactor: Option<&LazyRedactor>,
) -> Result<Outcome> {
    if scan {
        match BUFFER.with_borrow_mut(|buffer| query.file_may_match(Path::new(&row.path), buffer)) {
            Ok(false) => return Ok(Outcome::Miss),
            Ok(true) => {}
            Err(e) => return Ok(Outcome::Unreadable(format!("{}: {e}", row.path))),
        }
    }
    // A scanned file is the session's own, so it is named (the built-ins read the file named);
    // finding it by id would list the agent's store again for every session.
    let (session_id, path) = if scan {
        (None, Some(row.path.clone()))
    } else {
        (Some(row.session_id.clone()), None)
    };
    let extracted = match agent.extract(ExtractRequest {
        home,
        cwd: row.cwd.clone(),
        session_id,
        path,
    }) {
        Ok(extracted) => extracted,
        Err(e) => return Ok(Outcome::Unreadable(e.to_string())),
    };
    let Some(found) = query.find(&extracted.transcript) else {
        return Ok(Outcome::Miss);
    };
    let snippet = match redactor {
        Some(redactor) => {
            // The whole text, not the snippet's window: a secret cut by the window's edge would
            // no longer look like one.
            let text = redactor
                .get()?
                .redact_text(found.text, &mut RedactionCounts::default());
            query.snippet(&text, found.at, SNIPPET_WIDTH)
        }
        None => query.snippet(found.text, found.at, SNIPPET_WIDTH),
    };
    Ok(Outcome::Hit(Box::new(Hit {
        row: row.clone(),
        matches: found.texts,
        place: found.place,
        snippet,
    })))
}

fn write_hit(out: &mut impl Write, hit: &Hit, now: i64) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<9} {:<36} {:>8}  {}: {}",
        hit.row.agent,
        hit.row.session_id,
        age(hit.row.updated_ms, now),
        hit.place.label(),
        hit.snippet
    )
}

/// A `list --json` row with `matches`, `place` and `snippet`.
fn hit_json(hit: &Hit) -> serde_json::Value {
    let mut value = row_json(&hit.row);
    if let Some(object) = value.as_object_mut() {
        object.insert("matches".into(), hit.matches.into());
        object.insert("place".into(), serde_json::json!(hit.place));
        object.insert("snippet".into(), hit.snippet.clone().into());
    }
    value
}
