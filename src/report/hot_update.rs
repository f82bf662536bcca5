//! The `hot-update` mode in every report: a row per hot-update case (shared by the
//! terminal table, `summary.md` and `report.html`), its table, and the findings it
//! supports.

use serde::Serialize;

use super::finding::Finding;
use crate::format::format_duration_ns;
use crate::markup::{Column, Row, Section, Table};
use crate::measure::hot_update::{Strategy, Timing};
use crate::results::{HotUpdateCase, Results};
use crate::scenario::Pickup;
use crate::status::Status;

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
    /// Concurrent trials: how many swaps landed during the reloads.
    pub landed: String,
    /// Most frequent first error, or the case's error.
    pub note: String,
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_duration_ns)
}

/// The hot-update cases of one scenario.
pub fn hot_of<'a>(results: &'a Results, scenario: &str) -> Vec<&'a HotUpdateCase> {
    results
        .hot_updates
        .iter()
        .filter(|c| c.scenario == scenario)
        .collect()
}

/// Formatted hot-update rows, in results order.
pub fn hot_rows(cases: &[&HotUpdateCase]) -> Vec<HotRow> {
    cases
        .iter()
        .map(|c| {
            let s = &c.summary;
            HotRow {
                variant: c.outcome.variant.id(),
                strategy: c.outcome.strategy.name(),
                pickup: c.outcome.pickup.name(),
                timing: c.outcome.timing.name(),
                status: c.outcome.status.name().to_owned(),
                trials: s.trials,
                new: s.new,
                stale: s.stale,
                error: s.error,
                latency: opt_ms(s.latency.as_ref().map(|l| l.median)),
                swap: opt_ms(s.swap_ns),
                invalidate: match c.outcome.pickup {
                    Pickup::InvalidateReload => opt_ms(s.invalidate_ns),
                    Pickup::Reload => "-".into(),
                },
                reload: opt_ms(s.reload_ns),
                landed: match c.outcome.timing {
                    Timing::Concurrent if s.trials > 0 => {
                        format!("{}/{} in reloads", s.swaps_during_reloads, s.trials)
                    }
                    _ => "-".into(),
                },
                note: c
                    .outcome
                    .error
                    .clone()
                    .or_else(|| s.errors.first().cloned())
                    .map(|e| e.lines().next().unwrap_or_default().to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The hot-update table of one scenario.
fn table(rows: &[HotRow]) -> Table {
    let mut t = Table::new(vec![
        Column::fit("variant"),
        Column::right("strategy", 8)
            .markdown_title("swap")
            .markdown_left(),
        Column::right("pickup", 17)
            .markdown_title("pick-up")
            .markdown_left(),
        Column::right("timing", 10).markdown_left(),
        Column::right("new/st/err", 10).text_only(),
        Column::right("new code", 0).markdown_only(),
        Column::right("stale", 0).markdown_only(),
        Column::right("failed", 0).markdown_only(),
        Column::right("latency", 9),
        Column::right("swap", 9).text_only(),
        Column::right("invalidate", 10),
        Column::right("reload", 9),
        Column::right("swap landed", 15),
        Column::left("first error", 0).gap(2),
    ]);
    for r in rows {
        let cells = vec![
            r.variant.clone(),
            r.strategy.to_owned(),
            r.pickup.to_owned(),
            r.timing.to_owned(),
            format!("{}/{}/{}", r.new, r.stale, r.error),
            format!("{}/{}", r.new, r.trials),
            r.stale.to_string(),
            r.error.to_string(),
            r.latency.clone(),
            r.swap.clone(),
            r.invalidate.clone(),
            r.reload.clone(),
            r.landed.clone(),
            r.note.clone(),
        ];
        if r.status != "ok" && r.trials == 0 {
            let why = format!("{}: {}", r.status, r.note);
            t.push(Row::text_message(cells, 4, why));
        } else {
            t.push(Row::cells(cells));
        }
    }
    t
}

/// The hot-update section's heading.
fn section(scenario: &str) -> Section<'_> {
    Section {
        scenario,
        kind: "hot-update",
        caption: "trials ending with the new code everywhere / silently stale / with failed \
                  reloads; latency = swap start to last reload (sequential, new)",
    }
}

/// The hot-update table of one scenario as the report page draws it (the Markdown
/// form's columns), when it has hot-update cases.
pub fn view(results: &Results, scenario: &str) -> Option<crate::markup::TableView> {
    hot_table(results, scenario).map(|t| t.view())
}

/// The hot-update table of one scenario, when it has hot-update cases.
fn hot_table(results: &Results, scenario: &str) -> Option<Table> {
    let rows = hot_rows(&hot_of(results, scenario));
    (!rows.is_empty()).then(|| table(&rows))
}

/// The terminal section of one scenario's hot updates ("" when it has none).
pub fn text(results: &Results, scenario: &str) -> String {
    section(scenario).text(hot_table(results, scenario))
}

/// The Markdown section of one scenario's hot updates ("" when it has none).
pub fn markdown(results: &Results, scenario: &str) -> String {
    section(scenario).markdown(hot_table(results, scenario))
}

/// Findings from one scenario's hot-update cases.
pub fn findings(results: &Results, scenario: &str, out: &mut Vec<Finding>) {
    let mut say = |tone: &'static str, text: String| {
        out.push(Finding {
            scenario: scenario.to_owned(),
            tone,
            text,
        });
    };
    for c in hot_of(results, scenario)
        .into_iter()
        .filter(|c| c.outcome.status == Status::Ok)
    {
        let s = &c.summary;
        let what = format!(
            "{} ({} swap, {}, {})",
            c.outcome.variant,
            c.outcome.strategy.name(),
            c.outcome.pickup.name(),
            c.outcome.timing.name()
        );
        let landed = match c.outcome.timing {
            Timing::Concurrent => format!(
                " (the swap landed during the reloads in {} of {} updates)",
                s.swaps_during_reloads, s.trials
            ),
            Timing::Sequential => String::new(),
        };
        if s.error > 0 {
            let advice = match (c.outcome.strategy, c.outcome.pickup, c.outcome.timing) {
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
                    "{what}: reloads failed in {} of {} updates, with {}{advice}{landed}.",
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
                     (some modules reloaded before the swap reached them){landed}.",
                    s.stale, s.trials
                ),
            );
        }
        if c.outcome.timing == Timing::Sequential
            && s.new == s.trials
            && s.trials > 0
            && let Some(l) = &s.latency
        {
            say(
                "good",
                format!(
                    "{what}: the new code ran after every update, {} from the start of the \
                         swap (median; swap {}{}, reloads {}).",
                    format_duration_ns(l.median),
                    opt_ms(s.swap_ns),
                    match c.outcome.pickup {
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
