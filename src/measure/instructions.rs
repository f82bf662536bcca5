//! The instruction-count pass: after the timed rounds (so valgrind never runs beside a
//! timed sample), every measured cold case runs again under callgrind (see
//! `callgrind.rs`), on every core at once, slowest cases first.
//!
//! Counts are near-deterministic, so one run per case is enough by default. Two checks
//! keep that honest: a few cases are counted a second time, alone, once the parallel
//! pass is over. Their two counts differ only if counting is not stable or if running
//! beside another callgrind changes what is counted; either way the run is marked
//! unstable ([`InstructionCheck`]) and so is every count in it.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::callgrind::{self, Callgrind, InstructionCounts};
use super::process::WorkerError;
use super::{CaseOutcome, Imports, MeasureOptions, Purpose, progress_bar, write_job};
use crate::package::Artifact;
use crate::scenario::Mode;
use crate::status::Status;

/// Cases counted a second time, alone, to check stability and independence from
/// concurrency.
pub const CHECKED_CASES: usize = 3;

/// Relative difference between two counts of one case above which counting is
/// unstable (two runs of one import agree within about 0.003% here).
pub const CHECK_LIMIT: f64 = 0.001;

/// What the second, lone count of a few cases showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionCheck {
    /// Callgrind workers that ran at once in the main pass.
    pub parallel: u32,
    /// Per checked case: variant id, its count in the parallel pass and its count
    /// alone.
    pub cases: Vec<(String, u64, u64)>,
    /// Largest |alone - parallel| / parallel over the checked cases.
    pub max_difference: f64,
    /// Whether every difference is within [`CHECK_LIMIT`].
    pub stable: bool,
}

/// One callgrind run to make: the case and which of its runs it is.
struct Task {
    case: usize,
    run: u32,
}

/// Counts the instructions of every measured cold case `n` times, on `parallel`
/// workers at once, then checks a few cases alone. Returns whether the run was
/// stopped meanwhile, and the check (`None` when nothing was counted).
pub(crate) fn count_instructions(
    cases: &mut [CaseOutcome],
    artifacts: &[Artifact],
    workload: &Imports,
    opts: &MeasureOptions,
    n: u32,
    jobs_dir: &Path,
) -> Result<(bool, Option<InstructionCheck>)> {
    let mut targets: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].mode == Mode::Cold && cases[i].status == Status::Ok)
        .collect();
    let cg = match callgrind::detect() {
        Ok(cg) => cg,
        Err(why) => {
            crate::note!("instruction counts skipped: {why}");
            for &i in &targets {
                cases[i].instructions = Some(InstructionCounts {
                    skipped: Some(why.clone()),
                    ..InstructionCounts::default()
                });
            }
            return Ok((false, None));
        }
    };
    if targets.is_empty() {
        return Ok((false, None));
    }
    // Slowest first (by the timed samples), so the last runs of the pass are short
    // ones and no core waits alone on a long one at the end.
    let median = |i: usize| {
        let mut w: Vec<u64> = cases[i].samples.iter().map(|s| s.wall_ns).collect();
        w.sort_unstable();
        w.get(w.len() / 2).copied().unwrap_or(0)
    };
    targets.sort_by_key(|&i| std::cmp::Reverse(median(i)));
    let mut jobs = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        jobs.push(if targets.contains(&i) {
            Some(write_job(
                jobs_dir,
                artifact_of(artifacts, case),
                workload,
                Purpose::Count,
            )?)
        } else {
            None
        });
    }
    let parallel = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(targets.len() * n as usize)
        .max(1);
    crate::note!(
        "counting instructions: {} cold cases x {n} under {}, {parallel} at a time \
         (tens of times slower than native)",
        targets.len(),
        cg.tool()
    );
    let started = std::time::Instant::now();
    let tasks: Vec<Task> = (0..n)
        .flat_map(|run| targets.iter().map(move |&case| Task { case, run }))
        .collect();
    let results: Vec<Mutex<Vec<Result<u64, String>>>> =
        (0..cases.len()).map(|_| Mutex::new(Vec::new())).collect();
    let next = AtomicUsize::new(0);
    let bar = progress_bar(opts.progress, tasks.len() as u64, "counting");
    let ids: Vec<String> = cases.iter().map(|c| c.variant.id()).collect();
    let interrupted = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..parallel)
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        let Some(task) = tasks.get(k) else {
                            return false;
                        };
                        // A case that already failed is not counted again.
                        let failed = results[task.case]
                            .lock()
                            .expect("no thread panics holding it")
                            .iter()
                            .any(Result::is_err);
                        if failed {
                            continue;
                        }
                        let job = jobs[task.case].as_ref().expect("targets have jobs");
                        let id = &ids[task.case];
                        let counted = count_once(&cg, opts, job, jobs_dir, id, task.run);
                        let value = match counted {
                            Ok(c) => Ok(c),
                            Err(WorkerError::Interrupted) => return true,
                            Err(WorkerError::Failed(e)) => Err(e),
                        };
                        results[task.case]
                            .lock()
                            .expect("no thread panics holding it")
                            .push(value);
                        bar.set_message(id.clone());
                        bar.inc(1);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("counting threads do not panic"))
            .fold(false, |a, b| a | b)
    });
    bar.finish_and_clear();
    for (i, r) in results.into_iter().enumerate() {
        if !targets.contains(&i) {
            continue;
        }
        let mut counts = InstructionCounts {
            tool: cg.tool(),
            ..InstructionCounts::default()
        };
        for value in r.into_inner().expect("no thread panicked") {
            match value {
                Ok(c) => counts.samples.push(c),
                Err(e) => counts.error = Some(e),
            }
        }
        cases[i].instructions = Some(counts);
    }
    if interrupted || opts.worker.stop.is_raised() {
        return Ok((true, None));
    }
    let parallel_s = started.elapsed().as_secs_f64();
    let check = check_alone(cases, &targets, &cg, opts, &jobs, jobs_dir, parallel as u32)?;
    crate::note!(
        "counted instructions in {:.0} s ({parallel_s:.0} s in parallel, the rest the lone recount)",
        started.elapsed().as_secs_f64()
    );
    Ok((check.is_none(), check))
}

fn artifact_of<'a>(artifacts: &'a [Artifact], case: &CaseOutcome) -> &'a Artifact {
    artifacts
        .iter()
        .find(|a| a.variant == case.variant)
        .expect("every case has an artifact")
}

/// One callgrind run of `job`.
fn count_once(
    cg: &Callgrind,
    opts: &MeasureOptions,
    job: &Path,
    jobs_dir: &Path,
    id: &str,
    run: u32,
) -> Result<u64, WorkerError> {
    let out_file = jobs_dir.join(format!("{id}.callgrind.{run}"));
    let stderr = jobs_dir.join(format!("{id}-callgrind-{run}.stderr"));
    cg.count(&opts.worker, job, &out_file, &stderr)
}

/// Counts the [`CHECKED_CASES`] fastest counted cases once more, one at a time, and
/// compares with their first count; the second count joins the case's samples.
/// `None` when the run was stopped meanwhile.
fn check_alone(
    cases: &mut [CaseOutcome],
    targets: &[usize],
    cg: &Callgrind,
    opts: &MeasureOptions,
    jobs: &[Option<std::path::PathBuf>],
    jobs_dir: &Path,
    parallel: u32,
) -> Result<Option<InstructionCheck>> {
    let counted: Vec<usize> = targets
        .iter()
        .rev()
        .copied()
        .filter(|&i| {
            cases[i]
                .instructions
                .as_ref()
                .is_some_and(|c| c.error.is_none() && !c.samples.is_empty())
        })
        .take(CHECKED_CASES)
        .collect();
    let mut check = InstructionCheck {
        parallel,
        cases: Vec::new(),
        max_difference: 0.0,
        stable: true,
    };
    for i in counted {
        let id = cases[i].variant.id();
        let job = jobs[i].as_ref().expect("targets have jobs");
        let counts = cases[i].instructions.as_mut().expect("filtered above");
        let first = counts.samples[0];
        let run = counts.samples.len() as u32;
        match count_once(cg, opts, job, jobs_dir, &id, run) {
            Ok(alone) => {
                counts.samples.push(alone);
                let difference = alone.abs_diff(first) as f64 / first.max(1) as f64;
                check.max_difference = check.max_difference.max(difference);
                check.cases.push((id, first, alone));
            }
            Err(WorkerError::Interrupted) => return Ok(None),
            Err(WorkerError::Failed(e)) => counts.error = Some(e),
        }
    }
    check.stable = check.max_difference <= CHECK_LIMIT;
    if !check.stable {
        crate::note!(
            "warning: instruction counts are unstable: a case counted alone differs from its \
             count in the parallel pass by {:.3}% (more than {}%)",
            check.max_difference * 100.0,
            CHECK_LIMIT * 100.0
        );
    }
    Ok(Some(check))
}
