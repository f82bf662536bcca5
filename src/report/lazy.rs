//! Lazy imports (PEP 810, `[measure] lazy-imports = ["normal", "all"]`): each variant
//! under an interpreter's normal and lazy (`-X lazy_imports=all`) settings side by
//! side, with the modules each import actually loaded (fewer when statements are
//! deferred), what the archive's entry raised when lazy, and which interpreters were
//! measured under `normal` only and why.

use std::fmt::Write;

use serde::Serialize;

use super::markup::{Column, Row, Table};
use crate::format::{escape_markdown, format_duration_ns};
use crate::results::{CaseResult, Results, ScenarioInfo};
use crate::scenario::LazyImports;
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

/// The median of a case, its modules loaded (the probe's count) and whether it ran.
fn cell(c: Option<&CaseResult>) -> (String, Option<f64>, Option<u64>) {
    let Some(c) = c else {
        return ("-".into(), None, None);
    };
    let modules = c.probe.as_ref().map(|p| p.modules);
    match (&c.summary, c.status) {
        (Some(s), Status::Ok) => (format_duration_ns(s.median), Some(s.median), modules),
        _ => (c.status.name().to_owned(), None, modules),
    }
}

/// The lazy-imports tables and notes of a run (empty when no scenario asked).
pub fn lazy_report(results: &Results) -> LazyReport {
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
        let find = |scenario: &str, variant: &str| {
            results
                .cases
                .iter()
                .find(|c| c.scenario == scenario && c.variant == variant && c.mode == mode)
        };
        let mut rows = Vec::new();
        for c in results
            .cases
            .iter()
            .filter(|c| c.scenario == lazy.name && c.mode == mode)
        {
            let (lazy_text, lazy_ns, lazy_modules) = cell(Some(c));
            let (normal_text, normal_ns, normal_modules) = cell(find(base, &c.variant));
            let ratio = match (lazy_ns, normal_ns) {
                (Some(l), Some(n)) if n > 0.0 => format!("{:.2}x", l / n),
                _ => "-".into(),
            };
            let count = |m: Option<u64>| m.map_or("-".into(), |m| m.to_string());
            rows.push([
                c.variant.clone(),
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

fn table(t: &LazyTable) -> Table {
    let mut table = Table::new(vec![
        Column::fit("variant"),
        Column::right("normal", 10),
        Column::right("lazy all", 10),
        Column::right("all / normal", 12),
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
        "{} / {}: lazy imports under Python {} (median; modules the import loaded; the two \
         settings ran one after the other, not interleaved)",
        t.normal, t.mode, t.python
    )
}

/// The sections as terminal text ("" when no scenario asked for lazy imports).
pub fn lazy_text(results: &Results) -> String {
    let report = lazy_report(results);
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
pub fn lazy_markdown(results: &Results) -> String {
    let report = lazy_report(results);
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
