//! The command-line parser. Only parsing lives here; `main.rs` turns the parsed
//! arguments into typed options for the library.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Measure what it costs to import Python code from a zip archive instead of a
/// directory tree.
#[derive(Debug, Parser)]
#[command(name = "zipimport-bench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate, package and measure scenarios; write results.json and print a summary.
    Run {
        /// Scenario files (TOML).
        #[arg(default_value = "scenarios/default.toml")]
        scenarios: Vec<PathBuf>,
        /// Directory for results.json.
        #[arg(long, default_value = "reports/latest")]
        out: PathBuf,
        /// Timed samples per case (overrides the scenarios).
        #[arg(long)]
        samples: Option<u32>,
        /// Discarded rounds before the timed ones (overrides the scenarios).
        #[arg(long)]
        warmup: Option<u32>,
        /// Modes to measure, comma-separated: cold, warm (overrides the scenarios).
        #[arg(long, value_delimiter = ',')]
        modes: Option<Vec<String>>,
        /// Seconds a worker may take to start or to answer one request.
        #[arg(long)]
        timeout: Option<u32>,
        /// Metrics, comma-separated: wall, instructions (overrides the scenarios).
        #[arg(long, value_delimiter = ',')]
        measure: Option<Vec<String>>,
        /// Keep the generated artifacts in OUT/artifacts.
        #[arg(long)]
        keep_artifacts: bool,
        /// Finish the interrupted run in OUT (its journal says which scenarios and
        /// options; they must be unchanged).
        #[arg(long)]
        resume: bool,
        /// Do not draw a progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Also measure under this external CPython (3.9 or later), with bytecode it
        /// compiles; repeatable. Each scenario runs once more per interpreter, as
        /// `<scenario>-py<version>`.
        #[arg(long = "python", value_name = "PATH")]
        pythons: Vec<PathBuf>,
        /// Measure only shard K of N (1-based), a deterministic share of the cases;
        /// combine the shards' results with `merge`.
        #[arg(long, value_name = "K/N")]
        shard: Option<String>,
    },
    /// Combine the results of `run --shard K/N` runs into one results file.
    Merge {
        /// The shards' results.json files.
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// The merged results file to write (reports are written beside it).
        #[arg(long)]
        out: PathBuf,
    },
    /// Materialise every variant of a scenario without measuring; write manifest.json.
    Generate {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Directory to write the artifacts and manifest.json into.
        #[arg(long)]
        out: PathBuf,
    },
    /// Render report.html (and optionally summary.md) from a results file.
    Report {
        /// A results.json written by `run`.
        results: PathBuf,
        /// The HTML page to write (default: report.html beside the results).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the Markdown summary here.
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
    /// Compare a candidate results file against a baseline, case by case.
    Compare {
        /// The baseline results.json.
        baseline: PathBuf,
        /// The candidate results.json.
        candidate: PathBuf,
        /// Smallest change, in percent, that counts as a regression or improvement.
        #[arg(long, default_value_t = 5.0)]
        threshold: f64,
        /// Compare each case relative to its own run's reference variant, cancelling
        /// drift of the whole machine between the two runs.
        #[arg(long)]
        relative: bool,
        /// Smallest change of instruction counts, in percent, that counts.
        #[arg(long, default_value_t = 1.0)]
        instructions_threshold: f64,
        /// Exit with status 4 if any row regressed, or 5 if none did but some row could
        /// not be judged (missing, failed, changed scenario, another Python minor
        /// version, ...).
        #[arg(long)]
        fail_on_regression: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Render medians across many runs (nightly results files) as an HTML page.
    History {
        /// Results files, in any order (they are sorted by run start time).
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// The HTML page to write.
        #[arg(long, default_value = "history.html")]
        out: PathBuf,
        /// Regression threshold in percent, as for `compare`.
        #[arg(long, default_value_t = 5.0)]
        threshold: f64,
        /// Judge regressions relative to each run's reference variant, as for `compare`.
        #[arg(long)]
        relative: bool,
    },
    /// Measure the regression gate on this machine: run a scenario N times, judge every
    /// pair of runs against each other (A/A: every flag is a false alarm) and inject
    /// known slowdowns into real samples to find what the gate detects.
    Calibrate {
        /// Scenario file (TOML).
        #[arg(default_value = "scenarios/quick.toml")]
        scenario: PathBuf,
        /// Runs to make (every pair of them is judged).
        #[arg(long, default_value_t = 10)]
        runs: u32,
        /// Timed samples per case (overrides the scenario).
        #[arg(long)]
        samples: Option<u32>,
        /// Metrics, comma-separated: wall, instructions (overrides the scenario).
        #[arg(long, value_delimiter = ',')]
        measure: Option<Vec<String>>,
        /// Directory for the runs, calibration.json and calibration.md.
        #[arg(long, default_value = "reports/calibrate")]
        out: PathBuf,
        /// Judge these existing results files instead of running (2 or more).
        #[arg(long = "results", value_name = "RESULTS.json", num_args = 1..)]
        results: Vec<PathBuf>,
        /// The gate's threshold in percent, as for `compare`.
        #[arg(long, default_value_t = 5.0)]
        threshold: f64,
        /// The gate's instruction-count threshold in percent, as for `compare`.
        #[arg(long, default_value_t = 1.0)]
        instructions_threshold: f64,
        /// Do not draw a progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Internal: a measurement worker (started by `run`).
    #[command(name = "__worker", hide = true)]
    Worker {
        /// Job file written by the parent.
        job: PathBuf,
    },
}

/// Output formats of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for terminals.
    Text,
    /// GitHub-flavoured Markdown for job summaries and pull-request comments.
    Markdown,
    /// JSON for tools.
    Json,
}
