//! `doctor` tells the truth: for each way an archive can mislead (modules outside
//! regular packages, stale hash pycs, archives built outside UTC, the repeated autumn
//! hour, bytecode-only modules, wrong magics, data members in odd methods, many entries
//! without zip64 records, a zone without time-zone data), the archive is built with
//! Python's own tools, imported for real under every target interpreter with an audit
//! hook counting compilations, and `doctor`'s exit status must agree: 0 exactly when no
//! import compiles, fails or runs old code, 6 otherwise. `--fix` keeps what the archive
//! was (mode, comment, prefix, member order) and leaves nothing to compile, with
//! tracebacks that name the archive.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use serde_json::Value;

/// Builds one test archive with the interpreter's own tools: `python BUILD KIND OUT`.
const BUILD: &str = r#"
import calendar, importlib.util, marshal, os, py_compile, subprocess, sys, time, zipfile
from importlib import _bootstrap_external

kind, out = sys.argv[1], sys.argv[2]

def timestamp_pyc(source, mtime):
    code = compile(source, "x.py", "exec")
    return (importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
            + int(mtime).to_bytes(4, "little") + len(source.encode()).to_bytes(4, "little")
            + marshal.dumps(code))

def hash_pyc(source, checked, of=None):
    code = compile(source, "x.py", "exec")
    h = importlib.util.source_hash((of or source).encode())
    return bytes(_bootstrap_external._code_to_hash_pyc(code, h, checked=checked))

def local_build(files, zone, when):
    """Members stamped with `when` (a wall-clock time), pycs with that wall clock read
    in `zone`: what zipfile and py_compile write on a machine in that zone."""
    os.environ["TZ"] = zone
    time.tzset()
    mtime = time.mktime(when + (0, 0, -1))
    with zipfile.ZipFile(out, "w") as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, when), text)
            if name.endswith(".py"):
                z.writestr(zipfile.ZipInfo(name[:-3] + ".pyc", when), timestamp_pyc(text, mtime))

app = {"app/__init__.py": "X = 1\n", "app/core.py": "VALUE = 2\n", "app/util.py": "U = 3\n"}

if kind == "namespace":
    # nspkg has no __init__: a namespace package. Everything else has bytecode. The
    # folders get entries of their own, as `python -m zipapp` writes them: zipimport
    # finds a namespace package only by its folder's entry.
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("app/", "")
        z.writestr("nspkg/", "")
        for name, text in {**app, "nspkg/mod.py": "N = 4\n"}.items():
            z.writestr(name, text)
            if name.startswith("app/"):
                z.writestr(name[:-3] + ".pyc", hash_pyc(text, False))
elif kind in ("stale-checked", "stale-unchecked"):
    with zipfile.ZipFile(out, "w") as z:
        for name, text in app.items():
            z.writestr(name, text)
            old = "VALUE = 1\n" if name == "app/core.py" else text
            z.writestr(name[:-3] + ".pyc",
                       hash_pyc(old, kind == "stale-checked"))
elif kind == "berlin":
    local_build(app, "Europe/Berlin", (2023, 7, 1, 12, 0, 0))
elif kind == "new-york":
    # Two modules built in July, one in the repeated autumn hour.
    files = dict(app)
    local_build(files, "America/New_York", (2023, 7, 1, 12, 0, 0))
elif kind == "repeated-hour":
    local_build(app, "America/New_York", (2023, 11, 5, 1, 30, 0))
elif kind == "sourceless":
    # A pyc another Python compiled (argv[3]), with no source beside it.
    with open(sys.argv[3], "rb") as f:
        old = f.read()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("app/__init__.py", "X = 1\n")
        z.writestr("app/old.pyc", old)
elif kind == "bad-magic":
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("app/__init__.py", "X = 1\n")
        z.writestr("app/__init__.pyc", hash_pyc("X = 1\n", False))
        z.writestr("app/g.py", "G = 1\n")
        z.writestr("app/g.pyc", b"")
elif kind == "bzip2-data":
    with zipfile.ZipFile(out, "w") as z:
        for name, text in app.items():
            z.writestr(name, text)
            z.writestr(name[:-3] + ".pyc", hash_pyc(text, False))
        z.writestr("app/data.txt", "payload " * 100, compress_type=zipfile.ZIP_BZIP2)
elif kind == "many-entries":
    # 66,001 entries and no zip64 records (the end record's 16-bit counts wrapped, as
    # writers that do not do zip64 leave them): zipimport walks the central directory
    # whatever the count says.
    with zipfile.ZipFile(out, "w") as z:
        for name, text in app.items():
            z.writestr(name, text)
            z.writestr(name[:-3] + ".pyc", hash_pyc(text, False))
        for i in range(66001 - 6):
            z.writestr("_filler/%d" % i, "")
    with open(out, "rb") as f:
        data = bytearray(f.read())
    end = data.rfind(b"PK\x05\x06")
    locator = end - 20
    assert data[locator:locator + 4] == b"PK\x06\x07"
    record = int.from_bytes(data[locator + 8:locator + 16], "little")
    eocd = data[end:]
    count = (66001 & 0xFFFF).to_bytes(2, "little")
    eocd[8:10] = count
    eocd[10:12] = count
    data = data[:record] + eocd
    with open(out, "wb") as f:
        f.write(data)
elif kind == "zipapp":
    src = out + ".src"
    os.makedirs(os.path.join(src, "app"), exist_ok=True)
    for name, text in {**app, "app/core.py": "def boom():\n    raise ValueError('boom')\n",
                       "__main__.py": "import app.core\napp.core.boom()\n"}.items():
        with open(os.path.join(src, name), "w") as f:
            f.write(text)
    subprocess.run([sys.executable, "-m", "zipapp", src, "-p", "/usr/bin/env python3",
                    "-o", out], check=True)
    with zipfile.ZipFile(out, "a") as z:
        z.comment = b"built by the tests"
else:
    raise SystemExit("unknown kind " + kind)
"#;

/// Imports every module of `modules` from `archive` with `python` in `tz`, counting
/// compilations of the archive's files; prints `compiles failures old`, where `old`
/// counts modules whose code is not their source's (a stale unchecked pyc).
const IMPORT: &str = r#"
import importlib, sys
archive, names = sys.argv[1], sys.argv[2].split(",")
n = [0]
def hook(event, args):
    if event == "compile" and isinstance(args[1], str) and args[1].startswith(archive):
        n[0] += 1
sys.addaudithook(hook)
sys.path.insert(0, archive)
failures = old = 0
for name in names:
    try:
        m = importlib.import_module(name)
    except Exception as exc:
        failures += 1
        print(type(exc).__name__, exc, file=sys.stderr)
        continue
    if getattr(m, "VALUE", 2) != 2:
        old += 1
print(n[0], failures, old)
"#;

fn build(dir: &Path, kind: &str) -> PathBuf {
    let out = dir.join(format!("{kind}.zip"));
    let status = Command::new("python3")
        .args(["-I", "-c", BUILD, kind])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "building {kind}");
    out
}

/// The target interpreters: the embedded one's and every other one 3.9 to 3.15 (pyenv's,
/// and 3.14 and 3.15 from scripts/pythons.sh: a missing one fails the test, naming the
/// command that installs it, rather than shrinking what the test covers).
fn pythons() -> Vec<PathBuf> {
    let mut out = vec![pyenv_python("3.11.7")];
    for v in ["3.9", "3.10", "3.12", "3.13"] {
        out.push(pyenv_python(v));
    }
    for v in ["3.14", "3.15"] {
        out.push(debian_python(v));
    }
    out
}

/// (compilations, failed imports, modules running old code) of a real import.
fn import(python: &Path, archive: &Path, modules: &[&str], tz: &str) -> (u64, u64, u64) {
    let out = Command::new(python)
        .args(["-I", "-B", "-c", IMPORT])
        .arg(archive)
        .arg(modules.join(","))
        .env_clear()
        .env("TZ", tz)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(
        v.len(),
        3,
        "{}: {text} {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (v[0], v[1], v[2])
}

/// `doctor` on `archive` for `python`: its report and exit status.
fn doctor(archive: &Path, python: &Path, extra: &[&str]) -> (Value, i32) {
    let out = bin()
        .arg("doctor")
        .arg(archive)
        .arg("--python")
        .arg(python)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (report, out.status.code().unwrap())
}

fn kinds(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "problem")
        .map(|d| d["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks, for every target Python, that `doctor` says there is a problem exactly when
/// importing `modules` from `archive` compiles, fails or runs old code in some zone
/// `doctor` judges, and that the problem it names for the Python that built the
/// archive is `expected` (for the others it is usually their wrong magic).
fn agrees(archive: &Path, modules: &[&str], expected: Option<&str>) {
    let builder = pyenv_python("3.11.7");
    for python in pythons() {
        let (report, code) = doctor(archive, &python, &[]);
        let real: Vec<(u64, u64, u64)> = ["UTC", "America/New_York"]
            .iter()
            .map(|tz| import(&python, archive, modules, tz))
            .collect();
        let bad = real.iter().any(|&(c, f, o)| c + f + o > 0);
        let name = python.display();
        assert_eq!(
            code,
            if bad { 6 } else { 0 },
            "{name}: real imports {real:?}; {report}"
        );
        if let (true, Some(kind), true) = (bad, expected, python == builder) {
            assert!(
                kinds(&report).contains(&kind.to_owned()),
                "{name}: {report}"
            );
        }
    }
}

#[test]
fn modules_of_a_namespace_package_are_seen_counted_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "namespace");
    agrees(&archive, &["app.core", "nspkg.mod"], Some("no-bytecode"));
    let fixed = dir.path().join("fixed.zip");
    let py = pyenv_python("3.11.7");
    let (_, code) = doctor(&archive, &py, &["--fix", fixed.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        import(&py, &fixed, &["app.core", "nspkg.mod"], "UTC"),
        (0, 0, 0)
    );
}

#[test]
fn stale_hash_pycs_are_caught() {
    let dir = tempfile::tempdir().unwrap();
    agrees(
        &build(dir.path(), "stale-checked"),
        &["app.core"],
        Some("stale-checked-hash"),
    );
    // An unchecked one compiles nothing but runs old code: a problem all the same.
    let unchecked = build(dir.path(), "stale-unchecked");
    agrees(&unchecked, &["app.core"], Some("stale-unchecked-hash"));
    let py = pyenv_python("3.11.7");
    assert_eq!(import(&py, &unchecked, &["app.core"], "UTC"), (0, 0, 1));
}

#[test]
fn time_zones_are_judged_per_module_and_the_build_offset_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // Built in Berlin: stale in UTC and in New York alike; valid only at UTC+02:00.
    let berlin = build(dir.path(), "berlin");
    agrees(&berlin, &["app", "app.core", "app.util"], Some("stale"));
    let (report, _) = doctor(&berlin, &pyenv_python("3.11.7"), &[]);
    assert!(report.to_string().contains("UTC+02:00"), "{report}");
    // Built in New York in July: valid in New York, stale in UTC.
    let ny = build(dir.path(), "new-york");
    agrees(&ny, &["app", "app.core", "app.util"], Some("time-zone"));
    let (report, _) = doctor(&ny, &pyenv_python("3.11.7"), &[]);
    let zone = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "time-zone")
        .unwrap_or_else(|| panic!("{report}"));
    let what = zone["what"].as_str().unwrap();
    assert!(what.contains("3 stale under TZ=UTC"), "{what}");
    assert!(!what.contains("America/New_York ("), "{what}");
}

#[test]
fn member_times_in_the_repeated_autumn_hour_are_order_dependent() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "repeated-hour");
    let (report, code) = doctor(&archive, &pyenv_python("3.11.7"), &[]);
    assert_eq!(code, 6, "{report}");
    assert!(
        kinds(&report).contains(&"order-dependent".to_owned()),
        "{report}"
    );
}

#[test]
fn bytecode_only_modules_and_wrong_magics_are_named_by_version() {
    let dir = tempfile::tempdir().unwrap();
    // The module compiled by Python 3.9, as it would ship for 3.9.
    let src = dir.path().join("old.py");
    std::fs::write(&src, "VALUE = 2\n").unwrap();
    let pyc39 = dir.path().join("old.pyc");
    let status = Command::new(pyenv_python("3.9"))
        .args(["-c", "import py_compile, sys\npy_compile.compile(sys.argv[1], cfile=sys.argv[2], invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)"])
        .arg(&src)
        .arg(&pyc39)
        .status()
        .unwrap();
    assert!(status.success());
    let sourceless = dir.path().join("sourceless.zip");
    let status = Command::new("python3")
        .args(["-I", "-c", BUILD, "sourceless"])
        .arg(&sourceless)
        .arg(&pyc39)
        .status()
        .unwrap();
    assert!(status.success());
    agrees(&sourceless, &["app.old"], Some("sourceless-wrong-magic"));
    let (report, _) = doctor(&sourceless, &pyenv_python("3.11.7"), &[]);
    assert!(
        report.to_string().contains("Python 3.9 (magic 3425)"),
        "{report}"
    );
    let fixed = dir.path().join("fixed.zip");
    let (after, code) = doctor(
        &sourceless,
        &pyenv_python("3.11.7"),
        &["--fix", fixed.to_str().unwrap()],
    );
    assert_eq!(code, 6, "--fix cannot rebuild it: {after}");
    let bad = build(dir.path(), "bad-magic");
    agrees(&bad, &["app.g"], Some("wrong-magic"));
    let (report, _) = doctor(&bad, &pyenv_python("3.11.7"), &[]);
    assert!(report.to_string().contains("not a pyc"), "{report}");
}

#[test]
fn no_false_alarms_for_data_members_or_many_entries() {
    let dir = tempfile::tempdir().unwrap();
    let data = build(dir.path(), "bzip2-data");
    agrees(&data, &["app", "app.core"], None);
    let many = build(dir.path(), "many-entries");
    agrees(&many, &["app", "app.core"], None);
    // Judged by its records, not its count: 3.11 walks the directory and reads it
    // (3.13 and later refuse it, "mismatched num_entries", and `agrees` has checked
    // that doctor says so), and the bzip2 data member is a note, not a problem.
    let (report, code) = doctor(&many, &pyenv_python("3.11.7"), &[]);
    assert_eq!(code, 0, "{report}");
    let (report, code) = doctor(&data, &pyenv_python("3.11.7"), &[]);
    assert_eq!(code, 0, "{report}");
    assert!(report.to_string().contains("data-compression"), "{report}");
}

#[test]
fn a_zone_without_time_zone_data_is_said_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "new-york");
    let empty = dir.path().join("no-zones");
    std::fs::create_dir_all(&empty).unwrap();
    let out = bin()
        .arg("doctor")
        .arg(&archive)
        .args(["--format", "json"])
        .env("TZDIR", &empty)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(all.contains(&"time-zone-unknown"), "{report}");
}

#[test]
fn fix_keeps_mode_comment_prefix_order_and_names_the_archive_in_tracebacks() {
    let dir = tempfile::tempdir().unwrap();
    let archive = build(dir.path(), "zipapp");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&archive, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fixed = dir.path().join("fixed.pyz");
    let py = pyenv_python("3.11.7");
    let (report, code) = doctor(&archive, &py, &["--fix", fixed.to_str().unwrap()]);
    assert_eq!(code, 0, "{report}");
    let mode = std::fs::metadata(&fixed).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);
    let shebang = std::fs::read(&fixed).unwrap();
    assert!(shebang.starts_with(b"#!/usr/bin/env python3\n"));
    let listing = Command::new(&py)
        .args(["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nprint(z.comment.decode())\nprint(*z.namelist())"])
        .arg(&fixed)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.starts_with("built by the tests\n"), "{listing}");
    // Each source is followed by its pyc, in the original order.
    let names: Vec<&str> = listing.lines().nth(1).unwrap().split(' ').collect();
    for (i, n) in names.iter().enumerate() {
        if let Some(stem) = n.strip_suffix(".py") {
            assert_eq!(
                names.get(i + 1).copied(),
                Some(format!("{stem}.pyc").as_str()),
                "{names:?}"
            );
        }
    }
    // Runnable as it was, and its traceback names the archive, not a relative path a
    // file in the current folder could shadow.
    let decoy = dir.path().join("decoy");
    std::fs::create_dir_all(decoy.join("app")).unwrap();
    std::fs::write(decoy.join("app/core.py"), "# an unrelated file\n").unwrap();
    let run = Command::new(&fixed).current_dir(&decoy).output().unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!("{}/app/core.py", fixed.display())),
        "{err}"
    );
    assert!(err.contains("ValueError: boom"), "{err}");
    // Nothing left to compile, under every target Python that made it... and the one
    // that did reads it without a compilation.
    assert_eq!(
        import(&py, &fixed, &["app", "app.core", "app.util"], "UTC"),
        (0, 0, 0)
    );
}

/// Builds an archive with hash pycs beside every source (nothing to compile), where
/// `pkg.bad` reads its data through a path built from `__file__` and `pkg.good` through
/// importlib.resources, and `pkg.guarded` only names `__file__` in a message.
const FILE_RELATIVE: &str = r#"
import importlib.util, sys, zipfile
from importlib import _bootstrap_external
files = {
    "pkg/__init__.py": "",
    "pkg/bad.py": "import os\nHERE = os.path.dirname(__file__)\nDATA_DIR = os.path.join(HERE, 'data')\nwith open(os.path.join(DATA_DIR, 'table.txt')) as f:\n    TABLE = f.read()\n",
    "pkg/good.py": "from importlib.resources import files\nTABLE = files('pkg').joinpath('data/table.txt').read_text()\n",
    "pkg/guarded.py": "WHERE = 'loaded from ' + __file__\n",
}
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
        code = compile(text, name, "exec")
        h = importlib.util.source_hash(text.encode())
        z.writestr(name + "c", bytes(_bootstrap_external._code_to_hash_pyc(code, h, checked=False)))
    z.writestr("pkg/data/table.txt", "1 2 3\n")
"#;

/// Code that opens data by a path built from `__file__` fails when imported from the
/// archive, and `doctor` says so with the module and line, for every target Python; the
/// same data read through importlib.resources works and is not named.
#[test]
fn data_opened_relative_to_file_is_named_and_really_fails_from_the_zip() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("data.zip");
    let status = Command::new("python3")
        .args(["-I", "-c", FILE_RELATIVE])
        .arg(&archive)
        .status()
        .unwrap();
    assert!(status.success());
    for python in pythons() {
        let name = python.display().to_string();
        let try_import = |module: &str| {
            Command::new(&python)
                .args(["-I", "-B", "-c"])
                .arg(format!(
                    "import sys; sys.path.insert(0, sys.argv[1]); import {module}; print('ok')"
                ))
                .arg(&archive)
                .output()
                .unwrap()
        };
        let bad = try_import("pkg.bad");
        assert!(
            !bad.status.success(),
            "{name}: pkg.bad imported from the zip"
        );
        assert!(
            String::from_utf8_lossy(&bad.stderr).contains("NotADirectoryError"),
            "{name}: {}",
            String::from_utf8_lossy(&bad.stderr)
        );
        for module in ["pkg.good", "pkg.guarded"] {
            let out = try_import(module);
            assert!(out.status.success(), "{name}: {module}: {out:?}");
        }
        let (report, code) = doctor(&archive, &python, &[]);
        // A note, not a problem: for the Python that built its bytecode the archive
        // imports without compiling anything (the others see a wrong magic).
        if python == pyenv_python("3.11.7") {
            assert_eq!(code, 0, "{name}: {report}");
        }
        let notes: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == "file-relative-data")
            .collect();
        assert_eq!(notes.len(), 1, "{name}: {report}");
        let what = notes[0]["what"].as_str().unwrap();
        assert!(
            what.contains("1 module(s)") && what.contains("pkg/bad.py:4"),
            "{name}: {what}"
        );
        assert_eq!(notes[0]["severity"], "note");
    }
}
