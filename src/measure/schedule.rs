//! Interleaving: round-robin over all cases, one sample each per round, so slow drift of
//! a noisy machine spreads evenly over every case instead of favouring whichever case
//! ran first. Each round starts one case further along, so no case always follows the
//! same neighbour.

use super::sampler::{Outcome, SampleValue, Sampler};

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

/// Takes samples round-robin until every case has `samples` timed samples (after
/// `warmup` discarded ones, for cases that start empty), a case fails, or `stop()`
/// says so. `initial` holds samples already taken (a resumed run); `tick(case, what,
/// outcome)` sees every sample as it is taken. Returns the runs and whether it was
/// interrupted.
pub fn interleave(
    samplers: &mut [Box<dyn Sampler + '_>],
    initial: Vec<CaseRun>,
    warmup: u32,
    samples: u32,
    stop: &dyn Fn() -> bool,
    mut tick: impl FnMut(usize, Taken, &Outcome),
) -> (Vec<CaseRun>, bool) {
    let n = samplers.len();
    let mut runs = initial;
    runs.resize(n, CaseRun::default());
    let mut warm_left: Vec<u32> = runs
        .iter()
        .map(|r| if r.samples.is_empty() { warmup } else { 0 })
        .collect();
    let pending = |runs: &[CaseRun], i: usize| {
        runs[i].failure.is_none() && runs[i].samples.len() < samples as usize
    };
    let mut round = 0usize;
    while (0..n).any(|i| pending(&runs, i)) {
        for k in 0..n {
            let i = (round + k) % n;
            if !pending(&runs, i) {
                continue;
            }
            if stop() {
                return (runs, true);
            }
            let outcome = samplers[i].sample();
            let taken = match &outcome {
                Outcome::Sample(_) if warm_left[i] > 0 => {
                    warm_left[i] -= 1;
                    Taken::Warmup
                }
                Outcome::Sample(s) => {
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
            })
        }
    }

    fn fakes(n: usize, log: &Rc<RefCell<Vec<usize>>>) -> Vec<Box<dyn Sampler>> {
        (0..n)
            .map(|id| {
                Box::new(Fake {
                    id,
                    log: log.clone(),
                    fail_at: (id == 2).then_some(2),
                    taken: 0,
                }) as Box<dyn Sampler>
            })
            .collect()
    }

    #[test]
    fn rounds_interleave_and_rotate() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = fakes(3, &log);
        let (runs, interrupted) = interleave(&mut s, Vec::new(), 1, 3, &|| false, |_, _, _| {});
        assert!(!interrupted);
        // Round 0: 0 1 2; round 1: 1 2(fails) 0; rounds 2 and 3 skip case 2.
        assert_eq!(*log.borrow(), vec![0, 1, 2, 1, 2, 0, 0, 1, 0, 1]);
        assert_eq!(runs[0].samples.len(), 3);
        assert_eq!(runs[1].samples.len(), 3);
        assert_eq!(runs[2].failure.as_deref(), Some("boom"));
        // Warm-up samples are discarded: case 0's first kept sample is its second.
        assert_eq!(runs[0].samples[0].wall_ns, 2);
    }

    #[test]
    fn a_stop_ends_the_rounds_and_a_resume_finishes_them() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut s = fakes(2, &log);
        let taken = std::cell::Cell::new(0);
        let (partial, interrupted) =
            interleave(&mut s, Vec::new(), 0, 4, &|| taken.get() >= 3, |_, _, _| {
                taken.set(taken.get() + 1);
            });
        assert!(interrupted);
        assert_eq!(partial[0].samples.len() + partial[1].samples.len(), 3);
        // Resuming with what was taken tops every case up to 4, without warm-up.
        let (done, interrupted) = interleave(&mut s, partial, 1, 4, &|| false, |_, _, _| {});
        assert!(!interrupted);
        assert!(done.iter().all(|r| r.samples.len() == 4));
        assert_eq!(log.borrow().len(), 8);
    }
}
