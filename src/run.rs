//! The `run` and `generate` commands: the pipeline from scenario files to artifacts to
//! measurements to a results file. Takes typed options; knows nothing of the CLI.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::generate::{SourceTree, generate};
use crate::measure::{self, MeasureOptions, Status, WorkerCommand};
use crate::package::{self, Artifact, relative_to};
use crate::python;
use crate::results::{self, Results, RunMetadata, SCHEMA_VERSION, ScenarioInfo};
use crate::scenario::{self, Mode, Scenario, Workload};

/// Options of `zipimport-bench run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenario files, measured in this order.
    pub scenarios: Vec<PathBuf>,
    /// Directory for `results.json` (and `artifacts/` with `keep_artifacts`).
    pub out_dir: PathBuf,
    /// Override of every scenario's sample count.
    pub samples: Option<u32>,
    /// Override of every scenario's warm-up rounds.
    pub warmup: Option<u32>,
    /// Override of every scenario's modes.
    pub modes: Option<Vec<Mode>>,
    /// Override of every scenario's per-request timeout, seconds.
    pub timeout_secs: Option<u32>,
    /// Keep the generated artifacts in `out_dir/artifacts` instead of a temporary
    /// directory removed at the end.
    pub keep_artifacts: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// The binary whose `__worker` subcommand runs samples.
    pub worker_exe: PathBuf,
    /// Arguments to record in the metadata.
    pub command_line: Vec<String>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutput {
    /// Everything measured.
    pub results: Results,
    /// Where the results were written.
    pub results_path: PathBuf,
    /// Cases whose status is `error`.
    pub failed_cases: usize,
}

/// Runs every scenario and writes `out_dir/results.json`.
pub fn run(opts: &RunOptions) -> Result<RunOutput> {
    let started = SystemTime::now();
    let clock = Instant::now();
    // Validate every scenario before any work starts.
    let mut scenarios = Vec::new();
    for path in &opts.scenarios {
        let mut s = scenario::load(path)?;
        if let Some(n) = opts.samples {
            s.measure.samples = n;
        }
        if let Some(n) = opts.warmup {
            s.measure.warmup = n;
        }
        if let Some(m) = &opts.modes {
            s.measure.modes.clone_from(m);
        }
        if let Some(t) = opts.timeout_secs {
            s.measure.timeout_secs = t;
        }
        scenarios.push(s);
    }
    let python = python::info()?;

    let temp;
    let work_root: PathBuf = if opts.keep_artifacts {
        let dir = opts.out_dir.join("artifacts");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        dir
    } else {
        temp = tempfile::Builder::new()
            .prefix("zipimport-bench-")
            .tempdir()
            .context("creating a temporary directory for artifacts")?;
        temp.path().to_owned()
    };

    let mut infos = Vec::new();
    let mut cases = Vec::new();
    for s in &scenarios {
        let dir = work_root.join(&s.name);
        let t = Instant::now();
        let (tree, artifacts) = build_artifacts(s, &dir)?;
        let generate_s = t.elapsed().as_secs_f64();
        eprintln!(
            "{}: generated {} modules ({}) and packaged {} variants in {:.1} s",
            s.name,
            tree.layout.modules().len(),
            crate::report::format_size(tree.total_bytes()),
            artifacts.len(),
            generate_s
        );
        let workload = measure::Workload {
            modules: tree.layout.workload_modules(&s.workload),
            roots: roots(&tree),
        };
        let measure_opts = MeasureOptions {
            worker: WorkerCommand {
                exe: opts.worker_exe.clone(),
                work_dir: dir.clone(),
                timeout: std::time::Duration::from_secs(u64::from(s.measure.timeout_secs)),
            },
            modes: s.measure.modes.clone(),
            samples: s.measure.samples,
            warmup: s.measure.warmup,
            progress: opts.progress,
        };
        eprintln!(
            "{}: measuring {} variants x {} modes, {} samples after {} warm-up rounds",
            s.name,
            artifacts.len(),
            s.measure.modes.len(),
            s.measure.samples,
            s.measure.warmup
        );
        let outcomes = measure::measure(&artifacts, &workload, &measure_opts)?;
        cases.extend(results::cases(&s.name, &s.reference, outcomes, &artifacts));
        infos.push(scenario_info(s, &tree, &workload.modules, generate_s));
    }

    let failed_cases = cases.iter().filter(|c| c.status == Status::Error).count();
    let results = Results {
        schema_version: SCHEMA_VERSION,
        metadata: RunMetadata {
            started_at: humantime::format_rfc3339_seconds(started).to_string(),
            finished_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            duration_s: clock.elapsed().as_secs_f64(),
            harness: results::harness(),
            host: results::host(),
            python,
            command_line: opts.command_line.clone(),
        },
        scenarios: infos,
        cases,
    };
    let results_path = opts.out_dir.join("results.json");
    results::write(&results, &results_path)?;
    crate::report::write_reports(&results, &opts.out_dir)?;
    Ok(RunOutput {
        results,
        results_path,
        failed_cases,
    })
}

/// Generates a scenario's tree and packages every variant under `dir`.
pub fn build_artifacts(s: &Scenario, dir: &Path) -> Result<(SourceTree, Vec<Artifact>)> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tree = generate(&s.tree, s.seed);
    let compiled = package::compile(&tree)?;
    let artifacts = package::package_all(&s.variants, &tree, &compiled, dir)?;
    Ok((tree, artifacts))
}

fn roots(tree: &SourceTree) -> Vec<String> {
    tree.layout
        .packages()
        .iter()
        .filter(|p| !p.contains('/'))
        .cloned()
        .collect()
}

fn scenario_info(
    s: &Scenario,
    tree: &SourceTree,
    modules: &[String],
    generate_s: f64,
) -> ScenarioInfo {
    ScenarioInfo {
        name: s.name.clone(),
        description: s.description.clone(),
        path: s.source.path.display().to_string(),
        sha256: s.source.sha256.clone(),
        seed: s.seed,
        tree: s.tree.clone(),
        workload: match s.workload {
            Workload::All => "all",
            Workload::Leaf => "leaf",
            Workload::Modules(_) => "modules",
        }
        .to_owned(),
        workload_modules: modules.to_vec(),
        reference: s.reference.clone(),
        samples: s.measure.samples,
        warmup: s.measure.warmup,
        modes: s.measure.modes.clone(),
        timeout_secs: s.measure.timeout_secs,
        tree_files: tree.files.len() as u64,
        tree_bytes: tree.total_bytes(),
        generate_s,
    }
}

/// `manifest.json` of `zipimport-bench generate`.
#[derive(Debug, Serialize)]
pub struct Manifest {
    /// Format version of this manifest.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Hex sha256 of the scenario file.
    pub scenario_sha256: String,
    /// `sys.implementation.cache_tag` of the interpreter that compiled the bytecode.
    pub python_cache_tag: String,
    /// Modules the workload imports, in order.
    pub workload: Vec<String>,
    /// One entry per variant.
    pub variants: Vec<ManifestVariant>,
}

/// One variant of a [`Manifest`].
#[derive(Debug, Serialize)]
pub struct ManifestVariant {
    /// Variant id.
    pub id: String,
    /// `dir` or `zip`.
    pub layout: scenario::Layout,
    /// Compression method, null for directories.
    pub compression: Option<String>,
    /// Compression level, where the method has one.
    pub level: Option<u8>,
    /// Bytecode mode.
    pub bytecode: scenario::Bytecode,
    /// Directory or `.zip` file, relative to the manifest.
    pub path: PathBuf,
    /// Bytes.
    pub size: u64,
    /// Members or files.
    pub entries: u64,
    /// Hex sha256 (see FORMAT.md for directories).
    pub sha256: String,
}

/// Materialises every variant of a scenario in `out_dir` and writes its manifest.
pub fn generate_command(scenario_path: &Path, out_dir: &Path) -> Result<Manifest> {
    let s = scenario::load(scenario_path)?;
    prepare_out_dir(out_dir)?;
    let (tree, artifacts) = build_artifacts(&s, out_dir)?;
    let manifest = Manifest {
        schema_version: 1,
        scenario: s.name.clone(),
        scenario_sha256: s.source.sha256.clone(),
        python_cache_tag: python::info()?.cache_tag,
        workload: tree.layout.workload_modules(&s.workload),
        variants: artifacts
            .iter()
            .map(|a| ManifestVariant {
                id: a.variant.id(),
                layout: a.variant.layout,
                compression: a.variant.compression.map(|c| c.method().to_owned()),
                level: a.variant.compression.and_then(|c| c.level()),
                bytecode: a.variant.bytecode,
                path: relative_to(&a.info.path, out_dir),
                size: a.info.size,
                entries: a.info.entries,
                sha256: a.info.sha256.clone(),
            })
            .collect(),
    };
    let path = out_dir.join("manifest.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(manifest)
}

/// Makes `dir` an empty directory: creates it, or empties it if it holds an earlier
/// `generate` output (a `manifest.json`); refuses to touch anything else.
fn prepare_out_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty {
            if !dir.join("manifest.json").is_file() {
                bail!(
                    "{} exists and is not empty; give a new or empty directory, or one an \
                     earlier `generate` wrote",
                    dir.display()
                );
            }
            std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
