//! `report.html`: one self-contained page (inline CSS and SVG, no fetches) that a
//! person can open from a CI artifact. The page is a minijinja template,
//! `report.html` beside this file, rendered with HTML auto-escaping, so text from
//! scenario files and error messages can never inject markup.

mod charts;
mod compare;
mod history;
mod icicle;
pub(crate) mod profile;
mod scenario;
mod view;

pub use compare::compare_html;
pub use history::history_html;

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::analysis::RunReport;
use crate::format::format_duration_ns;
use scenario::{ScenarioView, scenario_view};
use view::ChartView;

/// Renders the report page of a report model.
pub fn report_html(report: &RunReport) -> Result<String> {
    let results = report.results;
    let scenarios: Vec<ScenarioView> = report
        .scenarios
        .iter()
        .map(|s| scenario_view(report, s))
        .collect();
    let m = &results.metadata;
    let mut metadata: Vec<(&str, String)> = vec![
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
    if let Some(q) = &m.cpu_quota {
        metadata.push(("cpu quota", q.describe()));
    }
    let verdicts = verdict_views(report);
    let mut env = Environment::new();
    add_shared_templates(&mut env)?;
    env.add_template("report.html", include_str!("report.html"))
        .context("loading the report template")?;
    let tmpl = env.get_template("report.html").context("report template")?;
    let sweeps = sweep_views(&report.fits);
    // What the data call for; the page's self-check counts what actually rendered.
    let charts_expected = scenarios
        .iter()
        .map(ScenarioView::chart_count)
        .sum::<usize>()
        + sweeps.len()
        + verdicts.iter().filter(|v| v.chart.is_some()).count();
    tmpl.render(context! {
        charts_expected => charts_expected,
        title => format!("zipimport-bench: {}", results.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")),
        scenarios => Value::from(Serde(&scenarios)),
        verdicts => Value::from(Serde(&verdicts)),
        metadata => Value::from(Serde(&metadata)),
        sweeps => Value::from(Serde(&sweeps)),
        sweep_rows => Value::from(Serde(&sweep_rows(&report.fits))),
        python_tables => Value::from(Serde(&report.pythons)),
        python_views => Value::from(Serde(&report.pythons.iter().map(super::pythons::table_view).collect::<Vec<_>>())),
        lazy => Value::from(Serde(&report.lazy)),
        lazy_views => Value::from(Serde(&report.lazy.tables.iter().map(super::lazy::table_view).collect::<Vec<_>>())),
    })
    .context("rendering the report")
}

/// The templates every page shares: the style sheet, the chart figure, the scroll cue
/// of wide tables and the self-check.
pub(super) fn add_shared_templates(env: &mut Environment<'_>) -> Result<()> {
    for (name, text) in [
        ("style.css", include_str!("style.css")),
        ("chart.html", include_str!("chart.html")),
        ("scroll.html", include_str!("scroll.html")),
        ("selfcheck.html", include_str!("selfcheck.html")),
        ("table.html", include_str!("table.html")),
    ] {
        env.add_template(name, text)
            .with_context(|| format!("loading the template {name}"))?;
    }
    Ok(())
}

/// A scenario's verdict on the page: its sentences and, for the first scenario with
/// one, a compact chart of the ratios the sentences quote.
#[derive(Serialize)]
struct VerdictView {
    scenario: String,
    sentences: Vec<String>,
    chart: Option<ChartView>,
}

fn verdict_views(report: &RunReport) -> Vec<VerdictView> {
    let mut charted = false;
    report
        .verdicts
        .iter()
        .map(|v| {
            let chart = if charted {
                None
            } else {
                verdict_chart(report, v)
            };
            charted |= chart.is_some();
            VerdictView {
                scenario: v.scenario.clone(),
                sentences: v.sentences.clone(),
                chart,
            }
        })
        .collect()
}

/// The ratios a verdict quotes, with their intervals, in its mode.
fn verdict_chart(report: &RunReport, v: &super::verdict::Verdict) -> Option<ChartView> {
    let mode = v.mode?;
    let sr = report.scenario(&v.scenario)?;
    let s = sr.info;
    let t = sr.table(mode)?;
    let mut rows: Vec<charts::WhiskerRow> = v
        .variants
        .iter()
        .filter(|id| **id != s.reference.id())
        .filter_map(|id| {
            let r = t.ok(id)?.ratio?;
            Some((id.clone(), vec![Some((r.ratio, r.low, r.high))]))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| {
        let r = |x: &charts::WhiskerRow| x.1[0].map_or(f64::MAX, |v| v.0);
        r(a).total_cmp(&r(b))
    });
    Some(ChartView::new(
        format!("{}: the ratios above, {mode}", s.name),
        format!(
            "Each variant against {} (the line at 1), whisker the 95% interval; logarithmic axis.",
            s.reference
        ),
        charts::whisker_chart(
            "variant",
            &rows,
            &[(mode.name().to_owned(), charts::palette::mode(mode.name()))],
            &format!("ratio to {} (x, log scale)", s.reference),
            Some(1.0),
        ),
    ))
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

fn sweep_rows(fits: &[super::sweep::Fit]) -> Vec<SweepRow> {
    use crate::format::format_rate;
    fits.iter()
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
            variant: f.variant.clone(),
        })
        .collect()
}

fn sweep_views(fits: &[super::sweep::Fit]) -> Vec<ChartView> {
    super::sweep::sweep_charts(fits)
        .into_iter()
        .map(|(title, axis, series)| {
            ChartView::new(
                title,
                "Median import time at each swept value, one line per variant (the legend gives its least-squares growth); the x axis is logarithmic.",
                charts::line_chart(&series, &format!("{axis} (log scale)"), "median import time (ms)", true),
            )
        })
        .collect()
}
