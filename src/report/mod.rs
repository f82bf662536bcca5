//! What people read: the terminal table, `summary.md`, `report.html` and the history
//! page, plus the findings they share.

mod finding;
pub mod findings;
pub mod fleet;
pub mod hot_update;
pub mod html;
mod markdown;
pub mod markup;
pub mod pythons;
pub mod sweep;
mod table;

pub use html::{history_html, report_html};
pub use markdown::summary_markdown;
pub use table::summary_table;

use std::path::Path;

use anyhow::Result;

use crate::results::Results;

/// Writes `summary.md` and `report.html` for `results` into `dir`.
pub fn write_reports(results: &Results, dir: &Path) -> Result<()> {
    write_atomic(&dir.join("summary.md"), &summary_markdown(results))?;
    write_atomic(&dir.join("report.html"), &report_html(results)?)
}

/// Writes a text file atomically (see [`crate::results::write_atomic`]).
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    crate::results::write_atomic(path, text.as_bytes())
}
