//! `run --shard K/N` and `merge`: shards cover the run's cases exactly once, and merge
//! refuses what cannot be combined.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;
use predicates::str::contains;
use serde_json::Value;

const MATRIX: &str = r#"reference = "dir-pyc"
[[variants.matrix]]
layout = "dir"
bytecode = ["pyc", "none"]
[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate6", "bzip2"]
bytecode = "pyc"
"#;

fn keys(r: &Value) -> BTreeSet<(String, String, String, String)> {
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["scenario"].as_str().unwrap().to_owned(),
                c["variant"].as_str().unwrap().to_owned(),
                c["mode"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn run_into(dir: &Path, scenario: &Path, out: &str, extra: &[&str]) -> Value {
    bin()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(dir.join(out))
        .arg("--no-progress")
        .args(extra)
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(dir.join(out).join("results.json")).unwrap()).unwrap()
}

#[test]
fn merged_shards_hold_exactly_the_cases_of_an_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Eight samples a case: enough for compare to judge every row of the merged file
    // (relative rows need six a side), so the comparisons below can fail.
    let path = write(d, "sh.toml", &tiny_scenario("sh", MATRIX, ""));
    let whole = run_into(d, &path, "whole", &["--samples", "8"]);
    let mut shard_keys = Vec::new();
    for k in 1..=3 {
        let r = run_into(
            d,
            &path,
            &format!("s{k}"),
            &["--samples", "8", "--shard", &format!("{k}/3")],
        );
        assert_eq!(r["scenarios"][0]["shard"], serde_json::json!([k, 3]));
        shard_keys.push(keys(&r));
    }
    // Disjoint, and together the whole run.
    for a in 0..3 {
        assert!(!shard_keys[a].is_empty(), "shard {} is empty", a + 1);
        for b in a + 1..3 {
            assert!(shard_keys[a].is_disjoint(&shard_keys[b]));
        }
    }
    let merged_path = d.join("merged/results.json");
    bin()
        .arg("merge")
        .args(["s1", "s2", "s3"].map(|s| d.join(s).join("results.json")))
        .arg("--out")
        .arg(&merged_path)
        .assert()
        .success();
    let merged: Value = serde_json::from_slice(&std::fs::read(&merged_path).unwrap()).unwrap();
    assert_eq!(keys(&merged), keys(&whole));
    assert!(merged["scenarios"][0]["shard"].is_null());
    // Ratios come back although only one shard measured the reference.
    for c in merged["cases"].as_array().unwrap() {
        if c["status"] == "ok" {
            assert!(c["ratio_to_reference"].as_f64().is_some(), "{c}");
        }
    }
    assert!(d.join("merged/report.html").is_file());
    assert!(d.join("merged/summary.md").is_file());
    merged_keeps_every_shards_machine(&merged);
    compare_sees_every_shard(d, &merged, &merged_path);
    a_merged_file_compares_like_a_whole_run(d, &merged, &merged_path);
    merge_refuses_a_whole_run_and_names_a_missing_shard(d);
}

/// Part of [`merged_shards_hold_exactly_the_cases_of_an_unsharded_run`].
fn merged_keeps_every_shards_machine(merged: &Value) {
    // Every shard's machine and interpreter are kept, and every case says which shard
    // measured it, so compare can check all of them and pair only within a shard.
    let shards = merged["metadata"]["shards"].as_array().unwrap();
    assert_eq!(shards.len(), 3);
    for (k, s) in shards.iter().enumerate() {
        assert_eq!(s["shard"], serde_json::json!([k + 1, 3]));
        assert!(s["host"]["cpu_model"].is_string() && s["python"]["version_short"].is_string());
    }
    for c in merged["cases"].as_array().unwrap() {
        assert!(c["shard"].is_array(), "{c}");
    }
}

/// Part of [`merged_shards_hold_exactly_the_cases_of_an_unsharded_run`].
fn compare_sees_every_shard(d: &Path, merged: &Value, merged_path: &Path) {
    // A shard measured on another CPU is seen by absolute compare, not just shard 1's.
    let mut other = merged.clone();
    other["metadata"]["shards"][2]["host"]["cpu_model"] = Value::from("Another CPU");
    let other_path = write(d, "other.json", &serde_json::to_string(&other).unwrap());
    let out = bin()
        .arg("compare")
        .arg(merged_path)
        .arg(&other_path)
        .args(["--format", "json", "--absolute"])
        .output()
        .unwrap();
    let cmp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        cmp["environment_differences"][0]
            .as_str()
            .unwrap()
            .contains("Another CPU"),
        "{cmp}"
    );
    // Relative: cases whose reference another shard measured are judged unpaired.
    let out = bin()
        .arg("compare")
        .arg(merged_path)
        .arg(merged_path)
        .args(["--format", "json", "--relative"])
        .output()
        .unwrap();
    let cmp: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reference_shard = merged["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == "dir-pyc")
        .unwrap()["shard"]
        .clone();
    for row in cmp["cases"].as_array().unwrap() {
        if row["metric"] != "wall" || row["variant"] == "dir-pyc" || row["paired"].is_null() {
            continue;
        }
        let case = merged["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["variant"] == row["variant"] && c["mode"] == row["mode"])
            .unwrap();
        assert_eq!(
            row["paired"],
            Value::from(case["shard"] == reference_shard),
            "{row}"
        );
    }
}

/// Part of [`merged_shards_hold_exactly_the_cases_of_an_unsharded_run`].
fn a_merged_file_compares_like_a_whole_run(d: &Path, merged: &Value, merged_path: &Path) {
    // A merged file compares like a whole run: every case matched and every row judged
    // (exit 0, or 4 should the machine have moved one case; never 5).
    let out = bin()
        .arg("compare")
        .arg(d.join("whole/results.json"))
        .arg(merged_path)
        .args(["--format", "json", "--fail-on-regression"])
        .output()
        .unwrap();
    let cmp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(matches!(out.status.code(), Some(0 | 4)), "{cmp}");
    assert_eq!(cmp["unjudged"], 0, "{cmp}");
    for row in cmp["cases"].as_array().unwrap() {
        assert_ne!(row["reason"], "only-in-baseline", "{row}");
        assert_ne!(row["reason"], "only-in-candidate", "{row}");
    }
    // And a change in the merged file is seen: one case three times slower (far
    // beyond this machine's noise) is a regression.
    let mut slower = merged.clone();
    let mut changed = 0;
    for c in slower["cases"].as_array_mut().unwrap() {
        if c["variant"] == "zip-stored-pyc" && c["mode"] == "cold" {
            for v in c["samples_ns"].as_array_mut().unwrap() {
                *v = Value::from(v.as_u64().unwrap() * 3);
            }
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    let slower_path = write_json(d, "slower.json", &slower);
    let out = bin()
        .arg("compare")
        .arg(d.join("whole/results.json"))
        .arg(&slower_path)
        .args(["--format", "json", "--fail-on-regression"])
        .output()
        .unwrap();
    let cmp: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(4), "{cmp}");
    let flagged: Vec<&Value> = cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"] == "regression")
        .collect();
    assert!(
        flagged
            .iter()
            .any(|r| r["variant"] == "zip-stored-pyc" && r["mode"] == "cold"),
        "{cmp}"
    );
}

/// Part of [`merged_shards_hold_exactly_the_cases_of_an_unsharded_run`].
fn merge_refuses_a_whole_run_and_names_a_missing_shard(d: &Path) {
    // A whole run is not a shard: merging it would only copy it.
    bin()
        .arg("merge")
        .arg(d.join("whole/results.json"))
        .arg("--out")
        .arg(d.join("single/results.json"))
        .assert()
        .code(1)
        .stderr(contains("is not a shard"));
    assert!(!d.join("single").exists());

    // A missing shard is named.
    bin()
        .arg("merge")
        .args(["s1", "s2"].map(|s| d.join(s).join("results.json")))
        .arg("--out")
        .arg(d.join("partial/results.json"))
        .assert()
        .success()
        .stderr(contains("shard(s) 3/3 not among the inputs"));
}

#[test]
fn merge_refuses_overlaps_other_scenario_files_and_other_harnesses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = write(
        d,
        "sh.toml",
        &tiny_scenario("sh", MATRIX, "modes = [\"cold\"]"),
    );
    run_into(d, &path, "s1", &["--shard", "1/2"]);
    let s1 = d.join("s1/results.json");
    let refuse = |files: &[&Path], message: &str| {
        let out = d.join("refused.json");
        bin()
            .arg("merge")
            .args(files)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(contains(message));
        assert!(!out.exists());
    };
    refuse(&[&s1, &s1], "the shards overlap");

    let mut other: Value = serde_json::from_slice(&std::fs::read(&s1).unwrap()).unwrap();
    other["cases"] = serde_json::json!([]);
    other["scenarios"][0]["sha256"] = "0".repeat(64).into();
    let other_path = write_json(d, "other-scenario.json", &other);
    refuse(&[&s1, &other_path], "comes from different files");

    let mut older: Value = serde_json::from_slice(&std::fs::read(&s1).unwrap()).unwrap();
    older["cases"] = serde_json::json!([]);
    older["metadata"]["harness"]["version"] = "0.0.1".into();
    let older_path = write_json(d, "older.json", &older);
    refuse(
        &[&s1, &older_path],
        "different harness versions cannot be merged",
    );

    let mut quota: Value = serde_json::from_slice(&std::fs::read(&s1).unwrap()).unwrap();
    quota["cases"] = serde_json::json!([]);
    quota["metadata"]["cpu_quota"] = serde_json::json!({
        "cpus": 0.25, "period_us": 100000, "cgroup": "/sys/fs/cgroup/cpu/x",
        "periods": 10, "throttled_periods": 4, "throttled_s": 0.3
    });
    let quota_path = write_json(d, "quota.json", &quota);
    refuse(&[&s1, &quota_path], "ran under no CPU quota but");

    bin()
        .args(["run", "--no-progress", "--shard", "3/2", "--out"])
        .arg(d.join("bad"))
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains(
            "'--shard <K/N>': expected K/N with 1 <= K <= N, got `3/2`",
        ));
}
