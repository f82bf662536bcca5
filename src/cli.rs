//! The command-line parser. Only parsing lives here: every value arrives typed (modes,
//! metrics, shards, percentages as fractions), and `cmd/` turns the arguments into the
//! library's options.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use zipimport_bench::export::Format as ExportFormat;
use zipimport_bench::scenario::Mode;

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
    Run(RunArgs),
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
    Compare(CompareArgs),
    /// Render medians across many runs (nightly results files) as an HTML page.
    History {
        /// Results files, in any order (they are sorted by run start time).
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// The HTML page to write (default: history.html beside the first results file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Regression threshold in percent, as for `compare`.
        #[arg(long, default_value = "5", value_parser = percent)]
        threshold: f64,
        /// Judge regressions relative to each run's reference variant: the default, as
        /// for `compare`.
        #[arg(long, conflicts_with = "absolute")]
        relative: bool,
        /// Judge absolute times instead, as `compare --absolute`.
        #[arg(long)]
        absolute: bool,
    },
    /// Measure the regression gate on this machine: run a scenario N times, judge every
    /// pair of runs against each other (A/A: every flag is a false alarm) and inject
    /// known slowdowns into real samples to find what the gate detects.
    Calibrate(CalibrateArgs),
    /// Diagnose a user's archive (zipapp, bundle, wheel, egg): what makes its imports
    /// slower than they need to be, what it costs and the fix; repair it with --fix.
    Doctor(DoctorArgs),
    /// Write a results file in another tool's format: Bencher (bmf),
    /// github-action-benchmark, or pyperf.
    Export {
        /// A results.json written by `run`.
        results: PathBuf,
        /// bmf, github-action-benchmark or pyperf.
        #[arg(long, value_parser = export_format)]
        format: ExportFormat,
        /// The file to write (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
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

/// Output formats of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// An aligned table for terminals.
    Text,
    /// GitHub-flavoured Markdown for job summaries and pull-request comments.
    Markdown,
    /// JSON for tools.
    Json,
    /// A self-contained HTML page for pull-request review: the verdict, ratios with
    /// their intervals and both distributions, regressions first.
    Html,
}

/// What `--measure` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Metric {
    /// Wall time of the import section (always measured).
    Wall,
    /// Instructions of the import section, counted under callgrind.
    Instructions,
}

/// Whether `--measure` asks for instruction counts (`None` when not given).
pub fn counts_instructions(measure: Option<&[Metric]>) -> Option<bool> {
    measure.map(|m| m.contains(&Metric::Instructions))
}

/// `cold`, `warm`, `cold-disk`, `fleet` or `hot-update`.
fn mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text.trim())
}

/// A percentage (`5`, `2.5`, `5%`), or `off` (given as 0).
fn precision(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(0.0);
    }
    match t.trim_end_matches('%').trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "expected a percentage such as 10, or `off`, got `{text}`"
        )),
    }
}

/// `K/N` with 1 <= K <= N.
fn shard(text: &str) -> Result<(u32, u32), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!("expected K/N with 1 <= K <= N, got `{text}`")),
    }
}

/// CPUs per period for a CFS quota: the kernel takes 1 ms per 100 ms period at least.
fn cpu_quota(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(c) if c.is_finite() && (0.01..=1024.0).contains(&c) => Ok(c),
        _ => Err(format!(
            "must be a number of CPUs from 0.01 to 1024 (0.25: a quarter of one), got {text}"
        )),
    }
}

/// A percentage from 0 to 100, as a fraction.
fn percent(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..100.0).contains(&p) => Ok(p / 100.0),
        _ => Err(format!("must be a percentage from 0 to 100, got {text}")),
    }
}

/// Arguments of `run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files (TOML); scenarios/default.toml when none is given (with
    /// --resume, the interrupted run's files, named again).
    pub scenarios: Vec<PathBuf>,
    /// Directory for results.json, report.html, summary.md and journal.jsonl (and
    /// artifacts/ with --keep-artifacts).
    #[arg(long, default_value = "reports/latest")]
    pub out: PathBuf,
    /// Timed samples per case (overrides the scenarios; the most a case takes when a
    /// precision is set).
    #[arg(long)]
    pub samples: Option<u32>,
    /// Stop sampling a case once the 98% interval of its ratio to the reference is
    /// within +-PCT percent (wider for cases far from the reference: the reports give
    /// the 95% interval, narrower still); `off` takes every sample (overrides the
    /// scenarios).
    #[arg(long, value_name = "PCT|off", value_parser = precision)]
    pub precision: Option<f64>,
    /// Samples every case takes before a precision may stop it (overrides the
    /// scenarios; more than the samples a case may take is an error).
    #[arg(long, value_name = "N")]
    pub min_samples: Option<u32>,
    /// Discarded rounds before the timed ones (overrides the scenarios).
    #[arg(long)]
    pub warmup: Option<u32>,
    /// Modes to measure, comma-separated: cold, warm, cold-disk, fleet, hot-update
    /// (overrides the scenarios).
    #[arg(long, value_delimiter = ',', value_parser = mode)]
    pub modes: Option<Vec<Mode>>,
    /// Seconds a worker may take to start or to answer one request.
    #[arg(long)]
    pub timeout: Option<u32>,
    /// Metrics, comma-separated: wall, instructions (overrides the scenarios).
    #[arg(long, value_delimiter = ',')]
    pub measure: Option<Vec<Metric>>,
    /// Keep the generated artifacts in OUT/artifacts.
    #[arg(long)]
    pub keep_artifacts: bool,
    /// Trace every variant's profiled import, module by module and phase by phase:
    /// OUT/traces/<scenario>-<variant>.json (Trace Event Format: Perfetto UI,
    /// chrome://tracing, speedscope) and .importtime.txt (`-X importtime`'s format:
    /// tuna).
    #[arg(long)]
    pub trace: bool,
    /// Finish the interrupted run in OUT: name its scenario files and --python
    /// interpreters again (they must be the same, and the files unchanged); the
    /// other options come from its journal.
    #[arg(long)]
    pub resume: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print only the verdict and where the files are, not the tables of every case
    /// (the files hold everything either way).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also measure under this external CPython (3.9 or later), with bytecode it
    /// compiles; repeatable. Each scenario runs once more per interpreter, as
    /// `<scenario>-py<version>`.
    #[arg(long = "python", value_name = "PATH")]
    pub pythons: Vec<PathBuf>,
    /// Measure only shard K of N (1-based), a deterministic share of the cases;
    /// combine the shards' results with `merge`.
    #[arg(long, value_name = "K/N", value_parser = shard)]
    pub shard: Option<(u32, u32)>,
    /// Run every worker (interpreter start-up, timed imports and what it starts) under
    /// a CFS quota of CPUS per 100 ms period, as serverless functions and containers
    /// run: 0.25 for a quarter of one CPU. Needs cgroup v1's cpu controller, writable
    /// (root); refused otherwise.
    #[arg(long, value_name = "CPUS", value_parser = cpu_quota)]
    pub cpu_quota: Option<f64>,
    /// Also export the results, as FORMAT=FILE (bmf, github-action-benchmark or
    /// pyperf); repeatable.
    #[arg(long = "export", value_name = "FORMAT=FILE", value_parser = export_target)]
    pub exports: Vec<(ExportFormat, PathBuf)>,
}

/// Arguments of `compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The baseline results.json.
    pub baseline: PathBuf,
    /// The candidate results.json.
    pub candidate: PathBuf,
    /// Smallest change, in percent, that counts as a regression or improvement.
    #[arg(long, default_value = "5", value_parser = percent)]
    pub threshold: f64,
    /// Compare each case relative to its own run's reference variant, cancelling drift
    /// of the whole machine between the two runs: the default (kept for scripts that
    /// say so).
    #[arg(long, conflicts_with = "absolute")]
    pub relative: bool,
    /// Compare absolute times instead (Mann-Whitney on the raw samples): a machine
    /// that is slower on one run than the other flags every case; the output says how
    /// often identical runs false-alarm this way on this machine kind.
    #[arg(long)]
    pub absolute: bool,
    /// Smallest change of instruction counts, in percent, that counts.
    #[arg(long, default_value = "1", value_parser = percent)]
    pub instructions_threshold: f64,
    /// Exit with status 4 if any row regressed, or 5 if none did but some row could
    /// not be judged (missing, failed, changed scenario, another Python minor
    /// version, ...).
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
    /// Also write the HTML page (distributions side by side, ratios with their
    /// intervals, regressions first) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// Arguments of `calibrate`.
#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Scenario file (TOML).
    #[arg(default_value = "scenarios/quick.toml")]
    pub scenario: PathBuf,
    /// Runs to make (every pair of them is judged).
    #[arg(long, default_value_t = 10)]
    pub runs: u32,
    /// Timed samples per case (overrides the scenario).
    #[arg(long)]
    pub samples: Option<u32>,
    /// Metrics, comma-separated: wall, instructions (default: both, so that the gate's
    /// instruction-count rows are calibrated too).
    #[arg(long, value_delimiter = ',', default_value = "wall,instructions")]
    pub measure: Vec<Metric>,
    /// Directory for the runs, calibration.json and calibration.md.
    #[arg(long, default_value = "reports/calibrate")]
    pub out: PathBuf,
    /// Judge these existing results files instead of running (2 or more).
    #[arg(long = "results", value_name = "RESULTS.json", num_args = 1..)]
    pub results: Vec<PathBuf>,
    /// The gate's threshold in percent, as for `compare`.
    #[arg(long, default_value = "5", value_parser = percent)]
    pub threshold: f64,
    /// The gate's instruction-count threshold in percent, as for `compare`.
    #[arg(long, default_value = "1", value_parser = percent)]
    pub instructions_threshold: f64,
    /// Only compare the estimators of each case's ratio to its reference over the runs
    /// (spread and coverage), without judging pairs of runs.
    #[arg(long)]
    pub estimators: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `bmf`, `github-action-benchmark` or `pyperf`.
fn export_format(text: &str) -> Result<ExportFormat, String> {
    ExportFormat::parse(text.trim())
}

/// `FORMAT=FILE`.
fn export_target(text: &str) -> Result<(ExportFormat, PathBuf), String> {
    let (format, file) = text
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=FILE, got `{text}`"))?;
    if file.is_empty() {
        return Err(format!("expected FORMAT=FILE, got `{text}`"));
    }
    Ok((export_format(format)?, PathBuf::from(file)))
}

/// Arguments of `doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The archive (.pyz, .zip, .whl, .egg), a shebang or other prefix allowed.
    pub archive: PathBuf,
    /// A target CPython (repeatable; default: the embedded interpreter's). The first
    /// compiles the repaired archive's bytecode.
    #[arg(long = "python", value_name = "PATH")]
    pub pythons: Vec<PathBuf>,
    /// Write the repaired archive here: bytecode where zipimport reads it, hash-based,
    /// `__pycache__` dropped, everything else kept.
    #[arg(long, value_name = "OUT")]
    pub fix: Option<PathBuf>,
    /// Compression of the repaired archive.
    #[arg(long, default_value = "stored", value_parser = ["stored", "deflate"])]
    pub compression: String,
    /// Measure the archive as shipped against its repair and a directory, in one
    /// interleaved cold run: each case until its ratio to the directory is known to
    /// within ±5% (wider far from 1), at most this many samples (below 8, exactly this
    /// many).
    #[arg(long, value_name = "SAMPLES", num_args = 0..=1, default_missing_value = "40")]
    pub measure: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Do not draw a progress bar while measuring.
    #[arg(long)]
    pub no_progress: bool,
}
