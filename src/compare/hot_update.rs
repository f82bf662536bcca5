//! Judging hot-update cases: a strategy that ended with the new code everywhere in
//! every trial and no longer does is a regression.

use super::environment::Environment;
use super::judge::{gated, statuses};
use super::{CaseComparison, Metric, Reason, Verdict};
use crate::results::{HotUpdateCase, Results};

fn update_mode(h: &HotUpdateCase) -> String {
    format!(
        "hot-update {} {} {}",
        h.outcome.strategy.name(),
        h.outcome.pickup.name(),
        h.outcome.timing.name()
    )
}

fn same_update(a: &HotUpdateCase, b: &HotUpdateCase) -> bool {
    a.scenario == b.scenario
        && a.outcome.variant == b.outcome.variant
        && a.outcome.strategy == b.outcome.strategy
        && a.outcome.pickup == b.outcome.pickup
        && a.outcome.timing == b.outcome.timing
}

fn outcome(h: &HotUpdateCase) -> String {
    let s = &h.summary;
    format!(
        "new code in {}/{} ({} stale, {} failing)",
        s.new, s.trials, s.stale, s.error
    )
}

/// The outcome rows of every hot-update case in either run: a strategy that ended
/// with the new code everywhere in every trial and no longer does is a regression.
pub(super) fn hot_updates(env: &Environment, b: &Results, c: &Results) -> Vec<CaseComparison> {
    let mut rows = Vec::new();
    for bh in &b.hot_updates {
        let mut row = CaseComparison::new(
            Metric::HotUpdate,
            &bh.scenario,
            &bh.outcome.variant.id(),
            update_mode(bh),
        );
        row.baseline_median = Some(bh.summary.new as f64);
        let Some(ch) = c.hot_updates.iter().find(|x| same_update(x, bh)) else {
            row.cannot_judge(Reason::OnlyInBaseline, "missing from the candidate");
            rows.push(row);
            continue;
        };
        row.candidate_median = Some(ch.summary.new as f64);
        if !statuses(&mut row, bh.outcome.status, ch.outcome.status)
            || !gated(
                &mut row,
                env.gate(Metric::HotUpdate, &bh.scenario, (None, None)),
            )
        {
            rows.push(row);
            continue;
        }
        let all_new = |h: &HotUpdateCase| h.summary.trials > 0 && h.summary.new == h.summary.trials;
        if bh.summary.trials == 0 || ch.summary.trials == 0 {
            row.cannot_judge(Reason::Status, "no trials");
        } else {
            row.verdict = match (all_new(bh), all_new(ch)) {
                (true, false) => Verdict::Regression,
                (false, true) => Verdict::Improvement,
                _ => Verdict::NoChange,
            };
            row.add_note(&format!("{}, then {}", outcome(bh), outcome(ch)));
        }
        rows.push(row);
    }
    for ch in &c.hot_updates {
        if !b.hot_updates.iter().any(|x| same_update(x, ch)) {
            let mut row = CaseComparison::new(
                Metric::HotUpdate,
                &ch.scenario,
                &ch.outcome.variant.id(),
                update_mode(ch),
            );
            row.candidate_median = Some(ch.summary.new as f64);
            row.cannot_judge(Reason::OnlyInCandidate, "not in the baseline");
            rows.push(row);
        }
    }
    rows
}
