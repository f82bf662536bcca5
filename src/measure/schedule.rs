//! Interleaving: rounds over all cases, one sample each per round, so slow drift of a
//! noisy machine spreads evenly over every case instead of favouring whichever case ran
//! first. The order within each round is a fresh permutation drawn from the scenario
//! seed: a fixed rotation would make each case follow the same neighbour in n-1 of n
//! rounds, so whatever one case leaves behind (a warm cache, a busy disk) would always
//! land on the same other case. Every kept sample records its round and its position
//! in that round, so samples of two cases from one round can be paired later.
//!
//! Each mode's reference is sampled several times a round, spread among its cases, so
//! every sample has a reference sample taken moments before or after it. With a
//! precision ([`Target`]), a case stops before its last sample once the interval of its
//! ratio to the reference is narrow enough, and the reference keeps sampling while any
//! case measured against it does. See METHODOLOGY.md, "Adaptive sampling".

use serde::{Deserialize, Serialize};

use super::sampler::{Outcome, SampleValue, Sampler};
use crate::generate::SeededRng;
use crate::stats::Obs;
use crate::stats::relative;
use crate::stats::univariate::tightest;

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
    /// For a case that stopped for precision, the boundary between the machine's
    /// states its stopping rule judged by (`Some(None)`: the machine ran at one speed
    /// so far): the case's ratio is reported in those states, so the interval reported
    /// is the one the rule found precise enough, not one the later readings of other
    /// cases re-sorted.
    pub stop_boundary: Option<Option<f64>>,
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
    /// Seed of the per-round permutations (the scenario's seed).
    pub seed: u64,
    /// Per case: how many samples it may take and when it may stop sooner.
    pub targets: Vec<Target>,
    /// Samples every case takes before a precision may stop it.
    pub min_samples: u32,
    /// Per case: the case its ratio is taken to (the reference variant in the same
    /// mode); `None` for the reference itself and for cases without one.
    pub reference: Vec<Option<usize>>,
    /// A reference is sampled once after every this many of its cases in a round
    /// (evenly spread, so every case sample has one a few slots away); 0 samples it
    /// once a round, at its drawn place.
    pub reference_every: u32,
}

/// What one case aims for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// The most timed samples it takes.
    pub max: u32,
    /// Stop sooner once the 95% interval of its ratio to the reference has a
    /// half-width of at most this fraction of the ratio (looser far from the
    /// reference: [`allowed`]); `None` takes `max`.
    pub precision: Option<f64>,
}

impl Plan {
    /// A plan in which every case takes `samples` after `warmup` discarded rounds, with
    /// no reference and nothing adaptive.
    pub fn fixed(n: usize, warmup: u32, samples: u32, seed: u64) -> Plan {
        Plan {
            warmup,
            seed,
            targets: vec![
                Target {
                    max: samples,
                    precision: None,
                };
                n
            ],
            min_samples: samples,
            reference: vec![None; n],
            reference_every: 0,
        }
    }

    /// The most samples any case takes.
    pub fn most(&self) -> u32 {
        self.targets.iter().map(|t| t.max).max().unwrap_or(0)
    }

    fn dependents(&self, r: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.reference.len()).filter(move |&i| self.reference[i] == Some(r))
    }
}

/// A case far from the reference needs less relative precision than one beside it: the
/// half-width it stops at is at least this share of its distance from the reference
/// on a log scale (+-14% at 2x, +-22% at 3x, +-39% at 7x), so a case seven times
/// slower is not sampled as long as one within 10% of the reference.
pub const FAR_SHARE: f64 = 0.2;

/// The half-width (fraction of the ratio) at which a case whose ratio is `ratio` stops
/// under `precision`: the precision, or [`FAR_SHARE`] of its log distance when wider.
pub fn allowed(precision: f64, ratio: f64) -> f64 {
    precision.max(FAR_SHARE * ratio.ln().abs())
}

/// The least `min-samples` adaptive sampling accepts: below it no interval of a ratio
/// reaches 95%, and a case could stop on an interval that covers far less.
pub const MIN_SAMPLES_FLOOR: u32 = 6;

/// The level of the interval the stopping rule judges. Stricter than the 95% interval
/// reported: a rule that stops as soon as an interval is narrow stops most often where
/// the samples happened to agree by chance, and the interval reported then covers less
/// than it says; judging a 98% interval keeps the reported one at 95% (measured:
/// METHODOLOGY.md, "Adaptive sampling").
pub const STOP_LEVEL: f64 = 0.98;

/// The samples of `run` as the estimators see them.
pub fn observations(run: &CaseRun) -> Vec<Obs> {
    run.samples.iter().map(SampleValue::obs).collect()
}

/// The samples of `run` classed by `slow_above`, the boundary between the machine's
/// states.
pub fn classified(run: &CaseRun, slow_above: Option<f64>) -> Vec<Obs> {
    let mut obs = observations(run);
    relative::classify(&mut obs, slow_above);
    obs
}

/// The boundary between the machine's speed states, from every sample so far.
fn slow_boundary(runs: &[CaseRun]) -> Option<f64> {
    let mut readings: Vec<(f64, f64)> = runs
        .iter()
        .flat_map(observations)
        .filter_map(|o| o.speed.map(|s| (o.at, s)))
        .collect();
    readings.sort_by(|a, b| a.0.total_cmp(&b.0));
    let speeds: Vec<f64> = readings.into_iter().map(|(_, s)| s).collect();
    crate::stats::machine_states(&speeds).and_then(|m| m.slow_above_ns)
}

/// The ratio of case `i` to its reference and the half-width its stopping interval has
/// (`None` while no interval at [`STOP_LEVEL`] exists).
fn stopping_width(
    case: &CaseRun,
    reference: &CaseRun,
    slow_above: Option<f64>,
) -> Option<(f64, f64)> {
    let e = relative::estimate_at(
        relative::DEFAULT,
        &classified(case, slow_above),
        &classified(reference, slow_above),
        STOP_LEVEL,
    )?;
    e.reaches(STOP_LEVEL).then(|| (e.ratio, e.half_width()))
}

/// Marks every case of `runs` that needs no more samples with why: failed, full, or
/// precise enough, or a reference whose cases have all stopped. Precision is judged
/// only at the sample counts whose reported 95% interval is the tightest for their
/// count ([`tightest`]: 9, 12, 15, 17, ...): stopping at 10 or 11 would report a wider
/// interval than stopping at 9. A stopped case stays
/// stopped. Called before every round and before a resumed run starts, so the
/// decision only ever sees whole rounds.
pub fn settle(runs: &mut [CaseRun], plan: &Plan) {
    let n = runs.len();
    let is_reference: Vec<bool> = (0..n)
        .map(|r| plan.dependents(r).next().is_some())
        .collect();
    let adaptive = plan.targets.iter().any(|t| t.precision.is_some());
    let slow_above = if adaptive { slow_boundary(runs) } else { None };
    for i in 0..n {
        if runs[i].stopped.is_some() {
            continue;
        }
        let taken = runs[i].samples.len() as u32;
        let target = plan.targets[i];
        runs[i].stopped = if runs[i].failure.is_some() {
            Some(Stop::Error)
        } else if is_reference[i] {
            // A reference stops with its cases (below), never on its own count: it is
            // sampled more often than they are.
            None
        } else if taken >= target.max {
            Some(Stop::Samples)
        } else {
            match (target.precision, plan.reference[i]) {
                (Some(p), Some(r))
                    if taken >= plan.min_samples
                        && tightest(taken as usize)
                        && runs[r].failure.is_none() =>
                {
                    let stop = stopping_width(&runs[i], &runs[r], slow_above)
                        .filter(|&(ratio, width)| width <= allowed(p, ratio))
                        .map(|_| Stop::Precision);
                    if stop.is_some() {
                        runs[i].stop_boundary = Some(slow_above);
                    }
                    stop
                }
                _ => None,
            }
        };
    }
    // A reference stops once every case measured against it has, and not before the
    // minimum.
    for r in (0..n).filter(|&r| is_reference[r]) {
        let enough = runs[r].samples.len() as u32 >= plan.min_samples;
        if runs[r].stopped.is_none()
            && enough
            && plan.dependents(r).all(|i| runs[i].stopped.is_some())
        {
            runs[r].stopped = Some(Stop::Reference);
        }
    }
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

/// The samples of one round, in order: the active cases in the round's drawn order,
/// and each reference with active cases sampled after every `plan.reference_every` of
/// them (a block of that many cases has its reference sample in its middle), so that
/// every case sample has one of its reference a few slots away. A reference whose
/// cases have all stopped keeps its drawn place.
pub fn round_slots(plan: &Plan, round: u32, active: &[bool]) -> Vec<usize> {
    let n = active.len();
    let order: Vec<usize> = round_order(plan.seed, round, n)
        .into_iter()
        .filter(|&i| active[i])
        .collect();
    let every = plan.reference_every as usize;
    if every == 0 {
        return order;
    }
    let spread: Vec<usize> = (0..n)
        .filter(|&r| active[r] && plan.dependents(r).any(|i| active[i]))
        .collect();
    let mut out: Vec<usize> = order.into_iter().filter(|i| !spread.contains(i)).collect();
    for r in spread {
        let at: Vec<usize> = (0..out.len())
            .filter(|&p| plan.reference[out[p]] == Some(r))
            .collect();
        let d = at.len();
        let k = d.div_ceil(every).max(1);
        // Block j of the k holds cases j*d/k .. (j+1)*d/k; its reference sample goes
        // before the middle one. Inserted from the last, so earlier places stay put.
        for j in (0..k).rev() {
            let middle = (2 * j + 1) * d / (2 * k);
            out.insert(at[middle.min(d - 1)], r);
        }
    }
    out
}

/// Microseconds since the Unix epoch.
fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Takes samples in rounds until every case has stopped ([`settle`]: its target's
/// samples after `plan.warmup` discarded ones for cases that start empty, a failure,
/// the precision asked for, or, for a reference, the end of its cases) or `stop()` says
/// so. `initial` holds samples already taken (a resumed run: rounds continue after the
/// last one recorded); `tick(case, what, outcome)` sees every sample as it is taken,
/// kept samples already stamped with their round, slot and start time;
/// `stopped(case, samples_skipped)` sees every case that stops before its most. Returns
/// the runs and whether it was interrupted.
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
            let short = plan.targets[i]
                .max
                .saturating_sub(runs[i].samples.len() as u32);
            if short > 0 {
                stopped(i, short + warm_left[i]);
            }
        }
        if runs.iter().all(|r| r.stopped.is_some()) {
            break;
        }
        let active: Vec<bool> = runs
            .iter()
            .map(|r| r.stopped.is_none() && r.failure.is_none())
            .collect();
        for (slot, i) in round_slots(plan, round, &active).into_iter().enumerate() {
            if runs[i].failure.is_some() {
                continue;
            }
            if stop() {
                return (runs, true);
            }
            let started_us = now_us();
            let mut outcome = samplers[i].sample();
            let taken = match &mut outcome {
                Outcome::Sample(_) if warm_left[i] > 0 => {
                    warm_left[i] -= 1;
                    Taken::Warmup
                }
                Outcome::Sample(s) => {
                    s.round = round;
                    s.slot = slot as u32;
                    s.started_us = started_us;
                    runs[i].samples.push(*s);
                    Taken::Kept
                }
                Outcome::Failed(e) => {
                    runs[i].failure = Some(e.clone());
                    Taken::Failed
                }
                Outcome::Interrupted => return (runs, true),
            };
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
                started_us: 0,
                speed_ns: None,
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

    fn plan(n: usize, warmup: u32, samples: u32, seed: u64) -> Plan {
        Plan::fixed(n, warmup, samples, seed)
    }

    /// A sampler cycling through fixed wall times, each with a speed reading: the
    /// machine's state, which the wall time also follows (`speeds` cycles alongside).
    struct Cycle {
        values: Vec<u64>,
        speeds: Vec<u64>,
        taken: usize,
    }

    impl Sampler for Cycle {
        fn sample(&mut self) -> Outcome {
            let wall_ns = self.values[self.taken % self.values.len()];
            let speed = self.speeds[self.taken % self.speeds.len()];
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
                started_us: 0,
                speed_ns: Some([speed, speed]),
            })
        }
    }

    fn cycles(values: &[(&[u64], &[u64])]) -> Vec<Box<dyn Sampler>> {
        values
            .iter()
            .map(|(v, speeds)| {
                Box::new(Cycle {
                    values: v.to_vec(),
                    speeds: speeds.to_vec(),
                    taken: 0,
                }) as Box<dyn Sampler>
            })
            .collect()
    }

    fn adaptive(precision: f64, min: u32, max: u32, reference: Vec<Option<usize>>) -> Plan {
        let n = reference.len();
        Plan {
            targets: vec![
                Target {
                    max,
                    precision: Some(precision),
                };
                n
            ],
            min_samples: min,
            reference,
            ..plan(n, 1, max, 5)
        }
    }

    #[test]
    fn rounds_follow_the_seeded_permutations_and_stamp_their_samples() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = fakes(3, Some(2), &log);
        let (runs, interrupted) = interleave(
            &mut s,
            Vec::new(),
            &plan(3, 1, 3, 7),
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
            &plan(2, 0, 4, 1),
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
            &plan(2, 1, 4, 1),
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
        // The machine switches between states (speed 100 or 150); the reference and
        // the steady case follow them exactly, so their speed-normalised times are
        // constant.
        let states: &[u64] = &[100, 150, 100, 100, 150, 150, 100];
        let reference: &[u64] = &[1000, 1500, 1000, 1000, 1500, 1500, 1000];
        let steady: &[u64] = &[1200, 1800, 1200, 1200, 1800, 1800, 1200];
        // 6-8.8x around 7x, noise the speed does not explain: +-20% is enough there.
        let far: &[u64] = &[7000, 9900, 7900, 6300, 11100, 10500, 7400];
        // Within 5% of the reference, +-20% noise the speed does not explain: never
        // within 5%.
        let close: &[u64] = &[1050, 1950, 800, 900, 1800, 1500, 1150];
        let mut s = cycles(&[
            (reference, states),
            (far, states),
            (close, states),
            (steady, states),
        ]);
        let reference_of = vec![None, Some(0), Some(0), Some(0)];
        let skipped = RefCell::new(Vec::new());
        let (runs, interrupted) = interleave(
            &mut s,
            Vec::new(),
            &adaptive(0.05, 6, 20, reference_of),
            &|| false,
            |_, _, _| {},
            |i, short| skipped.borrow_mut().push((i, short)),
        );
        assert!(!interrupted);
        let stops: Vec<(Option<Stop>, usize)> =
            runs.iter().map(|r| (r.stopped, r.samples.len())).collect();
        // A 98% interval of the median needs 7 pairs; the first count from there at
        // which the reported 95% interval is the tightest for its count is 9.
        assert_eq!(stops[1], (Some(Stop::Precision), 9), "{stops:?}");
        assert_eq!(stops[2], (Some(Stop::Samples), 20), "{stops:?}");
        assert_eq!(stops[3], (Some(Stop::Precision), 9), "{stops:?}");
        assert_eq!(stops[0].0, Some(Stop::Reference), "{stops:?}");
        assert_eq!(*skipped.borrow(), vec![(1, 11), (3, 11)]);
    }

    #[test]
    fn no_case_stops_before_its_stopping_interval_reaches_its_level() {
        // Identical ratios every time: any interval is zero wide, but with the minimum
        // at 2 the rule still waits until the samples allow a 98% interval.
        let states: &[u64] = &[100];
        let mut s = cycles(&[(&[1000], states), (&[1100], states)]);
        let (runs, _) = interleave(
            &mut s,
            Vec::new(),
            &adaptive(0.05, 2, 30, vec![None, Some(0)]),
            &|| false,
            |_, _, _| {},
            |_, _| {},
        );
        let e = relative::estimate_at(
            relative::DEFAULT,
            &observations(&runs[1]),
            &observations(&runs[0]),
            STOP_LEVEL,
        )
        .unwrap();
        assert_eq!(runs[1].stopped, Some(Stop::Precision));
        assert!(e.reaches(STOP_LEVEL), "{e:?}");
        assert!(runs[1].samples.len() > 2, "{}", runs[1].samples.len());
    }

    #[test]
    fn a_reference_stops_with_its_last_case_and_a_resume_keeps_the_verdicts() {
        let states: &[u64] = &[100, 130, 100];
        let reference: &[u64] = &[1000, 1300, 1000];
        let steady: &[u64] = &[3000, 3900, 3000];
        let plan = adaptive(0.05, 6, 30, vec![None, Some(0), None]);
        // Case 2 has no reference: it takes every sample.
        let mut s = cycles(&[(reference, states), (steady, states), (steady, states)]);
        let (runs, _) = interleave(
            &mut s,
            Vec::new(),
            &plan,
            &|| false,
            |_, _, _| {},
            |_, _| {},
        );
        assert_eq!(runs[1].stopped, Some(Stop::Precision));
        assert_eq!(runs[1].samples.len(), 9);
        assert_eq!(runs[0].stopped, Some(Stop::Reference));
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
    fn references_are_spread_among_their_cases() {
        // Two modes: cases 0-6 against reference 7, cases 8-9 against reference 10.
        let mut reference = vec![Some(7); 7];
        reference.extend([None, Some(10), Some(10), None]);
        let plan = Plan {
            reference,
            reference_every: 3,
            ..Plan::fixed(11, 0, 5, 9)
        };
        let active = vec![true; 11];
        for round in 0..20 {
            let slots = round_slots(&plan, round, &active);
            // 7 cases every 3: 3 samples of reference 7; 2 cases: 1 of reference 10.
            assert_eq!(slots.iter().filter(|&&i| i == 7).count(), 3, "{slots:?}");
            assert_eq!(slots.iter().filter(|&&i| i == 10).count(), 1, "{slots:?}");
            for case in (0..11).filter(|&i| i != 7 && i != 10) {
                assert_eq!(slots.iter().filter(|&&i| i == case).count(), 1);
            }
            // Every case of reference 7 has one within 2 of its fellow cases.
            let positions: Vec<usize> = (0..slots.len()).filter(|&p| slots[p] == 7).collect();
            let cases: Vec<usize> = (0..slots.len()).filter(|&p| slots[p] < 7).collect();
            for c in &cases {
                let between = |a: usize, b: usize| {
                    cases
                        .iter()
                        .filter(|&&x| x > a.min(b) && x < a.max(b))
                        .count()
                };
                let nearest = positions.iter().map(|&r| between(r, *c)).min().unwrap();
                assert!(nearest <= 2, "round {round}: {slots:?}");
            }
        }
        // A reference whose cases have stopped keeps its drawn place, once.
        let mut active = vec![false; 11];
        active[7] = true;
        active[9] = true;
        active[10] = true;
        let slots = round_slots(&plan, 3, &active);
        assert_eq!(slots.iter().filter(|&&i| i == 7).count(), 1);
        assert_eq!(slots.len(), 3);
    }

    #[test]
    fn the_allowed_width_grows_with_the_distance_from_the_reference() {
        assert_eq!(allowed(0.10, 1.0), 0.10);
        assert_eq!(allowed(0.10, 1.2), 0.10);
        assert!((allowed(0.10, 7.0) - 0.2 * 7f64.ln()).abs() < 1e-12);
        // Faster and slower by the same factor are as far.
        assert!((allowed(0.10, 0.25) - allowed(0.10, 4.0)).abs() < 1e-12);
    }
}
