//! `calibrate` on runs whose truth is known: identical runs never alarm and slowdowns
//! far beyond the noise are always found; on simulated runs of known noise, its false
//! alarms stay at the nominal level and its power agrees with what an independent
//! calculation of the same test predicts.

use std::path::Path;

use crate::common::*;
use zipimport_bench::calibrate::{self, Calibration, Method};
use zipimport_bench::compare::CompareOptions;
use zipimport_bench::results::{self, Results};

fn power_at(cal: &Calibration, method: Method, variant: &str, level: f64) -> Option<f64> {
    cal.cases
        .iter()
        .find(|c| c.method == method && c.variant == variant && c.mode == "cold")?
        .power
        .iter()
        .find(|(l, _)| (l - level).abs() < 1e-9)
        .map(|(_, r)| r.rate)
}

#[test]
fn identical_runs_never_alarm_and_large_slowdowns_are_always_found() {
    // One real run of the quick scenario, three times: every pair is the same data.
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reports/recorded/2026-12-03-calibrate-quick/runs/01/results.json");
    let r = results::read(&path).unwrap();
    let runs: Vec<(String, Results)> = ["a", "b", "c"]
        .iter()
        .map(|n| (n.to_string(), r.clone()))
        .collect();
    let cal = calibrate::calibrate(&runs, CompareOptions::default(), &|_, _| {});
    assert_eq!(cal.pairs, 3);
    for f in &cal.false_alarms {
        assert_eq!(f.any.hits, 0, "{:?} flagged identical runs", f.method);
        assert_eq!(f.cannot_judge.hits, 0, "{:?} could not judge", f.method);
    }
    let cases: Vec<&str> = cal
        .cases
        .iter()
        .filter(|c| c.method == Method::Relative && c.note.is_none() && c.mode == "cold")
        .map(|c| c.variant.as_str())
        .collect();
    assert!(cases.len() >= 4, "{cases:?}");
    for v in cases {
        // Below the 5% threshold nothing can be flagged; +50% is several standard
        // errors of a 30-sample case's ratio on this machine: always found.
        assert_eq!(power_at(&cal, Method::Relative, v, 0.02), Some(0.0), "{v}");
        assert_eq!(power_at(&cal, Method::Relative, v, 0.50), Some(1.0), "{v}");
        assert_eq!(
            power_at(&cal, Method::Instructions, v, 0.05),
            Some(1.0),
            "{v}"
        );
        assert_eq!(
            power_at(&cal, Method::Instructions, v, 0.005),
            Some(0.0),
            "{v}"
        );
    }
}

/// A seeded standard normal, independent of the harness's generators.
struct Normal(u64);

impl Normal {
    fn uniform(&mut self) -> f64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// The standard normal cdf (Abramowitz and Stegun 7.1.26 on erf), written here so the
/// prediction shares nothing with the harness's statistics.
fn phi(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

const SD: f64 = 0.15;
const N: usize = 30;
const RUNS: usize = 8;

/// `RUNS` simulated runs of a reference and one case at 1.2x, each sample lognormal
/// with sd `SD` around its mean, no drift between runs, the machine at one speed.
fn simulated_runs() -> Vec<(String, Results)> {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Normal(7);
    (0..RUNS)
        .map(|k| {
            let mut draw = |mean: f64| -> Vec<u64> {
                (0..N)
                    .map(|_| (mean * (SD * rng.next()).exp()) as u64)
                    .collect()
            };
            let r = synthetic_results(
                &format!("2026-01-{:02}T00:00:00Z", k + 1),
                "3.11.7",
                &[
                    ("dir-pyc", "cold", draw(40e6)),
                    ("zip-stored-pyc", "cold", draw(48e6)),
                ],
            );
            let r = with_timing(r, &[vec![1_000_000; N], vec![1_000_000; N]]);
            let path = write_json(dir.path(), &format!("r{k}.json"), &r);
            (format!("r{k}"), results::read(&path).unwrap())
        })
        .collect()
}

#[test]
fn power_and_false_alarms_agree_with_an_independent_calculation() {
    let runs = simulated_runs();
    let cal = calibrate::calibrate(&runs, CompareOptions::default(), &|_, _| {});
    let pairs = RUNS * (RUNS - 1) / 2;
    assert_eq!(cal.pairs, pairs);
    let relative = cal
        .false_alarms
        .iter()
        .find(|f| f.method == Method::Relative)
        .unwrap();
    // Nominal 5% per test; one timed row a pair. Pairs share runs, so allow the
    // binomial spread of 28 pairs and more.
    assert!(
        relative.any.rate <= 0.15,
        "relative false alarms {:?}",
        relative.any
    );
    // The prediction: each run's estimate of the log ratio is a Hodges-Lehmann shift
    // of two sets of N lognormal samples, whose variance is pi/3 sd^2 (2/N); the
    // difference of two runs' estimates has twice that, and the Wald test at 5% with
    // one row flags a slowdown s when it passes 1.96 of its standard errors (and the
    // 5% threshold, which these sizes pass).
    let se = (2.0 * std::f64::consts::PI / 3.0 * SD * SD * 2.0 / N as f64).sqrt();
    for s in [0.10, 0.15, 0.20] {
        let predicted = phi((1.0f64 + s).ln() / se - 1.96);
        let measured = power_at(&cal, Method::Relative, "zip-stored-pyc", s).unwrap();
        eprintln!(
            "+{:.0}%: measured {measured:.2}, predicted {predicted:.2}",
            s * 100.0
        );
        assert!(
            (measured - predicted).abs() <= 0.25,
            "+{:.0}%: measured {measured}, predicted {predicted}",
            s * 100.0
        );
    }
}
