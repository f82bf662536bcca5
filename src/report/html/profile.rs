//! The profiling part of the report: phase shares of each variant's profiled first
//! import (table and stacked chart), probe counters per module, slowest modules.

use serde::Serialize;

use super::charts;
use crate::format::{format_duration_ns, format_size};
use crate::results::CaseResult;
use crate::scenario::Mode;
use crate::status::Status;

/// A row of the phase table: one variant's profiled first import.
#[derive(Serialize)]
pub(super) struct PhaseRow {
    pub(super) variant: String,
    pub(super) total: String,
    pub(super) cells: Vec<String>,
}

/// A row of the per-module counters table.
#[derive(Serialize)]
pub(super) struct CounterRow {
    pub(super) variant: String,
    pub(super) values: Vec<String>,
}

/// Top modules of one variant by self time.
#[derive(Serialize)]
pub(super) struct TopModules {
    pub(super) variant: String,
    pub(super) modules: Vec<(String, String, String)>,
}

/// The measured case of each variant in `mode`, in `variants` order.
fn measured<'a>(cases: &[&'a CaseResult], variants: &[String], mode: Mode) -> Vec<&'a CaseResult> {
    let mut by_id = std::collections::HashMap::new();
    for &c in cases
        .iter()
        .filter(|c| c.mode == mode && c.status == Status::Ok)
    {
        by_id.entry(c.variant.id()).or_insert(c);
    }
    variants
        .iter()
        .filter_map(|v| by_id.get(v).copied())
        .collect()
}

/// The profiler's phases in display order.
pub(crate) const PHASE_ORDER: [&str; 10] = [
    "find",
    "archive directory",
    "read",
    "decompress",
    "hash sources",
    "unmarshal",
    "compile",
    "load code (other)",
    "execute",
    "import machinery",
];

/// Phase names in display order, the table rows and the stacked chart.
pub(super) fn phase_view(
    cases: &[&CaseResult],
    variants: &[String],
    mode: Mode,
) -> (Vec<String>, Vec<PhaseRow>, Option<charts::Chart>) {
    let probes: Vec<(String, &crate::measure::Probe)> = measured(cases, variants, mode)
        .into_iter()
        .filter_map(|c| {
            c.probe
                .as_ref()
                .filter(|p| !p.phases.is_empty())
                .map(|p| (c.variant.id(), p))
        })
        .collect();
    if probes.is_empty() {
        return (Vec::new(), Vec::new(), None);
    }
    let names: Vec<String> = PHASE_ORDER
        .iter()
        .filter(|n| probes.iter().any(|(_, p)| p.phases.contains_key(**n)))
        .map(|n| (*n).to_owned())
        .collect();
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for (variant, p) in &probes {
        let total: u64 = p.phases.values().sum();
        let values: Vec<f64> = names
            .iter()
            .map(|n| p.phases.get(n).copied().unwrap_or(0) as f64 / 1e6)
            .collect();
        rows.push(PhaseRow {
            variant: (*variant).to_owned(),
            total: format_duration_ns(total as f64),
            cells: names
                .iter()
                .map(|n| {
                    let v = p.phases.get(n).copied().unwrap_or(0);
                    format!(
                        "{} ({:.0}%)",
                        format_duration_ns(v as f64),
                        v as f64 / total.max(1) as f64 * 100.0
                    )
                })
                .collect(),
        });
        bars.push(((*variant).to_owned(), values));
    }
    let chart = charts::stacked_chart(&bars, &names, "profiled first import (ms)");
    (names, rows, Some(chart))
}

/// Probe counters divided by the modules loaded.
pub(super) fn counter_view(
    cases: &[&CaseResult],
    variants: &[String],
    mode: Mode,
) -> (Vec<String>, Vec<CounterRow>) {
    const PER_MODULE: [&str; 7] = [
        "opens",
        "read_syscalls",
        "read_bytes",
        "unmarshals",
        "compiles",
        "minor_faults",
        "major_faults",
    ];
    const TOTAL: [&str; 2] = ["directory_reads", "rss_growth_bytes"];
    let mut names: Vec<String> = PER_MODULE.iter().map(|n| counter_header(n)).collect();
    names.extend(TOTAL.iter().map(|n| counter_header(n)));
    let rows = measured(cases, variants, mode)
        .into_iter()
        .filter_map(|c| {
            let p = c.probe.as_ref()?;
            let m = p.modules.max(1) as f64;
            let get = |k: &str| p.first.get(k).copied().unwrap_or(0);
            let mut values: Vec<String> = PER_MODULE
                .iter()
                .map(|k| match *k {
                    "read_bytes" => format_size((get(k) as f64 / m) as u64),
                    _ => format!("{:.2}", get(k) as f64 / m),
                })
                .collect();
            values.push(get("directory_reads").to_string());
            values.push(format_size(get("rss_growth_bytes")));
            Some(CounterRow {
                variant: c.variant.id(),
                values,
            })
        })
        .collect();
    (names, rows)
}

/// A counter's column header, in words.
fn counter_header(key: &str) -> String {
    match key {
        "opens" => "files opened per module",
        "read_syscalls" => "read calls per module",
        "read_bytes" => "bytes read per module",
        "unmarshals" => "unmarshals per module",
        "compiles" => "compilations per module",
        "minor_faults" => "minor page faults per module",
        "major_faults" => "major page faults per module",
        "directory_reads" => "archive directory reads",
        "rss_growth_bytes" => "resident memory growth",
        other => return other.replace('_', " "),
    }
    .to_owned()
}
