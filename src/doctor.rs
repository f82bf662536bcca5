//! `zipimport-bench doctor ARCHIVE`: what makes imports from a user's archive slower than
//! they need to be, for each target Python, each finding with its cost and its fix; with
//! `--fix OUT` the repaired archive, checked again; with `--measure` the archive as
//! shipped against its repair and a directory with bytecode, in one interleaved run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::corpus::diagnose::{self, Diagnosis, Facts, Fixed, Severity, ZONES};
use crate::format::format_duration_ns;
use crate::run::RunOptions;
use crate::status::Status;

/// What to check and do.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// The archive.
    pub archive: PathBuf,
    /// Target interpreters (the embedded one's executable when empty).
    pub pythons: Vec<PathBuf>,
    /// Write the repaired archive here.
    pub fix: Option<PathBuf>,
    /// `stored` or `deflate`, for the repaired archive.
    pub compression: String,
    /// Measure the archive as shipped against its repair (a run of `samples`).
    pub measure: Option<u32>,
}

/// The archive as measured in one interleaved run (cold medians).
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// The archive as shipped, ns.
    pub shipped_ns: f64,
    /// The archive as `--fix` writes it (its bytecode and compression), ns.
    pub repaired_ns: f64,
    /// The same code as a directory with `__pycache__`, ns.
    pub directory_ns: f64,
    /// Samples per case.
    pub samples: u32,
    /// Modules the workload imported.
    pub modules: usize,
    /// Variants that could not be measured, with why.
    pub failures: Vec<String>,
}

/// The repaired archive and what is left wrong with it.
#[derive(Debug, Clone, Serialize)]
pub struct Repair {
    /// What was written.
    pub fixed: Fixed,
    /// Findings of the repaired archive.
    pub remaining: Vec<Diagnosis>,
}

/// A doctor's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The archive.
    pub archive: String,
    /// The interpreters checked.
    pub pythons: Vec<String>,
    /// The time zones timestamp pycs were judged in.
    pub zones: Vec<String>,
    /// What is wrong.
    pub findings: Vec<Diagnosis>,
    /// With `--fix`.
    pub repair: Option<Repair>,
    /// With `--measure`.
    pub measured: Option<Measured>,
    /// Whether several target Pythons share one archive: one location holds one
    /// version's bytecode.
    pub several_pythons: bool,
}

impl Report {
    /// Whether the archive that ships (the repaired one, with `--fix`) has a problem.
    pub fn has_problems(&self) -> bool {
        let findings = match &self.repair {
            Some(r) => &r.remaining,
            None => &self.findings,
        };
        findings.iter().any(|d| d.severity == Severity::Problem)
    }
}

/// Every interpreter's facts in every zone, in that order; the helpers run two at a
/// time (each reads the whole archive: a 100,000-member one takes seconds).
fn facts_of(pythons: &[PathBuf], archive: &Path) -> Result<Vec<Facts>> {
    let jobs: Vec<(&PathBuf, &str)> = pythons
        .iter()
        .flat_map(|p| ZONES.iter().map(move |tz| (p, *tz)))
        .collect();
    let mut all = Vec::new();
    for pair in jobs.chunks(2) {
        let found: Vec<Result<Facts>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|(p, tz)| s.spawn(move || diagnose::inspect(p, archive, tz)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an inspecting thread panicked"))
                .collect()
        });
        for f in found {
            all.push(f?);
        }
    }
    Ok(all)
}

/// Examines the archive, repairs and measures it as asked. `run_template` starts the
/// measuring run (its plan and output directory are replaced).
pub fn doctor(opts: &DoctorOptions, run_template: &RunOptions) -> Result<Report> {
    let pythons = if opts.pythons.is_empty() {
        vec![PathBuf::from(crate::python::PYTHON_EXECUTABLE)]
    } else {
        opts.pythons.clone()
    };
    let facts = facts_of(&pythons, &opts.archive)?;
    let mut versions: Vec<String> = facts.iter().map(|f| f.python.clone()).collect();
    versions.dedup();
    let repair = match &opts.fix {
        Some(out) => {
            let fixed = diagnose::fix(&pythons[0], &opts.archive, out, &opts.compression)?;
            let remaining = diagnose::diagnose(&facts_of(&pythons[..1], out)?);
            Some(Repair { fixed, remaining })
        }
        None => None,
    };
    let measured = match opts.measure {
        Some(samples) => Some(measure(opts, run_template, samples)?),
        None => None,
    };
    Ok(Report {
        archive: opts.archive.display().to_string(),
        several_pythons: versions.len() > 1,
        pythons: versions,
        zones: ZONES.iter().map(|z| z.to_string()).collect(),
        findings: diagnose::diagnose(&facts),
        repair,
        measured,
    })
}

/// One interleaved cold run of the archive as shipped, its repair's equivalent (the same
/// sources repacked with unchecked-hash pycs beside them, the chosen compression) and a
/// directory with `__pycache__`.
fn measure(opts: &DoctorOptions, template: &RunOptions, samples: u32) -> Result<Measured> {
    let dir = tempfile::Builder::new()
        .prefix("zipimport-bench-doctor-")
        .tempdir()
        .context("creating a directory for the measuring run")?;
    let archive = opts
        .archive
        .canonicalize()
        .with_context(|| format!("resolving {}", opts.archive.display()))?;
    let compression = if opts.compression == "stored" {
        "stored"
    } else {
        "deflate6"
    };
    let scenario = dir.path().join("doctor.toml");
    let text = format!(
        "name = \"doctor\"\nseed = 1\n[corpus]\nkind = \"archive\"\npath = {}\n\
         [variants]\nreference = \"dir-pyc\"\n[[variants.matrix]]\nlayout = \"dir\"\n\
         bytecode = \"pyc\"\n[[variants.matrix]]\nlayout = \"zip\"\ncompression = \"{compression}\"\n\
         bytecode = \"unchecked-hash\"\n[measure]\nmodes = [\"cold\"]\nsamples = {samples}\n",
        toml::Value::String(archive.display().to_string())
    );
    std::fs::write(&scenario, text).with_context(|| format!("writing {}", scenario.display()))?;
    let mut o = template.clone();
    o.plan = crate::run::RunPlan {
        scenarios: vec![scenario],
        ..crate::run::RunPlan::default()
    };
    o.out_dir = dir.path().join("out");
    let output = crate::run::run(&o)?;
    let r = &output.results;
    let median = |id: &str| {
        r.cases
            .iter()
            .find(|c| c.variant == id && c.status == Status::Ok)
            .and_then(|c| c.summary.as_ref())
            .map_or(f64::NAN, |s| s.median)
    };
    let repaired = format!("zip-{compression}-unchecked-hash");
    Ok(Measured {
        shipped_ns: median("shipped"),
        repaired_ns: median(&repaired),
        directory_ns: median("dir-pyc"),
        samples,
        modules: r.scenarios.first().map_or(0, |s| s.workload_modules.len()),
        failures: r
            .cases
            .iter()
            .filter(|c| c.status != Status::Ok)
            .map(|c| {
                format!(
                    "{}: {}",
                    c.variant,
                    c.error.as_deref().unwrap_or(c.status.name())
                )
            })
            .collect(),
    })
}

/// The report for a terminal.
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: checked for Python {} in time zones {}",
        r.archive,
        r.pythons.join(", "),
        r.zones.join(", ")
    );
    if r.several_pythons {
        let _ = writeln!(
            out,
            "note: one archive location holds one Python version's bytecode; an archive \
             meant for several versions compiles on all but one of them"
        );
    }
    write_findings(&mut out, &r.findings);
    if let Some(rep) = &r.repair {
        let _ = writeln!(
            out,
            "\nrepaired: {} ({} modules with unchecked-hash bytecode beside their sources{})",
            rep.fixed.written,
            rep.fixed.modules,
            if rep.fixed.dropped.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} stale or misplaced pycs dropped",
                    rep.fixed.dropped.len()
                )
            }
        );
        if rep.remaining.is_empty() {
            let _ = writeln!(out, "the repaired archive has no findings");
        } else {
            let _ = writeln!(out, "left in the repaired archive:");
            write_findings(&mut out, &rep.remaining);
        }
    }
    if let Some(m) = &r.measured {
        let ratio = |v: f64| v / m.directory_ns;
        let _ = writeln!(
            out,
            "\nmeasured ({} modules, {} cold samples each, interleaved):\n  as shipped  {:>9}  \
             {:.2}x a directory with bytecode\n  repaired    {:>9}  {:.2}x\n  directory   {:>9}  \
             1.00x",
            m.modules,
            m.samples,
            format_duration_ns(m.shipped_ns),
            ratio(m.shipped_ns),
            format_duration_ns(m.repaired_ns),
            ratio(m.repaired_ns),
            format_duration_ns(m.directory_ns),
        );
        for f in &m.failures {
            let _ = writeln!(out, "  not measured: {f}");
        }
    }
    out
}

fn write_findings(out: &mut String, findings: &[Diagnosis]) {
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "no findings: nothing makes imports slower than they need to be"
        );
        return;
    }
    for d in findings {
        let mark = match d.severity {
            Severity::Problem => "PROBLEM",
            Severity::Note => "note",
        };
        let _ = writeln!(
            out,
            "{mark} [{}] Python {}: {}\n    cost: {}\n    fix:  {}",
            d.kind, d.python, d.what, d.cost, d.fix
        );
    }
}
