//! `history.html`: medians of every case across many runs (nightly results files),
//! ordered by run start time, one chart per scenario and mode, with each run's
//! regressions against the run before it circled and listed.

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::charts;
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

#[derive(Serialize)]
struct ChartView {
    title: String,
    svg: String,
}

/// A relative median as `1.132x`, else a median time.
fn shown(relative: Option<f64>, median: Option<f64>) -> String {
    match (relative, median) {
        (Some(r), _) => format!("{r:.3}x"),
        (None, Some(m)) => format_duration_ns(m),
        (None, None) => "-".into(),
    }
}

/// Renders the history page; `runs` are (path, results) in any order.
pub fn history_html(mut runs: Vec<(String, Results)>, opts: CompareOptions) -> Result<String> {
    runs.sort_by(|a, b| a.1.metadata.started_at.cmp(&b.1.metadata.started_at));
    let labels: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(i, (_, r))| {
            // `#3 11-29 16:42`: runs of one day stay distinguishable.
            let t = &r.metadata.started_at;
            let short = t
                .get(5..16)
                .map_or_else(|| t.clone(), |s| s.replace('T', " "));
            format!("#{i} {short}")
        })
        .collect();

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
        let mut series: Vec<(String, Vec<(usize, f64)>)> = Vec::new();
        for (i, (_, r)) in runs.iter().enumerate() {
            for c in r.cases.iter().filter(|c| {
                &c.scenario == scenario && c.mode.name() == mode && c.status == Status::Ok
            }) {
                // What the gate judges: the median in ms, or under --relative the median
                // per-round ratio to the run's reference.
                let value = if opts.relative {
                    r.relative_median(c)
                } else {
                    c.summary.as_ref().map(|s| s.median / 1e6)
                };
                let Some(value) = value else { continue };
                match series.iter_mut().find(|s| s.0 == c.variant) {
                    Some(s) => s.1.push((i, value)),
                    None => series.push((c.variant.clone(), vec![(i, value)])),
                }
            }
        }
        let marks: Vec<(usize, f64)> = regressions
            .iter()
            .filter(|r| &r.1 == scenario && &r.3 == mode)
            .filter_map(|r| {
                if opts.relative {
                    r.4.candidate_relative.map(|m| (r.0, m))
                } else {
                    r.4.candidate_median.map(|m| (r.0, m / 1e6))
                }
            })
            .collect();
        let y_desc = if opts.relative {
            "median ratio to the reference, paired by round"
        } else {
            "median import time (ms)"
        };
        charts_v.push(ChartView {
            title: format!("{scenario} / {mode}"),
            svg: charts::history_chart(&series, &labels, &marks, y_desc),
        });
    }

    let runs_v: Vec<RunView> = runs
        .iter()
        .enumerate()
        .map(|(i, (path, r))| RunView {
            index: i,
            started_at: r.metadata.started_at.clone(),
            path: path.clone(),
            python: r.metadata.python.version_short.clone(),
            commit: r.metadata.harness.git_commit.clone().unwrap_or_default(),
        })
        .collect();
    let regressions_v: Vec<RegressionView> = regressions
        .iter()
        .map(|(i, s, v, m, c)| RegressionView {
            run: *i,
            case: format!("{s}/{v}/{m}"),
            ratio: c.ratio.map_or_else(|| "-".into(), |r| format!("{r:.3}x")),
            p: c.q_value.map_or_else(|| "-".into(), |q| format!("{q:.4}")),
            before: shown(c.baseline_relative, c.baseline_median),
            after: shown(c.candidate_relative, c.candidate_median),
        })
        .collect();

    let mut env = Environment::new();
    env.add_template("selfcheck.html", include_str!("selfcheck.html"))
        .context("loading the self-check template")?;
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
        })
        .context("rendering the history page")
}
