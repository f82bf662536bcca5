//! A calibration as a terminal table or Markdown: false alarms per method, then per
//! case the false alarms, the power at a few slowdowns and the smallest change the
//! gate detects in 90% of pairs.

use std::fmt::Write;

use super::{Calibration, CaseCalibration, EstimatorRow, Method, Rate};
use crate::markup::{Column, Row, Table};

/// Slowdowns shown as columns (the JSON has every level).
fn shown_levels(m: Method) -> &'static [f64] {
    match m {
        Method::Plain | Method::Relative => &[0.10, 0.20, 0.30, 0.50, 1.00],
        Method::Instructions => &[0.005, 0.01, 0.02, 0.05],
    }
}

fn pct(x: f64) -> String {
    if x < 0.01 && x > 0.0 {
        format!("{:.1}%", x * 100.0)
    } else {
        format!("{:.0}%", x * 100.0)
    }
}

fn rate(r: &Rate) -> String {
    format!("{}/{} ({})", r.hits, r.of, pct(r.rate))
}

/// `3/45 (7%, 95% interval 0-18%)`.
pub(super) fn rate_with_interval(r: &Rate) -> String {
    format!(
        "{}/{} ({}, 95% interval {:.0}-{:.0}%)",
        r.hits,
        r.of,
        pct(r.rate),
        r.low * 100.0,
        r.high * 100.0
    )
}

fn power_at(c: &CaseCalibration, level: f64) -> String {
    c.power
        .iter()
        .find(|(l, _)| (l - level).abs() < 1e-9)
        .map_or_else(|| "-".into(), |(_, r)| pct(r.rate))
}

fn detects(c: &CaseCalibration) -> String {
    match (&c.note, c.detectable, c.power.last()) {
        (Some(n), _, _) if n.starts_with("never judged") => "never judged".into(),
        (Some(_), _, _) => "reference".into(),
        (None, Some(l), _) => format!("+{}", pct(l)),
        (None, None, Some((l, _))) => format!("> +{}", pct(*l)),
        (None, None, None) => "-".into(),
    }
}

fn headline(cal: &Calibration) -> String {
    format!(
        "{} runs, {} pairs of runs, {} samples per case; threshold {}, instruction threshold {}",
        cal.runs.len(),
        cal.pairs,
        cal.samples,
        pct(cal.threshold),
        pct(cal.instructions_threshold)
    )
}

fn case_name(c: &CaseCalibration) -> String {
    format!("{}/{}/{}", c.scenario, c.variant, c.mode)
}

/// The estimator comparison as a table.
fn estimator_table(rows: &[EstimatorRow]) -> Table {
    let mut t = Table::new(vec![
        Column::fit("case"),
        Column::fit("estimator").gap(2),
        Column::fit("runs").right_aligned(),
        Column::fit("median ratio").right_aligned(),
        Column::fit("sd of log over runs").right_aligned(),
        Column::fit("interval half-width").right_aligned(),
        Column::fit("coverage of 95% intervals").right_aligned(),
    ]);
    for r in rows {
        t.push(Row::cells(vec![
            format!("{}/{}/{}", r.scenario, r.variant, r.mode),
            format!(
                "{}{}",
                r.estimator.name(),
                if r.default {
                    " (runs)"
                } else if r.estimator.production() == Some(crate::stats::relative::GATE) {
                    " (gate)"
                } else {
                    ""
                }
            ),
            r.runs.to_string(),
            format!("{:.3}x", r.median),
            format!("{:.4}", r.log_sd),
            r.half_width
                .map_or_else(|| "-".into(), |h| format!("±{:.1}%", h * 100.0)),
            r.coverage.as_ref().map_or_else(|| "-".into(), rate),
        ]));
    }
    t
}

/// The per-case table of `method`: name, method, noise, false alarms, power at each
/// shown slowdown, and the smallest slowdown detected in 90% of pairs (`None` when the
/// calibration has no case of that method).
fn case_table(cal: &Calibration, m: Method) -> Option<Table> {
    let mut columns = vec![
        Column::fit("case").gap(1),
        Column::fit("method").gap(2).right_aligned().markdown_left(),
        Column::fit("noise (MAD)").right_aligned(),
        Column::fit("false alarms").right_aligned(),
    ];
    columns.extend(
        shown_levels(m)
            .iter()
            .map(|l| Column::fit(format!("+{}", pct(*l))).right_aligned()),
    );
    columns.push(Column::fit("detects (90%)").right_aligned());
    let mut t = Table::new(columns);
    for c in cal.cases.iter().filter(|c| c.method == m) {
        let mut row = vec![
            case_name(c),
            c.method.label().to_owned(),
            c.noise.map_or_else(|| "-".into(), pct),
            rate(&c.false_alarms),
        ];
        row.extend(shown_levels(c.method).iter().map(|&l| power_at(c, l)));
        row.push(detects(c));
        t.push(Row::cells(row));
    }
    (!t.is_empty()).then_some(t)
}

/// The estimator comparison for a terminal: per case, each estimator's spread over the
/// runs and how often its intervals held the other runs' median.
pub fn render_estimators(rows: &[EstimatorRow]) -> String {
    format!(
        "Estimators of each case's ratio to its reference, over the runs (coverage: runs \
         whose 95% interval held the median of the other runs' estimates)\n{}",
        estimator_table(rows).text()
    )
}

/// The calibration for a terminal.
pub fn render_text(cal: &Calibration) -> String {
    let mut out = render_gate(cal);
    if !cal.estimators.is_empty() {
        out.push('\n');
        out.push_str(&render_estimators(&cal.estimators));
    }
    out
}

/// The gate's part of the calibration for a terminal.
fn render_gate(cal: &Calibration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "calibration: {}\n", headline(cal));
    let _ = writeln!(
        out,
        "False alarms: pairs of runs (nothing changed between them) in which the gate \
         flagged any case"
    );
    for f in &cal.false_alarms {
        let others: Vec<String> = f
            .by_threshold
            .iter()
            .map(|(t, r)| format!("{}: {}", pct(*t), pct(r.rate)))
            .collect();
        let _ = writeln!(
            out,
            "  {:<18} {:<16} 95% CI [{}, {}]   at other thresholds: {}",
            f.method.label(),
            rate(&f.any),
            pct(f.any.low),
            pct(f.any.high),
            others.join(", ")
        );
        let _ = writeln!(
            out,
            "  {:<18} a CI job with --fail-on-regression fails in {} [{}, {}] (rows not \
             judged in {})",
            "",
            rate(&f.job_failures),
            pct(f.job_failures.low),
            pct(f.job_failures.high),
            rate(&f.cannot_judge)
        );
    }
    let never: Vec<String> = cal
        .cases
        .iter()
        .filter_map(|c| {
            c.note
                .as_deref()
                .filter(|n| n.starts_with("never judged"))
                .map(|n| format!("  {} ({}): {n}", case_name(c), c.method.label()))
        })
        .collect();
    if !never.is_empty() {
        let _ = writeln!(out, "\nCases no pair of runs could judge:");
        for n in never {
            let _ = writeln!(out, "{n}");
        }
    }
    for m in [Method::Plain, Method::Relative, Method::Instructions] {
        if let Some(t) = case_table(cal, m) {
            let _ = writeln!(
                out,
                "\n{}: share of pairs flagging one case's injected slowdown",
                m.label()
            );
            out.push_str(&t.text());
        }
    }
    out
}

/// The calibration as Markdown (`calibration.md`): the gate's figures, then the
/// estimator comparison.
pub fn render_markdown(cal: &Calibration) -> String {
    let mut out = format!(
        "### zipimport-bench calibration\n\n{}",
        render_gate_markdown(cal)
    );
    if !cal.estimators.is_empty() {
        let _ = writeln!(
            out,
            "\n**Estimators of the ratio to the reference** (coverage: runs whose 95% \
             interval held the median of the other runs' estimates)\n"
        );
        out.push_str(&render_estimators_markdown(&cal.estimators));
    }
    out
}

/// The estimator comparison as a Markdown table.
pub fn render_estimators_markdown(rows: &[EstimatorRow]) -> String {
    estimator_table(rows).markdown()
}

/// The gate's part of the calibration as Markdown: false alarms per method, then per
/// case the false alarms, the power at a few slowdowns and the smallest change found in
/// 90% of pairs.
pub fn render_gate_markdown(cal: &Calibration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", headline(cal));
    let mut t = Table::new(vec![
        Column::fit("method"),
        Column::fit("pairs flagging anything (A/A)").right_aligned(),
        Column::fit("95% CI").right_aligned(),
        Column::fit("pairs failing a CI job (exit 4 or 5)").right_aligned(),
        Column::fit("95% CI").right_aligned(),
        Column::fit("pairs with rows not judged").right_aligned(),
        Column::fit("at 0% / 2% / 5% / 10% / 20%").right_aligned(),
    ]);
    for f in &cal.false_alarms {
        let others: Vec<String> = f.by_threshold.iter().map(|(_, r)| pct(r.rate)).collect();
        t.push(Row::cells(vec![
            f.method.label().to_owned(),
            rate(&f.any),
            format!("[{}, {}]", pct(f.any.low), pct(f.any.high)),
            rate(&f.job_failures),
            format!(
                "[{}, {}]",
                pct(f.job_failures.low),
                pct(f.job_failures.high)
            ),
            rate(&f.cannot_judge),
            others.join(" / "),
        ]));
    }
    out.push_str(&t.markdown());
    let _ = writeln!(
        out,
        "\nIntervals resample whole runs: pairs that share a run are not independent."
    );
    for m in [Method::Plain, Method::Relative, Method::Instructions] {
        if let Some(t) = case_table(cal, m) {
            let _ = writeln!(out, "\n**{}**\n", m.label());
            out.push_str(&t.markdown());
        }
    }
    out
}
