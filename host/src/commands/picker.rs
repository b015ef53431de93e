//! The session picker of `--pick`: one agent's sessions of a project in a list on the terminal,
//! filtered as you type; the chosen session's id is what a command then works on.

use anyhow::{Result, anyhow};
use dialoguer::FuzzySelect;
use dialoguer::console::Term;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};
use handoff_plugin_api::SessionSummary;
use std::collections::HashMap;
use std::io::IsTerminal;

use super::Context;
use super::list;
use crate::error::{Kind, fail};
use crate::ui::{age, now_ms, one_line};

/// Rows shown at once; the list scrolls.
const VISIBLE_ROWS: usize = 15;

/// The id of the session of `agent` the user picks among those of `project` (or of its nearest
/// ancestor with sessions, as `list` shows them), newest first. Needs a terminal on stdin and
/// stderr (the list is drawn on stderr, so stdout stays for data); without one, a usage error
/// that points to `--session-id`.
pub fn pick_session(ctx: &mut Context, agent: &str, project: &str) -> Result<String> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return fail(
            Kind::Usage,
            "--pick needs a terminal (stdin and stderr); name the session with --session-id",
        );
    }
    let display_name = ctx.agent(agent)?.info.display_name.clone();
    let (rows, projects) = list::collect(ctx, Some(agent), Some(project.to_owned()), None, true)?;
    if rows.is_empty() {
        return fail(
            Kind::NoSession,
            format!("no {display_name} session for {project}"),
        );
    }
    list::tell_nearest(&ctx.ui, Some(project), &projects);
    let now = now_ms();
    let mut sessions_per_path: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        *sessions_per_path.entry(row.path.as_str()).or_default() += 1;
    }
    let items: Vec<String> = rows
        .iter()
        .map(|row| {
            // A database's size says nothing of one session.
            let own_file = sessions_per_path.get(row.path.as_str()) == Some(&1);
            label(row, own_file, now)
        })
        .collect();
    let theme: Box<dyn Theme> = if ctx.ui.color() {
        Box::new(ColorfulTheme::default())
    } else {
        Box::new(SimpleTheme)
    };
    let term = Term::stderr();
    let _interrupt = InterruptEndsThePicker::new();
    let picked = FuzzySelect::with_theme(theme.as_ref())
        .with_prompt(format!(
            "{display_name} session (type to filter, Enter to pick, Esc to cancel)"
        ))
        // The command's next line names the session picked.
        .report(false)
        .items(&items)
        .default(0)
        .max_length(VISIBLE_ROWS)
        .interact_on_opt(&term);
    match picked {
        Ok(Some(index)) => rows
            .get(index)
            .map(|row| row.session_id.clone())
            .ok_or_else(|| anyhow!("the picker answered a row it was not given")),
        Ok(None) => fail(Kind::NoSession, "no session picked"),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            let _ = term.show_cursor();
            fail(Kind::NoSession, "no session picked")
        }
        Err(e) => {
            // The picker hides the cursor while it runs; an error leaves it hidden.
            let _ = term.show_cursor();
            Err(anyhow!("the session picker failed: {e}"))
        }
    }
}

/// While the picker reads a key the terminal is raw, and Ctrl-C arrives as a key that the
/// picker's terminal library turns into SIGINT, which would end handoff with the cursor hidden.
/// Ignored meanwhile, the signal leaves the key as an interrupted read: the picker ends as with
/// Esc, and the cursor is shown again.
struct InterruptEndsThePicker {
    #[cfg(unix)]
    before: libc::sighandler_t,
}

impl InterruptEndsThePicker {
    fn new() -> Self {
        Self {
            // SAFETY: SIG_IGN is a valid disposition; the previous one is put back on drop.
            #[cfg(unix)]
            before: unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) },
        }
    }
}

impl Drop for InterruptEndsThePicker {
    fn drop(&mut self) {
        // SAFETY: the disposition `signal` answered before, valid by construction.
        #[cfg(unix)]
        unsafe {
            libc::signal(libc::SIGINT, self.before);
        }
    }
}

/// `title  age  messages  size  id`: the id last, which also keeps every row distinct (the
/// picker answers the first row equal to the chosen one).
fn label(row: &SessionSummary, own_file: bool, now: i64) -> String {
    let title = one_line(row.title.as_deref().unwrap_or("(untitled)"), 48);
    let size = std::fs::metadata(&row.path)
        .ok()
        .filter(|meta| own_file && meta.is_file())
        .map(|meta| bytes(meta.len()))
        .unwrap_or_default();
    format!(
        "{title:<48} {:>8} {:>5} msgs {size:>8}  {}",
        age(row.updated_ms, now),
        row.messages,
        row.session_id
    )
}

/// `812 B`, `45 KB`, `3.2 MB`.
fn bytes(n: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = KB * KB;
    match n {
        0..KB => format!("{n} B"),
        KB..MB => format!("{} KB", n / KB),
        _ => format!("{:.1} MB", n as f64 / MB as f64),
    }
}
