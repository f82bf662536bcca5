//! Mode `hot-update`: a running interpreter has imported the workload; the artifact is
//! replaced by a new version and the process picks the new code up.
//!
//! Every trial starts a fresh worker on a live copy of version 1 and lets it import the
//! workload (untimed). The harness then swaps version 2 in, with the strategy the
//! layout allows:
//! - `rename` (zip): a new archive, staged beside the live one, renamed over it;
//! - `symlink` (directory): `sys.path` holds a symlink to the tree, and a new symlink
//!   to the new tree is renamed over it;
//! - `in-place` (directory): every file of the new tree is written over the live one
//!   (truncated and rewritten, times kept), as `cp -rp` deploys.
//!
//! and asks the worker to pick it up (`invalidate-reload` or `reload`, see
//! `update` in driver.py). A `sequential` trial swaps first and then asks: its latency
//! runs from the start of the swap to the end of the last reload. A `concurrent` trial
//! asks first and aims the swap at the middle of the reloads (the median
//! `invalidate_caches()` time plus half the median reload time of the case's sequential
//! trials so far): what a process that polls for updates, or a deploy racing a restart,
//! sees. Where each swap really landed (before the worker started, during its
//! invalidation, during its reloads, after them) is recorded from the monotonic clock
//! both processes share. Every trial then counts the modules carrying the new
//! `ZIB_VERSION`, those still carrying the old one, and the reloads that raised.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::process::{WorkerError, WorkerProcess};
use super::protocol::{Reply, UPDATE_REQUEST, monotonic_ns};
use super::{Imports, MeasureOptions, Purpose, write_job_at};
use crate::package::{Artifact, copy_artifact};
use crate::scenario::{HotUpdateSpec, Layout, Pickup, Variant};
use crate::status::Status;

/// How the new version replaces the old one on disk.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Zip: rename a staged new archive over the live one.
    Rename,
    /// Directory: rename a new symlink, to the new tree, over the live symlink.
    Symlink,
    /// Directory: overwrite every file of the live tree in place.
    InPlace,
}

impl Strategy {
    /// The name used in results.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The strategies a layout allows.
    pub fn for_layout(layout: Layout) -> &'static [Strategy] {
        match layout {
            Layout::Zip => &[Strategy::Rename],
            Layout::Dir => &[Strategy::Symlink, Strategy::InPlace],
            // Code in memory has no file to replace.
            Layout::Memory => &[],
        }
    }
}

/// When the swap happens relative to the pick-up.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// The swap completes, then the process picks the update up.
    Sequential,
    /// The swap lands while the process is reloading.
    Concurrent,
}

impl Timing {
    /// The name used in results.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What one trial ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every module of the tree runs the new version.
    New,
    /// No reload raised, yet some modules still run the old version: silent stale code.
    Stale,
    /// Some reloads raised; those modules keep the old version.
    Error,
}

/// Where a swap landed in the worker's pick-up procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Landing {
    /// Before the worker began (every sequential swap; a concurrent one that came early).
    BeforePickup,
    /// During `importlib.invalidate_caches()`.
    DuringInvalidation,
    /// During the reloads: what a concurrent trial aims for.
    DuringReloads,
    /// After the last reload (too late to race anything).
    AfterReloads,
}

impl Landing {
    /// Where the swap `[swap_start, swap_end]` fell in a pick-up that started at
    /// `start`, finished invalidating at `invalidated` and its reloads at `end`.
    pub fn of(swap_start: u64, swap_end: u64, start: u64, invalidated: u64, end: u64) -> Self {
        if swap_end < start {
            Landing::BeforePickup
        } else if swap_start >= end {
            Landing::AfterReloads
        } else if swap_start < invalidated && swap_end < invalidated {
            Landing::DuringInvalidation
        } else {
            Landing::DuringReloads
        }
    }
}

/// One update of a running process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotUpdateTrial {
    /// From the start of the swap to the end of the last reload (sequential trials).
    pub latency_ns: Option<u64>,
    /// The swap itself.
    pub swap_ns: u64,
    /// `importlib.invalidate_caches()` in the worker (0 for `reload`).
    pub invalidate_ns: u64,
    /// The reloads in the worker.
    pub reload_ns: u64,
    /// Modules now at the new version.
    pub new: u64,
    /// Modules still at the old version although their reload returned.
    pub stale: u64,
    /// Modules whose reload raised.
    pub failed: u64,
    /// The first reload's exception, `Type: message`.
    pub error: Option<String>,
    /// What this adds up to.
    pub verdict: Verdict,
    /// Where the swap landed in the worker's procedure (absent in older files).
    #[serde(default)]
    pub landed: Option<Landing>,
    /// Start of the swap minus the start of the reloads, ns (negative: before them).
    #[serde(default)]
    pub swap_offset_ns: Option<i64>,
}

/// What measuring one hot-update case gave: the core of its results record
/// ([`crate::results::HotUpdateCase`]), which adds the scenario and a summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HotUpdateOutcome {
    /// The variant (`variant` id and `layout` in results files).
    #[serde(flatten)]
    pub variant: Variant,
    /// How the artifact is replaced.
    pub strategy: Strategy,
    /// How the process picks the update up.
    pub pickup: Pickup,
    /// Swap before or during the pick-up.
    pub timing: Timing,
    /// How it ended (`error` when the harness could not run a trial at all).
    pub status: Status,
    /// What went wrong, unless `Ok`.
    pub error: Option<String>,
    /// The trials, in order.
    pub trials: Vec<HotUpdateTrial>,
}

/// Where one case's live artifact and its two versions are.
struct Live {
    strategy: Strategy,
    /// Version 1 and version 2 of the artifact (never modified).
    v1: PathBuf,
    v2: PathBuf,
    /// The path on the worker's `sys.path`.
    live: PathBuf,
    /// Where the next version is staged before the swap (rename and symlink).
    staged: PathBuf,
    job: PathBuf,
    stderr: PathBuf,
}

impl Live {
    /// Puts version 1 in place and stages version 2 (untimed).
    fn reset(&self) -> Result<()> {
        match self.strategy {
            Strategy::Rename => {
                copy_artifact(&self.v1, &self.staged)?;
                rename(&self.staged, &self.live)?;
                copy_artifact(&self.v2, &self.staged)
            }
            Strategy::Symlink => {
                symlink(&self.v1, &self.staged)?;
                rename(&self.staged, &self.live)?;
                symlink(&self.v2, &self.staged)
            }
            Strategy::InPlace => copy_artifact(&self.v1, &self.live),
        }
    }

    /// Replaces version 1 by version 2.
    fn swap(&self) -> Result<()> {
        match self.strategy {
            Strategy::Rename | Strategy::Symlink => rename(&self.staged, &self.live),
            Strategy::InPlace => copy_artifact(&self.v2, &self.live),
        }
    }
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to)
        .with_context(|| format!("renaming {} to {}", from.display(), to.display()))
}

fn symlink(target: &Path, link: &Path) -> Result<()> {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("linking {} to {}", link.display(), target.display()))
}

/// Measures every hot-update case of every artifact: `updates[i]` is artifact `i`
/// packaged from version 2 of the tree; `failures[i]` is why artifact `i` cannot be
/// imported at all. Returns the outcomes and whether the run was stopped.
pub fn measure(
    artifacts: &[Artifact],
    updates: &[Artifact],
    failures: &[Option<(Status, String)>],
    workload: &Imports,
    opts: &MeasureOptions,
    spec: &HotUpdateSpec,
) -> Result<(Vec<HotUpdateOutcome>, bool)> {
    let dir = opts.worker.work_dir.join("hot-update");
    let mut outcomes = Vec::new();
    let mut lives: Vec<Option<Live>> = Vec::new();
    for (i, (a, u)) in artifacts.iter().zip(updates).enumerate() {
        debug_assert_eq!(a.variant, u.variant);
        for &strategy in Strategy::for_layout(a.variant.layout) {
            for &pickup in &spec.pickups {
                let case = dir.join(format!(
                    "{}-{}-{}",
                    a.variant.id(),
                    strategy.name(),
                    pickup.name()
                ));
                let live = match &failures[i] {
                    Some(_) => None,
                    None => Some(prepare(&case, strategy, a, u, workload)?),
                };
                for timing in [Timing::Sequential, Timing::Concurrent] {
                    let (status, error) = match &failures[i] {
                        Some((s, e)) => (*s, Some(e.clone())),
                        None => (Status::Ok, None),
                    };
                    outcomes.push(HotUpdateOutcome {
                        variant: a.variant,
                        strategy,
                        pickup,
                        timing,
                        status,
                        error,
                        trials: Vec::new(),
                    });
                }
                lives.push(live);
            }
        }
    }

    // Outcomes come in (sequential, concurrent) pairs, one pair per live case.
    let live_cases: Vec<usize> = (0..lives.len()).filter(|&c| lives[c].is_some()).collect();
    let bar = super::progress_bar(
        opts.progress,
        live_cases.len() as u64 * 2 * u64::from(spec.rounds),
        "hot-update",
    );
    let mut interrupted = false;
    'rounds: for round in 0..spec.rounds as usize {
        for k in 0..live_cases.len() {
            let c = live_cases[(k + round) % live_cases.len()];
            let live = lives[c].as_ref().expect("live cases are prepared");
            for (t, timing) in [Timing::Sequential, Timing::Concurrent]
                .into_iter()
                .enumerate()
            {
                let i = 2 * c + t;
                if outcomes[i].status != Status::Ok {
                    continue;
                }
                if opts.worker.stop.is_raised() {
                    interrupted = true;
                    break 'rounds;
                }
                let delay = Duration::from_nanos(to_mid_reload(&outcomes[2 * c].trials));
                let o = &mut outcomes[i];
                bar.set_message(format!(
                    "{} {} {} {}",
                    o.variant.id(),
                    o.strategy.name(),
                    o.pickup.name(),
                    timing.name()
                ));
                let r = trial(live, o.pickup, timing, delay, opts);
                if super::record(r, &mut o.trials, &mut o.status, &mut o.error) {
                    interrupted = true;
                    break 'rounds;
                }
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    for o in &mut outcomes {
        if o.status == Status::Ok && o.trials.len() < spec.rounds as usize {
            o.status = Status::Incomplete;
        }
    }
    Ok((outcomes, interrupted))
}

/// How long after asking to wait so the swap lands in the middle of the reloads: the
/// median `invalidate_caches()` time plus half the median reload time of the sequential
/// trials so far (0 before the first).
fn to_mid_reload(trials: &[HotUpdateTrial]) -> u64 {
    let median = |f: fn(&HotUpdateTrial) -> u64| {
        let mut t: Vec<u64> = trials.iter().map(f).collect();
        t.sort_unstable();
        t.get(t.len() / 2).copied().unwrap_or(0)
    };
    median(|t| t.invalidate_ns) + median(|t| t.reload_ns) / 2
}

fn prepare(
    case: &Path,
    strategy: Strategy,
    v1: &Artifact,
    v2: &Artifact,
    workload: &Imports,
) -> Result<Live> {
    std::fs::create_dir_all(case).with_context(|| format!("creating {}", case.display()))?;
    let (live, staged) = match strategy {
        Strategy::Rename => {
            let name = v1.info.path.file_name().expect("artifacts have names");
            let live = case.join(name);
            let staged = live.with_extension("zip.new");
            (live, staged)
        }
        Strategy::Symlink => (case.join("current"), case.join("current.new")),
        Strategy::InPlace => (case.join("tree"), PathBuf::new()),
    };
    let job_path = case.join("job.json");
    write_job_at(
        &job_path,
        &live,
        v1.variant.layout,
        workload,
        Purpose::Plain,
    )?;
    Ok(Live {
        strategy,
        v1: v1.info.path.clone(),
        v2: v2.info.path.clone(),
        live,
        staged,
        job: job_path,
        stderr: case.join("worker.stderr"),
    })
}

/// One update of a fresh worker that has imported version 1.
fn trial(
    live: &Live,
    pickup: Pickup,
    timing: Timing,
    delay: Duration,
    opts: &MeasureOptions,
) -> Result<HotUpdateTrial, WorkerError> {
    let harness = |e: anyhow::Error| WorkerError::Failed(format!("{e:#}"));
    live.reset().map_err(harness)?;
    let (mut worker, _) = WorkerProcess::spawn(&opts.worker, &live.job, &live.stderr)?;
    match worker.import()? {
        Reply::Sample { .. } => {}
        Reply::Failed { error, .. } => {
            return Err(format!("importing version 1 before the update: {error}").into());
        }
        other => return Err(format!("unexpected reply {other:?}").into()),
    }
    let request = format!("{UPDATE_REQUEST} {} 2", pickup.name());
    let (t0, t1) = match timing {
        Timing::Sequential => {
            let t0 = monotonic_ns();
            live.swap().map_err(harness)?;
            let t1 = monotonic_ns();
            worker.send(&request)?;
            (t0, t1)
        }
        Timing::Concurrent => {
            worker.send(&request)?;
            std::thread::sleep(delay);
            let t0 = monotonic_ns();
            live.swap().map_err(harness)?;
            (t0, monotonic_ns())
        }
    };
    let reply = worker.receive("update")?;
    worker.close()?;
    match reply {
        Reply::Update {
            start_mono_ns,
            end_mono_ns,
            invalidate_ns,
            reload_ns,
            new,
            stale,
            failed,
            first_error,
        } => Ok(HotUpdateTrial {
            landed: Some(Landing::of(
                t0,
                t1,
                start_mono_ns,
                start_mono_ns + invalidate_ns,
                end_mono_ns,
            )),
            swap_offset_ns: Some(t0 as i64 - (start_mono_ns + invalidate_ns) as i64),
            latency_ns: (timing == Timing::Sequential).then(|| end_mono_ns.saturating_sub(t0)),
            swap_ns: t1 - t0,
            invalidate_ns,
            reload_ns,
            new,
            stale,
            failed,
            // Paths in messages are relative to the run's work directory, so the same
            // error reads the same in every case and every run.
            error: first_error
                .map(|e| e.replace(&format!("{}/", opts.worker.work_dir.display()), "")),
            verdict: if failed > 0 {
                Verdict::Error
            } else if stale > 0 || new == 0 {
                Verdict::Stale
            } else {
                Verdict::New
            },
        }),
        Reply::Failed { error, .. } => Err(error.into()),
        other => Err(format!("unexpected reply {other:?}").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_lands_where_the_clock_says() {
        // Pick-up from 100 to 400: invalidation until 200, reloads until 400.
        let at = |a, b| Landing::of(a, b, 100, 200, 400);
        assert_eq!(at(10, 20), Landing::BeforePickup);
        assert_eq!(at(120, 150), Landing::DuringInvalidation);
        assert_eq!(at(190, 210), Landing::DuringReloads);
        assert_eq!(at(300, 310), Landing::DuringReloads);
        assert_eq!(at(400, 420), Landing::AfterReloads);
    }
}
