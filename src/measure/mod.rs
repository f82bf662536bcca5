//! Measurement: probe every artifact once, then take interleaved cold and warm samples
//! of every case through worker processes running the embedded interpreter.
//!
//! - A **probe** worker per variant imports the workload twice with audit-hook counters
//!   installed (compiles, unmarshals, opens) and checks that every module came
//!   from the artifact. Its counts show whether bytecode was really used. A variant
//!   whose import raises stops here: `unsupported` when zipimport cannot read its
//!   compression method, `error` otherwise. Probes never contribute timed samples.
//! - **cold** samples start a fresh worker per sample; **warm** samples re-import in one
//!   long-lived worker per case. See METHODOLOGY.md.

mod callgrind;
mod evict;
mod inprocess;
mod process;
mod protocol;
mod sampler;
mod schedule;
mod stop;
pub mod worker;

pub use callgrind::{Callgrind, InstructionCounts, detect as detect_callgrind};
pub use evict::{artifact_files, evict, residency};
pub use inprocess::InProcess;
pub use process::{WorkerCommand, WorkerError};
pub use protocol::Job;
pub use sampler::{ColdDiskSampler, ColdSampler, Outcome, SampleValue, Sampler, WarmSampler};
pub use schedule::{CaseRun, Taken, interleave};
pub use stop::StopFlag;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::package::Artifact;
use crate::scenario::{Layout, Mode, Variant};
use process::WorkerProcess;
use protocol::Reply;

/// What the probe's two imports showed. Counters: `compiles` (source compilations),
/// `unmarshals` (`marshal.loads` calls), `opens` (files opened), `modules` (tree
/// modules loaded), `directory_reads` (archive central directories parsed),
/// `read_syscalls`, `read_bytes` and `disk_read_bytes` (`/proc/self/io`),
/// `minor_faults` and `major_faults` (`getrusage`), `rss_growth_bytes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// First import in a fresh interpreter.
    pub first: BTreeMap<String, u64>,
    /// Second import after forgetting the tree's modules, importer caches kept (warm).
    pub repeat: BTreeMap<String, u64>,
    /// Modules of the tree loaded by the first import (the workload and what it pulls in).
    pub modules: u64,
    /// Exclusive time per phase of the first import, profiled (see `profile.py`);
    /// they add up to the profiled import time.
    #[serde(default)]
    pub phases: BTreeMap<String, u64>,
    /// Modules of the first import with the most self time: name, self and cumulative
    /// time (ns, profiled).
    #[serde(default)]
    pub top_modules: Vec<(String, u64, u64)>,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Measured.
    Ok,
    /// zipimport cannot read this compression method; the error says what Python said.
    Unsupported,
    /// Something else went wrong; the error says what.
    Error,
    /// The run was stopped before this case had all its samples; `run --resume`
    /// finishes it.
    Incomplete,
}

/// What measuring one case gave.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// The variant.
    pub variant: Variant,
    /// The mode.
    pub mode: Mode,
    /// How it ended.
    pub status: Status,
    /// Python's exception text or the harness's explanation, unless `Ok`.
    pub error: Option<String>,
    /// Timed samples.
    pub samples: Vec<SampleValue>,
    /// The variant's probe, shared by its modes.
    pub probe: Option<Probe>,
    /// Instruction counts (cold cases of runs that count them).
    pub instructions: Option<InstructionCounts>,
}

/// What to measure and how.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    /// How to start workers.
    pub worker: WorkerCommand,
    /// Modes to measure.
    pub modes: Vec<Mode>,
    /// Timed samples per case.
    pub samples: u32,
    /// Discarded rounds before the timed ones.
    pub warmup: u32,
    /// Draw a progress bar on stderr (it is hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Count instructions of every measured cold case this many times under callgrind
    /// (after the timed rounds, so valgrind never runs beside a timed sample).
    pub instructions: Option<u32>,
}

/// The workload of one scenario, as workers need it.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Names the timed section imports, in order.
    pub modules: Vec<String>,
    /// Top-level packages of the tree.
    pub roots: Vec<String>,
}

/// What [`measure`] gives back.
#[derive(Debug, Clone)]
pub struct Measured {
    /// One outcome per artifact and mode, in artifact then mode order.
    pub cases: Vec<CaseOutcome>,
    /// Whether the run was stopped before every case had its samples.
    pub interrupted: bool,
}

/// Probes and measures every artifact in every mode. `initial(variant id, mode)` gives
/// what a resumed run already has of a case; `on_sample` sees every sample, kept,
/// discarded or failed, as it is taken (the journal hook).
pub fn measure(
    artifacts: &[Artifact],
    workload: &Workload,
    opts: &MeasureOptions,
    initial: &dyn Fn(&str, Mode) -> CaseRun,
    on_sample: &mut dyn FnMut(&Variant, Mode, Taken, &Outcome),
) -> Result<Measured> {
    let jobs_dir = opts.worker.work_dir.join("jobs");
    std::fs::create_dir_all(&jobs_dir)
        .with_context(|| format!("creating {}", jobs_dir.display()))?;
    let stop = opts.worker.stop.clone();

    let mut probes = Vec::with_capacity(artifacts.len());
    for a in artifacts {
        if stop.is_raised() {
            probes.push((None, None));
            continue;
        }
        probes.push(probe(a, workload, opts, &jobs_dir)?);
    }

    // Build one sampler per measurable case; warm samplers start their worker now.
    let mut cases: Vec<(usize, Mode)> = Vec::new();
    let mut samplers: Vec<Box<dyn Sampler>> = Vec::new();
    let mut starts = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        if probes[i].1.is_some() {
            continue;
        }
        let job = write_job(&jobs_dir, a, workload, false)?;
        for &mode in &opts.modes {
            let start = initial(&a.variant.id(), mode);
            let done = start.failure.is_some() || start.samples.len() >= opts.samples as usize;
            let stderr = jobs_dir.join(format!("{}-{}.stderr", a.variant.id(), mode));
            let sampler: Box<dyn Sampler> = match mode {
                Mode::Cold => Box::new(ColdSampler::new(opts.worker.clone(), job.clone(), stderr)),
                Mode::ColdDisk => Box::new(ColdDiskSampler::new(
                    ColdSampler::new(opts.worker.clone(), job.clone(), stderr),
                    artifact_files(&a.info.path).with_context(|| {
                        format!("listing the files of {}", a.info.path.display())
                    })?,
                )),
                // A finished case of a resumed run needs no warm worker.
                Mode::Warm if done => {
                    Box::new(ColdSampler::new(opts.worker.clone(), job.clone(), stderr))
                }
                Mode::Warm => Box::new(WarmSampler::start(&opts.worker, job.clone(), stderr)),
            };
            cases.push((i, mode));
            samplers.push(sampler);
            starts.push(start);
        }
    }

    let left: u64 = starts
        .iter()
        .map(|s| {
            if s.failure.is_some() {
                0
            } else {
                let warm = if s.samples.is_empty() { opts.warmup } else { 0 };
                u64::from(opts.samples.saturating_sub(s.samples.len() as u32) + warm)
            }
        })
        .sum();
    let bar = if opts.progress {
        ProgressBar::new(left)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} samples, {elapsed} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix("measuring");
    let ids: Vec<String> = cases
        .iter()
        .map(|(i, m)| format!("{} {m}", artifacts[*i].variant.id()))
        .collect();
    let (runs, mut interrupted) = interleave(
        &mut samplers,
        starts,
        opts.warmup,
        opts.samples,
        &|| stop.is_raised(),
        |i, taken, outcome| {
            let (a, mode) = cases[i];
            on_sample(&artifacts[a].variant, mode, taken, outcome);
            bar.set_message(ids[i].clone());
            bar.inc(1);
        },
    );
    bar.finish_and_clear();
    drop(samplers);
    interrupted |= stop.is_raised();

    let mut out = Vec::new();
    let mut runs = cases.into_iter().zip(runs);
    for (i, a) in artifacts.iter().enumerate() {
        let (probe, failure) = &probes[i];
        for &mode in &opts.modes {
            let outcome = match (failure, probe) {
                (Some((status, error)), _) => CaseOutcome {
                    variant: a.variant,
                    mode,
                    status: *status,
                    error: Some(error.clone()),
                    samples: Vec::new(),
                    probe: probe.clone(),
                    instructions: None,
                },
                // Never probed: the run stopped first.
                (None, None) => CaseOutcome {
                    variant: a.variant,
                    mode,
                    status: Status::Incomplete,
                    error: None,
                    samples: initial(&a.variant.id(), mode).samples,
                    probe: None,
                    instructions: None,
                },
                (None, Some(_)) => {
                    let ((_, m), run) = runs.next().expect("one run per measured case");
                    debug_assert_eq!(m, mode);
                    let status = match &run.failure {
                        Some(_) => Status::Error,
                        None if run.samples.len() < opts.samples as usize => Status::Incomplete,
                        None => Status::Ok,
                    };
                    CaseOutcome {
                        variant: a.variant,
                        mode,
                        status,
                        error: run.failure,
                        samples: run.samples,
                        probe: probe.clone(),
                        instructions: None,
                    }
                }
            };
            out.push(outcome);
        }
    }
    if let (Some(n), false) = (opts.instructions, interrupted) {
        interrupted = count_instructions(&mut out, artifacts, workload, opts, n, &jobs_dir)?;
    }
    Ok(Measured {
        cases: out,
        interrupted,
    })
}

/// Counts the instructions of every measured cold case `n` times, one worker under
/// callgrind at a time. Returns whether the run was stopped meanwhile.
fn count_instructions(
    cases: &mut [CaseOutcome],
    artifacts: &[Artifact],
    workload: &Workload,
    opts: &MeasureOptions,
    n: u32,
    jobs_dir: &Path,
) -> Result<bool> {
    let targets: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].mode == Mode::Cold && cases[i].status == Status::Ok)
        .collect();
    let cg = match callgrind::detect() {
        Ok(cg) => cg,
        Err(why) => {
            eprintln!("instruction counts skipped: {why}");
            for &i in &targets {
                cases[i].instructions = Some(InstructionCounts {
                    skipped: Some(why.clone()),
                    ..InstructionCounts::default()
                });
            }
            return Ok(false);
        }
    };
    eprintln!(
        "counting instructions: {} cold cases x {n} under {} (tens of times slower than native)",
        targets.len(),
        cg.tool()
    );
    for &i in &targets {
        let variant = cases[i].variant;
        let a = artifacts
            .iter()
            .find(|a| a.variant == variant)
            .expect("every case has an artifact");
        let job = write_job(jobs_dir, a, workload, false)?;
        let id = variant.id();
        let mut counts = InstructionCounts {
            tool: cg.tool(),
            ..InstructionCounts::default()
        };
        for k in 0..n {
            let out_file = jobs_dir.join(format!("{id}.callgrind.{k}"));
            let stderr = jobs_dir.join(format!("{id}-callgrind.stderr"));
            match cg.count(&opts.worker, &job, &out_file, &stderr) {
                Ok(c) => counts.samples.push(c),
                Err(WorkerError::Interrupted) => {
                    cases[i].instructions = Some(counts);
                    return Ok(true);
                }
                Err(WorkerError::Failed(e)) => {
                    counts.error = Some(e);
                    break;
                }
            }
        }
        cases[i].instructions = Some(counts);
    }
    Ok(false)
}

fn write_job(dir: &Path, a: &Artifact, w: &Workload, probe: bool) -> Result<PathBuf> {
    let job = Job {
        artifact: a.info.path.clone(),
        layout: a.variant.layout,
        modules: w.modules.clone(),
        roots: w.roots.clone(),
        probe,
    };
    let suffix = if probe { "-probe" } else { "" };
    let path = dir.join(format!("{}{suffix}.json", a.variant.id()));
    std::fs::write(&path, serde_json::to_vec(&job)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

type ProbeResult = (Option<Probe>, Option<(Status, String)>);

/// Imports the workload twice in a counting worker. Returns the counts, and the status
/// and error if the variant cannot be measured.
fn probe(a: &Artifact, w: &Workload, opts: &MeasureOptions, dir: &Path) -> Result<ProbeResult> {
    let job = write_job(dir, a, w, true)?;
    let stderr = dir.join(format!("{}-probe.stderr", a.variant.id()));
    let failed = |e: WorkerError| match e {
        // Not probed: the run is stopping.
        WorkerError::Interrupted => (None, None),
        WorkerError::Failed(e) => (None, Some((Status::Error, e))),
    };
    let (mut worker, _) = match WorkerProcess::spawn(&opts.worker, &job, &stderr) {
        Ok(w) => w,
        Err(e) => return Ok(failed(e)),
    };
    let mut rounds = Vec::new();
    let mut profile = (BTreeMap::new(), Vec::new());
    for round in 0..2 {
        match worker.import() {
            Ok(Reply::Sample { counters, .. }) => {
                rounds.push(counters);
                if round == 0 {
                    match worker.profile() {
                        Ok(Reply::Profile { phases, modules }) => profile = (phases, modules),
                        Ok(Reply::Failed { error, .. }) => {
                            return Ok((None, Some((Status::Error, error))));
                        }
                        Ok(other) => {
                            return Ok((
                                None,
                                Some((Status::Error, format!("unexpected reply {other:?}"))),
                            ));
                        }
                        Err(e) => return Ok(failed(e)),
                    }
                }
            }
            Ok(Reply::Failed { error, raised }) => {
                let unsupported = raised
                    && a.variant.layout == Layout::Zip
                    && a.variant
                        .compression
                        .is_some_and(|c| !c.zipimport_readable());
                let status = if unsupported {
                    Status::Unsupported
                } else {
                    Status::Error
                };
                return Ok((None, Some((status, error))));
            }
            Ok(other) => {
                return Ok((
                    None,
                    Some((Status::Error, format!("unexpected reply {other:?}"))),
                ));
            }
            Err(e) => return Ok(failed(e)),
        }
    }
    if let Err(e) = worker.close() {
        return Ok((None, Some((Status::Error, e))));
    }
    let repeat = rounds.pop().unwrap_or_default();
    let first = rounds.pop().unwrap_or_default();
    Ok((
        Some(Probe {
            modules: first.get("modules").copied().unwrap_or(0),
            first,
            repeat,
            phases: profile.0,
            top_modules: profile.1,
        }),
        None,
    ))
}
