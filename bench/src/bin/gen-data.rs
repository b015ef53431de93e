//! `gen-data --out DIR [--seed N] [--claude N] [--projects N] [--codex N] [--copilot N]
//! [--gemini N] [--qwen N] [--pi N] [--kilo N] [--cline N] [--crush N] [--cursor N]
//! [--vscode-copilot N] [--big-mb N]`
//!
//! Writes `DIR/home/.claude`, `DIR/home/.codex`, and `DIR/home/.copilot`, `.gemini`, `.qwen`,
//! `.pi`, `.local/share/kilo/kilo.db`, `.cline`, `.local/share/crush/projects.json` with each
//! project's `.crush/crush.db`, `.config/Cursor/User` (the global `state.vscdb` and a
//! `workspaceStorage` folder per project) and `.config/Code/User/workspaceStorage` (a folder per
//! project with its `chatSessions`), each only when its count is above 0, and the project folders
//! `DIR/work/p00…` and `DIR/work/big` the sessions belong to (the big sessions are in `work/big`,
//! newest there). Same arguments, same bytes and mtimes.

use handoff_bench::{
    EPOCH_MS, Spec, claude, cline, codex, copilot, crush, cursor, gemini, opencode_db, pi, qwen,
    rng::Rng, vscode_copilot, write_file,
};
use std::path::{Path, PathBuf};

struct Params {
    out: PathBuf,
    seed: u64,
    claude: usize,
    projects: usize,
    codex: usize,
    copilot: usize,
    gemini: usize,
    qwen: usize,
    pi: usize,
    kilo: usize,
    cline: usize,
    crush: usize,
    cursor: usize,
    vscode_copilot: usize,
    big_mb: usize,
}

fn parse() -> Result<Params, String> {
    let mut params = Params {
        out: PathBuf::new(),
        seed: 1,
        claude: 2_000,
        projects: 50,
        codex: 500,
        copilot: 0,
        gemini: 0,
        qwen: 0,
        pi: 0,
        kilo: 0,
        cline: 0,
        crush: 0,
        cursor: 0,
        vscode_copilot: 0,
        big_mb: 59,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--out" => params.out = PathBuf::from(&value),
            "--seed" => params.seed = value.parse().map_err(|e| format!("--seed: {e}"))?,
            "--claude" => params.claude = number()?,
            "--projects" => params.projects = number()?.max(1),
            "--codex" => params.codex = number()?,
            "--copilot" => params.copilot = number()?,
            "--gemini" => params.gemini = number()?,
            "--qwen" => params.qwen = number()?,
            "--pi" => params.pi = number()?,
            "--kilo" => params.kilo = number()?,
            "--cline" => params.cline = number()?,
            "--crush" => params.crush = number()?,
            "--cursor" => params.cursor = number()?,
            "--vscode-copilot" => params.vscode_copilot = number()?,
            "--big-mb" => params.big_mb = number()?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if params.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    // Sessions record absolute project paths.
    std::fs::create_dir_all(&params.out).map_err(|e| format!("{}: {e}", params.out.display()))?;
    params.out = std::fs::canonicalize(&params.out).map_err(|e| e.to_string())?;
    Ok(params)
}

const DAY_MS: i64 = 86_400_000;
/// Sessions are spread over this many days.
const DAYS: i64 = 60;

fn main() -> std::process::ExitCode {
    match parse().and_then(|p| generate(&p).map_err(|e| e.to_string())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-data: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn generate(p: &Params) -> std::io::Result<()> {
    let work = p.out.join("work");
    let home = p.out.join("home");
    let projects: Vec<String> = (0..p.projects)
        .map(|i| work.join(format!("p{i:02}")).display().to_string())
        .collect();
    let big = work.join("big").display().to_string();
    for dir in projects.iter().chain([&big]) {
        std::fs::create_dir_all(dir)?;
    }
    let (claude, codex) = std::thread::scope(|s| {
        let claude = s.spawn(|| claude_tree(p, &home, &projects, &big));
        let codex = codex_tree(p, &home, &projects, &big);
        (claude.join(), codex)
    });
    claude.map_err(|_| std::io::Error::other("the Claude generator panicked"))??;
    codex?;
    if p.copilot > 0 {
        copilot_tree(p, &home, &projects, &big)?;
    }
    if p.gemini > 0 {
        gemini_tree(p, &home, &projects, &big)?;
    }
    if p.qwen > 0 {
        qwen_tree(p, &home, &projects, &big)?;
    }
    if p.pi > 0 {
        pi_tree(p, &home, &projects, &big)?;
    }
    if p.cline > 0 {
        cline_tree(p, &home, &projects, &big)?;
    }
    if p.kilo > 0 {
        kilo_db(p, &home, &projects, &big)?;
    }
    if p.crush > 0 {
        crush_dbs(p, &home, &projects, &big)?;
    }
    if p.cursor > 0 {
        cursor_store(p, &home, &projects, &big)?;
    }
    if p.vscode_copilot > 0 {
        vscode_copilot_tree(p, &home, &projects, &big)?;
    }
    Ok(())
}

fn claude_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed);
    let root = home.join(".claude/projects");
    let spacing = DAYS * DAY_MS / i64::try_from(p.claude.max(1)).unwrap_or(1);
    for i in 0..p.claude {
        // A few busy projects, a long tail of quiet ones.
        let project = rng.skewed(0, projects.len().saturating_sub(1) * 2) % projects.len();
        let cwd = projects.get(project).map_or("/", String::as_str);
        let start_ms = EPOCH_MS + i64::try_from(i).unwrap_or(0) * spacing;
        // 12 KB · e^(5u): median ~150 KB, mean ~350 KB, largest ~1.8 MB.
        let target_bytes = (12_000.0 * (5.0 * rng.unit()).exp()) as usize;
        let shape = claude::Shape {
            target_bytes,
            start_ms,
            max_output: 24_000,
            compaction: target_bytes > 600_000 || rng.chance(0.1),
            subagents: rng.chance(0.2),
        };
        write_claude(&root, cwd, &claude::session(&mut rng, cwd, &shape))?;
    }
    let shape = claude::Shape {
        target_bytes: p.big_mb * 1_000_000,
        start_ms: EPOCH_MS + DAYS * DAY_MS,
        max_output: 40_000,
        compaction: true,
        subagents: true,
    };
    write_claude(&root, big, &claude::session(&mut rng, big, &shape))
}

fn write_claude(root: &Path, cwd: &str, session: &claude::Session) -> std::io::Result<()> {
    let dir = root.join(claude::project_key(cwd));
    write_file(
        &dir.join(format!("{}.jsonl", session.id)),
        &session.jsonl,
        session.end_ms,
    )?;
    for (name, bytes) in &session.subagents {
        let path = dir
            .join(&session.id)
            .join("subagents")
            .join(format!("{name}.jsonl"));
        write_file(&path, bytes, session.end_ms)?;
    }
    Ok(())
}

fn codex_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(1));
    let root = home.join(".codex");
    each_session(
        &mut rng,
        p.codex,
        projects,
        big,
        p.big_mb,
        |rng, _, spec| {
            let rollout = codex::rollout(
                rng,
                spec.cwd,
                spec.start_ms,
                spec.target_bytes,
                spec.max_output,
            );
            write_file(
                &root.join(&rollout.relative_path),
                &rollout.jsonl,
                rollout.end_ms,
            )
        },
    )
}

fn copilot_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(2));
    let root = home.join(".copilot/session-state");
    each_session(
        &mut rng,
        p.copilot,
        projects,
        big,
        p.big_mb,
        |rng, _, spec| {
            let session = copilot::session(
                rng,
                spec.cwd,
                spec.start_ms,
                spec.target_bytes,
                spec.max_output,
            );
            write_copilot(&root, &session)
        },
    )
}

fn write_copilot(root: &Path, session: &copilot::Session) -> std::io::Result<()> {
    let dir = root.join(&session.id);
    write_file(
        &dir.join("workspace.yaml"),
        session.workspace.as_bytes(),
        session.end_ms,
    )?;
    write_file(&dir.join("events.jsonl"), &session.events, session.end_ms)
}

/// The start time and size of the `i`th of `count` small sessions.
fn small(rng: &mut Rng, i: usize, count: usize) -> (i64, usize) {
    let spacing = DAYS * DAY_MS / i64::try_from(count.max(1)).unwrap_or(1);
    let start_ms = EPOCH_MS + i64::try_from(i).unwrap_or(0) * spacing;
    (start_ms, (8_000.0 * (5.0 * rng.unit()).exp()) as usize)
}

/// The sessions of one store, drawn in the same order by every generator: `count` small ones,
/// each in a project drawn at random (its index is passed on), then the big one in `big` (index
/// `projects.len()`). `make` writes (or collects) each with the store's random source.
fn each_session<'a>(
    rng: &mut Rng,
    count: usize,
    projects: &'a [String],
    big: &'a str,
    big_mb: usize,
    mut make: impl FnMut(&mut Rng, usize, Spec<'a>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for i in 0..count {
        let project = rng.below(projects.len());
        let cwd = projects.get(project).map_or("/", String::as_str);
        let (start_ms, target_bytes) = small(rng, i, count);
        let spec = Spec {
            cwd,
            start_ms,
            target_bytes,
            max_output: 16_000,
        };
        make(rng, project, spec)?;
    }
    let spec = Spec {
        cwd: big,
        start_ms: EPOCH_MS + DAYS * DAY_MS,
        target_bytes: big_mb * 1_000_000,
        max_output: 40_000,
    };
    make(rng, projects.len(), spec)
}

fn gemini_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(3));
    let root = home.join(".gemini");
    // The registry and markers as the client keeps them: one slug folder per project.
    let mut registry = serde_json::Map::new();
    for (index, project) in projects.iter().chain([&big.to_owned()]).enumerate() {
        let slug = format!("project-{index}");
        write_file(
            &root.join("tmp").join(&slug).join(".project_root"),
            project.as_bytes(),
            EPOCH_MS,
        )?;
        registry.insert(project.clone(), serde_json::Value::String(slug));
    }
    let registry = serde_json::json!({ "projects": registry });
    write_file(
        &root.join("projects.json"),
        registry.to_string().as_bytes(),
        EPOCH_MS,
    )?;
    let chats = |cwd: &str| {
        let index = projects
            .iter()
            .position(|p| p == cwd)
            .unwrap_or(projects.len());
        root.join("tmp")
            .join(format!("project-{index}"))
            .join("chats")
    };
    each_session(
        &mut rng,
        p.gemini,
        projects,
        big,
        p.big_mb,
        |rng, _, spec| {
            let session = gemini::session(
                rng,
                spec.cwd,
                spec.start_ms,
                spec.target_bytes,
                spec.max_output,
            );
            write_file(
                &chats(spec.cwd).join(&session.file_name),
                &session.jsonl,
                session.end_ms,
            )
        },
    )
}

fn qwen_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(4));
    let root = home.join(".qwen/projects");
    let chats = |cwd: &str| {
        let key: String = cwd
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        root.join(key).join("chats")
    };
    each_session(&mut rng, p.qwen, projects, big, p.big_mb, |rng, _, spec| {
        let session = qwen::session(
            rng,
            spec.cwd,
            spec.start_ms,
            spec.target_bytes,
            spec.max_output,
        );
        let file = chats(spec.cwd).join(format!("{}.jsonl", session.id));
        write_file(&file, &session.jsonl, session.end_ms)
    })
}

fn pi_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(5));
    let root = home.join(".pi/agent/sessions");
    let folder = |cwd: &str| {
        let inner = cwd.trim_start_matches('/').replace(['/', '\\', ':'], "-");
        root.join(format!("--{inner}--"))
    };
    each_session(&mut rng, p.pi, projects, big, p.big_mb, |rng, _, spec| {
        let session = pi::session(
            rng,
            spec.cwd,
            spec.start_ms,
            spec.target_bytes,
            spec.max_output,
        );
        write_file(
            &folder(spec.cwd).join(&session.file_name),
            &session.jsonl,
            session.end_ms,
        )
    })
}

fn cline_tree(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(8));
    let root = home.join(".cline/data/sessions");
    each_session(
        &mut rng,
        p.cline,
        projects,
        big,
        p.big_mb,
        |rng, _, spec| {
            let session = cline::session(
                rng,
                spec.cwd,
                spec.start_ms,
                spec.target_bytes,
                spec.max_output,
            );
            let dir = root.join(&session.id);
            let manifest = dir.join(format!("{}.json", session.id));
            write_file(&manifest, &session.manifest_json, session.end_ms)?;
            let conversation = dir.join(format!("{}.messages.json", session.id));
            write_file(&conversation, &session.messages_json, session.end_ms)
        },
    )
}

fn kilo_db(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(6));
    let mut specs = Vec::new();
    each_session(&mut rng, p.kilo, projects, big, p.big_mb, |_, _, spec| {
        specs.push(spec);
        Ok(())
    })?;
    // The schema and migrations of a database the real client wrote.
    let template = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/opencode/tests/fixtures/kilo/kilo.db");
    let db = home.join(".local/share/kilo/kilo.db");
    let last_ms = opencode_db::write(&db, &template, "7.7.7", "code", &mut rng, &specs)
        .map_err(std::io::Error::other)?;
    write_file(&db, &std::fs::read(&db)?, last_ms)
}

fn crush_dbs(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(7));
    let mut specs = Vec::new();
    each_session(&mut rng, p.crush, projects, big, p.big_mb, |_, _, spec| {
        specs.push(spec);
        Ok(())
    })?;
    // Crush's schema and migration record, as the adapter's fixture holds them.
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/crush/tests/fixtures/crush.db");
    crush::write(
        &home.join(".local/share/crush"),
        &template,
        &mut rng,
        &specs,
    )
    .map_err(std::io::Error::other)
}

fn cursor_store(p: &Params, home: &Path, projects: &[String], big: &str) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(9));
    let mut specs = Vec::new();
    each_session(&mut rng, p.cursor, projects, big, p.big_mb, |_, _, spec| {
        specs.push(spec);
        Ok(())
    })?;
    cursor::write(&home.join(".config/Cursor"), &mut rng, &specs).map_err(std::io::Error::other)
}

fn vscode_copilot_tree(
    p: &Params,
    home: &Path,
    projects: &[String],
    big: &str,
) -> std::io::Result<()> {
    let mut rng = Rng::new(p.seed.wrapping_add(10));
    let root = home.join(".config/Code/User/workspaceStorage");
    // One workspace folder per project, the big one last; VS Code names it by a hash.
    let mut folders = Vec::new();
    for project in projects.iter().map(String::as_str).chain([big]) {
        let dir = root.join(rng.hex(32));
        write_file(
            &dir.join("workspace.json"),
            &vscode_copilot::workspace_json(project),
            EPOCH_MS,
        )?;
        folders.push(dir.join("chatSessions"));
    }
    each_session(
        &mut rng,
        p.vscode_copilot,
        projects,
        big,
        p.big_mb,
        |rng, project, spec| {
            let folder = folders
                .get(project)
                .ok_or_else(|| std::io::Error::other("no workspace folder"))?;
            let session = vscode_copilot::session(
                rng,
                spec.cwd,
                spec.start_ms,
                spec.target_bytes,
                spec.max_output,
            );
            let file = folder.join(format!("{}.json", session.id));
            write_file(&file, &session.json, session.end_ms)
        },
    )
}
