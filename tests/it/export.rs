//! Exports read by their real consumers: pyperf (installed from PyPI by the test script)
//! prints the same medians as the results file; the Bencher Metric Format and
//! github-action-benchmark files have the documented shapes and the same numbers.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use serde_json::Value;

fn run_with_exports(dir: &Path) -> Value {
    let s = write(
        dir,
        "e.toml",
        &tiny_scenario("e", DIR_AND_ZIP_PYC, "modes = [\"cold\", \"warm\"]"),
    );
    let out = dir.join("out");
    bin()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .args(["--no-progress", "--samples", "6"])
        .arg("--export")
        .arg(format!("pyperf={}", dir.join("pyperf.json").display()))
        .arg("--export")
        .arg(format!("bmf={}", dir.join("bmf.json").display()))
        .arg("--export")
        .arg(format!(
            "github-action-benchmark={}",
            dir.join("gab.json").display()
        ))
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap()
}

fn median_ns(r: &Value, variant: &str, mode: &str) -> f64 {
    case(r, variant, mode)["summary"]["median"]
        .as_f64()
        .unwrap()
}

/// `12.3 ms` / `850 us` / `1.25 sec` as nanoseconds.
fn parse_time(text: &str) -> f64 {
    let mut parts = text.split_whitespace();
    let v: f64 = parts.next().unwrap().parse().unwrap();
    let unit = match parts.next().unwrap() {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "sec" => 1e9,
        other => panic!("unit {other}"),
    };
    v * unit
}

fn pyperf(args: &[&str]) -> std::process::Output {
    let out = Command::new("python3")
        .args(["-m", "pyperf"])
        .args(args)
        .output()
        .expect("python3 -m pyperf (scripts/test.sh installs pyperf)");
    assert!(
        out.status.success(),
        "pyperf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn pyperf_reads_the_export_and_prints_the_same_medians() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_with_exports(dir.path());
    let file = dir.path().join("pyperf.json");
    let f = file.to_str().unwrap();
    let stats = String::from_utf8(pyperf(&["stats", f]).stdout).unwrap();
    let mut checked = 0;
    for (variant, mode) in [
        ("dir-pyc", "cold"),
        ("dir-pyc", "warm"),
        ("zip-stored-pyc", "cold"),
        ("zip-stored-pyc", "warm"),
    ] {
        let name = format!("e/{variant}/{mode}");
        let section = &stats[stats
            .find(&format!("{name}\n"))
            .unwrap_or_else(|| panic!("{name}: {stats}"))..];
        let line = section
            .lines()
            .find(|l| l.starts_with("Median +- MAD:"))
            .unwrap();
        let printed = parse_time(
            line.trim_start_matches("Median +- MAD:")
                .split("+-")
                .next()
                .unwrap(),
        );
        let ours = median_ns(&r, variant, mode);
        // pyperf prints three significant digits.
        assert!(
            (printed - ours).abs() <= ours * 0.006,
            "{name}: pyperf says {printed} ns, the results {ours} ns"
        );
        let runs = section
            .lines()
            .find(|l| l.starts_with("Total number of run:"))
            .unwrap();
        // Cold: a fresh process per sample is a pyperf run; warm: one process.
        let want = if mode == "cold" { "6" } else { "1" };
        assert!(runs.ends_with(want), "{name}: {runs}");
        checked += 1;
    }
    assert_eq!(checked, 4);
    // The other readers work too, and compare_to matches benchmarks by name.
    pyperf(&["hist", f]);
    let cmp = String::from_utf8(pyperf(&["compare_to", f, f]).stdout).unwrap();
    assert!(cmp.contains("e/zip-stored-pyc/cold"), "{cmp}");
}

#[test]
fn bmf_and_github_action_benchmark_have_their_documented_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_with_exports(dir.path());
    let bmf: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("bmf.json")).unwrap()).unwrap();
    let benchmarks = bmf.as_object().unwrap();
    assert_eq!(benchmarks.len(), 4, "{bmf}");
    for (name, measures) in benchmarks {
        let latency = &measures["latency"];
        let (v, lo, hi) = (
            latency["value"].as_f64().unwrap(),
            latency["lower_value"].as_f64().unwrap(),
            latency["upper_value"].as_f64().unwrap(),
        );
        assert!(lo <= v && v <= hi, "{name}: {latency}");
        let parts: Vec<&str> = name.split('/').collect();
        assert_eq!(v, median_ns(&r, parts[1], parts[2]), "{name}");
        // The probe's counters, as measures of their own.
        assert!(
            measures["unmarshals"]["value"].as_f64().unwrap() > 0.0,
            "{name}"
        );
    }

    let gab: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("gab.json")).unwrap()).unwrap();
    let entries = gab.as_array().unwrap();
    assert_eq!(entries.len(), 4);
    for e in entries {
        let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["extra", "name", "range", "unit", "value"], "{e}");
        assert_eq!(e["unit"], "ms");
        assert!(e["range"].as_str().unwrap().starts_with("± "), "{e}");
        let parts: Vec<&str> = e["name"].as_str().unwrap().split('/').collect();
        let ms = median_ns(&r, parts[1], parts[2]) / 1e6;
        assert!((e["value"].as_f64().unwrap() - ms).abs() < 0.001, "{e}");
    }
}

#[test]
fn the_export_command_writes_the_same_as_run_export() {
    let dir = tempfile::tempdir().unwrap();
    run_with_exports(dir.path());
    let again = dir.path().join("again.json");
    bin()
        .arg("export")
        .arg(dir.path().join("out/results.json"))
        .args(["--format", "bmf", "--out"])
        .arg(&again)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(dir.path().join("bmf.json")).unwrap()
    );
    bin()
        .arg("export")
        .arg(dir.path().join("out/results.json"))
        .args(["--format", "csv"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("unknown export format `csv`"));
}
