//! `history.html`: medians of every case across many runs (nightly results files),
//! ordered by run start time, one chart per scenario and mode, with each run's
//! regressions against the run before it circled and listed.

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::add_shared_templates;
use super::charts;
use super::view::ChartView;
use crate::compare::CompareOptions;
use crate::format::format_duration_ns;
use crate::report::history::History;
use crate::results::Results;

#[derive(Serialize)]
struct RunView {
    index: usize,
    started_at: String,
    path: String,
    python: String,
    commit: String,
}

#[derive(Serialize)]
struct RegressionView {
    run: usize,
    case: String,
    ratio: String,
    p: String,
    before: String,
    after: String,
}

/// A relative median with its interval, `1.132x [1.05, 1.22]`, else a median time.
fn shown(relative: Option<f64>, interval: Option<(f64, f64)>, median: Option<f64>) -> String {
    match (relative, interval, median) {
        (Some(r), Some((lo, hi)), _) => format!("{r:.3}x [{lo:.2}, {hi:.2}]"),
        (Some(r), None, _) => format!("{r:.3}x exact"),
        (None, _, Some(m)) => format_duration_ns(m),
        (None, _, None) => "-".into(),
    }
}

/// The history's answer in a few sentences: the span of runs, what the latest run did
/// against the one before it, and the regressions over the whole span.
fn history_verdict(runs: &[(String, Results)], regressions: &[RegressionView]) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
        return out;
    };
    out.push(format!(
        "{} from {} to {}.",
        crate::format::count(runs.len() as u64, "run"),
        first.1.metadata.started_at.replace('T', " "),
        last.1.metadata.started_at.replace('T', " ")
    ));
    if runs.len() > 1 {
        let latest: Vec<&RegressionView> =
            regressions.iter().filter(|r| r.run == runs.len()).collect();
        if latest.is_empty() {
            out.push(format!(
                "The latest run (run {}) did not regress against run {}.",
                runs.len(),
                runs.len() - 1
            ));
        } else {
            let listed: Vec<String> = latest
                .iter()
                .take(3)
                .map(|r| format!("{} {}", r.case, r.ratio))
                .collect();
            out.push(format!(
                "The latest run (run {}) regressed against run {} in {}: {}{}.",
                runs.len(),
                runs.len() - 1,
                crate::format::count(latest.len() as u64, "case"),
                listed.join(", "),
                if latest.len() > 3 { ", ..." } else { "" }
            ));
        }
        out.push(format!(
            "Over all {} runs: {} against the run before.",
            runs.len(),
            crate::format::count(regressions.len() as u64, "regression")
        ));
    }
    out
}

/// Renders the history page; `runs` are (path, results) in any order.
pub fn history_html(runs: Vec<(String, Results)>, opts: CompareOptions) -> Result<String> {
    let h = History::build(runs, opts);
    let y_desc = if h.relative {
        "ratio to reference (x)"
    } else {
        "median (ms)"
    };
    let charts_v: Vec<ChartView> = h
        .panels
        .iter()
        .map(|p| {
            let series: Vec<(String, Vec<charts::RunPoint>)> = p
                .series
                .iter()
                .map(|(v, points)| {
                    let points = points
                        .iter()
                        .map(|&(run, value, low, high)| charts::RunPoint {
                            run,
                            value,
                            low,
                            high,
                        })
                        .collect();
                    (v.clone(), points)
                })
                .collect();
            ChartView::new(
                format!("{} / {}", p.scenario, p.mode),
                format!(
                    "One panel per variant, run numbers along the bottom (see the table of runs); {}.",
                    if h.relative {
                        "each run's ratio to its reference, whiskers its 95% interval"
                    } else {
                        "each run's median import time, whiskers the 95% interval of the median"
                    }
                ),
                charts::history_facets(&series, h.runs.len(), &p.marks, y_desc),
            )
        })
        .collect();
    let runs = &h.runs;
    let regressions = &h.regressions;
    let runs_v: Vec<RunView> = runs
        .iter()
        .enumerate()
        .map(|(i, (path, r))| RunView {
            index: i + 1,
            started_at: r.metadata.started_at.replace('T', " "),
            path: path.clone(),
            python: r.metadata.python.version_short.clone(),
            commit: r.metadata.harness.git_commit.clone().unwrap_or_default(),
        })
        .collect();
    let regressions_v: Vec<RegressionView> = regressions
        .iter()
        .map(|(i, c)| RegressionView {
            run: *i + 1,
            case: format!("{}/{}/{}", c.scenario, c.variant, c.mode),
            ratio: match (c.ratio, c.ratio_ci_low, c.ratio_ci_high) {
                (Some(r), Some(lo), Some(hi)) => format!("{r:.3}x [{lo:.3}, {hi:.3}]"),
                (Some(r), _, _) => format!("{r:.3}x"),
                _ => "-".into(),
            },
            p: c.q_value.map_or_else(|| "-".into(), |q| format!("{q:.4}")),
            before: shown(
                c.baseline_relative,
                c.baseline_relative_interval,
                c.baseline_median,
            ),
            after: shown(
                c.candidate_relative,
                c.candidate_relative_interval,
                c.candidate_median,
            ),
        })
        .collect();

    let warnings = &h.warnings;
    let verdict = history_verdict(runs, &regressions_v);
    let mut env = Environment::new();
    add_shared_templates(&mut env)?;
    env.add_template("history.html", include_str!("history.html"))
        .context("loading the history template")?;
    env.get_template("history.html")
        .context("history template")?
        .render(context! {
            runs => Value::from(Serde(&runs_v)),
            charts_expected => charts_v.len(),
            charts => Value::from(Serde(&charts_v)),
            regressions => Value::from(Serde(&regressions_v)),
            threshold => format!("{:.1}", opts.threshold * 100.0),
            relative => h.relative,
            warnings => Value::from(Serde(&warnings)),
            verdict => Value::from(Serde(&verdict)),
        })
        .context("rendering the history page")
}
