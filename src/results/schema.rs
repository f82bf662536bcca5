//! The results file (`results.json`): every raw sample, summaries, probe counters and
//! the run's metadata. The format is documented field by field in `FORMAT.md` beside
//! this file; bump [`SCHEMA_VERSION`] on any incompatible change.

use serde::{Deserialize, Serialize};

use crate::measure::{Probe, Stop};
use crate::package::ArtifactInfo;
use crate::python::PythonInfo;
use crate::scenario::{Mode, SweepPoint, TreeSpec, Variant};
use crate::stats::Summary;
use crate::status::Status;

/// Version of this format.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// Where and how the run happened.
    pub metadata: RunMetadata,
    /// The scenarios measured, in command-line order.
    pub scenarios: Vec<ScenarioInfo>,
    /// One entry per scenario, variant and mode (cold, warm, cold-disk).
    pub cases: Vec<CaseResult>,
    /// Mode `fleet`: one entry per scenario, variant, fleet size, sharing and page cache.
    #[serde(default)]
    pub fleet: Vec<super::FleetCase>,
    /// Mode `hot-update`: one entry per scenario, variant, strategy, pick-up and timing.
    #[serde(default)]
    pub hot_updates: Vec<super::HotUpdateCase>,
}

/// Where, when and with what a run was made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunMetadata {
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// End, RFC 3339 UTC.
    pub finished_at: String,
    /// Wall time of the whole run in seconds, generation and packaging included.
    pub duration_s: f64,
    /// The harness.
    pub harness: HarnessInfo,
    /// The machine.
    pub host: HostInfo,
    /// The embedded interpreter.
    pub python: PythonInfo,
    /// Arguments the harness was started with.
    pub command_line: Vec<String>,
    /// False when the run was stopped early: some cases are `incomplete` (or missing,
    /// for scenarios not reached) and `run --resume` can finish them.
    #[serde(default = "yes")]
    pub complete: bool,
    /// Runs merged into this file (`merge`), one per shard, each with its own machine
    /// and interpreter; empty for a run that was not merged. `host` and `python` above
    /// are the first shard's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRun>,
    /// The CPU quota every worker ran under (`run --cpu-quota`), with what the run's
    /// cgroup counted; absent for a run without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<crate::measure::QuotaInfo>,
}

/// One shard's run, as `merge` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardRun {
    /// `[K, N]`: shard K of N.
    pub shard: (u32, u32),
    /// When that run started, RFC 3339 UTC.
    pub started_at: String,
    /// The machine it ran on.
    pub host: HostInfo,
    /// Its embedded interpreter.
    pub python: PythonInfo,
}

impl RunMetadata {
    /// Every machine that measured part of these results: each shard's, or the run's.
    pub fn hosts(&self) -> Vec<&HostInfo> {
        if self.shards.is_empty() {
            vec![&self.host]
        } else {
            self.shards.iter().map(|s| &s.host).collect()
        }
    }
}

fn yes() -> bool {
    true
}

/// The harness that made the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HarnessInfo {
    /// Crate version.
    pub version: String,
    /// Git commit it was built from, when built in a git checkout; `-dirty` after it
    /// when the sources built (`src/`, `Cargo.toml`, `build.rs`) differed from it.
    pub git_commit: Option<String>,
    /// `debug` or `release`: a debug harness is slower between samples, not inside them.
    pub profile: String,
}

/// The machine a run was made on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostInfo {
    /// Host name.
    pub hostname: String,
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Logical CPUs available to the process.
    pub cores: usize,
    /// Operating system (`PRETTY_NAME` of `/etc/os-release`).
    pub os: String,
    /// Kernel release.
    pub kernel: String,
    /// CPU architecture.
    pub arch: String,
}

/// A scenario as it was run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// Scenario name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The scenario file as given.
    pub path: String,
    /// Hex sha256 of the scenario file.
    pub sha256: String,
    /// Generation seed.
    pub seed: u64,
    /// Tree shape.
    pub tree: TreeSpec,
    /// `all`, `leaf` or `modules`.
    pub workload: String,
    /// Modules the timed section imports, in order.
    pub workload_modules: Vec<String>,
    /// Workload modules left out of the timed section, with why (their top-level
    /// package was already imported when it began, so they cannot come from the
    /// artifact); not counted in `workload_modules`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workload_dropped: Vec<(String, String)>,
    /// Variant every ratio is relative to (its id).
    #[serde(with = "crate::scenario::variant::as_id")]
    pub reference: Variant,
    /// Timed samples per case (after command-line overrides): the most a case takes
    /// when `precision` is set.
    pub samples: u32,
    /// Adaptive sampling: a case stopped once the 98% interval of its ratio
    /// to the reference was within +-this many percent (looser far from the
    /// reference); null when every case took `samples`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// Adaptive sampling: samples every case took before the precision could stop it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_samples: Option<u32>,
    /// Discarded rounds per case.
    pub warmup: u32,
    /// Modes measured.
    pub modes: Vec<Mode>,
    /// Per-request worker timeout, seconds.
    pub timeout_secs: u32,
    /// The sweep point this scenario is, when its file sweeps a parameter.
    #[serde(default)]
    pub sweep: Option<SweepPoint>,
    /// The external interpreter (`run --python`) this instance ran under; null for the
    /// embedded one (`metadata.python`).
    #[serde(default)]
    pub python: Option<PythonInfo>,
    /// The lazy-imports setting this instance was measured under (null in files
    /// written before 2026-12-02).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lazy_imports: Option<crate::scenario::LazyImports>,
    /// The settings the scenario file asked for (`[measure] lazy-imports`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lazy_imports_asked: Vec<crate::scenario::LazyImports>,
    /// `[K, N]` when this scenario's cases come from shard K of N (`run --shard`).
    #[serde(default)]
    pub shard: Option<(u32, u32)>,
    /// The real corpus packaged instead of a generated tree (`tree` is then all zeros).
    #[serde(default)]
    pub corpus: Option<crate::corpus::CorpusInfo>,
    /// Files and bytes of the generated tree.
    pub tree_files: u64,
    /// Bytes of the generated tree.
    pub tree_bytes: u64,
    /// Seconds spent generating, compiling and packaging every variant.
    pub generate_s: f64,
    /// Runs counting instructions: a few cases counted again alone after the parallel
    /// pass, and whether their counts agreed (when not, every count is `unstable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction_check: Option<crate::measure::InstructionCheck>,
    /// The reference of each mode was sampled once after every this many of its cases
    /// in a round (0: once a round; files written before 2026-12-02).
    #[serde(default)]
    pub reference_every: u32,
    /// The cases the scenario's question is about, with their cap and precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<FocusInfo>,
    /// What the machine did during the run, read from the speed probe: one speed, or
    /// two states and how far apart. Null without speed readings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<crate::stats::MachineStates>,
}

impl ScenarioInfo {
    /// The mode a scenario's verdict, findings and cross-scenario tables speak of:
    /// cold when measured, else the first per-sample mode; `None` with neither.
    pub fn headline_mode(&self) -> Option<Mode> {
        if self.modes.contains(&Mode::Cold) {
            Some(Mode::Cold)
        } else {
            self.modes.iter().copied().find(|m| m.is_sampled())
        }
    }
}

/// `focus` of a scenario, as it was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FocusInfo {
    /// The focus variants (their ids).
    #[serde(with = "crate::scenario::variant::as_ids")]
    pub variants: Vec<Variant>,
    /// Modes in which they are the focus.
    pub modes: Vec<Mode>,
    /// The most samples a focus case took.
    pub samples: u32,
    /// Its precision, percent.
    pub precision: f64,
}

/// One scenario, variant and mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// Scenario name.
    pub scenario: String,
    /// The variant, written as its id (`"variant": "zip-deflate6-pyc"`) beside what it
    /// is made of (`layout`, `compression` method, `level`, `bytecode`), which must
    /// agree with the id when read.
    #[serde(flatten, with = "crate::scenario::variant::case_fields")]
    pub variant: Variant,
    /// `cold` or `warm`.
    pub mode: Mode,
    /// `ok`, `unsupported`, `error` or `incomplete`.
    pub status: Status,
    /// Python's exception (`zlib.error: Error -3 ...`) or the harness's explanation.
    pub error: Option<String>,
    /// Wall time of each timed import, nanoseconds, in the order taken.
    pub samples_ns: Vec<u64>,
    /// Round of the interleaved schedule each sample was taken in (warm-up rounds
    /// counted): samples of two cases with the same round were taken moments apart, so
    /// `compare --relative` pairs them. Empty in files written before rounds were
    /// recorded (their samples are then paired by position).
    #[serde(default)]
    pub sample_rounds: Vec<u32>,
    /// Position of each sample within its round (0 = taken first): with
    /// `sample_rounds`, the order the schedule drew from the scenario seed.
    #[serde(default)]
    pub sample_slots: Vec<u32>,
    /// When each sample started, microseconds since the Unix epoch: which samples of
    /// other cases were taken moments apart. Empty in files written before
    /// 2026-12-02.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sample_starts_us: Vec<u64>,
    /// The speed probe's times right before and right after each sample, ns (a fixed
    /// loop of Python arithmetic in the same process: how fast the machine ran Python
    /// at that moment). Empty when not measured (external Pythons before the probe
    /// existed, files written before 2026-12-02).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speed_ns: Vec<[u64; 2]>,
    /// For each sample, the index (into the reference case's samples) of the
    /// reference sample taken nearest to it in time. Empty for the reference itself
    /// and for cases without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nearest_reference: Vec<u32>,
    /// The speed reading above which a sample of this case ran in the machine's slow
    /// state (the boundary the run that measured it found; `scenarios[].machine`; for a
    /// case that stopped for precision, the one its stopping rule judged by), or null
    /// when that machine ran at one speed or did not read its speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_above_ns: Option<f64>,
    /// True when `slow_above_ns` is the boundary the stopping rule judged this case by
    /// when it stopped for precision (kept as it is by `merge` and every reader), false
    /// when it is the whole run's. Absent (false) in files written before 2026-12-04.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub states_pinned: bool,
    /// CPU time of the worker over each timed import, nanoseconds.
    pub cpu_samples_ns: Vec<u64>,
    /// User CPU time over each timed import (`getrusage`, microsecond resolution).
    #[serde(default)]
    pub user_samples_ns: Vec<u64>,
    /// System CPU time over each timed import (`getrusage`, microsecond resolution).
    #[serde(default)]
    pub sys_samples_ns: Vec<u64>,
    /// Summary of `samples_ns`.
    pub summary: Option<Summary>,
    /// Interpreter start-up of each cold sample's worker, nanoseconds (empty for warm).
    pub startup_ns: Vec<u64>,
    /// Summary of `startup_ns`.
    pub startup: Option<Summary>,
    /// The harness's own cost of each cold sample, ns: the parent's wall time from
    /// spawning the worker to its exit, minus start-up and the timed import.
    #[serde(default)]
    pub overhead_ns: Vec<u64>,
    /// Cold-disk samples: fraction of the artifact's pages resident in the page cache
    /// just before each sample started (0 when eviction worked).
    #[serde(default)]
    pub resident_fractions: Vec<f64>,
    /// This case relative to the reference variant in the same mode:
    /// `paired_ratio.median`.
    pub ratio_to_reference: Option<f64>,
    /// The ratio to the reference by the run's estimator, with its interval and that
    /// interval's level: what adaptive sampling judges and what reports show. Null for
    /// the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paired_ratio: Option<PairedRatio>,
    /// The case against the floor (variant `memory`, the same code served from memory)
    /// in the same mode, when the scenario measured it: how much of the case's time is
    /// the importer's and how much the code's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<Floor>,
    /// Why the case took no more samples: `samples` (it has them all), `precision`
    /// (its ratio was precise enough), `reference` (the reference, once its cases
    /// had stopped), `error` or `interrupted`; null for cases never sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stop>,
    /// The packaged artifact.
    pub artifact: ArtifactInfo,
    /// Audit-event counts from the variant's probe.
    pub probe: Option<Probe>,
    /// Things a reader must know about this case (bytecode that was not used, ...).
    pub warnings: Vec<String>,
    /// Instruction counts of the import section (cold cases of runs that count them).
    #[serde(default)]
    pub instructions: Option<Instructions>,
    /// The sweep point of the case's scenario (also in `scenarios[]`), so a case read
    /// alone still says what value it was measured at.
    #[serde(default)]
    pub sweep: Option<SweepPoint>,
    /// `major.minor.micro` of the interpreter that ran the case.
    #[serde(default)]
    pub python: Option<String>,
    /// The global lazy-imports setting (PEP 810) the case was measured under:
    /// `normal` (every Python's behaviour) or `all` (`-X lazy_imports=all`, 3.15 and
    /// later). Null in files written before 2026-12-02.
    #[serde(default)]
    pub lazy_imports: Option<crate::scenario::LazyImports>,
    /// `[K, N]` when shard K of N measured this case (`run --shard`, kept by `merge`):
    /// its rounds pair only with cases of the same shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<(u32, u32)>,
}

/// A case against the floor: the `memory` variant of its scenario, same mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Floor {
    /// The case over the floor, by the run's estimator where both have samples, else
    /// the ratio of medians.
    pub ratio: f64,
    /// The case's median minus the floor's median, ns: what the importer adds.
    pub extra_ns: f64,
    /// The case's instruction count over the floor's (cold cases of runs counting
    /// instructions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions_ratio: Option<f64>,
}

/// A case's ratio to its reference within the run, by the run's estimator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedRatio {
    /// The ratio (for `round`, the median of the per-round ratios).
    pub median: f64,
    /// Lower end of its interval (95% when `level` says so).
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Samples of the case used (pairs, for the paired estimators; rounds for
    /// `round`).
    pub rounds: u32,
    /// Samples of the reference used.
    #[serde(default)]
    pub reference_samples: u32,
    /// Coverage of the interval: at least 0.95 once the samples allow it; below that
    /// the interval is the widest the samples give and this is its real coverage.
    /// Files written before 2026-12-02 do not say (their interval was 95% from six
    /// rounds on, [min, max] below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<f64>,
    /// How the ratio was estimated; `round` in files written before 2026-12-02.
    #[serde(default = "round_estimator")]
    pub estimator: crate::stats::Estimator,
}

fn round_estimator() -> crate::stats::Estimator {
    crate::stats::Estimator::Round
}

impl PairedRatio {
    /// The summary of an estimate by `estimator`.
    pub fn of(estimator: crate::stats::Estimator, e: &crate::stats::Estimate) -> Self {
        PairedRatio {
            median: e.ratio,
            low: e.low,
            high: e.high,
            rounds: e.n,
            reference_samples: e.m,
            level: Some(e.level),
            estimator,
        }
    }

    /// Whether the interval is a real 95% interval (files that do not say: from six
    /// rounds on, as their rule was).
    pub fn is_95(&self) -> bool {
        self.level.map_or(self.rounds >= 6, |l| l >= 0.95 - 1e-9)
    }
}

impl PairedRatio {
    /// Half the interval's width as a fraction of the median.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / (2.0 * self.median)
    }
}

/// Instruction counts of one case, from callgrind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instructions {
    /// The counter: `callgrind (valgrind-3.19.0)`; empty when skipped.
    pub tool: String,
    /// Instructions executed in the import section, one per sample.
    pub samples: Vec<u64>,
    /// Median of `samples`.
    pub median: Option<f64>,
    /// (max - min) / median of `samples`.
    pub spread: Option<f64>,
    /// Whether `spread` exceeds [`INSTRUCTION_SPREAD_LIMIT`]: counts that vary this much
    /// are not the near-deterministic measure they are meant to be.
    pub unstable: bool,
    /// `median` over the reference variant's median (cold).
    pub ratio_to_reference: Option<f64>,
    /// Why no counts were taken.
    pub skipped: Option<String>,
    /// Why counting failed part-way.
    pub error: Option<String>,
}

/// Relative spread of instruction counts above which a case is flagged.
pub const INSTRUCTION_SPREAD_LIMIT: f64 = 0.01;
