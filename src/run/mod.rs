//! The `run` and `generate` commands: the pipeline from scenario files to artifacts to
//! measurements to a results file, journaled so a stopped run can be resumed. Takes
//! typed options; knows nothing of the CLI. A run reads as its stages: [`plan`] (what to
//! measure), [`build`] (artifacts), [`instance`] (measure each scenario instance), then
//! the results assembled and written.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

mod build;
pub mod doctor;
mod generate;
mod instance;
mod plan;

pub use crate::results::journal::RunPlan;
pub use build::{Built, build_artifacts, build_instance, tree_roots};
pub use generate::{Manifest, ManifestVariant, generate_command};
pub use plan::resume_command;

use anyhow::{Context, Result};

use crate::measure::StopFlag;
use crate::results::journal::{Entry, JOURNAL_VERSION, Journal};
use crate::results::{self, Results, RunMetadata, SCHEMA_VERSION};
use crate::status::Status;

/// Options of `zipimport-bench run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenario files and the options the journal records (ignored with `resume`: the
    /// journal says).
    pub plan: RunPlan,
    /// Directory for `results.json`, the reports and the journal (and `artifacts/`
    /// with `plan.keep_artifacts`).
    pub out_dir: PathBuf,
    /// Finish the interrupted run recorded in `out_dir/journal.jsonl`.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// The binary whose `__worker` subcommand runs samples.
    pub worker_exe: PathBuf,
    /// Arguments to record in the metadata.
    pub command_line: Vec<String>,
    /// Raised to stop the run early (Ctrl-C, SIGTERM).
    pub stop: StopFlag,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// Everything measured.
    pub results: Results,
    /// Where the results were written.
    pub results_path: PathBuf,
    /// Records (cases, fleet configurations, hot-update cases) whose status is `error`.
    pub failed_cases: usize,
    /// Whether the run was stopped before it finished (`--resume` completes it).
    pub interrupted: bool,
    /// Every output of the results, rendered from one analysis: the terminal's tables
    /// and verdict beside the reports written.
    pub rendered: crate::report::Rendered,
}

/// The journal's file name in the output directory.
pub const JOURNAL: &str = "journal.jsonl";

/// Runs every scenario and writes `out_dir/results.json`, the reports and the journal.
/// Stopped early, it still writes valid results with every sample taken so far.
pub fn run(opts: &RunOptions) -> Result<RunOutput> {
    let started = SystemTime::now();
    let clock = Instant::now();
    // Held until the results and reports are written: one run per folder. A resumed
    // run takes it before reading the journal; a new one once its scenarios are valid,
    // so bad input creates no folder.
    let early = if opts.resume && opts.out_dir.is_dir() {
        Some(crate::lock::lock_out_dir_noted(&opts.out_dir, "run")?)
    } else {
        None
    };
    let (opts, recovered) = plan::recover(opts)?;
    let planned = plan::plan(&opts, recovered.as_ref())?;
    // Made before anything is written: a quota the machine cannot give refuses the run.
    let quota = opts
        .plan
        .cpu_quota
        .map(|cpus| crate::measure::QuotaGroup::create(cpus).map(std::sync::Arc::new))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--cpu-quota: {e}"))?;
    let _lock = match early {
        Some(lock) => lock,
        None => crate::lock::lock_out_dir_noted(&opts.out_dir, "run")?,
    };

    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("creating {}", opts.out_dir.display()))?;
    let journal_path = opts.out_dir.join(JOURNAL);
    let mut journal = match &recovered {
        Some(_) => Journal::reopen(&journal_path)?,
        None => Journal::create(
            &journal_path,
            &Entry::Header {
                version: JOURNAL_VERSION,
                plan: opts.plan.clone(),
            },
        )?,
    };
    let work = WorkRoot::new(&opts)?;

    let ctx = instance::RunContext {
        opts: &opts,
        recovered: recovered.as_ref(),
        work_root: work.path(),
        python: &planned.python,
        quota: quota.as_ref(),
    };
    let mut measured = Vec::new();
    let mut interrupted = false;
    let mut sharder = plan::Sharder::new(opts.plan.shard);
    for (s, external) in &planned.instances {
        if opts.stop.is_raised() {
            interrupted = true;
            break;
        }
        let Some(s) = sharder.take(s) else { continue };
        let m = instance::measure_instance(&ctx, &mut journal, &s, external.as_ref())?;
        interrupted |= m.interrupted;
        measured.push(m);
        if interrupted {
            break;
        }
    }

    let mut results = assemble(&opts, measured, planned.python, started, clock, interrupted);
    results.metadata.cpu_quota = quota.as_ref().map(|q| q.info());
    // Every record that failed counts, fleet configurations and hot updates included.
    let failed_cases = results
        .cases
        .iter()
        .filter(|c| c.status == Status::Error)
        .count()
        + results
            .fleet
            .iter()
            .filter(|c| c.outcome.status == Status::Error)
            .count()
        + results
            .hot_updates
            .iter()
            .filter(|c| c.outcome.status == Status::Error)
            .count();
    let results_path = opts.out_dir.join("results.json");
    results::write(&results, &results_path)?;
    let rendered = crate::report::write_reports(&results, &opts.out_dir)?;
    let traces = crate::export::traces::write_traces(&results, &opts.out_dir)?;
    if let Some(first) = traces.first() {
        crate::note!(
            "traces: {} files in {} (Trace Event JSON for Perfetto UI, chrome://tracing or \
             speedscope; .importtime.txt for tuna)",
            traces.len(),
            first
                .parent()
                .map_or(String::new(), |p| p.display().to_string())
        );
    }
    if !interrupted {
        journal.append(&Entry::End)?;
    }
    Ok(RunOutput {
        results,
        results_path,
        failed_cases,
        interrupted,
        rendered,
    })
}

/// The last stage: every instance's records and the run's metadata in one results file.
fn assemble(
    opts: &RunOptions,
    measured: Vec<instance::Measured>,
    python: crate::python::PythonInfo,
    started: SystemTime,
    clock: Instant,
    interrupted: bool,
) -> Results {
    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        metadata: RunMetadata {
            started_at: humantime::format_rfc3339_seconds(started).to_string(),
            finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            duration_s: clock.elapsed().as_secs_f64(),
            harness: results::harness(),
            host: results::host(),
            python,
            command_line: opts.command_line.clone(),
            complete: !interrupted,
            shards: Vec::new(),
            cpu_quota: None,
        },
        scenarios: Vec::new(),
        cases: Vec::new(),
        fleet: Vec::new(),
        hot_updates: Vec::new(),
    };
    for m in measured {
        results.scenarios.push(m.info);
        results.cases.extend(m.cases);
        results.fleet.extend(m.fleet);
        results.hot_updates.extend(m.hot_updates);
    }
    results
}

/// Where artifacts are built: `OUT/artifacts` (kept), or a temporary directory removed
/// when the run ends.
enum WorkRoot {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl WorkRoot {
    fn new(opts: &RunOptions) -> Result<Self> {
        if opts.plan.keep_artifacts {
            let dir = opts.out_dir.join("artifacts");
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("clearing {}", dir.display()))?;
            }
            return Ok(WorkRoot::Kept(dir));
        }
        let temp = tempfile::Builder::new()
            .prefix("zipimport-bench-")
            .tempdir()
            .context("creating a temporary directory for artifacts")?;
        Ok(WorkRoot::Temporary(temp))
    }

    fn path(&self) -> &Path {
        match self {
            WorkRoot::Kept(p) => p,
            WorkRoot::Temporary(t) => t.path(),
        }
    }
}
