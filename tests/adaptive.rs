//! Adaptive sampling on the real interpreter: with a precision, every case takes at
//! least the minimum and at most the maximum, stops for the reason it records, and the
//! recorded reason follows from its own samples by the documented rule.

mod common;

use common::*;
use serde_json::Value;

const MIN: usize = 4;
const MAX: usize = 12;

/// Per-round ratios of `c` to `r`, in round order.
fn ratios(c: &Value, r: &Value) -> Vec<f64> {
    let rounds = |x: &Value| -> Vec<(u64, f64)> {
        x["sample_rounds"]
            .as_array()
            .unwrap()
            .iter()
            .zip(x["samples_ns"].as_array().unwrap())
            .map(|(k, v)| (k.as_u64().unwrap(), v.as_f64().unwrap()))
            .collect()
    };
    let reference: std::collections::BTreeMap<u64, f64> = rounds(r).into_iter().collect();
    rounds(c)
        .into_iter()
        .filter_map(|(k, v)| reference.get(&k).map(|x| v / x))
        .collect()
}

/// Relative half-width of the order-statistics 95% interval of the median, and the
/// median (the rule of METHODOLOGY.md, recomputed independently).
fn half_width(values: &[f64]) -> (f64, f64) {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    // Largest j with 1 - 2 P(B <= j) >= 0.95, B ~ Binomial(n, 1/2).
    let mut j = 0;
    let mut below = 0.0;
    let mut choose = 1.0;
    for k in 0..n / 2 {
        if k > 0 {
            choose = choose * (n - k + 1) as f64 / k as f64;
        }
        below += choose / 2f64.powi(n as i32);
        if 1.0 - 2.0 * below >= 0.95 {
            j = k;
        } else {
            break;
        }
    }
    let median = if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    };
    ((s[n - 1 - j] - s[j]) / (2.0 * median), median)
}

fn allowed(precision: f64, ratio: f64) -> f64 {
    precision.max(0.2 * ratio.ln().abs())
}

#[test]
fn every_case_stops_for_the_reason_it_records() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "a.toml",
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/quick.toml"))
            .unwrap()
            .replace("name = \"quick\"", "name = \"adaptive\""),
    );
    let r = run_scenario(
        dir.path(),
        &s,
        &[
            "--precision",
            "8",
            "--min-samples",
            &MIN.to_string(),
            "--samples",
            &MAX.to_string(),
            "--warmup",
            "0",
        ],
    );
    let info = scenario(&r, "adaptive");
    assert_eq!(info["precision"].as_f64(), Some(8.0));
    assert_eq!(info["min_samples"].as_u64(), Some(MIN as u64));
    assert_eq!(info["samples"].as_u64(), Some(MAX as u64));
    for mode in ["cold", "warm"] {
        let reference = case(&r, "dir-pyc", mode);
        let mut longest = 0;
        for c in r["cases"].as_array().unwrap() {
            if c["mode"] != mode || c["status"] != "ok" || c["variant"] == "dir-pyc" {
                continue;
            }
            let id = format!("{} {mode}", c["variant"]);
            let n = c["samples_ns"].as_array().unwrap().len();
            longest = longest.max(n);
            assert!((MIN..=MAX).contains(&n), "{id}: {n} samples");
            let x = ratios(c, reference);
            assert_eq!(x.len(), n, "{id}: every sample has a reference partner");
            let paired = &c["paired_ratio"];
            assert_eq!(paired["rounds"].as_u64(), Some(n as u64), "{id}");
            let (width, median) = half_width(&x);
            assert!((paired["median"].as_f64().unwrap() - median).abs() < 1e-12);
            assert!((c["ratio_to_reference"].as_f64().unwrap() - median).abs() < 1e-12);
            match c["stopped"].as_str().unwrap() {
                "precision" => {
                    // Precise enough now, and not one round earlier (unless it had
                    // just reached the minimum).
                    assert!(width <= allowed(0.08, median) + 1e-12, "{id}: {width}");
                    if n > MIN {
                        let (w, m) = half_width(&x[..n - 1]);
                        assert!(w > allowed(0.08, m), "{id} could have stopped at {}", n - 1);
                    }
                }
                "samples" => {
                    assert_eq!(n, MAX, "{id}");
                    let (w, m) = half_width(&x[..n - 1]);
                    assert!(w > allowed(0.08, m), "{id} could have stopped at {}", n - 1);
                }
                other => panic!("{id} stopped for {other}"),
            }
        }
        // The reference sampled as long as its longest case, and said why it stopped.
        let n = reference["samples_ns"].as_array().unwrap().len();
        assert_eq!(n, longest.max(MIN), "dir-pyc {mode}");
        let why = reference["stopped"].as_str().unwrap();
        assert_eq!(why, if n == MAX { "samples" } else { "reference" });
    }
    // Unsupported cases were never sampled and say nothing about stopping.
    assert!(case(&r, "zip-bzip2-pyc", "cold").get("stopped").is_none());
    let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(md.contains("adaptive: at least 4, at most 12"), "{md}");
}

#[test]
fn precision_and_min_samples_are_checked_where_they_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_scenario("p", DIR_AND_ZIP_PYC, "min-samples = 3");
    let s = write(dir.path(), "p.toml", &base);
    let out = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(dir.path().join("out"))
        .arg(&s)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("measure.min-samples"), "{err}");
    assert!(err.contains("only with `precision`"), "{err}");
    assert!(err.contains("p.toml:"), "{err}");

    let s = write(
        dir.path(),
        "q.toml",
        &tiny_scenario("q", DIR_AND_ZIP_PYC, "precision = 0"),
    );
    let out = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(dir.path().join("out"))
        .arg(&s)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("measure.precision"), "{err}");

    let good = write(
        dir.path(),
        "r.toml",
        &tiny_scenario("r", DIR_AND_ZIP_PYC, "precision = 5"),
    );
    for (flag, says) in [
        ("--precision=-3", "a percentage"),
        ("--precision=abc", "a percentage"),
        ("--precision=500", "from 0.1 to 100"),
        ("--min-samples=1", "--min-samples"),
    ] {
        let out = bin()
            .args(["run", "--no-progress", flag, "--out"])
            .arg(dir.path().join("out"))
            .arg(&good)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag}: {err}");
    }
    assert!(!dir.path().join("out/results.json").exists());
}
