//! `export`: a results file in the formats of the services and tools people already
//! use to track benchmarks over time, one file per format behind one [`Exporter`] trait
//! (hyperfine's layout):
//!
//! - [`Format::Bmf`]: Bencher Metric Format, for `bencher run --adapter json`;
//! - [`Format::GithubActionBenchmark`]: github-action-benchmark's `customSmallerIsBetter`
//!   array;
//! - [`Format::Pyperf`]: pyperf's JSON, read by `python -m pyperf stats`, `hist` and
//!   `compare_to`.
//!
//! Only measured (`ok`) per-sample cases are exported; a case is named
//! `scenario/variant/mode` everywhere.

mod bmf;
mod github;
mod pyperf;
pub mod traces;

use anyhow::Result;

use crate::results::{CaseResult, Results};
use crate::status::Status;

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Bencher Metric Format.
    Bmf,
    /// github-action-benchmark, `tool: customSmallerIsBetter`.
    GithubActionBenchmark,
    /// pyperf's JSON.
    Pyperf,
}

impl Format {
    /// Parses `bmf`, `github-action-benchmark` or `pyperf`.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "bmf" => Ok(Format::Bmf),
            "github-action-benchmark" => Ok(Format::GithubActionBenchmark),
            "pyperf" => Ok(Format::Pyperf),
            _ => Err(format!(
                "unknown export format `{name}`; expected bmf, github-action-benchmark or pyperf"
            )),
        }
    }

    fn exporter(self) -> &'static dyn Exporter {
        match self {
            Format::Bmf => &bmf::Bmf,
            Format::GithubActionBenchmark => &github::GithubActionBenchmark,
            Format::Pyperf => &pyperf::Pyperf,
        }
    }
}

/// Writes results in one format.
pub trait Exporter {
    /// The results as this format's text.
    fn export(&self, results: &Results) -> Result<String>;
}

/// `results` in `format`.
pub fn export(results: &Results, format: Format) -> Result<String> {
    format.exporter().export(results)
}

/// The name of a case in every export: `scenario/variant/mode`.
fn name(c: &CaseResult) -> String {
    format!("{}/{}/{}", c.scenario, c.variant, c.mode)
}

/// The measured per-sample cases, in results order.
fn measured(results: &Results) -> impl Iterator<Item = &CaseResult> {
    results
        .cases
        .iter()
        .filter(|c| c.status == Status::Ok && c.summary.is_some())
}
