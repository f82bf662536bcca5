//! Faults: workers that raise, exit, hang, crash or scribble on stdout; runs that are
//! interrupted or killed. The harness records each as what it is, keeps going, and
//! never loses or corrupts what it already measured.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use zipimport_bench::measure::{self, CaseRun, Imports, MeasureOptions, StopFlag, WorkerCommand};
use zipimport_bench::package::{Artifact, ArtifactInfo};
use zipimport_bench::scenario::{Bytecode, Layout, Mode, Variant};
use zipimport_bench::status::Status;

/// Measures a hand-written directory whose package `pkg` has `init` as its
/// `__init__.py`, cold and warm, 2 samples, with a short timeout.
fn measure_dir(init: &str, timeout: Duration) -> Vec<measure::CaseOutcome> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("artifact");
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("pkg/__init__.py"), init).unwrap();
    let artifact = Artifact {
        variant: Variant {
            layout: Layout::Dir,
            compression: None,
            bytecode: Bytecode::None,
        },
        info: ArtifactInfo {
            path: root,
            size: 0,
            entries: 1,
            sha256: String::new(),
        },
    };
    let opts = MeasureOptions {
        worker: WorkerCommand {
            exe: PathBuf::from(env!("CARGO_BIN_EXE_zipimport-bench")),
            work_dir: dir.path().to_owned(),
            timeout,
            stop: StopFlag::new(),
            external: None,
            quota: None,
        },
        modes: vec![Mode::Cold, Mode::Warm],
        samples: 2,
        precision: None,
        min_samples: 2,
        reference: zipimport_bench::scenario::Variant::from_id("dir-pyc").unwrap(),
        warmup: 0,
        seed: 1,
        progress: false,
        instructions: None,
        reference_every: 6,
        focus: None,
        trace: false,
    };
    let workload = Imports {
        modules: vec!["pkg".into()],
        roots: vec!["pkg".into()],
    };
    measure::measure(
        &[artifact],
        &workload,
        &opts,
        &|_, _| CaseRun::default(),
        &mut |_, _, _, _| {},
    )
    .unwrap()
    .cases
}

fn only_error(cases: &[measure::CaseOutcome]) -> String {
    assert_eq!(cases.len(), 2);
    for c in cases {
        assert_eq!(c.status, Status::Error, "{c:?}");
        assert!(c.samples.is_empty());
    }
    cases[0].error.clone().unwrap()
}

#[test]
fn a_module_that_raises_is_an_error_with_the_exception() {
    let e = only_error(&measure_dir(
        "raise RuntimeError('broken at import')\n",
        Duration::from_secs(30),
    ));
    assert_eq!(e, "RuntimeError: broken at import");
}

#[test]
fn a_module_that_exits_is_an_error_with_the_exit_status() {
    let e = only_error(&measure_dir(
        "import os\nos._exit(7)\n",
        Duration::from_secs(30),
    ));
    assert!(e.contains("worker exited with status 7"), "{e}");
}

#[test]
fn a_module_that_hangs_times_out() {
    let t = Instant::now();
    let e = only_error(&measure_dir(
        "import time\ntime.sleep(600)\n",
        Duration::from_secs(2),
    ));
    assert!(e.contains("timed out after 2 s"), "{e}");
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn a_module_that_segfaults_is_an_error_naming_the_signal() {
    let e = only_error(&measure_dir(
        "import ctypes\nctypes.string_at(0)\n",
        Duration::from_secs(30),
    ));
    assert!(e.contains("killed by signal 11"), "{e}");
}

#[test]
fn garbage_on_stdout_does_not_disturb_the_protocol() {
    let cases = measure_dir(
        "import os, sys\nos.write(1, b'garbage\\n{\"type\": \"sample\"}\\n')\nprint('more garbage')\nX = 1\n",
        Duration::from_secs(30),
    );
    for c in &cases {
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert_eq!(c.samples.len(), 2);
    }
}

/// Waits until the journal holds at least `n` samples.
fn wait_for_samples(journal: &Path, n: usize) {
    let t = Instant::now();
    loop {
        let count = std::fs::read_to_string(journal)
            .map(|s| s.matches("\"type\":\"sample\"").count())
            .unwrap_or(0);
        if count >= n {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no progress in the journal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn results(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("out/results.json")).unwrap()).unwrap()
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn ctrl_c_leaves_valid_partial_results_and_resume_finishes_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    let mut child = start_run(dir.path(), Path::new("scenarios/quick.toml"), 30);
    wait_for_samples(&dir.path().join("out/journal.jsonl"), 20);
    // SAFETY: sending a signal to our own child process, which is still running.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));

    let r = results(dir.path());
    assert_eq!(r["metadata"]["complete"], false);
    let cases = r["cases"].as_array().unwrap();
    let incomplete = cases.iter().filter(|c| c["status"] == "incomplete").count();
    assert!(incomplete > 0);
    let kept: usize = cases
        .iter()
        .map(|c| c["samples_ns"].as_array().unwrap().len())
        .sum();
    assert!(kept >= 20, "results hold {kept} samples");
    assert!(
        leftovers(dir.path()).is_empty(),
        "temporary files left: {:?}",
        leftovers(dir.path())
    );

    bin()
        .args([
            "run",
            "scenarios/quick.toml",
            "--resume",
            "--no-progress",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .env("TMPDIR", dir.path().join("tmp"))
        .assert()
        .success();
    let r = results(dir.path());
    assert_eq!(r["metadata"]["complete"], true);
    for c in r["cases"].as_array().unwrap() {
        match c["status"].as_str().unwrap() {
            // A reference stops with its cases, not on its own count: when the
            // interrupted round left some cases a sample behind, it is sampled again
            // beside them.
            "ok" if c["variant"] == "dir-pyc" => {
                assert!(c["samples_ns"].as_array().unwrap().len() >= 30, "{c}")
            }
            "ok" => assert_eq!(
                c["samples_ns"].as_array().unwrap().len(),
                30,
                "{}",
                c["variant"]
            ),
            "unsupported" => assert_eq!(c["variant"], "zip-bzip2-pyc"),
            other => panic!("{} is {other}", c["variant"]),
        }
    }
    assert!(leftovers(dir.path()).is_empty());
    // A finished run has nothing to resume.
    bin()
        .args(["run", "--resume", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("nothing to resume"));
}

#[test]
fn a_killed_run_loses_no_journaled_sample_and_resume_refuses_a_changed_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &std::fs::read_to_string("scenarios/quick.toml").unwrap(),
    );
    let mut child = start_run(dir.path(), &scenario, 30);
    let journal = dir.path().join("out/journal.jsonl");
    wait_for_samples(&journal, 10);
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    let lock = dir
        .path()
        .join("out")
        .join(zipimport_bench::lock::LOCK_FILE);
    assert!(
        lock.exists(),
        "a killed run leaves its lock file (but not its lock)"
    );
    // No results file was half-written: there is none yet.
    assert!(!dir.path().join("out/results.json").exists());
    let before = std::fs::read_to_string(&journal).unwrap();
    let journaled = before.matches("\"type\":\"sample\"").count();
    assert!(journaled >= 10);

    // Editing the scenario makes the journal unusable, and resume says so.
    std::fs::write(
        &scenario,
        std::fs::read_to_string("scenarios/quick.toml")
            .unwrap()
            .replacen("seed = 1", "seed = 2", 1),
    )
    .unwrap();
    bin()
        .arg("run")
        .arg(&scenario)
        .args(["--resume", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "changed since the interrupted run",
        ))
        // The killed run's lock file is left behind, unlocked: taken over, with a note.
        .stderr(predicates::str::contains("took the lock over"));

    // Restored, the run resumes from the journal and keeps every journaled sample.
    std::fs::write(
        &scenario,
        std::fs::read_to_string("scenarios/quick.toml").unwrap(),
    )
    .unwrap();
    bin()
        .arg("run")
        .arg(&scenario)
        .args(["--resume", "--no-progress", "--out"])
        .arg(dir.path().join("out"))
        .env("TMPDIR", dir.path().join("tmp"))
        .assert()
        .success();
    let r = results(dir.path());
    let first_journaled: Vec<u64> = before
        .lines()
        .filter(|l| {
            l.contains("\"type\":\"sample\"")
                && l.contains("\"variant\":\"dir-pyc\"")
                && l.contains("\"mode\":\"cold\"")
        })
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["wall_ns"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let case = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == "dir-pyc" && c["mode"] == "cold")
        .unwrap();
    let samples: Vec<u64> = case["samples_ns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    // The reference (dir-pyc) stops with its cases: at least their 30.
    assert!(samples.len() >= 30, "{}", samples.len());
    assert_eq!(
        &samples[..first_journaled.len()],
        first_journaled.as_slice()
    );
}

/// A user who cannot read the embedded interpreter's prefix (here `nobody`, and this
/// prefix under root's home) gets one line naming the path and what to do, exit 1, and
/// nothing written: not CPython's path dump and a Rust panic. Needs root to change user
/// (`setpriv`, util-linux); a user who can read the prefix has nothing to check.
#[test]
fn an_interpreter_this_user_cannot_read_is_a_one_line_error() {
    use std::os::unix::fs::PermissionsExt;
    let prefix = std::path::Path::new(zipimport_bench::python::PYTHON_HOME);
    let unreadable_by_others = prefix
        .ancestors()
        .any(|p| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o005 != 0o005));
    if !unreadable_by_others {
        return; // every user reads this prefix: nothing can fail
    }
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "changing to an unprivileged user needs root"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let s = write(
        dir.path(),
        "s.toml",
        &tiny_scenario("s", DIR_AND_ZIP_PYC, ""),
    );
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_zipimport-bench"))
        .args(["run", "--no-progress", "--out"])
        .arg(dir.path().join("out"))
        .arg(&s)
        .output()
        .expect("setpriv (util-linux: apt-get install util-linux)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Error: cannot read the embedded interpreter's standard library"),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("Python path configuration"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!dir.path().join("out/results.json").exists());
}
