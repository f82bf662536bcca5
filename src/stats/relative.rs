//! A case relative to its reference within one run: the estimators the harness can
//! use, and the one it does ([`DEFAULT`]).
//!
//! Each timed sample carries what is needed to pair it: when it started, and the speed
//! probe's readings taken right before and right after it (a fixed loop of Python
//! arithmetic: how fast the machine ran Python at that moment). On a machine that
//! switches between a fast and a slow state, a sample divided by its own speed reading
//! no longer depends on the state it fell in; the reference's samples are scheduled
//! every few slots, so every sample also has a reference sample taken moments apart.
//!
//! The estimators were compared on repeated real runs (METHODOLOGY.md, "Choosing the
//! estimator"); every one is kept so that `calibrate --estimators` can repeat that
//! comparison on another machine.

use serde::{Deserialize, Serialize};

use super::two_sample::{hodges_lehmann_interval_at, stratified_shift_interval};
use super::univariate::{median_ci_ranks_at, quantile_sorted};

/// One timed sample, as the estimators see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    /// The measured wall time (any unit; ratios are taken).
    pub value: f64,
    /// The speed probe around the sample: the geometric mean of its readings before
    /// and after, same unit for every sample of a run; `None` when not measured.
    pub speed: Option<f64>,
    /// When the sample started (any monotonic unit; microseconds in results), or its
    /// position in the run's order for files without start times.
    pub at: f64,
    /// Round of the interleaved schedule.
    pub round: u32,
    /// Whether the speed reading puts the sample in the machine's slow state (see
    /// [`classify`]); false when the machine ran at one speed.
    pub slow: bool,
}

/// Marks every observation whose speed reading lies above `slow_above` (the boundary
/// between a bimodal machine's states, [`super::MachineStates::slow_above_ns`]) as
/// slow; with no boundary, none is.
pub fn classify(obs: &mut [Obs], slow_above: Option<f64>) {
    for o in obs {
        o.slow = match (slow_above, o.speed) {
            (Some(b), Some(s)) => s >= b,
            _ => false,
        };
    }
}

impl Obs {
    /// The sample divided by its speed reading: import time in units of the speed
    /// probe's loop. The raw value when there is no reading.
    pub fn normalised(&self) -> f64 {
        match self.speed {
            Some(s) if s > 0.0 => self.value / s,
            _ => self.value,
        }
    }
}

/// How a case's ratio to its reference is estimated: the estimators results, reports
/// and the gate use, and `round`, which files written before 2026-12-02 name (the
/// estimators only `calibrate --estimators` compares are in `calibrate::research`).
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
    strum::EnumString,
)]
#[strum(serialize_all = "kebab-case")]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// The shift of the logs of the raw samples within each of the machine's speed
    /// states (one when it ran at one speed), combined over the states by van
    /// Elteren's stratified rank statistic: the Hodges-Lehmann shift with a
    /// distribution-free interval (exact from the Mann-Whitney null distribution) on a
    /// machine at one speed; on a machine that switches, a sample is only ever set
    /// against samples of its own state, so the states cancel without a sample being
    /// discarded.
    StateHl,
    /// Median of the ratios of each sample to the reference sample nearest in time
    /// among those that ran in the same speed state (all of them on a machine at one
    /// speed; any, for a state the reference never ran in), with the
    /// order-statistics interval of the median.
    StateNearest,
    /// Median of the ratios of samples taken in the same round (the harness's method
    /// until 2026-12-02): a pair may be a whole round apart.
    Round,
    /// Median of the ratios of each sample to the reference sample nearest in time.
    Nearest,
    /// Hodges-Lehmann shift of the logs of the speed-normalised samples (the median of
    /// every case-over-reference ratio; unpaired; distribution-free interval from the
    /// Mann-Whitney null distribution).
    SpeedHl,
    /// Hodges-Lehmann shift of the logs of the raw samples (unpaired): what is left
    /// when the speed readings do not compare (samples of different machines).
    Hl,
}

/// The estimator of a run's ratios: results, reports and adaptive sampling.
pub const DEFAULT: Estimator = Estimator::StateNearest;

/// The estimator the regression gate (`compare --relative`, `history --relative`,
/// `calibrate`) judges each run's ratio by. At the gate's sample counts (15 a case)
/// pairing by time buys less than it costs: on the quick scenario the unpaired
/// per-state Hodges-Lehmann shift moved 0.04 (sd of log) from run to run against
/// `state-nearest`'s 0.06, and with it the gate's false alarms fell from 6% to 2% of
/// pairs of identical runs and its power at +30% rose from 50-78% to 66-90%
/// (METHODOLOGY.md, "Measured false-alarm rate and power"). Files without speed
/// readings are judged by [`DEFAULT`], which pairs them in time.
pub const GATE: Estimator = Estimator::StateHl;

impl Estimator {
    /// The name used in results and on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether this estimator needs the speed probe's readings (and falls back to
    /// raw values without them).
    pub fn uses_speed(self) -> bool {
        matches!(
            self,
            Estimator::StateHl | Estimator::StateNearest | Estimator::SpeedHl
        )
    }
}

/// A ratio to the reference with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The estimator that gave it (another than the one asked for when that one
    /// falls back: `state-nearest` to `nearest` without speed states to pair in).
    pub estimator: Estimator,
    /// The estimated ratio case / reference.
    pub ratio: f64,
    /// Lower end of its interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Coverage of that interval when its assumptions hold: at least 0.95 once there
    /// are enough samples; below that, the widest interval the samples give and its
    /// real, lower coverage.
    pub level: f64,
    /// Case samples used (pairs, for the paired estimators).
    pub n: u32,
    /// Reference samples used.
    pub m: u32,
}

impl Estimate {
    /// Half the interval's width as a fraction of the ratio.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / (2.0 * self.ratio)
    }

    /// Whether the interval is a real 95% interval.
    pub fn is_95(&self) -> bool {
        self.reaches(0.95)
    }

    /// Whether the interval covers at least `level`.
    pub fn reaches(&self, level: f64) -> bool {
        self.level >= level - 1e-9
    }

    /// The standard error of the log ratio this interval implies (its log half-width
    /// over the normal quantile of its level).
    pub fn log_se(&self) -> f64 {
        let z = super::two_sample::normal_quantile(0.5 + self.level.min(0.999_999) / 2.0);
        if z <= 0.0 || self.low <= 0.0 {
            return f64::INFINITY;
        }
        (self.high / self.low).ln() / (2.0 * z)
    }
}

/// For each case sample, the index of the reference sample nearest to it in time
/// (both sorted by `at`; ties go to the earlier one). Empty when there is no reference
/// sample.
pub fn nearest(case: &[Obs], reference: &[Obs]) -> Vec<usize> {
    if reference.is_empty() {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..reference.len()).collect();
    order.sort_by(|&a, &b| reference[a].at.total_cmp(&reference[b].at));
    case.iter()
        .map(|c| {
            let k = order.partition_point(|&j| reference[j].at < c.at);
            let before = k.checked_sub(1).map(|i| order[i]);
            let after = order.get(k).copied();
            match (before, after) {
                (Some(b), Some(a)) => {
                    if c.at - reference[b].at <= reference[a].at - c.at {
                        b
                    } else {
                        a
                    }
                }
                (Some(b), None) => b,
                (None, Some(a)) => a,
                (None, None) => unreachable!("reference is not empty"),
            }
        })
        .collect()
}

/// Per-pair ratios: each case sample over the reference sample nearest in time, both
/// speed-normalised when `speed`.
pub fn nearest_ratios(case: &[Obs], reference: &[Obs], speed: bool) -> Vec<f64> {
    let value = |o: &Obs| if speed { o.normalised() } else { o.value };
    nearest(case, reference)
        .into_iter()
        .zip(case)
        .filter_map(|(j, c)| {
            let r = value(&reference[j]);
            (r > 0.0).then(|| value(c) / r)
        })
        .collect()
}

/// Per-round ratios: each case sample over the reference's sample of the same round
/// (the one nearest in time when the reference has several).
pub fn round_ratios(case: &[Obs], reference: &[Obs]) -> Vec<f64> {
    let mut out = Vec::new();
    for c in case {
        let best = reference
            .iter()
            .filter(|r| r.round == c.round && r.value > 0.0)
            .min_by(|a, b| (a.at - c.at).abs().total_cmp(&(b.at - c.at).abs()));
        if let Some(r) = best {
            out.push(c.value / r.value);
        }
    }
    out
}

/// The median of per-pair ratios with its distribution-free interval.
///
/// `ratios` come in the order their samples were taken. The order-statistics interval
/// assumes the pairs independent; on a machine whose condition drifts over minutes
/// they are not (the headline ratio of the default scenario moved by 3-6% between the
/// first and second half of a run), and the interval would claim a precision the run
/// does not have. So from [`BATCHED_FROM`] pairs on, the pairs are also cut into
/// consecutive batches, and the interval is widened to at least the batch-means
/// interval: the spread of the batches' median log ratios, over the square root of
/// their number, times Student's t for that many batches less one.
pub fn median_of_ratios(
    estimator: Estimator,
    ratios: &[f64],
    m: usize,
    level: f64,
) -> Option<Estimate> {
    if ratios.is_empty() {
        return None;
    }
    let mut sorted = ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi, reached) = median_ci_ranks_at(sorted.len(), level);
    let ratio = quantile_sorted(&sorted, 0.5);
    let (mut low, mut high) = (sorted[lo], sorted[hi]);
    if let Some(half) = batch_half_width(ratios, level) {
        low = low.min(ratio * (-half).exp());
        high = high.max(ratio * half.exp());
    }
    Some(Estimate {
        estimator,
        ratio,
        low,
        high,
        level: reached,
        n: sorted.len() as u32,
        m: m as u32,
    })
}

/// Pairs from which the interval of a median of pair ratios also accounts for drift
/// over the run (four batches of four).
pub const BATCHED_FROM: usize = 16;

/// The half-width, in logs, of the batch-means interval of chronological `ratios` at
/// `level`: `None` below [`BATCHED_FROM`] pairs.
fn batch_half_width(ratios: &[f64], level: f64) -> Option<f64> {
    let n = ratios.len();
    if n < BATCHED_FROM {
        return None;
    }
    let batches = (n / 4).clamp(4, 10);
    let medians: Vec<f64> = (0..batches)
        .map(|b| {
            let chunk = &ratios[b * n / batches..(b + 1) * n / batches];
            let mut logs: Vec<f64> = chunk.iter().filter(|r| **r > 0.0).map(|r| r.ln()).collect();
            logs.sort_by(f64::total_cmp);
            quantile_sorted(&logs, 0.5)
        })
        .collect();
    let k = medians.len() as f64;
    let mean = medians.iter().sum::<f64>() / k;
    let sd = (medians.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt();
    Some(student_t(0.5 + level / 2.0, k - 1.0) * sd / k.sqrt())
}

/// Student's t quantile at probability `p` (above 0.5) for `df` degrees of freedom
/// (at least 1), by statrs.
pub fn student_t(p: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df.max(1.0))
        .expect("a finite location, a unit scale and positive degrees of freedom")
        .inverse_cdf(p)
}

/// `case` relative to `reference` by `estimator`, with a 95% interval: `None` when
/// either is empty.
pub fn estimate(estimator: Estimator, case: &[Obs], reference: &[Obs]) -> Option<Estimate> {
    estimate_at(estimator, case, reference, 0.95)
}

/// As [`estimate`], with an interval at confidence `level`.
pub fn estimate_at(
    estimator: Estimator,
    case: &[Obs],
    reference: &[Obs],
    level: f64,
) -> Option<Estimate> {
    if case.is_empty() || reference.is_empty() {
        return None;
    }
    match estimator {
        Estimator::Round => median_of_ratios(
            estimator,
            &round_ratios(case, reference),
            reference.len(),
            level,
        ),
        Estimator::StateNearest => state_nearest(case, reference, level),
        Estimator::Nearest => median_of_ratios(
            estimator,
            &nearest_ratios(case, reference, false),
            reference.len(),
            level,
        ),
        Estimator::SpeedHl => {
            let (x, y) = (logs(case, true), logs(reference, true));
            let (shift, low, high, level) = hodges_lehmann_interval_at(&x, &y, level)?;
            Some(from_logs(
                estimator,
                (shift, low, high, level),
                x.len(),
                y.len(),
            ))
        }
        Estimator::StateHl => state_hl(case, reference, level),
        Estimator::Hl => {
            let (x, y) = (logs(case, false), logs(reference, false));
            let (shift, low, high, level) = hodges_lehmann_interval_at(&x, &y, level)?;
            Some(from_logs(
                estimator,
                (shift, low, high, level),
                x.len(),
                y.len(),
            ))
        }
    }
}

/// The observations taken in one speed state.
pub fn in_state(xs: &[Obs], slow: bool) -> Vec<Obs> {
    xs.iter().filter(|o| o.slow == slow).copied().collect()
}

/// Logs of the observations' values (speed-normalised with `speed`), positive ones only.
pub fn logs(xs: &[Obs], speed: bool) -> Vec<f64> {
    xs.iter()
        .map(|o| if speed { o.normalised() } else { o.value })
        .filter(|v| *v > 0.0)
        .map(f64::ln)
        .collect()
}

/// [`Estimator::StateNearest`]: each case sample over the reference sample nearest in
/// time in its speed state, the median of those ratios.
fn state_nearest(case: &[Obs], reference: &[Obs], level: f64) -> Option<Estimate> {
    let mut timed: Vec<(f64, f64)> = Vec::new();
    for slow in [false, true] {
        // A state the reference never ran in: its case samples pair with the nearest
        // reference sample of any state rather than not at all.
        let partners = match in_state(reference, slow) {
            same if same.is_empty() => reference.to_vec(),
            same => same,
        };
        let mine = in_state(case, slow);
        let ratios = nearest_ratios(&mine, &partners, false);
        timed.extend(mine.iter().map(|o| o.at).zip(ratios));
    }
    // Back in the order the samples were taken.
    timed.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ratios: Vec<f64> = timed.into_iter().map(|t| t.1).collect();
    if ratios.is_empty() {
        return estimate_at(Estimator::Nearest, case, reference, level);
    }
    median_of_ratios(Estimator::StateNearest, &ratios, reference.len(), level)
}

/// [`Estimator::StateHl`]: the Hodges-Lehmann shift within each speed state, combined.
fn state_hl(case: &[Obs], reference: &[Obs], level: f64) -> Option<Estimate> {
    let strata: Vec<(Vec<f64>, Vec<f64>)> = [false, true]
        .iter()
        .map(|&slow| {
            (
                logs(&in_state(case, slow), false),
                logs(&in_state(reference, slow), false),
            )
        })
        .collect();
    if strata.iter().all(|(x, y)| x.is_empty() || y.is_empty()) {
        return estimate_at(Estimator::SpeedHl, case, reference, level);
    }
    let (shift, low, high, level) = stratified_shift_interval(&strata, level)?;
    let (n, m) = strata
        .iter()
        .filter(|(x, y)| !x.is_empty() && !y.is_empty())
        .fold((0, 0), |acc, (x, y)| (acc.0 + x.len(), acc.1 + y.len()));
    Some(from_logs(
        Estimator::StateHl,
        (shift, low, high, level),
        n,
        m,
    ))
}

pub fn from_logs(
    estimator: Estimator,
    (shift, low, high, level): (f64, f64, f64, f64),
    n: usize,
    m: usize,
) -> Estimate {
    Estimate {
        estimator,
        ratio: shift.exp(),
        low: low.exp(),
        high: high.exp(),
        level,
        n: n as u32,
        m: m as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(values: &[(f64, f64, f64)]) -> Vec<Obs> {
        values
            .iter()
            .enumerate()
            .map(|(i, &(value, speed, at))| Obs {
                value,
                speed: Some(speed),
                at,
                round: i as u32,
                slow: false,
            })
            .collect()
    }

    #[test]
    fn nearest_takes_the_closest_reference_sample_in_time() {
        let reference = obs(&[(1.0, 1.0, 10.0), (1.0, 1.0, 0.0), (1.0, 1.0, 20.0)]);
        let case = obs(&[
            (1.0, 1.0, 1.0),
            (1.0, 1.0, 5.0),
            (1.0, 1.0, 14.0),
            (1.0, 1.0, 99.0),
        ]);
        // Index 1 is at 0, index 0 at 10, index 2 at 20; a tie goes to the earlier.
        assert_eq!(nearest(&case, &reference), vec![1, 1, 0, 2]);
        assert!(nearest(&case, &[]).is_empty());
    }

    #[test]
    fn speed_normalisation_cancels_a_machine_that_switches_states() {
        // The case costs 1.2x the reference; half the samples of each ran in a state
        // 1.5x slower, which the speed readings show.
        let mut case = Vec::new();
        let mut reference = Vec::new();
        for i in 0..40 {
            let slow = if (i / 3) % 2 == 0 { 1.0 } else { 1.5 };
            let other = if (i / 2) % 2 == 0 { 1.0 } else { 1.5 };
            let at = f64::from(i);
            case.push(Obs {
                value: 120.0 * slow,
                speed: Some(2.0 * slow),
                at,
                round: i,
                slow: false,
            });
            reference.push(Obs {
                value: 100.0 * other,
                speed: Some(2.0 * other),
                at: at + 0.5,
                round: i,
                slow: false,
            });
        }
        let x = estimate(Estimator::SpeedHl, &case, &reference).unwrap();
        assert!((x.ratio - 1.2).abs() < 1e-9, "{x:?}");
        assert!(x.is_95(), "{x:?}");
        // Raw pairs are thrown by the states: some are 0.8x, some 1.8x.
        let raw = nearest_ratios(&case, &reference, false);
        assert!(raw.iter().any(|r| (r - 1.8).abs() < 1e-9));
        assert!(raw.iter().any(|r| (r - 0.8).abs() < 1e-9));
    }

    #[test]
    fn without_speed_readings_the_raw_values_are_used() {
        let mut case = obs(&[(12.0, 0.0, 0.0), (12.0, 0.0, 1.0)]);
        for o in &mut case {
            o.speed = None;
        }
        let reference = vec![Obs {
            value: 10.0,
            speed: None,
            at: 0.0,
            round: 0,
            slow: false,
        }];
        let x = estimate(Estimator::SpeedHl, &case, &reference).unwrap();
        assert!((x.ratio - 1.2).abs() < 1e-9);
        assert!(!x.is_95(), "two against one cannot give a 95% interval");
    }

    #[test]
    fn student_t_quantiles_match_the_tables() {
        for (df, want) in [
            (1.0, 12.706),
            (2.0, 4.303),
            (3.0, 3.182),
            (5.0, 2.571),
            (9.0, 2.262),
            (30.0, 2.042),
        ] {
            let t = student_t(0.975, df);
            assert!((t / want - 1.0).abs() < 0.001, "df {df}: {t} vs {want}");
        }
        assert!((student_t(0.99, 4.0) / 3.747 - 1.0).abs() < 0.001);
    }

    #[test]
    fn a_ratio_that_drifts_over_the_run_gets_a_wider_interval() {
        // The same spread of pair ratios, once shuffled through the run and once drifting
        // from 1.1 to 1.3: the drifting run cannot claim the shuffled run's precision.
        let drifting: Vec<f64> = (0..40).map(|i| 1.1 + 0.2 * f64::from(i) / 39.0).collect();
        let mut shuffled = drifting.clone();
        for i in 0..40 {
            shuffled.swap(i, (i * 17) % 40);
        }
        let e = |r: &[f64]| median_of_ratios(Estimator::Nearest, r, 40, 0.95).unwrap();
        let (d, s) = (e(&drifting), e(&shuffled));
        assert!((d.ratio - s.ratio).abs() < 1e-12);
        assert!(d.half_width() > 1.2 * s.half_width(), "{d:?} {s:?}");
        assert!(d.is_95());
    }

    #[test]
    fn names_round_trip() {
        use std::str::FromStr;
        use strum::VariantArray;
        for e in Estimator::VARIANTS {
            assert_eq!(Estimator::from_str(e.name()).unwrap(), *e);
            let json = serde_json::to_string(e).unwrap();
            assert_eq!(json, format!("\"{}\"", e.name()));
        }
    }
}
