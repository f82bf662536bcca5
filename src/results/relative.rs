//! Each case relative to its run's reference variant (same scenario and mode), as
//! results, reports, `compare --relative` and `history --relative` state it: by the
//! estimator of [`crate::stats::relative`], from samples that carry their start time
//! and the speed probe's readings, so that what slowed the machine while a sample ran
//! cancels instead of adding up.

use super::CaseResult;
use crate::measure::{MIN_SAMPLES_FLOOR, Stop};
use crate::stats::relative::{self, Estimate, Estimator, Obs};

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

impl<'a> super::CaseIndex<'a> {
    /// `c` relative to its run's reference, by the gate's estimator ([`gate_estimate`]).
    pub fn relative(&self, c: &CaseResult) -> Relative {
        let Some(r) = self.reference_of(c) else {
            return Relative::NoReference;
        };
        if r.variant == c.variant {
            return Relative::Reference;
        }
        match gate_estimate(c, r) {
            Some((estimate, estimator, unpaired)) => Relative::Against {
                estimate,
                estimator,
                unpaired,
            },
            None => Relative::NoReference,
        }
    }
}

/// `c` against its reference `r` by the gate's estimator ([`relative::GATE`]). When
/// that estimate rests on fewer than [`MIN_SAMPLES_FLOOR`] samples of the case although
/// the case has that many (the state-stratified shift sets aside the samples taken in a
/// state its reference never ran in), the run's estimator, which pairs every sample,
/// gives it instead (said by the estimator field): a case the sampler took enough
/// samples of is never unjudgeable because of where the machine's states fell.
pub(crate) fn gate_estimate(
    c: &CaseResult,
    r: &CaseResult,
) -> Option<(Estimate, Estimator, Option<String>)> {
    let gate = estimate_by(relative::GATE, c, r, c.slow_above_ns);
    let short = gate.as_ref().is_some_and(|(e, _, unpaired)| {
        unpaired.is_none()
            && e.n < MIN_SAMPLES_FLOOR
            && c.samples_ns.len() >= MIN_SAMPLES_FLOOR as usize
    });
    if !short {
        return gate;
    }
    estimate_by(relative::DEFAULT, c, r, c.slow_above_ns)
        .filter(|(e, _, _)| e.n >= MIN_SAMPLES_FLOOR)
        .or(gate)
}

/// The samples of `c`, each marked slow when its speed reading lies above
/// `slow_above`.
pub(crate) fn classified(c: &CaseResult, slow_above: Option<f64>) -> Vec<Obs> {
    let mut obs = c.observations();
    relative::classify(&mut obs, slow_above);
    obs
}

/// The samples of `partner` (of `c`'s schedule) that `c` is judged against: all of
/// them, except for a case that stopped for precision, whose stopping rule saw only
/// the rounds up to its last (it decides before each round, from whole rounds). Its
/// reference keeps sampling for the cases still running, and those later samples
/// would re-pair its last samples and re-cut its batches: reported with them, the
/// case could show an interval wider than the one its rule stopped on. Samples are in
/// the order taken, so what is kept is a prefix and indices into it are indices into
/// all of `partner`'s samples.
fn seen_by(c: &CaseResult, mut partner: Vec<Obs>) -> Vec<Obs> {
    if c.stopped == Some(Stop::Precision)
        && let Some(&last) = c.sample_rounds.iter().max()
    {
        partner.retain(|o| o.round <= last);
    }
    partner
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
        &seen_by(c, classified(r, slow_above)),
    )?;
    Some((e, e.estimator, None))
}

/// For each sample of `c`, the index of `r`'s sample nearest to it in time.
pub(crate) fn nearest_reference(c: &CaseResult, r: &CaseResult) -> Vec<u32> {
    relative::nearest(&c.observations(), &seen_by(c, r.observations()))
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
        &seen_by(case, classified(baseline, slow_above)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cold case of `variant` whose samples (ms) started `at` (ms) with the speed
    /// probe reading `speed` (µs) around each.
    fn case(variant: &str, samples: &[(f64, f64, f64)]) -> CaseResult {
        let ns = |ms: f64| (ms * 1e6) as u64;
        let mut c: CaseResult = serde_json::from_value(serde_json::json!({
            "scenario": "s", "variant": "zip-stored-pyc", "layout": "zip",
            "compression": "stored", "level": null, "bytecode": "pyc", "mode": "warm",
            "status": "ok", "error": null,
            "samples_ns": samples.iter().map(|s| ns(s.1)).collect::<Vec<_>>(),
            "sample_starts_us": samples.iter().map(|s| (s.0 * 1e3) as u64).collect::<Vec<_>>(),
            "speed_ns": samples.iter().map(|s| [ns(s.2 / 1e3), ns(s.2 / 1e3)]).collect::<Vec<_>>(),
            "slow_above_ns": 1.2e6,
            "cpu_samples_ns": [], "summary": null, "startup_ns": [], "startup": null,
            "ratio_to_reference": null,
            "artifact": {"path": "/x.zip", "size": 1, "entries": 1, "sha256": ""},
            "probe": null, "warnings": []
        }))
        .unwrap();
        c.variant = crate::scenario::Variant::from_id(variant).expect("a variant id");
        c
    }

    #[test]
    fn a_case_with_samples_in_a_state_its_reference_never_ran_in_is_still_judged() {
        // The reference ran fast throughout (probe 1,000 µs); the case ran fast for 4
        // samples and slow (1,500 µs, 1.5x) for 3: the state-stratified shift rests on
        // the 4 fast ones, below the gate's floor of 6.
        let reference = case(
            "dir-pyc",
            &(0..8)
                .map(|i| (f64::from(i) * 10.0, 10.0 + f64::from(i % 3) * 0.1, 1000.0))
                .collect::<Vec<_>>(),
        );
        let mut samples: Vec<(f64, f64, f64)> = (0..4)
            .map(|i| (f64::from(i) * 10.0 + 5.0, 12.0 + f64::from(i) * 0.1, 1000.0))
            .collect();
        samples.extend((4..7).map(|i| (f64::from(i) * 10.0 + 5.0, 18.0, 1500.0)));
        let c = case("zip-stored-pyc", &samples);
        let (hl, ..) = estimate_by(relative::GATE, &c, &reference, c.slow_above_ns).unwrap();
        assert_eq!(hl.n, 4);
        let (e, estimator, unpaired) = gate_estimate(&c, &reference).unwrap();
        assert_eq!(estimator, relative::DEFAULT);
        assert_eq!(e.n, 7);
        assert!(unpaired.is_none());
        // Every sample is paired with the nearest reference sample: the fast ones at
        // 1.2x, the slow ones at 1.8x; the median is a fast pair's.
        assert!((e.ratio - 1.2).abs() < 0.05, "{e:?}");

        // With every sample in states both ran in, the gate's estimator stands.
        let fast = case("zip-stored-pyc", &samples[..4].repeat(2));
        let (e, estimator, _) = gate_estimate(&fast, &reference).unwrap();
        assert_eq!(estimator, relative::GATE);
        assert_eq!(e.n, 8);
    }

    #[test]
    fn a_case_that_stopped_for_precision_is_judged_against_the_reference_its_rule_saw() {
        // The reference samples rounds 0-15, twice a round, and ran at twice its time
        // after round 7; the case has rounds 0-7, each sample 3 ms after a reference
        // sample and 2 ms before the next one (the later one is the nearer).
        let timed =
            |rounds: std::ops::Range<u32>, per_round: u32, offset: f64, ms: &dyn Fn(u32) -> f64| {
                let mut c = case(
                    "zip-stored-pyc",
                    &rounds
                        .clone()
                        .flat_map(|r| (0..per_round).map(move |k| (r, k)))
                        .map(|(r, k)| (f64::from(r * 10 + k * 5) + offset, ms(r), 1000.0))
                        .collect::<Vec<_>>(),
                );
                c.sample_rounds = rounds
                    .flat_map(|r| std::iter::repeat_n(r, per_round as usize))
                    .collect();
                c
            };
        let mut reference = timed(0..16, 2, 0.0, &|r| if r < 8 { 10.0 } else { 20.0 });
        reference.variant = crate::scenario::Variant::from_id("dir-pyc").expect("a variant id");
        let mut c = timed(0..8, 1, 8.0, &|r| 12.0 + f64::from(r % 3) * 0.1);
        let seen = |reference: &CaseResult, c: &CaseResult| {
            (
                estimate(c, reference, None).unwrap().0,
                nearest_reference(c, reference),
            )
        };
        // Stopped at its sample count, it is judged against every reference sample:
        // its last sample pairs with round 8's, twice as slow.
        c.stopped = Some(Stop::Samples);
        let (all, nearest) = seen(&reference, &c);
        assert_eq!(nearest.last(), Some(&16));
        // Stopped for precision, only rounds 0-7 of the reference count, as they did
        // for its stopping rule: the estimate is the one against the reference cut there.
        c.stopped = Some(Stop::Precision);
        let (judged, nearest) = seen(&reference, &c);
        assert!(nearest.iter().all(|&j| j < 16), "{nearest:?}");
        let mut cut = reference.clone();
        for v in [&mut cut.samples_ns, &mut cut.sample_starts_us] {
            v.truncate(16);
        }
        cut.speed_ns.truncate(16);
        cut.sample_rounds.truncate(16);
        c.stopped = Some(Stop::Samples);
        assert_eq!(judged, seen(&cut, &c).0);
        assert_ne!(judged, all, "round 8's sample changes the estimate");
    }
}
