//! `run [SCENARIO ...]`: generate, package and measure; print the summary table and
//! where the results and reports are.

use std::process::ExitCode;

use anyhow::{Context, Result};
use zipimport_bench::measure::StopFlag;
use zipimport_bench::report;
use zipimport_bench::run::{self, RunOptions, RunPlan};
use zipimport_bench::scenario::Overrides;

use crate::cli::{RunArgs, counts_instructions};

/// Runs the scenarios; exit 3 when a record failed, 130 when stopped early.
pub fn run(args: RunArgs) -> Result<ExitCode> {
    let opts = RunOptions {
        plan: RunPlan {
            scenarios: if args.scenarios.is_empty() && !args.resume {
                vec!["scenarios/default.toml".into()]
            } else {
                args.scenarios
            },
            overrides: Overrides {
                samples: args.samples,
                precision: args.precision,
                min_samples: args.min_samples,
                warmup: args.warmup,
                modes: args.modes,
                timeout_secs: args.timeout,
                instructions: counts_instructions(args.measure.as_deref()),
            },
            keep_artifacts: args.keep_artifacts,
            pythons: args.pythons,
            shard: args.shard,
            trace: args.trace,
            cpu_quota: args.cpu_quota,
        },
        out_dir: args.out,
        resume: args.resume,
        progress: !args.no_progress,
        stop: StopFlag::on_signals()?,
        worker_exe: std::env::current_exe().context("locating this executable")?,
        command_line: std::env::args().collect(),
    };
    let exports = args.exports;
    let quiet = args.quiet;
    let output = run::run(&opts)?;
    for (format, path) in &exports {
        let text = zipimport_bench::export::export(&output.results, *format)?;
        report::write_atomic(path, &text)?;
    }
    if !quiet {
        out!("{}", output.rendered.tables);
    }
    out!("{}", output.rendered.verdict);
    let dir = output
        .results_path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    outln!("\nresults: {}", output.results_path.display());
    outln!("report:  {}", dir.join("report.html").display());
    outln!("summary: {}", dir.join("summary.md").display());
    for (_, path) in &exports {
        outln!("export:  {}", path.display());
    }
    if output.interrupted {
        zipimport_bench::note!(
            "stopped early: {} holds every sample taken so far; finish with `{}`",
            output.results_path.display(),
            run::resume_command(&opts.plan, dir)
        );
        return Ok(ExitCode::from(130));
    }
    if output.failed_cases > 0 {
        zipimport_bench::note!(
            "{} case(s) failed; see their errors above",
            output.failed_cases
        );
        return Ok(ExitCode::from(3));
    }
    Ok(ExitCode::SUCCESS)
}
