//! `doctor ARCHIVE`: the findings, the repair and the measurement; exit status 0 when the
//! archive that ships (the repaired one, with `--fix`) has no problem, 6 when it has.

use std::process::ExitCode;

use anyhow::{Context, Result};
use zipimport_bench::doctor::{self, DoctorOptions};
use zipimport_bench::measure::StopFlag;
use zipimport_bench::run::doctor::doctor as examine;
use zipimport_bench::run::{RunOptions, RunPlan};

use crate::cli::{DoctorArgs, Format};

/// The exit status of a doctor that found a problem.
const FOUND_PROBLEMS: u8 = 6;

/// Diagnoses (and repairs, and measures) an archive.
pub fn doctor(args: DoctorArgs) -> Result<ExitCode> {
    let opts = DoctorOptions {
        archive: args.archive,
        pythons: args.pythons,
        fix: args.fix,
        compression: args.compression,
        measure: args.measure,
    };
    let template = RunOptions {
        plan: RunPlan::default(),
        out_dir: std::path::PathBuf::new(),
        resume: false,
        progress: !args.no_progress,
        stop: StopFlag::on_signals()?,
        worker_exe: std::env::current_exe().context("locating this executable")?,
        command_line: std::env::args().collect(),
    };
    let report = examine(&opts, &template)?;
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Format::Markdown => out!("{}", doctor::render_markdown(&report)),
        Format::Text => out!("{}", doctor::render_text(&report)),
    }
    Ok(if report.has_problems() {
        ExitCode::from(FOUND_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}
