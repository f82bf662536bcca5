//! Which estimator of a case's ratio to its reference to trust, measured on repeated
//! runs: for every estimator of [`crate::stats::relative`] and of [`super::research`],
//! how much its estimate moves from run to run (the standard deviation of its log over
//! the runs) and how often one run's 95% interval holds the median of the other runs'
//! estimates (coverage).
//!
//! Coverage is judged against the other runs, not against a known truth, so it also
//! carries what moves whole runs (a reference a few percent off for a whole run, the
//! machine's state): an interval that covers only the run's own sampling error shows
//! up here as one that covers less than it says.

use serde::Serialize;
use strum::VariantArray;

use super::Rate;
use super::research::{self, Candidate, Found};
use crate::results::{CaseIndex, CaseKey, CaseResult, Results};
use crate::stats::relative;
use crate::status::Status;

/// One estimator on one case, over the runs.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct EstimatorRow {
    /// Scenario name.
    pub scenario: String,
    /// Variant id.
    pub variant: String,
    /// Mode.
    pub mode: String,
    /// The estimator.
    pub estimator: Candidate,
    /// Whether it is the harness's own ([`relative::DEFAULT`]).
    pub default: bool,
    /// Runs with an estimate.
    pub runs: usize,
    /// Median of the estimates over the runs.
    pub median: f64,
    /// Standard deviation of the log estimates over the runs.
    pub log_sd: f64,
    /// Median over the runs of the interval's half-width (fraction of the ratio);
    /// null for estimators without an interval.
    pub half_width: Option<f64>,
    /// Runs whose 95% interval held the median of the other runs' estimates, out of the
    /// runs with a 95% interval; null for estimators without an interval.
    pub coverage: Option<Rate>,
}

/// The boundary between the machine's states for case `c` of run `r`: as recorded, or
/// found again from the samples of its scenario (files written before it was
/// recorded).
fn slow_above(r: &Results, c: &CaseResult) -> Option<f64> {
    c.slow_above_ns.or_else(|| {
        let cases: Vec<CaseResult> = r
            .cases
            .iter()
            .filter(|x| x.scenario == c.scenario && x.shard == c.shard)
            .cloned()
            .collect();
        crate::results::machine_states(&cases).and_then(|m| m.slow_above_ns)
    })
}

fn classified(c: &CaseResult, slow_above: Option<f64>) -> Vec<relative::Obs> {
    let mut obs = c.observations();
    relative::classify(&mut obs, slow_above);
    obs
}

/// Every estimator on every case measured in at least three runs (and not the
/// reference), in scenario, mode and variant order.
pub fn compare_estimators(runs: &[(String, Results)]) -> Vec<EstimatorRow> {
    // One case of every key (the first run's that has it), and each run's cases
    // indexed once.
    let mut seen = std::collections::HashSet::new();
    let mut keys: Vec<&CaseResult> = runs
        .iter()
        .flat_map(|(_, r)| &r.cases)
        .filter(|c| c.status == Status::Ok && seen.insert(CaseKey::of(c)))
        .collect();
    keys.sort_by_cached_key(|c| (c.scenario.clone(), c.mode.name(), c.variant.id()));
    let indexes: Vec<CaseIndex> = runs.iter().map(|(_, r)| CaseIndex::new(r)).collect();
    let mut out = Vec::new();
    for like in keys {
        let k = (
            like.scenario.clone(),
            like.variant.id(),
            like.mode.name().to_owned(),
        );
        let pairs: Vec<(&CaseResult, &CaseResult, Option<f64>)> = runs
            .iter()
            .zip(&indexes)
            .filter_map(|((_, r), index)| {
                let c = index.ok(&like.scenario, like.variant, like.mode)?;
                let reference = index.reference_of(c)?;
                (reference.variant != c.variant && reference.shard == c.shard)
                    .then(|| (c, reference, slow_above(r, c)))
            })
            .collect();
        if pairs.len() < 3 {
            continue;
        }
        for &estimator in Candidate::VARIANTS {
            let estimates: Vec<Found> = pairs
                .iter()
                .filter_map(|(c, r, slow)| {
                    research::estimate(estimator, &classified(c, *slow), &classified(r, *slow))
                })
                .collect();
            if estimates.len() < 3 {
                continue;
            }
            out.push(row(&k, estimator, &estimates));
        }
    }
    out
}

fn row(k: &(String, String, String), estimator: Candidate, e: &[Found]) -> EstimatorRow {
    let logs: Vec<f64> = e.iter().map(|x| x.ratio.ln()).collect();
    let n = logs.len() as f64;
    let mean = logs.iter().sum::<f64>() / n;
    let log_sd = (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let ratios: Vec<f64> = e.iter().map(|x| x.ratio).collect();
    let (half_width, coverage) = if estimator.has_interval() {
        let widths: Vec<f64> = e.iter().map(Found::half_width).collect();
        let mut held = 0;
        let mut judged = 0;
        for (i, x) in e.iter().enumerate().filter(|(_, x)| x.is_95()) {
            let others: Vec<f64> = ratios
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, r)| *r)
                .collect();
            let target = crate::stats::median(&others);
            judged += 1;
            held += usize::from(x.low <= target && target <= x.high);
        }
        (
            Some(crate::stats::median(&widths)),
            (judged > 0).then(|| Rate::new(held, judged)),
        )
    } else {
        (None, None)
    };
    EstimatorRow {
        scenario: k.0.clone(),
        variant: k.1.clone(),
        mode: k.2.clone(),
        estimator,
        default: estimator.production() == Some(relative::DEFAULT),
        runs: e.len(),
        median: crate::stats::median(&ratios),
        log_sd,
        half_width,
        coverage,
    }
}
