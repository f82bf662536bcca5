//! What a new user sees: `run` ends with the verdict (after the tables, before the file
//! paths), `--quiet` prints only the verdict and the paths, and a second run of a
//! default-like scenario compares with the first under `--relative
//! --fail-on-regression` without a row the gate cannot judge.

use crate::common::*;

/// A small scenario shaped like the default one: directories and zips with and
/// without bytecode, deflate, the floor, a method zipimport cannot read, cold and warm,
/// adaptive sampling at the default's settings.
fn default_like(dir: &std::path::Path) -> std::path::PathBuf {
    let text = r#"name = "like"
seed = 3

[tree]
packages = 2
depth = 1
subpackages = 1
modules = 8
lines = 30
imports = 2

[variants]
reference = "dir-pyc"

[[variants.matrix]]
layout = "dir"
bytecode = ["none", "pyc"]

[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate6"]
bytecode = ["none", "pyc"]

[[variants.matrix]]
layout = "memory"

[[variants.matrix]]
layout = "zip"
compression = "bzip2"
bytecode = "pyc"

[measure]
modes = ["cold", "warm"]
samples = 10
min-samples = 6
precision = 10
focus = ["zip-stored-pyc"]
focus-samples = 20
focus-precision = 5
warmup = 0
"#;
    write(dir, "like.toml", text)
}

fn run(dir: &std::path::Path, scenario: &std::path::Path, out: &str, extra: &[&str]) -> String {
    let output = bin()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(dir.join(out))
        .arg("--no-progress")
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_terminal_ends_with_the_verdict_and_a_second_run_compares() {
    let dir = tempfile::tempdir().unwrap();
    let s = default_like(dir.path());
    let first = run(dir.path(), &s, "first", &[]);
    let lines: Vec<&str> = first.lines().collect();
    let verdict = lines
        .iter()
        .position(|l| l.starts_with("Verdict (like, cold):"))
        .unwrap_or_else(|| panic!("no verdict:\n{first}"));
    let results = lines
        .iter()
        .position(|l| l.starts_with("results: "))
        .unwrap();
    let table = lines
        .iter()
        .position(|l| l.starts_with("like / cold:"))
        .unwrap();
    // Tables, then the verdict, then the paths: the verdict's sentences are the last
    // thing before the files.
    assert!(table < verdict && verdict < results, "{first}");
    let sentences: Vec<&str> = lines[verdict + 1..results]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        sentences
            .iter()
            .any(|l| l.contains("A zip with bytecode costs") && l.contains("95% interval")),
        "{first}"
    );
    // The headline is the focus case, the one sampled most, not the lowest of many
    // few-sample estimates.
    assert!(
        sentences
            .iter()
            .any(|l| l.contains("zip-stored-pyc, the case this scenario samples most")),
        "{first}"
    );
    assert!(
        sentences
            .iter()
            .any(|l| l.contains("zipimport cannot read bzip2"))
    );
    assert!(
        sentences.iter().all(|l| l.starts_with("  ")),
        "{sentences:?}"
    );

    // --quiet: the verdict and the paths, no table.
    let second = run(dir.path(), &s, "second", &["--quiet"]);
    assert!(!second.contains("like / cold:"), "{second}");
    assert!(second.contains("Verdict (like, cold):"), "{second}");
    assert!(second.contains("results: "), "{second}");

    // The natural second step: compare the two runs as a CI gate would. Every row is
    // judged (adaptive sampling never stops a case below what the gate needs): exit 0,
    // or 4 if the machine happened to move one case, never 5.
    let cmp = bin()
        .arg("compare")
        .arg(dir.path().join("first/results.json"))
        .arg(dir.path().join("second/results.json"))
        .args(["--relative", "--fail-on-regression", "--format", "json"])
        .output()
        .unwrap();
    let code = cmp.status.code();
    let json: serde_json::Value = serde_json::from_slice(&cmp.stdout).unwrap();
    let unjudged: Vec<&serde_json::Value> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "cannot-judge")
        .collect();
    assert!(unjudged.is_empty(), "{unjudged:#?}");
    assert!(matches!(code, Some(0) | Some(4)), "exit {code:?}");
}
