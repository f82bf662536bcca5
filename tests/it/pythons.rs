//! External interpreters (`run --python`): the same driver under other CPythons, each
//! with bytecode it compiled itself, agreeing with the embedded path.

use crate::common::*;
use predicates::str::contains;

const MATRIX: &str = r#"reference = "dir-pyc"
[[variants.matrix]]
layout = "dir"
bytecode = "pyc"
[[variants.matrix]]
layout = "zip"
compression = "stored"
bytecode = ["pyc", "none"]
"#;

fn median(c: &serde_json::Value) -> f64 {
    c["summary"]["median"].as_f64().unwrap()
}

#[test]
fn the_embedded_and_the_external_path_agree_and_every_python_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "py.toml",
        &tiny_scenario("py", MATRIX, "modes = [\"cold\"]\n"),
    );
    // The same CPython as the embedded one, run as an external interpreter, and the
    // oldest and newest the machine kind has.
    let same = pyenv_python("3.11.7");
    let old = pyenv_python("3.9");
    let new = pyenv_python("3.13");
    let r = run_scenario(
        dir.path(),
        &path,
        &[
            "--samples",
            "5",
            "--python",
            same.to_str().unwrap(),
            "--python",
            old.to_str().unwrap(),
            "--python",
            new.to_str().unwrap(),
        ],
    );
    let names: Vec<String> = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[0], "py");
    assert_eq!(names[1], "py-py3.11.7");
    assert!(
        scenario(&r, "py")["python"].is_null(),
        "embedded: metadata.python"
    );
    assert_eq!(
        scenario(&r, "py-py3.11.7")["python"]["version_short"],
        "3.11.7"
    );

    for name in &names {
        let pyc = case_of(&r, name, "zip-stored-pyc", "cold");
        let dir_pyc = case_of(&r, name, "dir-pyc", "cold");
        let none = case_of(&r, name, "zip-stored-none", "cold");
        for c in [pyc, dir_pyc, none] {
            assert_eq!(c["status"], "ok", "{name}: {c}");
            assert!(c["python"].as_str().unwrap().starts_with("3."));
        }
        // Each probe counts every event once: the audit hook is installed once on every
        // interpreter (3.9 lacks some internals the phase profiler wraps, and once
        // retried the whole set-up, hooking twice and doubling every count).
        assert_eq!(
            counter(dir_pyc, "first", "unmarshals"),
            counter(case_of(&r, "py", "dir-pyc", "cold"), "first", "unmarshals"),
            "{name}"
        );
        assert_eq!(counter(dir_pyc, "first", "unmarshals"), 10, "{name}");
        // Bytecode compiled by each interpreter is the bytecode it uses: no compiles.
        assert_eq!(counter(pyc, "first", "compiles"), 0, "{name}");
        assert_eq!(counter(dir_pyc, "first", "compiles"), 0, "{name}");
        assert!(counter(none, "first", "compiles") >= 10, "{name}");
        // Compiling every module is several times slower than loading bytecode.
        assert!(median(none) > 1.5 * median(dir_pyc), "{name}");
    }
    // Same Python, embedded or external: the same verdict, and similar ratios.
    let ratio = |name: &str| {
        case_of(&r, name, "zip-stored-none", "cold")["ratio_to_reference"]
            .as_f64()
            .unwrap()
    };
    let (embedded, external) = (ratio("py"), ratio("py-py3.11.7"));
    assert!(
        embedded / external < 2.0 && external / embedded < 2.0,
        "embedded {embedded:.2}x vs external {external:.2}x"
    );
    // Each interpreter's own magic number: different bytecode, different archives.
    let sha = |name: &str| {
        case_of(&r, name, "zip-stored-pyc", "cold")["artifact"]["sha256"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(sha("py"), sha("py-py3.11.7"));
    assert_ne!(sha("py"), sha(&names[2]));
    assert_ne!(sha(&names[2]), sha(&names[3]));

    let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(md.contains("### py / cold across Pythons"), "{md}");
}

#[test]
fn a_python_that_is_not_a_cpython_3_9_or_later_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "py.toml", &tiny_scenario("py", MATRIX, ""));
    let out = dir.path().join("out");
    bin()
        .args([
            "run",
            "--no-progress",
            "--python",
            "/nonexistent/python3",
            "--out",
        ])
        .arg(&out)
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("/nonexistent/python3"));
    let py38 = std::fs::read_dir(pyenv_python("3.9").parent().unwrap().join("../.."))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin/python3"))
        .find(|p| p.to_string_lossy().contains("/3.8.") && p.is_file());
    if let Some(py38) = py38 {
        bin()
            .args(["run", "--no-progress", "--python"])
            .arg(&py38)
            .arg("--out")
            .arg(&out)
            .arg(&path)
            .assert()
            .code(1)
            .stderr(contains("measures CPython 3.9 and later"));
    }
    assert!(!out.join("results.json").exists());
}
