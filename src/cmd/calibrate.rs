//! `calibrate [SCENARIO]`: run a scenario N times (or read existing results), measure
//! the gate's false-alarm rate and power, print them and write calibration.json and
//! calibration.md.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use zipimport_bench::calibrate;
use zipimport_bench::compare::CompareOptions;
use zipimport_bench::measure::StopFlag;
use zipimport_bench::run::{RunOptions, RunPlan};
use zipimport_bench::scenario::Overrides;

use crate::cli::{CalibrateArgs, counts_instructions};

/// Calibrates the gate on this machine.
pub fn calibrate(args: CalibrateArgs) -> Result<ExitCode> {
    if args.results.is_empty() && args.runs < 2 {
        bail!(
            "--runs: calibration needs at least 2 runs to pair, got {}",
            args.runs
        );
    }
    if args.estimators {
        if args.results.len() < 3 {
            bail!(
                "--estimators: give at least 3 results files with --results, got {}",
                args.results.len()
            );
        }
        let mut loaded = Vec::new();
        for p in &args.results {
            loaded.push((p.display().to_string(), zipimport_bench::results::read(p)?));
        }
        out!(
            "{}",
            calibrate::render_estimators(&calibrate::compare_estimators(&loaded))
        );
        return Ok(ExitCode::SUCCESS);
    }
    let opts = CompareOptions {
        threshold: args.threshold,
        instructions_threshold: args.instructions_threshold,
        ..CompareOptions::default()
    };
    let template = RunOptions {
        plan: RunPlan {
            scenarios: vec![args.scenario],
            overrides: Overrides {
                samples: args.samples,
                instructions: counts_instructions(Some(&args.measure)),
                ..Overrides::default()
            },
            ..RunPlan::default()
        },
        out_dir: args.out.clone(),
        resume: false,
        progress: !args.no_progress,
        stop: StopFlag::on_signals()?,
        worker_exe: std::env::current_exe().context("locating this executable")?,
        command_line: std::env::args().collect(),
    };
    let cal = calibrate::command(&template, args.runs, &args.results, opts)?;
    out!("{}", calibrate::render_text(&cal));
    outln!(
        "\ncalibration: {}\n             {}",
        args.out.join("calibration.json").display(),
        args.out.join("calibration.md").display()
    );
    Ok(ExitCode::SUCCESS)
}
