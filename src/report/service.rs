//! The service-fleet modes in every report: table rows for `fleet` and `hot-update`
//! cases (shared by the terminal table, `summary.md` and `report.html`) and the
//! findings they support.

use std::fmt::Write;

use serde::Serialize;

use super::findings::Finding;
use crate::format::{escape_markdown, format_duration_ns, format_size};
use crate::measure::Status;
use crate::measure::hot_update::{Strategy, Timing};
use crate::results::{FleetCase, HotUpdateCase, Results};
use crate::scenario::{PageCache, Pickup, Sharing};

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

/// One hot-update case, formatted.
#[derive(Debug, Serialize)]
pub struct HotRow {
    /// Variant id.
    pub variant: String,
    /// `rename`, `symlink` or `in-place`.
    pub strategy: &'static str,
    /// `invalidate-reload` or `reload`.
    pub pickup: &'static str,
    /// `sequential` or `concurrent`.
    pub timing: &'static str,
    /// `ok`, or why not.
    pub status: String,
    /// Trials.
    pub trials: usize,
    /// Trials that ended with the new code everywhere.
    pub new: usize,
    /// Trials with silently stale modules.
    pub stale: usize,
    /// Trials with failed reloads.
    pub error: usize,
    /// Median latency of successful sequential trials.
    pub latency: String,
    /// Median swap time.
    pub swap: String,
    /// Median invalidate time.
    pub invalidate: String,
    /// Median reload time.
    pub reload: String,
    /// Most frequent first error, or the case's error.
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

/// The hot-update cases of one scenario.
pub fn hot_of<'a>(results: &'a Results, scenario: &str) -> Vec<&'a HotUpdateCase> {
    results
        .hot_updates
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
            let note = match &c.error {
                Some(e) => e.lines().next().unwrap_or_default().to_owned(),
                None => c.warnings.join("; "),
            };
            FleetRow {
                variant: c.variant.clone(),
                processes: c.processes,
                sharing: c.sharing.name(),
                cache: c.page_cache.name(),
                status: c.status.name().to_owned(),
                rounds: c.rounds.len(),
                p50: opt_ms(s.map(|s| s.p50_ns)),
                p95: opt_ms(s.map(|s| s.p95_ns)),
                max: opt_ms(s.map(|s| s.max_ns)),
                wall: opt_ms(s.map(|s| s.wall_ns)),
                vs_single: s
                    .and_then(|s| s.p95_vs_single)
                    .map_or_else(|| "-".into(), |r| format!("{r:.2}x")),
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

/// Formatted hot-update rows, in results order.
pub fn hot_rows(cases: &[&HotUpdateCase]) -> Vec<HotRow> {
    cases
        .iter()
        .map(|c| {
            let s = &c.summary;
            HotRow {
                variant: c.variant.clone(),
                strategy: c.strategy.name(),
                pickup: c.pickup.name(),
                timing: c.timing.name(),
                status: c.status.name().to_owned(),
                trials: s.trials,
                new: s.new,
                stale: s.stale,
                error: s.error,
                latency: opt_ms(s.latency.as_ref().map(|l| l.median)),
                swap: opt_ms(s.swap_ns),
                invalidate: match c.pickup {
                    Pickup::InvalidateReload => opt_ms(s.invalidate_ns),
                    Pickup::Reload => "-".into(),
                },
                reload: opt_ms(s.reload_ns),
                note: c
                    .error
                    .clone()
                    .or_else(|| s.errors.first().cloned())
                    .map(|e| e.lines().next().unwrap_or_default().to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The terminal tables of one scenario's fleet and hot-update cases ("" when none).
pub fn service_text(results: &Results, scenario: &str) -> String {
    let mut out = String::new();
    let fleet = fleet_rows(&fleet_of(results, scenario));
    if !fleet.is_empty() {
        let _ = writeln!(
            out,
            "\n{scenario} / fleet: import latency across the processes of a fleet (median of \
             rounds), memory per process once all have imported"
        );
        let w = fleet
            .iter()
            .map(|r| r.variant.len())
            .max()
            .unwrap_or(7)
            .max(7);
        let _ = writeln!(
            out,
            "  {:<w$} {:>5} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>6} {:>10} {:>7} {:>10}",
            "variant",
            "procs",
            "sharing",
            "cache",
            "p50",
            "p95",
            "max",
            "wall",
            "vs 1",
            "PSS/proc",
            "shared",
            "in cache"
        );
        for r in &fleet {
            if r.status != "ok" {
                let _ = writeln!(
                    out,
                    "  {:<w$} {:>5} {:>7} {:>5} {}: {}",
                    r.variant, r.processes, r.sharing, r.cache, r.status, r.note
                );
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<w$} {:>5} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>6} {:>10} {:>7} {:>10}{}",
                r.variant,
                r.processes,
                r.sharing,
                r.cache,
                r.p50,
                r.p95,
                r.max,
                r.wall,
                r.vs_single,
                r.pss,
                r.shared,
                r.cache_bytes,
                if r.note.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", r.note)
                }
            );
        }
    }
    let hot = hot_rows(&hot_of(results, scenario));
    if !hot.is_empty() {
        let _ = writeln!(
            out,
            "\n{scenario} / hot-update: trials ending with the new code everywhere / silently \
             stale / with failed reloads; latency = swap start to last reload (sequential, new)"
        );
        let w = hot
            .iter()
            .map(|r| r.variant.len())
            .max()
            .unwrap_or(7)
            .max(7);
        let _ = writeln!(
            out,
            "  {:<w$} {:>8} {:>17} {:>10} {:>10} {:>9} {:>9} {:>10} {:>9}  first error",
            "variant",
            "strategy",
            "pickup",
            "timing",
            "new/st/err",
            "latency",
            "swap",
            "invalidate",
            "reload"
        );
        for r in &hot {
            if r.status != "ok" && r.trials == 0 {
                let _ = writeln!(
                    out,
                    "  {:<w$} {:>8} {:>17} {:>10} {}: {}",
                    r.variant, r.strategy, r.pickup, r.timing, r.status, r.note
                );
                continue;
            }
            let _ = writeln!(
                out,
                "  {:<w$} {:>8} {:>17} {:>10} {:>10} {:>9} {:>9} {:>10} {:>9}  {}",
                r.variant,
                r.strategy,
                r.pickup,
                r.timing,
                format!("{}/{}/{}", r.new, r.stale, r.error),
                r.latency,
                r.swap,
                r.invalidate,
                r.reload,
                r.note
            );
        }
    }
    out
}

/// The Markdown sections of one scenario's fleet and hot-update cases ("" when none).
pub fn service_markdown(results: &Results, scenario: &str) -> String {
    let mut out = String::new();
    let e = escape_markdown;
    let fleet = fleet_rows(&fleet_of(results, scenario));
    if !fleet.is_empty() {
        let _ = writeln!(out, "### {} / fleet\n", e(scenario));
        let _ = writeln!(
            out,
            "| variant | processes | sharing | page cache | p50 | p95 | max | wall | p95 vs 1 | PSS per process | shared | artifact in cache |"
        );
        let _ = writeln!(
            out,
            "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for r in &fleet {
            if r.status != "ok" {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {}: {} |||||||",
                    e(&r.variant),
                    r.processes,
                    r.sharing,
                    r.cache,
                    r.status,
                    e(&r.note)
                );
                continue;
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                e(&r.variant),
                r.processes,
                r.sharing,
                r.cache,
                r.p50,
                r.p95,
                r.max,
                r.wall,
                r.vs_single,
                r.pss,
                r.shared,
                r.cache_bytes
            );
        }
        let _ = writeln!(out);
    }
    let hot = hot_rows(&hot_of(results, scenario));
    if !hot.is_empty() {
        let _ = writeln!(out, "### {} / hot-update\n", e(scenario));
        let _ = writeln!(
            out,
            "| variant | swap | pick-up | timing | new code | stale | failed | latency | invalidate | reload | first error |"
        );
        let _ = writeln!(out, "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|");
        for r in &hot {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}/{} | {} | {} | {} | {} | {} | {} |",
                e(&r.variant),
                r.strategy,
                r.pickup,
                r.timing,
                r.new,
                r.trials,
                r.stale,
                r.error,
                r.latency,
                r.invalidate,
                r.reload,
                e(&r.note)
            );
        }
        let _ = writeln!(out);
    }
    out
}

/// Findings from one scenario's fleet and hot-update cases.
pub fn service_findings(results: &Results, scenario: &str, out: &mut Vec<Finding>) {
    let mut say = |tone: &'static str, text: String| {
        out.push(Finding {
            scenario: scenario.to_owned(),
            tone,
            text,
        });
    };
    let fleet: Vec<&FleetCase> = fleet_of(results, scenario)
        .into_iter()
        .filter(|c| c.status == Status::Ok && c.summary.is_some())
        .collect();
    if let Some(max_n) = fleet.iter().map(|c| c.processes).max().filter(|&n| n > 1) {
        for cache in [PageCache::Warm, PageCache::Cold] {
            let mut parts: Vec<(f64, String)> = fleet
                .iter()
                .filter(|c| {
                    c.processes == max_n && c.sharing == Sharing::Shared && c.page_cache == cache
                })
                .filter_map(|c| {
                    let s = c.summary.as_ref()?;
                    Some((
                        s.p95_ns,
                        format!(
                            "{} p95 {}{}",
                            c.variant,
                            format_duration_ns(s.p95_ns),
                            s.p95_vs_single
                                .map(|r| format!(" ({r:.1}x one process)"))
                                .unwrap_or_default()
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
            c.processes == max_n && c.sharing == Sharing::Copies && c.page_cache == PageCache::Warm
        }) {
            let shared = fleet.iter().find(|s| {
                s.variant == c.variant
                    && s.processes == max_n
                    && s.sharing == Sharing::Shared
                    && s.page_cache == PageCache::Warm
            });
            if let (Some(cs), Some(ss)) =
                (c.summary.as_ref(), shared.and_then(|s| s.summary.as_ref()))
            {
                say(
                    "info",
                    format!(
                        "{}: {max_n} per-process copies keep {} of artifact in the page cache \
                         against {} for one shared copy; memory per process (PSS) {} against {}.",
                        c.variant,
                        format_size(cs.artifact_cache_bytes as u64),
                        format_size(ss.artifact_cache_bytes as u64),
                        format_size(cs.pss_per_process_bytes as u64),
                        format_size(ss.pss_per_process_bytes as u64),
                    ),
                );
            }
        }
    }

    for c in hot_of(results, scenario)
        .into_iter()
        .filter(|c| c.status == Status::Ok)
    {
        let s = &c.summary;
        let what = format!(
            "{} ({} swap, {}, {})",
            c.variant,
            c.strategy.name(),
            c.pickup.name(),
            c.timing.name()
        );
        if s.error > 0 {
            let advice = match (c.strategy, c.pickup, c.timing) {
                (Strategy::Rename, Pickup::Reload, _) => {
                    ": zipimport keeps the old archive's directory and reads the new file at \
                     the old offsets; call importlib.invalidate_caches() after the rename"
                }
                (_, _, Timing::Concurrent) => {
                    ": the archive changed between reading its directory and reading its \
                     members; swap first, then pick up"
                }
                _ => "",
            };
            say(
                "bad",
                format!(
                    "{what}: reloads failed in {} of {} updates, with {}{advice}.",
                    s.error,
                    s.trials,
                    s.errors.first().map_or("no message", String::as_str)
                ),
            );
        }
        if s.stale > 0 {
            say(
                "bad",
                format!(
                    "{what}: old code kept running without any error in {} of {} updates \
                     (some modules reloaded before the swap reached them).",
                    s.stale, s.trials
                ),
            );
        }
        if c.timing == Timing::Sequential && s.new == s.trials && s.trials > 0 {
            if let Some(l) = &s.latency {
                say(
                    "good",
                    format!(
                        "{what}: the new code ran after every update, {} from the start of the \
                         swap (median; swap {}{}, reloads {}).",
                        format_duration_ns(l.median),
                        opt_ms(s.swap_ns),
                        match c.pickup {
                            Pickup::InvalidateReload =>
                                format!(", invalidate_caches {}", opt_ms(s.invalidate_ns)),
                            Pickup::Reload => String::new(),
                        },
                        opt_ms(s.reload_ns)
                    ),
                );
            }
        }
    }
}
