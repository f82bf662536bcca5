//! Instruction counts: callgrind counts the import section alone, near-deterministically;
//! without valgrind the metric is skipped and says so; `compare` gates on a change that
//! wall time cannot separate from noise.

mod common;

use common::*;
use serde_json::{Value, json};

const MATRIX: &str = DIR_AND_ZIP_PYC;

fn scenario(dir: &std::path::Path) -> std::path::PathBuf {
    let text = tiny_scenario(
        "i",
        MATRIX,
        "modes = [\"cold\"]\nmetrics = [\"wall\", \"instructions\"]\ninstruction-samples = 2",
    );
    write(dir, "i.toml", &text)
}

#[test]
fn callgrind_counts_the_import_section_repeatably() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_scenario(dir.path(), &scenario(dir.path()), &[]);
    let d = &case(&r, "dir-pyc", "cold")["instructions"];
    let z = &case(&r, "zip-stored-pyc", "cold")["instructions"];
    for i in [d, z] {
        assert!(i["tool"].as_str().unwrap().starts_with("callgrind"), "{i}");
        assert_eq!(i["samples"].as_array().unwrap().len(), 2, "{i}");
        assert!(i["spread"].as_f64().unwrap() < 0.01, "{i}");
        assert_eq!(i["unstable"], false);
    }
    let (dm, zm) = (d["median"].as_f64().unwrap(), z["median"].as_f64().unwrap());
    // Importing ten small modules is millions of instructions, not the hundreds of
    // millions of interpreter start-up: only the import section is counted.
    assert!(dm > 1e6 && dm < 1e8, "{dm}");
    // zipimport does more work than the path finder for the same modules.
    assert!(zm > dm * 1.05, "zip {zm} vs dir {dm}");
    assert_eq!(d["ratio_to_reference"].as_f64(), Some(1.0));
}

#[test]
fn without_valgrind_the_metric_is_skipped_not_faked() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path());
    let out = dir.path().join("out");
    bin()
        .env("PATH", dir.path()) // no valgrind here
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let i = &case(&r, "dir-pyc", "cold")["instructions"];
    assert!(i["samples"].as_array().unwrap().is_empty(), "{i}");
    assert!(
        i["skipped"]
            .as_str()
            .unwrap()
            .contains("valgrind is not installed"),
        "{i}"
    );
    assert!(
        case(&r, "dir-pyc", "cold")["summary"]["median"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

fn with_instructions(mut r: Value, variant: &str, counts: &[u64]) -> Value {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2] as f64;
    for c in r["cases"].as_array_mut().unwrap() {
        if c["variant"] == variant {
            c["instructions"] = json!({
                "tool": "callgrind (valgrind-3.19.0)",
                "samples": counts,
                "median": median,
                "spread": (sorted[sorted.len() - 1] - sorted[0]) as f64 / median,
                "unstable": false,
                "ratio_to_reference": null,
                "skipped": null,
                "error": null
            });
        }
    }
    r
}

#[test]
fn compare_flags_a_three_percent_instruction_change_that_wall_time_cannot_see() {
    let dir = tempfile::tempdir().unwrap();
    // Wall time: 15% noise around the same 45 ms, a real 3% shift buried in it.
    let base = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[("zip-stored-pyc", "cold", noisy(45e6, 0.15, 15, 1))],
    );
    let cand = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[("zip-stored-pyc", "cold", noisy(45e6 * 1.03, 0.15, 15, 2))],
    );
    let base = with_instructions(
        base,
        "zip-stored-pyc",
        &[342_472_449, 342_472_449, 342_472_470],
    );
    let cand = with_instructions(
        cand,
        "zip-stored-pyc",
        &[352_746_622, 352_746_610, 352_746_622],
    );
    let b = write_json(dir.path(), "b.json", &base);
    let c = write_json(dir.path(), "c.json", &cand);
    let out = bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["--format", "json", "--fail-on-regression"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let cmp: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = cmp["cases"].as_array().unwrap();
    let wall = rows.iter().find(|r| r["metric"] == "wall").unwrap();
    let instr = rows.iter().find(|r| r["metric"] == "instructions").unwrap();
    assert_eq!(wall["verdict"], "no-change", "{wall}");
    assert_eq!(instr["verdict"], "regression", "{instr}");
    let ratio = instr["ratio"].as_f64().unwrap();
    assert!((1.029..1.031).contains(&ratio), "{ratio}");
}
