//! Bootstrap intervals: resample the data with replacement many times and read the
//! spread of the statistic. Seeded, so the same data always give the same interval.

use super::univariate::quantile_sorted;
use crate::generate::SeededRng;

/// Resamples every bootstrap interval of the harness draws (`compare`, `calibrate` and
/// the report's headline alike).
pub const RESAMPLES: usize = 2000;

/// Median of `v`, reordering it in place (no allocation: bootstrap loops call this
/// thousands of times).
fn median_in_place(v: &mut [f64]) -> f64 {
    let n = v.len();
    let (_, hi, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *hi;
    if n % 2 == 1 {
        return upper;
    }
    let lower = v[..n / 2].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lower + upper) / 2.0
}

/// Fills `out` with a resample of `data` and returns its median.
fn resampled_median(rng: &mut SeededRng, data: &[f64], out: &mut [f64]) -> f64 {
    for x in out.iter_mut() {
        *x = data[rng.below(data.len() as u64) as usize];
    }
    median_in_place(out)
}

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
        let ma = resampled_median(&mut rng, baseline, &mut a);
        let mb = resampled_median(&mut rng, candidate, &mut b);
        if ma > 0.0 {
            ratios.push(mb / ma);
        }
    }
    percentile_interval(ratios)
}

fn percentile_interval(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    (
        quantile_sorted(&values, 0.025),
        quantile_sorted(&values, 0.975),
    )
}

/// A ratio of ratios with independent sets: how `case / reference` moved from the
/// baseline run to the candidate run when the case and its reference cannot be paired.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioOfRatios {
    /// (median(c_case) / median(c_ref)) / (median(b_case) / median(b_ref)).
    pub estimate: f64,
    /// Percentile bootstrap 95% interval, low end.
    pub low: f64,
    /// High end.
    pub high: f64,
    /// Bootstrap standard error of the estimate's logarithm.
    pub log_se: f64,
}

/// Bootstraps a [`RatioOfRatios`], resampling each of the four sets on its own, so
/// the reference's sampling error in both runs is part of the interval.
pub fn bootstrap_ratio_of_ratios(
    (b_case, b_ref): (&[f64], &[f64]),
    (c_case, c_ref): (&[f64], &[f64]),
    resamples: usize,
) -> Option<RatioOfRatios> {
    let sets = [b_case, b_ref, c_case, c_ref];
    if sets.iter().any(|s| s.is_empty()) {
        return None;
    }
    let mut scratch = sets.map(|s| s.to_vec());
    let meds: Vec<f64> = scratch.iter_mut().map(|s| median_in_place(s)).collect();
    let of = |m: &[f64]| (m[2] / m[3]) / (m[0] / m[1]);
    let estimate = of(&meds);
    if !(estimate.is_finite() && estimate > 0.0) {
        return None;
    }
    let mut rng = SeededRng::new(0x5eed, "bootstrap ratio of ratios");
    let mut values = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let m: Vec<f64> = sets
            .iter()
            .zip(scratch.iter_mut())
            .map(|(data, out)| resampled_median(&mut rng, data, out))
            .collect();
        let v = of(&m);
        if v.is_finite() && v > 0.0 {
            values.push(v);
        }
    }
    let n = values.len() as f64;
    let mean_log = values.iter().map(|v| v.ln()).sum::<f64>() / n;
    let log_se = (values
        .iter()
        .map(|v| (v.ln() - mean_log).powi(2))
        .sum::<f64>()
        / (n - 1.0))
        .sqrt();
    let (low, high) = percentile_interval(values);
    Some(RatioOfRatios {
        estimate,
        low,
        high,
        log_se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::median;

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

    #[test]
    fn the_in_place_median_is_the_median() {
        for n in 1..12 {
            let v: Vec<f64> = (0..n).map(|i| f64::from((i * 7919) % 13)).collect();
            assert_eq!(median_in_place(&mut v.clone()), median(&v), "{v:?}");
        }
    }

    #[test]
    fn a_ratio_of_ratios_carries_the_references_noise() {
        let spread = |c: f64, k: u32| -> Vec<f64> {
            (0..k)
                .map(|i| c * (1.0 + 0.1 * (f64::from(i % 5) - 2.0)))
                .collect()
        };
        // The case doubles against its reference between the runs.
        let (bc, br) = (spread(20.0, 15), spread(10.0, 15));
        let (cc, cr) = (spread(44.0, 15), spread(11.0, 15));
        let r = bootstrap_ratio_of_ratios((&bc, &br), (&cc, &cr), 1000).unwrap();
        assert!((r.estimate - 2.0).abs() < 1e-9, "{r:?}");
        assert!(r.low < 2.0 && 2.0 < r.high && r.low > 1.3, "{r:?}");
        // A noisier reference widens the interval.
        let noisy_ref: Vec<f64> = (0..15)
            .map(|i| 10.0 * (1.0 + 0.3 * (f64::from(i % 5) - 2.0)))
            .collect();
        let w = bootstrap_ratio_of_ratios((&bc, &noisy_ref), (&cc, &cr), 1000).unwrap();
        assert!(w.log_se > r.log_se, "{w:?} {r:?}");
        assert!(bootstrap_ratio_of_ratios((&[], &br), (&cc, &cr), 10).is_none());
    }
}
