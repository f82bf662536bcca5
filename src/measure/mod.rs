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

mod inprocess;
mod process;
mod protocol;
mod sampler;
mod schedule;
pub mod worker;

pub use inprocess::InProcess;
pub use process::WorkerCommand;
pub use protocol::Job;
pub use sampler::{ColdSampler, Outcome, SampleValue, Sampler, WarmSampler};
pub use schedule::{CaseRun, interleave};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::package::Artifact;
use crate::scenario::{Layout, Mode, Variant};
use process::WorkerProcess;
use protocol::Reply;

/// Audit-event counts of the probe's two imports: `compiles` (source compilations),
/// `unmarshals` (`marshal.loads` calls), `opens` (files opened), and `modules` (tree
/// modules loaded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// First import in a fresh interpreter.
    pub first: BTreeMap<String, u64>,
    /// Second import after forgetting the tree's modules, importer caches kept (warm).
    pub repeat: BTreeMap<String, u64>,
    /// Modules of the tree loaded by the first import (the workload and what it pulls in).
    pub modules: u64,
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
}

/// The workload of one scenario, as workers need it.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Names the timed section imports, in order.
    pub modules: Vec<String>,
    /// Top-level packages of the tree.
    pub roots: Vec<String>,
}

/// Probes and measures every artifact in every mode.
pub fn measure(
    artifacts: &[Artifact],
    workload: &Workload,
    opts: &MeasureOptions,
) -> Result<Vec<CaseOutcome>> {
    let jobs_dir = opts.worker.work_dir.join("jobs");
    std::fs::create_dir_all(&jobs_dir)
        .with_context(|| format!("creating {}", jobs_dir.display()))?;

    let mut probes = Vec::with_capacity(artifacts.len());
    for a in artifacts {
        probes.push(probe(a, workload, opts, &jobs_dir)?);
    }

    // Build one sampler per measurable case; warm samplers start their worker now.
    let mut cases: Vec<(usize, Mode)> = Vec::new();
    let mut samplers: Vec<Box<dyn Sampler>> = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        if probes[i].1.is_some() {
            continue;
        }
        let job = write_job(&jobs_dir, a, workload, false)?;
        for &mode in &opts.modes {
            let stderr = jobs_dir.join(format!("{}-{}.stderr", a.variant.id(), mode));
            let sampler: Box<dyn Sampler> = match mode {
                Mode::Cold => Box::new(ColdSampler::new(opts.worker.clone(), job.clone(), stderr)),
                Mode::Warm => Box::new(WarmSampler::start(&opts.worker, job.clone(), stderr)),
            };
            cases.push((i, mode));
            samplers.push(sampler);
        }
    }

    let rounds = u64::from(opts.warmup + opts.samples);
    let bar = if opts.progress {
        ProgressBar::new(rounds * samplers.len() as u64)
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
    let runs = interleave(&mut samplers, opts.warmup, opts.samples, |i| {
        bar.set_message(ids[i].clone());
        bar.inc(1);
    });
    bar.finish_and_clear();
    drop(samplers);

    let mut out = Vec::new();
    let mut runs = cases.into_iter().zip(runs);
    for (i, a) in artifacts.iter().enumerate() {
        let (probe, failure) = &probes[i];
        for &mode in &opts.modes {
            let outcome = match failure {
                Some((status, error)) => CaseOutcome {
                    variant: a.variant,
                    mode,
                    status: *status,
                    error: Some(error.clone()),
                    samples: Vec::new(),
                    probe: probe.clone(),
                },
                None => {
                    let ((_, m), run) = runs.next().expect("one run per measured case");
                    debug_assert_eq!(m, mode);
                    CaseOutcome {
                        variant: a.variant,
                        mode,
                        status: if run.failure.is_some() {
                            Status::Error
                        } else {
                            Status::Ok
                        },
                        error: run.failure,
                        samples: run.samples,
                        probe: probe.clone(),
                    }
                }
            };
            out.push(outcome);
        }
    }
    Ok(out)
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
    let (mut worker, _) = match WorkerProcess::spawn(&opts.worker, &job, &stderr) {
        Ok(w) => w,
        Err(e) => return Ok((None, Some((Status::Error, e)))),
    };
    let mut rounds = Vec::new();
    for _ in 0..2 {
        match worker.import() {
            Ok(Reply::Sample { counters, .. }) => rounds.push(counters),
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
            Err(e) => return Ok((None, Some((Status::Error, e)))),
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
        }),
        None,
    ))
}
