//! `zipimport-bench doctor ARCHIVE`: what makes imports from a user's archive slower than
//! they need to be, for each target Python, each finding with its cost and its fix; with
//! `--fix OUT` the repaired archive, checked again; with `--measure` the archive as
//! shipped against its repair and a directory with bytecode, in one interleaved run.
//!
//! A stage of its own: [`facts`] (what `doctor.py` reads under each interpreter and
//! zone), [`rules`] (the findings, with their costs and fixes) and `render` (text and
//! Markdown; JSON is the [`Report`] itself).

use std::path::PathBuf;

use serde::Serialize;

pub mod facts;
mod render;
pub mod rules;

use crate::stats::RatioInterval;
pub use facts::{Facts, Fixed, ZONES, fix, inspect, magic_version};
pub use render::{render_markdown, render_text};
pub use rules::{Costs, Diagnosis, Kind, Severity, costs, diagnose};

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
