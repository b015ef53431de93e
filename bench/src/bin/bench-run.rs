//! `bench-run --data DIR --handoff BIN --agent-py BIN [--runs N] [--plugins DIR]`
//!
//! Runs `handoff` and the Python `handoff-agent` alternately on the generated tree (`gen-data`),
//! each case at least `--runs` times per tool, and prints a Markdown table of median wall time,
//! ratio and peak RSS (from `wait4`, per process). The transfers run with handoff's default
//! context budget and with `--full`, every message converted and written, which is the work
//! handoff-agent always does.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Args {
    data: PathBuf,
    handoff: PathBuf,
    agent_py: PathBuf,
    runs: usize,
    plugins: Vec<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        data: PathBuf::new(),
        handoff: PathBuf::new(),
        agent_py: PathBuf::new(),
        runs: 5,
        plugins: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--data" => args.data = value.into(),
            "--handoff" => args.handoff = value.into(),
            "--agent-py" => args.agent_py = value.into(),
            "--runs" => args.runs = value.parse().map_err(|e| format!("--runs: {e}"))?,
            "--plugin" => args.plugins.push(value.into()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    // The tools run in the project folder with HOME in the tree: relative paths would move.
    for path in [&mut args.data, &mut args.handoff, &mut args.agent_py] {
        *path = std::fs::canonicalize(&*path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(args)
}

/// One timed run: wall milliseconds and peak RSS in KiB.
#[derive(Clone, Copy)]
struct Sample {
    ms: f64,
    rss_kb: i64,
}

fn run(program: &Path, args: &[&str], home: &Path, cwd: &Path) -> Result<Sample, String> {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let pid = i32::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unwaited child; status and usage point to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if waited != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        return Err(format!(
            "{} {args:?} failed (status {status}): {}",
            program.display(),
            stderr.trim()
        ));
    }
    Ok(Sample {
        ms,
        rss_kb: usage.ru_maxrss,
    })
}

fn median(samples: &[Sample]) -> (f64, i64) {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    let rss = samples.iter().map(|s| s.rss_kb).max().unwrap_or(0);
    let mid = ms.len() / 2;
    let median = if ms.len().is_multiple_of(2) && mid > 0 {
        (ms.get(mid - 1).copied().unwrap_or(0.0) + ms.get(mid).copied().unwrap_or(0.0)) / 2.0
    } else {
        ms.get(mid).copied().unwrap_or(0.0)
    };
    (median, rss)
}

struct Row {
    case: &'static str,
    ours: Vec<Sample>,
    theirs: Vec<Sample>,
}

fn main() -> std::process::ExitCode {
    match parse().and_then(|a| bench(&a)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-run: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn bench(a: &Args) -> Result<(), String> {
    let home = a.data.join("home");
    let big = a.data.join("work/big");
    let cache = home.join(".handoff/cache");
    let clear_cache = || {
        let _ = std::fs::remove_dir_all(&cache);
    };
    let mut rows = Vec::new();

    // Each case alternates: before each round `prepare`, then ours, then theirs. The two tools
    // get the same arguments unless a case gives handoff its own.
    let alternate_with =
        |case: &'static str, ours: &[&str], theirs: &[&str], runs: usize, prepare: &dyn Fn()| {
            let mut row = Row {
                case,
                ours: Vec::new(),
                theirs: Vec::new(),
            };
            for _ in 0..runs {
                prepare();
                row.ours.push(run(&a.handoff, ours, &home, &big)?);
                row.theirs.push(run(&a.agent_py, theirs, &home, &big)?);
            }
            Ok::<_, String>(row)
        };
    let alternate = |case: &'static str, args: &[&str], runs: usize, prepare: &dyn Fn()| {
        alternate_with(case, args, args, runs, prepare)
    };
    let list = ["list", "--all"];
    rows.push(alternate(
        "list --all, cold (no cache)",
        &list,
        a.runs,
        &clear_cache,
    )?);
    run(&a.handoff, &list, &home, &big)?;
    rows.push(alternate(
        "list --all, warm (cache)",
        &list,
        a.runs,
        &|| {},
    )?);
    rows.push(alternate(
        "status (this project)",
        &["status"],
        a.runs,
        &|| {},
    )?);

    // Transfers of the big sessions; what they write is removed after each round, so every
    // round starts from the same store. handoff-agent has no budget: it converts and writes
    // every message. handoff's default writes what fits its context budget; `--full` is the
    // same work as handoff-agent's.
    let written = [home.join(".codex/sessions"), home.join(".claude/projects")];
    let before: Vec<_> = written.iter().map(|dir| files_under(dir)).collect();
    let remove_written = || {
        for (dir, before) in written.iter().zip(&before) {
            for file in files_under(dir).difference(before) {
                let _ = std::fs::remove_file(file);
            }
        }
    };
    for (case, ours, theirs) in [
        (
            "transfer claude → codex (59 MB), handoff's default budget",
            &["claude", "codex"][..],
            &["claude", "codex"][..],
        ),
        (
            "transfer claude → codex (59 MB), everything (--full)",
            &["claude", "codex", "--full"][..],
            &["claude", "codex"][..],
        ),
        (
            "transfer codex → claude (59 MB), everything (--full)",
            &["codex", "claude", "--full"][..],
            &["codex", "claude"][..],
        ),
    ] {
        rows.push(alternate_with(case, ours, theirs, a.runs, &remove_written)?);
        remove_written();
    }

    // Startup with three plugins in the plugins dir (`agents` loads them all).
    let plugins = home.join(".handoff/plugins");
    let _ = std::fs::create_dir_all(&plugins);
    for (i, plugin) in a.plugins.iter().enumerate() {
        let name = format!("libbench_plugin_{i}.so");
        std::fs::copy(plugin, plugins.join(name))
            .map_err(|e| format!("{}: {e}", plugin.display()))?;
    }
    for (case, args) in [
        ("startup: --version", &["--version"][..]),
        ("startup: agents (3 plugins loaded)", &["agents"][..]),
    ] {
        rows.push(alternate(case, args, a.runs.max(10), &|| {})?);
    }
    let _ = std::fs::remove_dir_all(&plugins);

    let size = std::fs::metadata(newest_claude(&home).ok_or("no big Claude session")?)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "| case | handoff (median) | handoff-agent 0.1.3 (median) | speed-up | peak RSS handoff | peak RSS handoff-agent |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for row in &rows {
        let (ours, ours_rss) = median(&row.ours);
        let (theirs, theirs_rss) = median(&row.theirs);
        println!(
            "| {} | {ours:.1} ms | {theirs:.1} ms | {:.1}× | {:.1} MB | {:.1} MB |",
            row.case,
            theirs / ours.max(0.001),
            ours_rss as f64 / 1024.0,
            theirs_rss as f64 / 1024.0
        );
    }
    println!(
        "\n{} runs of each tool per case, alternating; the big Claude session is {:.1} MB.",
        a.runs,
        size as f64 / 1_000_000.0
    );
    Ok(())
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path);
            }
        }
    }
    found
}

/// The largest session file of the big project.
fn newest_claude(home: &Path) -> Option<PathBuf> {
    let projects = home.join(".claude/projects");
    let dir = std::fs::read_dir(&projects)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-work-big"))?;
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
}
