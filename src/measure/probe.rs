//! The probe: one extra worker per variant, before any timed sample, that imports the
//! workload twice with audit-hook counters and the phase profiler installed, checks
//! where every module came from, and decides whether the variant can be measured.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::process::{WorkerError, WorkerProcess};
use super::protocol::Reply;
use super::{Imports, MeasureOptions, Purpose, write_job};
use crate::package::Artifact;
use crate::scenario::Layout;
use crate::status::Status;

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
    /// Wall time of that profiled first import (profiling overhead included), ns: what
    /// the phases add up to.
    #[serde(default)]
    pub first_wall_ns: u64,
    /// Modules of the first import with the most self time: name, self and cumulative
    /// time (ns, profiled).
    #[serde(default)]
    pub top_modules: Vec<(String, u64, u64)>,
    /// Workload modules the worker left out, with why: their top-level package was
    /// imported before the timed section, so they cannot come from the artifact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<(String, String)>,
    /// With `run --trace`: every profiled call of the first import as a span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<super::trace::ImportTrace>,
}

pub(crate) type ProbeResult = (Option<Probe>, Option<(Status, String)>);

/// Imports the workload twice in a counting worker. Returns the counts, and the status
/// and error if the variant cannot be measured.
pub(crate) fn probe(
    a: &Artifact,
    w: &Imports,
    opts: &MeasureOptions,
    dir: &Path,
) -> Result<ProbeResult> {
    let purpose = if opts.trace {
        Purpose::TracedProbe
    } else {
        Purpose::Probe
    };
    let job = write_job(dir, a, w, purpose)?;
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
    let mut trace = None;
    let mut first_wall_ns = 0;
    for round in 0..2 {
        match worker.import() {
            Ok(Reply::Sample {
                counters, wall_ns, ..
            }) => {
                rounds.push(counters);
                if round == 0 {
                    first_wall_ns = wall_ns;
                }
                if round == 0 {
                    match worker.profile() {
                        Ok(Reply::Profile {
                            phases,
                            modules,
                            spans,
                            wall_ns,
                        }) => {
                            profile = (phases, modules);
                            // No spans: this Python's profiler could not be
                            // installed (3.9's zipimporter lacks exec_module).
                            if opts.trace && !spans.is_empty() {
                                trace = Some(super::trace::ImportTrace { wall_ns, spans });
                            }
                        }
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
                // Before 3.13, zipimport reads no entry at all of an archive with more
                // than 65,535 entries (zip64): every import is "not found".
                let zip64 = raised
                    && a.variant.layout == Layout::Zip
                    && a.info.entries > 65_535
                    && error.starts_with("ModuleNotFoundError");
                return Ok(match (unsupported, zip64) {
                    (true, _) => (None, Some((Status::Unsupported, error))),
                    (false, true) => (
                        None,
                        Some((
                            Status::Unsupported,
                            format!(
                                "{error} (the archive has {} entries, so it is zip64; zipimport \
                                 before Python 3.13 reads no entry of a zip64 archive)",
                                a.info.entries
                            ),
                        )),
                    ),
                    _ => (None, Some((Status::Error, error))),
                });
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
    let dropped = worker.dropped().to_vec();
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
            first_wall_ns,
            top_modules: profile.1,
            dropped,
            trace,
        }),
        None,
    ))
}
