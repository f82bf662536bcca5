//! Bootstrap intervals: resample the data with replacement many times and read the
//! spread of the statistic. Seeded, so the same data always give the same interval.

use super::univariate::{median, quantile_sorted};
use crate::generate::SeededRng;

/// Percentile bootstrap 95% interval of median(candidate) / median(baseline):
/// `resamples` times, resample both sets with replacement and take the ratio of
/// medians. Seeded, so the same data always give the same interval.
pub fn bootstrap_ratio_ci(baseline: &[f64], candidate: &[f64], resamples: usize) -> (f64, f64) {
    if baseline.is_empty() || candidate.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = SeededRng::new(0x5eed, "bootstrap");
    let mut a = vec![0.0; baseline.len()];
    let mut b = vec![0.0; candidate.len()];
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for x in a.iter_mut() {
            *x = baseline[rng.below(baseline.len() as u64) as usize];
        }
        for x in b.iter_mut() {
            *x = candidate[rng.below(candidate.len() as u64) as usize];
        }
        let (ma, mb) = (median(&a), median(&b));
        if ma > 0.0 {
            ratios.push(mb / ma);
        }
    }
    if ratios.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    ratios.sort_by(f64::total_cmp);
    (
        quantile_sorted(&ratios, 0.025),
        quantile_sorted(&ratios, 0.975),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_interval_brackets_the_ratio() {
        let a: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i % 7)).collect();
        let b: Vec<f64> = a.iter().map(|x| x * 1.5).collect();
        let (lo, hi) = bootstrap_ratio_ci(&a, &b, 2000);
        assert!(lo <= 1.5 && 1.5 <= hi, "{lo} {hi}");
        assert!(lo > 1.3 && hi < 1.7, "{lo} {hi}");
        assert_eq!(
            bootstrap_ratio_ci(&a, &b, 500),
            bootstrap_ratio_ci(&a, &b, 500)
        );
    }
}
