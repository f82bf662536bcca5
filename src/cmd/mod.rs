//! One function per subcommand (rebar's `cmd/`): each turns its typed arguments into the
//! library's options, calls it, prints what a person reads and returns the exit status.
//! The larger commands have files of their own.

/// `print!` to standard output through [`show`]: quiet when the reader has gone away.
macro_rules! out {
    ($($t:tt)*) => { $crate::cmd::show(&format!($($t)*)) };
}

/// `println!` through [`show`].
macro_rules! outln {
    ($($t:tt)*) => { $crate::cmd::show_line(&format!($($t)*)) };
}

pub mod calibrate;
pub mod compare;
pub mod doctor;
pub mod merge;
pub mod run;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use zipimport_bench::compare::CompareOptions;
use zipimport_bench::{report, results};

/// Writes to standard output, through [`zipimport_bench::format::for_terminal`] (no
/// control character or CI workflow command from an input file reaches the reader's
/// terminal or log as such; JSON, whose strings are escaped, passes unchanged). When the reader has gone away (`compare ... | head`),
/// the rest is dropped quietly: the command still finishes its work and exits with its
/// own status, with no panic and no message.
pub fn show(text: &str) {
    let mut out = std::io::stdout().lock();
    let text = zipimport_bench::format::for_terminal(text);
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// [`show`] with a newline.
pub fn show_line(text: &str) {
    show(&format!("{text}\n"));
}

/// `generate SCENARIO --out DIR`.
pub fn generate(scenario: &Path, out: &Path) -> Result<ExitCode> {
    let manifest = zipimport_bench::run::generate_command(scenario, out)?;
    outln!(
        "{}: {} variants in {}",
        manifest.scenario,
        manifest.variants.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `report RESULTS [--out FILE] [--markdown FILE]`.
pub fn report(results: &Path, out: Option<PathBuf>, markdown: Option<PathBuf>) -> Result<ExitCode> {
    let r = results::read(results)?;
    let out = out.unwrap_or_else(|| results.with_file_name("report.html"));
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
    let _lock = zipimport_bench::lock::lock_out_dir_noted(dir.unwrap_or(Path::new(".")), "report")?;
    let rendered = report::render(&r)?;
    report::write_atomic(&out, &rendered.html)?;
    outln!("report: {}", out.display());
    if let Some(md) = markdown {
        report::write_atomic(&md, &rendered.markdown)?;
        outln!("summary: {}", md.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `history RESULTS ... [--out FILE] [--threshold PCT] [--relative]`: refuses the same
/// run given twice; warns when the runs measured different scenarios, or one scenario
/// from a changed file.
pub fn history(
    files: &[PathBuf],
    out: Option<PathBuf>,
    threshold: f64,
    relative: bool,
) -> Result<ExitCode> {
    let opts = CompareOptions {
        threshold,
        relative,
        ..CompareOptions::default()
    };
    let mut runs: Vec<(String, results::Results)> = Vec::new();
    for path in files {
        let r = results::read(path)?;
        let identity = |x: &results::Results| {
            let m = &x.metadata;
            (
                m.started_at.clone(),
                m.host.hostname.clone(),
                m.command_line.clone(),
            )
        };
        if let Some((other, _)) = runs.iter().find(|(_, x)| identity(x) == identity(&r)) {
            anyhow::bail!(
                "{} and {other} are the same run (started {} on {}): give each run once",
                path.display(),
                r.metadata.started_at,
                r.metadata.host.hostname
            );
        }
        runs.push((path.display().to_string(), r));
    }
    for w in report::history_warnings(&runs) {
        zipimport_bench::note!("warning: {w}");
    }
    let out = out.unwrap_or_else(|| {
        files[0]
            .parent()
            .unwrap_or(Path::new("."))
            .join("history.html")
    });
    report::write_atomic(&out, &report::history_html(runs, opts)?)?;
    outln!("history of {} runs: {}", files.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// `export RESULTS --format FORMAT [--out FILE]`.
pub fn export(
    results: &Path,
    format: zipimport_bench::export::Format,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let r = results::read(results)?;
    let text = zipimport_bench::export::export(&r, format)?;
    match out {
        Some(path) => {
            report::write_atomic(path, &text)?;
            outln!("exported: {}", path.display());
        }
        None => outln!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `__worker JOB`: a measurement worker started by `run`.
pub fn worker(job: &Path) -> Result<ExitCode> {
    zipimport_bench::measure::worker::run(job)?;
    // Every reply is written and flushed, and the interpreter is never finalised: end
    // the process at once rather than unwinding the runtime around a live interpreter
    // (1-1.5 ms of every cold sample's overhead).
    let _ = std::io::stdout().flush();
    // SAFETY: `_exit` ends the process without running destructors or atexit handlers;
    // nothing of this process is left to write (replies are flushed above, the journal
    // belongs to the parent).
    unsafe { libc::_exit(0) }
}
