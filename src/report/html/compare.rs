//! The compare page (`compare --format html`, `compare --html FILE`): a pull request's
//! reviewer sees the gate's verdict first, then per case the ratio with its interval
//! and the baseline and candidate distributions side by side, regressions first.
//! Self-contained like the report.

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::add_shared_templates;
use super::charts::{self, palette};
use super::view::ChartView;
use crate::compare::{CaseComparison, Comparison, Metric, Verdict, cells, columns, headline};
use crate::results::{CaseResult, Results};
use crate::status::Status;

/// A row of the page's table.
#[derive(Serialize)]
struct RowView {
    cells: [String; 7],
    note: String,
    tone: &'static str,
}

fn tone(v: Verdict) -> &'static str {
    match v {
        Verdict::Regression | Verdict::CannotJudge => "bad",
        Verdict::Improvement => "good",
        _ => "info",
    }
}

fn verdict_colour(v: Verdict) -> plotters::style::RGBColor {
    match v {
        Verdict::Regression => palette::VERMILLION,
        Verdict::Improvement => palette::GREEN,
        Verdict::CannotJudge => palette::ORANGE,
        _ => palette::BLUE,
    }
}

/// Rows the verdict's chart shows: everything judged a regression or an improvement,
/// else the largest moves; at most this many.
const VERDICT_ROWS: usize = 12;

/// Renders the compare page.
pub fn compare_html(cmp: &Comparison, baseline: &Results, candidate: &Results) -> Result<String> {
    let walls: Vec<&CaseComparison> = cmp
        .cases
        .iter()
        .filter(|c| c.metric == Metric::Wall && c.ratio.is_some())
        .collect();
    let mut sentences = vec![format!("{}.", headline(cmp))];
    sentences.extend(crate::compare::by_metric(cmp).map(|m| format!("{m}.")));
    sentences.extend(crate::compare::unseen(cmp));
    sentences.push(if cmp.regressions > 0 {
        "Under --fail-on-regression the gate fails this change (exit status 4).".to_owned()
    } else if cmp.unjudged > 0 {
        "Under --fail-on-regression the gate cannot vouch for every row (exit status 5): \
         see the rows marked cannot judge."
            .to_owned()
    } else {
        "Under --fail-on-regression the gate passes (exit status 0).".to_owned()
    });
    let mut charts_v = Vec::new();

    // The verdict's chart: the ratio of each judged case with its interval.
    let mut shown: Vec<&CaseComparison> = walls
        .iter()
        .copied()
        .filter(|c| matches!(c.verdict, Verdict::Regression | Verdict::Improvement))
        .collect();
    let judged = !shown.is_empty();
    if !judged {
        shown = walls.clone();
        shown.sort_by(|a, b| {
            let d = |c: &CaseComparison| c.ratio.map_or(0.0, |r| r.ln().abs());
            d(b).total_cmp(&d(a))
        });
    }
    shown.truncate(VERDICT_ROWS);
    let verdict_chart = (!shown.is_empty()).then(|| {
        let kinds: Vec<Verdict> = [
            Verdict::Regression,
            Verdict::Improvement,
            Verdict::CannotJudge,
            Verdict::NoChange,
        ]
        .into_iter()
        .filter(|v| shown.iter().any(|c| c.verdict == *v))
        .collect();
        let rows: Vec<charts::WhiskerRow> = shown
            .iter()
            .map(|c| {
                let r = c.ratio.unwrap_or(1.0);
                let v = (r, c.ratio_ci_low.unwrap_or(r), c.ratio_ci_high.unwrap_or(r));
                (
                    format!("{}/{}/{}", c.scenario, c.variant, c.mode),
                    kinds
                        .iter()
                        .map(|k| (c.verdict == *k).then_some(v))
                        .collect(),
                )
            })
            .collect();
        let series: Vec<(String, plotters::style::RGBColor)> = kinds
            .iter()
            .map(|k| (k.label().to_owned(), verdict_colour(*k)))
            .collect();
        ChartView::new(
            "Candidate against baseline",
            format!(
                "Ratio candidate / baseline{} with its 95% interval; right of the line is slower. {}",
                if cmp.relative {
                    " of each case's ratio to its run's reference, as each run estimated it"
                } else {
                    " of the medians"
                },
                if walls.len() > shown.len() {
                    format!(
                        "{} of {} rows: {}; every row is in the table below.",
                        shown.len(),
                        walls.len(),
                        if judged {
                            "those judged a regression or an improvement"
                        } else {
                            "nothing was judged a change, so these are the largest moves"
                        }
                    )
                } else {
                    String::new()
                }
            ),
            charts::whisker_chart("case", &rows, &series, "candidate / baseline (x, log scale)", Some(1.0)),
        )
    });

    charts_v.extend(distribution_charts(cmp, baseline, candidate));

    let rows: Vec<RowView> = cmp
        .cases
        .iter()
        .map(|c| RowView {
            cells: cells(c),
            note: c.note.clone().unwrap_or_default(),
            tone: tone(c.verdict),
        })
        .collect();
    let mut env = Environment::new();
    add_shared_templates(&mut env)?;
    env.add_template("compare.html", include_str!("compare.html"))
        .context("loading the compare template")?;
    env.get_template("compare.html")
        .context("compare template")?
        .render(context! {
            charts_expected => charts_v.len() + usize::from(verdict_chart.is_some()),
            sentences => Value::from(Serde(&sentences)),
            verdict_chart => Value::from(Serde(&verdict_chart)),
            charts => Value::from(Serde(&charts_v)),
            columns => Value::from(Serde(&columns(cmp))),
            rows => Value::from(Serde(&rows)),
            baseline => Value::from(Serde(&cmp.baseline)),
            candidate => Value::from(Serde(&cmp.candidate)),
            not_judged => Value::from(Serde(&cmp.environment_differences)),
            warnings => Value::from(Serde(&cmp.warnings)),
            notes => Value::from(Serde(&cmp.notes)),
            tone => if cmp.regressions > 0 { "bad" } else if cmp.unjudged > 0 { "warn" } else { "good" },
        })
        .context("rendering the compare page")
}

/// Distributions side by side, one chart per scenario and mode, in the table's order
/// (regressions first).
fn distribution_charts(
    cmp: &Comparison,
    baseline: &Results,
    candidate: &Results,
) -> Vec<ChartView> {
    let mut out = Vec::new();
    let mut keys: Vec<(String, String)> = Vec::new();
    let every_wall: Vec<&CaseComparison> = cmp
        .cases
        .iter()
        .filter(|c| c.metric == Metric::Wall)
        .collect();
    for c in &every_wall {
        let k = (c.scenario.clone(), c.mode.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    // Each side's measured cases by the key a comparison row names them with.
    type ByRow<'r> = std::collections::HashMap<(&'r str, String, &'r str), &'r CaseResult>;
    fn by_row(r: &Results) -> ByRow<'_> {
        r.cases
            .iter()
            .filter(|x| x.status == Status::Ok)
            .map(|x| ((x.scenario.as_str(), x.variant.id(), x.mode.name()), x))
            .collect()
    }
    let (in_baseline, in_candidate) = (by_row(baseline), by_row(candidate));
    let samples = |side: &ByRow, c: &CaseComparison| -> Vec<f64> {
        side.get(&(c.scenario.as_str(), c.variant.clone(), c.mode.as_str()))
            .map(|x| x.samples_ns.iter().map(|&v| v as f64 / 1e6).collect())
            .unwrap_or_default()
    };
    for (scenario, mode) in &keys {
        let rows: Vec<(String, Vec<Vec<f64>>)> = every_wall
            .iter()
            .filter(|c| &c.scenario == scenario && &c.mode == mode)
            .map(|c| {
                (
                    format!("{} ({})", c.variant, c.verdict.label()),
                    vec![samples(&in_baseline, c), samples(&in_candidate, c)],
                )
            })
            .filter(|r| r.1.iter().any(|v| !v.is_empty()))
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push(ChartView::new(
            format!("{scenario} / {mode}: every sample"),
            "Each dot is one timed import of the baseline (grey) or the candidate (blue); rows in the table's order, regressions first.",
            charts::dots_chart(
                "variant",
                &rows,
                &[
                    ("baseline".to_owned(), palette::GREY),
                    ("candidate".to_owned(), palette::BLUE),
                ],
                "import time of each sample (ms, log scale)",
            ),
        ));
    }

    out
}
