//! What the harness and a worker process say to each other.
//!
//! The parent writes a [`Job`] file and starts `zipimport-bench __worker JOB`. The worker
//! answers on stdout with one [`Reply::Ready`], then one reply per `import` line it reads
//! on stdin, and exits when stdin closes. Reply lines start with [`REPLY_PREFIX`]; any
//! other output on stdout (from C code in imported modules, say) is ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::scenario::Layout;

/// Marks a protocol line on the worker's stdout.
pub const REPLY_PREFIX: &str = "ZIB1 ";

/// Request line: import the workload once and reply with a sample.
pub const IMPORT_REQUEST: &str = "import";

/// Request line (probe workers): reply with the phase profile of the last import.
pub const PROFILE_REQUEST: &str = "profile";

/// Request line prefix: `update PICKUP VERSION` picks up a new version of the artifact
/// with procedure PICKUP (`invalidate-reload` or `reload`) and checks that every module
/// of the tree now carries `ZIB_VERSION = VERSION`.
pub const UPDATE_REQUEST: &str = "update";

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock Python's `time.monotonic_ns` reads,
/// so times taken by the harness and by its workers can be subtracted.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// What a worker is to import, from where.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The directory or `.zip` file to put first on `sys.path`.
    pub artifact: PathBuf,
    /// Its layout, to check which loader imported each module.
    pub layout: Layout,
    /// Names the timed section imports, in order.
    pub modules: Vec<String>,
    /// Top-level package names of the tree.
    pub roots: Vec<String>,
    /// Count compiles, unmarshals and opens with an audit hook, and profile phases
    /// and modules (probe runs only: both slow every import down, so timed workers
    /// never install them).
    pub probe: bool,
    /// Run the driver's speed probe right before and right after every timed import
    /// (timed samples only: probes and instruction counts leave it out).
    #[serde(default)]
    pub speed: bool,
    /// Collect the garbage before the first import too (counted imports: what the
    /// harness allocated before the import then decides no collection inside it).
    #[serde(default)]
    pub collect: bool,
    /// Record every profiled call of the probe's imports as a span (probes only).
    #[serde(default)]
    pub trace: bool,
}

/// A worker's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Reply {
    /// The interpreter is up and the artifact is on `sys.path`.
    Ready {
        /// Time `Py_InitializeFromConfig` took.
        startup_ns: u64,
        /// Time loading the driver and setting up took (harness overhead, not timed).
        setup_ns: u64,
        /// Workload modules left out, with why: their top-level package was imported
        /// before the timed section.
        #[serde(default)]
        dropped: Vec<(String, String)>,
    },
    /// One import of the workload, timed.
    Sample {
        /// Wall time of the import loop (`time.perf_counter_ns`).
        wall_ns: u64,
        /// CPU time of the process over the same loop (`time.process_time_ns`).
        cpu_ns: u64,
        /// User CPU time over the loop (`getrusage`, microsecond resolution).
        user_ns: u64,
        /// System CPU time over the loop (`getrusage`, microsecond resolution).
        sys_ns: u64,
        /// Audit-event counts during the loop (empty unless the job is a probe).
        counters: BTreeMap<String, u64>,
        /// [`monotonic_ns`] when the import loop ended (fleets: when the last one did).
        #[serde(default)]
        end_mono_ns: u64,
        /// The speed probe's time right before and right after the import, ns, when
        /// the job asked for it.
        #[serde(default)]
        speed_ns: Option<[u64; 2]>,
    },
    /// A new version of the artifact picked up (`update` request).
    Update {
        /// [`monotonic_ns`] when the worker started the procedure.
        start_mono_ns: u64,
        /// [`monotonic_ns`] when every reload had returned or raised: the new code runs.
        end_mono_ns: u64,
        /// Time `importlib.invalidate_caches()` took (0 for `reload`).
        invalidate_ns: u64,
        /// Time the reloads took.
        reload_ns: u64,
        /// Modules of the tree now at the expected version.
        new: u64,
        /// Modules of the tree still at another version, although their reload returned.
        stale: u64,
        /// Modules whose reload raised (they keep their old code).
        failed: u64,
        /// `Type: message` of the first reload that raised.
        first_error: Option<String>,
    },
    /// Phase and module profile of the last import (probe workers).
    Profile {
        /// Exclusive nanoseconds per phase; they add up to the profiled import.
        phases: BTreeMap<String, u64>,
        /// Top modules by self time: (name, self ns, cumulative ns).
        modules: Vec<(String, u64, u64)>,
        /// With `trace`: every profiled call of the import as a span.
        #[serde(default)]
        spans: Vec<crate::measure::trace::Span>,
        /// With `trace`: the profiled import's wall time, ns.
        #[serde(default)]
        wall_ns: u64,
    },
    /// The import raised, or imported something from outside the artifact.
    Failed {
        /// `Type: message` of the exception, or what the verification found.
        error: String,
        /// Whether the import raised (rather than failing verification).
        raised: bool,
    },
}
