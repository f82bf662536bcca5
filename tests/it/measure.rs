//! The real embedded interpreter on tiny scenarios: bytecode is used where it is
//! present, sources compile where it is not, unreadable compression is reported with
//! Python's own error, directories stay clean.

use crate::common::*;

const MATRIX: &str = r#"
[[variants.matrix]]
layout = "dir"
bytecode = ["none", "pyc", "checked-hash", "pyc-only"]

[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate9"]
bytecode = ["none", "pyc", "unchecked-hash", "pyc-only"]

[[variants.matrix]]
layout = "zip"
compression = ["bzip2", "lzma"]
bytecode = "pyc"

[[variants.matrix]]
layout = "memory"
"#;

#[test]
fn bytecode_variants_import_from_bytecode_and_sources_compile() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "t.toml", &tiny_scenario("t", MATRIX, ""));
    let r = run_scenario(dir.path(), &s, &["--keep-artifacts"]);
    let modules = 2 + 2 * 4; // two packages and their modules

    for variant in [
        "dir-pyc",
        "dir-checked-hash",
        "dir-pyc-only",
        "zip-stored-pyc",
        "zip-deflate9-pyc",
        "zip-stored-unchecked-hash",
        "zip-stored-pyc-only",
        "zip-deflate9-pyc-only",
    ] {
        for mode in ["cold", "warm"] {
            let c = case(&r, variant, mode);
            assert_eq!(c["status"], "ok", "{variant} {mode}: {}", c["error"]);
            // The reference is sampled once per six cases in a round, so more often.
            let n = c["samples_ns"].as_array().unwrap().len();
            if variant == "dir-pyc" {
                assert!(n >= 2, "{variant} {mode}: {n}");
            } else {
                assert_eq!(n, 2, "{variant} {mode}");
            }
            // The summary's median is the samples' median, computed here.
            let mut v: Vec<f64> = c["samples_ns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            v.sort_by(f64::total_cmp);
            let mid = if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            };
            assert_eq!(
                c["summary"]["median"].as_f64().unwrap(),
                mid,
                "{variant} {mode}"
            );
        }
        let c = case(&r, variant, "cold");
        assert_eq!(counter(c, "first", "modules"), modules, "{variant}");
        // No module compiled from source, neither on the first import nor on a warm
        // re-import: the pyc headers and member times agree.
        assert_eq!(
            counter(c, "first", "compiles"),
            0,
            "{variant} compiled on first import"
        );
        assert_eq!(
            counter(c, "repeat", "compiles"),
            0,
            "{variant} compiled on re-import"
        );
        assert!(counter(c, "first", "unmarshals") >= modules, "{variant}");
        assert!(
            c["warnings"].as_array().unwrap().is_empty(),
            "{variant}: {}",
            c["warnings"]
        );
    }
    sources_compile_and_zipimport_reads_twice(&r, modules);
    the_floor_serves_compiled_code_from_memory(&r, modules);
    startup_is_apart_and_no_bytecode_cache_grows(&r, dir.path());
}

/// Part of [`bytecode_variants_import_from_bytecode_and_sources_compile`].
fn sources_compile_and_zipimport_reads_twice(r: &serde_json::Value, modules: u64) {
    // zipimport reads every module twice (find_spec runs the full code lookup).
    let c = case(r, "zip-stored-pyc", "cold");
    assert_eq!(counter(c, "first", "unmarshals"), 2 * modules);

    for variant in ["dir-none", "zip-stored-none", "zip-deflate9-none"] {
        let c = case(r, variant, "cold");
        assert_eq!(c["status"], "ok", "{variant}: {}", c["error"]);
        assert!(
            counter(c, "first", "compiles") >= modules,
            "{variant} did not compile"
        );
        assert!(
            counter(c, "repeat", "compiles") >= modules,
            "{variant} did not recompile"
        );
        assert_eq!(counter(c, "first", "unmarshals"), 0, "{variant}");
    }
}

/// Part of [`bytecode_variants_import_from_bytecode_and_sources_compile`].
fn the_floor_serves_compiled_code_from_memory(r: &serde_json::Value, modules: u64) {
    // The floor: every module served from memory, unmarshalled once, never compiled,
    // and no file opened but the profiler's two reads of /proc.
    for mode in ["cold", "warm"] {
        let m = case(r, "memory", mode);
        assert_eq!(m["status"], "ok", "memory {mode}: {}", m["error"]);
        assert_eq!(m["layout"], "memory");
        assert!(
            m.get("floor").is_none(),
            "the floor is not measured against itself"
        );
        // Each case's distance to the floor is its median's against the floor's,
        // computed here from the raw samples; compiling every module (dir-none) costs
        // far more than unmarshalling code already in memory.
        let median = |c: &serde_json::Value| {
            let mut v: Vec<f64> = c["samples_ns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            }
        };
        for v in ["dir-pyc", "zip-stored-pyc", "dir-none"] {
            let c = case(r, v, mode);
            let f = &c["floor"];
            let extra = median(c) - median(m);
            assert!(
                (f["extra_ns"].as_f64().unwrap() - extra).abs() < 1.0,
                "{v} {mode}: {f}, medians {extra} apart"
            );
        }
        let slowest = case(r, "dir-none", mode)["floor"]["ratio"]
            .as_f64()
            .unwrap();
        assert!(slowest > 1.5, "dir-none {mode}: only {slowest}x the floor");
    }
    let m = case(r, "memory", "cold");
    assert_eq!(counter(m, "first", "modules"), modules);
    assert_eq!(counter(m, "first", "compiles"), 0);
    assert_eq!(counter(m, "first", "unmarshals"), modules);
    assert_eq!(counter(m, "repeat", "unmarshals"), modules);
    assert!(counter(m, "first", "opens") <= 2, "{}", m["probe"]);
    assert_eq!(m["artifact"]["entries"].as_u64(), Some(modules));
    // Source-only variants are several times the floor even on a noisy machine.
    let none = case(r, "zip-stored-none", "cold")["floor"]["ratio"]
        .as_f64()
        .unwrap();
    assert!(none > 2.0, "{none}");
}

/// Part of [`bytecode_variants_import_from_bytecode_and_sources_compile`].
fn startup_is_apart_and_no_bytecode_cache_grows(r: &serde_json::Value, dir: &std::path::Path) {
    // Cold samples record interpreter start-up separately from import time.
    let c = case(r, "dir-pyc", "cold");
    assert_eq!(
        c["startup_ns"].as_array().unwrap().len(),
        c["samples_ns"].as_array().unwrap().len()
    );
    assert!(c["startup"]["median"].as_f64().unwrap() > 1e6);
    assert!(
        c["startup_ns"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.as_u64().unwrap() > 0)
    );
    assert_eq!(c["ratio_to_reference"].as_f64(), Some(1.0));

    // A source-only directory measured cold and warm never grows a bytecode cache.
    let artifacts = dir.join("out/artifacts/t");
    for variant in ["dir-none", "dir-pyc-only"] {
        let found: Vec<_> = walk(&artifacts.join(variant))
            .into_iter()
            .filter(|p| p.to_string_lossy().contains("__pycache__"))
            .collect();
        assert!(found.is_empty(), "{variant} grew {found:?}");
    }
}

#[test]
fn unreadable_compression_is_unsupported_with_pythons_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "u.toml",
        &tiny_scenario("u", MATRIX, "modes = [\"cold\"]"),
    );
    let r = run_scenario(dir.path(), &s, &[]);
    let c = case(&r, "zip-bzip2-pyc", "cold");
    assert_eq!(c["status"], "unsupported");
    assert_eq!(
        c["error"],
        "zlib.error: Error -3 while decompressing data: invalid distance too far back"
    );
    assert!(c["samples_ns"].as_array().unwrap().is_empty());
    let c = case(&r, "zip-lzma-pyc", "cold");
    assert_eq!(c["status"], "unsupported");
    assert!(
        c["error"]
            .as_str()
            .unwrap()
            .starts_with("zlib.error: Error -3"),
        "{}",
        c["error"]
    );
    // The run as a whole succeeded: unsupported is a finding, not a failure.
}

#[test]
fn embedded_interpreter_is_the_one_built_against_and_ignores_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = "[[variants.matrix]]\nlayout = \"dir\"\nbytecode = \"none\"\n";
    let s = write(dir.path(), "e.toml", &tiny_scenario("e", matrix, ""));
    let out = dir.path().join("out");
    // Variables that would break or bend a non-isolated interpreter.
    bin()
        .env("PYTHONHOME", "/nonexistent")
        .env("PYTHONPATH", "/nonexistent")
        .env("PATH", "/usr/bin:/bin")
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .args(["run", "--no-progress", "--keep-artifacts", "--out"])
        .arg(&out)
        .arg(&s)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let py = &r["metadata"]["python"];
    assert_eq!(py["prefix"], zipimport_bench::python::PYTHON_HOME);
    let expected = std::process::Command::new(zipimport_bench::python::PYTHON_EXECUTABLE)
        .args(["-c", "import platform; print(platform.python_version())"])
        .output()
        .unwrap();
    assert_eq!(
        py["version_short"].as_str().unwrap(),
        String::from_utf8(expected.stdout).unwrap().trim()
    );
    // Even with PYTHONDONTWRITEBYTECODE unset, the source directory stays clean.
    let grown: Vec<_> = walk(&out.join("artifacts/e/dir-none"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("__pycache__"))
        .collect();
    assert!(grown.is_empty(), "{grown:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

/// `--cpu-quota`: every worker joins a cgroup limited to that share of one CPU per
/// period, the results and the outputs say so with what the group counted, and the
/// group is gone once the run ends.
#[test]
fn workers_run_under_the_cpu_quota_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "q.toml",
        &tiny_scenario("q", DIR_AND_ZIP_PYC, ""),
    );
    let r = run_scenario(
        dir.path(),
        &s,
        &["--cpu-quota", "0.1", "--modes", "cold", "--samples", "6"],
    );
    let q = &r["metadata"]["cpu_quota"];
    assert_eq!(q["cpus"].as_f64(), Some(0.1), "{q}");
    assert_eq!(q["period_us"].as_u64(), Some(100_000), "{q}");
    // A worker starts an interpreter and imports a tree: more CPU than the 10 ms one
    // period allows, so the group's own count of periods that ran out of quota is not
    // zero (it is when the workers are not in the group).
    let (periods, throttled) = (
        q["periods"].as_u64().unwrap(),
        q["throttled_periods"].as_u64().unwrap(),
    );
    assert!(throttled > 0 && throttled <= periods, "{q}");
    // What the quota means, from the group's own accounting: the workers' CPU time is
    // at most 10 ms per period in which they ran (up to one period's rounding). Without
    // the quota set, a worker uses up to 100 ms of each.
    let cpu_s = q["cpu_s"]
        .as_f64()
        .expect("cpuacct counts the workers' CPU");
    assert!(cpu_s > 0.0, "{q}");
    assert!(
        cpu_s <= 0.1 * 0.1 * (periods + 1) as f64 * 1.05,
        "{cpu_s} s of CPU in {periods} periods of 10 ms: {q}"
    );
    assert!(q["throttled_s"].as_f64().unwrap() > 0.0, "{q}");
    assert!(
        !std::path::Path::new(q["cgroup"].as_str().unwrap()).exists(),
        "the run's cgroup is removed"
    );
    let summary = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(
        summary.contains("CPU quota: every worker ran under a CPU quota of 0.1 CPU"),
        "{summary}"
    );
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("cpu quota"), "the report's metadata");
}
