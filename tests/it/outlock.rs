//! One command per output folder, with real concurrent processes: while a `run` writes
//! into a folder, a second `run`, `generate`, `merge` or `report` into it exits 1 at
//! once naming the holder and writes nothing; the first run's files come out as if it
//! had been alone; a lock left by a killed run is taken over with a note.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;
use zipimport_bench::lock::LOCK_FILE;

/// Waits until the running command's lock file names it and its journal has begun.
fn wait_for_lock(out: &Path, pid: u32) {
    let t = Instant::now();
    loop {
        let named = std::fs::read_to_string(out.join(LOCK_FILE))
            .is_ok_and(|s| s.starts_with(&format!("pid {pid}\n")));
        if named && out.join("journal.jsonl").exists() {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the run never locked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Everything in `dir` (recursively) with its bytes, sorted by path.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_second_command_into_a_running_folder_exits_at_once_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    let scenario = write(
        dir.path(),
        "s.toml",
        &tiny_scenario("locked", DIR_AND_ZIP_PYC, "modes = [\"cold\"]"),
    );
    let out = dir.path().join("out");
    let mut first = start_run(dir.path(), &scenario, 150);
    wait_for_lock(&out, first.id());
    let before = snapshot(&out);

    let holder = format!("pid {}", first.id());
    let t = Instant::now();
    let second = bin()
        .args(["run", "--no-progress", "--out"])
        .arg(&out)
        .arg(&scenario)
        .env("TMPDIR", dir.path().join("tmp"))
        .output()
        .unwrap();
    let refused_in = t.elapsed();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("in use by another zipimport-bench command"),
        "{err}"
    );
    assert!(err.contains(&holder) && err.contains("`run`"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // It refused before measuring anything: well under the time of one sample round.
    assert!(refused_in < Duration::from_secs(10), "{refused_in:?}");

    // The other writers are refused the same way.
    let shard = dir.path().join("shard.json");
    std::fs::write(&shard, b"{}").unwrap();
    for args in [
        vec![
            "generate".to_string(),
            scenario.display().to_string(),
            "--out".into(),
        ],
        vec![
            "merge".into(),
            shard.display().to_string(),
            "--out".into(),
            out.join("results.json").display().to_string(),
        ],
    ] {
        let mut cmd = bin();
        cmd.args(&args);
        if args[0] == "generate" {
            cmd.arg(&out);
        }
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&holder), "{args:?}: {err}");
    }
    // The folder holds exactly what the run had written, plus what it wrote since
    // (the journal grows; nothing else appears from the refused commands).
    let during = snapshot(&out);
    for (name, _) in &during {
        assert!(
            before.iter().any(|(b, _)| b == name),
            "{name} appeared while the run held the folder"
        );
    }

    assert!(first.wait().unwrap().success());
    let results = std::fs::read(out.join("results.json")).unwrap();
    let r: serde_json::Value = serde_json::from_slice(&results).unwrap();
    assert_eq!(r["metadata"]["complete"], true);
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    assert_eq!(journal.matches("\"type\":\"header\"").count(), 1);
    assert!(
        !out.join(LOCK_FILE).exists(),
        "the lock file outlived its run"
    );

    // `report` into a folder nobody holds runs, and a report of the finished run while
    // another command holds the folder is refused, leaving the results byte for byte.
    let _held = zipimport_bench::lock::lock_out_dir(&out, "test").unwrap();
    let o = bin()
        .args(["report"])
        .arg(out.join("results.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("`test`"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(out.join("results.json")).unwrap(), results);
}
