//! Profiling: counters that are right where the truth is known, stale bytecode caught,
//! cold-disk samples that really start cold, phases that explain the time.

use crate::common::*;

const MATRIX: &str = r#"
[[variants.matrix]]
layout = "dir"
bytecode = ["none", "pyc", "pyc-stale"]

[[variants.matrix]]
layout = "zip"
compression = "stored"
bytecode = ["none", "pyc", "pyc-stale", "pycache"]
"#;

#[test]
fn counters_phases_and_stale_bytecode() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "p.toml",
        &tiny_scenario("p", MATRIX, "modes = [\"cold\", \"cold-disk\"]"),
    );
    let r = run_scenario(dir.path(), &s, &[]);
    let modules = 10u64;
    let count = |variant: &str, name: &str| counter(case(&r, variant, "cold"), "first", name);

    // Where the truth is known: a pyc archive compiles nothing; a source-only one
    // compiles every module, twice in a zip (find_spec reads the code too), once from
    // a directory; a zip's central directory is parsed once, a directory has none.
    assert_eq!(count("zip-stored-pyc", "compiles"), 0);
    assert_eq!(count("zip-stored-none", "compiles"), 2 * modules);
    assert_eq!(count("dir-none", "compiles"), modules);
    assert_eq!(count("zip-stored-pyc", "unmarshals"), 2 * modules);
    assert_eq!(count("dir-pyc", "unmarshals"), modules);
    assert_eq!(count("zip-stored-pyc", "directory_reads"), 1);
    assert_eq!(count("dir-pyc", "directory_reads"), 0);
    assert!(count("zip-stored-pyc", "read_syscalls") >= 2 * modules);
    assert!(count("dir-pyc", "read_bytes") > 0);

    // Stale timestamps and __pycache__ inside a zip: bytecode present, never used.
    for (variant, why, compiles) in [
        ("zip-stored-pyc-stale", "stale bytecode", 2 * modules),
        ("dir-pyc-stale", "stale bytecode", modules),
        (
            "zip-stored-pycache",
            "__pycache__, where zipimport never looks",
            2 * modules,
        ),
    ] {
        let c = case(&r, variant, "cold");
        assert_eq!(c["status"], "ok", "{variant}");
        assert_eq!(count(variant, "compiles"), compiles, "{variant}");
        let warnings = c["warnings"].to_string();
        assert!(
            warnings.contains("bytecode present but not used"),
            "{variant}: {warnings}"
        );
        assert!(warnings.contains(why), "{variant}: {warnings}");
    }
    assert!(
        case(&r, "zip-stored-pyc", "cold")["warnings"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Phases: what each variant spends its time on, adding up to the profiled import.
    let phases = |variant: &str| case(&r, variant, "cold")["probe"]["phases"].clone();
    let zp = phases("zip-stored-pyc");
    assert!(zp["archive directory"].as_u64().unwrap() > 0, "{zp}");
    assert!(zp["unmarshal"].as_u64().unwrap() > 0, "{zp}");
    assert!(zp.get("compile").is_none(), "{zp}");
    let dn = phases("dir-none");
    assert!(dn.get("archive directory").is_none(), "{dn}");
    let total: u64 = dn
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(
        dn["compile"].as_u64().unwrap() * 3 > total,
        "compiling should dominate: {dn}"
    );
    let top = &case(&r, "dir-none", "cold")["probe"]["top_modules"];
    assert!(!top.as_array().unwrap().is_empty());

    // Cold-disk samples start with none of the artifact in the page cache (or say why
    // not, on a filesystem that cannot evict).
    for variant in ["dir-pyc", "zip-stored-pyc"] {
        let c = case(&r, variant, "cold-disk");
        assert_eq!(c["status"], "ok");
        let resident: Vec<f64> = c["resident_fractions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(resident.len(), 2);
        // The artifacts are on disk (see `bin`): eviction must have taken.
        assert!(resident.iter().all(|&f| f == 0.0), "{resident:?}");
        assert!(
            !c["warnings"].to_string().contains("eviction did not take"),
            "{c}"
        );
    }

    // The report explains: phases, counters and the findings that fired.
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("Where the time goes"));
    assert!(html.contains("parsing the archive directory"));
    assert!(html.contains("With the artifact evicted from the page cache"));
}

#[test]
fn pycache_is_a_zip_only_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let m = "[[variants.matrix]]\nlayout = \"dir\"\nbytecode = \"pycache\"\n";
    let s = write(dir.path(), "x.toml", &tiny_scenario("x", m, ""));
    bin()
        .args(["run", "--out"])
        .arg(dir.path().join("out"))
        .arg(&s)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "variants.matrix[0].bytecode: `pycache` is a zip packaging mistake",
        ));
}
