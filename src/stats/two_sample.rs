//! Tests of two samples against each other: the Mann-Whitney U test (exact for small
//! samples without ties), the Hodges-Lehmann shift and its distribution-free interval,
//! the Benjamini-Hochberg adjustment for testing many cases at once, and the normal
//! distribution they fall back on.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Largest sample size per side for which the Mann-Whitney null distribution is
/// computed exactly (a table of n1 x n2 + 1 probabilities, built in a few ms).
pub const EXACT_LIMIT: usize = 60;

/// Null distributions computed so far, by (smaller, larger) sample size.
type NullCache = HashMap<(usize, usize), Rc<Vec<f64>>>;

thread_local! {
    static NULLS: RefCell<NullCache> = RefCell::new(HashMap::new());
}

/// The exact null distribution of the Mann-Whitney U statistic for samples of `n1` and
/// `n2` values without ties, as cumulative probabilities: `cdf[u]` = P(U <= u), for u
/// from 0 to n1 x n2. `None` above [`EXACT_LIMIT`].
///
/// Counts by the recursion on the largest value of both samples: if it belongs to the
/// first sample it exceeds all n2 values of the second, so N(u; a, b) = N(u - b; a - 1,
/// b) + N(u; a, b - 1). Only additions, so the counts stay exact in floating point as
/// far as its precision goes.
pub fn mann_whitney_null(n1: usize, n2: usize) -> Option<Rc<Vec<f64>>> {
    let key = (n1.min(n2), n1.max(n2));
    if key.1 > EXACT_LIMIT {
        return None;
    }
    if let Some(hit) = NULLS.with(|m| m.borrow().get(&key).cloned()) {
        return Some(hit);
    }
    let (a_max, b_max) = key;
    // prev[b]: counts for (a - 1, b); cur[b]: for (a, b).
    let mut prev: Vec<Vec<f64>> = (0..=b_max).map(|_| vec![1.0]).collect();
    for a in 1..=a_max {
        let mut cur: Vec<Vec<f64>> = Vec::with_capacity(b_max + 1);
        cur.push(vec![1.0]);
        for b in 1..=b_max {
            let mut counts = vec![0.0; a * b + 1];
            for (u, c) in prev[b].iter().enumerate() {
                counts[u + b] += c;
            }
            for (u, c) in cur[b - 1].iter().enumerate() {
                counts[u] += c;
            }
            cur.push(counts);
        }
        prev = cur;
    }
    let counts = &prev[b_max];
    let total: f64 = counts.iter().sum();
    let mut running = 0.0;
    let cdf: Vec<f64> = counts
        .iter()
        .map(|c| {
            running += c;
            (running / total).min(1.0)
        })
        .collect();
    let cdf = Rc::new(cdf);
    NULLS.with(|m| m.borrow_mut().insert(key, cdf.clone()));
    Some(cdf)
}

/// Largest total of both samples for which a test with ties is exact (a permutation
/// distribution of the tied ranks, counted rather than enumerated).
pub const TIED_EXACT_LIMIT: usize = 40;

/// Two-sided p-value of the Mann-Whitney U test: exact when the samples are small (from
/// [`mann_whitney_null`] without ties, up to [`EXACT_LIMIT`] values a side; from the
/// permutation distribution of the tied ranks with ties, up to [`TIED_EXACT_LIMIT`]
/// values in all); the normal approximation with tie and continuity corrections
/// otherwise. 1.0 when either side is empty or every value is tied.
pub fn mann_whitney_p(x: &[f64], y: &[f64]) -> f64 {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return 1.0;
    }
    if let Some(p) = exact_p(x, y).or_else(|| tied_exact_p(x, y)) {
        return p;
    }
    mann_whitney_normal_p(x, y)
}

/// The exact two-sided p-value with ties: the sum of `x`'s midranks against its
/// distribution over every way of choosing |x| of the pooled values, counted by
/// dynamic programming over doubled midranks (integers). `None` above
/// [`TIED_EXACT_LIMIT`].
fn tied_exact_p(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len() + y.len();
    if n > TIED_EXACT_LIMIT {
        return None;
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Doubled midranks: tied values at 1-based ranks i+1..=j share (i + j + 1).
    let mut ranks = Vec::with_capacity(n);
    let mut observed = 0usize;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && all[j].0 == all[i].0 {
            j += 1;
        }
        for item in &all[i..j] {
            ranks.push(i + j + 1);
            if item.1 {
                observed += i + j + 1;
            }
        }
        i = j;
    }
    let k = x.len();
    let max_sum: usize = ranks.iter().sum();
    // ways[c][s]: subsets of c items with doubled-rank sum s.
    let mut ways = vec![vec![0.0f64; max_sum + 1]; k + 1];
    ways[0][0] = 1.0;
    for &r in &ranks {
        for c in (1..=k).rev() {
            let (lower, upper) = ways.split_at_mut(c);
            let (from, to) = (&lower[c - 1], &mut upper[0]);
            for s in (r..=max_sum).rev() {
                to[s] += from[s - r];
            }
        }
    }
    let counts = &ways[k];
    let total: f64 = counts.iter().sum();
    // Twice the mean sum: k * (n + 1) in doubled ranks.
    let mean2 = k * (n + 1);
    let distance = |s: usize| s.abs_diff(mean2);
    let far = distance(observed);
    let tail: f64 = counts
        .iter()
        .enumerate()
        .filter(|&(s, _)| distance(s) >= far)
        .map(|(_, c)| c)
        .sum();
    Some((tail / total).min(1.0))
}

/// The exact two-sided p-value, when the samples are small and have no ties.
fn exact_p(x: &[f64], y: &[f64]) -> Option<f64> {
    let cdf = mann_whitney_null(x.len(), y.len())?;
    let mut all: Vec<f64> = x.iter().chain(y).copied().collect();
    all.sort_by(f64::total_cmp);
    if all.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    // U: pairs with the x value above the y value.
    let u = x
        .iter()
        .map(|a| y.iter().filter(|b| a > *b).count())
        .sum::<usize>();
    let lower = cdf[u];
    let upper = 1.0 - if u == 0 { 0.0 } else { cdf[u - 1] };
    Some((2.0 * lower.min(upper)).min(1.0))
}

/// The smallest two-sided p-value samples of `n1` and `n2` values can give (the two
/// not overlapping at all), by the same test [`mann_whitney_p`] runs on such samples.
pub fn smallest_mann_whitney_p(n1: usize, n2: usize) -> f64 {
    let x: Vec<f64> = (0..n1).map(|i| i as f64).collect();
    let y: Vec<f64> = (0..n2).map(|i| (n1 + i) as f64).collect();
    mann_whitney_p(&x, &y)
}

/// The Hodges-Lehmann shift of `x` against `y` (the median of every difference x_i -
/// y_j) and its distribution-free interval from the Mann-Whitney null distribution:
/// `(shift, low, high, level)`. The interval runs from the (C+1)-th smallest to the
/// (C+1)-th largest difference, with C the largest count such that P(U <= C) <= 2.5%
/// (exact up to [`EXACT_LIMIT`] values a side, the normal approximation beyond), so its
/// coverage is at least 95% when the two samples differ by a shift; `level` is that
/// coverage. Samples too small for any 95% interval give the widest one, from the
/// smallest to the largest difference, with its real, lower level. `None` when a side
/// is empty.
pub fn hodges_lehmann_interval(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64, f64)> {
    hodges_lehmann_interval_at(x, y, 0.95)
}

/// As [`hodges_lehmann_interval`], at confidence `level`.
pub fn hodges_lehmann_interval_at(
    x: &[f64],
    y: &[f64],
    level: f64,
) -> Option<(f64, f64, f64, f64)> {
    if x.is_empty() || y.is_empty() || !x.iter().chain(y).all(|v| v.is_finite()) {
        return None;
    }
    let (mut x, mut y) = (x.to_vec(), y.to_vec());
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let total = x.len() * y.len();
    let (k, level) = shift_rank(x.len(), y.len(), level);
    let middle = kth_difference(&x, &y, (total - 1) / 2);
    let shift = if total % 2 == 1 {
        middle
    } else {
        (middle + kth_difference(&x, &y, total / 2)) / 2.0
    };
    Some((
        shift,
        kth_difference(&x, &y, k),
        kth_difference(&x, &y, total - 1 - k),
        level,
    ))
}

/// The `k`-th smallest (0-based) of the differences `x_i - y_j` of two sorted, finite
/// samples, without forming them: a bisection over the doubles themselves (in the
/// order of their bit patterns, so it ends on the exact difference after at most 64
/// counts of O(n + m) each). Memory stays that of the samples, whatever their sizes.
fn kth_difference(x: &[f64], y: &[f64], k: usize) -> f64 {
    // Doubles as integers in the same order: negative ones have their magnitude bits
    // flipped. The map is its own inverse.
    let key = |f: f64| -> i64 {
        let b = f.to_bits() as i64;
        b ^ (((b >> 63) as u64) >> 1) as i64
    };
    let double = |k: i64| -> f64 { f64::from_bits((k ^ (((k >> 63) as u64) >> 1) as i64) as u64) };
    let (mut lo, mut hi) = (key(x[0] - y[y.len() - 1]), key(x[x.len() - 1] - y[0]));
    if differences_at_most(x, y, double(lo)) > k {
        return double(lo);
    }
    // Invariant: at most k differences are <= double(lo), more than k are <= double(hi).
    while i128::from(hi) - i128::from(lo) > 1 {
        let mid = ((i128::from(lo) + i128::from(hi)) / 2) as i64;
        if differences_at_most(x, y, double(mid)) > k {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    double(hi)
}

/// How many differences `x_i - y_j` of two sorted samples are at most `t`: for each
/// `x_i` the differences above `t` are those with the smallest `y_j`, a prefix that
/// only grows with `i`.
fn differences_at_most(x: &[f64], y: &[f64], t: f64) -> usize {
    let mut above = 0;
    let mut count = 0;
    for &a in x {
        while above < y.len() && a - y[above] > t {
            above += 1;
        }
        count += y.len() - above;
    }
    count
}

/// The 0-based rank of the interval's lower end among the sorted differences (the
/// upper end is as far from the top) and the interval's coverage, for samples of `n`
/// and `m`. The interval from the k-th smallest to the k-th largest difference covers
/// the shift with probability 1 - 2 P(U <= k - 1); k is the largest with that at least
/// `level`, or 1 (the whole range) when no k is.
fn shift_rank(n: usize, m: usize, level: f64) -> (usize, f64) {
    let total = n * m;
    let tail = (1.0 - level) / 2.0;
    if let Some(cdf) = mann_whitney_null(n, m) {
        let k = cdf.iter().take_while(|&&p| p <= tail).count().max(1);
        return (k - 1, (1.0 - 2.0 * cdf[k - 1]).max(0.0));
    }
    let mean = total as f64 / 2.0;
    let sd = (total as f64 * (n + m + 1) as f64 / 12.0).sqrt();
    let z = normal_quantile(1.0 - tail);
    let k = ((mean - z * sd + 0.5).floor().max(1.0) as usize).min(total.div_ceil(2));
    let level = 1.0 - 2.0 * normal_cdf((k as f64 - 0.5 - mean) / sd);
    (k - 1, level)
}

/// The shift of `x` against `y` within strata, combined: each stratum is a pair of
/// samples (the case's and the reference's samples taken in one of the machine's speed
/// states), and the shift is the one at which van Elteren's stratified rank statistic
/// is zero: the sum over strata of (U_s - n_s m_s / 2) / (n_s + m_s + 1), U_s counting
/// the pairs of stratum s whose difference exceeds the shift. Its interval is where
/// that statistic stays within the normal quantile of `level` times its standard
/// deviation. Strata with one side empty are left out; with one stratum left it is the
/// Hodges-Lehmann interval ([`hodges_lehmann_interval_at`]). `(shift, low, high,
/// level)`; the level is the nominal one when every side holds at least 6 values in all
/// and otherwise what the exact interval of the pooled sizes would reach, stated.
pub fn stratified_shift_interval(
    strata: &[(Vec<f64>, Vec<f64>)],
    level: f64,
) -> Option<(f64, f64, f64, f64)> {
    let strata: Vec<(Vec<f64>, Vec<f64>)> = strata
        .iter()
        .filter(|(x, y)| !x.is_empty() && !y.is_empty())
        .map(|(x, y)| {
            let (mut x, mut y) = (x.clone(), y.clone());
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            (x, y)
        })
        .collect();
    match strata.len() {
        0 => return None,
        1 => return hodges_lehmann_interval_at(&strata[0].0, &strata[0].1, level),
        _ => {}
    }
    // The statistic at shift d, centred: decreasing in d.
    let statistic = |d: f64| -> f64 {
        strata
            .iter()
            .map(|(x, y)| {
                let (n, m) = (x.len() as f64, y.len() as f64);
                // Pairs with x_i - d > y_j, ties counted half.
                let mut u = 0.0;
                for &a in x {
                    let below = y.partition_point(|&b| b < a - d);
                    let equal = y[below..].partition_point(|&b| b <= a - d);
                    u += below as f64 + 0.5 * equal as f64;
                }
                (u - n * m / 2.0) / (n + m + 1.0)
            })
            .sum()
    };
    let sd = strata
        .iter()
        .map(|(x, y)| {
            let (n, m) = (x.len() as f64, y.len() as f64);
            n * m / (12.0 * (n + m + 1.0))
        })
        .sum::<f64>()
        .sqrt();
    let (lo_bound, hi_bound) =
        strata
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |acc, (x, y)| {
                (
                    acc.0.min(x[0] - y[y.len() - 1]),
                    acc.1.max(x[x.len() - 1] - y[0]),
                )
            });
    // The d at which the statistic (a step function) falls through `target`, by
    // bisection: the first d where it is no longer above (`strict`) or below it.
    let solve_edge = |target: f64, strict: bool| -> f64 {
        let (mut a, mut b) = (lo_bound - 1e-9, hi_bound + 1e-9);
        for _ in 0..80 {
            let mid = (a + b) / 2.0;
            let v = statistic(mid);
            if v > target || (!strict && v == target) {
                a = mid;
            } else {
                b = mid;
            }
        }
        (a + b) / 2.0
    };
    // Where the statistic sits at the target over a stretch, its middle (the
    // Hodges-Lehmann estimate's convention between two middle differences).
    let solve = |target: f64| (solve_edge(target, true) + solve_edge(target, false)) / 2.0;
    let (n, m): (usize, usize) = strata
        .iter()
        .fold((0, 0), |acc, (x, y)| (acc.0 + x.len(), acc.1 + y.len()));
    // What the exact interval of the pooled sizes reaches at this level: below 95%
    // with too few values, and then this interval claims no more.
    let reached = shift_rank(n, m, level).1.min(level);
    let z = normal_quantile(0.5 + reached / 2.0);
    Some((solve(0.0), solve(z * sd), solve(-z * sd), reached))
}

/// The difference of the medians of `x` and `y` with an interval from their own
/// order-statistics intervals (each read as a normal interval, the two combined):
/// `(shift, low, high, level)`; `level` is the lower of the two medians' levels.
pub fn median_shift_interval(x: &[f64], y: &[f64], level: f64) -> Option<(f64, f64, f64, f64)> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let z_level = normal_quantile(0.5 + level / 2.0);
    let half = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let (lo, hi, level) = super::univariate::median_ci_ranks_at(s.len(), level);
        let z = normal_quantile(0.5 + level.min(0.999_999) / 2.0);
        let se = if z > 0.0 {
            (s[hi] - s[lo]) / (2.0 * z)
        } else {
            f64::INFINITY
        };
        (super::univariate::quantile_sorted(&s, 0.5), se, level)
    };
    let ((mx, sx, lx), (my, sy, ly)) = (half(x), half(y));
    let shift = mx - my;
    let se = (sx * sx + sy * sy).sqrt();
    Some((
        shift,
        shift - z_level * se,
        shift + z_level * se,
        lx.min(ly),
    ))
}

/// Two-sided p-value of the Mann-Whitney U test by the normal approximation with tie
/// and continuity corrections.
fn mann_whitney_normal_p(x: &[f64], y: &[f64]) -> f64 {
    let (n1, n2) = (x.len(), y.len());
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = all.len();
    // Average ranks over ties; collect tie sizes for the variance correction.
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0; // ranks i+1 ..= j
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        rank_sum_x += all[i..j].iter().filter(|e| e.1).count() as f64 * avg_rank;
        i = j;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
    let mean = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    (2.0 * normal_sf(z)).min(1.0)
}

/// Benjamini-Hochberg adjusted p-values (q-values), in input order: controls the false
/// discovery rate when one comparison tests dozens of cases at once.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// The standard normal distribution (statrs).
fn standard_normal() -> statrs::distribution::Normal {
    statrs::distribution::Normal::standard()
}

/// Upper tail of the standard normal distribution, P(Z > z).
pub fn normal_sf(z: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    standard_normal().sf(z)
}

/// The standard normal distribution function, P(Z <= z).
pub fn normal_cdf(z: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    standard_normal().cdf(z)
}

/// The standard normal quantile: the z with P(Z <= z) = p (minus and plus infinity at
/// 0 and 1).
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::ContinuousCDF;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    standard_normal().inverse_cdf(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tails_and_quantiles_are_the_tables_ones() {
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-12);
        assert!((normal_sf(1.959_964) - 0.025).abs() < 1e-7);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-8);
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-6);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn mann_whitney_separates_shifted_sets_and_not_identical_ones() {
        let a: Vec<f64> = (0..15).map(|i| 100.0 + f64::from(i)).collect();
        let shifted: Vec<f64> = a.iter().map(|x| x * 1.2).collect();
        assert!(mann_whitney_p(&a, &shifted) < 0.001);
        assert!((mann_whitney_p(&a, &a) - 1.0).abs() < 1e-9);
        // Completely separated sets of 5: exact p = 2/252 = 0.0079; the approximation
        // is close.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [6.0, 7.0, 8.0, 9.0, 10.0];
        let p = mann_whitney_p(&x, &y);
        assert!(p > 0.005 && p < 0.02, "{p}");
    }

    /// Every way of splitting ranks 0..n1+n2 into the two samples, with its U.
    fn brute_force_null(n1: usize, n2: usize) -> Vec<f64> {
        let n = n1 + n2;
        let mut counts = vec![0u64; n1 * n2 + 1];
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize != n1 {
                continue;
            }
            // U: pairs (x, y) with x's rank above y's.
            let mut u = 0;
            for i in 0..n {
                for j in 0..n {
                    if mask & (1 << i) != 0 && mask & (1 << j) == 0 && i > j {
                        u += 1;
                    }
                }
            }
            counts[u] += 1;
        }
        let total: u64 = counts.iter().sum();
        let mut running = 0;
        counts
            .iter()
            .map(|c| {
                running += c;
                running as f64 / total as f64
            })
            .collect()
    }

    #[test]
    fn the_exact_null_distribution_agrees_with_brute_force_enumeration() {
        for (n1, n2) in [
            (1, 1),
            (2, 3),
            (3, 2),
            (4, 4),
            (5, 5),
            (3, 7),
            (6, 8),
            (8, 8),
        ] {
            let exact = mann_whitney_null(n1, n2).unwrap();
            let brute = brute_force_null(n1, n2);
            assert_eq!(exact.len(), brute.len(), "{n1} vs {n2}");
            for (a, b) in exact.iter().zip(&brute) {
                assert!(
                    (a - b).abs() < 1e-12,
                    "{n1} vs {n2}: {exact:?} against {brute:?}"
                );
            }
        }
        assert!(mann_whitney_null(EXACT_LIMIT + 1, 3).is_none());
    }

    #[test]
    fn complete_separation_gets_its_exact_p_value() {
        // 2 / C(2n, n): the figures.
        for (n, exact) in [(5, 2.0 / 252.0), (8, 2.0 / 12870.0), (10, 2.0 / 184_756.0)] {
            let x: Vec<f64> = (0..n).map(f64::from).collect();
            let y: Vec<f64> = (0..n).map(|i| f64::from(n + i)).collect();
            let p = mann_whitney_p(&x, &y);
            assert!((p - exact).abs() < 1e-12, "{n}: {p} vs {exact}");
            assert!((smallest_mann_whitney_p(n as usize, n as usize) - exact).abs() < 1e-12);
        }
        // With ties, the exact permutation distribution: 2 of the 20 ways of choosing
        // three of the six values are as far from the middle.
        let p = mann_whitney_p(&[1.0, 1.0, 2.0], &[3.0, 4.0, 4.0]);
        assert!((p - 2.0 / 20.0).abs() < 1e-12, "{p}");
        // Without ties it agrees with the null distribution of U.
        let (x, y) = ([1.0, 4.0, 5.0, 9.0], [2.0, 3.0, 6.0, 7.0, 8.0]);
        assert!((tied_exact_p(&x, &y).unwrap() - exact_p(&x, &y).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn normal_quantiles() {
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.5)).abs() < 1e-12);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-5);
        for p in [0.01, 0.2, 0.7, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "{p}");
        }
    }

    #[test]
    fn hodges_lehmann_interval_levels_and_coverage() {
        // 5 against 5: the 3rd smallest to the 3rd largest of 25 differences (exact
        // coverage 1 - 2 x 4/252).
        let (_, _, _, level) = hodges_lehmann_interval(&[0.0; 5], &[0.0; 5]).unwrap();
        assert!((level - (1.0 - 8.0 / 252.0)).abs() < 1e-12, "{level}");
        // 2 against 2 cannot reach 95%: the whole range, with its real level.
        let (_, lo, hi, level) = hodges_lehmann_interval(&[1.0, 2.0], &[0.0, 0.5]).unwrap();
        assert_eq!((lo, hi), (0.5, 2.0));
        assert!((level - (1.0 - 2.0 / 6.0)).abs() < 1e-12);
        // The normal approximation beyond the exact tables: still at least 95%.
        let x: Vec<f64> = (0..70).map(f64::from).collect();
        let y: Vec<f64> = (0..90).map(|i| f64::from(i) * 0.9).collect();
        let (_, lo, hi, level) = hodges_lehmann_interval(&x, &y).unwrap();
        assert!((0.95..0.96).contains(&level), "{level}");
        assert!(lo < hi);
    }

    #[test]
    fn the_kth_difference_is_the_sorted_differences_kth() {
        // Ties, negatives, a zero of either sign and uneven sizes: every rank agrees
        // with sorting all the differences.
        let x = [-3.5, -0.0, 0.0, 1.25, 1.25, 7.0, 1e-300];
        let y = [2.0, -1.0, 1.25, 0.0, -7.5];
        let (mut xs, mut ys) = (x.to_vec(), y.to_vec());
        xs.sort_by(f64::total_cmp);
        ys.sort_by(f64::total_cmp);
        let mut all: Vec<f64> = xs
            .iter()
            .flat_map(|a| ys.iter().map(move |b| a - b))
            .collect();
        all.sort_by(f64::total_cmp);
        for (k, want) in all.iter().enumerate() {
            let got = kth_difference(&xs, &ys, k);
            assert!(got == *want, "rank {k}: {got} against {want}");
        }
        // And the interval's ends and estimate are those of the sorted differences.
        let (shift, lo, hi, _) = hodges_lehmann_interval(&x, &y).unwrap();
        let (k, _) = shift_rank(x.len(), y.len(), 0.95);
        assert_eq!((lo, hi), (all[k], all[all.len() - 1 - k]));
        assert_eq!(shift, super::super::univariate::quantile_sorted(&all, 0.5));
        assert!(hodges_lehmann_interval(&[1.0, f64::NAN], &[0.0]).is_none());
    }

    #[test]
    fn a_hodges_lehmann_interval_of_100000_samples_a_side_is_computed() {
        // 10^10 differences: forming them would need 80 GB.
        let x: Vec<f64> = (0..100_000).map(|i| f64::from(i % 977) + 10.0).collect();
        let y: Vec<f64> = (0..100_000).map(|i| f64::from(i % 977)).collect();
        let (shift, lo, hi, level) = hodges_lehmann_interval(&x, &y).unwrap();
        assert_eq!(shift, 10.0);
        assert!(lo <= 10.0 && 10.0 <= hi && hi - lo < 10.0, "{lo} {hi}");
        assert!(level >= 0.95);
    }

    #[test]
    fn a_stratified_shift_combines_the_strata_and_one_stratum_is_hodges_lehmann() {
        // Two strata, the second shifted as a whole (a slow state): the shift within
        // each is 0.2, whatever the strata's levels.
        let x1: Vec<f64> = (0..20).map(|i| f64::from(i) * 0.01 + 0.2).collect();
        let y1: Vec<f64> = (0..30).map(|i| f64::from(i) * 0.007).collect();
        let x2: Vec<f64> = x1.iter().map(|v| v + 5.0).collect();
        let y2: Vec<f64> = y1.iter().map(|v| v + 5.0).collect();
        let (shift, lo, hi, level) =
            stratified_shift_interval(&[(x1.clone(), y1.clone()), (x2, y2)], 0.95).unwrap();
        let (one, _, _, _) = hodges_lehmann_interval(&x1, &y1).unwrap();
        assert!((shift - one).abs() < 1e-3, "{shift} vs {one}");
        assert!(
            lo < shift && shift < hi && level >= 0.95,
            "{lo} {hi} {level}"
        );
        // Pooled without strata, the states would swamp the shift.
        let only =
            stratified_shift_interval(&[(x1.clone(), y1.clone()), (vec![], vec![1.0])], 0.95)
                .unwrap();
        assert_eq!(only, hodges_lehmann_interval(&x1, &y1).unwrap());
        assert!(stratified_shift_interval(&[(vec![], vec![1.0])], 0.95).is_none());
        // Too few values in all: the level says so.
        let (_, _, _, level) =
            stratified_shift_interval(&[(vec![1.0, 2.0], vec![0.0]), (vec![5.0], vec![4.0])], 0.95)
                .unwrap();
        assert!(level < 0.95, "{level}");
    }

    #[test]
    fn benjamini_hochberg_matches_a_worked_example() {
        let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005]);
        // Sorted: 0.005 (x4/1 = 0.02), 0.01 (x4/2 = 0.02), 0.03 (x4/3 = 0.04), 0.04 (x4/4).
        let expected = [0.02, 0.04, 0.04, 0.02];
        for (a, b) in q.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
        assert!(benjamini_hochberg(&[]).is_empty());
    }
}
