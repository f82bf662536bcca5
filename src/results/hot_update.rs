//! Results of the `hot-update` mode (a running process picking up a new artifact): a
//! record per variant, swap strategy, pick-up and timing, with its raw trials and what
//! they add up to.

use serde::{Deserialize, Serialize};

use crate::measure::hot_update::{HotUpdateOutcome, HotUpdateTrial, Landing, Verdict};
use crate::stats::Summary;

/// One hot-update case: a variant, swap strategy, pick-up procedure and timing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HotUpdateCase {
    /// Scenario name.
    pub scenario: String,
    /// The measured outcome: variant, layout, strategy, pick-up, timing, status, error
    /// and every trial, raw.
    #[serde(flatten)]
    pub outcome: HotUpdateOutcome,
    /// Verdict counts and latency summary.
    pub summary: HotUpdateSummary,
}

/// What a hot-update case's trials add up to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotUpdateSummary {
    /// Trials.
    pub trials: usize,
    /// Trials after which every module ran the new version.
    pub new: usize,
    /// Trials with silently stale modules (no reload raised).
    pub stale: usize,
    /// Trials in which some reloads raised.
    pub error: usize,
    /// Distinct first exceptions, most frequent first (at most five).
    pub errors: Vec<String>,
    /// Latency of sequential trials that ended with the new version everywhere.
    pub latency: Option<Summary>,
    /// Median swap time.
    pub swap_ns: Option<f64>,
    /// Median `invalidate_caches()` time.
    pub invalidate_ns: Option<f64>,
    /// Median reload time.
    pub reload_ns: Option<f64>,
    /// Trials whose swap landed during the reloads (what a concurrent trial aims for).
    #[serde(default)]
    pub swaps_during_reloads: usize,
}

/// Median of `values` (`None` when there are none).
fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.into_iter().collect();
    (!v.is_empty()).then(|| crate::stats::median(&v))
}

/// Turns hot-update outcomes into results.
pub fn hot_update_cases(scenario: &str, outcomes: Vec<HotUpdateOutcome>) -> Vec<HotUpdateCase> {
    outcomes
        .into_iter()
        .map(|o| HotUpdateCase {
            scenario: scenario.to_owned(),
            summary: hot_update_summary(&o.trials),
            outcome: o,
        })
        .collect()
}

fn hot_update_summary(trials: &[HotUpdateTrial]) -> HotUpdateSummary {
    let count = |v: Verdict| trials.iter().filter(|t| t.verdict == v).count();
    let mut errors: Vec<(String, usize)> = Vec::new();
    for e in trials.iter().filter_map(|t| t.error.as_ref()) {
        match errors.iter_mut().find(|(x, _)| x == e) {
            Some((_, n)) => *n += 1,
            None => errors.push((e.clone(), 1)),
        }
    }
    errors.sort_by_key(|e| std::cmp::Reverse(e.1));
    let latencies: Vec<u64> = trials
        .iter()
        .filter(|t| t.verdict == Verdict::New)
        .filter_map(|t| t.latency_ns)
        .collect();
    HotUpdateSummary {
        trials: trials.len(),
        new: count(Verdict::New),
        stale: count(Verdict::Stale),
        error: count(Verdict::Error),
        errors: errors.into_iter().take(5).map(|(e, _)| e).collect(),
        latency: Summary::of(&latencies),
        swap_ns: median(trials.iter().map(|t| t.swap_ns as f64)),
        invalidate_ns: median(trials.iter().map(|t| t.invalidate_ns as f64)),
        reload_ns: median(trials.iter().map(|t| t.reload_ns as f64)),
        swaps_during_reloads: trials
            .iter()
            .filter(|t| t.landed == Some(Landing::DuringReloads))
            .count(),
    }
}
