//! The first stage of a run: what to measure. A resumed run takes its plan from the
//! journal; every scenario is validated (and sweeps expanded) before any work starts;
//! each external interpreter adds an instance of every scenario; a shard keeps its
//! share of the (instance, variant) pairs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::{JOURNAL, RunOptions, RunPlan};
use crate::python::{self, PythonInfo};
use crate::results::journal::{self, Entry, Recovered};
use crate::scenario::{self, LazyImports, Mode, Scenario};

/// A scenario to measure under one interpreter: the embedded one (`None`) or an
/// external one, with what it said about itself.
pub(super) type Instance = (Scenario, Option<(PathBuf, PythonInfo)>);

/// What a run will measure.
pub(super) struct Plan {
    /// Every scenario instance, in order.
    pub instances: Vec<Instance>,
    /// The embedded interpreter.
    pub python: PythonInfo,
}

/// For `run --resume`: the interrupted run's journal, and the options it was started
/// with. Otherwise the options as given.
pub(super) fn recover(opts: &RunOptions) -> Result<(RunOptions, Option<Recovered>)> {
    if !opts.resume {
        return Ok((opts.clone(), None));
    }
    let rec = journal::read(&opts.out_dir.join(JOURNAL))?;
    if rec.ended {
        bail!(
            "nothing to resume: the run in {} finished (its results are complete)",
            opts.out_dir.display()
        );
    }
    let mut o = opts.clone();
    if let Entry::Header { plan, .. } = &rec.header {
        given_again(plan, opts)?;
        o.plan = plan.clone();
    }
    Ok((o, Some(rec)))
}

/// A journal is a file in a folder others may write to: `--resume` reads from it what
/// was measured, never what to run. The scenario files and interpreters must be named
/// again on the command line, the same ones the journal records; the scenario files
/// are read again from disk (and refused when they changed, [`check`]).
fn given_again(journaled: &RunPlan, opts: &RunOptions) -> Result<()> {
    fn key(p: &std::path::Path) -> PathBuf {
        std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_owned())
    }
    fn same(a: &[PathBuf], b: &[PathBuf]) -> bool {
        let set = |x: &[PathBuf]| x.iter().map(|p| key(p)).collect::<BTreeSet<_>>();
        set(a) == set(b)
    }
    if same(&journaled.scenarios, &opts.plan.scenarios)
        && same(&journaled.pythons, &opts.plan.pythons)
    {
        return Ok(());
    }
    let list = |x: &[PathBuf]| {
        if x.is_empty() {
            "none".to_owned()
        } else {
            x.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    bail!(
        "cannot resume: the interrupted run in {} measured scenarios {} with interpreters \
         {}, and this command names scenarios {} with interpreters {}. A resumed run \
         runs only the scenario files and --python interpreters named on its own command \
         line, the same as the journal's: `{}`",
        opts.out_dir.display(),
        list(&journaled.scenarios),
        list(&journaled.pythons),
        list(&opts.plan.scenarios),
        list(&opts.plan.pythons),
        resume_command(journaled, &opts.out_dir)
    )
}

/// The command that finishes an interrupted run of `plan` in `out`.
pub fn resume_command(plan: &RunPlan, out: &std::path::Path) -> String {
    fn quoted(p: &std::path::Path) -> String {
        let s = p.display().to_string();
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
        {
            s
        } else {
            format!("'{}'", s.replace('\'', "'\\''"))
        }
    }
    let mut cmd = String::from("zipimport-bench run");
    for s in &plan.scenarios {
        cmd.push(' ');
        cmd.push_str(&quoted(s));
    }
    for p in &plan.pythons {
        cmd.push_str(" --python ");
        cmd.push_str(&quoted(p));
    }
    cmd.push_str(" --resume --out ");
    cmd.push_str(&quoted(out));
    cmd
}

/// Loads and checks every scenario, applies the overrides, asks every interpreter about
/// itself and lists the instances.
pub(super) fn plan(opts: &RunOptions, recovered: Option<&Recovered>) -> Result<Plan> {
    opts.plan.overrides.check().map_err(anyhow::Error::msg)?;
    // Validate every scenario before any work starts; sweeps become one scenario per
    // value.
    let mut scenarios = Vec::new();
    for path in &opts.plan.scenarios {
        for s in scenario::expand(&scenario::load(path)?) {
            scenarios.push(s);
        }
    }
    for s in &mut scenarios {
        opts.plan
            .overrides
            .apply(s)
            .map_err(|e| anyhow::anyhow!("{}: {e}", s.source.path.display()))?;
        check(s, recovered)?;
    }
    let python = python::info()?;
    // External interpreters: each scenario once more per interpreter, with its own
    // bytecode and artifacts.
    let mut externals: Vec<(PathBuf, PythonInfo)> = Vec::new();
    for given in &opts.plan.pythons {
        // Workers start in their own folders: a relative path must not depend on that.
        let path = &std::path::absolute(given)
            .with_context(|| format!("resolving --python {}", given.display()))?;
        let info = python::external::query(path)?;
        if externals.iter().any(|(_, i)| i.version == info.version) {
            bail!(
                "{} is Python {}, which another --python already is",
                path.display(),
                info.version_short
            );
        }
        externals.push((path.clone(), info));
    }
    let mut instances = Vec::new();
    for s in &scenarios {
        check_lazy(s, &python, &externals)?;
        // An interpreter without lazy imports is measured under `normal` only.
        instances.push((s.clone(), None));
        for (path, info) in &externals {
            let external = Some((path.clone(), info.clone()));
            let name = format!("{}-py{}", s.name, info.version_short);
            let wanted = &s.measure.lazy_imports;
            if info.lazy_imports.is_none() || wanted.contains(&LazyImports::Normal) {
                let mut x = s.clone();
                x.name = name.clone();
                instances.push((x, external.clone()));
            }
            if info.lazy_imports.is_some() && wanted.contains(&LazyImports::All) {
                let mut x = s.clone();
                x.measure.lazy = LazyImports::All;
                x.name = format!("{name}-lazy");
                instances.push((x, external));
            }
        }
    }
    Ok(Plan { instances, python })
}

/// A scenario asking for `lazy-imports = ["all"]` needs at least one interpreter that
/// has lazy imports (PEP 810, Python 3.15 and later): refused otherwise, naming the
/// run's versions.
fn check_lazy(
    s: &Scenario,
    python: &PythonInfo,
    externals: &[(PathBuf, PythonInfo)],
) -> Result<()> {
    if !s.measure.lazy_imports.contains(&LazyImports::All)
        || externals.iter().any(|(_, i)| i.lazy_imports.is_some())
    {
        return Ok(());
    }
    let mut versions = vec![format!("{} (embedded)", python.version_short)];
    versions.extend(
        externals
            .iter()
            .map(|(p, i)| format!("{} ({})", i.version_short, p.display())),
    );
    let (line, column) = s.measure.lazy_imports_at.unwrap_or((1, 1));
    Err(scenario::ScenarioError::Invalid {
        path: s.source.path.clone(),
        line,
        column,
        field: "measure.lazy-imports".into(),
        message: format!(
            "`all` needs a Python with lazy imports (PEP 810, 3.15 or later) among the \
             run's interpreters, and this run has {}; add one with `--python` (for \
             example scripts/pythons.sh 3.15)",
            versions.join(", ")
        ),
    }
    .into())
}

/// What a scenario must satisfy beyond its own file: hot updates need a generated
/// tree, and a resumed run needs the scenario file unchanged.
fn check(s: &Scenario, recovered: Option<&Recovered>) -> Result<()> {
    let path = &s.source.path;
    if s.corpus.is_some() && s.measure.modes.contains(&Mode::HotUpdate) {
        bail!(
            "{}: mode hot-update needs a generated [tree]: it checks the ZIB_VERSION \
             constant every generated module carries, which a [corpus] does not have",
            path.display()
        );
    }
    if let Some(old) = recovered.and_then(|r| r.scenarios.get(&s.name))
        && *old != s.source.sha256
    {
        bail!(
            "cannot resume: {} changed since the interrupted run (sha256 {} then, {} now)",
            path.display(),
            short(old),
            short(&s.source.sha256)
        );
    }
    Ok(())
}

/// The first 12 hex digits of a hash, for messages.
pub(super) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Deals the run's (instance, variant) pairs out to shards: a shard measures every
/// pair whose position in the run's deterministic order falls to it.
pub(super) struct Sharder {
    shard: Option<(u32, u32)>,
    index: usize,
}

impl Sharder {
    /// A dealer for `run --shard K/N` (or for the whole run).
    pub fn new(shard: Option<(u32, u32)>) -> Self {
        Sharder { shard, index: 0 }
    }

    /// The scenario with only this shard's variants; `None` when it has none.
    pub fn take(&mut self, s: &Scenario) -> Option<Scenario> {
        let mut s = s.clone();
        if let Some((k, n)) = self.shard {
            s.variants.retain(|_| {
                let mine = self.index % n as usize == (k - 1) as usize;
                self.index += 1;
                mine
            });
            if s.variants.is_empty() {
                return None;
            }
        }
        Some(s)
    }
}
