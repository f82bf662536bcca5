//! Whether the machine ran at one speed or switched between two, read from the speed
//! probe's readings (a fixed loop of Python arithmetic timed around every sample).
//!
//! A virtual CPU that a hypervisor shares with other tenants can run in a fast and a
//! slow state (1.5x apart on this project's machine kind, each lasting from a fraction
//! of a second to several seconds). Readings of identical work then form two clusters.
//! A two-component normal mixture on their logs, fitted by expectation-maximisation,
//! finds them; the states count as distinct when both hold a real share of the
//! readings and the clusters barely overlap (Ashman's D of at least 2).

use serde::{Deserialize, Serialize};

/// The speed states a run's readings show.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MachineStates {
    /// Readings (one per sample: the geometric mean of its before and after times).
    pub readings: u32,
    /// Whether the readings form two distinct states.
    pub bimodal: bool,
    /// The fast state's typical reading, ns (the median of all readings when not
    /// bimodal).
    pub fast_ns: f64,
    /// The slow state's typical reading, ns (equal to `fast_ns` when not bimodal).
    pub slow_ns: f64,
    /// Share of the readings in the slow state (0 when not bimodal).
    pub slow_share: f64,
    /// How often consecutive samples (in time) fell in different states, as a share of
    /// the pairs: near 0 when states last long, near 2 x share x (1 - share) when the
    /// state of each sample is independent of the last.
    pub switch_rate: f64,
    /// Standard deviation of the log readings: the spread of the machine's speed.
    pub log_sd: f64,
    /// The reading above which a sample ran in the slow state, ns (where the slow
    /// state becomes the likelier of the two); null when not bimodal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_above_ns: Option<f64>,
}

impl MachineStates {
    /// How many times slower the slow state runs than the fast one.
    pub fn ratio(&self) -> f64 {
        if !self.bimodal {
            return 1.0;
        }
        if self.fast_ns > 0.0 {
            self.slow_ns / self.fast_ns
        } else {
            1.0
        }
    }

    /// One sentence for people: what the machine did.
    pub fn sentence(&self) -> String {
        if self.bimodal {
            format!(
                "The machine switched between two speeds {:.2}x apart: {:.0}% of the samples \
                 ran in the slow state (the speed probe read {:.2} ms fast, {:.2} ms slow; \
                 consecutive samples changed state {:.0}% of the time). Ratios pair each \
                 sample with the reference sample taken nearest to it in the same state; \
                 absolute times mix both states.",
                self.ratio(),
                self.slow_share * 100.0,
                self.fast_ns / 1e6,
                self.slow_ns / 1e6,
                self.switch_rate * 100.0
            )
        } else {
            format!(
                "The machine ran at one speed: the speed probe's readings spread by {:.0}% \
                 (sd of logs) around {:.2} ms.",
                self.log_sd * 100.0,
                self.fast_ns / 1e6
            )
        }
    }
}

/// The least share of readings a state must hold to count.
pub const MIN_SHARE: f64 = 0.05;
/// The least separation (Ashman's D) of two states.
pub const MIN_SEPARATION: f64 = 2.0;
/// The least ratio between the states' speeds.
pub const MIN_RATIO: f64 = 1.10;

/// The states of `readings` (positive values, in time order). `None` below 10
/// readings.
pub fn machine_states(readings: &[f64]) -> Option<MachineStates> {
    let logs: Vec<f64> = readings
        .iter()
        .filter(|v| **v > 0.0)
        .map(|v| v.ln())
        .collect();
    let n = logs.len();
    if n < 10 {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let var = logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let mut sorted = logs.clone();
    sorted.sort_by(f64::total_cmp);
    let median = super::univariate::quantile_sorted(&sorted, 0.5);
    let one = MachineStates {
        readings: n as u32,
        bimodal: false,
        fast_ns: median.exp(),
        slow_ns: median.exp(),
        slow_share: 0.0,
        switch_rate: 0.0,
        log_sd: var.sqrt(),
        slow_above_ns: None,
    };
    let Some(fit) = two_normals(&sorted) else {
        return Some(one);
    };
    let separation =
        std::f64::consts::SQRT_2 * (fit.mu[1] - fit.mu[0]) / (fit.var[0] + fit.var[1]).sqrt();
    let ratio = (fit.mu[1] - fit.mu[0]).exp();
    if fit.weight[0].min(fit.weight[1]) < MIN_SHARE
        || separation < MIN_SEPARATION
        || ratio < MIN_RATIO
    {
        return Some(one);
    }
    // The boundary: the fastest reading above the fast state's centre that is likelier
    // slow; every reading from it up is classed slow (between the two centres the odds
    // rise with the reading).
    let first_slow = sorted
        .iter()
        .copied()
        .filter(|&x| x >= fit.mu[0] && fit.slow_odds(x) > 1.0)
        .fold(f64::INFINITY, f64::min);
    // Midway (on the log scale) between the slowest fast reading and the fastest slow
    // one, so that later readings in the gap are classed by whichever state they are
    // nearer.
    let last_fast = sorted
        .iter()
        .copied()
        .filter(|&x| x < first_slow)
        .fold(f64::NEG_INFINITY, f64::max);
    let boundary = (first_slow + last_fast) / 2.0;
    let slow: Vec<bool> = logs.iter().map(|&x| x >= boundary).collect();
    let in_state = |want: bool| {
        let mut v: Vec<f64> = logs
            .iter()
            .zip(&slow)
            .filter(|(_, s)| **s == want)
            .map(|(x, _)| *x)
            .collect();
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| super::univariate::quantile_sorted(&v, 0.5).exp())
    };
    let (Some(fast_ns), Some(slow_ns)) = (in_state(false), in_state(true)) else {
        return Some(one);
    };
    let switches = slow.windows(2).filter(|w| w[0] != w[1]).count();
    Some(MachineStates {
        bimodal: true,
        fast_ns,
        slow_ns,
        slow_above_ns: Some(boundary.exp()),
        slow_share: slow.iter().filter(|s| **s).count() as f64 / n as f64,
        switch_rate: switches as f64 / (n - 1) as f64,
        ..one
    })
}

/// A fitted mixture of two normal distributions, the first with the smaller mean.
struct Mixture {
    weight: [f64; 2],
    mu: [f64; 2],
    var: [f64; 2],
}

impl Mixture {
    fn density(&self, k: usize, x: f64) -> f64 {
        self.weight[k] * (-(x - self.mu[k]).powi(2) / (2.0 * self.var[k])).exp()
            / (2.0 * std::f64::consts::PI * self.var[k]).sqrt()
    }

    /// How much more likely `x` came from the slow component than the fast one.
    fn slow_odds(&self, x: f64) -> f64 {
        let fast = self.density(0, x);
        if fast > 0.0 {
            self.density(1, x) / fast
        } else {
            f64::INFINITY
        }
    }
}

/// The split of sorted values into a lower and an upper group with the least sum of
/// squares within the groups (exact, from prefix sums): the index of the first value
/// of the upper group.
fn best_split(sorted: &[f64]) -> usize {
    let n = sorted.len();
    let mut prefix = vec![0.0; n + 1];
    let mut prefix_sq = vec![0.0; n + 1];
    for (i, x) in sorted.iter().enumerate() {
        prefix[i + 1] = prefix[i] + x;
        prefix_sq[i + 1] = prefix_sq[i] + x * x;
    }
    let ss = |a: usize, b: usize| {
        let (s, q, k) = (
            prefix[b] - prefix[a],
            prefix_sq[b] - prefix_sq[a],
            (b - a) as f64,
        );
        q - s * s / k
    };
    (1..n)
        .min_by(|&a, &b| (ss(0, a) + ss(a, n)).total_cmp(&(ss(0, b) + ss(b, n))))
        .unwrap_or(1)
}

/// Fits two normals to sorted values by expectation-maximisation, started from the
/// best split into two groups. `None` when the values are all equal.
fn two_normals(sorted: &[f64]) -> Option<Mixture> {
    let n = sorted.len() as f64;
    let q = |p: f64| super::univariate::quantile_sorted(sorted, p);
    let spread = q(0.9) - q(0.1);
    if spread <= 0.0 {
        return None;
    }
    // No component narrower than this: one tight cluster must not take all the weight
    // by shrinking to a point.
    let floor = (spread / 50.0).powi(2).max(1e-12);
    let split = best_split(sorted);
    let group = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        (mean, var.max(floor))
    };
    let ((m0, v0), (m1, v1)) = (group(&sorted[..split]), group(&sorted[split..]));
    let mut m = Mixture {
        weight: [split as f64 / n, 1.0 - split as f64 / n],
        mu: [m0, m1],
        var: [v0, v1],
    };
    for _ in 0..100 {
        let mut sw = [0.0; 2];
        let mut sx = [0.0; 2];
        let mut sxx = [0.0; 2];
        for &x in sorted {
            let (a, b) = (m.density(0, x), m.density(1, x));
            let total = a + b;
            if total <= 0.0 {
                continue;
            }
            for (k, r) in [(0, a / total), (1, b / total)] {
                sw[k] += r;
                sx[k] += r * x;
                sxx[k] += r * x * x;
            }
        }
        if sw[0] < 1e-9 || sw[1] < 1e-9 {
            return None;
        }
        let before = m.mu;
        for k in 0..2 {
            m.weight[k] = sw[k] / n;
            m.mu[k] = sx[k] / sw[k];
            m.var[k] = (sxx[k] / sw[k] - m.mu[k].powi(2)).max(floor);
        }
        if (m.mu[0] - before[0]).abs() + (m.mu[1] - before[1]).abs() < 1e-7 {
            break;
        }
    }
    if m.mu[0] > m.mu[1] {
        m.weight.swap(0, 1);
        m.mu.swap(0, 1);
        m.var.swap(0, 1);
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Readings around `fast` with a small jitter, every `period`-th run of `slow_len`
    /// samples 1.5x slower.
    fn readings(n: usize, slow_every: usize, slow_len: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let jitter = 1.0 + 0.02 * (((i * 7919) % 13) as f64 / 13.0 - 0.5);
                let slow = slow_every > 0 && (i % slow_every) < slow_len;
                2e6 * jitter * if slow { 1.5 } else { 1.0 }
            })
            .collect()
    }

    #[test]
    fn two_states_are_found_with_their_share_and_ratio() {
        let s = machine_states(&readings(200, 10, 3)).unwrap();
        assert!(s.bimodal, "{s:?}");
        assert!((s.ratio() - 1.5).abs() < 0.03, "{s:?}");
        assert!((s.slow_share - 0.3).abs() < 1e-9, "{s:?}");
        // 3 slow then 7 fast: two switches every 10 samples.
        assert!((s.switch_rate - 0.2).abs() < 0.01, "{s:?}");
        assert!(s.sentence().contains("1.50x apart"), "{}", s.sentence());
        let boundary = s.slow_above_ns.unwrap();
        assert!(boundary > 2.05e6 && boundary < 2.95e6, "{boundary}");
    }

    #[test]
    fn one_state_and_rare_outliers_are_not_two_states() {
        let steady = machine_states(&readings(200, 0, 0)).unwrap();
        assert!(!steady.bimodal, "{steady:?}");
        assert!(steady.sentence().contains("one speed"));
        // 2 slow readings in 200: under the least share.
        let rare = machine_states(&readings(200, 100, 1)).unwrap();
        assert!(!rare.bimodal, "{rare:?}");
        assert!(machine_states(&[1.0; 5]).is_none());
        assert!(!machine_states(&[1.0; 50]).unwrap().bimodal);
    }
}
