//! Today's Pythons (3.14 and 3.15 from `scripts/pythons.sh`): zstd members that 3.15's
//! zipimport reads and 3.14's cannot, lazy imports (PEP 810) measured under 3.15 with
//! the modules each import loaded, a run without a Python that has them refused, and
//! every interpreter's build recorded.

use std::path::Path;

use crate::common::*;
use serde_json::Value;

/// Runs `run` on `scenario` with `pythons`, asserting success; the results.
fn run_with(dir: &Path, scenario: &Path, pythons: &[&Path]) -> Value {
    let mut args: Vec<String> = Vec::new();
    for p in pythons {
        args.push("--python".into());
        args.push(p.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_scenario(dir, scenario, &args)
}

#[test]
fn zstd_is_measured_under_3_15_and_unsupported_under_3_14_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let matrix = r#"
[[variants.matrix]]
layout = "dir"
bytecode = "pyc"

[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate6", "zstd1", "zstd", "zstd19"]
bytecode = "pyc"
"#;
    let s = write(
        dir.path(),
        "z.toml",
        &tiny_scenario("z", matrix, "modes = [\"cold\"]").replace("samples = 2", "samples = 3"),
    );
    let (py14, py15) = (debian_python("3.14"), debian_python("3.15"));
    let results = run_with(dir.path(), &s, &[&py14, &py15]);
    for level in ["zstd1", "zstd3", "zstd19"] {
        let variant = format!("zip-{level}-pyc");
        let new = case_of(&results, "z-py3.15.2", &variant, "cold");
        assert_eq!(new["status"], "ok", "{new}");
        assert_eq!(new["samples_ns"].as_array().unwrap().len(), 3);
        assert_eq!(new["compression"], "zstd");
        let old = case_of(&results, "z-py3.14.10", &variant, "cold");
        assert_eq!(old["status"], "unsupported", "{old}");
        // 3.14's own error: its zipimport hands the zstd stream to zlib.
        assert!(
            old["error"].as_str().unwrap().starts_with("zlib.error"),
            "{old}"
        );
        // The embedded 3.11 cannot read it either.
        assert_eq!(
            case_of(&results, "z", &variant, "cold")["status"],
            "unsupported"
        );
    }
    // Levels are levels: the archives differ, and the highest is the smallest.
    let size = |v: &str| case_of(&results, "z-py3.15.2", v, "cold")["artifact"]["size"].as_u64();
    assert!(size("zip-zstd19-pyc") < size("zip-zstd1-pyc"));
    assert!(size("zip-zstd1-pyc") < size("zip-stored-pyc"));

    // What the reports say, per version.
    let out = dir.path().join("out");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("zipimport cannot read zstd members under Python 3.14.10 (zstd: from 3.15)"),
        "{md}"
    );
    assert!(md.contains("| zipimport reads |"), "{md}");
    assert!(md.contains("stored, deflate, zstd"), "{md}");
    assert!(
        md.contains(
            "zstd, which zipimport reads from Python 3.15 (this is 3.15.2): zip-zstd1-pyc takes"
        ),
        "{md}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("zipimport reads"));

    // Each interpreter's build is recorded, and the table says these differ.
    let py15 = &scenario(&results, "z-py3.15.2")["python"];
    assert!(py15["build_config"]["opt"].as_str().unwrap().contains("-O"));
    assert!(
        !py15["build_config"]["config_args"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert!(results["metadata"]["python"]["build_config"]["opt"].is_string());
    assert!(md.contains("built differently"), "{md}");
}

/// A zipapp whose entry imports a plugin for its side effect (registering a format) and
/// a module it only uses with `--heavy`.
fn plugin_app(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("app")).unwrap();
    let files = [
        (
            "__main__.py",
            "import sys\nimport app.cli\napp.cli.main(sys.argv[1:])\n",
        ),
        ("app/__init__.py", ""),
        (
            "app/cli.py",
            "import app.heavy\nimport app.plugins\nfrom app import registry\n\n\
             def main(args):\n    if '--heavy' in args:\n        app.heavy.run()\n    \
             registry.get('csv')\n",
        ),
        (
            "app/heavy.py",
            "import app.report\n\ndef run():\n    return app.report.render()\n",
        ),
        ("app/report.py", "def render():\n    return 'report'\n"),
        (
            "app/registry.py",
            "_formats = {}\n\ndef register(name, f):\n    _formats[name] = f\n\n\
             def get(name):\n    return _formats[name]\n",
        ),
        (
            "app/plugins.py",
            "from app import registry\nregistry.register('csv', object())\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).unwrap();
    }
    let pyz = dir.join("app.pyz");
    let status = std::process::Command::new("python3")
        .args(["-m", "zipapp"])
        .arg(&src)
        .arg("-o")
        .arg(&pyz)
        .status()
        .unwrap();
    assert!(status.success());
    pyz
}

fn lazy_scenario(dir: &Path) -> std::path::PathBuf {
    plugin_app(dir);
    write(
        dir,
        "lazy.toml",
        r#"name = "lazy"
seed = 1

[corpus]
kind = "archive"
path = "app.pyz"
entry = ["--help"]

[measure]
modes = ["cold"]
samples = 3
warmup = 0
lazy-imports = ["normal", "all"]
"#,
    )
}

#[test]
fn lazy_imports_load_fewer_modules_and_break_an_import_side_effect() {
    let dir = tempfile::tempdir().unwrap();
    let s = lazy_scenario(dir.path());
    let (py14, py15) = (debian_python("3.14"), debian_python("3.15"));
    let results = run_with(dir.path(), &s, &[&py14, &py15]);

    // 3.15 is measured both ways; 3.14 and the embedded 3.11 normally only.
    let names: Vec<&str> = results["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "lazy",
            "lazy-py3.14.10",
            "lazy-py3.15.2",
            "lazy-py3.15.2-lazy"
        ]
    );
    for c in results["cases"].as_array().unwrap() {
        let want = if c["scenario"] == "lazy-py3.15.2-lazy" {
            "all"
        } else {
            "normal"
        };
        assert_eq!(c["lazy_imports"], want, "{}", c["scenario"]);
    }
    let lazy = scenario(&results, "lazy-py3.15.2-lazy");
    assert_eq!(lazy["python"]["lazy_imports"], "all");
    assert_eq!(
        scenario(&results, "lazy-py3.15.2")["python"]["lazy_imports"],
        "normal"
    );

    // Under lazy imports the entry loads only what it uses: not app.heavy, app.report
    // or app.plugins, whose names it never touches (the plugin's registration is the
    // side effect lazy mode skips, and the entry says so with Python's error).
    let normal = scenario(&results, "lazy-py3.15.2");
    let workload = |s: &Value| -> Vec<String> {
        let mut w: Vec<String> = s["workload_modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect();
        w.sort();
        w
    };
    assert_eq!(
        workload(normal),
        [
            "app",
            "app.cli",
            "app.heavy",
            "app.plugins",
            "app.registry",
            "app.report"
        ]
    );
    assert_eq!(workload(lazy), ["app", "app.cli", "app.registry"]);
    assert_eq!(lazy["corpus"]["entry_error"], "KeyError: 'csv'");
    assert!(normal["corpus"]["entry_error"].is_null());
    for variant in ["shipped", "dir-pyc", "zip-stored-pyc"] {
        let n = case_of(&results, "lazy-py3.15.2", variant, "cold");
        let l = case_of(&results, "lazy-py3.15.2-lazy", variant, "cold");
        assert_eq!(n["status"], "ok", "{n}");
        assert_eq!(l["status"], "ok", "{l}");
        assert_eq!(n["probe"]["modules"], 6, "{n}");
        assert_eq!(l["probe"]["modules"], 3, "{l}");
    }

    let md = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(md.contains("lazy imports under Python 3.15.2"), "{md}");
    assert!(
        md.contains("under lazy imports all, the archive's entry raised KeyError: 'csv'"),
        "{md}"
    );
    assert!(
        md.contains("lazy-py3.14.10 (Python 3.14.10) was measured under normal imports only"),
        "{md}"
    );
}

#[test]
fn a_run_without_a_python_that_has_lazy_imports_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = lazy_scenario(dir.path());
    let py14 = debian_python("3.14");
    for extra in [
        vec![],
        vec!["--python".to_owned(), py14.display().to_string()],
    ] {
        let out = dir.path().join("out");
        let output = bin()
            .arg("run")
            .arg(&s)
            .arg("--out")
            .arg(&out)
            .arg("--no-progress")
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let err = String::from_utf8_lossy(&output.stderr);
        // File, line and field; the versions the run has.
        assert!(
            err.contains(&format!("{}:13:16: measure.lazy-imports:", s.display())),
            "{err}"
        );
        assert!(err.contains("3.11.7 (embedded)"), "{err}");
        if !extra.is_empty() {
            assert!(err.contains("3.14.10 ("), "{err}");
        }
        assert!(
            !err.contains("panicked") && !err.contains("Traceback"),
            "{err}"
        );
        assert!(!out.exists(), "nothing is written");
    }
}

#[test]
fn doctor_says_which_python_reads_zstd_members() {
    let dir = tempfile::tempdir().unwrap();
    let (py14, py15) = (debian_python("3.14"), debian_python("3.15"));
    let archive = dir.path().join("z.zip");
    // 3.15's zipfile writes zstd members (method 93).
    let status = std::process::Command::new(&py15)
        .args([
            "-I",
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', compression=zipfile.ZIP_ZSTANDARD) as z:\n\
             \x20   z.writestr('app/__init__.py', '')\n\
             \x20   z.writestr('app/mod.py', 'X = 1\\n' * 50)\n",
        ])
        .arg(&archive)
        .status()
        .unwrap();
    assert!(status.success());
    let out = bin()
        .arg("doctor")
        .arg(&archive)
        .arg("--python")
        .arg(&py15)
        .arg("--python")
        .arg(&py14)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = |kind: &str, python: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == kind && f["python"] == python)
            .cloned()
    };
    // 3.15 reads them: a note that older Pythons do not.
    let note = finding("version-bound-compression", "3.15.2").expect("a note for 3.15");
    assert_eq!(note["severity"], "note");
    assert!(note["what"].as_str().unwrap().contains("(zstd: from 3.15)"));
    assert!(finding("unreadable-compression", "3.15.2").is_none());
    // 3.14 cannot: a problem, with its own error.
    let problem = finding("unreadable-compression", "3.14.10").expect("a problem for 3.14");
    assert!(
        problem["what"]
            .as_str()
            .unwrap()
            .contains("invalid stored block lengths")
    );
    assert!(problem["fix"].as_str().unwrap().contains("zstd: from 3.15"));
    assert!(finding("version-bound-compression", "3.14.10").is_none());
}
