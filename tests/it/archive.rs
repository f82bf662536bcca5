//! Users' own archives, built here by real tools (`python -m zipapp`, `zipfile`,
//! `compileall`): measured as shipped beside their derived variants, diagnosed by
//! `doctor` (each finding and exit status), repaired by `doctor --fix` into an archive a
//! real interpreter imports without compiling anything.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use serde_json::Value;

/// Builds test archives with the interpreter's own tools.
const BUILD: &str = r#"
import calendar, compileall, importlib.util, os, py_compile, shutil, subprocess, sys
import sysconfig, zipfile

kind, out = sys.argv[1], sys.argv[2]
work = out + ".src"
shutil.rmtree(work, ignore_errors=True)
os.makedirs(os.path.join(work, "app"))
files = {
    "app/__init__.py": "from . import util\nNAME = 'app'\n",
    "app/util.py": "def helper():\n    return 42\n",
    "app/core.py": "from .util import helper\nVALUE = helper()\n",
    "__main__.py": "import sys\nimport app.core\nprint('usage' if '--help' in sys.argv else 'run')\n",
    "app/data.txt": "payload\n",
}
for name, text in files.items():
    with open(os.path.join(work, name), "w") as f:
        f.write(text)

def pyc(source, mtime, size):
    code = compile(source, "x.py", "exec")
    return importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little") + \
        int(mtime).to_bytes(4, "little") + size.to_bytes(4, "little") + \
        __import__("marshal").dumps(code)

when = (2020, 7, 1, 12, 0, 0)
if kind == "zipapp":
    subprocess.run([sys.executable, "-m", "zipapp", work, "-p", "/usr/bin/env python3",
                    "-o", out], check=True)
elif kind == "pycache":
    compileall.compile_dir(work, quiet=1)
    subprocess.run([sys.executable, "-m", "zipapp", work, "-o", out], check=True)
elif kind in ("stale", "utc"):
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, when), text)
            if name.endswith(".py"):
                # "utc": the header holds the member time read in UTC, as a build in UTC
                # writes it; "stale": a day off.
                mtime = calendar.timegm(when + (0, 0, 0)) - (0 if kind == "utc" else 86400)
                z.writestr(zipfile.ZipInfo(name[:-3] + ".pyc", when),
                           pyc(text, mtime, len(text.encode())))
elif kind == "bzip2":
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_BZIP2) as z:
        for name, text in files.items():
            z.writestr(name, text)
elif kind == "extension":
    dynload = os.path.join(sysconfig.get_paths()["stdlib"], "lib-dynload")
    so = next(n for n in os.listdir(dynload) if n.startswith("_bisect."))
    shutil.copy(os.path.join(dynload, so), os.path.join(work, "app", so))
    subprocess.run([sys.executable, "-m", "zipapp", work, "-o", out], check=True)
elif kind == "wheel":
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            if name != "__main__.py":
                z.writestr(name, text)
        z.writestr("app-1.0.dist-info/METADATA", "Name: app\nVersion: 1.0\n")
        z.writestr("app-1.0.dist-info/RECORD", "")
shutil.rmtree(work)
"#;

fn build(dir: &Path, kind: &str, name: &str) -> PathBuf {
    let out = dir.join(name);
    let status = Command::new("python3")
        .args(["-c", BUILD, kind])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "building the {kind} archive");
    out
}

/// `doctor ARCHIVE --format json EXTRA`: the report and the exit status.
fn doctor(archive: &Path, extra: &[&str]) -> (Value, i32) {
    let out = bin()
        .arg("doctor")
        .arg(archive)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

fn kinds(report: &Value, key: &str) -> Vec<String> {
    report[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn doctor_names_each_problem_with_its_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, expect) in [
        ("zipapp", "no-bytecode"),
        ("pycache", "pycache"),
        ("stale", "stale"),
        ("bzip2", "unreadable-compression"),
        ("extension", "extension-modules"),
        ("wheel", "no-bytecode"),
    ] {
        let archive = build(dir.path(), kind, &format!("{kind}.zip"));
        let (report, code) = doctor(&archive, &[]);
        assert_eq!(code, 6, "{kind}: {report}");
        let found = kinds(&report, "findings");
        assert!(found.contains(&expect.to_owned()), "{kind}: {found:?}");
        for d in report["findings"].as_array().unwrap() {
            assert!(!d["cost"].as_str().unwrap().is_empty(), "{d}");
            assert!(!d["fix"].as_str().unwrap().is_empty(), "{d}");
        }
    }
}

#[test]
fn timestamp_pycs_built_in_utc_are_stale_in_another_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "utc", "utc.zip");
    let (report, code) = doctor(&archive, &[]);
    assert_eq!(code, 6, "{report}");
    assert_eq!(kinds(&report, "findings"), ["time-zone"], "{report}");
    let what = report["findings"][0]["what"].as_str().unwrap();
    assert!(what.contains("all valid under TZ=UTC"), "{what}");
    assert!(what.contains("stale under TZ=America/New_York"), "{what}");
    // The same archive, imported for real in each zone: no compilation in UTC, every
    // module compiled in New York.
    let compiles = |tz: &str| -> u64 {
        let out = Command::new("python3")
            .args([
                "-I",
                "-B",
                "-c",
                "import sys\nn = [0]\nsys.addaudithook(lambda e, a: n.__setitem__(0, n[0] + (e == 'compile' and isinstance(a[1], str) and a[1].startswith(sys.argv[1]))))\nsys.path.insert(0, sys.argv[1])\nimport app.core\nprint(n[0])",
            ])
            .arg(&archive)
            .env("TZ", tz)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(compiles("UTC"), 0);
    assert!(compiles("America/New_York") >= 3);
}

#[test]
fn doctor_fix_writes_an_archive_that_imports_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "pycache", "app.pyz");
    let fixed = dir.path().join("fixed.pyz");
    let (report, code) = doctor(
        &archive,
        &[
            "--fix",
            fixed.to_str().unwrap(),
            "--measure",
            "2",
            "--no-progress",
        ],
    );
    // The status is the repaired archive's: nothing left.
    assert_eq!(code, 0, "{report}");
    // Measured side by side: the archive as shipped, its repair, a directory.
    let m = &report["measured"];
    for key in ["shipped_ns", "repaired_ns", "directory_ns"] {
        assert!(m[key].as_f64().unwrap() > 0.0, "{key}: {m}");
    }
    assert_eq!(m["modules"], 3, "{m}");
    assert!(m["failures"].as_array().unwrap().is_empty(), "{m}");
    assert!(report["repair"]["remaining"].as_array().unwrap().is_empty());
    let (again, code) = doctor(&fixed, &[]);
    assert_eq!(code, 0, "{again}");
    assert!(again["findings"].as_array().unwrap().is_empty(), "{again}");
    // One archive location holds one Python's bytecode: for 3.9 it is the wrong magic.
    let (py, py39) = (pyenv_python("3.11.7"), pyenv_python("3.9"));
    let (both, code) = doctor(
        &fixed,
        &[
            "--python",
            py.to_str().unwrap(),
            "--python",
            py39.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 6, "{both}");
    assert_eq!(both["several_pythons"], true);
    assert_eq!(kinds(&both, "findings"), ["wrong-magic"], "{both}");
    assert!(
        both["findings"][0]["python"]
            .as_str()
            .unwrap()
            .starts_with("3.9")
    );
    // A real interpreter imports every module from it and compiles none.
    let out = Command::new("python3")
        .args([
            "-I",
            "-B",
            "-c",
            "import sys\nn = [0]\nsys.addaudithook(lambda e, a: n.__setitem__(0, n[0] + (e == 'compile' and isinstance(a[1], str) and a[1].startswith(sys.argv[1]))))\nsys.path.insert(0, sys.argv[1])\nimport app.core, app.util\nassert app.core.__spec__.origin.startswith(sys.argv[1])\nprint(n[0])",
        ])
        .arg(&fixed)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{out:?}");
    // Everything else kept: the program runs, the data member is byte for byte the same,
    // __pycache__ is gone.
    let run = Command::new("python3")
        .arg(&fixed)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "usage");
    let names = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(z.read('app/data.txt').decode(), end='')\nprint(*z.namelist())",
        ])
        .arg(&fixed)
        .output()
        .unwrap();
    let names = String::from_utf8(names.stdout).unwrap();
    assert!(names.starts_with("payload\n"), "{names}");
    assert!(!names.contains("__pycache__"), "{names}");
    assert!(names.contains("app/core.pyc"), "{names}");
}

#[test]
fn a_zipapp_is_measured_as_shipped_beside_what_it_repacks_into() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "zipapp", "app.pyz");
    let scenario_file = |name: &str, extra: &str| {
        write(
            dir.path(),
            &format!("{name}.toml"),
            &format!(
                "name = \"{name}\"\nseed = 1\n[corpus]\nkind = \"archive\"\npath = \"app.pyz\"\n\
                 {extra}\n[measure]\nmodes = [\"cold\"]\nsamples = 2\nwarmup = 0\n"
            ),
        )
    };
    let discovered = scenario_file("found", "");
    let entry = scenario_file("entry", "entry = [\"--help\"]");
    let out = dir.path().join("out");
    bin()
        .arg("run")
        .arg(&discovered)
        .arg(&entry)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .assert()
        .success();
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let shipped = case_of(&r, "found", "shipped", "cold");
    assert_eq!(shipped["status"], "ok", "{shipped}");
    // Byte for byte the archive given, shebang and all.
    let sha = Command::new("sha256sum").arg(&archive).output().unwrap();
    let sha = String::from_utf8(sha.stdout).unwrap();
    assert_eq!(
        shipped["artifact"]["sha256"],
        sha.split_whitespace().next().unwrap()
    );
    // No bytecode in it: it compiles on every start, and says so; the repack does not.
    assert!(counter(shipped, "first", "compiles") >= 3);
    assert!(
        shipped["warnings"][0]
            .as_str()
            .unwrap()
            .contains("compiles its sources")
    );
    for v in ["dir-pyc", "zip-stored-pyc", "zip-deflate6-pyc"] {
        let c = case_of(&r, "found", v, "cold");
        assert_eq!(c["status"], "ok", "{v}: {c}");
        assert_eq!(counter(c, "first", "compiles"), 0, "{v}");
    }
    // The workload: discovered (every module but __main__), or what __main__ imported.
    let found = &scenario(&r, "found");
    assert_eq!(
        found["workload_modules"],
        serde_json::json!(["app", "app.core", "app.util"])
    );
    assert_eq!(found["corpus"]["kind"], "archive");
    assert_eq!(found["corpus"]["diagnosis"][0]["kind"], "no-bytecode");
    let mut ran: Vec<String> = scenario(&r, "entry")["workload_modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    ran.sort();
    assert_eq!(ran, ["app", "app.core", "app.util"]);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("The archive as shipped (Python"), "{md}");
}
