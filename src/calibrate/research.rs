//! The estimators `calibrate --estimators` compares beside the harness's own
//! ([`crate::stats::relative`]): research, kept to show why the harness estimates as it
//! does (METHODOLOGY.md, "Choosing the estimator"), used by no result, report or gate.

use serde::{Deserialize, Serialize};

use crate::stats::quantile_sorted;
use crate::stats::relative::{self, Estimate, Estimator, Obs};
use crate::stats::two_sample::{
    hodges_lehmann_interval_at, median_shift_interval, normal_quantile,
};

/// Every estimator calibration compares: the harness's own (by their names in
/// [`Estimator`]) and the research ones, in the order calibration lists them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumString,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Candidate {
    /// [`Estimator::StateHl`].
    StateHl,
    /// As `state-hl`, the states' Hodges-Lehmann shifts combined by the inverse of
    /// their variances (read off each state's interval) instead of by their sample
    /// counts: a state whose samples scatter weighs less.
    StateIvw,
    /// Hodges-Lehmann shift of the logs of the raw samples that ran in the machine's
    /// fast state (unpaired); where the fast state holds too few samples for the
    /// interval asked for, `state-hl`; without speed readings, `nearest`.
    FastHl,
    /// [`Estimator::StateNearest`].
    StateNearest,
    /// [`Estimator::Round`].
    Round,
    /// [`Estimator::Nearest`].
    Nearest,
    /// As `nearest`, each sample divided by its speed reading first.
    SpeedNearest,
    /// Ratio of the medians of the speed-normalised samples of the case and of the
    /// reference (unpaired; interval from the two medians' order statistics).
    SpeedMedians,
    /// [`Estimator::SpeedHl`].
    SpeedHl,
    /// [`Estimator::Hl`].
    Hl,
    /// Ratio of the lower quartiles of the raw samples: leans on the fast state; a point
    /// estimate, with no interval.
    LowQuartile,
}

impl Candidate {
    /// The name used in calibration files and outputs.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The harness's estimator of that name, where it is one.
    pub fn production(self) -> Option<Estimator> {
        match self {
            Candidate::StateHl => Some(Estimator::StateHl),
            Candidate::StateNearest => Some(Estimator::StateNearest),
            Candidate::Round => Some(Estimator::Round),
            Candidate::Nearest => Some(Estimator::Nearest),
            Candidate::SpeedHl => Some(Estimator::SpeedHl),
            Candidate::Hl => Some(Estimator::Hl),
            _ => None,
        }
    }

    /// Whether its estimates carry an interval.
    pub fn has_interval(self) -> bool {
        self != Candidate::LowQuartile
    }
}

/// A candidate's estimate: the ratio, its interval and the interval's level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// Case over reference.
    pub ratio: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Its coverage.
    pub level: f64,
}

impl Found {
    fn from_logs((shift, low, high, level): (f64, f64, f64, f64)) -> Self {
        Found {
            ratio: shift.exp(),
            low: low.exp(),
            high: high.exp(),
            level,
        }
    }

    /// Half the interval's width as a fraction of the ratio.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / (2.0 * self.ratio)
    }

    /// Whether the interval covers at least `level`.
    pub fn reaches(&self, level: f64) -> bool {
        self.level >= level - 1e-9
    }

    /// Whether the interval is a real 95% interval.
    pub fn is_95(&self) -> bool {
        self.reaches(0.95)
    }
}

impl From<Estimate> for Found {
    fn from(e: Estimate) -> Self {
        Found {
            ratio: e.ratio,
            low: e.low,
            high: e.high,
            level: e.level,
        }
    }
}

/// `case` relative to `reference` by `candidate`, with a 95% interval (where it has
/// one): `None` when either is empty.
pub fn estimate(candidate: Candidate, case: &[Obs], reference: &[Obs]) -> Option<Found> {
    let level = 0.95;
    if case.is_empty() || reference.is_empty() {
        return None;
    }
    if let Some(e) = candidate.production() {
        return relative::estimate_at(e, case, reference, level).map(Found::from);
    }
    match candidate {
        // The pair ratios of speed-normalised samples, by the harness's own interval of
        // a median of pair ratios (its label is dropped with the conversion).
        Candidate::SpeedNearest => relative::median_of_ratios(
            Estimator::Nearest,
            &relative::nearest_ratios(case, reference, true),
            reference.len(),
            level,
        )
        .map(Found::from),
        Candidate::SpeedMedians => {
            let (x, y) = (relative::logs(case, true), relative::logs(reference, true));
            median_shift_interval(&x, &y, level).map(Found::from_logs)
        }
        Candidate::StateIvw => state_ivw(case, reference, level),
        Candidate::FastHl => fast_hl(case, reference, level),
        Candidate::LowQuartile => {
            let (mut x, mut y) = (
                relative::logs(case, false),
                relative::logs(reference, false),
            );
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            if x.is_empty() || y.is_empty() {
                return None;
            }
            let shift = quantile_sorted(&x, 0.25) - quantile_sorted(&y, 0.25);
            Some(Found::from_logs((shift, shift, shift, 0.0)))
        }
        _ => None,
    }
}

/// [`Candidate::StateIvw`]: each state's Hodges-Lehmann shift, weighted by the inverse
/// of its interval's variance.
fn state_ivw(case: &[Obs], reference: &[Obs], level: f64) -> Option<Found> {
    let mut parts = Vec::new();
    for slow in [false, true] {
        let (x, y) = (
            relative::logs(&relative::in_state(case, slow), false),
            relative::logs(&relative::in_state(reference, slow), false),
        );
        if let Some(p) = hodges_lehmann_interval_at(&x, &y, level) {
            parts.push(p);
        }
    }
    let usable: Vec<_> = parts
        .iter()
        .filter(|(_, _, _, l)| *l >= level - 1e-9)
        .copied()
        .collect();
    let chosen = if usable.is_empty() { parts } else { usable };
    if chosen.is_empty() {
        return relative::estimate_at(Estimator::SpeedHl, case, reference, level).map(Found::from);
    }
    let z = normal_quantile(0.5 + level / 2.0);
    let mut wsum = 0.0;
    let mut acc = 0.0;
    let mut least = 1.0f64;
    for (shift, lo, hi, l) in &chosen {
        let zl = normal_quantile(0.5 + l.min(0.999_999) / 2.0);
        let se = ((hi - lo) / (2.0 * zl.max(1e-9))).max(1e-9);
        let w = 1.0 / (se * se);
        wsum += w;
        acc += w * shift;
        least = least.min(*l);
    }
    let shift = acc / wsum;
    let se = 1.0 / wsum.sqrt();
    Some(Found::from_logs((
        shift,
        shift - z * se,
        shift + z * se,
        least.min(level),
    )))
}

/// [`Candidate::FastHl`]: the Hodges-Lehmann shift of the fast state alone, or the
/// states combined when the fast state has too few samples for the interval asked for.
fn fast_hl(case: &[Obs], reference: &[Obs], level: f64) -> Option<Found> {
    // Without speed readings (files from before the speed probe) the states cannot be
    // told apart: pair each sample with the reference sample nearest in time instead,
    // which is what such files were judged by.
    if case.iter().chain(reference).any(|o| o.speed.is_none()) {
        return relative::estimate_at(Estimator::Nearest, case, reference, level).map(Found::from);
    }
    let (x, y) = (
        relative::logs(&relative::in_state(case, false), false),
        relative::logs(&relative::in_state(reference, false), false),
    );
    let alone = hodges_lehmann_interval_at(&x, &y, level).map(Found::from_logs);
    match alone {
        Some(e) if e.reaches(level) => Some(e),
        // Too few samples in the fast state for the interval asked for: the states
        // combined, where they give one (said by the estimator field).
        _ => {
            let combined =
                relative::estimate_at(Estimator::StateHl, case, reference, level).map(Found::from);
            match (alone, combined) {
                (_, Some(c)) if c.reaches(level) => Some(c),
                (Some(a), _) => Some(a),
                (None, c) => c,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_normalisation_cancels_a_machine_that_switches_states() {
        // The case costs 1.2x the reference; half the samples of each ran in a state
        // 1.5x slower, which the speed readings show.
        let (mut case, mut reference) = (Vec::new(), Vec::new());
        for i in 0..40 {
            let slow = if (i / 3) % 2 == 0 { 1.0 } else { 1.5 };
            let other = if (i / 2) % 2 == 0 { 1.0 } else { 1.5 };
            let at = f64::from(i);
            let o = |value: f64, speed: f64, at: f64| Obs {
                value,
                speed: Some(speed),
                at,
                round: i,
                slow: false,
            };
            case.push(o(120.0 * slow, 2.0 * slow, at));
            reference.push(o(100.0 * other, 2.0 * other, at + 0.5));
        }
        for c in [Candidate::SpeedMedians, Candidate::SpeedNearest] {
            let x = estimate(c, &case, &reference).unwrap();
            assert!((x.ratio - 1.2).abs() < 1e-9, "{c:?}: {x:?}");
            assert!(x.is_95(), "{c:?}: {x:?}");
        }
    }

    #[test]
    fn names_round_trip_and_match_the_harness_estimators() {
        use std::str::FromStr;
        use strum::VariantArray;
        for c in Candidate::VARIANTS {
            assert_eq!(Candidate::from_str(c.name()).unwrap(), *c);
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.name())
            );
            if let Some(e) = c.production() {
                assert_eq!(e.name(), c.name());
            }
        }
        // Every harness estimator is a candidate.
        for e in Estimator::VARIANTS {
            assert!(
                Candidate::VARIANTS
                    .iter()
                    .any(|c| c.production() == Some(*e)),
                "{e:?}"
            );
        }
    }
}
