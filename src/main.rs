//! `zipimport-bench`: parse the command line, dispatch to the subcommand, report errors
//! and set the exit status (see README.md for every status).

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                // A value the harness cannot use (an unknown mode, a shard 3/2, a
                // threshold of 150%) is bad input, like a bad scenario file.
                ErrorKind::InvalidValue | ErrorKind::ValueValidation => 1,
                _ => 2,
            });
        }
    };
    let result = match cli.command {
        cli::Command::Run(args) => cmd::run::run(args),
        cli::Command::Merge { results, out } => cmd::merge::merge(&results, &out),
        cli::Command::Generate { scenario, out } => cmd::generate(&scenario, &out),
        cli::Command::Report {
            results,
            out,
            markdown,
        } => cmd::report(&results, out, markdown),
        cli::Command::Compare(args) => cmd::compare::compare(args),
        cli::Command::Calibrate(args) => cmd::calibrate::calibrate(args),
        cli::Command::Doctor(args) => cmd::doctor::doctor(args),
        cli::Command::History {
            results,
            out,
            threshold,
            absolute,
            ..
        } => cmd::history(&results, out, threshold, !absolute),
        cli::Command::Export {
            results,
            format,
            out,
        } => cmd::export(&results, format, out.as_deref()),
        cli::Command::Worker { job } => cmd::worker(&job),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            zipimport_bench::note!("Error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
