//! `zipimport-bench`: parse the command line, call the library, report errors.

mod cli;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use zipimport_bench::scenario::Mode;
use zipimport_bench::{compare, report, run};

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
            measure,
            keep_artifacts,
            resume,
            no_progress,
            pythons,
            shard,
        } => {
            let shard = shard.as_deref().map(parse_shard).transpose()?;
            let modes = modes
                .map(|m| {
                    m.iter()
                        .map(|s| Mode::parse(s.trim()))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(|e| anyhow::anyhow!("--modes: {e}"))?;
            let instructions = parse_measure(measure)?;
            let opts = run::RunOptions {
                instructions,
                scenarios,
                out_dir: out,
                samples,
                warmup,
                modes,
                timeout_secs: timeout,
                keep_artifacts,
                resume,
                progress: !no_progress,
                stop: zipimport_bench::measure::StopFlag::on_signals()?,
                worker_exe: std::env::current_exe().context("locating this executable")?,
                command_line: std::env::args().collect(),
                pythons,
                shard,
            };
            let output = run::run(&opts)?;
            print!("{}", report::summary_table(&output.results));
            let dir = output
                .results_path
                .parent()
                .unwrap_or(std::path::Path::new("."));
            println!("\nresults: {}", output.results_path.display());
            println!("report:  {}", dir.join("report.html").display());
            println!("summary: {}", dir.join("summary.md").display());
            if output.interrupted {
                eprintln!(
                    "stopped early: {} holds every sample taken so far; finish with \
                     `zipimport-bench run --resume --out {}`",
                    output.results_path.display(),
                    dir.display()
                );
                return Ok(ExitCode::from(130));
            }
            if output.failed_cases > 0 {
                eprintln!(
                    "{} case(s) failed; see their errors above",
                    output.failed_cases
                );
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Merge { results, out } => {
            let mut inputs = Vec::new();
            for path in results {
                let r = zipimport_bench::results::read(&path)?;
                inputs.push((path, r));
            }
            let (merged, warnings) = zipimport_bench::results::merge(&inputs)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            zipimport_bench::results::write(&merged, &out)?;
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = dir.unwrap_or(std::path::Path::new("."));
            report::write_reports(&merged, dir)?;
            print!("{}", report::summary_table(&merged));
            println!(
                "\nmerged {} files, {} cases: {}",
                inputs.len(),
                merged.cases.len(),
                out.display()
            );
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
        cli::Command::Report {
            results,
            out,
            markdown,
        } => {
            let r = zipimport_bench::results::read(&results)?;
            let out = out.unwrap_or_else(|| results.with_file_name("report.html"));
            report::write_atomic(&out, &report::report_html(&r)?)?;
            println!("report: {}", out.display());
            if let Some(md) = markdown {
                report::write_atomic(&md, &report::summary_markdown(&r))?;
                println!("summary: {}", md.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Compare {
            baseline,
            candidate,
            threshold,
            relative,
            instructions_threshold,
            fail_on_regression,
            format,
        } => {
            let mut opts = compare_options(threshold)?;
            opts.instructions_threshold =
                fraction("--instructions-threshold", instructions_threshold)?;
            opts.relative = relative;
            let b = zipimport_bench::results::read(&baseline)?;
            let c = zipimport_bench::results::read(&candidate)?;
            let cmp = compare::compare(
                &baseline.display().to_string(),
                &b,
                &candidate.display().to_string(),
                &c,
                opts,
            );
            let text = match format {
                cli::Format::Text => compare::render_text(&cmp),
                cli::Format::Markdown => compare::render_markdown(&cmp),
                cli::Format::Json => compare::render_json(&cmp),
            };
            println!("{}", text.trim_end());
            if fail_on_regression && cmp.regressions > 0 {
                eprintln!("{} regression(s) found", cmp.regressions);
                return Ok(ExitCode::from(4));
            }
            if fail_on_regression && cmp.unjudged > 0 {
                eprintln!(
                    "{} row(s) could not be judged (see `cannot judge` above): the gate \
                     cannot vouch for them",
                    cmp.unjudged
                );
                return Ok(ExitCode::from(5));
            }
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::History {
            results,
            out,
            threshold,
            relative,
        } => {
            let mut opts = compare_options(threshold)?;
            opts.relative = relative;
            let mut runs = Vec::new();
            for path in &results {
                runs.push((
                    path.display().to_string(),
                    zipimport_bench::results::read(path)?,
                ));
            }
            report::write_atomic(&out, &report::history_html(runs, opts)?)?;
            println!("history of {} runs: {}", results.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Calibrate {
            scenario,
            runs,
            samples,
            measure,
            out,
            results,
            threshold,
            instructions_threshold,
            no_progress,
        } => {
            let mut opts = compare_options(threshold)?;
            opts.instructions_threshold =
                fraction("--instructions-threshold", instructions_threshold)?;
            if results.is_empty() && runs < 2 {
                anyhow::bail!("--runs: calibration needs at least 2 runs to pair, got {runs}");
            }
            let template = run::RunOptions {
                instructions: parse_measure(measure)?,
                scenarios: vec![scenario],
                out_dir: out.clone(),
                samples,
                warmup: None,
                modes: None,
                timeout_secs: None,
                keep_artifacts: false,
                resume: false,
                progress: !no_progress,
                stop: zipimport_bench::measure::StopFlag::on_signals()?,
                worker_exe: std::env::current_exe().context("locating this executable")?,
                command_line: std::env::args().collect(),
                pythons: Vec::new(),
                shard: None,
            };
            let cal = zipimport_bench::calibrate::command(&template, runs, &results, opts)?;
            print!("{}", zipimport_bench::calibrate::render_text(&cal));
            println!(
                "\ncalibration: {}\n             {}",
                out.join("calibration.json").display(),
                out.join("calibration.md").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        cli::Command::Worker { job } => {
            zipimport_bench::measure::worker::run(&job)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--measure wall,instructions`: whether to count instructions (`None` when not given).
fn parse_measure(measure: Option<Vec<String>>) -> Result<Option<bool>> {
    let Some(names) = measure else {
        return Ok(None);
    };
    let names: Vec<&str> = names.iter().map(|s| s.trim()).collect();
    if let Some(bad) = names.iter().find(|n| !["wall", "instructions"].contains(n)) {
        anyhow::bail!("--measure: unknown metric `{bad}`; expected wall or instructions");
    }
    Ok(Some(names.contains(&"instructions")))
}

fn compare_options(threshold_pct: f64) -> Result<compare::CompareOptions> {
    Ok(compare::CompareOptions {
        threshold: fraction("--threshold", threshold_pct)?,
        ..compare::CompareOptions::default()
    })
}

/// A percentage flag as a fraction, refusing values outside 0 to 100.
fn fraction(flag: &str, pct: f64) -> Result<f64> {
    if !(pct.is_finite() && (0.0..100.0).contains(&pct)) {
        anyhow::bail!("{flag}: must be a percentage from 0 to 100, got {pct}");
    }
    Ok(pct / 100.0)
}

/// `K/N` with 1 <= K <= N.
fn parse_shard(text: &str) -> anyhow::Result<(u32, u32)> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => anyhow::bail!("--shard: expected K/N with 1 <= K <= N, got `{text}`"),
    }
}
