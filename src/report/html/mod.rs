//! `report.html`: one self-contained page (inline CSS and SVG, no fetches) that a
//! person can open from a CI artifact. The page is a minijinja template,
//! `report.html` beside this file, rendered with HTML auto-escaping, so text from
//! scenario files and error messages can never inject markup.

mod charts;
mod history;
mod profile;

pub use history::history_html;

use anyhow::{Context, Result};
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::findings::{Finding, findings};
use super::fleet::{FleetRow, fleet_rows};
use super::hot_update::{HotRow, hot_rows};
use crate::format::{format_duration_ns, format_size};
use crate::measure::Status;
use crate::results::{CaseResult, FleetCase, Results, ScenarioInfo};
use crate::scenario::{Bytecode, Layout, Mode, PageCache};
use crate::stats::bootstrap_ratio_ci;
use charts::{Row, ScatterPoint};
use profile::{CounterRow, PhaseRow, TopModules, counter_view, phase_view};

/// A row of the headline: a variant against the reference.
#[derive(Serialize)]
struct Headline {
    variant: String,
    mode: String,
    ratio: String,
    interval: String,
    median: String,
    tone: &'static str,
}

/// A row of the full table.
#[derive(Serialize)]
struct TableRow {
    variant: String,
    mode: String,
    status: String,
    n: usize,
    median: String,
    ci: String,
    mean: String,
    stddev: String,
    mad: String,
    p95: String,
    min: String,
    max: String,
    ratio: String,
    startup: String,
    size: String,
    entries: u64,
    sha256: String,
    compiles: String,
    unmarshals: String,
    opens: String,
    instructions: String,
    instructions_ratio: String,
    cpu: String,
}

/// A case that could not be measured.
#[derive(Serialize)]
struct Failure {
    variant: String,
    mode: String,
    status: String,
    error: String,
}

/// Everything the template shows about one scenario.
#[derive(Serialize)]
struct ScenarioView {
    name: String,
    description: String,
    reference: String,
    modules: usize,
    samples: u32,
    warmup: u32,
    seed: u64,
    sha256: String,
    tree: String,
    headline: Vec<Headline>,
    findings: Vec<Finding>,
    charts: Vec<ChartView>,
    table: Vec<TableRow>,
    failures: Vec<Failure>,
    phase_names: Vec<String>,
    phases: Vec<PhaseRow>,
    counter_names: Vec<String>,
    counters: Vec<CounterRow>,
    top_modules: Vec<TopModules>,
    fleet: Vec<FleetRow>,
    hot_updates: Vec<HotRow>,
}

/// A titled chart.
#[derive(Serialize)]
struct ChartView {
    title: String,
    caption: String,
    svg: String,
}

fn ms_or_dash(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_duration_ns)
}

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
    tmpl.render(context! {
        title => format!("zipimport-bench: {}", results.scenarios.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")),
        scenarios => Value::from(Serde(&scenarios)),
        metadata => Value::from(Serde(&metadata)),
        sweeps => Value::from(Serde(&sweep_views(results))),
        sweep_rows => Value::from(Serde(&sweep_rows(results))),
        python_tables => Value::from(Serde(&super::pythons::python_tables(results))),
    })
    .context("rendering the report")
}

fn scenario_view(results: &Results, s: &ScenarioInfo, all_findings: &[Finding]) -> ScenarioView {
    let cases: Vec<&CaseResult> = results
        .cases
        .iter()
        .filter(|c| c.scenario == s.name)
        .collect();
    // Fleet and hot-update cases have sections of their own; with neither cold, warm
    // nor cold-disk measured, the per-mode sections below stay empty.
    let mut modes: Vec<Mode> = s.modes.iter().copied().filter(|m| m.is_sampled()).collect();
    if modes.is_empty() {
        modes.push(Mode::Cold);
    }
    let mode_names: Vec<String> = modes.iter().map(|m| m.name().to_owned()).collect();

    // Variants in file order, measured ones only, for charts.
    let mut variants: Vec<String> = Vec::new();
    for c in &cases {
        if c.status == Status::Ok && !variants.contains(&c.variant) {
            variants.push(c.variant.clone());
        }
    }
    let find = |v: &str, m: Mode| {
        cases
            .iter()
            .copied()
            .find(|c| c.variant == v && c.mode == m && c.status == Status::Ok)
    };
    // Sort rows by the first mode's median, fastest at the top.
    variants.sort_by(|a, b| {
        let med = |v: &str| {
            find(v, modes[0])
                .and_then(|c| c.summary.as_ref())
                .map_or(f64::MAX, |s| s.median)
        };
        med(a).total_cmp(&med(b))
    });
    let rows: Vec<Row<'_>> = variants
        .iter()
        .map(|v| Row {
            label: v.clone(),
            cases: modes.iter().map(|&m| find(v, m)).collect(),
        })
        .collect();

    let mut headline = Vec::new();
    for &mode in &modes {
        let Some(reference) = find(&s.reference, mode) else {
            continue;
        };
        let base: Vec<f64> = reference.samples_ns.iter().map(|&v| v as f64).collect();
        let mut rows_h: Vec<(f64, Headline)> = cases
            .iter()
            .filter(|c| c.mode == mode && c.status == Status::Ok && c.variant != s.reference)
            .filter_map(|c| {
                let ratio = c.ratio_to_reference?;
                let cand: Vec<f64> = c.samples_ns.iter().map(|&v| v as f64).collect();
                let (lo, hi) = bootstrap_ratio_ci(&base, &cand, 1000);
                let tone = if hi < 1.0 {
                    "good"
                } else if lo > 1.0 {
                    "bad"
                } else {
                    "info"
                };
                Some((
                    ratio,
                    Headline {
                        variant: c.variant.clone(),
                        mode: mode.name().to_owned(),
                        ratio: format!("{ratio:.2}x"),
                        interval: format!("{lo:.2} - {hi:.2}"),
                        median: ms_or_dash(c.summary.as_ref().map(|s| s.median)),
                        tone,
                    },
                ))
            })
            .collect();
        rows_h.sort_by(|a, b| a.0.total_cmp(&b.0));
        headline.extend(rows_h.into_iter().map(|r| r.1));
    }

    let mut charts_v = vec![
        ChartView {
            title: "Median import time".into(),
            caption: "Dots are medians, whiskers their 95% confidence intervals; fastest first.".into(),
            svg: charts::interval_chart(&rows, &mode_names, "median import time (ms)", &|c| {
                c.summary.as_ref().map(|s| (s.median / 1e6, s.ci95_low / 1e6, s.ci95_high / 1e6))
            }, None),
        },
        ChartView {
            title: format!("Ratio to {}", s.reference),
            caption: "Median over the reference's median in the same mode; whiskers scale the case's own interval. Left of the line is faster.".into(),
            svg: charts::interval_chart(&rows, &mode_names, &format!("ratio to {}", s.reference), &|c| {
                let r = c.ratio_to_reference?;
                let sm = c.summary.as_ref()?;
                Some((r, r * sm.ci95_low / sm.median, r * sm.ci95_high / sm.median))
            }, Some(1.0)),
        },
    ];
    // Size against time for every zip compression setting, one series per bytecode mode.
    let mut series: Vec<(String, Vec<ScatterPoint>)> = Vec::new();
    for b in Bytecode::ALL {
        let points: Vec<ScatterPoint> = cases
            .iter()
            .filter(|c| {
                c.mode == modes[0]
                    && c.status == Status::Ok
                    && c.layout == Layout::Zip
                    && c.bytecode == b
            })
            .filter_map(|c| {
                Some(ScatterPoint {
                    x: c.artifact.size as f64 / 1024.0,
                    y: c.summary.as_ref()?.median / 1e6,
                    label: format!(
                        "{}{}",
                        c.compression.clone().unwrap_or_default(),
                        c.level.map(|l| l.to_string()).unwrap_or_default()
                    ),
                })
            })
            .collect();
        if !points.is_empty() {
            series.push((b.name().to_owned(), points));
        }
    }
    if !series.is_empty() {
        charts_v.push(ChartView {
            title: "Archive size against import time".into(),
            caption: format!(
                "Zip variants, {} mode; one colour per bytecode mode, labels name the compression.",
                modes[0]
            ),
            svg: charts::scatter_chart(&series, "archive size (KiB)", "median import time (ms)"),
        });
    }
    charts_v.push(ChartView {
        title: "Every sample".into(),
        caption: "Each dot is one timed import, so noise and outliers are visible.".into(),
        svg: charts::samples_chart(&rows, &mode_names),
    });

    if variants.is_empty() {
        charts_v.clear();
    }
    let fleet_cases = super::fleet::fleet_of(results, &s.name);
    charts_v.extend(fleet_charts(&fleet_cases));
    let (phase_names, phases, phase_chart) = phase_view(&cases, &variants, modes[0]);
    if let Some(svg) = phase_chart {
        charts_v.push(ChartView {
            title: "Where the time goes".into(),
            caption: "The probe's profiled first import of each variant, split into exclusive phases (see METHODOLOGY.md); profiling adds overhead, so read the shares.".into(),
            svg,
        });
    }
    let (counter_names, counters) = counter_view(&cases, &variants, modes[0]);
    let top_modules = variants
        .iter()
        .filter_map(|v| find(v, modes[0]))
        .filter_map(|c| {
            let p = c.probe.as_ref()?;
            (!p.top_modules.is_empty()).then(|| TopModules {
                variant: c.variant.clone(),
                modules: p
                    .top_modules
                    .iter()
                    .take(10)
                    .map(|(n, s, cum)| {
                        (
                            n.clone(),
                            format_duration_ns(*s as f64),
                            format_duration_ns(*cum as f64),
                        )
                    })
                    .collect(),
            })
        })
        .collect();

    let mut table = Vec::new();
    let mut failures = Vec::new();
    for c in &cases {
        let sm = c.summary.as_ref();
        let counter = |k: &str| {
            c.probe
                .as_ref()
                .and_then(|p| p.first.get(k))
                .map_or_else(|| "-".into(), |v| v.to_string())
        };
        table.push(TableRow {
            variant: c.variant.clone(),
            mode: c.mode.name().to_owned(),
            status: c.status.name().to_owned(),
            n: c.samples_ns.len(),
            median: ms_or_dash(sm.map(|s| s.median)),
            ci: sm.map_or_else(
                || "-".into(),
                |s| {
                    format!(
                        "{} - {}",
                        format_duration_ns(s.ci95_low),
                        format_duration_ns(s.ci95_high)
                    )
                },
            ),
            mean: ms_or_dash(sm.map(|s| s.mean)),
            stddev: ms_or_dash(sm.map(|s| s.stddev)),
            mad: ms_or_dash(sm.map(|s| s.mad)),
            p95: ms_or_dash(sm.map(|s| s.p95)),
            min: ms_or_dash(sm.map(|s| s.min)),
            max: ms_or_dash(sm.map(|s| s.max)),
            ratio: c
                .ratio_to_reference
                .map_or_else(|| "-".into(), |r| format!("{r:.3}")),
            startup: ms_or_dash(c.startup.as_ref().map(|s| s.median)),
            size: format_size(c.artifact.size),
            entries: c.artifact.entries,
            sha256: c.artifact.sha256.chars().take(12).collect(),
            instructions: c
                .instructions
                .as_ref()
                .and_then(|i| i.median)
                .map_or_else(|| "-".into(), |m| format!("{:.2} M", m / 1e6)),
            instructions_ratio: c
                .instructions
                .as_ref()
                .and_then(|i| i.ratio_to_reference)
                .map_or_else(|| "-".into(), |r| format!("{r:.3}")),
            cpu: ms_or_dash(crate::results::Summary::of(&c.cpu_samples_ns).map(|s| s.median)),
            compiles: counter("compiles"),
            unmarshals: counter("unmarshals"),
            opens: counter("opens"),
        });
        if c.status != Status::Ok {
            failures.push(Failure {
                variant: c.variant.clone(),
                mode: c.mode.name().to_owned(),
                status: c.status.name().to_owned(),
                error: c.error.clone().unwrap_or_default(),
            });
        }
    }
    let t = &s.tree;
    ScenarioView {
        name: s.name.clone(),
        description: s.description.clone(),
        reference: s.reference.clone(),
        modules: s.workload_modules.len(),
        samples: s.samples,
        warmup: s.warmup,
        seed: s.seed,
        sha256: s.sha256.chars().take(12).collect(),
        tree: match &s.corpus {
            Some(c) => format!(
                "real code: the {} corpus {} ({} Python modules, {} extension modules)",
                c.kind,
                c.source,
                c.modules,
                c.extensions.len()
            ),
            None => tree_text(t),
        },
        headline,
        findings: all_findings
            .iter()
            .filter(|f| f.scenario == s.name)
            .cloned()
            .collect(),
        charts: charts_v,
        table,
        failures,
        phase_names,
        phases,
        counter_names,
        counters,
        top_modules,
        fleet: fleet_rows(&fleet_cases),
        hot_updates: hot_rows(&super::hot_update::hot_of(results, &s.name)),
    }
}

/// Fleet charts: p95 latency, and memory per process, against the number of processes;
/// one line per variant, sharing and page cache (memory: per variant and sharing).
fn fleet_charts(cases: &[&FleetCase]) -> Vec<ChartView> {
    let mut latency: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut memory: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for c in cases {
        let Some(sm) = c.summary.as_ref().filter(|_| c.status == Status::Ok) else {
            continue;
        };
        let x = f64::from(c.processes);
        let name = format!(
            "{} {} {}-cache",
            c.variant,
            c.sharing.name(),
            c.page_cache.name()
        );
        push_point(&mut latency, name, (x, sm.p95_ns / 1e6));
        if c.page_cache == PageCache::Warm {
            let name = format!("{} {}", c.variant, c.sharing.name());
            push_point(
                &mut memory,
                name,
                (x, sm.pss_per_process_bytes / 1024.0 / 1024.0),
            );
        }
    }
    if latency.is_empty() {
        return Vec::new();
    }
    vec![
        ChartView {
            title: "Fleet: p95 import latency against processes".into(),
            caption: "95th percentile of the import time across the processes started at once (median over rounds); one line per variant, shared artifact or per-process copies, and page cache state.".into(),
            svg: charts::line_chart(&latency, "processes started at once", "p95 import latency (ms)", true),
        },
        ChartView {
            title: "Fleet: memory per process".into(),
            caption: "Proportional set size per process once every process has imported (shared pages divided among their sharers; the artifact's page cache is not in it, see the table), warm page cache.".into(),
            svg: charts::line_chart(&memory, "processes started at once", "PSS per process (MiB)", true),
        },
    ]
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

fn tree_text(t: &crate::scenario::TreeSpec) -> String {
    let filler = if t.filler > 0 {
        format!(", {} unimported filler entries", t.filler)
    } else {
        String::new()
    };
    format!(
        "{} packages x depth {} x {} subpackages, {} modules per package of ~{} lines, {} imports each, {} data files of {} per package{filler}",
        t.packages,
        t.depth,
        t.subpackages,
        t.modules,
        t.lines,
        t.imports,
        t.data_files,
        format_size(u64::from(t.data_size))
    )
}

fn push_point(series: &mut Vec<(String, Vec<(f64, f64)>)>, name: String, point: (f64, f64)) {
    match series.iter_mut().find(|(n, _)| *n == name) {
        Some((_, points)) => points.push(point),
        None => series.push((name, vec![point])),
    }
}
