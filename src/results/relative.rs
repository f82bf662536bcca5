//! Each case relative to its run's reference variant (same scenario and mode), as
//! results, reports, `compare --relative` and `history --relative` state it: by the
//! estimator of [`crate::stats::relative`], from samples that carry their start time
//! and the speed probe's readings, so that what slowed the machine while a sample ran
//! cancels instead of adding up.

use super::{CaseResult, Results};
use crate::stats::relative::{self, Estimate, Estimator, Obs};
use crate::status::Status;

/// A case relative to its run's reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Relative {
    /// The case is the reference itself: 1.0 by definition.
    Reference,
    /// The run has no measured reference to be relative to.
    NoReference,
    /// A case and its run's reference.
    Against {
        /// The ratio with its interval, and the estimator that gave it.
        estimate: Estimate,
        /// The estimator: the run's ([`relative::DEFAULT`]), or the raw
        /// Hodges-Lehmann shift when the two were measured by different shards (other
        /// machines: their speed readings do not compare, nor are their samples close
        /// in time).
        estimator: Estimator,
        /// Why the two samples sets are not from one schedule, when they are not.
        unpaired: Option<String>,
    },
}

impl CaseResult {
    /// The samples as the estimators see them: wall time, the geometric mean of the
    /// speed readings around each, its start (or, in files without start times, its
    /// round and slot, which give the order) and its round. Files written before rounds
    /// were recorded number them by position, which is what the schedule of that time
    /// did.
    pub fn observations(&self) -> Vec<Obs> {
        let n = self.samples_ns.len();
        let rounds_known = self.sample_rounds.len() == n;
        let slots_known = self.sample_slots.len() == n;
        let starts_known = self.sample_starts_us.len() == n;
        let speeds_known = self.speed_ns.len() == n;
        (0..n)
            .map(|i| {
                let round = if rounds_known {
                    self.sample_rounds[i]
                } else {
                    i as u32
                };
                let slot = if slots_known { self.sample_slots[i] } else { 0 };
                Obs {
                    value: self.samples_ns[i] as f64,
                    speed: speeds_known
                        .then(|| self.speed_ns[i])
                        .filter(|s| s[0] > 0 && s[1] > 0)
                        .map(|s| (s[0] as f64 * s[1] as f64).sqrt()),
                    at: if starts_known {
                        self.sample_starts_us[i] as f64
                    } else {
                        f64::from(round) * 1e6 + f64::from(slot)
                    },
                    round,
                    slow: false,
                }
            })
            .collect()
    }
}

impl Results {
    /// The reference variant's case in `c`'s scenario and mode, when it was measured.
    pub fn reference_case(&self, c: &CaseResult) -> Option<&CaseResult> {
        let reference = self
            .scenarios
            .iter()
            .find(|s| s.name == c.scenario)
            .map(|s| s.reference.as_str())?;
        self.cases.iter().find(|x| {
            x.scenario == c.scenario
                && x.mode == c.mode
                && x.variant == reference
                && x.status == Status::Ok
                && !x.samples_ns.is_empty()
        })
    }

    /// `c`'s ratio to its reference (1.0 for the reference): what `--relative` judges.
    pub fn relative_median(&self, c: &CaseResult) -> Option<f64> {
        match self.relative(c) {
            Relative::Reference => Some(1.0),
            Relative::NoReference => None,
            Relative::Against { estimate, .. } => Some(estimate.ratio),
        }
    }

    /// `c` relative to its run's reference, by the gate's estimator ([`relative::GATE`]).
    pub fn relative(&self, c: &CaseResult) -> Relative {
        let Some(r) = self.reference_case(c) else {
            return Relative::NoReference;
        };
        if r.variant == c.variant {
            return Relative::Reference;
        }
        match estimate_by(relative::GATE, c, r, c.slow_above_ns) {
            Some((estimate, estimator, unpaired)) => Relative::Against {
                estimate,
                estimator,
                unpaired,
            },
            None => Relative::NoReference,
        }
    }
}

/// The samples of `c`, each marked slow when its speed reading lies above
/// `slow_above`.
pub(crate) fn classified(c: &CaseResult, slow_above: Option<f64>) -> Vec<Obs> {
    let mut obs = c.observations();
    relative::classify(&mut obs, slow_above);
    obs
}

/// `c` against its reference `r` (their samples classed by the boundary `slow_above`
/// between the machine's states): the estimate, the estimator used, and why the two
/// are not from one schedule when they are not (cases of different shards, judged by
/// the raw Hodges-Lehmann shift).
pub(crate) fn estimate(
    c: &CaseResult,
    r: &CaseResult,
    slow_above: Option<f64>,
) -> Option<(Estimate, Estimator, Option<String>)> {
    estimate_by(relative::DEFAULT, c, r, slow_above)
}

/// As [`estimate`], by `estimator` (for cases of one schedule).
pub(crate) fn estimate_by(
    estimator: Estimator,
    c: &CaseResult,
    r: &CaseResult,
    slow_above: Option<f64>,
) -> Option<(Estimate, Estimator, Option<String>)> {
    if c.shard != r.shard {
        let name = |s: Option<(u32, u32)>| s.map_or("none".into(), |(k, n)| format!("{k}/{n}"));
        let why = format!(
            "the reference was measured by shard {}, this case by shard {}",
            name(r.shard),
            name(c.shard)
        );
        let e = relative::estimate(Estimator::Hl, &c.observations(), &r.observations())?;
        return Some((e, Estimator::Hl, Some(why)));
    }
    // Without speed readings (files from before the probe) nothing tells states
    // apart, and only pairing in time cancels drift: the run's estimator, which then
    // pairs nearest in time.
    let estimator = if c.speed_ns.is_empty() || r.speed_ns.is_empty() {
        relative::DEFAULT
    } else {
        estimator
    };
    let e = relative::estimate(
        estimator,
        &classified(c, slow_above),
        &classified(r, slow_above),
    )?;
    Some((e, e.estimator, None))
}

/// For each sample of `c`, the index of `r`'s sample nearest to it in time.
pub(crate) fn nearest_reference(c: &CaseResult, r: &CaseResult) -> Vec<u32> {
    relative::nearest(&c.observations(), &r.observations())
        .into_iter()
        .map(|j| j as u32)
        .collect()
}

/// `case` against `baseline`, two cases of one run and mode (their samples classed by
/// `slow_above`), by the run's estimator: what a finding comparing two variants
/// quotes.
pub fn between(
    case: &CaseResult,
    baseline: &CaseResult,
    slow_above: Option<f64>,
) -> Option<Estimate> {
    if case.shard != baseline.shard {
        return relative::estimate(
            Estimator::Hl,
            &case.observations(),
            &baseline.observations(),
        );
    }
    relative::estimate(
        relative::DEFAULT,
        &classified(case, slow_above),
        &classified(baseline, slow_above),
    )
}
