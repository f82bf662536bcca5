//! What people read: the terminal table, `summary.md`, `report.html` and the history
//! page. A results file is analysed once into a [`RunReport`] (the report model) and
//! every output renders that model; no renderer computes a statistic.

pub mod analysis;
mod finding;
pub mod findings;
pub mod fleet;
pub mod headline;
pub mod history;
pub mod hot_update;
pub mod html;
pub mod lazy;
mod markdown;
pub mod model;
pub use crate::phrase;
pub mod pythons;
pub mod sweep;
mod terminal;
pub mod trace_diff;
pub mod verdict;

pub use analysis::RunReport;
pub use history::warnings as history_warnings;
pub use html::{compare_html, history_html};
pub use model::CaseIndex;

use std::path::Path;

use anyhow::Result;

use crate::results::Results;

/// Every output of one results file, rendered from one analysis.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The terminal's tables.
    pub tables: String,
    /// The terminal's verdict.
    pub verdict: String,
    /// `summary.md`.
    pub markdown: String,
    /// `report.html`.
    pub html: String,
}

/// Analyses `results` once and renders every output of it.
pub fn render(results: &Results) -> Result<Rendered> {
    let index = CaseIndex::new(results);
    let report = RunReport::build(results, &index);
    Ok(Rendered {
        tables: terminal::tables(&report),
        verdict: terminal::verdict(&report),
        markdown: markdown::summary(&report),
        html: html::report_html(&report)?,
    })
}

/// Writes `summary.md` and `report.html` for `results` into `dir`, and returns every
/// output (the terminal's too) from the same analysis.
pub fn write_reports(results: &Results, dir: &Path) -> Result<Rendered> {
    let rendered = render(results)?;
    write_atomic(&dir.join("summary.md"), &rendered.markdown)?;
    write_atomic(&dir.join("report.html"), &rendered.html)?;
    Ok(rendered)
}

/// The terminal's tables for `results` (one analysis; [`render`] gives every output
/// of one).
pub fn summary_table(results: &Results) -> String {
    let index = CaseIndex::new(results);
    terminal::tables(&RunReport::build(results, &index))
}

/// The terminal's verdict for `results`.
pub fn verdict_text(results: &Results) -> String {
    let index = CaseIndex::new(results);
    terminal::verdict(&RunReport::build(results, &index))
}

/// `summary.md` for `results`.
pub fn summary_markdown(results: &Results) -> String {
    let index = CaseIndex::new(results);
    markdown::summary(&RunReport::build(results, &index))
}

/// `report.html` for `results`.
pub fn report_html(results: &Results) -> Result<String> {
    let index = CaseIndex::new(results);
    html::report_html(&RunReport::build(results, &index))
}

/// Writes a text file atomically (see [`crate::results::write_atomic`]).
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    crate::results::write_atomic(path, text.as_bytes())
}
