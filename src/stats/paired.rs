//! Paired ratios: a case's samples divided by its reference's samples taken in the same
//! round of the interleaved schedule.
//!
//! Every round takes one sample of every case at nearly the same moment, so whatever
//! slowed the machine during that round (another tenant, a frequency change, the page
//! cache) moves the case and its reference together. The per-round ratio cancels it;
//! the ratio of two medians does not, and a median of the reference is itself a noisy
//! estimate, which moves every case of a run together.

use std::collections::BTreeMap;

use super::univariate::{median_ci_ranks, quantile_sorted};

/// One sample and the round it was taken in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed {
    /// Round of the interleaved schedule (warm-up rounds counted).
    pub round: u32,
    /// The measured value.
    pub value: f64,
}

/// `case / reference` for every round that has a sample of both, in round order.
/// Rounds with a sample of only one of them (a case that failed, a run stopped
/// mid-round and resumed) are left out.
pub fn paired_ratios(case: &[Timed], reference: &[Timed]) -> Vec<f64> {
    let by_round: BTreeMap<u32, f64> = reference.iter().map(|t| (t.round, t.value)).collect();
    let mut pairs: Vec<(u32, f64)> = case
        .iter()
        .filter_map(|t| {
            let r = by_round.get(&t.round)?;
            (*r > 0.0).then(|| (t.round, t.value / r))
        })
        .collect();
    pairs.sort_by_key(|p| p.0);
    pairs.into_iter().map(|p| p.1).collect()
}

/// The median of `values` and its distribution-free 95% interval from order
/// statistics ([`median_ci_ranks`]): `(median, low, high)`, `None` when empty. With
/// fewer than six values no pair of ranks reaches 95%, and the interval is the whole
/// range.
pub fn median_interval(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi, _) = median_ci_ranks(sorted.len());
    Some((quantile_sorted(&sorted, 0.5), sorted[lo], sorted[hi]))
}

/// Pearson correlation of the logs of paired values (`None` below three pairs or when
/// one side is constant): how much of the two series' noise is shared.
pub fn log_correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| **x > 0.0 && **y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = pairs.iter().map(|p| (p.1 - my).powi(2)).sum();
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(values: &[(u32, f64)]) -> Vec<Timed> {
        values
            .iter()
            .map(|&(round, value)| Timed { round, value })
            .collect()
    }

    #[test]
    fn pairs_by_round_not_by_position() {
        // The reference missed round 2; the case was resumed out of order.
        let reference = timed(&[(1, 10.0), (3, 20.0), (4, 40.0)]);
        let case = timed(&[(4, 44.0), (1, 11.0), (2, 99.0), (3, 22.0)]);
        let r = paired_ratios(&case, &reference);
        assert_eq!(r.len(), 3);
        for x in r {
            assert!((x - 1.1).abs() < 1e-12);
        }
    }

    #[test]
    fn median_interval_takes_the_order_statistics() {
        let values: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        // n = 10: the 2nd and 9th smallest (97.9%).
        assert_eq!(median_interval(&values), Some((5.5, 2.0, 9.0)));
        assert_eq!(median_interval(&[3.0, 1.0]), Some((2.0, 1.0, 3.0)));
        assert_eq!(median_interval(&[]), None);
    }

    #[test]
    fn shared_noise_shows_as_correlation() {
        let a = [1.0, 2.0, 4.0, 8.0];
        let b = [3.0, 6.0, 12.0, 24.0];
        assert!((log_correlation(&a, &b).unwrap() - 1.0).abs() < 1e-12);
        assert!(log_correlation(&a, &[5.0; 4]).is_none());
    }
}
