//! `zipimport-bench doctor ARCHIVE` as the harness runs it: the doctor stage's facts
//! and rules for each target Python, the repair with `--fix` (checked again), and with
//! `--measure` the archive as shipped against its repair and a directory with bytecode,
//! in one interleaved run of the harness.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::RunOptions;
use crate::doctor::facts::facts_of;
use crate::doctor::{
    DoctorOptions, MEASURE_PRECISION, Measured, Repair, Report, ZONES, diagnose, fix,
};
use crate::status::Status;

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
            let fixed = fix(&pythons[0], &opts.archive, out, &opts.compression)?;
            // One zone is enough for the repair: it holds no timestamp pyc (every module
            // that compiles gets unchecked-hash bytecode, and zipimport never checks the
            // time of a pyc without its source), so no zone can read it differently.
            let remaining = diagnose(&facts_of(&pythons[..1], out, &ZONES[..1])?);
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
        findings: diagnose(&facts),
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
