//! Mode `fleet`: many worker processes start at once and import the workload from the
//! same artifact (or each from its own copy), as the services of one host do after a
//! restart or a deploy.
//!
//! One round launches every process of the fleet back to back, each with its import
//! request already queued, so it imports as soon as its interpreter is up. Each worker
//! times its own import section as in cold mode and reports when it ended on
//! `CLOCK_MONOTONIC`; the fleet's wall time runs from the first launch to the last
//! import's end. Once every process has imported (and while all are still alive) the
//! harness reads `/proc/PID/smaps_rollup` of each: resident, proportional (PSS) and
//! shared memory, and counts the artifact files' pages in the page cache, which PSS
//! does not include. Rounds of all configurations are interleaved like samples.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::evict::{evict, residency};
use super::process::{WorkerError, WorkerProcess};
use super::protocol::{IMPORT_REQUEST, Reply, monotonic_ns};
use super::{Imports, MeasureOptions, Purpose, write_job_at};
use crate::package::artifact_files;
use crate::package::{Artifact, copy_artifact};
use crate::scenario::{FleetSpec, PageCache, Sharing, Variant};
use crate::status::Status;

/// Memory of a whole fleet, summed over its processes, in bytes (from
/// `/proc/PID/smaps_rollup` after every process has imported).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetMemory {
    /// Resident set sizes added up (counts shared pages once per process).
    pub rss_bytes: u64,
    /// Proportional set sizes added up: each shared page divided among its sharers, so
    /// this is what the fleet really occupies (page cache of the artifact aside).
    pub pss_bytes: u64,
    /// Resident pages shared with another process (`Shared_Clean + Shared_Dirty`).
    pub shared_bytes: u64,
    /// Resident pages of one process alone (`Private_Clean + Private_Dirty`).
    pub private_bytes: u64,
}

/// One fleet start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetRound {
    /// Import section of each process (as a cold sample times it), in launch order.
    pub latencies_ns: Vec<u64>,
    /// Interpreter start-up of each process, in launch order.
    pub startup_ns: Vec<u64>,
    /// From the first launch to the end of the last process's import.
    pub wall_ns: u64,
    /// Fraction of the artifact files' pages in the page cache at launch.
    pub resident_before: f64,
    /// The fleet's memory once every process has imported.
    pub memory: FleetMemory,
    /// Bytes of the artifact files (all copies) in the page cache after the round.
    pub artifact_cache_bytes: u64,
}

/// What measuring one fleet configuration gave: the core of its results record
/// ([`crate::results::FleetCase`]), which adds the scenario and a summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetOutcome {
    /// The variant (`variant` id and `layout` in results files).
    #[serde(flatten)]
    pub variant: Variant,
    /// Processes started at once.
    pub processes: u32,
    /// One artifact or a copy per process.
    pub sharing: Sharing,
    /// Page cache state at launch.
    pub page_cache: PageCache,
    /// How it ended.
    pub status: Status,
    /// What went wrong, unless `Ok`.
    pub error: Option<String>,
    /// The rounds taken, in order.
    pub rounds: Vec<FleetRound>,
}

/// Measures every fleet configuration of every usable artifact; `failures[i]` is why
/// artifact `i` cannot be imported at all (its configurations get that status).
/// Returns the outcomes (artifact, processes, sharing, page cache order) and whether
/// the run was stopped.
pub fn measure(
    artifacts: &[Artifact],
    failures: &[Option<(Status, String)>],
    workload: &Imports,
    opts: &MeasureOptions,
    spec: &FleetSpec,
) -> Result<(Vec<FleetOutcome>, bool)> {
    let dir = opts.worker.work_dir.join("fleet");
    let max = spec.processes.iter().copied().max().unwrap_or(1) as usize;

    let mut outcomes = Vec::new();
    // Per configuration: its jobs (one per process) and every artifact file they use.
    let mut plans: Vec<Option<(Vec<PathBuf>, Vec<PathBuf>)>> = Vec::new();
    for (i, a) in artifacts.iter().enumerate() {
        let id = a.variant.id();
        let mut jobs_by_sharing = Vec::new();
        if failures[i].is_none() {
            for &sharing in &spec.sharing {
                let paths: Vec<PathBuf> = match sharing {
                    Sharing::Shared => vec![a.info.path.clone(); max],
                    Sharing::Copies => (0..max)
                        .map(|k| {
                            let name = a.info.path.file_name().expect("artifacts have names");
                            let to = dir.join(&id).join(format!("copy{k}")).join(name);
                            copy_artifact(&a.info.path, &to).map(|()| to)
                        })
                        .collect::<Result<_>>()?,
                };
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let mut jobs = Vec::with_capacity(max);
                for (k, path) in paths.iter().enumerate() {
                    let file = dir.join(format!("{id}-{}-{k}.json", sharing.name()));
                    write_job_at(&file, path, a.variant.layout, workload, Purpose::Plain)?;
                    jobs.push(file);
                }
                jobs_by_sharing.push((sharing, jobs, paths));
            }
        }
        for &n in &spec.processes {
            for &sharing in &spec.sharing {
                for &page_cache in &spec.page_cache {
                    let (status, error) = match &failures[i] {
                        Some((s, e)) => (*s, Some(e.clone())),
                        None => (Status::Ok, None),
                    };
                    let plan = jobs_by_sharing
                        .iter()
                        .find(|(s, ..)| *s == sharing)
                        .map(|(_, jobs, paths)| -> Result<_> {
                            let n = n as usize;
                            let mut files = Vec::new();
                            for p in dedup(&paths[..n]) {
                                files.extend(artifact_files(&p).with_context(|| {
                                    format!("listing the files of {}", p.display())
                                })?);
                            }
                            Ok((jobs[..n].to_vec(), files))
                        })
                        .transpose()?;
                    plans.push(plan);
                    outcomes.push(FleetOutcome {
                        variant: a.variant,
                        processes: n,
                        sharing,
                        page_cache,
                        status,
                        error,
                        rounds: Vec::new(),
                    });
                }
            }
        }
    }

    let live: Vec<usize> = (0..outcomes.len())
        .filter(|&i| plans[i].is_some())
        .collect();
    let bar = super::progress_bar(
        opts.progress,
        live.len() as u64 * u64::from(spec.rounds),
        "fleet",
    );
    let mut interrupted = false;
    'rounds: for round in 0..spec.rounds as usize {
        for k in 0..live.len() {
            // Each round starts one configuration further along (see `interleave`).
            let i = live[(k + round) % live.len()];
            if outcomes[i].status != Status::Ok {
                continue;
            }
            if opts.worker.stop.is_raised() {
                interrupted = true;
                break 'rounds;
            }
            let (jobs, files) = plans[i].as_ref().expect("live configurations have plans");
            let o = &mut outcomes[i];
            bar.set_message(format!(
                "{} x{} {} {}-cache",
                o.variant.id(),
                o.processes,
                o.sharing.name(),
                o.page_cache.name()
            ));
            let r = fleet_round(jobs, files, o.page_cache, opts, &o.variant.id());
            if super::record(r, &mut o.rounds, &mut o.status, &mut o.error) {
                interrupted = true;
                break 'rounds;
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    for o in &mut outcomes {
        if o.status == Status::Ok && o.rounds.len() < spec.rounds as usize {
            o.status = Status::Incomplete;
        }
    }
    Ok((outcomes, interrupted))
}

/// Distinct paths, in order.
fn dedup(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// Starts one fleet and waits for every import; reads memory before letting it exit.
fn fleet_round(
    jobs: &[PathBuf],
    files: &[PathBuf],
    page_cache: PageCache,
    opts: &MeasureOptions,
    id: &str,
) -> Result<FleetRound, WorkerError> {
    if page_cache == PageCache::Cold {
        evict(files).map_err(|e| format!("evicting the artifact from the page cache: {e}"))?;
    }
    let resident_before = resident_fraction(files)?;
    let t0 = monotonic_ns();
    let mut workers = Vec::with_capacity(jobs.len());
    for (k, job) in jobs.iter().enumerate() {
        let stderr = job.with_file_name(format!("{id}-fleet-{k}.stderr"));
        let mut w = WorkerProcess::launch(&opts.worker, job, &stderr)?;
        w.send(IMPORT_REQUEST)?;
        workers.push(w);
    }
    let mut latencies = Vec::with_capacity(jobs.len());
    let mut startups = Vec::with_capacity(jobs.len());
    let mut last_end = t0;
    for w in &mut workers {
        startups.push(w.ready()?);
        match w.receive(IMPORT_REQUEST)? {
            Reply::Sample {
                wall_ns,
                end_mono_ns,
                ..
            } => {
                latencies.push(wall_ns);
                last_end = last_end.max(end_mono_ns);
            }
            Reply::Failed { error, .. } => return Err(WorkerError::Failed(error)),
            other => return Err(format!("unexpected reply {other:?}").into()),
        }
    }
    let mut memory = FleetMemory::default();
    for w in &workers {
        let m = smaps_rollup(w.pid()).map_err(|e| {
            format!(
                "reading /proc/{}/smaps_rollup of a fleet worker: {e}",
                w.pid()
            )
        })?;
        memory.rss_bytes += m.rss_bytes;
        memory.pss_bytes += m.pss_bytes;
        memory.shared_bytes += m.shared_bytes;
        memory.private_bytes += m.private_bytes;
    }
    let (resident, _) = residency(files).map_err(|e| format!("checking residency: {e}"))?;
    for w in workers {
        w.close()?;
    }
    Ok(FleetRound {
        latencies_ns: latencies,
        startup_ns: startups,
        wall_ns: last_end.saturating_sub(t0),
        resident_before,
        memory,
        artifact_cache_bytes: resident * page_size(),
    })
}

fn resident_fraction(files: &[PathBuf]) -> Result<f64, WorkerError> {
    match residency(files) {
        Ok((_, 0)) => Ok(0.0),
        Ok((r, t)) => Ok(r as f64 / t as f64),
        Err(e) => Err(format!("checking page-cache residency: {e}").into()),
    }
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64
}

/// Memory of one process from `/proc/PID/smaps_rollup`.
pub fn smaps_rollup(pid: u32) -> std::io::Result<FleetMemory> {
    parse_smaps_rollup(&std::fs::read_to_string(Path::new(&format!(
        "/proc/{pid}/smaps_rollup"
    )))?)
}

fn parse_smaps_rollup(text: &str) -> std::io::Result<FleetMemory> {
    let mut m = FleetMemory::default();
    let mut seen = 0;
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let kib = rest.trim().trim_end_matches("kB").trim().parse::<u64>();
        let Ok(kib) = kib else { continue };
        let bytes = kib * 1024;
        match key {
            "Rss" => m.rss_bytes = bytes,
            "Pss" => m.pss_bytes = bytes,
            "Shared_Clean" | "Shared_Dirty" => m.shared_bytes += bytes,
            "Private_Clean" | "Private_Dirty" => m.private_bytes += bytes,
            _ => continue,
        }
        seen += 1;
    }
    if seen < 6 {
        return Err(std::io::Error::other(
            "smaps_rollup lacks Rss, Pss, Shared_* or Private_* lines",
        ));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_smaps_rollup() {
        let text = "55d0c0000000-7ffd00000000 ---p 00000000 00:00 0    [rollup]\n\
            Rss:               12000 kB\nPss:                5000 kB\nPss_Anon: 1 kB\n\
            Shared_Clean:       8000 kB\nShared_Dirty:         100 kB\n\
            Private_Clean:       900 kB\nPrivate_Dirty:      3000 kB\nSwap: 0 kB\n";
        let m = parse_smaps_rollup(text).unwrap();
        assert_eq!(m.rss_bytes, 12000 * 1024);
        assert_eq!(m.pss_bytes, 5000 * 1024);
        assert_eq!(m.shared_bytes, 8100 * 1024);
        assert_eq!(m.private_bytes, 3900 * 1024);
        assert!(parse_smaps_rollup("Rss: 1 kB\n").is_err());
    }

    #[test]
    fn reads_this_process() {
        let m = smaps_rollup(std::process::id()).unwrap();
        assert!(m.rss_bytes > 0 && m.pss_bytes > 0 && m.pss_bytes <= m.rss_bytes);
        assert_eq!(m.rss_bytes, m.shared_bytes + m.private_bytes);
    }
}
