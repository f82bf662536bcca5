//! `compare` verdicts on known sample sets, its exit status as a CI gate, and how it
//! treats cases that cannot be matched.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;

/// `compare BASE CAND --format json EXTRA`, absolute unless `EXTRA` says `--relative`
/// (most of these tests are about the absolute test's verdicts on known samples).
fn compare_json(dir: &std::path::Path, base: &Value, cand: &Value, extra: &[&str]) -> (Value, i32) {
    let b = write_json(dir, "base.json", base);
    let c = write_json(dir, "cand.json", cand);
    let mode: &[&str] = if extra.contains(&"--relative") {
        &[]
    } else {
        &["--absolute"]
    };
    let out = bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["--format", "json"])
        .args(mode)
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    (
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        code,
    )
}

fn verdict<'a>(cmp: &'a Value, variant: &str) -> &'a str {
    cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == variant)
        .unwrap()["verdict"]
        .as_str()
        .unwrap()
}

#[test]
fn identical_data_is_no_change_and_passes_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let r = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 1)),
            ("zip-stored-pyc", "cold", noisy(45e6, 0.1, 15, 2)),
        ],
    );
    let (cmp, code) = compare_json(dir.path(), &r, &r, &["--fail-on-regression"]);
    assert_eq!(code, 0);
    assert_eq!(cmp["regressions"], 0);
    assert_eq!(verdict(&cmp, "dir-pyc"), "no-change");
    assert_eq!(verdict(&cmp, "zip-stored-pyc"), "no-change");
}

#[test]
fn a_twenty_percent_shift_is_a_regression_and_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 1)),
            ("zip-stored-pyc", "cold", noisy(45e6, 0.1, 15, 2)),
            ("zip-deflate6-pyc", "cold", noisy(60e6, 0.1, 15, 3)),
        ],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 4)),
            ("zip-stored-pyc", "cold", noisy(45e6 * 1.2, 0.1, 15, 5)),
            ("zip-deflate6-pyc", "cold", noisy(60e6 * 0.8, 0.1, 15, 6)),
        ],
    );
    let (cmp, code) = compare_json(dir.path(), &base, &cand, &["--fail-on-regression"]);
    assert_eq!(code, 4);
    assert_eq!(verdict(&cmp, "zip-stored-pyc"), "regression");
    assert_eq!(verdict(&cmp, "zip-deflate6-pyc"), "improvement");
    assert_eq!(verdict(&cmp, "dir-pyc"), "no-change");
    let case = cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == "zip-stored-pyc")
        .unwrap();
    let ratio = case["ratio"].as_f64().unwrap();
    assert!((1.1..1.3).contains(&ratio), "{ratio}");
    assert!(case["ratio_ci_low"].as_f64().unwrap() > 1.0);
    assert!(case["p_value"].as_f64().unwrap() < 0.01);
    assert!(case["q_value"].as_f64().unwrap() < 0.05);
    // Without the flag the same comparison reports but does not fail.
    let (_, code) = compare_json(dir.path(), &base, &cand, &[]);
    assert_eq!(code, 0);
}

#[test]
fn noise_within_the_threshold_is_no_change() {
    let dir = tempfile::tempdir().unwrap();
    // Same distribution, different draws, plus a real but small 2% shift.
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.15, 15, 1)),
            ("zip-stored-pyc", "cold", noisy(45e6, 0.15, 15, 2)),
        ],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.15, 15, 7)),
            ("zip-stored-pyc", "cold", noisy(45e6 * 1.02, 0.15, 15, 8)),
        ],
    );
    let (cmp, code) = compare_json(dir.path(), &base, &cand, &["--fail-on-regression"]);
    assert_eq!(code, 0, "{cmp}");
    assert_eq!(verdict(&cmp, "dir-pyc"), "no-change");
    assert_eq!(verdict(&cmp, "zip-stored-pyc"), "no-change");
}

#[test]
fn unmatched_and_incomparable_cases_are_reported_not_matched() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 1)),
            ("zip-deflate1-pyc", "cold", noisy(45e6, 0.1, 15, 2)),
            ("zip-bzip2-pyc", "cold", vec![]),
        ],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 3)),
            ("zip-deflate9-pyc", "cold", noisy(45e6, 0.1, 15, 4)),
            ("zip-bzip2-pyc", "cold", vec![]),
        ],
    );
    let (cmp, code) = compare_json(dir.path(), &base, &cand, &[]);
    assert_eq!(
        code, 0,
        "without --fail-on-regression the comparison only reports"
    );
    let reason = |v: &str| {
        cmp["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["variant"] == v)
            .unwrap()["reason"]
            .clone()
    };
    assert_eq!(verdict(&cmp, "zip-deflate1-pyc"), "cannot-judge");
    assert_eq!(reason("zip-deflate1-pyc"), "only-in-baseline");
    assert_eq!(verdict(&cmp, "zip-deflate9-pyc"), "cannot-judge");
    assert_eq!(reason("zip-deflate9-pyc"), "only-in-candidate");
    // Unsupported on both sides is a steady state, not a hole in the gate.
    assert_eq!(verdict(&cmp, "zip-bzip2-pyc"), "unsupported");
    assert_eq!(cmp["unjudged"], 2);
    let (_, code) = compare_json(dir.path(), &base, &cand, &["--fail-on-regression"]);
    assert_eq!(
        code, 5,
        "rows the gate could not judge fail it with their own status"
    );

    // Another Python: nothing is matched as if it were the same interpreter, and the
    // gate says it could not judge.
    let other = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.13.0",
        &[("dir-pyc", "cold", noisy(60e6, 0.1, 15, 3))],
    );
    let (cmp, code) = compare_json(dir.path(), &base, &other, &["--fail-on-regression"]);
    assert_eq!(code, 5);
    assert_eq!(verdict(&cmp, "dir-pyc"), "cannot-judge");
    assert!(
        cmp["environment_differences"][0]
            .as_str()
            .unwrap()
            .contains("Python differs")
    );
}

#[test]
fn text_and_markdown_formats_read_well() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[("zip-stored-pyc", "cold", noisy(45e6, 0.05, 15, 1))],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[("zip-stored-pyc", "cold", noisy(60e6, 0.05, 15, 2))],
    );
    let b = write_json(dir.path(), "b.json", &base);
    let c = write_json(dir.path(), "c.json", &cand);
    bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .arg("--absolute")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 regression(s), 0 improvement(s), 0 not judged at a 5.0% threshold (Mann-Whitney",
        ))
        .stdout(predicate::str::contains("synthetic/zip-stored-pyc/cold"));
    bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["--format", "markdown", "--absolute"])
        .assert()
        .success()
        .stdout(predicate::str::contains("| case | verdict |"))
        .stdout(predicate::str::contains("❌"));
}

#[test]
fn bad_results_files_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_json(
        dir.path(),
        "good.json",
        &synthetic_results("2026-01-01T00:00:00Z", "3.11.7", &[]),
    );
    let truncated = write(
        dir.path(),
        "truncated.json",
        "{\"schema_version\": 1, \"metad",
    );
    let future = write(dir.path(), "future.json", "{\"schema_version\": 99}");
    let foreign = write(dir.path(), "foreign.json", "{\"name\": \"package.json\"}");
    for (bad, message) in [
        (&truncated, "is not valid JSON"),
        (&future, "has schema_version 99"),
        (&foreign, "not a zipimport-bench results file"),
    ] {
        bin()
            .arg("compare")
            .arg(&good)
            .arg(bad)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("panicked").not());
        bin()
            .arg("report")
            .arg(bad)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(message));
    }
    bin()
        .arg("compare")
        .arg(&good)
        .arg(&good)
        .args(["--threshold", "150"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--threshold"));
}

#[test]
fn relative_comparison_cancels_a_uniformly_slower_machine() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.05, 15, 1)),
            ("zip-stored-pyc", "cold", noisy(45e6, 0.05, 15, 2)),
            ("zip-deflate6-pyc", "cold", noisy(60e6, 0.05, 15, 3)),
        ],
    );
    // The whole machine is 12% slower tonight; zip-deflate6-pyc is also 20% slower
    // for a real reason.
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6 * 1.12, 0.05, 15, 4)),
            ("zip-stored-pyc", "cold", noisy(45e6 * 1.12, 0.05, 15, 5)),
            (
                "zip-deflate6-pyc",
                "cold",
                noisy(60e6 * 1.12 * 1.2, 0.05, 15, 6),
            ),
        ],
    );
    // As real runs write them: start times and speed readings (the machine at one
    // speed within each run, 12% slower in the candidate's), so the gate's estimator
    // judges them.
    let flat = |v: u64| vec![vec![v; 15]; 3];
    let base = with_timing(base, &flat(1_000_000));
    let cand = with_timing(cand, &flat(1_120_000));
    let (plain, _) = compare_json(dir.path(), &base, &cand, &[]);
    assert_eq!(verdict(&plain, "zip-stored-pyc"), "regression");
    assert_eq!(verdict(&plain, "dir-pyc"), "regression");
    let (rel, code) = compare_json(
        dir.path(),
        &base,
        &cand,
        &["--relative", "--fail-on-regression"],
    );
    assert_eq!(code, 4);
    assert_eq!(rel["relative"], true);
    assert_eq!(verdict(&rel, "dir-pyc"), "reference");
    assert_eq!(verdict(&rel, "zip-stored-pyc"), "no-change");
    assert_eq!(verdict(&rel, "zip-deflate6-pyc"), "regression");
}

/// `n` samples of a case at `center` on a two-state machine: each slowed by its round's
/// state (`slow` times), with a small independent jitter.
fn on_machine(center: f64, states: &[bool], slow: f64, phase: u64) -> Vec<u64> {
    let jitter = noisy(1.0e6, 0.03, states.len(), phase);
    states
        .iter()
        .zip(jitter)
        .map(|(s, j)| (center * if *s { slow } else { 1.0 } * j as f64 / 1.0e6) as u64)
        .collect()
}

#[test]
fn relative_judging_cancels_a_machine_that_switches_speed() {
    // The machine switches between a fast and a slow state 1.5x apart, as this
    // project's does, in a different mix of rounds on each night; the speed probe
    // sees the state. zip-stored-pyc really is 12% slower against the directory in
    // the candidate.
    let dir = tempfile::tempdir().unwrap();
    let (sb, rb) = two_state(15, 0.3, 1.5, 11);
    let (sc, rc) = two_state(15, 0.7, 1.5, 12);
    let base = with_timing(
        synthetic_results(
            "2026-01-01T00:00:00Z",
            "3.11.7",
            &[
                ("dir-pyc", "cold", on_machine(40e6, &sb, 1.5, 1)),
                ("zip-stored-pyc", "cold", on_machine(46e6, &sb, 1.5, 2)),
            ],
        ),
        &[rb.clone(), rb],
    );
    let cand = with_timing(
        synthetic_results(
            "2026-01-02T00:00:00Z",
            "3.11.7",
            &[
                ("dir-pyc", "cold", on_machine(40e6, &sc, 1.5, 3)),
                (
                    "zip-stored-pyc",
                    "cold",
                    on_machine(46e6 * 1.12, &sc, 1.5, 4),
                ),
            ],
        ),
        &[rc.clone(), rc],
    );
    // Absolute times mix the states: the untouched directory seems a third slower.
    let (plain, _) = compare_json(dir.path(), &base, &cand, &[]);
    let dir_row = plain["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == "dir-pyc")
        .unwrap();
    assert!(dir_row["ratio"].as_f64().unwrap() > 1.2, "{plain}");
    let (rel, code) = compare_json(
        dir.path(),
        &base,
        &cand,
        &["--relative", "--fail-on-regression"],
    );
    assert_eq!(code, 4, "{rel}");
    let zip = rel["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == "zip-stored-pyc")
        .unwrap();
    assert_eq!(zip["verdict"], "regression", "{zip}");
    assert_eq!(zip["paired"], true);
    let ratio = zip["ratio"].as_f64().unwrap();
    assert!((1.06..1.18).contains(&ratio), "{ratio}");
    // The columns are the relative medians that were judged: 46 / 40 in the baseline.
    assert!(
        (zip["baseline_relative"].as_f64().unwrap() - 1.15).abs() < 0.06,
        "{zip}"
    );
}

#[test]
fn too_few_samples_to_ever_flag_a_change_is_said_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 3, 1)),
            ("zip-stored-pyc", "cold", noisy(45e6, 0.1, 3, 2)),
        ],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 3, 3)),
            ("zip-stored-pyc", "cold", noisy(90e6, 0.1, 3, 4)),
        ],
    );
    let (cmp, code) = compare_json(dir.path(), &base, &cand, &["--fail-on-regression"]);
    assert_eq!(code, 5, "{cmp}");
    let zip = cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == "zip-stored-pyc")
        .unwrap();
    assert_eq!(zip["reason"], "too-few-samples", "{zip}");
    assert!(zip["note"].as_str().unwrap().contains("take more samples"));
    // The ratio is still there to read.
    assert!(zip["ratio"].as_f64().unwrap() > 1.8);
}

#[test]
fn a_shift_of_every_case_in_plain_mode_warns_about_the_machine() {
    let dir = tempfile::tempdir().unwrap();
    let variants = ["dir-pyc", "dir-none", "zip-stored-pyc", "zip-deflate6-pyc"];
    let mk = |factor: f64, phase: u64| {
        let cases: Vec<(&str, &str, Vec<u64>)> = variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    *v,
                    "cold",
                    noisy(40e6 * (1.0 + i as f64) * factor, 0.05, 15, phase + i as u64),
                )
            })
            .collect();
        synthetic_results("2026-01-01T00:00:00Z", "3.11.7", &cases)
    };
    let (cmp, _) = compare_json(dir.path(), &mk(1.0, 1), &mk(1.3, 9), &[]);
    let warnings: Vec<&str> = cmp["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings.iter().any(
            |w| w.contains("4 of 4 cases moved the same way") && w.contains("relative judging")
        ),
        "{cmp}"
    );
    // Absolute comparison says what it is worth, from the recorded calibration.
    assert!(
        warnings.iter().any(
            |w| w.contains("absolute times: identical runs") && w.contains("reports/recorded/")
        ),
        "{cmp}"
    );
}

#[test]
fn commands_end_quietly_when_their_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let r = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 1)),
            ("zip-stored-pyc", "cold", noisy(45e6, 0.1, 15, 2)),
        ],
    );
    let f = write_json(dir.path(), "r.json", &r);
    let page = dir.path().join("h.html");
    let runs: [Vec<std::ffi::OsString>; 4] = [
        vec!["compare".into(), f.clone().into(), f.clone().into()],
        vec![
            "compare".into(),
            f.clone().into(),
            f.clone().into(),
            "--format".into(),
            "json".into(),
        ],
        vec![
            "history".into(),
            f.clone().into(),
            "--out".into(),
            page.into(),
        ],
        vec!["report".into(), f.clone().into()],
    ];
    for args in runs {
        // A pipe whose reading end is already closed: every write fails with EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_zipimport-bench"))
            .args(&args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    // A whole run with both its outputs gone (`run ... 2>&1 | head`) still finishes
    // and writes its results.
    let scenario = write(
        dir.path(),
        "t.toml",
        &tiny_scenario("t", DIR_AND_ZIP_PYC, "modes = [\"cold\"]"),
    );
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_zipimport-bench"))
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(dir.path().join("out/results.json").is_file());
}
