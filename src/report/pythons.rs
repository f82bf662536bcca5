//! Several Pythons in one run (`run --python`): every variant's median under every
//! interpreter, side by side, with its ratio to the reference variant under the same
//! interpreter (the ratio is what compares across versions; absolute times also move
//! with the interpreter's own speed).

use std::fmt::Write;

use serde::Serialize;

use super::model::ScenarioReport;
use crate::format::{escape_markdown, format_duration_ns};
use crate::markup::{Column, Row, Table};
use crate::results::{Results, ScenarioInfo};

/// One scenario file's variants across interpreters, in one mode.
#[derive(Debug, Serialize)]
pub struct PythonTable {
    /// The scenario (the embedded interpreter's instance name).
    pub base: String,
    /// The mode compared.
    pub mode: String,
    /// The reference variant.
    pub reference: String,
    /// Interpreter versions, oldest first.
    pub pythons: Vec<String>,
    /// Per variant: its id and, per interpreter, its ratio to the reference with the
    /// interval (the reference: its median), or why not.
    pub rows: Vec<(String, Vec<String>)>,
    /// Per interpreter: its compiler and build flags (`GCC 12.2.0, -O3`).
    pub builds: Vec<String>,
    /// Per interpreter: the compression methods its zipimport reads.
    pub reads: Vec<String>,
    /// When the interpreters were built differently: a sentence saying so, and that
    /// only the ratios (within one interpreter) compare.
    pub warning: Option<String>,
}

/// The instance's base scenario name and Python version, for external instances.
fn external_base(s: &ScenarioInfo) -> Option<(String, String)> {
    let p = s.python.as_ref()?;
    let base = s.name.strip_suffix(&format!("-py{}", p.version_short))?;
    Some((base.to_owned(), p.version_short.clone()))
}

/// One table per scenario measured under more than one interpreter.
pub(super) fn python_tables(results: &Results, scenarios: &[ScenarioReport]) -> Vec<PythonTable> {
    let mut out = Vec::new();
    for base in results.scenarios.iter().filter(|s| s.python.is_none()) {
        let externals: Vec<(&ScenarioInfo, String)> = results
            .scenarios
            .iter()
            .filter_map(|s| match external_base(s) {
                Some((b, v)) if b == base.name => Some((s, v)),
                _ => None,
            })
            .collect();
        if externals.is_empty() {
            continue;
        }
        let Some(mode) = base.headline_mode() else {
            continue;
        };
        let mut instances = vec![(base, results.metadata.python.version_short.clone())];
        instances.extend(externals);
        let info_of =
            |s: &ScenarioInfo| s.python.clone().unwrap_or(results.metadata.python.clone());
        // Oldest Python first.
        let key = |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
        instances.sort_by_key(|(_, v)| key(v));
        let mut variants: Vec<String> = Vec::new();
        let table_of = |name: &str| {
            scenarios
                .iter()
                .find(|s| s.info.name == name)
                .and_then(|s| s.table(mode))
        };
        for c in table_of(&base.name).iter().flat_map(|t| &t.rows) {
            if !variants.contains(&c.case.variant.id()) {
                variants.push(c.case.variant.id());
            }
        }
        let rows = variants
            .iter()
            .map(|v| {
                let cells = instances
                    .iter()
                    .map(|(s, _)| {
                        let row = table_of(&s.name).and_then(|t| t.row(v));
                        match row {
                            Some(r) if r.is_ok() => match r.ratio {
                                Some(x) if x.is_exact() => format_duration_ns(r.median()),
                                Some(x) => format!(
                                    "{} {}",
                                    super::phrase::ratio(&x),
                                    super::phrase::interval(&x)
                                ),
                                None => format_duration_ns(r.median()),
                            },
                            Some(r) => r.case.status.name().to_owned(),
                            None => "-".into(),
                        }
                    })
                    .collect();
                (v.clone(), cells)
            })
            .collect();
        let builds: Vec<String> = instances
            .iter()
            .map(|(s, _)| info_of(s).build_summary())
            .collect();
        let reads = instances
            .iter()
            .map(|(_, v)| {
                ["stored", "deflate", "bzip2", "lzma", "xz", "zstd"]
                    .into_iter()
                    .filter(|m| crate::scenario::readable_by(m, v) == Some(true))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect();
        let versions: Vec<String> = instances.iter().map(|(_, v)| v.clone()).collect();
        out.push(PythonTable {
            warning: build_warning(&versions, &builds),
            builds,
            reads,
            base: base.name.clone(),
            mode: mode.name().to_owned(),
            reference: base.reference.id(),
            pythons: instances.iter().map(|(_, v)| v.clone()).collect(),
            rows,
        });
    }
    out
}

/// When `builds` (one per version) differ: which versions were built how, and that
/// absolute times do not compare across them.
fn build_warning(versions: &[String], builds: &[String]) -> Option<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (v, b) in versions.iter().zip(builds) {
        match groups.iter_mut().find(|(x, _)| *x == b) {
            Some((_, vs)) => vs.push(v),
            None => groups.push((b, vec![v])),
        }
    }
    (groups.len() > 1).then(|| {
        let parts: Vec<String> = groups
            .iter()
            .map(|(b, vs)| format!("{b} for {}", vs.join(", ")))
            .collect();
        format!(
            "These interpreters were built differently ({}): their absolute times say as \
             much about the build as about the version; compare the ratios, each within \
             one interpreter.",
            parts.join("; ")
        )
    })
}

/// The table as the report page draws it.
pub fn table_view(t: &PythonTable) -> crate::markup::TableView {
    table(t).view()
}

/// A cross-Python table as a [`Table`]: the variant, then a column per interpreter.
fn table(t: &PythonTable) -> Table {
    let mut columns = vec![Column::fit("variant")];
    columns.extend(
        t.pythons
            .iter()
            .map(|p| Column::right(format!("Python {p}"), 22)),
    );
    let mut table = Table::new(columns);
    for (label, cells) in [("build", &t.builds), ("zipimport reads", &t.reads)] {
        let mut row = vec![label.to_owned()];
        row.extend(cells.iter().cloned());
        table.push(Row::cells(row));
    }
    for (v, cells) in &t.rows {
        let mut row = vec![v.clone()];
        row.extend(cells.iter().cloned());
        table.push(Row::cells(row));
    }
    table
}

/// The tables as terminal text ("" with one interpreter).
pub fn python_text(tables: &[PythonTable]) -> String {
    let mut out = String::new();
    for t in tables {
        let _ = writeln!(
            out,
            "\n{} / {} across Pythons: the reference's median, every other variant's ratio to \
             {} under the same Python with its 95% interval",
            t.base, t.mode, t.reference
        );
        out.push_str(&table(t).text());
        if let Some(w) = &t.warning {
            let _ = writeln!(out, "  {w}");
        }
    }
    out
}

/// One table as Markdown: its heading, the table and the build warning.
pub fn markdown_table(t: &PythonTable) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} / {} across Pythons\n\nThe reference's median import time; every other variant's ratio to `{}` under the same Python, with its 95% interval.\n",
        escape_markdown(&t.base),
        t.mode,
        escape_markdown(&t.reference)
    );
    out.push_str(&table(t).markdown());
    out.push('\n');
    if let Some(w) = &t.warning {
        let _ = writeln!(out, "{}\n", escape_markdown(w));
    }
    out
}

/// The tables as Markdown ("" with one interpreter).
pub fn python_markdown(tables: &[PythonTable]) -> String {
    tables.iter().map(markdown_table).collect()
}
