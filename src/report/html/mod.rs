//! `report.html`: one self-contained page (inline CSS and SVG, no fetches) that a
//! person can open from a CI artifact. The page is a minijinja template,
//! `report.html` beside this file, rendered with HTML auto-escaping, so text from
//! scenario files and error messages can never inject markup.

mod charts;
mod history;
mod profile;
mod scenario;
mod view;

pub use history::history_html;

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::findings::findings;
use crate::format::format_duration_ns;
use crate::results::Results;
use scenario::{ScenarioView, scenario_view};
use view::ChartView;

/// Renders the report page for a results file.
pub fn report_html(results: &Results) -> Result<String> {
    let all_findings = findings(results);
    let scenarios: Vec<ScenarioView> = results
        .scenarios
        .iter()
        .map(|s| scenario_view(results, s, &all_findings))
        .collect();
    let m = &results.metadata;
    let metadata: Vec<(&str, String)> = vec![
        ("started", m.started_at.clone()),
        ("duration", format!("{:.1} s", m.duration_s)),
        (
            "python",
            format!("{} ({})", m.python.version, m.python.implementation),
        ),
        ("python prefix", m.python.prefix.clone()),
        (
            "cache tag / magic",
            format!("{} / {}", m.python.cache_tag, m.python.magic),
        ),
        ("host", m.host.hostname.clone()),
        (
            "cpu",
            format!(
                "{} ({} cores, {})",
                m.host.cpu_model, m.host.cores, m.host.arch
            ),
        ),
        ("os", format!("{}, kernel {}", m.host.os, m.host.kernel)),
        (
            "harness",
            format!(
                "{} {}{}",
                m.harness.version,
                m.harness.profile,
                m.harness
                    .git_commit
                    .as_deref()
                    .map(|c| format!(", commit {c}"))
                    .unwrap_or_default()
            ),
        ),
        ("command", m.command_line.join(" ")),
    ];
    let mut env = Environment::new();
    env.add_template("selfcheck.html", include_str!("selfcheck.html"))
        .context("loading the self-check template")?;
    env.add_template("report.html", include_str!("report.html"))
        .context("loading the report template")?;
    let tmpl = env.get_template("report.html").context("report template")?;
    let sweeps = sweep_views(results);
    // What the data call for; the page's self-check counts what actually rendered.
    let charts_expected = scenarios
        .iter()
        .map(ScenarioView::chart_count)
        .sum::<usize>()
        + sweeps.len();
    tmpl.render(context! {
        charts_expected => charts_expected,
        title => format!("zipimport-bench: {}", results.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")),
        scenarios => Value::from(Serde(&scenarios)),
        metadata => Value::from(Serde(&metadata)),
        sweeps => Value::from(Serde(&sweeps)),
        sweep_rows => Value::from(Serde(&sweep_rows(results))),
        python_tables => Value::from(Serde(&super::pythons::python_tables(results))),
    })
    .context("rendering the report")
}

/// One row of the sweep table.
#[derive(Serialize)]
struct SweepRow {
    base: String,
    parameter: &'static str,
    mode: &'static str,
    variant: String,
    growth: String,
    r2: String,
    points: String,
    unsupported: String,
}

fn sweep_rows(results: &Results) -> Vec<SweepRow> {
    use crate::format::format_rate;
    super::sweep::fits(results)
        .into_iter()
        .map(|f| SweepRow {
            base: f.base.clone(),
            parameter: f.parameter.name(),
            mode: f.mode.name(),
            growth: f.slope_ns.map_or_else(
                || "-".into(),
                |s| format!("{} per {}", format_rate(s), f.parameter.unit()),
            ),
            r2: f.r2.map_or_else(|| "-".into(), |r| format!("{r:.3}")),
            points: f
                .points
                .iter()
                .map(|(x, y)| format!("{x:.0}: {}", format_duration_ns(*y)))
                .collect::<Vec<_>>()
                .join(", "),
            unsupported: f
                .unsupported
                .iter()
                .map(|(x, e)| format!("{x:.0}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
            variant: f.variant,
        })
        .collect()
}

fn sweep_views(results: &Results) -> Vec<ChartView> {
    super::sweep::sweep_charts(results)
        .into_iter()
        .map(|(title, axis, series)| ChartView {
            caption: "Median import time at each swept value, one line per variant (the legend gives its least-squares growth); the x axis is logarithmic.".into(),
            svg: charts::line_chart(&series, axis, "median import time (ms)", true),
            title,
        })
        .collect()
}
