//! The hidden worker subcommand, driven directly over its protocol: it refuses to
//! count an import that did not come from the artifact, and reports exceptions with
//! Python's own text.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// Starts a worker for `job`, sends one import request, returns (ready, reply).
fn one_import(job: Value) -> (Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let job_path = dir.path().join("job.json");
    std::fs::write(&job_path, job.to_string()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zipimport-bench"))
        .arg("__worker")
        .arg(&job_path)
        .env_clear()
        .env("TZ", "UTC")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_reply = || loop {
        let line = lines.next().expect("worker closed stdout").unwrap();
        if let Some(json) = line.strip_prefix("ZIB1 ") {
            return serde_json::from_str::<Value>(json).unwrap();
        }
    };
    let ready = next_reply();
    writeln!(stdin, "import").unwrap();
    let reply = next_reply();
    drop(stdin);
    assert!(child.wait().unwrap().success());
    (ready, reply)
}

#[test]
fn an_import_served_from_outside_the_artifact_is_refused() {
    let empty = tempfile::tempdir().unwrap();
    // `json` is not in the (empty) artifact, so the standard library serves it.
    let (ready, reply) = one_import(json!({
        "artifact": empty.path(),
        "layout": "dir",
        "modules": ["json"],
        "roots": ["json"],
        "probe": false,
    }));
    assert_eq!(ready["type"], "ready");
    assert!(ready["startup_ns"].as_u64().unwrap() > 0);
    assert_eq!(reply["type"], "failed");
    assert_eq!(reply["raised"], false);
    let error = reply["error"].as_str().unwrap();
    assert!(error.starts_with("module json"), "{error}");
    assert!(error.contains("was imported from"), "{error}");
    assert!(
        error.contains(&empty.path().display().to_string()),
        "{error}"
    );
}

#[test]
fn an_exception_is_reported_with_pythons_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("boom")).unwrap();
    std::fs::write(
        dir.path().join("boom/__init__.py"),
        "print('noise on stdout')\nraise ValueError('no <b>luck</b>')\n",
    )
    .unwrap();
    let (_, reply) = one_import(json!({
        "artifact": dir.path(),
        "layout": "dir",
        "modules": ["boom"],
        "roots": ["boom"],
        "probe": true,
    }));
    assert_eq!(reply["type"], "failed");
    assert_eq!(reply["raised"], true);
    assert_eq!(reply["error"], "ValueError: no <b>luck</b>");
}

#[test]
fn a_sample_counts_and_times_the_import() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("okpkg")).unwrap();
    std::fs::write(dir.path().join("okpkg/__init__.py"), "X = 1\n").unwrap();
    std::fs::write(
        dir.path().join("okpkg/a.py"),
        "from okpkg import X\nY = X + 1\n",
    )
    .unwrap();
    let (_, reply) = one_import(json!({
        "artifact": dir.path(),
        "layout": "dir",
        "modules": ["okpkg", "okpkg.a"],
        "roots": ["okpkg"],
        "probe": true,
    }));
    assert_eq!(reply["type"], "sample", "{reply}");
    assert!(reply["wall_ns"].as_u64().unwrap() > 0);
    assert_eq!(reply["counters"]["compiles"], 2);
    assert_eq!(reply["counters"]["modules"], 2);
    // Bytecode writing is off inside workers, whatever the environment says.
    assert!(!dir.path().join("okpkg/__pycache__").exists());
}
