//! The third stage of a run, for one scenario instance: build its artifacts (journaling
//! their hashes), take its interleaved samples (journaling every one), then its fleets
//! and hot updates, and turn what was measured into results records.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::RunOptions;
use super::build::{Built, build_instance, package_update, roots, tree_roots};
use super::plan::short;
use crate::corpus::Corpus;
use crate::format::count;
use crate::generate::SourceTree;
use crate::measure::{self, MeasureOptions, Outcome, Taken, WorkerCommand};
use crate::package::Artifact;
use crate::python::PythonInfo;
use crate::results::journal::{Entry, Journal, Recovered};
use crate::results::{self, CaseResult, FleetCase, HotUpdateCase, ScenarioInfo};
use crate::scenario::{Layout, LazyImports, Mode, Scenario, Variant, Workload};
use crate::status::Status;

/// What the run shares with every instance it measures.
pub(super) struct RunContext<'a> {
    /// The run's options.
    pub opts: &'a RunOptions,
    /// What an interrupted run had measured, when resuming.
    pub recovered: Option<&'a Recovered>,
    /// Where each instance's artifacts are built.
    pub work_root: &'a Path,
    /// The embedded interpreter.
    pub python: &'a PythonInfo,
    /// The CPU quota every worker joins, with `--cpu-quota`.
    pub quota: Option<&'a std::sync::Arc<crate::measure::QuotaGroup>>,
}

/// Everything one instance produced.
pub(super) struct Measured {
    /// The scenario as it was run.
    pub info: ScenarioInfo,
    /// Its per-sample cases.
    pub cases: Vec<CaseResult>,
    /// Its fleet configurations.
    pub fleet: Vec<FleetCase>,
    /// Its hot-update cases.
    pub hot_updates: Vec<HotUpdateCase>,
    /// Whether the run was stopped while measuring it.
    pub interrupted: bool,
}

/// Builds and measures one scenario instance, under the external interpreter given (or
/// the embedded one).
pub(super) fn measure_instance(
    ctx: &RunContext,
    journal: &mut Journal,
    s: &Scenario,
    external: Option<&(PathBuf, PythonInfo)>,
) -> Result<Measured> {
    let launcher = match external {
        Some((python, _)) if s.measure.lazy == LazyImports::All => Some(lazy_launcher(
            python,
            &ctx.work_root.join(format!("{}.python", s.name)),
        )?),
        _ => None,
    };
    let external = match (&launcher, external) {
        (Some(l), _) => Some((&l.0, &l.1)),
        (None, e) => e.map(|(p, i)| (p, i)),
    };
    let dir = ctx.work_root.join(&s.name);
    let t = Instant::now();
    let built = build_instance(s, &dir, external)?;
    let generate_s = t.elapsed().as_secs_f64();
    record_build(ctx, journal, s, &built.artifacts)?;
    crate::note!(
        "{}: generated {} ({}) and packaged {} in {:.1} s",
        s.name,
        count(built.tree.layout.modules().len() as u64, "module"),
        crate::format::format_size(built.tree.total_bytes()),
        count(built.artifacts.len() as u64, "variant"),
        generate_s
    );
    let workload = workload(s, &built)?;
    let measure_opts = measure_options(ctx, s, &dir, external)?;
    let Built {
        tree,
        artifacts,
        corpus,
    } = built;

    let sampled = take_samples(ctx, journal, s, &artifacts, &workload, &measure_opts)?;
    let mut interrupted = sampled.interrupted;
    let mut fleet = Vec::new();
    if !interrupted && s.measure.modes.contains(&Mode::Fleet) {
        crate::note!(
            "{}: fleet of {:?} processes, {} rounds per configuration",
            s.name,
            s.measure.fleet.processes,
            s.measure.fleet.rounds
        );
        let (outcomes, stopped) = measure::fleet::measure(
            &artifacts,
            &sampled.probe_failures,
            &workload,
            &measure_opts,
            &s.measure.fleet,
        )?;
        interrupted |= stopped;
        fleet = results::fleet_cases(&s.name, outcomes);
        for f in &mut fleet {
            f.shard = ctx.opts.plan.shard;
        }
    }
    let mut hot_updates = Vec::new();
    if !interrupted && s.measure.modes.contains(&Mode::HotUpdate) {
        let updates = package_update(&tree, &artifacts, &sampled.usable, &dir, external)?;
        crate::note!(
            "{}: hot update, {} rounds per case",
            s.name,
            s.measure.hot_update.rounds
        );
        let (outcomes, stopped) = measure::hot_update::measure(
            &artifacts,
            &updates,
            &sampled.probe_failures,
            &workload,
            &measure_opts,
            &s.measure.hot_update,
        )?;
        interrupted |= stopped;
        hot_updates = results::hot_update_cases(&s.name, outcomes);
    }

    let version = external.map_or(&ctx.python.version_short, |(_, i)| &i.version_short);
    let mut cases = results::cases(&s.name, s.reference, sampled.cases, &artifacts);
    for c in &mut cases {
        c.sweep.clone_from(&s.sweep);
        c.python = Some(version.clone());
        c.lazy_imports = Some(s.measure.lazy);
        c.shard = ctx.opts.plan.shard;
    }
    if let Some(c) = corpus.as_ref().filter(|c| !c.extensions.is_empty()) {
        explain_extension_modules(c, &mut cases);
    }
    // Counts that disagree with themselves make every count of the run suspect.
    if let Some(check) = sampled.instruction_check.as_ref().filter(|c| !c.stable) {
        for c in &mut cases {
            if let Some(i) = c.instructions.as_mut().filter(|i| !i.samples.is_empty()) {
                i.unstable = true;
                c.warnings.push(format!(
                    "instruction counts of this run are unstable: a case counted alone \
                     differed from its parallel count by {:.3}%",
                    check.max_difference * 100.0
                ));
            }
        }
    }
    // What the workers left out of the workload: counted out, recorded and said.
    let dropped: Vec<(String, String)> = cases
        .iter()
        .find_map(|c| c.probe.as_ref().filter(|p| !p.dropped.is_empty()))
        .map(|p| p.dropped.clone())
        .unwrap_or_default();
    let imported: Vec<String> = workload
        .modules
        .iter()
        .filter(|m| !dropped.iter().any(|(d, _)| d == *m))
        .cloned()
        .collect();
    if let Some((first, why)) = dropped.first() {
        crate::note!(
            "{}: warning: {} workload module(s) not imported from the artifact: {first} \
             ({why}){}",
            s.name,
            dropped.len(),
            if dropped.len() > 1 { ", ..." } else { "" }
        );
    }
    let mut info = scenario_info(s, &tree, &imported, generate_s);
    info.workload_dropped = dropped;
    info.corpus = corpus
        .as_ref()
        .zip(s.corpus.as_ref())
        .map(|(c, spec)| c.info(spec));
    info.python = external.map(|(_, i)| i.clone());
    info.lazy_imports = Some(s.measure.lazy);
    info.lazy_imports_asked = s.measure.lazy_imports.clone();
    info.shard = ctx.opts.plan.shard;
    info.instruction_check = sampled.instruction_check;
    info.machine = results::machine_states(&cases);
    if let Some(m) = info.machine.filter(|m| m.bimodal) {
        crate::note!("{}: {}", s.name, m.sentence());
    }
    Ok(Measured {
        info,
        cases,
        fleet,
        hot_updates,
        interrupted,
    })
}

/// Journals the scenario's and every artifact's hash; a resumed run instead checks that
/// they are what the interrupted run measured.
fn record_build(
    ctx: &RunContext,
    journal: &mut Journal,
    s: &Scenario,
    artifacts: &[Artifact],
) -> Result<()> {
    if ctx
        .recovered
        .is_none_or(|r| !r.scenarios.contains_key(&s.name))
    {
        journal.append(&Entry::Scenario {
            name: s.name.clone(),
            sha256: s.source.sha256.clone(),
        })?;
    }
    for a in artifacts {
        let key = (s.name.clone(), a.variant.id());
        match ctx.recovered.and_then(|r| r.artifacts.get(&key)) {
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
    Ok(())
}

/// The modules the timed section imports and the top-level names a reset forgets.
fn workload(s: &Scenario, built: &Built) -> Result<measure::Imports> {
    let modules = match &built.corpus {
        None => built.tree.layout.workload_modules(&s.workload),
        Some(c) => c.workload(&s.workload)?,
    };
    Ok(measure::Imports {
        roots: match &built.corpus {
            None => tree_roots(&built.tree),
            Some(_) => roots(&modules),
        },
        modules,
    })
}

/// How to start this instance's workers and what to take.
fn measure_options(
    ctx: &RunContext,
    s: &Scenario,
    dir: &Path,
    external: Option<(&PathBuf, &PythonInfo)>,
) -> Result<MeasureOptions> {
    let opts = ctx.opts;
    Ok(MeasureOptions {
        worker: WorkerCommand {
            exe: opts.worker_exe.clone(),
            work_dir: dir.to_owned(),
            timeout: std::time::Duration::from_secs(u64::from(s.measure.timeout_secs)),
            stop: opts.stop.clone(),
            external: match external {
                None => None,
                Some((python, _)) => Some(
                    measure::ExternalWorker::install(python, &dir.join("worker"))
                        .with_context(|| format!("installing the worker in {}", dir.display()))?,
                ),
            },
            quota: ctx.quota.cloned(),
        },
        modes: s.measure.modes.clone(),
        samples: s.measure.samples,
        precision: s.measure.precision.map(|pct| pct / 100.0),
        min_samples: s.measure.min_samples,
        reference: s.reference,
        warmup: s.measure.warmup,
        seed: s.seed,
        progress: opts.progress,
        // Instruction counting runs the harness binary under callgrind: embedded only.
        instructions: (s.measure.instructions && external.is_none())
            .then_some(s.measure.instruction_samples),
        reference_every: s.measure.reference_every,
        focus: s.measure.focus.clone(),
        trace: opts.plan.trace || s.measure.trace,
    })
}

/// A launcher for `python` with every import statement lazy (`-X lazy_imports=all`),
/// written into `dir`: entry discovery, compilation and every worker of the instance
/// run through it. Checked: the interpreter it starts must report lazy mode `all`.
fn lazy_launcher(python: &Path, dir: &Path) -> Result<(PathBuf, PythonInfo)> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("python-lazy");
    let quoted = python.display().to_string().replace('\'', "'\\''");
    crate::files::write(
        &path,
        format!("#!/bin/sh\nexec '{quoted}' -X lazy_imports=all \"$@\"\n"),
    )?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("making {} executable", path.display()))?;
    let info = crate::python::external::query(&path)?;
    if info.lazy_imports.as_deref() != Some("all") {
        bail!(
            "{} -X lazy_imports=all runs with lazy imports {:?}, not `all`",
            python.display(),
            info.lazy_imports.as_deref().unwrap_or("unsupported")
        );
    }
    Ok((path, info))
}

/// Probes every artifact and takes the interleaved samples, journaling each sample and
/// failure as it happens (a resumed run starts from what the journal holds).
fn take_samples(
    ctx: &RunContext,
    journal: &mut Journal,
    s: &Scenario,
    artifacts: &[Artifact],
    workload: &measure::Imports,
    measure_opts: &MeasureOptions,
) -> Result<measure::Measured> {
    crate::note!(
        "{}: measuring {} x {}, {} after {}{}",
        s.name,
        count(artifacts.len() as u64, "variant"),
        count(s.measure.modes.len() as u64, "mode"),
        match s.measure.precision {
            None => count(s.measure.samples, "sample"),
            Some(p) => format!(
                "{}-{} samples (until the ratio is within ±{p}%)",
                s.measure.min_samples, s.measure.samples
            ),
        },
        count(s.measure.warmup, "warm-up round"),
        if ctx.recovered.is_some() {
            " (resuming)"
        } else {
            ""
        }
    );
    let initial = |variant: &str, mode: Mode| {
        ctx.recovered
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
                sample: *x,
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
    let measured = measure::measure(artifacts, workload, measure_opts, &initial, &mut on_sample)?;
    match journal_error {
        Some(e) => Err(e),
        None => Ok(measured),
    }
}

/// In a corpus holding extension modules, a zip case that imports says what the archive
/// could not serve, and a zip case whose failure names one of them is `unsupported`
/// with the reason. Other failures (a module raising its own error) stay errors, and
/// `incomplete` cases (a stopped run) are left alone.
fn explain_extension_modules(c: &Corpus, cases: &mut [CaseResult]) {
    for case in cases.iter_mut().filter(|c| c.variant.layout == Layout::Zip) {
        match case.status {
            Status::Ok => case.warnings.push(format!(
                "the archive holds {} extension module(s), e.g. {}, which zipimport \
                 cannot load: this workload does not import them, others would fail",
                c.extensions.len(),
                c.extensions[0]
            )),
            Status::Error | Status::Unsupported => {
                let error = case.error.as_deref().unwrap_or_default();
                let Some(ext) = c.extensions.iter().find(|e| names_extension(error, e)) else {
                    continue;
                };
                case.status = Status::Unsupported;
                case.error = Some(format!(
                    "{error} ({ext} is an extension module, and zipimport cannot load \
                     extension modules from an archive)"
                ));
            }
            Status::Incomplete => {}
        }
    }
}

/// Whether `error` names the extension module at `path` (`pkg/_speedups.cpython-311-
/// x86_64-linux-gnu.so` is `_speedups`), as a whole word.
fn names_extension(error: &str, path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let name = file.split('.').next().unwrap_or(file);
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !name.is_empty()
        && error.match_indices(name).any(|(i, _)| {
            !word(error[..i].chars().next_back()) && !word(error[i + name.len()..].chars().next())
        })
}

/// The scenario as it was run, for the results file.
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
        workload_dropped: Vec::new(),
        reference: s.reference,
        samples: s.measure.samples,
        precision: s.measure.precision,
        min_samples: s.measure.precision.map(|_| s.measure.min_samples),
        warmup: s.measure.warmup,
        modes: s.measure.modes.clone(),
        timeout_secs: s.measure.timeout_secs,
        sweep: s.sweep.clone(),
        python: None,
        lazy_imports: None,
        lazy_imports_asked: Vec::new(),
        shard: None,
        corpus: None,
        tree_files: tree.files.len() as u64,
        tree_bytes: tree.total_bytes(),
        generate_s,
        instruction_check: None,
        reference_every: s.measure.reference_every,
        focus: s.measure.focus.as_ref().map(|f| results::FocusInfo {
            variants: f.variants.clone(),
            modes: f.modes.clone(),
            samples: f.samples,
            precision: f.precision,
        }),
        machine: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_case(status: &str, error: Option<&str>) -> CaseResult {
        serde_json::from_value(serde_json::json!({
            "scenario": "s", "variant": "zip-stored-pyc", "layout": "zip",
            "compression": "stored", "level": null, "bytecode": "pyc", "mode": "cold",
            "status": status, "error": error, "samples_ns": [], "cpu_samples_ns": [],
            "summary": null, "startup_ns": [], "startup": null, "ratio_to_reference": null,
            "artifact": {"path": "/x.zip", "size": 1, "entries": 1, "sha256": ""},
            "probe": null, "warnings": []
        }))
        .unwrap()
    }

    #[test]
    fn only_failures_naming_an_extension_module_are_relabelled() {
        let corpus = Corpus {
            extensions: vec!["fastpkg/_bisect.cpython-311-x86_64-linux-gnu.so".into()],
            ..Corpus::default()
        };
        let mut cases = vec![
            zip_case("error", Some("ImportError: cannot import name '_bisect'")),
            zip_case("error", Some("RuntimeError: boom")),
            zip_case("incomplete", None),
        ];
        explain_extension_modules(&corpus, &mut cases);
        assert_eq!(cases[0].status, Status::Unsupported);
        assert!(
            cases[0]
                .error
                .as_deref()
                .unwrap()
                .contains("_bisect.cpython-311")
        );
        assert_eq!(cases[1].status, Status::Error);
        assert_eq!(cases[1].error.as_deref(), Some("RuntimeError: boom"));
        assert_eq!(cases[2].status, Status::Incomplete);
        assert_eq!(cases[2].error, None);
    }

    #[test]
    fn an_extension_is_named_as_a_whole_word() {
        let ext = "fastpkg/_bisect.cpython-311-x86_64-linux-gnu.so";
        assert!(names_extension(
            "ImportError: cannot import name '_bisect' from 'fastpkg'",
            ext
        ));
        assert!(!names_extension("RuntimeError: boom", ext));
        assert!(!names_extension(
            "NameError: name '_bisected' is not defined",
            ext
        ));
    }
}
