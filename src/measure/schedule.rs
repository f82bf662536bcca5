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

/// Runs `warmup` discarded rounds and then `samples` timed rounds over `samplers`,
/// calling `tick(case index)` after each sample.
pub fn interleave(
    samplers: &mut [Box<dyn Sampler + '_>],
    warmup: u32,
    samples: u32,
    mut tick: impl FnMut(usize),
) -> Vec<CaseRun> {
    let n = samplers.len();
    let mut runs = vec![CaseRun::default(); n];
    for round in 0..(warmup + samples) as usize {
        for k in 0..n {
            let i = (round + k) % n;
            if runs[i].failure.is_some() {
                continue;
            }
            match samplers[i].sample() {
                Outcome::Sample(s) if round >= warmup as usize => runs[i].samples.push(s),
                Outcome::Sample(_) => {}
                Outcome::Failed(e) => runs[i].failure = Some(e),
            }
            tick(i);
        }
    }
    runs
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
                startup_ns: None,
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
        let runs = interleave(&mut s, 1, 3, |_| {});
        // Round 0: 0 1 2; round 1: 1 2(fails) 0; rounds 2 and 3 skip case 2.
        assert_eq!(*log.borrow(), vec![0, 1, 2, 1, 2, 0, 0, 1, 0, 1]);
        assert_eq!(runs[0].samples.len(), 3);
        assert_eq!(runs[1].samples.len(), 3);
        assert_eq!(runs[2].failure.as_deref(), Some("boom"));
        // Warm-up samples are discarded: case 0's first kept sample is its second.
        assert_eq!(runs[0].samples[0].wall_ns, 2);
    }
}
