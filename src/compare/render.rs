//! A comparison as a terminal table, GitHub-flavoured Markdown or JSON.

use std::fmt::Write;

use super::{CaseComparison, Comparison, Metric, Verdict};
use crate::report::{escape_markdown, format_duration_ns};

fn ratio_text(c: &CaseComparison) -> (String, String, String) {
    let ratio = c.ratio.map_or_else(|| "-".into(), |r| format!("{r:.3}x"));
    let ci = match (c.ratio_ci_low, c.ratio_ci_high) {
        (Some(lo), Some(hi)) => format!("[{lo:.3}, {hi:.3}]"),
        _ => "-".into(),
    };
    let p = c.q_value.map_or_else(|| "-".into(), |q| format!("{q:.3}"));
    (ratio, ci, p)
}

fn median_text(metric: Metric, v: Option<f64>) -> String {
    match (metric, v) {
        (_, None) => "-".into(),
        (Metric::Wall, Some(ns)) => format_duration_ns(ns),
        (Metric::Instructions, Some(n)) => format!("{:.2} M", n / 1e6),
    }
}

/// `scenario/variant/mode`, with `[instructions]` for instruction-count rows.
fn case_name(c: &CaseComparison) -> String {
    let suffix = match c.metric {
        Metric::Wall => "",
        Metric::Instructions => " [instructions]",
    };
    format!("{}/{}/{}{suffix}", c.scenario, c.variant, c.mode)
}

fn headline(cmp: &Comparison) -> String {
    format!(
        "{} regression(s), {} improvement(s){} at a {:.1}% threshold (Mann-Whitney, \
         Benjamini-Hochberg q < {}; instruction counts: {:.1}%)",
        cmp.regressions,
        cmp.improvements,
        if cmp.relative {
            " relative to each run's reference"
        } else {
            ""
        },
        cmp.threshold * 100.0,
        cmp.alpha,
        cmp.instructions_threshold * 100.0
    )
}

/// A table for the terminal.
pub fn render_text(cmp: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "baseline:  {} ({}, {}, {})",
        cmp.baseline.path, cmp.baseline.started_at, cmp.baseline.python, cmp.baseline.cpu
    );
    let _ = writeln!(
        out,
        "candidate: {} ({}, {}, {})",
        cmp.candidate.path, cmp.candidate.started_at, cmp.candidate.python, cmp.candidate.cpu
    );
    for d in &cmp.environment_differences {
        let _ = writeln!(out, "NOT COMPARABLE: {d}");
    }
    for n in &cmp.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let _ = writeln!(out, "{}\n", headline(cmp));
    let w = cmp
        .cases
        .iter()
        .map(|c| case_name(c).len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(
        out,
        "  {:<w$} {:<17} {:>10} {:>10} {:>8} {:>16} {:>6}",
        "case", "verdict", "baseline", "candidate", "ratio", "95% CI", "q"
    );
    for c in &cmp.cases {
        let (ratio, ci, p) = ratio_text(c);
        let name = case_name(c);
        let _ = write!(
            out,
            "  {name:<w$} {:<17} {:>10} {:>10} {ratio:>8} {ci:>16} {p:>6}",
            c.verdict.label(),
            median_text(c.metric, c.baseline_median),
            median_text(c.metric, c.candidate_median),
        );
        if let Some(note) = &c.note {
            let _ = write!(out, "  ({note})");
        }
        let _ = writeln!(out);
    }
    out
}

/// GitHub-flavoured Markdown: the headline, then a table of every case that is not
/// "no change" (and a count of those that are).
pub fn render_markdown(cmp: &Comparison) -> String {
    let mut out = String::new();
    let icon = if cmp.regressions > 0 { "❌" } else { "✅" };
    let _ = writeln!(out, "### {icon} zipimport-bench: {}\n", headline(cmp));
    let _ = writeln!(
        out,
        "Baseline `{}` ({}, {}) vs candidate `{}` ({}, {}).\n",
        escape_markdown(&cmp.baseline.path),
        escape_markdown(&cmp.baseline.started_at),
        escape_markdown(&cmp.baseline.python),
        escape_markdown(&cmp.candidate.path),
        escape_markdown(&cmp.candidate.started_at),
        escape_markdown(&cmp.candidate.python),
    );
    for d in &cmp.environment_differences {
        let _ = writeln!(out, "> **Not comparable:** {}\n", escape_markdown(d));
    }
    let shown: Vec<&CaseComparison> = cmp
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::NoChange)
        .collect();
    let unchanged = cmp.cases.len() - shown.len();
    if !shown.is_empty() {
        let _ = writeln!(
            out,
            "| case | verdict | baseline | candidate | ratio | 95% CI | q |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
        for c in shown {
            let (ratio, ci, p) = ratio_text(c);
            let mut verdict = c.verdict.label().to_owned();
            if let Some(note) = &c.note {
                verdict = format!("{verdict} ({})", escape_markdown(note));
            }
            let _ = writeln!(
                out,
                "| {} | {verdict} | {} | {} | {ratio} | {ci} | {p} |",
                escape_markdown(&case_name(c)),
                median_text(c.metric, c.baseline_median),
                median_text(c.metric, c.candidate_median),
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "{unchanged} case(s) with no change.");
    out
}

/// The comparison as pretty JSON.
pub fn render_json(cmp: &Comparison) -> String {
    serde_json::to_string_pretty(cmp).expect("a comparison always serialises")
}
