//! Hostile and broken archives, made for real by Python's own `zipfile` and patched byte
//! by byte: `doctor` (plain, `--fix`, `--measure`) and an archive corpus give a finding
//! or a clear error naming the member, never a panic, a traceback or a hang, within the
//! bounds METHODOLOGY.md states (10 s, 512 MiB), and `--fix` writes nothing on error.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;

/// Writes every hostile archive into the folder given as its argument.
const MAKE: &str = r##"
import importlib.util, os, struct, sys, warnings, zipfile
from importlib import _bootstrap_external as be
warnings.simplefilter("ignore")
os.chdir(sys.argv[1])

def mk(path, members, comp=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", comp) as z:
        for n, d in members:
            z.writestr(n, d)

def patch_sizes(path, name, compressed=None, size=None):
    b = bytearray(open(path, "rb").read())
    n = name.encode()
    for sig, off in ((b"PK\x03\x04", 18), (b"PK\x01\x02", 20)):
        i = b.find(sig)
        while i != -1:
            k = 30 if sig == b"PK\x03\x04" else 46
            if b[i + k:i + k + len(n)] == n:
                if compressed is not None:
                    struct.pack_into("<I", b, i + off, compressed)
                if size is not None:
                    struct.pack_into("<I", b, i + off + 4, size)
            i = b.find(sig, i + 4)
    open(path, "wb").write(b)

PKG = [("pkg/__init__.py", "X = 1\n"), ("pkg/mod.py", "Y = 2\n")]
mk("good.zip", PKG)
raw = open("good.zip", "rb").read()
open("truncated.zip", "wb").write(raw[: len(raw) // 2])
b = bytearray(raw)
struct.pack_into("<I", b, raw.rfind(b"PK\x05\x06") + 16, len(raw) + 1000)
open("cd-past-end.zip", "wb").write(b)
# A stored member that says it is 40 bytes longer than it is.
mk("size-lies.zip", PKG)
patch_sizes("size-lies.zip", "pkg/mod.py", compressed=46, size=46)
# 300 MiB of zeros, declared honestly, and 200 MiB declared as 100 bytes.
def zeros(path, name, mib):
    with zipfile.ZipFile(path, "w") as z:
        for n, d in PKG:
            z.writestr(n, d)
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(mib):
                f.write(chunk)
zeros("bomb.zip", "pkg/bomb.py", 300)
zeros("lying-bomb.zip", "pkg/bomb.py", 200)
patch_sizes("lying-bomb.zip", "pkg/bomb.py", size=100)
with zipfile.ZipFile("many.zip", "w") as z:
    for n, d in PKG:
        z.writestr(n, d)
    for i in range(100000):
        z.writestr("data/%d.txt" % i, "")
mk("duplicate.zip", PKG + [("pkg/mod.py", "Y = 3\n")])
mk("dotdot.zip", PKG + [("../escape.py", "E = 1\n")])
mk("absolute.zip", PKG + [("/etc/evil.py", "E = 1\n")])
mk("nul.zip", PKG + [("pkg/nAl.py", "E = 1\n")])
b = open("nul.zip", "rb").read().replace(b"pkg/nAl.py", b"pkg/n\0l.py")
open("nul.zip", "wb").write(b)
mk("encrypted.zip", PKG)
b = bytearray(open("encrypted.zip", "rb").read())
for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
    i = b.find(sig)
    while i != -1:
        b[i + off] |= 1
        i = b.find(sig, i + 4)
open("encrypted.zip", "wb").write(b)
with zipfile.ZipFile("zip64.zip", "w") as z:
    for n, d in PKG:
        info = zipfile.ZipInfo(n)
        with z.open(info, "w", force_zip64=True) as f:
            f.write(d.encode())
def pyc(src):
    code = compile(src, "m.py", "exec")
    return bytes(be._code_to_hash_pyc(code, importlib.util.source_hash(src.encode()), checked=False))
good = pyc("Y = 2\n")
mk("wrong-magic.zip", PKG + [("m.py", "Y = 2\n"), ("m.pyc", b"\0\0\r\n" + good[4:])])
mk("short-pyc.zip", PKG + [("m.py", "Y = 2\n"), ("m.pyc", good[:10])])
mk("garbage-pyc.zip", PKG + [("m.py", "Y = 2\n"), ("m.pyc", good[:16] + b"\xff\0garbage")])
mk("small.zip", PKG)
open("long-prefix.zip", "wb").write(
    b"#!/usr/bin/env python3\n" + b"#" * (4 << 20) + b"\n" + open("small.zip", "rb").read())
"##;

/// The hostile archives, made once per test binary.
fn archives() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new(zipimport_bench::python::PYTHON_EXECUTABLE)
            .args(["-I", "-c", MAKE])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(ok.success());
        dir
    })
    .path()
}

/// The largest resident set of any finished child process (and theirs), in bytes.
fn children_max_rss() -> u64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64 * 1024
}

struct Doctored {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `doctor ARCHIVE ARGS...`, checked for what every run must hold: no panic, no
/// traceback, within the time bound.
fn doctor(archive: &str, args: &[&str]) -> Doctored {
    let t = Instant::now();
    let out = bin()
        .arg("doctor")
        .arg(archives().join(archive))
        .args(args)
        .args(["--no-progress"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let took = t.elapsed();
    let d = Doctored {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    assert!(
        !d.stderr.contains("panicked") && !d.stderr.contains("Traceback"),
        "{archive}: {}",
        d.stderr
    );
    // The bound METHODOLOGY.md states, with room for a loaded machine.
    assert!(took < Duration::from_secs(60), "{archive}: {took:?}");
    d
}

/// Checks `archive`: exit `code`, a finding of `kind` whose line names `member`.
fn finds(archive: &str, code: i32, kind: &str, member: &str) {
    let d = doctor(archive, &[]);
    assert_eq!(d.code, code, "{archive}: {}{}", d.stdout, d.stderr);
    let line = d
        .stdout
        .lines()
        .find(|l| l.contains(&format!("[{kind}]")))
        .unwrap_or_else(|| panic!("{archive}: no [{kind}] in\n{}", d.stdout));
    assert!(line.contains(member), "{archive}: {line}");
}

/// `--fix` refuses `archive` with exit 1, naming `member`, and writes nothing.
fn fix_refuses(archive: &str, member: &str) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("fixed.pyz");
    let d = doctor(archive, &["--fix", target.to_str().unwrap()]);
    assert_eq!(d.code, 1, "{archive}: {}{}", d.stdout, d.stderr);
    assert!(d.stderr.contains(member), "{archive}: {}", d.stderr);
    let left: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "{archive}: --fix left {left:?}");
}

/// `--fix` repairs `archive` into one with no findings; returns the repair.
fn fix_repairs(archive: &str) -> (tempfile::TempDir, PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("fixed.pyz");
    let d = doctor(archive, &["--fix", target.to_str().unwrap()]);
    assert_eq!(d.code, 0, "{archive}: {}{}", d.stdout, d.stderr);
    assert!(d.stdout.contains("the repaired archive has no findings"));
    (out, target)
}

/// Imports `module` from `archive` in a fresh interpreter: its `repr(module.attr)`, or
/// the exception's type.
fn import(archive: &Path, module: &str, attr: &str) -> String {
    let out = std::process::Command::new(zipimport_bench::python::PYTHON_EXECUTABLE)
        .args(["-I", "-B", "-c"])
        .arg(format!(
            "import sys; sys.path.insert(0, sys.argv[1])\ntry:\n import {module} as m; \
             print(repr(m.{attr}))\nexcept Exception as e: print(type(e).__name__)"
        ))
        .arg(archive)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn unreadable_archives_are_findings() {
    finds("truncated.zip", 6, "unreadable-archive", "not a Zip file");
    finds(
        "cd-past-end.zip",
        6,
        "unreadable-archive",
        "central directory",
    );
    fix_refuses("truncated.zip", "truncated.zip");
}

#[test]
fn a_member_whose_size_lies_is_corrupt_and_not_repaired() {
    finds("size-lies.zip", 6, "corrupt-members", "pkg/mod.py");
    fix_refuses("size-lies.zip", "pkg/mod.py");
}

#[test]
fn decompression_bombs_are_reported_without_being_inflated() {
    let before = children_max_rss();
    finds("bomb.zip", 6, "oversized-members", "pkg/bomb.py");
    finds("lying-bomb.zip", 6, "oversized-members", "pkg/bomb.py");
    fix_refuses("bomb.zip", "pkg/bomb.py");
    fix_refuses("lying-bomb.zip", "pkg/bomb.py");
    let rss = children_max_rss();
    assert!(
        rss < 512 << 20,
        "a child used {} MiB (before: {} MiB)",
        rss >> 20,
        before >> 20
    );
}

#[test]
fn names_that_escape_a_folder_are_findings_and_never_repaired() {
    finds("dotdot.zip", 6, "unsafe-names", "../escape.py");
    finds("absolute.zip", 6, "unsafe-names", "/etc/evil.py");
    finds("nul.zip", 6, "unsafe-names", "NUL");
    for (archive, member) in [
        ("dotdot.zip", "../escape.py"),
        ("absolute.zip", "/etc/evil.py"),
        ("nul.zip", "pkg/n\\x00l.py"),
    ] {
        fix_refuses(archive, member);
    }
}

#[test]
fn duplicates_are_found_and_the_repair_keeps_the_copy_zipimport_imports() {
    let shipped = archives().join("duplicate.zip");
    assert_eq!(import(&shipped, "pkg.mod", "Y"), "3");
    finds("duplicate.zip", 6, "duplicate-members", "pkg/mod.py");
    let (_keep, fixed) = fix_repairs("duplicate.zip");
    assert_eq!(import(&fixed, "pkg.mod", "Y"), "3");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&fixed).unwrap()).unwrap();
    let copies = (0..zip.len())
        .filter(|&i| zip.by_index_raw(i).unwrap().name().unwrap() == "pkg/mod.py")
        .count();
    assert_eq!(copies, 1);
}

#[test]
fn encrypted_members_are_found_and_never_repaired() {
    finds("encrypted.zip", 6, "encrypted-members", "pkg/mod.py");
    fix_refuses("encrypted.zip", "is encrypted");
}

#[test]
fn many_entries_and_zip64_are_judged_by_version() {
    // 100,002 members need zip64 end records: unreadable before 3.13, said so.
    finds("many.zip", 6, "unreadable-archive", "zip64");
    // 3.13 reads them; the repair copies 100,000 data members and imports there.
    let py313 = pyenv_python("3.13");
    let py = py313.to_str().unwrap();
    let d = doctor("many.zip", &["--python", py]);
    assert_eq!(d.code, 6, "{}", d.stdout);
    assert!(!d.stdout.contains("unreadable"), "{}", d.stdout);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("fixed.pyz");
    let d = doctor(
        "many.zip",
        &["--python", py, "--fix", target.to_str().unwrap()],
    );
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
    let fixed = zip::ZipArchive::new(std::fs::File::open(&target).unwrap()).unwrap();
    assert_eq!(fixed.len(), 100_004);
    let imported = std::process::Command::new(&py313)
        .args([
            "-I",
            "-B",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import pkg.mod as m; print(m.Y)",
        ])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&imported.stdout).trim(), "2");
    // zip64 extra fields on members, without zip64 end records, import everywhere.
    let d = doctor("zip64.zip", &[]);
    assert_eq!(d.code, 6, "{}", d.stdout);
    assert!(!d.stdout.contains("unreadable"), "{}", d.stdout);
    assert!(d.stdout.contains("[no-bytecode]"), "{}", d.stdout);
    let (_keep, fixed) = fix_repairs("zip64.zip");
    assert_eq!(import(&fixed, "pkg.mod", "Y"), "2");
}

#[test]
fn broken_bytecode_is_found_and_repaired() {
    finds("short-pyc.zip", 6, "broken-bytecode", "EOFError");
    finds("garbage-pyc.zip", 6, "broken-bytecode", "bad marshal data");
    // The truth: importing them fails, and the repair imports.
    for archive in ["short-pyc.zip", "garbage-pyc.zip"] {
        let shipped = archives().join(archive);
        assert_ne!(import(&shipped, "m", "Y"), "2", "{archive}");
        let (_keep, fixed) = fix_repairs(archive);
        assert_eq!(import(&fixed, "m", "Y"), "2", "{archive}");
    }
    // Another Python's magic is not broken: zipimport compiles the source instead.
    finds("wrong-magic.zip", 6, "wrong-magic", "m.py");
    fix_repairs("wrong-magic.zip");
}

#[test]
fn a_prefix_longer_than_the_archive_is_kept_byte_for_byte() {
    let d = doctor("long-prefix.zip", &[]);
    assert_eq!(d.code, 6, "{}", d.stdout);
    assert!(d.stdout.contains("[no-bytecode]"), "{}", d.stdout);
    let (_keep, fixed) = fix_repairs("long-prefix.zip");
    let prefix = 23 + (4 << 20) + 1;
    let shipped = std::fs::read(archives().join("long-prefix.zip")).unwrap();
    let repaired = std::fs::read(&fixed).unwrap();
    assert_eq!(repaired[..prefix], shipped[..prefix]);
    assert_eq!(import(&fixed, "pkg.mod", "Y"), "2");
}

#[test]
fn measuring_a_broken_archive_measures_what_imports() {
    // Discovery leaves out the module whose bytecode is broken, with why; the rest of
    // the archive is measured as shipped, repaired and as a directory.
    let d = doctor("garbage-pyc.zip", &["--measure", "2", "--format", "json"]);
    assert_eq!(d.code, 6, "{}{}", d.stdout, d.stderr);
    let report: serde_json::Value = serde_json::from_str(&d.stdout).unwrap();
    let m = &report["measured"];
    assert_eq!(m["failures"].as_array().unwrap().len(), 0, "{m}");
    assert_eq!(m["modules"], 2, "{m}");
    for k in ["shipped_ns", "repaired_ns", "directory_ns"] {
        assert!(m[k].as_f64().unwrap() > 0.0, "{m}");
    }
}

/// `run` on an archive corpus of `archive` with the workload `modules` (a TOML list),
/// 2 samples and `extra` lines of `[measure]`, stopped after `timeout`: its folder and
/// what it printed.
fn run_archive_corpus(
    archive: &str,
    modules: &str,
    extra: &str,
    timeout: Duration,
) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &format!(
            "name = \"hostile\"\nseed = 1\n[corpus]\nkind = \"archive\"\npath = {:?}\n\
             [workload]\nmodules = {modules}\n[measure]\nsamples = 2\n{extra}",
            archives().join(archive)
        ),
    );
    let out = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(dir.path().join("out"))
        .arg(&scenario)
        .timeout(timeout)
        .output()
        .unwrap();
    (dir, out)
}

#[test]
fn a_worker_failing_on_a_hostile_archive_is_its_case_error() {
    // Told to import the broken module, the shipped archive's worker fails with
    // Python's error; the variants derived from the sources are measured.
    let (dir, out) = run_archive_corpus(
        "garbage-pyc.zip",
        "[\"pkg\", \"m\"]",
        "modes = [\"cold\"]\n",
        Duration::from_secs(300),
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/results.json")).unwrap())
            .unwrap();
    let shipped = case(&r, "shipped", "cold");
    assert_eq!(shipped["status"], "error", "{shipped}");
    assert!(
        shipped["error"]
            .as_str()
            .unwrap()
            .contains("bad marshal data"),
        "{shipped}"
    );
    for variant in ["dir-pyc", "zip-stored-pyc"] {
        let c = case(&r, variant, "cold");
        assert_eq!(c["status"], "ok", "{variant}: {c}");
    }
}

#[test]
fn an_archive_corpus_refuses_hostile_members_naming_them() {
    for (archive, member) in [
        ("dotdot.zip", "../escape.py"),
        ("lying-bomb.zip", "pkg/bomb.py"),
        ("bomb.zip", "pkg/bomb.py"),
        ("encrypted.zip", "is encrypted"),
    ] {
        let (dir, out) = run_archive_corpus(archive, "[\"pkg\"]", "", Duration::from_secs(120));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{archive}: {err}");
        assert!(err.contains(member), "{archive}: {err}");
        assert!(!err.contains("panicked"), "{archive}: {err}");
        assert!(!dir.path().join("out/results.json").exists());
    }
}

#[test]
fn inputs_that_once_broke_doctors_reader_are_findings() {
    // Kept from `scripts/fuzz_doctor.py` campaigns (a member with month 0 in its DOS
    // date once raised ValueError out of the inspection).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions/doctor");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let out = bin()
            .arg("doctor")
            .arg(&path)
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 6)),
            "{}: {err}",
            path.display()
        );
        assert!(
            !err.contains("Traceback") && !err.contains("panicked"),
            "{err}"
        );
        seen += 1;
    }
    assert!(seen > 0);
}
