//! The [`Sampler`] trait (one timed import of one case) and its two real
//! implementations: a fresh worker process per sample (cold) and one long-lived worker
//! (warm).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::process::{WorkerCommand, WorkerError, WorkerProcess};
use super::protocol::Reply;

/// One timed import: the one record of a sample, from the worker's reply through the
/// scheduler and the journal (where it is stored as it is) to the results.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SampleValue {
    /// Wall time of the import section.
    pub wall_ns: u64,
    /// CPU time of the worker over the import section.
    pub cpu_ns: u64,
    /// User part of the CPU time (microsecond resolution).
    #[serde(default)]
    pub user_ns: u64,
    /// System part of the CPU time (microsecond resolution).
    #[serde(default)]
    pub sys_ns: u64,
    /// Interpreter start-up of the worker that took this sample (cold samples only).
    pub startup_ns: Option<u64>,
    /// Fraction of the artifact's pages in the page cache just before the worker
    /// started (cold-disk samples only; 0 when eviction worked).
    #[serde(default)]
    pub resident: Option<f64>,
    /// The harness's own cost of a cold sample: the parent's wall time from spawning
    /// the worker to its exit, minus start-up and the timed import (exec, driver
    /// set-up, pipes, verification, interpreter exit).
    #[serde(default)]
    pub overhead_ns: Option<u64>,
    /// Round of the interleaved schedule this sample was taken in (warm-up rounds
    /// counted), set by the scheduler: samples of two cases from one round were taken
    /// moments apart and can be paired.
    pub round: u32,
    /// Position within its round (0 = first sample taken in that round).
    pub slot: u32,
    /// When the sample started, microseconds since the Unix epoch, set by the
    /// scheduler: which samples of other cases were taken moments apart.
    #[serde(default)]
    pub started_us: u64,
    /// The speed probe's time right before and right after the timed import, ns: how
    /// fast the machine ran Python around this sample (timed workers only).
    #[serde(default)]
    pub speed_ns: Option<[u64; 2]>,
}

impl SampleValue {
    /// The sample as the estimators of [`crate::stats::relative`] see it: its wall
    /// time, the geometric mean of its speed readings, its start and round.
    pub fn obs(&self) -> crate::stats::Obs {
        crate::stats::Obs {
            value: self.wall_ns as f64,
            speed: self
                .speed_ns
                .filter(|s| s[0] > 0 && s[1] > 0)
                .map(|s| (s[0] as f64 * s[1] as f64).sqrt()),
            // Files from before start times were recorded: the round and the slot
            // give the order, which is what pairing needs.
            at: if self.started_us > 0 {
                self.started_us as f64
            } else {
                f64::from(self.round) * 1e6 + f64::from(self.slot)
            },
            round: self.round,
            slow: false,
        }
    }
}

/// What taking a sample gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A timed import.
    Sample(SampleValue),
    /// The case cannot be measured; no further samples are taken.
    Failed(String),
    /// The run is stopping; nothing is wrong with the case.
    Interrupted,
}

/// Takes samples of one case. Implementations decide what a sample is; the scheduler
/// only decides when. Report and scheduling code is tested with synthetic samplers.
pub trait Sampler {
    /// Takes one sample.
    fn sample(&mut self) -> Outcome;
}

fn reply_outcome(reply: Result<Reply, WorkerError>, startup_ns: Option<u64>) -> Outcome {
    match reply {
        Ok(Reply::Sample {
            wall_ns,
            cpu_ns,
            user_ns,
            sys_ns,
            speed_ns,
            ..
        }) => Outcome::Sample(SampleValue {
            wall_ns,
            cpu_ns,
            user_ns,
            sys_ns,
            startup_ns,
            resident: None,
            overhead_ns: None,
            round: 0,
            slot: 0,
            started_us: 0,
            speed_ns,
        }),
        Ok(Reply::Failed { error, .. }) => Outcome::Failed(error),
        Ok(other) => Outcome::Failed(format!("unexpected reply {other:?}")),
        Err(WorkerError::Interrupted) => Outcome::Interrupted,
        Err(WorkerError::Failed(e)) => Outcome::Failed(e),
    }
}

/// Cold: every sample starts a fresh worker, imports once and lets it exit.
pub struct ColdSampler {
    cmd: WorkerCommand,
    job: PathBuf,
    stderr: PathBuf,
}

impl ColdSampler {
    /// A sampler for the case described by the job file `job`.
    pub fn new(cmd: WorkerCommand, job: PathBuf, stderr: PathBuf) -> Self {
        ColdSampler { cmd, job, stderr }
    }
}

impl Sampler for ColdSampler {
    fn sample(&mut self) -> Outcome {
        let t0 = std::time::Instant::now();
        let (mut worker, startup_ns) =
            match WorkerProcess::spawn(&self.cmd, &self.job, &self.stderr) {
                Ok(w) => w,
                Err(e) => return reply_outcome(Err(e), None),
            };
        let outcome = reply_outcome(worker.import(), Some(startup_ns));
        match (outcome, worker.close()) {
            (Outcome::Sample(_), Err(e)) => Outcome::Failed(e),
            (Outcome::Sample(mut s), Ok(())) => {
                let total = t0.elapsed().as_nanos() as u64;
                s.overhead_ns = Some(total.saturating_sub(startup_ns + s.wall_ns));
                Outcome::Sample(s)
            }
            (outcome, _) => outcome,
        }
    }
}

/// Cold-disk: a cold sample taken right after evicting every file of the artifact
/// from the page cache; the resident fraction measured just before is recorded.
pub struct ColdDiskSampler {
    cold: ColdSampler,
    files: Vec<PathBuf>,
}

impl ColdDiskSampler {
    /// A sampler for the job, evicting `files` (the artifact's) before each sample.
    pub fn new(cold: ColdSampler, files: Vec<PathBuf>) -> Self {
        ColdDiskSampler { cold, files }
    }
}

impl Sampler for ColdDiskSampler {
    fn sample(&mut self) -> Outcome {
        if let Err(e) = super::evict::evict(&self.files) {
            return Outcome::Failed(format!("evicting the artifact from the page cache: {e}"));
        }
        let resident = match super::evict::residency(&self.files) {
            Ok((_, 0)) => 0.0,
            Ok((r, t)) => r as f64 / t as f64,
            Err(e) => return Outcome::Failed(format!("checking page-cache residency: {e}")),
        };
        match self.cold.sample() {
            Outcome::Sample(mut s) => {
                s.resident = Some(resident);
                Outcome::Sample(s)
            }
            other => other,
        }
    }
}

/// Warm: one worker imports the workload once when the sampler is created; each sample
/// then forgets the tree's modules and imports them again, importer caches kept.
pub struct WarmSampler {
    worker: Option<WorkerProcess>,
    failure: Option<Outcome>,
}

impl WarmSampler {
    /// Starts the worker and does the first, untimed import.
    pub fn start(cmd: &WorkerCommand, job: PathBuf, stderr: PathBuf) -> Self {
        let started = match WorkerProcess::spawn(cmd, &job, &stderr) {
            Err(e) => Err(reply_outcome(Err(e), None)),
            Ok((mut worker, _)) => match reply_outcome(worker.import(), None) {
                Outcome::Sample(_) => Ok(worker),
                other => Err(other),
            },
        };
        match started {
            Ok(worker) => WarmSampler {
                worker: Some(worker),
                failure: None,
            },
            Err(outcome) => WarmSampler {
                worker: None,
                failure: Some(outcome),
            },
        }
    }
}

impl Sampler for WarmSampler {
    fn sample(&mut self) -> Outcome {
        match (&mut self.worker, &self.failure) {
            (Some(worker), _) => {
                let outcome = reply_outcome(worker.import(), None);
                if !matches!(outcome, Outcome::Sample(_)) {
                    self.worker = None;
                    self.failure = Some(outcome.clone());
                }
                outcome
            }
            (None, Some(outcome)) => outcome.clone(),
            (None, None) => Outcome::Failed("warm worker is gone".into()),
        }
    }
}
