//! `compare` verdicts on known sample sets, its exit status as a CI gate, and how it
//! treats cases that cannot be matched.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

fn compare_json(dir: &std::path::Path, base: &Value, cand: &Value, extra: &[&str]) -> (Value, i32) {
    let b = write_json(dir, "base.json", base);
    let c = write_json(dir, "cand.json", cand);
    let out = bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["--format", "json"])
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
            ("zip-old-pyc", "cold", noisy(45e6, 0.1, 15, 2)),
            ("zip-bzip2-pyc", "cold", vec![]),
        ],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 3)),
            ("zip-new-pyc", "cold", noisy(45e6, 0.1, 15, 4)),
            ("zip-bzip2-pyc", "cold", vec![]),
        ],
    );
    let (cmp, _) = compare_json(dir.path(), &base, &cand, &[]);
    assert_eq!(verdict(&cmp, "zip-old-pyc"), "only-in-baseline");
    assert_eq!(verdict(&cmp, "zip-new-pyc"), "only-in-candidate");
    assert_eq!(verdict(&cmp, "zip-bzip2-pyc"), "not-comparable");

    // Another Python: nothing is matched as if it were the same interpreter.
    let other = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.13.0",
        &[("dir-pyc", "cold", noisy(60e6, 0.1, 15, 3))],
    );
    let (cmp, code) = compare_json(dir.path(), &base, &other, &["--fail-on-regression"]);
    assert_eq!(code, 0);
    assert_eq!(verdict(&cmp, "dir-pyc"), "not-comparable");
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
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 regression(s), 0 improvement(s) at a 5.0% threshold (Mann-Whitney",
        ))
        .stdout(predicate::str::contains("synthetic/zip-stored-pyc/cold"));
    bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["--format", "markdown"])
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
    assert_eq!(verdict(&rel, "dir-pyc"), "no-change");
    assert_eq!(verdict(&rel, "zip-stored-pyc"), "no-change");
    assert_eq!(verdict(&rel, "zip-deflate6-pyc"), "regression");
}
