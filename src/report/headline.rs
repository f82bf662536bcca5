//! The headline table of one scenario and mode: every case against the reference, in
//! the model's one row order, with one column set that the terminal, `summary.md` and
//! `report.html` all draw from the same [`Table`]. Every ratio has its interval beside
//! it; every case says whether it reached the precision it was sampled for.

use super::model::{CaseRow, FloorCell, ModeTable, ScenarioReport, Target};
use super::phrase;
use crate::format::{format_duration_ns, format_size};
use crate::markup::{Column, Row, Table};
use crate::status::Status;

/// The sentence above the table: modules, sampling, reference, start-up and overhead.
pub fn heading(s: &ScenarioReport, t: &ModeTable) -> String {
    let mut text = format!(
        "{} imported, {}, reference {}",
        crate::format::count(s.info.workload_modules.len() as u64, "module"),
        t.sampling,
        s.info.reference
    );
    if let Some(ns) = t.startup_ns {
        text.push_str(&format!(
            "; interpreter start-up {} (median)",
            format_duration_ns(ns)
        ));
    }
    if let Some(ns) = t.overhead_ns {
        text.push_str(&format!(
            "; harness overhead {} per sample (median; outside the timings)",
            format_duration_ns(ns)
        ));
    }
    text
}

/// What the ratio columns are, named after the estimator the run used.
pub fn note(t: &ModeTable) -> String {
    let mut estimators: Vec<&'static str> = t
        .rows
        .iter()
        .filter_map(|r| r.case.paired_ratio.map(|p| p.estimator.name()))
        .collect();
    estimators.sort_unstable();
    estimators.dedup();
    let by = if estimators.is_empty() {
        "the run's estimator applied to the samples when read (this file holds no estimates)"
            .to_owned()
    } else {
        format!(
            "the run's estimator ({}; METHODOLOGY.md, \"Choosing the estimator\")",
            estimators.join(", ")
        )
    };
    let mut text = format!(
        "Rows by their ratio to the reference, lowest first; cases not measured last, with \
         why. Ratio: each case against the reference by {by}, with its 95% interval (an \
         interval the samples could not bring to 95% shows its real level)."
    );
    if t.has_floor {
        text.push_str(
            " Over the floor: the case against the same code served from memory (variant \
             memory), the quotient of the two ratios to the reference, with the interval the \
             two imply.",
        );
    }
    text.push_str(
        " Target: whether adaptive sampling stopped the case because its ratio reached the \
         precision it was held to (reached) or at its sample cap (cap).",
    );
    if t.counted {
        text.push_str(
            " Instructions: callgrind's count of the import section, its ratio to the \
             reference's with the span of both counts.",
        );
    }
    text
}

fn target(t: Target) -> String {
    match t {
        Target::Fixed => "fixed".into(),
        Target::Reference => "reference".into(),
        Target::Reached(h) => format!("±{:.0}% reached", h * 100.0),
        Target::Cap(h) => format!("±{:.0}% cap", h * 100.0),
        Target::Unknown => "-".into(),
    }
}

/// A row's tone on the page: faster than the reference beyond doubt, slower, or
/// neither.
fn tone(r: &CaseRow) -> &'static str {
    match r.ratio {
        Some(x) if x.below_one() => "good",
        Some(x) if x.above_one() => "bad",
        _ => "info",
    }
}

/// The headline table of `t`.
pub fn table(t: &ModeTable, planned_samples: u32) -> Table {
    let mut columns = vec![
        Column::fit("variant"),
        Column::right("median", 9),
        Column::right("95% CI of median", 21),
        Column::right("MAD", 6).markdown_title("median abs. deviation"),
        Column::right("ratio", 7),
        Column::right("95% CI", 14),
    ];
    if t.has_floor {
        columns.push(Column::right("over the floor", 14));
        columns.push(Column::right("floor 95% CI", 14));
    }
    columns.extend([
        Column::right("n", 3).markdown_title("samples"),
        Column::right("target", 13),
        Column::right("size", 10),
        Column::right("entries", 7),
    ]);
    if t.counted {
        columns.push(Column::right("instructions", 12));
        columns.push(Column::right("ratio", 7).markdown_title("instructions ratio"));
        columns.push(Column::right("span", 14).markdown_title("instructions span"));
    }
    let mut table = Table::new(columns);
    for r in &t.rows {
        table.push(row(t, r, planned_samples));
    }
    table
}

fn row(t: &ModeTable, r: &CaseRow, planned_samples: u32) -> Row {
    let c = r.case;
    let (Some(sm), true) = (r.summary(), r.is_ok()) else {
        let label = match c.status {
            Status::Unsupported => "unsupported",
            Status::Incomplete => "incomplete",
            _ => "error",
        };
        let planned = format!(
            "{} of {} samples before the run was stopped (run --resume)",
            c.samples_ns.len(),
            planned_samples
        );
        let error = match c.status {
            Status::Incomplete => planned.as_str(),
            _ => c.error.as_deref().unwrap_or("no samples"),
        };
        let first_line = error.lines().next().unwrap_or_default();
        return Row::message(vec![c.variant.id()], format!("{label}: {first_line}"));
    };
    let dash = || "-".to_owned();
    let level = if sm.ci_level < 0.95 - 1e-9 {
        format!(" {:.0}%", sm.ci_level * 100.0)
    } else {
        String::new()
    };
    let mut cells = vec![
        c.variant.id(),
        format_duration_ns(sm.median),
        format!(
            "[{}, {}]{level}",
            format_duration_ns(sm.ci95_low),
            format_duration_ns(sm.ci95_high)
        ),
        format!("{:.1}%", 100.0 * sm.rel_mad()),
        r.ratio.as_ref().map_or_else(dash, phrase::ratio),
        r.ratio.as_ref().map_or_else(dash, phrase::interval),
    ];
    if t.has_floor {
        let (ratio, interval) = match r.floor {
            FloorCell::IsFloor => ("floor".to_owned(), String::new()),
            FloorCell::Over(x) => (phrase::ratio(&x), phrase::interval(&x)),
            FloorCell::None => (dash(), dash()),
        };
        cells.push(ratio);
        cells.push(interval);
    }
    cells.extend([
        c.samples_ns.len().to_string(),
        target(r.target),
        format_size(c.artifact.size),
        c.artifact.entries.to_string(),
    ]);
    if t.counted {
        match (r.instructions_median, &r.instructions, &r.instructions_note) {
            (Some(m), x, _) => {
                cells.push(format!("{:.2} M", m / 1e6));
                cells.push(x.as_ref().map_or_else(dash, phrase::ratio));
                cells.push(x.as_ref().map_or_else(dash, phrase::interval));
            }
            (None, _, Some(note)) => {
                cells.push(note.clone());
                cells.extend([dash(), dash()]);
            }
            _ => cells.extend([dash(), dash(), dash()]),
        }
    }
    Row::cells(cells).tone(tone(r))
}

/// The warnings of the table's cases, one line each: `variant: what`.
pub fn warnings(t: &ModeTable) -> Vec<String> {
    t.rows
        .iter()
        .flat_map(|r| {
            r.case
                .warnings
                .iter()
                .map(|w| format!("{}: {w}", r.variant()))
        })
        .collect()
}
