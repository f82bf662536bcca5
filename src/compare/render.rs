//! A comparison as a terminal table, GitHub-flavoured Markdown or JSON. Regressions
//! come first, then improvements, then what could not be judged, then the rest; under
//! `--relative` the baseline and candidate columns show the relative medians that were
//! judged.

use std::fmt::Write;

use super::{CaseComparison, Comparison, Metric, Verdict};
use crate::format::{escape_markdown, format_duration_ns, format_size};
use crate::markup::{Column, Row, Table};

/// The cells of one row: case, verdict, baseline, candidate, ratio, interval, q.
pub(crate) fn cells(c: &CaseComparison) -> [String; 7] {
    let value = |v: Option<f64>, rel: Option<f64>, interval: Option<(f64, f64)>| -> String {
        if let Some(r) = rel {
            return match interval {
                Some((lo, hi)) => format!("{r:.3}x [{lo:.2}, {hi:.2}]"),
                // The reference: 1 by definition.
                None if r == 1.0 => format!("{r:.3}x exact"),
                None => format!("{r:.3}x"),
            };
        }
        match (c.metric, v) {
            (_, None) => "-".into(),
            (Metric::Wall | Metric::FleetP95, Some(ns)) => format_duration_ns(ns),
            (Metric::Instructions, Some(n)) => format!("{:.2} M", n / 1e6),
            (Metric::FleetPss, Some(b)) => format_size(b as u64),
            (Metric::HotUpdate, Some(n)) => format!("{n:.0} new"),
        }
    };
    let suffix = match c.metric {
        Metric::Wall => "",
        Metric::Instructions => " [instructions]",
        Metric::FleetP95 => " [p95]",
        Metric::FleetPss => " [PSS]",
        Metric::HotUpdate => " [outcome]",
    };
    [
        format!("{}/{}/{}{suffix}", c.scenario, c.variant, c.mode),
        c.verdict.label().to_owned(),
        value(
            c.baseline_median,
            c.baseline_relative,
            c.baseline_relative_interval,
        ),
        value(
            c.candidate_median,
            c.candidate_relative,
            c.candidate_relative_interval,
        ),
        c.ratio.map_or_else(|| "-".into(), |r| format!("{r:.3}x")),
        match (c.ratio_ci_low, c.ratio_ci_high) {
            (Some(lo), Some(hi)) => format!("[{lo:.3}, {hi:.3}]"),
            _ => "-".into(),
        },
        c.q_value.map_or_else(|| "-".into(), |q| format!("{q:.3}")),
    ]
}

/// The calibration behind what `--absolute` is told about itself: recorded on this
/// project's machine kind (`reports/recorded/`), read when the binary is built.
const CALIBRATION: &str =
    include_str!("../../reports/recorded/2026-12-03-calibrate-quick/calibration.json");
const CALIBRATION_RUN: &str = "reports/recorded/2026-12-03-calibrate-quick";

/// How often absolute comparison false-alarmed on identical runs, as recorded (read
/// once per process: `calibrate` compares thousands of pairs).
pub(crate) fn absolute_false_alarms() -> Option<String> {
    static TEXT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    TEXT.get_or_init(recorded_false_alarms).clone()
}

fn recorded_false_alarms() -> Option<String> {
    // Read as plain JSON: `calibrate` sits above `compare` in the pipeline.
    let cal: serde_json::Value = serde_json::from_str(CALIBRATION).ok()?;
    let rate = |method: &str| -> Option<String> {
        let f = cal["false_alarms"]
            .as_array()?
            .iter()
            .find(|f| f["method"] == method)?;
        let any = &f["any"];
        Some(format!(
            "{}/{} ({:.0}%, 95% interval {:.0}-{:.0}%)",
            any["hits"].as_u64()?,
            any["of"].as_u64()?,
            any["rate"].as_f64()? * 100.0,
            any["low"].as_f64()? * 100.0,
            any["high"].as_f64()? * 100.0
        ))
    };
    Some(format!(
        "absolute times: identical runs of the quick scenario false-alarmed this way in {} \
         pairs on this project's machine kind ({CALIBRATION_RUN}); judge unattended \
         gates relative (the default), which flagged {}",
        rate("plain")?,
        rate("relative").unwrap_or_else(|| "-".into())
    ))
}

pub(crate) fn headline(cmp: &Comparison) -> String {
    let mut s = format!(
        "{} regression(s), {} improvement(s), {} not judged{} at a {:.1}% threshold \
         ({}, Benjamini-Hochberg q < {}",
        cmp.regressions,
        cmp.improvements,
        cmp.unjudged,
        if cmp.relative {
            ", relative to each run's reference,"
        } else {
            ""
        },
        cmp.threshold * 100.0,
        if cmp.relative {
            "each run's estimate, Wald test"
        } else {
            "Mann-Whitney"
        },
        cmp.alpha,
    );
    if cmp.has_instructions() {
        let _ = write!(
            s,
            "; instruction counts: {:.1}%",
            cmp.instructions_threshold * 100.0
        );
    }
    s.push(')');
    s
}

/// Which metric found what, when more than one was judged: `wall time: 1 regression,
/// 0 improvements; instruction counts: 0, 0; ...`.
pub(crate) fn by_metric(cmp: &Comparison) -> Option<String> {
    let metrics = [
        (Metric::Wall, "wall time"),
        (Metric::Instructions, "instruction counts"),
        (Metric::FleetP95, "fleet p95"),
        (Metric::FleetPss, "fleet memory"),
        (Metric::HotUpdate, "hot updates"),
    ];
    let parts: Vec<String> = metrics
        .iter()
        .filter(|(m, _)| cmp.cases.iter().any(|c| c.metric == *m))
        .map(|(m, name)| {
            let count = |v: Verdict| {
                cmp.cases
                    .iter()
                    .filter(|c| c.metric == *m && c.verdict == v)
                    .count()
            };
            format!(
                "{name} {} regression(s), {} improvement(s), {} not judged",
                count(Verdict::Regression),
                count(Verdict::Improvement),
                count(Verdict::CannotJudge)
            )
        })
        .collect();
    (parts.len() > 1).then(|| format!("by metric: {}", parts.join("; ")))
}

/// What a pair with no regression could still have missed: the largest detectable
/// change among its no-change rows, per metric.
pub(crate) fn unseen(cmp: &Comparison) -> Option<String> {
    let wall = cmp.worst_detectable.as_ref().map(|d| {
        format!(
            "no regression larger than +{:.0}% could have gone unseen in wall time (80% \
             power; the least sensitive row, {})",
            d.change * 100.0,
            d.case
        )
    });
    let counts = cmp.worst_detectable_instructions.as_ref().map(|d| {
        format!(
            "none larger than +{:.1}% in instruction counts ({})",
            d.change * 100.0,
            d.case
        )
    });
    match (wall, counts) {
        (Some(w), Some(c)) => Some(format!("{w}; {c}.")),
        (Some(w), None) => Some(format!("{w}.")),
        (None, Some(c)) => Some(format!("No regression {}.", c.trim_start_matches("none "))),
        (None, None) => None,
    }
}

pub(crate) fn columns(cmp: &Comparison) -> [&'static str; 7] {
    let (b, c) = if cmp.relative {
        ("baseline (rel)", "candidate (rel)")
    } else {
        ("baseline", "candidate")
    };
    ["case", "verdict", b, c, "ratio", "95% CI", "q"]
}

/// One line for rows with too few samples to ever show a change: how many, why, and
/// the option that lets them be judged next time.
pub(crate) fn advice(cmp: &Comparison) -> Option<String> {
    let few: Vec<&CaseComparison> = cmp
        .cases
        .iter()
        .filter(|c| c.reason == Some(super::Reason::TooFewSamples))
        .collect();
    if few.is_empty() {
        return None;
    }
    let least = few
        .iter()
        .filter_map(|c| c.samples.map(|(a, b)| a.min(b)))
        .min()
        .unwrap_or(0);
    let option = if cmp.relative {
        let n = crate::measure::MIN_SAMPLES_FLOOR;
        format!(
            "make both runs take at least {n} samples a case (`run --min-samples {n}`, or \
             `--samples {n}` without a precision)"
        )
    } else {
        let n = cmp.samples_to_judge_absolutely();
        format!(
            "make both runs take at least {n} samples a case (`run --samples {n}`, or \
             `--min-samples {n}` with a precision), or judge with `--relative`"
        )
    };
    Some(format!(
        "{} row(s) have too few samples (as few as {least}) to ever show a change among \
         {} tested rows; {option}.",
        few.len(),
        cmp.tested_rows()
    ))
}

/// The rows of `cases` as a [`Table`]: case, verdict, baseline, candidate, ratio,
/// interval, q, the smallest change a no-change row could have detected and (in the
/// terminal) the note; in Markdown the note follows the verdict.
fn table(cmp: &Comparison, cases: &[&CaseComparison]) -> Table {
    let head = columns(cmp);
    let mut t = Table::new(vec![
        Column::fit(head[0]),
        Column::fit(head[1]).text_only(),
        Column::fit(head[1]).markdown_only(),
        Column::fit(head[2]).right_aligned(),
        Column::fit(head[3]).right_aligned(),
        Column::fit(head[4]).right_aligned(),
        Column::fit(head[5]).right_aligned(),
        Column::fit(head[6]).right_aligned(),
        Column::fit("detects").right_aligned(),
        Column::left("", 0).gap(2).text_only(),
    ]);
    for c in cases {
        let [case, verdict, base, cand, ratio, ci, q] = cells(c);
        let with_note = match &c.note {
            Some(n) => format!("{verdict} ({n})"),
            None => verdict.clone(),
        };
        let note = c
            .note
            .as_ref()
            .map(|n| format!("({n})"))
            .unwrap_or_default();
        let detects = c
            .detectable
            .map_or_else(|| "-".into(), |d| format!("+{:.0}%", d * 100.0));
        t.push(Row::cells(vec![
            case, verdict, with_note, base, cand, ratio, ci, q, detects, note,
        ]));
    }
    t
}

/// A table for the terminal.
pub fn render_text(cmp: &Comparison) -> String {
    let mut out = String::new();
    for (label, s) in [
        ("baseline: ", &cmp.baseline),
        ("candidate:", &cmp.candidate),
    ] {
        let _ = writeln!(
            out,
            "{label} {} ({}, {}, {})",
            s.path, s.started_at, s.python, s.cpu
        );
    }
    for d in &cmp.environment_differences {
        let _ = writeln!(out, "NOT JUDGED: {d}");
    }
    for w in &cmp.warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    for n in &cmp.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let _ = writeln!(out, "{}", headline(cmp));
    if let Some(m) = by_metric(cmp) {
        let _ = writeln!(out, "{m}");
    }
    if let Some(u) = unseen(cmp) {
        let _ = writeln!(out, "{u}");
    }
    if let Some(a) = advice(cmp) {
        let _ = writeln!(out, "{a}");
    }
    let _ = writeln!(out);
    let rows: Vec<&CaseComparison> = cmp.cases.iter().collect();
    out.push_str(&table(cmp, &rows).text());
    out
}

/// GitHub-flavoured Markdown: the headline, what kept rows from being judged and what
/// they were judged across, then a table of every row that is a regression, an
/// improvement or not judged (and a count of the rest).
pub fn render_markdown(cmp: &Comparison) -> String {
    let mut out = String::new();
    let icon = if cmp.regressions > 0 {
        "❌"
    } else if cmp.unjudged > 0 {
        "⚠️"
    } else {
        "✅"
    };
    let _ = writeln!(out, "### {icon} zipimport-bench: {}\n", headline(cmp));
    if let Some(m) = by_metric(cmp) {
        let _ = writeln!(out, "{}\n", escape_markdown(&m));
    }
    if let Some(u) = unseen(cmp) {
        let _ = writeln!(out, "{}\n", escape_markdown(&u));
    }
    let _ = writeln!(
        out,
        "Baseline `{}` ({}, {}, {}) vs candidate `{}` ({}, {}, {}).\n",
        escape_markdown(&cmp.baseline.path),
        escape_markdown(&cmp.baseline.started_at),
        escape_markdown(&cmp.baseline.python),
        escape_markdown(&cmp.baseline.cpu),
        escape_markdown(&cmp.candidate.path),
        escape_markdown(&cmp.candidate.started_at),
        escape_markdown(&cmp.candidate.python),
        escape_markdown(&cmp.candidate.cpu),
    );
    for d in &cmp.environment_differences {
        let _ = writeln!(out, "> **Not judged:** {}\n", escape_markdown(d));
    }
    if let Some(a) = advice(cmp) {
        let _ = writeln!(out, "> **Not judged:** {}\n", escape_markdown(&a));
    }
    for w in &cmp.warnings {
        let _ = writeln!(out, "> ⚠️ **Warning:** {}\n", escape_markdown(w));
    }

    let shown: Vec<&CaseComparison> = cmp
        .cases
        .iter()
        .filter(|c| {
            matches!(
                c.verdict,
                Verdict::Regression | Verdict::Improvement | Verdict::CannotJudge
            )
        })
        .collect();
    if !shown.is_empty() {
        out.push_str(&table(cmp, &shown).markdown());
        let _ = writeln!(out);
    }
    let count = |v: Verdict| cmp.cases.iter().filter(|c| c.verdict == v).count();
    let _ = write!(out, "{} row(s) with no change", count(Verdict::NoChange));
    let unsupported = count(Verdict::Unsupported);
    if unsupported > 0 {
        let _ = write!(out, ", {unsupported} unsupported in both runs");
    }
    let reference = count(Verdict::Reference);
    if reference > 0 {
        let _ = write!(out, ", {reference} reference row(s) (1.0 by definition)");
    }
    let _ = writeln!(out, ".");
    out
}

/// The comparison as pretty JSON.
pub fn render_json(cmp: &Comparison) -> String {
    serde_json::to_string_pretty(cmp).expect("a comparison always serialises")
}
