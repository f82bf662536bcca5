//! The `fleet` mode in every report: a row per fleet configuration (shared by the
//! terminal table, `summary.md` and `report.html`), its table, and the findings it
//! supports.

use serde::Serialize;

use super::finding::Finding;
use crate::format::{format_duration_ns, format_size};
use crate::markup::{Column, Row, Section, Table};
use crate::results::{FleetCase, Results};
use crate::scenario::{PageCache, Sharing};
use crate::status::Status;

/// One fleet configuration, formatted.
#[derive(Debug, Serialize)]
pub struct FleetRow {
    /// Variant id.
    pub variant: String,
    /// Processes.
    pub processes: u32,
    /// `shared` or `copies`.
    pub sharing: &'static str,
    /// `warm` or `cold`.
    pub cache: &'static str,
    /// `ok`, or why not.
    pub status: String,
    /// Rounds.
    pub rounds: usize,
    /// Median latency across the fleet.
    pub p50: String,
    /// 95th percentile across the fleet.
    pub p95: String,
    /// Slowest process.
    pub max: String,
    /// First launch to last import.
    pub wall: String,
    /// p95 over the 1-process p95.
    pub vs_single: String,
    /// PSS per process.
    pub pss: String,
    /// RSS per process.
    pub rss: String,
    /// Shared share of RSS.
    pub shared: String,
    /// Artifact bytes in the page cache.
    pub cache_bytes: String,
    /// Error or warnings.
    pub note: String,
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_duration_ns)
}

/// The fleet cases of one scenario.
pub fn fleet_of<'a>(results: &'a Results, scenario: &str) -> Vec<&'a FleetCase> {
    results
        .fleet
        .iter()
        .filter(|c| c.scenario == scenario)
        .collect()
}

/// Formatted fleet rows, in results order (variant, processes, sharing, cache).
pub fn fleet_rows(cases: &[&FleetCase]) -> Vec<FleetRow> {
    cases
        .iter()
        .map(|c| {
            let s = c.summary.as_ref();
            let note = match &c.outcome.error {
                Some(e) => e.lines().next().unwrap_or_default().to_owned(),
                None => c.warnings.join("; "),
            };
            FleetRow {
                variant: c.outcome.variant.id(),
                processes: c.outcome.processes,
                sharing: c.outcome.sharing.name(),
                cache: c.outcome.page_cache.name(),
                status: c.outcome.status.name().to_owned(),
                rounds: c.outcome.rounds.len(),
                p50: opt_ms(s.map(|s| s.p50_ns)),
                p95: opt_ms(s.map(|s| s.p95_ns)),
                max: opt_ms(s.map(|s| s.max_ns)),
                wall: opt_ms(s.map(|s| s.wall_ns)),
                vs_single: match s.map(|s| (s.p95_vs_single, s.p95_vs_single_interval)) {
                    Some((Some(r), Some((lo, hi)))) => format!("{r:.2}x [{lo:.2}, {hi:.2}]"),
                    Some((Some(r), None)) => format!("{r:.2}x"),
                    _ => "-".into(),
                },
                pss: s.map_or_else(
                    || "-".into(),
                    |s| format_size(s.pss_per_process_bytes as u64),
                ),
                rss: s.map_or_else(
                    || "-".into(),
                    |s| format_size(s.rss_per_process_bytes as u64),
                ),
                shared: s.map_or_else(
                    || "-".into(),
                    |s| format!("{:.0}%", s.shared_fraction * 100.0),
                ),
                cache_bytes: s.map_or_else(
                    || "-".into(),
                    |s| format_size(s.artifact_cache_bytes as u64),
                ),
                note,
            }
        })
        .collect()
}

/// The fleet table of one scenario.
fn table(rows: &[FleetRow]) -> Table {
    let mut t = Table::new(vec![
        Column::fit("variant"),
        Column::right("procs", 5).markdown_title("processes"),
        Column::right("sharing", 7).markdown_left(),
        Column::right("cache", 5)
            .markdown_title("page cache")
            .markdown_left(),
        Column::right("p50", 9),
        Column::right("p95", 9),
        Column::right("max", 9),
        Column::right("wall", 9),
        Column::right("vs 1", 20).markdown_title("p95 vs 1, 95% CI"),
        Column::right("PSS/proc", 10).markdown_title("PSS per process"),
        Column::right("RSS per process", 0).markdown_only(),
        Column::right("shared", 7),
        Column::right("in cache", 10).markdown_title("artifact in cache"),
        Column::left("", 0).gap(2).text_only(),
    ]);
    for r in rows {
        let lead = vec![
            r.variant.clone(),
            r.processes.to_string(),
            r.sharing.to_owned(),
            r.cache.to_owned(),
        ];
        if r.status != "ok" {
            t.push(Row::message(lead, format!("{}: {}", r.status, r.note)));
            continue;
        }
        let mut cells = lead;
        cells.extend([
            r.p50.clone(),
            r.p95.clone(),
            r.max.clone(),
            r.wall.clone(),
            r.vs_single.clone(),
            r.pss.clone(),
            r.rss.clone(),
            r.shared.clone(),
            r.cache_bytes.clone(),
            if r.note.is_empty() {
                String::new()
            } else {
                format!("({})", r.note)
            },
        ]);
        t.push(Row::cells(cells));
    }
    t
}

/// The fleet section's heading.
fn section(scenario: &str) -> Section<'_> {
    Section {
        scenario,
        kind: "fleet",
        caption: "import latency across the processes of a fleet (median of rounds), memory \
                  per process once all have imported",
    }
}

/// The fleet table of one scenario as the report page draws it (the Markdown form's
/// columns), when it has fleet configurations.
pub fn view(results: &Results, scenario: &str) -> Option<crate::markup::TableView> {
    fleet_table(results, scenario).map(|t| t.view())
}

/// The fleet's table of one scenario, when it has fleet configurations.
fn fleet_table(results: &Results, scenario: &str) -> Option<Table> {
    let rows = fleet_rows(&fleet_of(results, scenario));
    (!rows.is_empty()).then(|| table(&rows))
}

/// The terminal section of one scenario's fleet ("" when it has none).
pub fn text(results: &Results, scenario: &str) -> String {
    section(scenario).text(fleet_table(results, scenario))
}

/// The Markdown section of one scenario's fleet ("" when it has none).
pub fn markdown(results: &Results, scenario: &str) -> String {
    section(scenario).markdown(fleet_table(results, scenario))
}

/// Findings from one scenario's fleet configurations.
pub fn findings(results: &Results, scenario: &str, out: &mut Vec<Finding>) {
    let mut say = |tone: &'static str, text: String| {
        out.push(Finding {
            scenario: scenario.to_owned(),
            tone,
            text,
        });
    };
    let fleet: Vec<&FleetCase> = fleet_of(results, scenario)
        .into_iter()
        .filter(|c| c.outcome.status == Status::Ok && c.summary.is_some())
        .collect();
    if let Some(max_n) = fleet
        .iter()
        .map(|c| c.outcome.processes)
        .max()
        .filter(|&n| n > 1)
    {
        for cache in [PageCache::Warm, PageCache::Cold] {
            let mut parts: Vec<(f64, String)> = fleet
                .iter()
                .filter(|c| {
                    c.outcome.processes == max_n
                        && c.outcome.sharing == Sharing::Shared
                        && c.outcome.page_cache == cache
                })
                .filter_map(|c| {
                    let s = c.summary.as_ref()?;
                    Some((
                        s.p95_ns,
                        format!(
                            "{} p95 {}{}",
                            c.outcome.variant,
                            format_duration_ns(s.p95_ns),
                            match (s.p95_vs_single, s.p95_vs_single_interval) {
                                (Some(r), Some((lo, hi))) =>
                                    format!(" ({r:.1}x one process, 95% interval {lo:.1}-{hi:.1})"),
                                (Some(r), None) => format!(" ({r:.1}x one process)"),
                                _ => String::new(),
                            }
                        ),
                    ))
                })
                .collect();
            if parts.len() < 2 {
                continue;
            }
            parts.sort_by(|a, b| a.0.total_cmp(&b.0));
            say(
                "info",
                format!(
                    "{max_n} processes starting at once from one shared artifact, {} page cache: {}.",
                    cache.name(),
                    parts
                        .into_iter()
                        .map(|p| p.1)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        // What per-process copies cost: the page cache holds every copy.
        for c in fleet.iter().filter(|c| {
            c.outcome.processes == max_n
                && c.outcome.sharing == Sharing::Copies
                && c.outcome.page_cache == PageCache::Warm
        }) {
            let shared = fleet.iter().find(|s| {
                s.outcome.variant == c.outcome.variant
                    && s.outcome.processes == max_n
                    && s.outcome.sharing == Sharing::Shared
                    && s.outcome.page_cache == PageCache::Warm
            });
            if let (Some(cs), Some(ss)) =
                (c.summary.as_ref(), shared.and_then(|s| s.summary.as_ref()))
            {
                say(
                    "info",
                    format!(
                        "{}: {max_n} per-process copies keep {} of artifact in the page cache \
                         against {} for one shared copy; memory per process (PSS) {} against {}.",
                        c.outcome.variant,
                        format_size(cs.artifact_cache_bytes as u64),
                        format_size(ss.artifact_cache_bytes as u64),
                        format_size(cs.pss_per_process_bytes as u64),
                        format_size(ss.pss_per_process_bytes as u64),
                    ),
                );
            }
        }
    }
}
