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
use crate::compare::{CompareOptions, Metric, Verdict, compare};
use crate::format::format_duration_ns;
use crate::results::Results;
use crate::status::Status;

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

/// A relative median as `1.132x`, else a median time.
fn shown(relative: Option<f64>, median: Option<f64>) -> String {
    match (relative, median) {
        (Some(r), _) => format!("{r:.3}x"),
        (None, Some(m)) => format_duration_ns(m),
        (None, None) => "-".into(),
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
pub fn history_html(mut runs: Vec<(String, Results)>, opts: CompareOptions) -> Result<String> {
    runs.sort_by(|a, b| a.1.metadata.started_at.cmp(&b.1.metadata.started_at));
    // Regressions of each run against the one before it.
    let mut regressions = Vec::new();
    for i in 1..runs.len() {
        let cmp = compare(&runs[i - 1].0, &runs[i - 1].1, &runs[i].0, &runs[i].1, opts);
        for c in cmp
            .cases
            .iter()
            .filter(|c| c.verdict == Verdict::Regression && c.metric == Metric::Wall)
        {
            regressions.push((
                i,
                c.scenario.clone(),
                c.variant.clone(),
                c.mode.clone(),
                c.clone(),
            ));
        }
    }

    // One chart per scenario and mode, over every case measured in any run.
    let mut keys: Vec<(String, String)> = Vec::new();
    for (_, r) in &runs {
        for c in &r.cases {
            let k = (c.scenario.clone(), c.mode.name().to_owned());
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut charts_v = Vec::new();
    for (scenario, mode) in &keys {
        let mut series: Vec<(String, Vec<charts::RunPoint>)> = Vec::new();
        for (i, (_, r)) in runs.iter().enumerate() {
            for c in r.cases.iter().filter(|c| {
                &c.scenario == scenario && c.mode.name() == mode && c.status == Status::Ok
            }) {
                // What the gate judges, with its 95% interval: the median in ms, or under
                // --relative the ratio to the run's reference, as the run estimated it.
                let point = if opts.relative {
                    match r.relative(c) {
                        crate::results::Relative::Reference => Some((1.0, 1.0, 1.0)),
                        crate::results::Relative::NoReference => None,
                        crate::results::Relative::Against { estimate: e, .. } => {
                            Some((e.ratio, e.low, e.high))
                        }
                    }
                } else {
                    c.summary
                        .as_ref()
                        .map(|s| (s.median / 1e6, s.ci95_low / 1e6, s.ci95_high / 1e6))
                };
                let Some((value, low, high)) = point else {
                    continue;
                };
                let p = charts::RunPoint {
                    run: i,
                    value,
                    low,
                    high,
                };
                match series.iter_mut().find(|s| s.0 == c.variant) {
                    Some(s) => s.1.push(p),
                    None => series.push((c.variant.clone(), vec![p])),
                }
            }
        }
        let marks: Vec<(usize, usize, f64)> = regressions
            .iter()
            .filter(|r| &r.1 == scenario && &r.3 == mode)
            .filter_map(|r| {
                let k = series.iter().position(|s| s.0 == r.2)?;
                let value = if opts.relative {
                    r.4.candidate_relative
                } else {
                    r.4.candidate_median.map(|m| m / 1e6)
                };
                value.map(|v| (k, r.0, v))
            })
            .collect();
        let y_desc = if opts.relative {
            "ratio to reference (x)"
        } else {
            "median (ms)"
        };
        charts_v.push(ChartView::new(
            format!("{scenario} / {mode}"),
            format!(
                "One panel per variant, run numbers along the bottom (see the table of runs); {}.",
                if opts.relative {
                    "each run's ratio to its reference, whiskers its 95% interval"
                } else {
                    "each run's median import time, whiskers the 95% interval of the median"
                }
            ),
            charts::history_facets(&series, runs.len(), &marks, y_desc),
        ));
    }

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
        .map(|(i, s, v, m, c)| RegressionView {
            run: *i + 1,
            case: format!("{s}/{v}/{m}"),
            ratio: c.ratio.map_or_else(|| "-".into(), |r| format!("{r:.3}x")),
            p: c.q_value.map_or_else(|| "-".into(), |q| format!("{q:.4}")),
            before: shown(c.baseline_relative, c.baseline_median),
            after: shown(c.candidate_relative, c.candidate_median),
        })
        .collect();

    let warnings = history_warnings(&runs);
    let verdict = history_verdict(&runs, &regressions_v);
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
            relative => opts.relative,
            warnings => Value::from(Serde(&warnings)),
            verdict => Value::from(Serde(&verdict)),
        })
        .context("rendering the history page")
}

/// What a reader of a history page must know about its runs: scenarios some runs did
/// not measure, and scenario files that changed between runs.
pub fn history_warnings(runs: &[(String, Results)]) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (_, r) in runs {
        for s in &r.scenarios {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
    }
    for name in names {
        let with: Vec<&(String, Results)> = runs
            .iter()
            .filter(|(_, r)| r.scenarios.iter().any(|s| s.name == name))
            .collect();
        if with.len() < runs.len() {
            warnings.push(format!(
                "scenario {name} is in {} of {} runs: its charts show only those runs",
                with.len(),
                runs.len()
            ));
        }
        let mut hashes: Vec<&str> = Vec::new();
        for (_, r) in &with {
            if let Some(s) = r.scenarios.iter().find(|s| s.name == name)
                && !hashes.contains(&s.sha256.as_str())
            {
                hashes.push(&s.sha256);
            }
        }
        if hashes.len() > 1 {
            warnings.push(format!(
                "scenario {name} comes from {} different files across the runs: runs \
                 across a change are not judged against each other",
                hashes.len()
            ));
        }
    }
    warnings
}
