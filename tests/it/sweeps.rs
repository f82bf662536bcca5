//! Sweeps: one scenario per swept value, the value on every case, a fitted growth per
//! variant; and the zip64 limit, which only Python 3.13 and later import past.

use crate::common::*;

const MATRIX: &str = DIR_AND_ZIP_PYC;

#[test]
fn a_sweep_is_one_scenario_per_value_with_a_fitted_growth() {
    let dir = tempfile::tempdir().unwrap();
    let text = tiny_scenario(
        "sw",
        MATRIX,
        "modes = [\"cold\"]\n[[sweep]]\nparameter = \"modules\"\nvalues = [1, 10, 40]\n",
    );
    let path = write(dir.path(), "sw.toml", &text);
    let r = run_scenario(dir.path(), &path, &[]);
    let names: Vec<&str> = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sw-modules1", "sw-modules10", "sw-modules40"]);
    for (name, value) in [
        ("sw-modules1", 1u64),
        ("sw-modules10", 10),
        ("sw-modules40", 40),
    ] {
        let s = scenario(&r, name);
        assert_eq!(s["tree"]["modules"], value);
        // 2 packages: 2 x value modules + 2 __init__.
        let x = (2 * value + 2) as f64;
        assert_eq!(s["sweep"]["x"], x);
        assert_eq!(
            s["workload_modules"].as_array().unwrap().len() as u64,
            2 * value + 2
        );
        for v in ["dir-pyc", "zip-stored-pyc"] {
            let c = case_of(&r, name, v, "cold");
            assert_eq!(c["status"], "ok");
            assert_eq!(c["sweep"]["parameter"], "modules");
            assert_eq!(c["sweep"]["value"], value);
        }
    }
    // Importing 82 modules takes longer than importing 4, for both variants.
    for v in ["dir-pyc", "zip-stored-pyc"] {
        let small = case_of(&r, "sw-modules1", v, "cold")["summary"]["median"]
            .as_f64()
            .unwrap();
        let big = case_of(&r, "sw-modules40", v, "cold")["summary"]["median"]
            .as_f64()
            .unwrap();
        assert!(big > small, "{v}: {big} vs {small}");
    }
    let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(md.contains("### sw / sweep of modules (cold)"), "{md}");
    assert!(md.contains("per module (R²"), "{md}");
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(html.contains("sw: import time against modules (cold)"));
    // The sweep's verdict is its growth per module, on the first screen.
    assert!(html.contains("per module (R²"), "no growth in the verdict");
    check_page(&dir.path().join("out/report.html"), "sweep-report");
}

#[test]
fn past_65535_entries_a_zip_is_zip64_which_only_python_3_13_imports() {
    let dir = tempfile::tempdir().unwrap();
    let text = tiny_scenario(
        "z64",
        MATRIX,
        "modes = [\"cold\"]\n[[sweep]]\nparameter = \"filler\"\nvalues = [66000]\n",
    );
    let path = write(dir.path(), "z64.toml", &text);
    let py313 = pyenv_python("3.13");
    let r = run_scenario(dir.path(), &path, &["--python", py313.to_str().unwrap()]);
    let ext = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["python"]["version_short"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.13"))
        })
        .expect("a 3.13 instance");
    let ext_name = ext["name"].as_str().unwrap();
    assert!(ext_name.starts_with("z64-filler66000-py3.13"), "{ext_name}");

    // The embedded 3.11: the zip is read as empty, reported unsupported with the reason.
    let zip = case_of(&r, "z64-filler66000", "zip-stored-pyc", "cold");
    assert!(zip["artifact"]["entries"].as_u64().unwrap() > 65_535);
    assert_eq!(zip["status"], "unsupported", "{zip}");
    let e = zip["error"].as_str().unwrap();
    assert!(
        e.starts_with("ModuleNotFoundError: No module named 'zb0'"),
        "{e}"
    );
    assert!(e.contains("zip64"), "{e}");
    assert_eq!(
        case_of(&r, "z64-filler66000", "dir-pyc", "cold")["status"],
        "ok"
    );
    // Python 3.13 reads the same archive.
    let zip13 = case_of(&r, ext_name, "zip-stored-pyc", "cold");
    assert_eq!(zip13["status"], "ok", "{zip13}");
    assert_eq!(
        zip13["python"].as_str().unwrap(),
        ext["python"]["version_short"].as_str().unwrap()
    );
}
