//! Each case relative to its run's reference variant (same scenario and mode), as
//! `compare --relative` and `history --relative` judge it: the ratio of each round's
//! sample to the reference's sample of that round, so the reference's noise and the
//! machine's drift during the run cancel instead of adding up.

use super::{CaseResult, Results};
use crate::stats::{Timed, paired_ratios};
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
        /// The case's samples.
        case: Vec<f64>,
        /// The reference's samples.
        reference: Vec<f64>,
        /// Per-round ratios case / reference, in round order; or why the two cannot be
        /// paired by round (measured by different shards, too few shared rounds), so
        /// that their sample sets must be treated as independent.
        paired: Result<Vec<f64>, String>,
    },
}

impl CaseResult {
    /// Wall samples with the round each was taken in. Files written before rounds were
    /// recorded number them by position, which is what the schedule of that time did.
    pub fn timed_samples(&self) -> Vec<Timed> {
        let rounds_known = self.sample_rounds.len() == self.samples_ns.len();
        self.samples_ns
            .iter()
            .enumerate()
            .map(|(i, &v)| Timed {
                round: if rounds_known {
                    self.sample_rounds[i]
                } else {
                    i as u32
                },
                value: v as f64,
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

    /// The median of `c`'s per-round ratios to its reference (1.0 for the reference;
    /// the ratio of medians where the two cannot be paired): what `--relative` judges.
    pub fn relative_median(&self, c: &CaseResult) -> Option<f64> {
        use crate::stats::median;
        match self.relative(c) {
            Relative::Reference => Some(1.0),
            Relative::NoReference => None,
            Relative::Against {
                paired: Ok(ratios), ..
            } => Some(median(&ratios)),
            Relative::Against {
                case, reference, ..
            } => Some(median(&case) / median(&reference)),
        }
    }

    /// `c` relative to its run's reference, paired by round where possible.
    pub fn relative(&self, c: &CaseResult) -> Relative {
        let Some(r) = self.reference_case(c) else {
            return Relative::NoReference;
        };
        if r.variant == c.variant {
            return Relative::Reference;
        }
        let values = |x: &CaseResult| x.samples_ns.iter().map(|&v| v as f64).collect();
        Relative::Against {
            case: values(c),
            reference: values(r),
            paired: pair(c, r),
        }
    }
}

/// Per-round ratios of `c` to its reference `r`, or why they cannot be paired.
pub(crate) fn pair(c: &CaseResult, r: &CaseResult) -> Result<Vec<f64>, String> {
    if c.shard != r.shard {
        let name = |s: Option<(u32, u32)>| s.map_or("none".into(), |(k, n)| format!("{k}/{n}"));
        return Err(format!(
            "the reference was measured by shard {}, this case by shard {}",
            name(r.shard),
            name(c.shard)
        ));
    }
    let pairs = paired_ratios(&c.timed_samples(), &r.timed_samples());
    let wanted = c.samples_ns.len().min(r.samples_ns.len());
    // Pairing stands when at least half the rounds pair up (a case that failed, or a
    // run stopped mid-round and resumed, loses a few).
    if pairs.is_empty() || pairs.len() * 2 < wanted {
        return Err(format!(
            "only {} of {wanted} rounds hold a sample of both this case and the reference",
            pairs.len()
        ));
    }
    Ok(pairs)
}
