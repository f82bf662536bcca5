//! What people read: the terminal table, `summary.md`, `report.html` and the history
//! page, plus the findings they share.

mod finding;
pub mod findings;
pub mod fleet;
pub mod hot_update;
pub mod html;
pub mod lazy;
mod markdown;
pub mod markup;
pub mod pythons;
pub mod sweep;
mod table;
pub mod trace_diff;
pub mod verdict;

pub use html::{compare_html, history_html, history_warnings, report_html};
pub use markdown::summary_markdown;
pub use table::summary_table;

use std::path::Path;

use anyhow::Result;

use crate::results::{CaseResult, Results, ScenarioInfo};

/// Writes `summary.md` and `report.html` for `results` into `dir`.
pub fn write_reports(results: &Results, dir: &Path) -> Result<()> {
    write_atomic(&dir.join("summary.md"), &summary_markdown(results))?;
    write_atomic(&dir.join("report.html"), &report_html(results)?)
}

/// The verdict for a terminal: per scenario, the sentences the reports open with, one
/// per line, under a heading naming the scenario and mode (empty when there are none).
pub fn verdict_text(results: &Results) -> String {
    let findings = findings::findings(results);
    let mut out = String::new();
    for v in verdict::verdicts(results, &findings) {
        let mode = v.mode.map(|m| format!(", {m}")).unwrap_or_default();
        out.push_str(&format!("\nVerdict ({}{mode}):\n", v.scenario));
        for sentence in &v.sentences {
            out.push_str(&format!("  {sentence}\n"));
        }
    }
    out
}

/// Writes a text file atomically (see [`crate::results::write_atomic`]).
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    crate::results::write_atomic(path, text.as_bytes())
}

/// How many samples each case of `s` took: `15 samples per case`, or with adaptive
/// sampling `6-12 samples per case, the reference 31 (adaptive: ...)`, with the range
/// the cases (the reference apart: it is sampled among them, several times a round)
/// really took when `cases` are given, and the focus cases' own cap and precision.
pub(crate) fn sampling(s: &ScenarioInfo, cases: &[&CaseResult]) -> String {
    let ok = |c: &&&CaseResult| c.status == crate::status::Status::Ok;
    let reference = cases
        .iter()
        .filter(ok)
        .find(|c| c.variant == s.reference)
        .map(|c| c.samples_ns.len());
    let taken = cases
        .iter()
        .filter(ok)
        .filter(|c| c.variant != s.reference)
        .map(|c| c.samples_ns.len());
    let per_case = |fallback: String| match (taken.clone().min(), taken.clone().max()) {
        (Some(lo), Some(hi)) if lo == hi => format!("{lo} samples per case"),
        (Some(lo), Some(hi)) => format!("{lo}-{hi} samples per case"),
        _ => fallback,
    };
    let with_reference = |text: String| match reference {
        Some(n) if s.reference_every > 0 => format!("{text}, the reference {n}"),
        _ => text,
    };
    let Some(precision) = s.precision else {
        let fixed = format!("{} per case", crate::format::count(s.samples, "sample"));
        return with_reference(per_case(fixed));
    };
    let range = with_reference(per_case(format!(
        "{}-{} samples per case",
        s.min_samples.unwrap_or(s.samples),
        s.samples
    )));
    let focus = s
        .focus
        .as_ref()
        .map(|f| {
            format!(
                "; {} {}: at most {}, within ±{}%",
                f.variants.join(", "),
                f.modes
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                f.samples,
                f.precision
            )
        })
        .unwrap_or_default();
    format!(
        "{range} (adaptive: at least {}, at most {}, until the ratio to {} is within \
         ±{precision}%{focus})",
        s.min_samples.unwrap_or(s.samples),
        s.samples,
        s.reference
    )
}

/// The ratio's 95% interval, `[1.10, 1.41]`; with its real coverage when the samples
/// were too few for 95%, `[1.02, 1.60] 88%`; or `-`.
pub(crate) fn ratio_interval(c: &CaseResult) -> String {
    c.paired_ratio.map_or_else(
        || "-".into(),
        |p| {
            let level = match p.level {
                Some(l) if !p.is_95() => format!(" {:.0}%", l * 100.0),
                _ => String::new(),
            };
            format!("[{:.2}, {:.2}]{level}", p.low, p.high)
        },
    )
}

/// A case's distance to the floor (variant `memory`): `+56.2 ms (2.10x)`, `floor` for
/// the floor itself, `-` when the scenario has none.
pub(crate) fn floor_cell(c: &CaseResult) -> String {
    if c.variant == crate::scenario::Variant::MEMORY.id() {
        return "floor".into();
    }
    c.floor.map_or_else(
        || "-".into(),
        |f| {
            let sign = if f.extra_ns < 0.0 { "-" } else { "+" };
            format!(
                "{sign}{} ({:.2}x)",
                crate::format::format_duration_ns(f.extra_ns.abs()),
                f.ratio
            )
        },
    )
}
