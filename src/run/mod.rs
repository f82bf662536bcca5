//! The `run` and `generate` commands: the pipeline from scenario files to artifacts to
//! measurements to a results file, journaled so a stopped run can be resumed. Takes
//! typed options; knows nothing of the CLI.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

mod generate;

pub use generate::{Manifest, ManifestVariant, generate_command};

use anyhow::{Context, Result, bail};

use crate::generate::{SourceTree, generate};
use crate::measure::{self, MeasureOptions, Outcome, Status, StopFlag, Taken, WorkerCommand};
use crate::package::{self, Artifact};
use crate::python;
use crate::results::journal::{self, Entry, JOURNAL_VERSION, Journal};
use crate::results::{self, Results, RunMetadata, SCHEMA_VERSION, ScenarioInfo};
use crate::scenario::{self, Mode, Scenario, Variant, Workload};

/// Options of `zipimport-bench run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Scenario files, measured in this order (ignored with `resume`: the journal says).
    pub scenarios: Vec<PathBuf>,
    /// Directory for `results.json`, the reports and the journal (and `artifacts/`
    /// with `keep_artifacts`).
    pub out_dir: PathBuf,
    /// Override of every scenario's sample count.
    pub samples: Option<u32>,
    /// Override of every scenario's warm-up rounds.
    pub warmup: Option<u32>,
    /// Override of every scenario's modes.
    pub modes: Option<Vec<Mode>>,
    /// Override of every scenario's per-request timeout, seconds.
    pub timeout_secs: Option<u32>,
    /// Override of every scenario's instruction counting (`--measure`).
    pub instructions: Option<bool>,
    /// Keep the generated artifacts in `out_dir/artifacts` instead of a temporary
    /// directory removed at the end.
    pub keep_artifacts: bool,
    /// Finish the interrupted run recorded in `out_dir/journal.jsonl`.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// The binary whose `__worker` subcommand runs samples.
    pub worker_exe: PathBuf,
    /// Arguments to record in the metadata.
    pub command_line: Vec<String>,
    /// Raised to stop the run early (Ctrl-C, SIGTERM).
    pub stop: StopFlag,
    /// External CPython executables to measure beside the embedded interpreter, each
    /// with its own bytecode and artifacts (scenario instances `<name>-py<version>`).
    pub pythons: Vec<PathBuf>,
    /// Measure only shard K of N (1-based): a deterministic share of the cases, see
    /// [`in_shard`].
    pub shard: Option<(u32, u32)>,
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
    /// Whether the run was stopped before it finished (`--resume` completes it).
    pub interrupted: bool,
}

/// The journal's file name in the output directory.
pub const JOURNAL: &str = "journal.jsonl";

/// Runs every scenario and writes `out_dir/results.json`, the reports and the journal.
/// Stopped early, it still writes valid results with every sample taken so far.
pub fn run(opts: &RunOptions) -> Result<RunOutput> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let journal_path = opts.out_dir.join(JOURNAL);

    // With --resume, the journal says what the run was.
    let recovered = if opts.resume {
        let rec = journal::read(&journal_path)?;
        if rec.ended {
            bail!(
                "nothing to resume: the run in {} finished (its results are complete)",
                opts.out_dir.display()
            );
        }
        Some(rec)
    } else {
        None
    };
    let opts = match &recovered {
        Some(rec) => with_header(opts, &rec.header),
        None => opts.clone(),
    };

    // Validate every scenario before any work starts; sweeps become one scenario per
    // value.
    let mut scenarios = Vec::new();
    for path in &opts.scenarios {
        for s in scenario::expand(&scenario::load(path)?) {
            scenarios.push(s);
        }
    }
    for s in &mut scenarios {
        let path = &s.source.path.clone();
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
        if let Some(i) = opts.instructions {
            s.measure.instructions = i;
        }
        if s.corpus.is_some() && s.measure.modes.contains(&Mode::HotUpdate) {
            bail!(
                "{}: mode hot-update needs a generated [tree]: it checks the ZIB_VERSION \
                 constant every generated module carries, which a [corpus] does not have",
                path.display()
            );
        }
        if let Some(rec) = &recovered {
            if let Some(old) = rec.scenarios.get(&s.name) {
                if *old != s.source.sha256 {
                    bail!(
                        "cannot resume: {} changed since the interrupted run (sha256 {} then, {} now)",
                        path.display(),
                        short(old),
                        short(&s.source.sha256)
                    );
                }
            }
        }
    }
    let python = python::info()?;
    // External interpreters: each scenario once more per interpreter, with its own
    // bytecode and artifacts.
    let mut externals = Vec::new();
    for path in &opts.pythons {
        let info = python::external::query(path)?;
        if externals
            .iter()
            .any(|(_, i): &(PathBuf, python::PythonInfo)| i.version == info.version)
        {
            bail!(
                "{} is Python {}, which another --python already is",
                path.display(),
                info.version_short
            );
        }
        externals.push((path.clone(), info));
    }
    let mut instances: Vec<(Scenario, Option<(PathBuf, python::PythonInfo)>)> = Vec::new();
    for s in &scenarios {
        instances.push((s.clone(), None));
        for (path, info) in &externals {
            let mut x = s.clone();
            x.name = format!("{}-py{}", s.name, info.version_short);
            instances.push((x, Some((path.clone(), info.clone()))));
        }
    }

    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("creating {}", opts.out_dir.display()))?;
    let mut journal = match &recovered {
        Some(_) => Journal::reopen(&journal_path)?,
        None => Journal::create(&journal_path, &header(&opts))?,
    };

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
    let mut fleet = Vec::new();
    let mut hot_updates = Vec::new();
    let mut interrupted = false;
    let mut shard_index = 0usize;
    for (s, external) in &instances {
        if opts.stop.is_raised() {
            interrupted = true;
            break;
        }
        // A shard measures every (instance, variant) whose position in the run's
        // deterministic order falls to it.
        let mut s = s.clone();
        if let Some((k, n)) = opts.shard {
            s.variants.retain(|_| {
                let mine = shard_index % n as usize == (k - 1) as usize;
                shard_index += 1;
                mine
            });
            if s.variants.is_empty() {
                continue;
            }
        }
        let s = &s;
        if recovered
            .as_ref()
            .is_none_or(|r| !r.scenarios.contains_key(&s.name))
        {
            journal.append(&Entry::Scenario {
                name: s.name.clone(),
                sha256: s.source.sha256.clone(),
            })?;
        }
        let dir = work_root.join(&s.name);
        let t = Instant::now();
        let built = build_instance(s, &dir, external.as_ref().map(|(p, i)| (p, i)))?;
        let (tree, artifacts, corpus) = (built.tree, built.artifacts, built.corpus);
        let generate_s = t.elapsed().as_secs_f64();
        for a in &artifacts {
            let key = (s.name.clone(), a.variant.id());
            match recovered.as_ref().and_then(|r| r.artifacts.get(&key)) {
                Some(old) if *old != a.info.sha256 => bail!(
                    "cannot resume: artifact {} of {} is not byte-identical to the interrupted \
                     run's (sha256 {} then, {} now); was the harness or the interpreter changed?",
                    key.1,
                    s.name,
                    short(old),
                    short(&a.info.sha256)
                ),
                Some(_) => {}
                None => journal.append(&Entry::Artifact {
                    scenario: key.0,
                    variant: key.1,
                    sha256: a.info.sha256.clone(),
                })?,
            }
        }
        eprintln!(
            "{}: generated {} modules ({}) and packaged {} variants in {:.1} s",
            s.name,
            tree.layout.modules().len(),
            crate::format::format_size(tree.total_bytes()),
            artifacts.len(),
            generate_s
        );
        let modules = match &corpus {
            None => tree.layout.workload_modules(&s.workload),
            Some(c) => c.workload(&s.workload)?,
        };
        let workload = measure::Workload {
            roots: match &corpus {
                None => tree_roots(&tree),
                Some(_) => roots(&modules),
            },
            modules,
        };
        let measure_opts = MeasureOptions {
            worker: WorkerCommand {
                exe: opts.worker_exe.clone(),
                work_dir: dir.clone(),
                timeout: std::time::Duration::from_secs(u64::from(s.measure.timeout_secs)),
                stop: opts.stop.clone(),
                external: match external {
                    None => None,
                    Some((python, _)) => Some(
                        measure::ExternalWorker::install(python, &dir.join("worker"))
                            .with_context(|| {
                                format!("installing the worker in {}", dir.display())
                            })?,
                    ),
                },
            },
            modes: s.measure.modes.clone(),
            samples: s.measure.samples,
            warmup: s.measure.warmup,
            seed: s.seed,
            progress: opts.progress,
            // Instruction counting runs the harness binary under callgrind: embedded only.
            instructions: (s.measure.instructions && external.is_none())
                .then_some(s.measure.instruction_samples),
        };
        eprintln!(
            "{}: measuring {} variants x {} modes, {} samples after {} warm-up rounds{}",
            s.name,
            artifacts.len(),
            s.measure.modes.len(),
            s.measure.samples,
            s.measure.warmup,
            if recovered.is_some() {
                " (resuming)"
            } else {
                ""
            }
        );
        let initial = |variant: &str, mode: Mode| {
            recovered
                .as_ref()
                .map(|r| r.case(&s.name, variant, mode))
                .unwrap_or_default()
        };
        let mut journal_error = None;
        let mut on_sample = |v: &Variant, mode: Mode, taken: Taken, outcome: &Outcome| {
            let entry = match (taken, outcome) {
                (Taken::Kept, Outcome::Sample(x)) => Entry::Sample {
                    scenario: s.name.clone(),
                    variant: v.id(),
                    mode,
                    wall_ns: x.wall_ns,
                    cpu_ns: x.cpu_ns,
                    user_ns: x.user_ns,
                    sys_ns: x.sys_ns,
                    startup_ns: x.startup_ns,
                    resident: x.resident,
                    overhead_ns: x.overhead_ns,
                    round: x.round,
                    slot: x.slot,
                },
                (Taken::Failed, Outcome::Failed(e)) => Entry::Failure {
                    scenario: s.name.clone(),
                    variant: v.id(),
                    mode,
                    error: e.clone(),
                },
                _ => return,
            };
            if let Err(e) = journal.append(&entry) {
                journal_error.get_or_insert(e);
            }
        };
        let measured = measure::measure(
            &artifacts,
            &workload,
            &measure_opts,
            &initial,
            &mut on_sample,
        )?;
        if let Some(e) = journal_error {
            return Err(e);
        }
        interrupted |= measured.interrupted;
        if !interrupted && s.measure.modes.contains(&Mode::Fleet) {
            eprintln!(
                "{}: fleet of {:?} processes, {} rounds per configuration",
                s.name, s.measure.fleet.processes, s.measure.fleet.rounds
            );
            let (outcomes, stopped) = measure::fleet::measure(
                &artifacts,
                &measured.probe_failures,
                &workload,
                &measure_opts,
                &s.measure.fleet,
            )?;
            interrupted |= stopped;
            fleet.extend(
                results::fleet_cases(&s.name, outcomes)
                    .into_iter()
                    .map(|mut f| {
                        f.shard = opts.shard;
                        f
                    }),
            );
        }
        if !interrupted && s.measure.modes.contains(&Mode::HotUpdate) {
            let external = external.as_ref().map(|(p, i)| (p, i));
            let updates = package_update(&tree, &artifacts, &measured.usable, &dir, external)?;
            eprintln!(
                "{}: hot update, {} rounds per case",
                s.name, s.measure.hot_update.rounds
            );
            let (outcomes, stopped) = measure::hot_update::measure(
                &artifacts,
                &updates,
                &measured.probe_failures,
                &workload,
                &measure_opts,
                &s.measure.hot_update,
            )?;
            interrupted |= stopped;
            hot_updates.extend(results::hot_update_cases(&s.name, outcomes));
        }
        let mut new_cases = results::cases(&s.name, &s.reference, measured.cases, &artifacts);
        let version = external
            .as_ref()
            .map_or(&python.version_short, |(_, i)| &i.version_short);
        for c in &mut new_cases {
            c.sweep.clone_from(&s.sweep);
            c.python = Some(version.clone());
            c.shard = opts.shard;
        }
        if let Some(c) = corpus.as_ref().filter(|c| !c.extensions.is_empty()) {
            for case in &mut new_cases {
                if case.layout == crate::scenario::Layout::Zip && case.status == Status::Ok {
                    case.warnings.push(format!(
                        "the archive holds {} extension module(s), e.g. {}, which zipimport \
                         cannot load: this workload does not import them, others would fail",
                        c.extensions.len(),
                        c.extensions[0]
                    ));
                } else if case.layout == crate::scenario::Layout::Zip {
                    case.status = Status::Unsupported;
                    case.error = Some(format!(
                        "{} (the corpus holds {} extension module(s), e.g. {}, and zipimport \
                         cannot load extension modules from an archive)",
                        case.error.as_deref().unwrap_or("the import failed"),
                        c.extensions.len(),
                        c.extensions[0]
                    ));
                }
            }
        }
        cases.extend(new_cases);
        let mut info = scenario_info(s, &tree, &workload.modules, generate_s);
        info.corpus = corpus
            .as_ref()
            .zip(s.corpus.as_ref())
            .map(|(c, spec)| c.info(spec));
        info.python = external.as_ref().map(|(_, i)| i.clone());
        info.shard = opts.shard;
        infos.push(info);
        if interrupted {
            break;
        }
    }

    // Every record that failed counts, fleet configurations and hot updates included.
    let failed_cases = cases.iter().filter(|c| c.status == Status::Error).count()
        + fleet.iter().filter(|c| c.status == Status::Error).count()
        + hot_updates
            .iter()
            .filter(|c| c.status == Status::Error)
            .count();
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
            complete: !interrupted,
            shards: Vec::new(),
        },
        scenarios: infos,
        cases,
        fleet,
        hot_updates,
    };
    let results_path = opts.out_dir.join("results.json");
    results::write(&results, &results_path)?;
    crate::report::write_reports(&results, &opts.out_dir)?;
    if !interrupted {
        journal.append(&Entry::End)?;
    }
    Ok(RunOutput {
        results,
        results_path,
        failed_cases,
        interrupted,
    })
}

/// The journal header recording how this run was started.
fn header(opts: &RunOptions) -> Entry {
    Entry::Header {
        version: JOURNAL_VERSION,
        scenarios: opts.scenarios.clone(),
        samples: opts.samples,
        warmup: opts.warmup,
        modes: opts.modes.clone(),
        timeout_secs: opts.timeout_secs,
        instructions: opts.instructions,
        keep_artifacts: opts.keep_artifacts,
        pythons: opts.pythons.clone(),
        shard: opts.shard,
    }
}

/// Options of a resumed run: the interrupted run's, from its journal header.
fn with_header(opts: &RunOptions, header: &Entry) -> RunOptions {
    let mut o = opts.clone();
    if let Entry::Header {
        scenarios,
        samples,
        warmup,
        modes,
        timeout_secs,
        instructions,
        keep_artifacts,
        pythons,
        shard,
        ..
    } = header
    {
        o.pythons.clone_from(pythons);
        o.shard = *shard;
        o.scenarios.clone_from(scenarios);
        o.samples = *samples;
        o.warmup = *warmup;
        o.modes.clone_from(modes);
        o.timeout_secs = *timeout_secs;
        o.instructions = *instructions;
        o.keep_artifacts = *keep_artifacts;
    }
    o
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Generates a scenario's tree (or reads its corpus) and packages every variant under
/// `dir`.
pub fn build_artifacts(s: &Scenario, dir: &Path) -> Result<(SourceTree, Vec<Artifact>)> {
    let built = build_instance(s, dir, None)?;
    Ok((built.tree, built.artifacts))
}

/// What [`build_instance`] made.
pub struct Built {
    /// The generated tree or the corpus's files.
    pub tree: SourceTree,
    /// Every variant, packaged.
    pub artifacts: Vec<Artifact>,
    /// The corpus, for `[corpus]` scenarios.
    pub corpus: Option<crate::corpus::Corpus>,
}

/// As [`build_artifacts`], with bytecode compiled (and a standard-library corpus read)
/// by an external interpreter when one is given.
pub fn build_instance(
    s: &Scenario,
    dir: &Path,
    external: Option<(&PathBuf, &python::PythonInfo)>,
) -> Result<Built> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let compile = |tree: &SourceTree| compile_with(tree, external);
    let (tree, compiled, corpus) = match &s.corpus {
        None => {
            let tree = generate(&s.tree, s.seed);
            let compiled = compile(&tree)?;
            (tree, compiled, None)
        }
        Some(spec) => {
            let python = external.map_or(Path::new(python::PYTHON_EXECUTABLE), |(p, _)| p);
            let (tree, compiled, c) = crate::corpus::load(spec, python, &compile, dir)?;
            (tree, compiled, Some(c))
        }
    };
    let artifacts = package::package_all(&s.variants, &tree, &compiled, dir)?;
    Ok(Built {
        tree,
        artifacts,
        corpus,
    })
}

/// Compiles `tree` with the embedded interpreter, or with the external one given.
fn compile_with(
    tree: &SourceTree,
    external: Option<(&PathBuf, &python::PythonInfo)>,
) -> Result<package::CompiledTree> {
    match external {
        None => package::compile(tree),
        Some((path, info)) => package::compile_external(path, info, tree),
    }
}

/// Version 2 of every usable artifact (see `SourceTree::updated`), for hot updates;
/// an unusable artifact stands in for itself (it is never updated).
fn package_update(
    tree: &SourceTree,
    artifacts: &[Artifact],
    usable: &[bool],
    dir: &Path,
    external: Option<(&PathBuf, &python::PythonInfo)>,
) -> Result<Vec<Artifact>> {
    let v2 = tree.updated(2);
    let compiled = compile_with(&v2, external)?;
    let variants: Vec<Variant> = artifacts
        .iter()
        .zip(usable)
        .filter(|(_, u)| **u)
        .map(|(a, _)| a.variant)
        .collect();
    let mut packaged =
        package::package_all(&variants, &v2, &compiled, &dir.join("update"))?.into_iter();
    Ok(artifacts
        .iter()
        .zip(usable)
        .map(|(a, u)| match u {
            true => packaged.next().expect("one update per usable artifact"),
            false => a.clone(),
        })
        .collect())
}

/// The top-level packages of a generated tree: what a reset forgets and verification
/// checks.
pub fn tree_roots(tree: &SourceTree) -> Vec<String> {
    tree.layout
        .packages()
        .iter()
        .filter(|p| !p.contains('/'))
        .cloned()
        .collect()
}

/// Top-level names of a corpus's workload: what a reset forgets and verification
/// checks (a generated tree's are its top-level packages).
fn roots(modules: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in modules {
        let top = m.split('.').next().unwrap_or(m).to_owned();
        if !out.contains(&top) {
            out.push(top);
        }
    }
    out
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
        sweep: s.sweep.clone(),
        python: None,
        shard: None,
        corpus: None,
        tree_files: tree.files.len() as u64,
        tree_bytes: tree.total_bytes(),
        generate_s,
    }
}
