//! Interleaving: rounds over all cases, one sample each per round, so slow drift of a
//! noisy machine spreads evenly over every case instead of favouring whichever case ran
//! first. The order within each round is a fresh permutation drawn from the scenario
//! seed: a fixed rotation would make each case follow the same neighbour in n-1 of n
//! rounds, so whatever one case leaves behind (a warm cache, a busy disk) would always
//! land on the same other case. Every kept sample records its round and its position
//! in that round, so samples of two cases from one round can be paired later.

use super::sampler::{Outcome, SampleValue, Sampler};
use crate::generate::SeededRng;

/// Samples and fate of one case after scheduling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseRun {
    /// Timed samples, in the order taken (warm-up rounds excluded).
    pub samples: Vec<SampleValue>,
    /// Why the case stopped early, if it did.
    pub failure: Option<String>,
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
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Discarded rounds for cases that start empty.
    pub warmup: u32,
    /// Timed samples every case ends with.
    pub samples: u32,
    /// Seed of the per-round permutations (the scenario's seed).
    pub seed: u64,
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

/// Takes samples in rounds until every case has `plan.samples` timed samples (after
/// `plan.warmup` discarded ones, for cases that start empty), a case fails, or `stop()`
/// says so. `initial` holds samples already taken (a resumed run: rounds continue after
/// the last one recorded); `tick(case, what, outcome)` sees every sample as it is taken,
/// kept samples already stamped with their round and slot. Returns the runs and whether
/// it was interrupted.
pub fn interleave(
    samplers: &mut [Box<dyn Sampler + '_>],
    initial: Vec<CaseRun>,
    plan: Plan,
    stop: &dyn Fn() -> bool,
    mut tick: impl FnMut(usize, Taken, &Outcome),
) -> (Vec<CaseRun>, bool) {
    let n = samplers.len();
    let mut runs = initial;
    runs.resize(n, CaseRun::default());
    let mut warm_left: Vec<u32> = runs
        .iter()
        .map(|r| if r.samples.is_empty() { plan.warmup } else { 0 })
        .collect();
    let pending = |runs: &[CaseRun], i: usize| {
        runs[i].failure.is_none() && runs[i].samples.len() < plan.samples as usize
    };
    let mut round = runs
        .iter()
        .flat_map(|r| r.samples.iter().map(|s| s.round + 1))
        .max()
        .unwrap_or(0);
    while (0..n).any(|i| pending(&runs, i)) {
        let mut slot = 0;
        for i in round_order(plan.seed, round, n) {
            if !pending(&runs, i) {
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
        }
    }

    #[test]
    fn rounds_follow_the_seeded_permutations_and_stamp_their_samples() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = fakes(3, Some(2), &log);
        let (runs, interrupted) =
            interleave(&mut s, Vec::new(), plan(1, 3, 7), &|| false, |_, _, _| {});
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
            plan(0, 4, 1),
            &|| taken.get() >= 3,
            |_, _, _| {
                taken.set(taken.get() + 1);
            },
        );
        assert!(interrupted);
        assert_eq!(partial[0].samples.len() + partial[1].samples.len(), 3);
        // Resuming with what was taken tops every case up to 4, without warm-up, in
        // rounds numbered after the last one recorded.
        let (done, interrupted) =
            interleave(&mut s, partial, plan(1, 4, 1), &|| false, |_, _, _| {});
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
}
