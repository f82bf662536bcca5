//! Lazy imports (PEP 810, `[measure] lazy-imports = ["normal", "all"]`): each variant
//! under an interpreter's normal and lazy (`-X lazy_imports=all`) settings side by
//! side, with the modules each import actually loaded (fewer when statements are
//! deferred), what the archive's entry raised when lazy, and which interpreters were
//! measured under `normal` only and why.

use std::fmt::Write;

use serde::Serialize;

use super::model::ScenarioReport;
use crate::format::{escape_markdown, format_duration_ns};
use crate::markup::{Column, Row, Table};
use crate::results::{CaseResult, Results, ScenarioInfo, Summary};
use crate::scenario::LazyImports;
use crate::stats::RatioInterval;
use crate::status::Status;

/// One interpreter's normal and lazy instances of a scenario, in one mode.
#[derive(Debug, Serialize)]
pub struct LazyTable {
    /// The normal instance's scenario name.
    pub normal: String,
    /// The lazy instance's scenario name.
    pub lazy: String,
    /// The interpreter's version.
    pub python: String,
    /// The mode compared.
    pub mode: String,
    /// Per variant: id, normal median, lazy median, lazy over normal, modules loaded
    /// normal, modules loaded lazy.
    pub rows: Vec<[String; 6]>,
    /// What the entry raised under each setting, when it raised.
    pub entry_errors: Vec<String>,
}

/// What the lazy-imports sections show.
#[derive(Debug, Serialize, Default)]
pub struct LazyReport {
    /// One table per interpreter measured both ways.
    pub tables: Vec<LazyTable>,
    /// Interpreters of scenarios that asked for `all` but were measured under
    /// `normal` only, with why.
    pub normal_only: Vec<String>,
}

/// The median of a case, its modules loaded (the probe's count) and its samples when
/// it ran.
fn cell(c: Option<&CaseResult>) -> (String, Option<&[u64]>, Option<u64>) {
    let Some(c) = c else {
        return ("-".into(), None, None);
    };
    let modules = c.probe.as_ref().map(|p| p.modules);
    match (&c.summary, c.status) {
        (Some(s), Status::Ok) => (
            format_duration_ns(s.median),
            Some(c.samples_ns.as_slice()),
            modules,
        ),
        _ => (c.status.name().to_owned(), None, modules),
    }
}

/// Lazy over normal: the ratio of the medians with a bootstrap interval of it (the two
/// settings ran one after the other, so the samples do not pair).
fn unpaired_ratio(lazy: &[u64], normal: &[u64]) -> Option<RatioInterval> {
    let (l, n) = (Summary::of(lazy)?, Summary::of(normal)?);
    if n.median <= 0.0 {
        return None;
    }
    let f = |s: &[u64]| s.iter().map(|&v| v as f64).collect::<Vec<_>>();
    let (lo, hi) = crate::stats::bootstrap_ratio_ci(&f(normal), &f(lazy), crate::stats::RESAMPLES);
    Some(RatioInterval::new(l.median / n.median, lo, hi, 0.95))
}

/// The lazy-imports tables and notes of a run (empty when no scenario asked).
pub(super) fn lazy_report(results: &Results, scenarios: &[ScenarioReport]) -> LazyReport {
    let mut out = LazyReport::default();
    let asked = |s: &ScenarioInfo| s.lazy_imports_asked.contains(&LazyImports::All);
    for lazy in results
        .scenarios
        .iter()
        .filter(|s| s.lazy_imports == Some(LazyImports::All))
    {
        let base = lazy.name.strip_suffix("-lazy").unwrap_or(&lazy.name);
        let python = lazy
            .python
            .as_ref()
            .map_or(String::new(), |p| p.version_short.clone());
        let normal = results.scenarios.iter().find(|s| s.name == base);
        let Some(mode) = lazy.headline_mode() else {
            continue;
        };
        let table_of = |name: &str| {
            scenarios
                .iter()
                .find(|s| s.info.name == name)
                .and_then(|s| s.table(mode))
        };
        let normal_table = table_of(base);
        let mut rows = Vec::new();
        for c in table_of(&lazy.name)
            .iter()
            .flat_map(|t| &t.rows)
            .map(|r| r.case)
        {
            let (lazy_text, lazy_ns, lazy_modules) = cell(Some(c));
            let (normal_text, normal_ns, normal_modules) = cell(
                normal_table
                    .and_then(|t| t.row(&c.variant.id()))
                    .map(|r| r.case),
            );
            let ratio = match (lazy_ns, normal_ns) {
                (Some(l), Some(n)) => unpaired_ratio(l, n).map_or_else(
                    || "-".into(),
                    |r| {
                        format!(
                            "{} {}",
                            super::phrase::ratio(&r),
                            super::phrase::interval(&r)
                        )
                    },
                ),
                _ => "-".into(),
            };
            let count = |m: Option<u64>| m.map_or("-".into(), |m| m.to_string());
            rows.push([
                c.variant.id(),
                normal_text,
                lazy_text,
                ratio,
                count(normal_modules),
                count(lazy_modules),
            ]);
        }
        let mut entry_errors = Vec::new();
        for (setting, s) in [("normal", normal), ("all", Some(lazy))] {
            if let Some(e) = s.and_then(|s| s.corpus.as_ref()?.entry_error.clone()) {
                entry_errors.push(format!(
                    "under lazy imports {setting}, the archive's entry raised {e}"
                ));
            }
        }
        out.tables.push(LazyTable {
            normal: base.to_owned(),
            lazy: lazy.name.clone(),
            python,
            mode: mode.name().to_owned(),
            rows,
            entry_errors,
        });
    }
    for s in results
        .scenarios
        .iter()
        .filter(|s| asked(s) && s.lazy_imports != Some(LazyImports::All))
    {
        let has_lazy_twin = results
            .scenarios
            .iter()
            .any(|x| x.name == format!("{}-lazy", s.name));
        if has_lazy_twin {
            continue;
        }
        let version = s
            .python
            .as_ref()
            .map_or(results.metadata.python.version_short.clone(), |p| {
                p.version_short.clone()
            });
        out.normal_only.push(format!(
            "{} (Python {version}) was measured under normal imports only: lazy imports \
             (PEP 810) exist from Python 3.15",
            s.name
        ));
    }
    out
}

/// The table as the report page draws it.
pub fn table_view(t: &LazyTable) -> crate::markup::TableView {
    table(t).view()
}

fn table(t: &LazyTable) -> Table {
    let mut table = Table::new(vec![
        Column::fit("variant"),
        Column::right("normal", 10),
        Column::right("lazy all", 10),
        Column::right("all / normal", 22),
        Column::right("modules normal", 14),
        Column::right("modules all", 11),
    ]);
    for r in &t.rows {
        table.push(Row::cells(r.to_vec()));
    }
    table
}

/// The heading line of a table.
fn heading(t: &LazyTable) -> String {
    format!(
        "{} / {}: lazy imports under Python {} (median; lazy over normal, a ratio of medians \
         with a bootstrap 95% interval: the two settings ran one after the other, not \
         interleaved, so their samples do not pair; modules the import loaded)",
        t.normal, t.mode, t.python
    )
}

/// The sections as terminal text ("" when no scenario asked for lazy imports).
pub fn lazy_text(report: &LazyReport) -> String {
    let mut out = String::new();
    for t in &report.tables {
        let _ = writeln!(out, "\n{}", heading(t));
        out.push_str(&table(t).text());
        for e in &t.entry_errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    for n in &report.normal_only {
        let _ = writeln!(out, "  {n}");
    }
    out
}

/// The sections as Markdown ("" when no scenario asked for lazy imports).
pub fn lazy_markdown(report: &LazyReport) -> String {
    let mut out = String::new();
    for t in &report.tables {
        let _ = writeln!(out, "### {}\n", escape_markdown(&heading(t)));
        out.push_str(&table(t).markdown());
        out.push('\n');
        for e in &t.entry_errors {
            let _ = writeln!(out, "- {}", escape_markdown(e));
        }
    }
    for n in &report.normal_only {
        let _ = writeln!(out, "- {}", escape_markdown(n));
    }
    out
}
