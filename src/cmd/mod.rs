//! One function per subcommand (rebar's `cmd/`): each turns its typed arguments into the
//! library's options, calls it, prints what a person reads and returns the exit status.
//! The larger commands have files of their own.

pub mod calibrate;
pub mod compare;
pub mod merge;
pub mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use zipimport_bench::compare::CompareOptions;
use zipimport_bench::{report, results};

/// `generate SCENARIO --out DIR`.
pub fn generate(scenario: &Path, out: &Path) -> Result<ExitCode> {
    let manifest = zipimport_bench::run::generate_command(scenario, out)?;
    println!(
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
    report::write_atomic(&out, &report::report_html(&r)?)?;
    println!("report: {}", out.display());
    if let Some(md) = markdown {
        report::write_atomic(&md, &report::summary_markdown(&r))?;
        println!("summary: {}", md.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `history RESULTS ... [--out FILE] [--threshold PCT] [--relative]`.
pub fn history(files: &[PathBuf], out: &Path, threshold: f64, relative: bool) -> Result<ExitCode> {
    let opts = CompareOptions {
        threshold,
        relative,
        ..CompareOptions::default()
    };
    let mut runs = Vec::new();
    for path in files {
        runs.push((path.display().to_string(), results::read(path)?));
    }
    report::write_atomic(out, &report::history_html(runs, opts)?)?;
    println!("history of {} runs: {}", files.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

/// `__worker JOB`: a measurement worker started by `run`.
pub fn worker(job: &Path) -> Result<ExitCode> {
    zipimport_bench::measure::worker::run(job)?;
    Ok(ExitCode::SUCCESS)
}
