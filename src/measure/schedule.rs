//! Interleaving: rounds over all cases, one sample each per round, so slow drift of a
//! noisy machine spreads evenly over every case instead of favouring whichever case ran
//! first. The order within each round is a fresh permutation drawn from the scenario
//! seed: a fixed rotation would make each case follow the same neighbour in n-1 of n
//! rounds, so whatever one case leaves behind (a warm cache, a busy disk) would always
//! land on the same other case. Every kept sample records its round and its position
//! in that round, so samples of two cases from one round can be paired later.
//!
//! With a precision ([`Adaptive`]), a case stops before its last sample once the 95%
//! interval of its per-round ratio to the reference is narrow enough, and the
//! reference keeps sampling while any case measured against it does. See
//! METHODOLOGY.md, "Adaptive sampling".

use serde::{Deserialize, Serialize};

use super::sampler::{Outcome, SampleValue, Sampler};
use crate::generate::SeededRng;
use crate::stats::{Timed, median_interval, paired_ratios};

/// Samples and fate of one case after scheduling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseRun {
    /// Timed samples, in the order taken (warm-up rounds excluded).
    pub samples: Vec<SampleValue>,
    /// Why the case failed, if it did.
    pub failure: Option<String>,
    /// Why the case took no more samples (`None` while it still would, or when the
    /// run was stopped first).
    pub stopped: Option<Stop>,
}

/// Why a case took no more samples.
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
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Stop {
    /// It has the number of samples asked for (the most, with a precision).
    Samples,
    /// Its ratio to the reference reached the precision asked for.
    Precision,
    /// The reference, once every case measured against it had stopped.
    Reference,
    /// A sample failed.
    Error,
    /// The run was stopped first (`run --resume` continues it).
    Interrupted,
}

impl Stop {
    /// The name used in results.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What one scheduled sample gave, for journaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// A discarded warm-up sample.
    Warmup,
    /// A kept timed sample.
    Kept,
    /// The case failed.
    Failed,
}

/// How many samples to take and in what order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Discarded rounds for cases that start empty.
    pub warmup: u32,
    /// Timed samples every case ends with (the most, with `adaptive`).
    pub samples: u32,
    /// Seed of the per-round permutations (the scenario's seed).
    pub seed: u64,
    /// Stop cases early once their ratio to the reference is precise enough.
    pub adaptive: Option<Adaptive>,
}

/// When a case may stop before `Plan::samples`.
#[derive(Debug, Clone, PartialEq)]
pub struct Adaptive {
    /// Half-width of the ratio's 95% interval, as a fraction of the ratio, at which a
    /// case stops (0.10 for `precision = 10`).
    pub precision: f64,
    /// Samples every case takes before it may stop.
    pub min_samples: u32,
    /// Per case: the case its ratio is taken to (the reference variant in the same
    /// mode); `None` for the reference itself and for cases without one, which take
    /// every sample unless they are a reference whose cases have all stopped.
    pub reference: Vec<Option<usize>>,
}

/// A case far from the reference needs less relative precision than one beside it: the
/// half-width it stops at is at least this share of its distance from the reference
/// on a log scale (+-14% at 2x, +-22% at 3x, +-39% at 7x), so a case seven times
/// slower is not sampled as long as one within 10% of the reference.
pub const FAR_SHARE: f64 = 0.2;

impl Adaptive {
    /// The half-width (fraction of the ratio) at which a case whose ratio is `ratio`
    /// stops: the precision, or [`FAR_SHARE`] of its log distance when wider.
    pub fn allowed(&self, ratio: f64) -> f64 {
        self.precision.max(FAR_SHARE * ratio.ln().abs())
    }

    /// Whether per-round ratios `ratios` are precise enough to stop: the relative
    /// half-width of their median's 95% interval, and the half-width allowed.
    pub fn precise(&self, ratios: &[f64]) -> Option<(f64, f64)> {
        let (m, lo, hi) = median_interval(ratios)?;
        (m > 0.0).then(|| ((hi - lo) / (2.0 * m), self.allowed(m)))
    }
}

/// Marks every case of `runs` that needs no more samples with why: failed, full, or
/// (with a precision) precise enough, or a reference whose cases have all stopped. A
/// stopped case stays stopped. Called before every round and before a resumed run
/// starts, so the decision only ever sees whole rounds.
pub fn settle(runs: &mut [CaseRun], plan: &Plan) {
    let n = runs.len();
    for i in 0..n {
        if runs[i].stopped.is_some() {
            continue;
        }
        let taken = runs[i].samples.len() as u32;
        runs[i].stopped = if runs[i].failure.is_some() {
            Some(Stop::Error)
        } else if taken >= plan.samples {
            Some(Stop::Samples)
        } else {
            match &plan.adaptive {
                Some(a) if taken >= a.min_samples.min(plan.samples) => match a.reference[i] {
                    Some(r) if runs[r].failure.is_none() => {
                        let ratios = paired_ratios(&timed(&runs[i]), &timed(&runs[r]));
                        let enough = ratios.len() as u32 >= a.min_samples.min(plan.samples);
                        a.precise(&ratios)
                            .filter(|(width, allowed)| enough && width <= allowed)
                            .map(|_| Stop::Precision)
                    }
                    _ => None,
                },
                _ => None,
            }
        };
    }
    // A reference stops once every case measured against it has, and not before its
    // own minimum.
    if let Some(a) = &plan.adaptive {
        for r in 0..n {
            let dependents: Vec<usize> = (0..n).filter(|&i| a.reference[i] == Some(r)).collect();
            let enough = runs[r].samples.len() as u32 >= a.min_samples.min(plan.samples);
            if runs[r].stopped.is_none()
                && !dependents.is_empty()
                && enough
                && dependents.iter().all(|&i| runs[i].stopped.is_some())
            {
                runs[r].stopped = Some(Stop::Reference);
            }
        }
    }
}

fn timed(run: &CaseRun) -> Vec<Timed> {
    run.samples
        .iter()
        .map(|s| Timed {
            round: s.round,
            value: s.wall_ns as f64,
        })
        .collect()
}

/// The order of `n` cases in round `round`: a permutation drawn from `seed`, the same
/// for the same seed and round on every machine.
pub fn round_order(seed: u64, round: u32, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SeededRng::new(seed, &format!("schedule round {round}"));
    for i in (1..n).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
}

/// Takes samples in rounds until every case has stopped ([`settle`]: `plan.samples`
/// timed samples after `plan.warmup` discarded ones for cases that start empty, a
/// failure, or the precision asked for) or `stop()` says so. `initial` holds samples
/// already taken (a resumed run: rounds continue after the last one recorded);
/// `tick(case, what, outcome)` sees every sample as it is taken, kept samples already
/// stamped with their round and slot; `stopped(case, samples_skipped)` sees every case
/// that stops before `plan.samples`. Returns the runs and whether it was interrupted.
pub fn interleave(
    samplers: &mut [Box<dyn Sampler + '_>],
    initial: Vec<CaseRun>,
    plan: &Plan,
    stop: &dyn Fn() -> bool,
    mut tick: impl FnMut(usize, Taken, &Outcome),
    mut stopped: impl FnMut(usize, u32),
) -> (Vec<CaseRun>, bool) {
    let n = samplers.len();
    let mut runs = initial;
    runs.resize(n, CaseRun::default());
    let mut warm_left: Vec<u32> = runs
        .iter()
        .map(|r| if r.samples.is_empty() { plan.warmup } else { 0 })
        .collect();
    let mut round = runs
        .iter()
        .flat_map(|r| r.samples.iter().map(|s| s.round + 1))
        .max()
        .unwrap_or(0);
    loop {
        let before: Vec<bool> = runs.iter().map(|r| r.stopped.is_some()).collect();
        settle(&mut runs, plan);
        for i in (0..n).filter(|&i| !before[i] && runs[i].stopped.is_some()) {
            let short = plan.samples.saturating_sub(runs[i].samples.len() as u32);
            if short > 0 {
                stopped(i, short + warm_left[i]);
            }
        }
        if runs.iter().all(|r| r.stopped.is_some()) {
            break;
        }
        let mut slot = 0;
        for i in round_order(plan.seed, round, n) {
            if runs[i].stopped.is_some() || runs[i].failure.is_some() {
                continue;
            }
            if stop() {
                return (runs, true);
            }
            let mut outcome = samplers[i].sample();
            let taken = match &mut outcome {
                Outcome::Sample(_) if warm_left[i] > 0 => {
                    warm_left[i] -= 1;
                    Taken::Warmup
                }
                Outcome::Sample(s) => {
                    s.round = round;
                    s.slot = slot;
                    runs[i].samples.push(*s);
                    Taken::Kept
                }
                Outcome::Failed(e) => {
                    runs[i].failure = Some(e.clone());
                    Taken::Failed
                }
                Outcome::Interrupted => return (runs, true),
            };
            slot += 1;
            tick(i, taken, &outcome);
        }
        round += 1;
    }
    (runs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    struct Fake {
        id: usize,
        log: Rc<RefCell<Vec<usize>>>,
        fail_at: Option<usize>,
        taken: usize,
    }

    impl Sampler for Fake {
        fn sample(&mut self) -> Outcome {
            self.log.borrow_mut().push(self.id);
            self.taken += 1;
            if Some(self.taken) == self.fail_at {
                return Outcome::Failed("boom".into());
            }
            Outcome::Sample(SampleValue {
                wall_ns: (self.id * 1000 + self.taken) as u64,
                cpu_ns: 0,
                user_ns: 0,
                sys_ns: 0,
                resident: None,
                startup_ns: None,
                overhead_ns: None,
                round: 0,
                slot: 0,
            })
        }
    }

    fn fakes(
        n: usize,
        fail: Option<usize>,
        log: &Rc<RefCell<Vec<usize>>>,
    ) -> Vec<Box<dyn Sampler>> {
        (0..n)
            .map(|id| {
                Box::new(Fake {
                    id,
                    log: log.clone(),
                    fail_at: (Some(id) == fail).then_some(2),
                    taken: 0,
                }) as Box<dyn Sampler>
            })
            .collect()
    }

    fn plan(warmup: u32, samples: u32, seed: u64) -> Plan {
        Plan {
            warmup,
            samples,
            seed,
            adaptive: None,
        }
    }

    /// A sampler cycling through fixed wall times.
    struct Cycle {
        values: Vec<u64>,
        taken: usize,
    }

    impl Sampler for Cycle {
        fn sample(&mut self) -> Outcome {
            let wall_ns = self.values[self.taken % self.values.len()];
            self.taken += 1;
            Outcome::Sample(SampleValue {
                wall_ns,
                cpu_ns: 0,
                user_ns: 0,
                sys_ns: 0,
                resident: None,
                startup_ns: None,
                overhead_ns: None,
                round: 0,
                slot: 0,
            })
        }
    }

    fn cycles(values: &[&[u64]]) -> Vec<Box<dyn Sampler>> {
        values
            .iter()
            .map(|v| {
                Box::new(Cycle {
                    values: v.to_vec(),
                    taken: 0,
                }) as Box<dyn Sampler>
            })
            .collect()
    }

    fn adaptive(precision: f64, min: u32, max: u32, reference: Vec<Option<usize>>) -> Plan {
        Plan {
            adaptive: Some(Adaptive {
                precision,
                min_samples: min,
                reference,
            }),
            ..plan(1, max, 5)
        }
    }

    #[test]
    fn rounds_follow_the_seeded_permutations_and_stamp_their_samples() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = fakes(3, Some(2), &log);
        let (runs, interrupted) = interleave(
            &mut s,
            Vec::new(),
            &plan(1, 3, 7),
            &|| false,
            |_, _, _| {},
            |_, _| {},
        );
        assert!(!interrupted);
        // Round 0 and 1 take every case in that round's order; case 2 fails at its
        // second sample (round 1), so rounds 2 and 3 take the other two.
        let mut expected = Vec::new();
        for round in 0..4 {
            let skip = if round >= 2 { Some(2) } else { None };
            expected.extend(
                round_order(7, round, 3)
                    .into_iter()
                    .filter(|&i| Some(i) != skip),
            );
        }
        assert_eq!(*log.borrow(), expected);
        assert_eq!(runs[2].failure.as_deref(), Some("boom"));
        for (case, run) in runs.iter().enumerate().take(2) {
            let rounds: Vec<u32> = run.samples.iter().map(|s| s.round).collect();
            assert_eq!(rounds, vec![1, 2, 3], "warm-up is round 0");
            for x in &run.samples {
                let order: Vec<usize> = round_order(7, x.round, 3)
                    .into_iter()
                    .filter(|&i| x.round < 2 || i != 2)
                    .collect();
                assert_eq!(order[x.slot as usize], case);
            }
        }
        // Warm-up samples are discarded: case 0's first kept sample is its second.
        assert_eq!(runs[0].samples[0].wall_ns, 2);
    }

    #[test]
    fn orders_are_seeded_and_no_case_always_follows_the_same_neighbour() {
        assert_eq!(round_order(1, 5, 6), round_order(1, 5, 6));
        assert_ne!(
            (0..8).map(|r| round_order(1, r, 6)).collect::<Vec<_>>(),
            (0..8).map(|r| round_order(2, r, 6)).collect::<Vec<_>>()
        );
        // Over 40 rounds of 6 cases, case 0 is followed by several different cases.
        let mut followers = std::collections::BTreeSet::new();
        for r in 0..40 {
            let o = round_order(3, r, 6);
            let at = o.iter().position(|&i| i == 0).unwrap();
            if let Some(&next) = o.get(at + 1) {
                followers.insert(next);
            }
            let mut sorted = o.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..6).collect::<Vec<_>>(), "a permutation");
        }
        assert!(followers.len() >= 4, "{followers:?}");
    }

    #[test]
    fn a_stop_ends_the_rounds_and_a_resume_continues_their_numbering() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = fakes(2, None, &log);
        let taken = std::cell::Cell::new(0);
        let (partial, interrupted) = interleave(
            &mut s,
            Vec::new(),
            &plan(0, 4, 1),
            &|| taken.get() >= 3,
            |_, _, _| {
                taken.set(taken.get() + 1);
            },
            |_, _| {},
        );
        assert!(interrupted);
        assert_eq!(partial[0].samples.len() + partial[1].samples.len(), 3);
        // Resuming with what was taken tops every case up to 4, without warm-up, in
        // rounds numbered after the last one recorded.
        let (done, interrupted) = interleave(
            &mut s,
            partial,
            &plan(1, 4, 1),
            &|| false,
            |_, _, _| {},
            |_, _| {},
        );
        assert!(!interrupted);
        assert!(done.iter().all(|r| r.samples.len() == 4));
        assert_eq!(log.borrow().len(), 8);
        for r in &done {
            let rounds: Vec<u32> = r.samples.iter().map(|s| s.round).collect();
            let mut unique = rounds.clone();
            unique.dedup();
            assert_eq!(unique, rounds, "one sample per round, in order: {rounds:?}");
        }
    }

    #[test]
    fn far_and_steady_cases_stop_early_and_close_noisy_ones_take_every_sample() {
        let reference: &[u64] = &[1000, 1100, 900, 1050, 950];
        // 6-8.8x around 7x: +-20%, precise enough for its distance at the minimum.
        let far: &[u64] = &[7000, 6600, 7900, 6300, 7400];
        // Within 5% of the reference but +-20% noise against it: never precise.
        let close: &[u64] = &[1050, 1300, 800, 900, 1200, 1000, 1150];
        // The same ratio every round: precise at once, stops at the minimum.
        let steady: &[u64] = &[2000, 2200, 1800, 2100, 1900];
        let mut s = cycles(&[reference, far, close, steady]);
        let reference_of = vec![None, Some(0), Some(0), Some(0)];
        let skipped = RefCell::new(Vec::new());
        let (runs, interrupted) = interleave(
            &mut s,
            Vec::new(),
            &adaptive(0.05, 5, 20, reference_of),
            &|| false,
            |_, _, _| {},
            |i, short| skipped.borrow_mut().push((i, short)),
        );
        assert!(!interrupted);
        let stops: Vec<(Option<Stop>, usize)> =
            runs.iter().map(|r| (r.stopped, r.samples.len())).collect();
        assert_eq!(
            stops,
            vec![
                (Some(Stop::Samples), 20),
                (Some(Stop::Precision), 5),
                (Some(Stop::Samples), 20),
                (Some(Stop::Precision), 5),
            ]
        );
        assert_eq!(*skipped.borrow(), vec![(1, 15), (3, 15)]);
    }

    #[test]
    fn a_reference_stops_with_its_last_case_and_a_resume_keeps_the_verdicts() {
        let reference: &[u64] = &[1000, 1300, 800];
        let steady: &[u64] = &[3000, 3900, 2400];
        let plan = adaptive(0.05, 6, 30, vec![None, Some(0), None]);
        // Case 2 has no reference (its own took no samples): it takes every sample.
        let mut s = cycles(&[reference, steady, steady]);
        let (runs, _) = interleave(
            &mut s,
            Vec::new(),
            &plan,
            &|| false,
            |_, _, _| {},
            |_, _| {},
        );
        assert_eq!(runs[1].stopped, Some(Stop::Precision));
        assert_eq!(runs[1].samples.len(), 6);
        assert_eq!(runs[0].stopped, Some(Stop::Reference));
        assert_eq!(runs[0].samples.len(), 6);
        assert_eq!(runs[2].stopped, Some(Stop::Samples));
        assert_eq!(runs[2].samples.len(), 30);
        // A resumed run recomputes the same verdicts from the samples alone.
        let mut again: Vec<CaseRun> = runs
            .iter()
            .map(|r| CaseRun {
                samples: r.samples.clone(),
                ..CaseRun::default()
            })
            .collect();
        settle(&mut again, &plan);
        let verdicts: Vec<_> = again.iter().map(|r| r.stopped).collect();
        assert_eq!(verdicts, runs.iter().map(|r| r.stopped).collect::<Vec<_>>());
    }

    #[test]
    fn the_allowed_width_grows_with_the_distance_from_the_reference() {
        let a = Adaptive {
            precision: 0.10,
            min_samples: 5,
            reference: Vec::new(),
        };
        assert_eq!(a.allowed(1.0), 0.10);
        assert_eq!(a.allowed(1.2), 0.10);
        assert!((a.allowed(7.0) - 0.2 * 7f64.ln()).abs() < 1e-12);
        // Faster and slower by the same factor are as far.
        assert!((a.allowed(0.25) - a.allowed(4.0)).abs() < 1e-12);
    }
}
