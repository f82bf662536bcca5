//! Adaptive sampling on the real interpreter: with a precision, every case takes at
//! least the minimum and at most the maximum, stops for the reason it records, and the
//! recorded reason follows from the samples in the results by the documented rule (the
//! machine's states found from every sample taken before the decision, the estimator's
//! 99% interval of the case's ratio to the reference, the allowed width), replayed
//! round by round from the results file.

use crate::common::*;
use serde_json::Value;
use zipimport_bench::measure::{STOP_LEVEL, allowed};
use zipimport_bench::stats::relative::{self, Obs};
use zipimport_bench::stats::univariate::tightest;

const MIN: usize = 6;
const MAX: usize = 12;

/// The samples of case `c` as the estimators see them, from the results file.
fn observations(c: &Value) -> Vec<Obs> {
    let list = |k: &str| c[k].as_array().cloned().unwrap_or_default();
    let (wall, rounds, starts, speeds) = (
        list("samples_ns"),
        list("sample_rounds"),
        list("sample_starts_us"),
        list("speed_ns"),
    );
    assert_eq!(starts.len(), wall.len(), "start times recorded");
    assert_eq!(speeds.len(), wall.len(), "speed readings recorded");
    (0..wall.len())
        .map(|i| {
            let sp = speeds[i].as_array().unwrap();
            let (a, b) = (sp[0].as_f64().unwrap(), sp[1].as_f64().unwrap());
            Obs {
                value: wall[i].as_f64().unwrap(),
                speed: Some((a * b).sqrt()),
                at: starts[i].as_f64().unwrap(),
                round: rounds[i].as_u64().unwrap() as u32,
                slow: false,
            }
        })
        .collect()
}

/// The round before which a case of `obs` (in the order taken) last had the samples of
/// the judged count below `n` (at least [`MIN`]): what the rule saw when it last judged
/// it and let it go on. `None` when `n` is the first count judged.
fn judged_before(obs: &[Obs], n: usize) -> Option<u32> {
    let k = (MIN..n).rev().find(|&k| tightest(k))?;
    let mut rounds: Vec<u32> = obs.iter().map(|o| o.round).collect();
    rounds.sort_unstable();
    Some(rounds[k - 1] + 1)
}

/// Whether the rule would stop `case` against `reference` with the samples of rounds
/// before `before`: the machine's states from every sample of `all` taken by then.
fn precise(all: &[Vec<Obs>], case: &[Obs], reference: &[Obs], before: u32, p: f64) -> bool {
    let upto =
        |xs: &[Obs]| -> Vec<Obs> { xs.iter().filter(|o| o.round < before).copied().collect() };
    let mut readings: Vec<(f64, f64)> = all
        .iter()
        .flat_map(|xs| upto(xs))
        .map(|o| (o.at, o.speed.unwrap()))
        .collect();
    readings.sort_by(|a, b| a.0.total_cmp(&b.0));
    let speeds: Vec<f64> = readings.into_iter().map(|r| r.1).collect();
    let boundary = zipimport_bench::stats::machine_states(&speeds).and_then(|m| m.slow_above_ns);
    let (mut c, mut r) = (upto(case), upto(reference));
    relative::classify(&mut c, boundary);
    relative::classify(&mut r, boundary);
    relative::estimate_at(relative::DEFAULT, &c, &r, STOP_LEVEL)
        .is_some_and(|e| e.reaches(STOP_LEVEL) && e.half_width() <= allowed(p, e.ratio))
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
    let cases: Vec<&Value> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "ok")
        .collect();
    let all: Vec<Vec<Obs>> = cases.iter().map(|c| observations(c)).collect();
    for mode in ["cold", "warm"] {
        let reference = case(&r, "dir-pyc", mode);
        let ref_obs = observations(reference);
        let mut last_round = 0;
        for c in cases
            .iter()
            .filter(|c| c["mode"] == mode && c["variant"] != "dir-pyc")
        {
            let id = format!("{} {mode}", c["variant"]);
            let obs = observations(c);
            let n = obs.len();
            assert!((MIN..=MAX).contains(&n), "{id}: {n} samples");
            let last = obs.iter().map(|o| o.round).max().unwrap();
            last_round = last_round.max(last);
            let paired = &c["paired_ratio"];
            let used = paired["rounds"].as_u64().unwrap() as usize;
            assert!(used > 0 && used <= n, "{id}: {used} of {n} samples used");
            assert!(
                paired["level"].as_f64().is_some(),
                "{id}: the interval's level"
            );
            // Every sample has a reference sample nearby, and says which.
            let nearest = c["nearest_reference"].as_array().unwrap();
            assert_eq!(nearest.len(), n, "{id}");
            match c["stopped"].as_str().unwrap() {
                "precision" => {
                    // What the results themselves say, without replaying the rule: the
                    // case is reported in the states its rule judged by and against the
                    // reference samples its rule saw (none of the rounds after it
                    // stopped), so the 95% interval it reports lies inside the 98%
                    // interval the rule stopped on, within the allowed half-width.
                    let (lo, hi, r) = (
                        paired["low"].as_f64().unwrap(),
                        paired["high"].as_f64().unwrap(),
                        paired["median"].as_f64().unwrap(),
                    );
                    assert!(
                        (hi - lo) / (2.0 * r) <= allowed(0.08, r) * (1.0 + 1e-9),
                        "{id}: stopped for precision with [{lo}, {hi}] around {r}"
                    );
                    // Precise enough with its samples so far, at a count whose 95%
                    // interval is the tightest for its count (the only counts the rule
                    // judges), and not at the count judged before it.
                    assert!(tightest(n), "{id}: stopped for precision at {n} samples");
                    assert!(precise(&all, &obs, &ref_obs, last + 1, 0.08), "{id}");
                    if let Some(before) = judged_before(&obs, n) {
                        assert!(
                            !precise(&all, &obs, &ref_obs, before, 0.08),
                            "{id} stopped late"
                        );
                    }
                }
                "samples" => {
                    assert_eq!(n, MAX, "{id}");
                    if let Some(before) = judged_before(&obs, n) {
                        assert!(
                            !precise(&all, &obs, &ref_obs, before, 0.08),
                            "{id} stopped late"
                        );
                    }
                }
                other => panic!("{id} stopped for {other}"),
            }
        }
        // The reference sampled until its last case stopped, more than once a round
        // among them, and said why it stopped.
        let reference_last = ref_obs.iter().map(|o| o.round).max().unwrap();
        assert!(reference_last >= last_round, "dir-pyc {mode}");
        assert!(ref_obs.len() >= MIN, "dir-pyc {mode}");
        assert_eq!(reference["stopped"].as_str(), Some("reference"));
    }
    // Unsupported cases were never sampled and say nothing about stopping.
    assert!(case(&r, "zip-bzip2-pyc", "cold").get("stopped").is_none());
    let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(
        md.contains("adaptive: each case takes at least 6 and at most 12"),
        "{md}"
    );
}

#[test]
fn precision_and_min_samples_are_checked_where_they_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let base = tiny_scenario("p", DIR_AND_ZIP_PYC, "min-samples = 6");
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
        // Below 6 no interval of a ratio reaches 95%.
        ("--min-samples=5", "--min-samples"),
        // Above the samples a case may take, it could never take effect: refused, as
        // `min-samples = 10` beside `samples = 2` in the file would be.
        (
            "--min-samples=10",
            "--min-samples: must be at most the samples a case of r",
        ),
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
    // A minimum for a scenario without a precision to stop at.
    let fixed = write(
        dir.path(),
        "f.toml",
        &tiny_scenario("f", DIR_AND_ZIP_PYC, ""),
    );
    let out = bin()
        .args(["run", "--no-progress", "--min-samples=6", "--out"])
        .arg(dir.path().join("out"))
        .arg(&fixed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("f.toml: --min-samples: applies only with a precision"),
        "{err}"
    );
    assert!(!dir.path().join("out/results.json").exists());
    // The same floor in a scenario file, named with its file and line.
    let low = write(
        dir.path(),
        "m.toml",
        &tiny_scenario("m", DIR_AND_ZIP_PYC, "precision = 5\nmin-samples = 5"),
    );
    let out = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(dir.path().join("out"))
        .arg(&low)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("m.toml:") && err.contains("measure.min-samples"),
        "{err}"
    );
}
