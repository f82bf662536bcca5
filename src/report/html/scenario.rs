//! One scenario's part of `report.html`: the headline against the reference, findings,
//! charts, every number, the profile, failures, and the fleet and hot-update tables,
//! all drawn from the report model's scenario.

use serde::Serialize;

use super::charts::{self, LegendItem, Marker, Row, ScatterPoint};
use super::profile::{CounterRow, PhaseRow, TopModules, counter_view, phase_view};
use super::view::ChartView;
use crate::format::{format_duration_ns, format_size};
use crate::markup::{Column, Row as TableRow, Table, TableView};
use crate::report::analysis::RunReport;
use crate::report::findings::Finding;
use crate::report::model::{FloorCell, ScenarioReport};
use crate::report::phrase;
use crate::results::{CaseResult, FleetCase};
use crate::scenario::{Bytecode, Layout, Mode, PageCache};
use crate::status::Status;

/// A case that could not be measured.
#[derive(Serialize)]
struct Failure {
    variant: String,
    mode: String,
    status: String,
    error: String,
}

/// The headline of one mode: the table every output draws, with its heading, its
/// cases' warnings and what its columns are.
#[derive(Serialize)]
struct HeadlineTable {
    mode: String,
    heading: String,
    table: TableView,
    warnings: Vec<String>,
    note: String,
}

/// Everything the template shows about one scenario.
#[derive(Serialize)]
pub(super) struct ScenarioView {
    name: String,
    description: String,
    reference: String,
    modules: usize,
    warmup: u32,
    seed: u64,
    sha256: String,
    tree: String,
    headline: Vec<HeadlineTable>,
    /// Whether the scenario measures a per-sample mode (cold, warm, cold-disk).
    sampled: bool,
    findings: Vec<Finding>,
    charts: Vec<ChartView>,
    table: TableView,
    failures: Vec<Failure>,
    phase_names: Vec<String>,
    phases: Vec<PhaseRow>,
    counter_names: Vec<String>,
    counters: Vec<CounterRow>,
    top_modules: Vec<TopModules>,
    fleet: Option<TableView>,
    hot_updates: Option<TableView>,
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
pub(super) fn scenario_view(report: &RunReport, sr: &ScenarioReport) -> ScenarioView {
    let s = sr.info;
    let cases = sr.cases;
    // Fleet and hot-update cases have sections of their own; with neither cold, warm
    // nor cold-disk measured, the per-mode sections below stay empty.
    let mut modes: Vec<Mode> = sr.tables.iter().map(|t| t.mode).collect();
    if modes.is_empty() {
        modes.push(Mode::Cold);
    }
    let measured = Measured::new(sr, &modes);
    let mut charts_v = sample_charts(s, &measured);
    let fleet_cases = crate::report::fleet::fleet_of(report.results, &s.name);
    charts_v.extend(fleet_charts(&fleet_cases));
    let (phase_names, phases, phase_chart) = phase_view(cases, &measured.variants, modes[0]);
    if let Some(svg) = phase_chart {
        charts_v.push(ChartView::new(
            "Where the time goes",
            "The probe's profiled first import of each variant, split into exclusive phases (see METHODOLOGY.md), each phase in the same colour in every report; profiling adds overhead, so read the shares.",
            svg,
        ));
    }
    let (counter_names, counters) = counter_view(cases, &measured.variants, modes[0]);
    let headline = sr
        .tables
        .iter()
        .filter(|t| t.ok(&s.reference.id()).is_some())
        .map(|t| HeadlineTable {
            mode: t.mode.name().to_owned(),
            heading: crate::report::headline::heading(sr, t),
            table: crate::report::headline::table(t, s.samples).view(),
            warnings: crate::report::headline::warnings(t),
            note: crate::report::headline::note(t),
        })
        .collect();
    ScenarioView {
        name: s.name.clone(),
        description: s.description.clone(),
        reference: s.reference.id(),
        modules: s.workload_modules.len(),
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
        headline,
        sampled: s.modes.iter().any(|m| m.is_sampled()),
        findings: report
            .findings
            .iter()
            .filter(|f| f.scenario == s.name)
            .cloned()
            .collect(),
        charts: charts_v,
        table: every_number(sr).view(),
        failures: failures(sr),
        phase_names,
        phases,
        counter_names,
        counters,
        top_modules: top_modules(&measured),
        fleet: crate::report::fleet::view(report.results, &s.name),
        hot_updates: crate::report::hot_update::view(report.results, &s.name),
        icicles: sr
            .traced
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
        differences: sr.differences.iter().map(DiffView::new).collect(),
    }
}

/// A scenario's measured (`ok`) cases by variant and mode, for the charts: the
/// variants in the model's row order.
struct Measured<'s, 'a> {
    sr: &'s ScenarioReport<'a>,
    modes: Vec<Mode>,
    /// Measured variants, in the headline table's row order.
    variants: Vec<String>,
}

impl<'s, 'a> Measured<'s, 'a> {
    fn new(sr: &'s ScenarioReport<'a>, modes: &[Mode]) -> Self {
        Measured {
            sr,
            modes: modes.to_vec(),
            variants: sr.variant_order().iter().map(|v| v.to_string()).collect(),
        }
    }

    /// The measured case of `variant` in `mode`.
    fn find(&self, variant: &str, mode: Mode) -> Option<&'a CaseResult> {
        self.sr
            .table(mode)?
            .row(variant)
            .filter(|r| r.is_ok())
            .map(|r| r.case)
    }

    /// Every measured case of the first mode.
    fn first_mode(&self) -> Vec<&'a CaseResult> {
        self.variants
            .iter()
            .filter_map(|v| self.find(v, self.modes[0]))
            .collect()
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

    /// A case's ratio to the reference with its interval, as its table has it.
    fn ratio(&self, c: &CaseResult) -> Option<(f64, f64, f64)> {
        let r = self.sr.table(c.mode)?.ok(&c.variant.id())?.ratio?;
        Some((r.ratio, r.low, r.high))
    }
}

/// The charts of the per-sample modes: medians, ratios, size against time and every
/// sample (none when no variant was measured).
fn sample_charts(s: &crate::results::ScenarioInfo, m: &Measured) -> Vec<ChartView> {
    let modes = &m.modes;
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
            "Each variant's ratio to the reference in the same mode (the run's estimate), whiskers its interval; left of the line is faster. Logarithmic, so small differences near 1 stay visible beside large ratios.",
            charts::interval_chart(
                &rows,
                &mode_names,
                &format!("ratio to {} (x, log scale)", s.reference),
                &|c| m.ratio(c),
                Some(1.0),
            ),
        ),
    ];
    // Size against time for every zip: colour = bytecode mode, marker = compression.
    let zips: Vec<&CaseResult> = m
        .first_mode()
        .into_iter()
        .filter(|c| c.variant.layout == Layout::Zip)
        .collect();
    let points: Vec<ScatterPoint> = zips
        .iter()
        .filter_map(|c| {
            Some(ScatterPoint {
                x: c.artifact.size as f64 / 1024.0,
                y: c.summary.as_ref()?.median / 1e6,
                colour: charts::palette::bytecode(c.variant.bytecode.name()),
                marker: Marker::of(c),
            })
        })
        .collect();
    if !points.is_empty() {
        let mut legend: Vec<LegendItem> = Vec::new();
        for b in Bytecode::ALL {
            if zips.iter().any(|c| c.variant.bytecode == b) {
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
                variant: c.variant.id(),
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

/// "Every number": a row per case, mode by mode, each mode's rows in the model's
/// order.
fn every_number(sr: &ScenarioReport) -> Table {
    let mut t = Table::new(vec![
        Column::fit("variant"),
        Column::fit("mode").markdown_left(),
        Column::fit("status").markdown_left(),
        Column::fit("samples"),
        Column::fit("median"),
        Column::fit("95% interval of the median"),
        Column::fit("mean"),
        Column::fit("std. deviation"),
        Column::fit("median abs. deviation"),
        Column::fit("95th percentile"),
        Column::fit("min"),
        Column::fit("max"),
        Column::fit("ratio"),
        Column::fit("ratio 95% interval"),
        Column::fit("over the floor"),
        Column::fit("floor 95% interval"),
        Column::fit("CPU time"),
        Column::fit("instructions"),
        Column::fit("instructions ratio"),
        Column::fit("instructions span"),
        Column::fit("interpreter start-up"),
        Column::fit("size"),
        Column::fit("archive entries"),
        Column::fit("compilations"),
        Column::fit("unmarshals"),
        Column::fit("files opened"),
        Column::fit("sha256"),
    ]);
    for table in &sr.tables {
        for r in &table.rows {
            let c = r.case;
            let sm = r.summary();
            let ms = |v: Option<f64>| v.map_or_else(|| "-".into(), format_duration_ns);
            let counter = |k: &str| {
                c.probe
                    .as_ref()
                    .and_then(|p| p.first.get(k))
                    .map_or_else(|| "-".into(), |v| v.to_string())
            };
            let ratio = |x: Option<crate::stats::RatioInterval>| match x {
                Some(x) => (format!("{:.3}", x.ratio), phrase::interval(&x)),
                None => ("-".into(), "-".into()),
            };
            let (ratio_cell, ratio_interval) = ratio(r.ratio);
            let (floor_cell, floor_interval) = match r.floor {
                FloorCell::IsFloor => ("floor".into(), String::new()),
                other => ratio(other.over()),
            };
            let (instr_ratio, instr_span) = ratio(r.instructions);
            t.push(TableRow::cells(vec![
                c.variant.id(),
                c.mode.name().to_owned(),
                c.status.name().to_owned(),
                c.samples_ns.len().to_string(),
                ms(sm.map(|s| s.median)),
                sm.map_or_else(
                    || "-".into(),
                    |s| {
                        format!(
                            "{} - {}",
                            format_duration_ns(s.ci95_low),
                            format_duration_ns(s.ci95_high)
                        )
                    },
                ),
                ms(sm.map(|s| s.mean)),
                ms(sm.map(|s| s.stddev)),
                ms(sm.map(|s| s.mad)),
                ms(sm.map(|s| s.p95)),
                ms(sm.map(|s| s.min)),
                ms(sm.map(|s| s.max)),
                ratio_cell,
                ratio_interval,
                floor_cell,
                floor_interval,
                ms(r.cpu_median),
                r.instructions_median
                    .map_or_else(|| "-".into(), |m| format!("{:.2} M", m / 1e6)),
                instr_ratio,
                instr_span,
                ms(c.startup.as_ref().map(|s| s.median)),
                format_size(c.artifact.size),
                c.artifact.entries.to_string(),
                counter("compiles"),
                counter("unmarshals"),
                counter("opens"),
                c.artifact.sha256.chars().take(12).collect(),
            ]));
        }
    }
    t
}

/// The cases that could not be measured, mode by mode.
fn failures(sr: &ScenarioReport) -> Vec<Failure> {
    sr.tables
        .iter()
        .flat_map(|t| &t.rows)
        .map(|r| r.case)
        .filter(|c| c.status != Status::Ok)
        .map(|c| Failure {
            variant: c.variant.id(),
            mode: c.mode.name().to_owned(),
            status: c.status.name().to_owned(),
            error: c.error.clone().unwrap_or_default(),
        })
        .collect()
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
