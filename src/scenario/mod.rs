//! Scenarios: what to generate, how to package it and how to measure it.
//!
//! A scenario file (TOML, see `scenarios/README.md`) is read into the serde "wire" structs
//! of [`wire`], then checked and turned into the domain types below by [`load`]. Every
//! problem found on the way is a [`ScenarioError`] that names the file, line, column and
//! field.

mod context;
mod layout;
mod limits;
mod matrix;
mod overrides;
mod validate;
pub mod variant;
mod wire;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use layout::{ModuleInfo, TreeLayout};
pub use limits::{LIMITS, Limits};
pub use overrides::Overrides;
pub use variant::{
    Bytecode, Compression, Layout, Variant, readable_by, readable_from, readable_note,
};

/// A fully validated scenario, ready to generate and measure.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name, used in case ids and file names (`[a-z0-9_-]+`).
    pub name: String,
    /// Free text shown in reports.
    pub description: String,
    /// Seed of every pseudo-random choice made while generating the tree.
    pub seed: u64,
    /// The file this scenario came from and the sha256 of its bytes.
    pub source: ScenarioSource,
    /// The synthetic module tree (all zeros when the scenario uses a real corpus).
    pub tree: TreeSpec,
    /// Real code to package instead of a generated tree.
    pub corpus: Option<CorpusSpec>,
    /// What the timed section imports.
    pub workload: Workload,
    /// Variants to package and measure, in file order, without duplicates.
    pub variants: Vec<Variant>,
    /// The variant every other one is compared against.
    pub reference: Variant,
    /// Modes, samples and warm-up rounds.
    pub measure: MeasureSpec,
    /// Parameter sweeps declared by the file (`[[sweep]]`); [`expand`] turns them into
    /// one scenario per value.
    pub sweeps: Vec<Sweep>,
    /// For a scenario made by [`expand`]: which sweep point it is.
    pub sweep: Option<SweepPoint>,
}

/// What a sweep varies.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum SweepParam {
    /// `tree.modules`: modules per package (the fit is per module of the whole tree).
    Modules,
    /// `tree.depth`: levels of subpackages.
    Depth,
    /// `tree.lines`: lines per module (module size).
    Lines,
    /// `tree.filler`: archive entries nothing imports.
    Filler,
    /// The level of every deflate variant.
    Level,
}

impl SweepParam {
    /// All parameters, in the order documentation lists them.
    pub const ALL: [SweepParam; 5] = [
        SweepParam::Modules,
        SweepParam::Depth,
        SweepParam::Lines,
        SweepParam::Filler,
        SweepParam::Level,
    ];

    /// The name used in scenario files and results.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// What a chart's x axis shows.
    pub fn axis(self) -> &'static str {
        match self {
            SweepParam::Modules => "modules in the tree",
            SweepParam::Depth => "package depth",
            SweepParam::Lines => "lines per module",
            SweepParam::Filler => "unimported archive entries",
            SweepParam::Level => "deflate level",
        }
    }

    /// What the fitted slope is per (`module`, `entry`, ...).
    pub fn unit(self) -> &'static str {
        match self {
            SweepParam::Modules => "module",
            SweepParam::Depth => "level of depth",
            SweepParam::Lines => "line per module",
            SweepParam::Filler => "unimported entry",
            SweepParam::Level => "deflate level",
        }
    }
}

/// One `[[sweep]]`: a parameter and the values it takes, one scenario each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sweep {
    /// What varies.
    pub parameter: SweepParam,
    /// Its values, in file order.
    pub values: Vec<u32>,
}

/// Where a scenario made by [`expand`] sits in its sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// Name of the scenario file's scenario (the instances are `<base>-<param><value>`).
    pub base: String,
    /// What varies.
    pub parameter: SweepParam,
    /// The value set in the scenario file.
    pub value: u32,
    /// What growth is fitted against: modules of the whole tree (packages included) for
    /// `modules`, the value itself otherwise.
    pub x: f64,
}

/// The scenarios a file declares: the file's own scenario when it has no `[[sweep]]`,
/// else one scenario per swept value (named `<name>-<parameter><value>`, carrying its
/// [`SweepPoint`]); values already validated against every limit.
pub fn expand(s: &Scenario) -> Vec<Scenario> {
    if s.sweeps.is_empty() {
        return vec![s.clone()];
    }
    let mut out = Vec::new();
    for sweep in &s.sweeps {
        for &value in &sweep.values {
            let mut x = s.clone();
            x.sweeps.clear();
            x.name = format!("{}-{}{value}", s.name, sweep.parameter.name());
            match sweep.parameter {
                SweepParam::Modules => x.tree.modules = value,
                SweepParam::Depth => x.tree.depth = value,
                SweepParam::Lines => x.tree.lines = value,
                SweepParam::Filler => x.tree.filler = value,
                SweepParam::Level => {
                    let reference = s.variants.iter().position(|v| *v == s.reference);
                    for v in &mut x.variants {
                        if let Some(Compression::Deflate(_)) = v.compression {
                            v.compression = Some(Compression::Deflate(value as u8));
                        }
                    }
                    if let Some(i) = reference {
                        x.reference = x.variants[i];
                    }
                    // deflate1 and deflate6 variants become the same variant.
                    let mut seen = std::collections::HashSet::new();
                    x.variants.retain(|v| seen.insert(v.id()));
                }
            }
            let point_x = match sweep.parameter {
                SweepParam::Modules => (x.tree.module_count() + x.tree.package_count()) as f64,
                _ => f64::from(value),
            };
            x.sweep = Some(SweepPoint {
                base: s.name.clone(),
                parameter: sweep.parameter,
                value,
                x: point_x,
            });
            out.push(x);
        }
    }
    out
}

/// Where a scenario was read from.
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    /// Path as given on the command line.
    pub path: PathBuf,
    /// Hex sha256 of the file's bytes.
    pub sha256: String,
}

/// Shape and content of the synthetic module tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TreeSpec {
    /// Top-level packages.
    pub packages: u32,
    /// Levels of subpackages below each top-level package (0 = flat packages).
    pub depth: u32,
    /// Subpackages in each package that has children.
    pub subpackages: u32,
    /// Plain modules in every package, at every level.
    pub modules: u32,
    /// Approximate lines of code per module.
    pub lines: u32,
    /// Imports of other modules of the tree that each module makes (at most).
    pub imports: u32,
    /// Non-Python data files per package.
    pub data_files: u32,
    /// Size in bytes of each data file.
    pub data_size: u32,
    /// Name prefix of the top-level packages (`zb` gives `zb0`, `zb1`, ...).
    pub prefix: String,
    /// Tiny data files under `_filler/` that nothing imports: entries an archive's
    /// directory holds (and zipimport parses) for nothing.
    #[serde(default)]
    pub filler: u32,
}

impl TreeSpec {
    /// The spec of a scenario without a generated tree (a `[corpus]` scenario).
    pub fn empty() -> Self {
        TreeSpec {
            packages: 0,
            depth: 0,
            subpackages: 0,
            modules: 0,
            lines: 0,
            imports: 0,
            data_files: 0,
            data_size: 0,
            prefix: String::new(),
            filler: 0,
        }
    }

    /// Number of packages at every level, top-level ones included.
    pub fn package_count(&self) -> u64 {
        let mut per_top = 1u64;
        let mut level = 1u64;
        for _ in 0..self.depth {
            level = level.saturating_mul(u64::from(self.subpackages));
            per_top = per_top.saturating_add(level);
        }
        per_top.saturating_mul(u64::from(self.packages))
    }

    /// Number of plain modules (package `__init__` modules not included).
    pub fn module_count(&self) -> u64 {
        self.package_count().saturating_mul(u64::from(self.modules))
    }
}

/// Real code a scenario packages instead of a generated tree (`[corpus]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CorpusSpec {
    /// The interpreter's own pure-Python standard library; the workload is every module
    /// that imports cleanly from an archive of it in a fresh interpreter.
    Stdlib,
    /// A directory of importable code (a site-packages, a source tree).
    Directory {
        /// The directory (relative paths are relative to the scenario file).
        path: PathBuf,
    },
    /// Wheels, unpacked into one tree (their purelib and platlib parts).
    Wheels {
        /// The wheel files (relative paths are relative to the scenario file).
        paths: Vec<PathBuf>,
    },
    /// A user's own archive (a zipapp `.pyz`, a code bundle, a `.whl` or `.egg`,
    /// possibly with a shebang or other data before the zip): measured as shipped, byte
    /// for byte (variant `shipped`), beside variants derived from its contents.
    Archive {
        /// The archive (relative paths are relative to the scenario file).
        path: PathBuf,
        /// Arguments to run the archive's `__main__` with, once and untimed: the
        /// workload is then the modules that run imported from the archive, in order.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<Vec<String>>,
    },
}

/// Which modules the timed section imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    /// Every package and module of the tree, in tree order.
    All,
    /// The last module of the deepest last package: exposes fixed per-archive costs.
    Leaf,
    /// These modules, in this order.
    Modules(Vec<String>),
}

/// A measurement mode.
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
pub enum Mode {
    /// A fresh worker process per sample.
    Cold,
    /// Repeated imports in one long-lived interpreter, importer caches kept.
    Warm,
    /// A fresh worker per sample after evicting the artifact from the page cache.
    ColdDisk,
    /// Many workers starting at once from the same artifact (see [`FleetSpec`]).
    Fleet,
    /// A running worker picks up a new version of the artifact (see [`HotUpdateSpec`]).
    HotUpdate,
}

impl Mode {
    /// The name used in scenario files, on the command line and in results.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses `cold`, `warm`, `cold-disk`, `fleet` or `hot-update`.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "cold" => Ok(Mode::Cold),
            "warm" => Ok(Mode::Warm),
            "cold-disk" => Ok(Mode::ColdDisk),
            "fleet" => Ok(Mode::Fleet),
            "hot-update" => Ok(Mode::HotUpdate),
            _ => Err(format!(
                "unknown mode `{name}`; expected cold, warm, cold-disk, fleet or hot-update"
            )),
        }
    }

    /// Whether the mode takes one timed import per sample (cold, warm, cold-disk),
    /// recorded as a case with samples; fleet and hot-update have records of their own.
    pub fn is_sampled(self) -> bool {
        matches!(self, Mode::Cold | Mode::Warm | Mode::ColdDisk)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureSpec {
    /// Modes to measure, without duplicates.
    pub modes: Vec<Mode>,
    /// Timed samples per case (the most, with `precision`).
    pub samples: u32,
    /// `precision`, percent: a case stops sampling once the 95% interval of its ratio
    /// to the reference is within +-this much (see [`crate::measure::Adaptive`]).
    pub precision: Option<f64>,
    /// `min-samples`: samples every case takes before `precision` may stop it.
    pub min_samples: u32,
    /// `reference-every`: the reference of each mode is sampled once after every this
    /// many of its cases in a round (0: once a round).
    pub reference_every: u32,
    /// `focus`: the cases the scenario asks its question about, which sample longer
    /// and to a finer precision than the rest.
    pub focus: Option<Focus>,
    /// Untimed rounds before the timed ones (warm mode always does at least one).
    pub warmup: u32,
    /// Seconds a worker may take for one sample before it is killed.
    pub timeout_secs: u32,
    /// Also count instructions of every cold case (under callgrind).
    pub instructions: bool,
    /// Instruction-count samples per cold case.
    pub instruction_samples: u32,
    /// Settings of the `fleet` mode.
    pub fleet: FleetSpec,
    /// Settings of the `hot-update` mode.
    pub hot_update: HotUpdateSpec,
    /// `lazy-imports`: the settings of the global lazy-imports flag (PEP 810, Python
    /// 3.15 and later) to measure each case under; `[Normal]` unless asked.
    pub lazy_imports: Vec<LazyImports>,
    /// The setting this scenario instance is measured under (set when the run plans
    /// its instances; `Normal` until then).
    pub lazy: LazyImports,
    /// Where `lazy-imports` was given (line, column), for errors found later.
    pub lazy_imports_at: Option<(usize, usize)>,
    /// `trace`: write each variant's profiled import as trace files (as `run
    /// --trace`).
    pub trace: bool,
}

/// A setting of the global lazy-imports flag (`-X lazy_imports=...`, PEP 810).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum LazyImports {
    /// Import statements run when executed (every Python's behaviour).
    Normal,
    /// Every top-level import statement is deferred until the name is first used
    /// (`-X lazy_imports=all`).
    All,
}

impl LazyImports {
    /// The name in scenario files and results.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The cases a scenario's question is about (`focus`, `focus-modes`,
/// `focus-samples`, `focus-precision`): adaptive sampling gives them a higher cap and a
/// finer precision than the others, so the budget goes where the question is.
#[derive(Debug, Clone, PartialEq)]
pub struct Focus {
    /// The focus variants.
    pub variants: Vec<Variant>,
    /// Modes in which they are the focus (default: the first measured mode).
    pub modes: Vec<Mode>,
    /// The most samples a focus case takes.
    pub samples: u32,
    /// Its precision, percent.
    pub precision: f64,
}

impl Focus {
    /// Whether the case of `variant` in `mode` is a focus case.
    pub fn covers(&self, variant: Variant, mode: Mode) -> bool {
        self.modes.contains(&mode) && self.variants.contains(&variant)
    }
}

/// How the processes of a fleet get their artifact.
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
pub enum Sharing {
    /// Every process imports from the same file or tree.
    Shared,
    /// Every process imports from its own copy.
    Copies,
}

impl Sharing {
    /// The name used in scenario files and results.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The state of the artifact's pages in the page cache when a fleet starts.
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
pub enum PageCache {
    /// As the previous round left them (resident).
    Warm,
    /// Evicted before every round, like `cold-disk`.
    Cold,
}

impl PageCache {
    /// The name used in scenario files and results.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// `[fleet]`: many workers starting at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSpec {
    /// Fleet sizes, ascending, without duplicates.
    pub processes: Vec<u32>,
    /// Shared artifact, per-process copies, or both.
    pub sharing: Vec<Sharing>,
    /// Page-cache states to start from.
    pub page_cache: Vec<PageCache>,
    /// Fleet starts per configuration.
    pub rounds: u32,
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            processes: vec![1, 4, 16],
            sharing: vec![Sharing::Shared, Sharing::Copies],
            page_cache: vec![PageCache::Warm, PageCache::Cold],
            rounds: 5,
        }
    }
}

/// How a running process picks up a new version of its code.
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
pub enum Pickup {
    /// `importlib.invalidate_caches()`, then `importlib.reload` of every module.
    InvalidateReload,
    /// `importlib.reload` of every module, caches kept (the common mistake).
    Reload,
}

impl Pickup {
    /// The name used in scenario files and results.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// `[hot-update]`: replacing the artifact under a running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotUpdateSpec {
    /// Pick-up procedures to measure.
    pub pickups: Vec<Pickup>,
    /// Updates per variant, swap strategy and procedure.
    pub rounds: u32,
}

impl Default for HotUpdateSpec {
    fn default() -> Self {
        HotUpdateSpec {
            pickups: vec![Pickup::InvalidateReload, Pickup::Reload],
            rounds: 10,
        }
    }
}

/// A scenario file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario {}", path.display())]
    Io {
        /// The scenario file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A syntax, type or value error at a known place.
    #[error("{}:{line}:{column}: {field}: {message}", path.display())]
    Invalid {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Dotted field path (`tree.modules`), or `(syntax)` for a TOML syntax error.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &bytes)
}

/// Parses and validates scenario text; `path` is only used in errors and metadata.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
    use sha2::Digest;
    let sha256 = hex::encode(sha2::Sha256::digest(bytes));
    let text = std::str::from_utf8(bytes).map_err(|e| ScenarioError::Invalid {
        path: path.to_owned(),
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        column: 1,
        field: "(file)".into(),
        message: "file is not valid UTF-8".into(),
    })?;
    let source = ScenarioSource {
        path: path.to_owned(),
        sha256,
    };
    validate::parse_and_validate(text, source)
}
