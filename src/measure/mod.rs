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
pub mod fleet;
pub mod hot_update;
mod inprocess;
mod instructions;
mod probe;
mod process;
mod protocol;
mod quota;
mod sampler;
mod schedule;
mod stop;
pub mod trace;
pub mod worker;

pub use callgrind::{Callgrind, InstructionCounts, detect as detect_callgrind};
pub use evict::{evict, residency};
pub use inprocess::InProcess;
pub use instructions::{CHECK_LIMIT, CHECKED_CASES, InstructionCheck};
pub use probe::Probe;
pub use process::{ExternalWorker, WorkerCommand, WorkerError};
pub use protocol::Job;
pub use quota::{QuotaGroup, QuotaInfo};
pub use sampler::{ColdDiskSampler, ColdSampler, Outcome, SampleValue, Sampler, WarmSampler};
pub use schedule::{
    CaseRun, FAR_SHARE, MIN_SAMPLES_FLOOR, Plan, STOP_LEVEL, Stop, Taken, Target, allowed,
    interleave, observations, round_order, round_slots, settle,
};
pub use stop::StopFlag;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::package::{Artifact, artifact_files};
use crate::scenario::{Mode, Variant};
use crate::status::Status;

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
    /// Why it took no more samples (`None` for cases never sampled: unsupported,
    /// failed probes).
    pub stopped: Option<Stop>,
    /// The states it stopped in, when it stopped for precision
    /// ([`schedule::CaseRun::stop_boundary`]).
    pub stop_boundary: Option<Option<f64>>,
}

/// What to measure and how.
#[derive(Debug, Clone)]
pub struct MeasureOptions {
    /// How to start workers.
    pub worker: WorkerCommand,
    /// Modes to measure.
    pub modes: Vec<Mode>,
    /// Timed samples per case (the most, with `precision`).
    pub samples: u32,
    /// Stop a case early once the 95% interval of its ratio to the reference is this
    /// narrow (half-width as a fraction of the ratio), after at least `min_samples`.
    pub precision: Option<f64>,
    /// Samples every case takes before `precision` may stop it.
    pub min_samples: u32,
    /// Id of the variant ratios are taken to (`precision` needs it).
    pub reference: Variant,
    /// Discarded rounds before the timed ones.
    pub warmup: u32,
    /// Seed of the order of cases within each round (the scenario's seed).
    pub seed: u64,
    /// Draw a progress bar on stderr (it is hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Count instructions of every measured cold case this many times under callgrind
    /// (after the timed rounds, so valgrind never runs beside a timed sample; on every
    /// core at once).
    pub instructions: Option<u32>,
    /// Sample each mode's reference once after every this many of its cases in a
    /// round (0: once a round).
    pub reference_every: u32,
    /// The cases the question is about: a higher cap and a finer precision.
    pub focus: Option<crate::scenario::Focus>,
    /// Record the probe's profiled import as spans (`run --trace`).
    pub trace: bool,
}

impl MeasureOptions {
    /// What the case of `variant` in `mode` aims for: the focus's cap and precision
    /// for a focus case, the scenario's otherwise.
    pub fn target(&self, variant: Variant, mode: Mode) -> Target {
        match &self.focus {
            Some(f) if f.covers(variant, mode) => Target {
                max: f.samples,
                precision: Some(f.precision / 100.0),
            },
            _ => Target {
                max: self.samples,
                precision: self.precision,
            },
        }
    }
}

/// What the timed section imports, as workers need it: the scenario's workload
/// ([`crate::scenario::Workload`]) resolved into module names.
#[derive(Debug, Clone)]
pub struct Imports {
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
    /// Per artifact: why its probe failed (`None` when it imports cleanly, or when the
    /// run stopped before probing it).
    pub probe_failures: Vec<Option<(Status, String)>>,
    /// Per artifact: whether it was probed and imports cleanly.
    pub usable: Vec<bool>,
    /// The lone recount of a few cases after the instruction pass (runs counting
    /// instructions).
    pub instruction_check: Option<InstructionCheck>,
}

/// Probes and measures every artifact in every mode. `initial(variant id, mode)` gives
/// what a resumed run already has of a case; `on_sample` sees every sample, kept,
/// discarded or failed, as it is taken (the journal hook).
pub fn measure(
    artifacts: &[Artifact],
    workload: &Imports,
    opts: &MeasureOptions,
    initial: &dyn Fn(&str, Mode) -> CaseRun,
    on_sample: &mut dyn FnMut(&Variant, Mode, Taken, &Outcome),
) -> Result<Measured> {
    let jobs_dir = opts.worker.work_dir.join("jobs");
    std::fs::create_dir_all(&jobs_dir)
        .with_context(|| format!("creating {}", jobs_dir.display()))?;
    let stop = opts.worker.stop.clone();
    // Fleet and hot-update have measurements of their own (see `fleet`, `hot_update`).
    let modes: Vec<Mode> = opts
        .modes
        .iter()
        .copied()
        .filter(|m| m.is_sampled())
        .collect();

    let t = std::time::Instant::now();
    let mut probes = Vec::with_capacity(artifacts.len());
    for a in artifacts {
        if stop.is_raised() {
            probes.push((None, None));
            continue;
        }
        probes.push(probe::probe(a, workload, opts, &jobs_dir)?);
    }
    let probe_s = t.elapsed().as_secs_f64();

    // Build one sampler per measurable case; warm samplers start their worker now.
    let mut cases: Vec<(usize, Mode)> = Vec::new();
    let mut starts = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        if probes[i].1.is_none() {
            for &mode in &modes {
                cases.push((i, mode));
                starts.push(initial(&a.variant.id(), mode));
            }
        }
    }
    let plan = Plan {
        warmup: opts.warmup,
        seed: opts.seed,
        targets: cases
            .iter()
            .map(|&(i, mode)| opts.target(artifacts[i].variant, mode))
            .collect(),
        min_samples: if opts.precision.is_some() {
            opts.min_samples.min(opts.samples)
        } else {
            opts.samples
        },
        reference: cases
            .iter()
            .map(|&(i, mode)| {
                cases.iter().position(|&(j, m)| {
                    m == mode && j != i && artifacts[j].variant == opts.reference
                })
            })
            .collect(),
        reference_every: opts.reference_every,
    };
    // What a resumed run already finished needs no sampler of its own.
    settle(&mut starts, &plan);
    let t = std::time::Instant::now();
    let mut samplers = make_samplers(artifacts, workload, opts, &jobs_dir, &cases, &starts)?;
    crate::note!(
        "probed {} in {probe_s:.1} s; warm workers ready in {:.1} s",
        crate::format::count(artifacts.len() as u64, "variant"),
        t.elapsed().as_secs_f64()
    );

    let left: u64 = starts
        .iter()
        .zip(&plan.targets)
        .map(|(s, t)| {
            if s.stopped.is_some() {
                0
            } else {
                let warm = if s.samples.is_empty() { opts.warmup } else { 0 };
                u64::from(t.max.saturating_sub(s.samples.len() as u32) + warm)
            }
        })
        .sum();
    let bar = progress_bar(opts.progress, left, "measuring");
    let ids: Vec<String> = cases
        .iter()
        .map(|(i, m)| format!("{} {m}", artifacts[*i].variant.id()))
        .collect();
    let (runs, mut interrupted) = interleave(
        &mut samplers,
        starts,
        &plan,
        &|| stop.is_raised(),
        |i, taken, outcome| {
            let (a, mode) = cases[i];
            on_sample(&artifacts[a].variant, mode, taken, outcome);
            bar.set_message(crate::format::for_terminal(&ids[i]).into_owned());
            bar.inc(1);
        },
        // A case that stops early shortens the bar, so its estimate of what is left
        // stays honest.
        |_, skipped| {
            let len = bar.length().unwrap_or(0);
            bar.set_length(len.saturating_sub(u64::from(skipped)));
        },
    );
    bar.finish_and_clear();
    drop(samplers);
    interrupted |= stop.is_raised();

    let mut out = outcomes(
        artifacts,
        &modes,
        &probes,
        cases.into_iter().zip(runs),
        initial,
    );
    let mut instruction_check = None;
    if let (Some(n), false) = (opts.instructions, interrupted) {
        let (stopped, check) =
            instructions::count_instructions(&mut out, artifacts, workload, opts, n, &jobs_dir)?;
        interrupted = stopped;
        instruction_check = check;
    }
    Ok(Measured {
        cases: out,
        interrupted,
        usable: probes
            .iter()
            .map(|(p, f)| p.is_some() && f.is_none())
            .collect(),
        probe_failures: probes.into_iter().map(|(_, f)| f).collect(),
        instruction_check,
    })
}

/// A variant's probe and, when the probe failed, the status and error of its cases.
type ProbeResult = (Option<Probe>, Option<(Status, String)>);

/// One sampler per measurable case; warm samplers start their worker now.
fn make_samplers(
    artifacts: &[Artifact],
    workload: &Imports,
    opts: &MeasureOptions,
    jobs_dir: &Path,
    cases: &[(usize, Mode)],
    starts: &[CaseRun],
) -> Result<Vec<Box<dyn Sampler>>> {
    let mut samplers: Vec<Box<dyn Sampler>> = Vec::new();
    for (&(i, mode), start) in cases.iter().zip(starts) {
        let a = &artifacts[i];
        let job = write_job(jobs_dir, a, workload, Purpose::Timed)?;
        let stderr = jobs_dir.join(format!("{}-{}.stderr", a.variant.id(), mode));
        let sampler: Box<dyn Sampler> = match mode {
            Mode::Cold => Box::new(ColdSampler::new(opts.worker.clone(), job, stderr)),
            Mode::ColdDisk => Box::new(ColdDiskSampler::new(
                ColdSampler::new(opts.worker.clone(), job, stderr),
                artifact_files(&a.info.path)
                    .with_context(|| format!("listing the files of {}", a.info.path.display()))?,
            )),
            // A finished case of a resumed run needs no warm worker.
            Mode::Warm if start.stopped.is_some() => {
                Box::new(ColdSampler::new(opts.worker.clone(), job, stderr))
            }
            Mode::Warm => Box::new(WarmSampler::start(&opts.worker, job, stderr)),
            Mode::Fleet | Mode::HotUpdate => unreachable!("only sampled modes are measured"),
        };
        samplers.push(sampler);
    }
    Ok(samplers)
}

/// Every case's outcome, in artifact and mode order: a probe's failure, a case the run
/// stopped before probing, or what its sampler took.
fn outcomes(
    artifacts: &[Artifact],
    modes: &[Mode],
    probes: &[ProbeResult],
    mut runs: impl Iterator<Item = ((usize, Mode), CaseRun)>,
    initial: &dyn Fn(&str, Mode) -> CaseRun,
) -> Vec<CaseOutcome> {
    let mut out = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        let (probe, failure) = &probes[i];
        for &mode in modes {
            let outcome = match (failure, probe) {
                (Some((status, error)), _) => CaseOutcome {
                    variant: a.variant,
                    mode,
                    status: *status,
                    error: Some(error.clone()),
                    samples: Vec::new(),
                    probe: probe.clone(),
                    instructions: None,
                    stopped: None,
                    stop_boundary: None,
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
                    stopped: Some(Stop::Interrupted),
                    stop_boundary: None,
                },
                (None, Some(_)) => {
                    let ((_, m), run) = runs.next().expect("one run per measured case");
                    debug_assert_eq!(m, mode);
                    let stopped = run.stopped.unwrap_or(Stop::Interrupted);
                    let status = match stopped {
                        Stop::Error => Status::Error,
                        Stop::Interrupted => Status::Incomplete,
                        Stop::Samples | Stop::Precision | Stop::Reference => Status::Ok,
                    };
                    CaseOutcome {
                        variant: a.variant,
                        mode,
                        status,
                        error: run.failure,
                        samples: run.samples,
                        probe: probe.clone(),
                        instructions: None,
                        stopped: Some(stopped),
                        stop_boundary: run.stop_boundary,
                    }
                }
            };
            out.push(outcome);
        }
    }
    out
}

/// A progress bar of `len` steps on stderr (hidden unless `show`, and anyway when
/// stderr is not a terminal).
pub(crate) fn progress_bar(show: bool, len: u64, prefix: &'static str) -> ProgressBar {
    let bar = if show {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len}, {elapsed} elapsed, about {eta} left {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(prefix);
    bar
}

/// Records one round of a fleet or hot-update case: keeps its result, or marks the
/// case failed. Returns true when the run is stopping.
pub(crate) fn record<T>(
    result: Result<T, WorkerError>,
    kept: &mut Vec<T>,
    status: &mut Status,
    error: &mut Option<String>,
) -> bool {
    match result {
        Ok(r) => kept.push(r),
        Err(WorkerError::Interrupted) => return true,
        Err(WorkerError::Failed(e)) => {
            *status = Status::Error;
            *error = Some(e);
        }
    }
    false
}

/// What a worker's imports are for, which decides what it does around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Timed samples of a case: the speed probe runs around every import.
    Timed,
    /// The variant's probe: audit-hook counters and the phase profiler.
    Probe,
    /// A probe that also records every profiled call as a span (`run --trace`).
    TracedProbe,
    /// Instruction counts: no speed probe (only the import is counted anyway, and it
    /// would cost seconds under callgrind), and a full collection before the import.
    Count,
    /// Nothing around the import: fleets and hot updates (which time what they time
    /// themselves).
    Plain,
}

pub(crate) fn write_job(
    dir: &Path,
    a: &Artifact,
    w: &Imports,
    purpose: Purpose,
) -> Result<PathBuf> {
    let suffix = match purpose {
        Purpose::Timed => "",
        Purpose::Probe | Purpose::TracedProbe => "-probe",
        Purpose::Count => "-count",
        Purpose::Plain => "-plain",
    };
    let path = dir.join(format!("{}{suffix}.json", a.variant.id()));
    write_job_at(&path, &a.info.path, a.variant.layout, w, purpose)?;
    Ok(path)
}

/// Writes the job file `path`: import `w` from `artifact` (which may be a copy or a
/// live path rather than the packaged artifact itself).
pub(crate) fn write_job_at(
    path: &Path,
    artifact: &Path,
    layout: crate::scenario::Layout,
    w: &Imports,
    purpose: Purpose,
) -> Result<()> {
    let job = Job {
        artifact: artifact.to_owned(),
        layout,
        modules: w.modules.clone(),
        roots: w.roots.clone(),
        probe: matches!(purpose, Purpose::Probe | Purpose::TracedProbe),
        speed: purpose == Purpose::Timed,
        collect: purpose == Purpose::Count,
        trace: purpose == Purpose::TracedProbe,
    };
    std::fs::write(path, serde_json::to_vec(&job)?)
        .with_context(|| format!("writing {}", path.display()))
}
