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
use crate::markup::{Column, Row, Table};
use crate::run::RunOptions;
use crate::stats::RatioInterval;
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

/// The archive as measured in one interleaved run, cold: each case's median and its
/// ratio to the directory with bytecode, paired as every run pairs its samples.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// The archive as shipped, ns (median).
    pub shipped_ns: f64,
    /// The archive as `--fix` writes it (its bytecode and compression), ns.
    pub repaired_ns: f64,
    /// The same code as a directory with `__pycache__`, ns.
    pub directory_ns: f64,
    /// The archive as shipped against the directory, with its 95% interval.
    pub shipped_ratio: Option<RatioInterval>,
    /// The repaired archive against the directory, with its 95% interval.
    pub repaired_ratio: Option<RatioInterval>,
    /// The most samples a case took (`--measure SAMPLES`).
    pub samples: u32,
    /// Samples each case took: shipped, repaired, directory.
    pub taken: [usize; 3],
    /// The precision the run sampled each ratio to (percent; wider far from 1, as every
    /// adaptive run), or null when the cap was too low for adaptive sampling.
    pub precision: Option<f64>,
    /// Whether each ratio reached its precision (shipped, repaired) before the cap.
    pub reached: [bool; 2],
    /// Modules the workload imported.
    pub modules: usize,
    /// Variants that could not be measured, with why.
    pub failures: Vec<String>,
}

/// The precision `doctor --measure` samples each ratio to, percent.
pub const MEASURE_PRECISION: f64 = 5.0;

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
fn facts_of(pythons: &[PathBuf], archive: &Path, zones: &[&str]) -> Result<Vec<Facts>> {
    let jobs: Vec<(&PathBuf, &str)> = pythons
        .iter()
        .flat_map(|p| zones.iter().map(move |tz| (p, *tz)))
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
    let facts = facts_of(&pythons, &opts.archive, &ZONES)?;
    let mut versions: Vec<String> = facts.iter().map(|f| f.python.clone()).collect();
    versions.dedup();
    let repair = match &opts.fix {
        Some(out) => {
            let fixed = diagnose::fix(&pythons[0], &opts.archive, out, &opts.compression)?;
            // One zone is enough for the repair: it holds no timestamp pyc (every module
            // that compiles gets unchecked-hash bytecode, and zipimport never checks the
            // time of a pyc without its source), so no zone can read it differently.
            let remaining = diagnose::diagnose(&facts_of(&pythons[..1], out, &ZONES[..1])?);
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
    // Adaptive once the cap allows it: every case until its ratio to the directory is
    // known to within the precision, or the cap.
    let floor = crate::measure::MIN_SAMPLES_FLOOR.max(8);
    let adaptive = samples >= floor;
    let sampling = if adaptive {
        format!("samples = {samples}\nmin-samples = {floor}\nprecision = {MEASURE_PRECISION}\n")
    } else {
        format!("samples = {samples}\n")
    };
    let text = format!(
        "name = \"doctor\"\nseed = 1\n[corpus]\nkind = \"archive\"\npath = {}\n\
         [variants]\nreference = \"dir-pyc\"\n[[variants.matrix]]\nlayout = \"dir\"\n\
         bytecode = \"pyc\"\n[[variants.matrix]]\nlayout = \"zip\"\ncompression = \"{compression}\"\n\
         bytecode = \"unchecked-hash\"\n[measure]\nmodes = [\"cold\"]\n{sampling}",
        toml::Value::String(archive.display().to_string())
    );
    crate::files::write(&scenario, text)?;
    let mut o = template.clone();
    o.plan = crate::run::RunPlan {
        scenarios: vec![scenario],
        ..crate::run::RunPlan::default()
    };
    o.out_dir = dir.path().join("out");
    let output = crate::run::run(&o)?;
    let r = &output.results;
    let index = crate::report::CaseIndex::new(r);
    let scenarios = crate::report::model::scenarios(r, &index);
    let table = scenarios
        .first()
        .and_then(|s| s.table(crate::scenario::Mode::Cold));
    let row = |id: &str| table.and_then(|t| t.ok(id));
    let median = |id: &str| row(id).map_or(f64::NAN, |r| r.median());
    let ratio = |id: &str| row(id).and_then(|r| r.ratio);
    let taken = |id: &str| row(id).map_or(0, |r| r.case.samples_ns.len());
    let reached = |id: &str| {
        row(id).is_some_and(|r| matches!(r.target, crate::report::model::Target::Reached(_)))
    };
    let repaired = format!("zip-{compression}-unchecked-hash");
    Ok(Measured {
        shipped_ns: median("shipped"),
        repaired_ns: median(&repaired),
        directory_ns: median("dir-pyc"),
        shipped_ratio: ratio("shipped"),
        repaired_ratio: ratio(&repaired),
        taken: [taken("shipped"), taken(&repaired), taken("dir-pyc")],
        precision: adaptive.then_some(MEASURE_PRECISION),
        reached: [reached("shipped"), reached(&repaired)],
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
            dropped(rep).map(|d| format!(", {d}")).unwrap_or_default()
        );
        if rep.remaining.is_empty() {
            let _ = writeln!(out, "the repaired archive has no findings");
        } else {
            let _ = writeln!(out, "left in the repaired archive:");
            write_findings(&mut out, &rep.remaining);
        }
    }
    if let Some(m) = &r.measured {
        write_measured(&mut out, m);
    }
    out
}

/// What the repair dropped, in a phrase, when it dropped anything.
fn dropped(rep: &Repair) -> Option<String> {
    (!rep.fixed.dropped.is_empty()).then(|| {
        format!(
            "{} stale or misplaced pycs dropped",
            rep.fixed.dropped.len()
        )
    })
}

/// How the measuring run sampled, in a phrase.
fn measured_rule(m: &Measured) -> String {
    match m.precision {
        Some(p) => format!(
            "cold samples interleaved, each case until its ratio to the directory is known \
             to within ±{p}% (wider far from 1) or at {} samples",
            m.samples
        ),
        None => format!(
            "{} cold samples each, interleaved (too few for adaptive sampling)",
            m.samples
        ),
    }
}

/// The measuring run: each case's median, its ratio to the directory with its 95%
/// interval, its samples and whether it reached its precision or stopped at the cap.
fn write_measured(out: &mut String, m: &Measured) {
    let _ = writeln!(
        out,
        "\nmeasured ({} modules; {}):",
        m.modules,
        measured_rule(m)
    );
    out.push_str(&measured_table(m).text());
    for f in &m.failures {
        let _ = writeln!(out, "  not measured: {f}");
    }
}

/// The table of the measuring run, for the terminal and for Markdown.
fn measured_table(m: &Measured) -> Table {
    let mut t = Table::new(vec![
        Column::fit("case"),
        Column::right("median", 9),
        Column::right("ratio", 7),
        Column::right("95% CI", 14),
        Column::right("samples", 7),
        Column::fit("").gap(2),
    ]);
    let target = |reached: bool| match (m.precision, reached) {
        (None, _) => String::new(),
        (Some(_), true) => "reached its precision".into(),
        (Some(_), false) => "stopped at the cap".into(),
    };
    let cases = [
        (
            "as shipped",
            m.shipped_ns,
            m.shipped_ratio,
            m.taken[0],
            target(m.reached[0]),
        ),
        (
            "repaired",
            m.repaired_ns,
            m.repaired_ratio,
            m.taken[1],
            target(m.reached[1]),
        ),
        (
            "directory",
            m.directory_ns,
            Some(RatioInterval::ONE),
            m.taken[2],
            "the reference: a directory with bytecode".into(),
        ),
    ];
    for (name, ns, ratio, taken, note) in cases {
        t.push(Row::cells(vec![
            name.to_owned(),
            format_duration_ns(ns),
            ratio
                .as_ref()
                .map_or_else(|| "-".into(), crate::report::phrase::ratio),
            ratio
                .as_ref()
                .map_or_else(|| "-".into(), crate::report::phrase::interval),
            taken.to_string(),
            note,
        ]));
    }
    t
}

/// The report as GitHub-flavoured Markdown (a job summary, a pull-request comment):
/// what [`render_text`] says, with everything from the archive (member names, paths)
/// escaped so that no link, mention or HTML comes out of it.
pub fn render_markdown(r: &Report) -> String {
    use crate::format::escape_markdown as md;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## doctor: {}\n\nChecked for Python {} in time zones {}.\n",
        md(&r.archive),
        md(&r.pythons.join(", ")),
        md(&r.zones.join(", "))
    );
    if r.several_pythons {
        let _ = writeln!(
            out,
            "> One archive location holds one Python version's bytecode; an archive meant \
             for several versions compiles on all but one of them.\n"
        );
    }
    md_findings(&mut out, &r.findings);
    if let Some(rep) = &r.repair {
        let _ = writeln!(
            out,
            "### Repaired: {}\n\n{} modules with unchecked-hash bytecode beside their \
             sources{}.\n",
            md(&rep.fixed.written),
            rep.fixed.modules,
            dropped(rep).map(|d| format!("; {d}")).unwrap_or_default()
        );
        if rep.remaining.is_empty() {
            let _ = writeln!(out, "The repaired archive has no findings.\n");
        } else {
            let _ = writeln!(out, "Left in the repaired archive:\n");
            md_findings(&mut out, &rep.remaining);
        }
    }
    if let Some(m) = &r.measured {
        let _ = writeln!(
            out,
            "### Measured\n\n{} modules; {}.\n",
            m.modules,
            md(&measured_rule(m))
        );
        out.push_str(&measured_table(m).markdown());
        for f in &m.failures {
            let _ = writeln!(out, "\n- not measured: {}", md(f));
        }
    }
    out
}

fn md_findings(out: &mut String, findings: &[Diagnosis]) {
    use crate::format::escape_markdown as md;
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "No findings: nothing makes imports slower than they need to be.\n"
        );
        return;
    }
    for d in findings {
        let mark = match d.severity {
            Severity::Problem => "**Problem**",
            Severity::Note => "Note",
        };
        let _ = writeln!(
            out,
            "- {mark} ({}, Python {}): {}\n  - cost: {}\n  - fix: {}",
            md(&d.kind.to_string()),
            md(&d.python),
            md(&d.what),
            md(&d.cost),
            md(&d.fix)
        );
    }
    out.push('\n');
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
