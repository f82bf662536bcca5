//! Results of the `fleet` mode (many processes starting at once from one artifact or
//! from copies): a record per configuration beside the per-sample cases, with its raw
//! rounds and their summary.

use serde::{Deserialize, Serialize};

use crate::measure::fleet::{FleetOutcome, FleetRound};
use crate::scenario::PageCache;
use crate::stats::Summary;

/// One fleet configuration of one variant: what was measured, and its summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetCase {
    /// Scenario name.
    pub scenario: String,
    /// The measured outcome: variant, layout, processes, sharing, page cache, status,
    /// error and every round, raw.
    #[serde(flatten)]
    pub outcome: FleetOutcome,
    /// Medians over the rounds.
    pub summary: Option<FleetSummary>,
    /// Things a reader must know (eviction that did not take, ...).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// `[K, N]` when shard K of N measured this configuration: its rounds pair only
    /// with configurations of the same shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<(u32, u32)>,
}

/// Medians over a fleet configuration's rounds of each round's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetSummary {
    /// Rounds summarised.
    pub rounds: usize,
    /// Median import latency across the processes of a round.
    pub p50_ns: f64,
    /// 95th percentile of import latency across the processes of a round.
    pub p95_ns: f64,
    /// Slowest process of a round.
    pub max_ns: f64,
    /// First launch to last import's end.
    pub wall_ns: f64,
    /// Interpreter start-up across the processes (median of round medians).
    pub startup_ns: f64,
    /// Resident set size per process.
    pub rss_per_process_bytes: f64,
    /// Proportional set size per process: the fleet's memory divided by its size.
    pub pss_per_process_bytes: f64,
    /// Share of the fleet's resident memory that is shared between processes.
    pub shared_fraction: f64,
    /// Bytes of the artifact files (all copies) in the page cache after a round.
    pub artifact_cache_bytes: f64,
    /// `p95_ns` over the same variant's, sharing's and page cache's 1-process `p95_ns`
    /// (when 1 process is measured): how much slower a fleet of this size starts.
    pub p95_vs_single: Option<f64>,
    /// The 95% interval of `p95_vs_single`: a bootstrap of the two configurations'
    /// per-round 95th percentiles (their rounds do not pair). Absent in older files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_vs_single_interval: Option<(f64, f64)>,
}

/// Median of `values` (`None` when there are none).
fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = values.into_iter().collect();
    (!v.is_empty()).then(|| crate::stats::median(&v))
}

/// Turns fleet outcomes into results.
pub fn fleet_cases(scenario: &str, outcomes: Vec<FleetOutcome>) -> Vec<FleetCase> {
    let mut cases: Vec<FleetCase> = outcomes
        .into_iter()
        .map(|o| {
            let mut warnings = Vec::new();
            if o.page_cache == PageCache::Cold {
                let worst = o
                    .rounds
                    .iter()
                    .map(|r| r.resident_before)
                    .fold(0.0, f64::max);
                if worst > super::RESIDENT_LIMIT {
                    warnings.push(format!(
                        "page-cache eviction did not take: up to {:.0}% of the artifact was \
                         resident at launch; these are not cold-cache numbers",
                        worst * 100.0
                    ));
                }
            }
            let summary = fleet_summary(o.processes, &o.rounds);
            FleetCase {
                scenario: scenario.to_owned(),
                outcome: o,
                summary,
                warnings,
                shard: None,
            }
        })
        .collect();
    for i in 0..cases.len() {
        let single = cases.iter().find(|c| {
            c.outcome.variant == cases[i].outcome.variant
                && c.outcome.sharing == cases[i].outcome.sharing
                && c.outcome.page_cache == cases[i].outcome.page_cache
                && c.outcome.processes == 1
        });
        let one = single.and_then(|c| c.summary.as_ref()).map(|s| s.p95_ns);
        let interval = single.map(|c| {
            crate::stats::bootstrap_ratio_ci(
                &round_p95s(&c.outcome.rounds),
                &round_p95s(&cases[i].outcome.rounds),
                crate::stats::RESAMPLES,
            )
        });
        if let (Some(one), Some(s)) = (one, cases[i].summary.as_mut()) {
            s.p95_vs_single = (one > 0.0).then(|| s.p95_ns / one);
            s.p95_vs_single_interval = interval.filter(|(lo, hi)| lo.is_finite() && hi.is_finite());
        }
    }
    cases
}

/// Each round's 95th percentile of latency across its processes.
fn round_p95s(rounds: &[FleetRound]) -> Vec<f64> {
    rounds
        .iter()
        .filter_map(|r| Summary::of(&r.latencies_ns).map(|s| s.p95))
        .collect()
}

fn fleet_summary(processes: u32, rounds: &[FleetRound]) -> Option<FleetSummary> {
    if rounds.is_empty() {
        return None;
    }
    let n = f64::from(processes.max(1));
    let per_round = |f: &dyn Fn(&FleetRound) -> f64| median(rounds.iter().map(f));
    // Each round's latencies across its processes, summarised once.
    let latency: Vec<Option<Summary>> = rounds
        .iter()
        .map(|r| Summary::of(&r.latencies_ns))
        .collect();
    let across = |f: fn(&Summary) -> f64| median(latency.iter().map(|s| s.as_ref().map_or(0.0, f)));
    Some(FleetSummary {
        rounds: rounds.len(),
        p50_ns: across(|s| s.median)?,
        p95_ns: across(|s| s.p95)?,
        max_ns: across(|s| s.max)?,
        wall_ns: per_round(&|r| r.wall_ns as f64)?,
        startup_ns: per_round(&|r| Summary::of(&r.startup_ns).map_or(0.0, |s| s.median))?,
        rss_per_process_bytes: per_round(&|r| r.memory.rss_bytes as f64 / n)?,
        pss_per_process_bytes: per_round(&|r| r.memory.pss_bytes as f64 / n)?,
        shared_fraction: per_round(&|r| {
            if r.memory.rss_bytes == 0 {
                0.0
            } else {
                r.memory.shared_bytes as f64 / r.memory.rss_bytes as f64
            }
        })?,
        artifact_cache_bytes: per_round(&|r| r.artifact_cache_bytes as f64)?,
        p95_vs_single: None,
        p95_vs_single_interval: None,
    })
}
