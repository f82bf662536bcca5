//! `zipimport-bench`: parse the command line, call the library, report errors.

mod cli;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use zipimport_bench::scenario::Mode;
use zipimport_bench::{report, run};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: cli::Command) -> Result<ExitCode> {
    match command {
        cli::Command::Run {
            scenarios,
            out,
            samples,
            warmup,
            modes,
            timeout,
            keep_artifacts,
            no_progress,
        } => {
            let modes = modes
                .map(|m| {
                    m.iter()
                        .map(|s| Mode::parse(s.trim()))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(|e| anyhow::anyhow!("--modes: {e}"))?;
            let opts = run::RunOptions {
                scenarios,
                out_dir: out,
                samples,
                warmup,
                modes,
                timeout_secs: timeout,
                keep_artifacts,
                progress: !no_progress,
                worker_exe: std::env::current_exe().context("locating this executable")?,
                command_line: std::env::args().collect(),
            };
            let output = run::run(&opts)?;
            print!("{}", report::summary_table(&output.results));
            println!("\nresults: {}", output.results_path.display());
            if output.failed_cases > 0 {
                eprintln!(
                    "{} case(s) failed; see their errors above",
                    output.failed_cases
                );
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Generate { scenario, out } => {
            let manifest = run::generate_command(&scenario, &out)?;
            println!(
                "{}: {} variants in {}",
                manifest.scenario,
                manifest.variants.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Worker { job } => {
            zipimport_bench::measure::worker::run(&job)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
