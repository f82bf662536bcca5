//! Sweeps in reports: for every swept parameter, every variant's median import time
//! against the swept value, and a least-squares line through it ("0.21 ms per module").

use std::collections::HashMap;
use std::fmt::Write;

use serde::Serialize;

use super::model::CaseIndex;
use crate::format::{escape_markdown, format_duration_ns, format_rate};
use crate::markup::{Column, Row, Table};
use crate::results::Results;
use crate::scenario::{Mode, SweepParam};
use crate::status::Status;

/// One variant's growth along one sweep in one mode.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    /// The scenario file's scenario name.
    pub base: String,
    /// What was swept.
    pub parameter: SweepParam,
    /// The mode.
    pub mode: Mode,
    /// Variant id (for a `level` sweep, with the level left out: `zip-deflate-pyc`).
    pub variant: String,
    /// Measured points: (swept x, median ns), ascending x.
    pub points: Vec<(f64, f64)>,
    /// Points that could not be measured: (swept x, why).
    pub unsupported: Vec<(f64, String)>,
    /// Least-squares slope, ns per unit of x (`None` with fewer than two points).
    pub slope_ns: Option<f64>,
    /// Least-squares intercept, ns.
    pub intercept_ns: Option<f64>,
    /// Coefficient of determination of the line.
    pub r2: Option<f64>,
}

/// The variant a sweep point's case belongs to: its id, or for a `level` sweep its id
/// with the level left out (`zip-deflate-pyc`), from the case's own fields.
fn fit_variant(c: &crate::results::CaseResult, parameter: SweepParam) -> String {
    match (c.variant.compression, parameter) {
        (Some(compression), SweepParam::Level) if compression.level().is_some() => {
            format!("zip-{}-{}", compression.method(), c.variant.bytecode.name())
        }
        _ => c.variant.id(),
    }
}

/// Every fit of a run, by base scenario, parameter, mode and variant (file order).
pub(super) fn fits(results: &Results, index: &CaseIndex) -> Vec<Fit> {
    let mut out: Vec<Fit> = Vec::new();
    let mut slot: HashMap<(String, SweepParam, Mode, String), usize> = HashMap::new();
    for s in &results.scenarios {
        let Some(point) = &s.sweep else { continue };
        for c in index.of_scenario(&s.name) {
            if !c.mode.is_sampled() {
                continue;
            }
            let variant = fit_variant(c, point.parameter);
            let key = (point.base.clone(), point.parameter, c.mode, variant.clone());
            let i = *slot.entry(key).or_insert_with(|| {
                out.push(Fit {
                    base: point.base.clone(),
                    parameter: point.parameter,
                    mode: c.mode,
                    variant,
                    points: Vec::new(),
                    unsupported: Vec::new(),
                    slope_ns: None,
                    intercept_ns: None,
                    r2: None,
                });
                out.len() - 1
            });
            match (&c.status, &c.summary) {
                (Status::Ok, Some(sm)) => out[i].points.push((point.x, sm.median)),
                _ => out[i].unsupported.push((
                    point.x,
                    c.error
                        .as_deref()
                        .unwrap_or("not measured")
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                )),
            }
        }
    }
    for f in &mut out {
        f.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((slope, intercept, r2)) = crate::stats::least_squares(&f.points) {
            f.slope_ns = Some(slope);
            f.intercept_ns = Some(intercept);
            f.r2 = Some(r2);
        }
    }
    out
}

fn fit_sentence(f: &Fit) -> String {
    let range = match (f.points.first(), f.points.last()) {
        (Some(a), Some(b)) => format!("{:.0} to {:.0}", a.0, b.0),
        _ => "-".into(),
    };
    let mut line = match (f.slope_ns, f.r2) {
        (Some(slope), Some(r2)) => format!(
            "{} per {} (R² {r2:.3}; {} points, {range})",
            format_rate(slope),
            f.parameter.unit(),
            f.points.len()
        ),
        _ => format!("too few points to fit ({})", f.points.len()),
    };
    if !f.unsupported.is_empty() {
        let xs: Vec<String> = f
            .unsupported
            .iter()
            .map(|u| format!("{:.0}", u.0))
            .collect();
        let _ = write!(
            line,
            "; not measurable at {}: {}",
            xs.join(", "),
            f.unsupported[0].1
        );
    }
    line
}

/// The fits grouped by base scenario, swept parameter and mode: each group's heading
/// parts and its table (variant, growth sentence, measured points), the variant column
/// `width` wide in the terminal.
fn groups(fits: &[Fit], width: usize) -> Vec<(&Fit, Table)> {
    let mut out: Vec<(&Fit, Table)> = Vec::new();
    for f in fits {
        let same = out
            .last()
            .is_some_and(|(g, _)| (&g.base, g.parameter, g.mode) == (&f.base, f.parameter, f.mode));
        if !same {
            let table = Table::new(vec![
                Column::left("variant", width),
                Column::left("growth", 0).gap(2),
                Column::left("points", 0).markdown_only(),
            ])
            .without_text_header();
            out.push((f, table));
        }
        let points: Vec<String> = f
            .points
            .iter()
            .map(|(x, y)| format!("{x:.0}: {}", format_duration_ns(*y)))
            .collect();
        let table = &mut out.last_mut().expect("a group was pushed").1;
        table.push(Row::cells(vec![
            f.variant.clone(),
            fit_sentence(f),
            points.join(", "),
        ]));
    }
    out
}

/// The fits as terminal text ("" without sweeps).
pub fn sweep_text(fits: &[Fit]) -> String {
    let w = fits.iter().map(|f| f.variant.len()).max().unwrap_or(7);
    let mut out = String::new();
    for (f, table) in groups(fits, w) {
        let _ = writeln!(
            out,
            "\n{} / sweep of {} ({}): median import time against the swept value, \
             least-squares growth",
            f.base,
            f.parameter.name(),
            f.mode
        );
        out.push_str(&table.text());
    }
    out
}

/// The fits as Markdown ("" without sweeps).
pub fn sweep_markdown(fits: &[Fit]) -> String {
    let mut out = String::new();
    for (f, table) in groups(fits, 0) {
        let _ = write!(
            out,
            "\n### {} / sweep of {} ({})\n\n{}",
            escape_markdown(&f.base),
            f.parameter.name(),
            f.mode,
            table.markdown()
        );
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// A sweep chart's data: title, x axis, and per variant the (x, median ms) points.
pub type SweepChart = (String, &'static str, Vec<(String, Vec<(f64, f64)>)>);

/// One chart per base scenario, parameter and mode.
pub fn sweep_charts(fits: &[Fit]) -> Vec<SweepChart> {
    let mut out: Vec<SweepChart> = Vec::new();
    for f in fits {
        let title = format!(
            "{}: import time against {} ({})",
            f.base,
            f.parameter.name(),
            f.mode
        );
        let series = (
            format!(
                "{} ({})",
                f.variant,
                f.slope_ns
                    .map(|s| format!("{} per {}", format_rate(s), f.parameter.unit()))
                    .unwrap_or_else(|| "no fit".into())
            ),
            f.points.iter().map(|&(x, y)| (x, y / 1e6)).collect(),
        );
        match out.iter_mut().find(|(t, ..)| *t == title) {
            Some((.., s)) => s.push(series),
            None => out.push((title, f.parameter.axis(), vec![series])),
        }
    }
    out
}
