//! One scenario's part of `report.html`: the headline against the reference, findings,
//! charts, every number, the profile, failures, and the fleet and hot-update tables.

use serde::Serialize;

use super::charts::{self, LegendItem, Marker, Row, ScatterPoint};
use super::profile::{CounterRow, PhaseRow, TopModules, counter_view, phase_view};
use super::view::{ChartView, ms_or_dash};
use crate::format::{format_duration_ns, format_size};
use crate::report::findings::Finding;
use crate::report::fleet::{FleetRow, fleet_rows};
use crate::report::hot_update::{HotRow, hot_rows};
use crate::results::{CaseResult, FleetCase, Results, ScenarioInfo};
use crate::scenario::{Bytecode, Layout, Mode, PageCache};
use crate::stats::bootstrap_ratio_ci;
use crate::status::Status;

/// A row of the headline: a variant against the reference.
#[derive(Serialize)]
struct Headline {
    variant: String,
    mode: String,
    ratio: String,
    interval: String,
    floor: String,
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
    floor: String,
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

/// The headline of one mode.
#[derive(Serialize)]
struct HeadlineTable {
    mode: String,
    rows: Vec<Headline>,
}

/// Everything the template shows about one scenario.
#[derive(Serialize)]
pub(super) struct ScenarioView {
    name: String,
    description: String,
    reference: String,
    modules: usize,
    sampling: String,
    warmup: u32,
    seed: u64,
    sha256: String,
    tree: String,
    headline: Vec<HeadlineTable>,
    /// Whether the scenario measures a per-sample mode (cold, warm, cold-disk).
    sampled: bool,
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
    /// With traces (`run --trace`): an icicle of the reference's and the best and
    /// worst zip's profiled import.
    icicles: Vec<ChartView>,
    /// With traces: where each of those zips spends more than the reference.
    differences: Vec<DiffView>,
}

/// A zip's profiled import against the reference's, as the page shows it.
#[derive(Serialize)]
struct DiffView {
    zip: String,
    reference: String,
    sentence: String,
    /// Phase, zip, reference, extra, share of the extra.
    phases: Vec<[String; 5]>,
    /// Module, zip, reference, extra, share of the extra.
    modules: Vec<[String; 5]>,
}

impl DiffView {
    fn new(d: &crate::report::trace_diff::Difference) -> Self {
        let row = |r: &crate::report::trace_diff::DiffRow| {
            let sign = if r.extra_ns < 0 { "-" } else { "+" };
            [
                r.name.clone(),
                format_duration_ns(r.zip_ns as f64),
                format_duration_ns(r.reference_ns as f64),
                format!(
                    "{sign}{}",
                    format_duration_ns(r.extra_ns.unsigned_abs() as f64)
                ),
                format!("{:.0}%", r.share * 100.0),
            ]
        };
        DiffView {
            zip: d.zip.clone(),
            reference: d.reference.clone(),
            sentence: d.sentence.clone(),
            phases: d.phases.iter().map(row).collect(),
            modules: d.modules.iter().map(row).collect(),
        }
    }
}

impl ScenarioView {
    /// Charts this scenario's section draws.
    pub(super) fn chart_count(&self) -> usize {
        self.charts.len() + self.icicles.len()
    }
}

/// Everything the page shows of one scenario.
pub(super) fn scenario_view(
    results: &Results,
    s: &ScenarioInfo,
    all_findings: &[Finding],
) -> ScenarioView {
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
    let measured = Measured::new(&cases, &modes);
    let mut charts_v = sample_charts(s, &measured);
    let fleet_cases = super::super::fleet::fleet_of(results, &s.name);
    charts_v.extend(fleet_charts(&fleet_cases));
    let (phase_names, phases, phase_chart) = phase_view(&cases, &measured.variants, modes[0]);
    if let Some(svg) = phase_chart {
        charts_v.push(ChartView::new(
            "Where the time goes",
            "The probe's profiled first import of each variant, split into exclusive phases (see METHODOLOGY.md), each phase in the same colour in every report; profiling adds overhead, so read the shares.",
            svg,
        ));
    }
    let (counter_names, counters) = counter_view(&cases, &measured.variants, modes[0]);
    let (table, failures) = every_number(&cases);
    ScenarioView {
        name: s.name.clone(),
        description: s.description.clone(),
        reference: s.reference.clone(),
        modules: s.workload_modules.len(),
        sampling: crate::report::sampling(s, &cases),
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
            None => tree_text(&s.tree),
        },
        headline: headline(s, &measured),
        sampled: s.modes.iter().any(|m| m.is_sampled()),
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
        top_modules: top_modules(&measured),
        fleet: fleet_rows(&fleet_cases),
        hot_updates: hot_rows(&super::super::hot_update::hot_of(results, &s.name)),
        icicles: crate::report::trace_diff::traced_cases(results, s)
            .iter()
            .map(|t| {
                let title = format!(
                    "{} ({}): one import, module by module",
                    t.case.variant, t.role
                );
                ChartView::new(
                    title.clone(),
                    format!(
                        "The probe's profiled first import ({}, profiling included), every \
                         box a wrapped call inside the one above it: a module's import \
                         (grey, named where it fits), its phases in their colours and the \
                         imports it made. Hover a box for its time; traces/{}-{}.json holds \
                         every span",
                        format_duration_ns(t.trace.wall_ns as f64),
                        s.name,
                        t.case.variant
                    ),
                    super::icicle::icicle(t.trace, &title),
                )
            })
            .collect(),
        differences: crate::report::trace_diff::differences(results, s)
            .iter()
            .map(DiffView::new)
            .collect(),
    }
}

/// A scenario's measured (`ok`) cases by variant and mode, for the charts.
struct Measured<'a> {
    cases: Vec<&'a CaseResult>,
    modes: Vec<Mode>,
    /// Measured variants, fastest first in the first mode.
    variants: Vec<String>,
}

impl<'a> Measured<'a> {
    fn new(cases: &[&'a CaseResult], modes: &[Mode]) -> Self {
        // Variants in file order, measured ones only, for charts.
        let mut variants: Vec<String> = Vec::new();
        for c in cases {
            if c.status == Status::Ok && !variants.contains(&c.variant) {
                variants.push(c.variant.clone());
            }
        }
        let mut m = Measured {
            cases: cases.to_vec(),
            modes: modes.to_vec(),
            variants: Vec::new(),
        };
        // Sort rows by the first mode's median, fastest at the top.
        variants.sort_by(|a, b| {
            let med = |v: &str| {
                m.find(v, modes[0])
                    .and_then(|c| c.summary.as_ref())
                    .map_or(f64::MAX, |s| s.median)
            };
            med(a).total_cmp(&med(b))
        });
        m.variants = variants;
        m
    }

    /// The measured case of `variant` in `mode`.
    fn find(&self, variant: &str, mode: Mode) -> Option<&'a CaseResult> {
        self.cases
            .iter()
            .copied()
            .find(|c| c.variant == variant && c.mode == mode && c.status == Status::Ok)
    }

    /// One chart row per variant, a case per mode.
    fn rows(&self) -> Vec<Row<'a>> {
        self.variants
            .iter()
            .map(|v| Row {
                label: v.clone(),
                cases: self.modes.iter().map(|&m| self.find(v, m)).collect(),
            })
            .collect()
    }
}

/// The headline: every variant against the reference in each mode, best first, with the
/// bootstrap interval of its ratio.
fn headline(s: &ScenarioInfo, m: &Measured) -> Vec<HeadlineTable> {
    let mut headline = Vec::new();
    for &mode in &m.modes {
        let Some(reference) = m.find(&s.reference, mode) else {
            continue;
        };
        let base: Vec<f64> = reference.samples_ns.iter().map(|&v| v as f64).collect();
        let mut rows_h: Vec<(f64, Headline)> = m
            .cases
            .iter()
            .filter(|c| c.mode == mode && c.status == Status::Ok && c.variant != s.reference)
            .filter_map(|c| {
                let ratio = c.ratio_to_reference?;
                // The interval of the run's estimate where the case has one (what
                // adaptive sampling judged); a bootstrap of the two sample sets
                // otherwise (files from before every case had one).
                let (lo, hi) = match c.paired_ratio {
                    Some(p) => (p.low, p.high),
                    None => {
                        let cand: Vec<f64> = c.samples_ns.iter().map(|&v| v as f64).collect();
                        bootstrap_ratio_ci(&base, &cand, crate::stats::RESAMPLES)
                    }
                };
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
                        floor: crate::report::floor_cell(c),
                        median: ms_or_dash(c.summary.as_ref().map(|s| s.median)),
                        tone,
                    },
                ))
            })
            .collect();
        rows_h.sort_by(|a, b| a.0.total_cmp(&b.0));
        headline.push(HeadlineTable {
            mode: mode.name().to_owned(),
            rows: rows_h.into_iter().map(|r| r.1).collect(),
        });
    }

    headline
}

/// The charts of the per-sample modes: medians, ratios, size against time and every
/// sample (none when no variant was measured).
fn sample_charts(s: &ScenarioInfo, m: &Measured) -> Vec<ChartView> {
    let (modes, cases) = (&m.modes, &m.cases);
    if m.variants.is_empty() {
        return Vec::new();
    }
    let rows = m.rows();
    let mode_names: Vec<String> = modes.iter().map(|m| m.name().to_owned()).collect();
    let mut charts_v = vec![
        ChartView::new(
            "Median import time",
            "Dots are medians, whiskers their 95% confidence intervals; fastest first. The axis is logarithmic, so equal gaps are equal ratios.",
            charts::interval_chart(
                &rows,
                &mode_names,
                "median import time (ms, log scale)",
                &|c| {
                    c.summary
                        .as_ref()
                        .map(|s| (s.median / 1e6, s.ci95_low / 1e6, s.ci95_high / 1e6))
                },
                None,
            ),
        ),
        ChartView::new(
            format!("Ratio to {}", s.reference),
            "Each variant's ratio to the reference in the same mode (the run's estimate), whiskers its interval; left of the line is faster. Logarithmic, so 1.05x and 1.15x stay apart beside 8x.",
            charts::interval_chart(
                &rows,
                &mode_names,
                &format!("ratio to {} (x, log scale)", s.reference),
                &super::view::ratio_interval,
                Some(1.0),
            ),
        ),
    ];
    // Size against time for every zip: colour = bytecode mode, marker = compression.
    let zips: Vec<&CaseResult> = cases
        .iter()
        .copied()
        .filter(|c| c.mode == modes[0] && c.status == Status::Ok && c.layout == Layout::Zip)
        .collect();
    let points: Vec<ScatterPoint> = zips
        .iter()
        .filter_map(|c| {
            Some(ScatterPoint {
                x: c.artifact.size as f64 / 1024.0,
                y: c.summary.as_ref()?.median / 1e6,
                colour: charts::palette::bytecode(c.bytecode.name()),
                marker: Marker::of(c),
            })
        })
        .collect();
    if !points.is_empty() {
        let mut legend: Vec<LegendItem> = Vec::new();
        for b in Bytecode::ALL {
            if zips.iter().any(|c| c.bytecode == b) {
                legend.push(LegendItem::new(
                    format!("bytecode {}", b.name()),
                    charts::palette::bytecode(b.name()),
                    Marker::Circle,
                ));
            }
        }
        for (name, marker) in [("stored", Marker::Square), ("deflate", Marker::Triangle)] {
            if zips.iter().any(|c| Marker::of(c) == marker) {
                legend.push(LegendItem::new(name, charts::palette::GREY, marker));
            }
        }
        if zips.iter().any(|c| Marker::of(c) == Marker::Cross) {
            legend.push(LegendItem::new(
                "other compression",
                charts::palette::GREY,
                Marker::Cross,
            ));
        }
        charts_v.push(ChartView::new(
            "Archive size against import time",
            format!(
                "Zip variants, {} mode: colour is the bytecode mode, shape the compression (deflate levels share a shape; the table below names each point). Both axes are logarithmic.",
                modes[0]
            ),
            charts::scatter_chart(
                &points,
                legend,
                "archive size (KiB, log scale)",
                "median import time (ms, log scale)",
            ),
        ));
    }
    charts_v.push(ChartView::new(
        "Every sample",
        "Each dot is one timed import, so noise and outliers are visible.",
        charts::samples_chart(&rows, &mode_names),
    ));

    charts_v
}

/// The ten modules with the most self time in each variant's profiled import.
fn top_modules(m: &Measured) -> Vec<TopModules> {
    m.variants
        .iter()
        .filter_map(|v| m.find(v, m.modes[0]))
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
        .collect()
}

/// "Every number": a row per case; and the cases that could not be measured.
fn every_number(cases: &[&CaseResult]) -> (Vec<TableRow>, Vec<Failure>) {
    let mut table = Vec::new();
    let mut failures = Vec::new();
    for c in cases {
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
            floor: crate::report::floor_cell(c),
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
    (table, failures)
}

/// Fleet charts: p95 latency, and memory per process, against the number of processes;
/// one line per variant, sharing and page cache (memory: per variant and sharing).
fn fleet_charts(cases: &[&FleetCase]) -> Vec<ChartView> {
    let mut latency: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut memory: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for c in cases {
        let Some(sm) = c
            .summary
            .as_ref()
            .filter(|_| c.outcome.status == Status::Ok)
        else {
            continue;
        };
        let x = f64::from(c.outcome.processes);
        let name = format!(
            "{} {} {}-cache",
            c.outcome.variant,
            c.outcome.sharing.name(),
            c.outcome.page_cache.name()
        );
        push_point(&mut latency, name, (x, sm.p95_ns / 1e6));
        if c.outcome.page_cache == PageCache::Warm {
            let name = format!("{} {}", c.outcome.variant, c.outcome.sharing.name());
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
        ChartView::new(
            "Fleet: p95 import latency against processes",
            "95th percentile of the import time across the processes started at once (median over rounds); one line per variant, shared artifact or per-process copies, and page cache state.",
            charts::line_chart(
                &latency,
                "processes started at once (count, log scale)",
                "p95 import latency (ms)",
                true,
            ),
        ),
        ChartView::new(
            "Fleet: memory per process",
            "Proportional set size per process once every process has imported (shared pages divided among their sharers; the artifact's page cache is not in it, see the table), warm page cache.",
            charts::line_chart(
                &memory,
                "processes started at once (count, log scale)",
                "PSS per process (MiB)",
                true,
            ),
        ),
    ]
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
