//! The regression gate on real runs: one real run of the quick scenario (with
//! instruction counts) and one of a small fleet scenario, then `compare` against edited
//! copies of their results files, each with the exit status a nightly job sees.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::*;
use serde_json::Value;

/// The quick scenario with instruction counts, fewer samples and one count per case.
fn quick_with_instructions(dir: &Path) -> PathBuf {
    let quick =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quick.toml"))
            .unwrap();
    let text = quick.replace(
        "\nsamples = 30\n",
        "\nsamples = 10\nmetrics = [\"wall\", \"instructions\"]\ninstruction-samples = 1\n",
    );
    assert_ne!(
        text, quick,
        "scenarios/quick.toml no longer says `samples = 30`"
    );
    write(dir, "quick.toml", &text)
}

/// One real run shared by every test of this file (they only read it).
fn quick_run() -> &'static Value {
    static RUN: OnceLock<Value> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let r = run_scenario(dir.path(), &quick_with_instructions(dir.path()), &[]);
        assert!(
            r["cases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["instructions"]["median"].is_number()),
            "the run counted no instructions"
        );
        r
    })
}

/// A second real run of the same scenario, made after the first: the two are an A/A
/// pair (nothing changed between them).
fn second_quick_run() -> &'static Value {
    static RUN: OnceLock<Value> = OnceLock::new();
    RUN.get_or_init(|| {
        quick_run();
        let dir = tempfile::tempdir().unwrap();
        run_scenario(dir.path(), &quick_with_instructions(dir.path()), &[])
    })
}

/// One real fleet and hot-update run shared by the tests that need it.
fn fleet_run() -> &'static Value {
    static RUN: OnceLock<Value> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let s = write(
            dir.path(),
            "fleet.toml",
            &tiny_scenario(
                "fleet",
                DIR_AND_ZIP_PYC,
                "modes = [\"fleet\", \"hot-update\"]\n[fleet]\nprocesses = [2]\n\
                 sharing = [\"shared\"]\npage-cache = [\"warm\"]\nrounds = 12\n\
                 [hot-update]\npickup = [\"invalidate-reload\"]\nrounds = 2\n",
            ),
        );
        run_scenario(dir.path(), &s, &[])
    })
}

/// `compare BASE CAND --format json --fail-on-regression EXTRA`: the verdicts and the
/// exit status.
fn gate(base: &Value, cand: &Value, extra: &[&str]) -> (Value, i32) {
    let dir = tempfile::tempdir().unwrap();
    let b = write_json(dir.path(), "base.json", base);
    let c = write_json(dir.path(), "cand.json", cand);
    let out = bin()
        .arg("compare")
        .arg(&b)
        .arg(&c)
        .args(["--format", "json", "--fail-on-regression"])
        .args(extra)
        .output()
        .unwrap();
    let cmp = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (cmp, out.status.code().unwrap())
}

fn rows<'a>(cmp: &'a Value, metric: &str) -> Vec<&'a Value> {
    cmp["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["metric"] == metric)
        .collect()
}

fn row<'a>(cmp: &'a Value, metric: &str, variant: &str, mode: &str) -> &'a Value {
    rows(cmp, metric)
        .into_iter()
        .find(|r| r["variant"] == variant && r["mode"] == mode)
        .unwrap_or_else(|| panic!("no {metric} row {variant} {mode} in {cmp}"))
}

fn cases_mut(r: &mut Value) -> &mut Vec<Value> {
    r["cases"].as_array_mut().unwrap()
}

fn case_mut<'a>(r: &'a mut Value, variant: &str, mode: &str) -> &'a mut Value {
    cases_mut(r)
        .iter_mut()
        .find(|c| c["variant"] == variant && c["mode"] == mode)
        .unwrap()
}

/// Multiplies one case's wall samples (and median) by `factor`.
fn slow_down(r: &mut Value, variant: &str, mode: &str, factor: f64) {
    let c = case_mut(r, variant, mode);
    for v in c["samples_ns"].as_array_mut().unwrap() {
        *v = Value::from((v.as_f64().unwrap() * factor) as u64);
    }
    let m = c["summary"]["median"].as_f64().unwrap();
    c["summary"]["median"] = Value::from(m * factor);
}

fn set_python(r: &mut Value, version: &str) {
    r["metadata"]["python"]["version_short"] = Value::from(version);
    for c in cases_mut(r) {
        c["python"] = Value::from(version);
    }
}

#[test]
fn a_run_against_itself_passes_in_both_modes_with_every_row_judged() {
    let r = quick_run();
    for extra in [&["--absolute"][..], &["--relative"][..]] {
        let (cmp, code) = gate(r, r, extra);
        assert_eq!(code, 0, "{extra:?}: {cmp}");
        assert_eq!(cmp["unjudged"], 0);
        // Every measured cold case has an instruction row, relative or not.
        let n = rows(&cmp, "instructions").len();
        assert_eq!(n, 6, "{extra:?}");
        for row in rows(&cmp, "instructions") {
            assert_eq!(row["verdict"], "no-change", "{row}");
        }
        // bzip2 is unsupported in both runs: a steady state, not a hole in the gate.
        assert_eq!(
            row(&cmp, "wall", "zip-bzip2-pyc", "cold")["verdict"],
            "unsupported"
        );
    }
    let (cmp, _) = gate(r, r, &["--relative"]);
    let zip = row(&cmp, "wall", "zip-stored-pyc", "cold");
    // Each run's estimate against its own reference: 10 pairs a side.
    assert!(zip["baseline_relative"].as_f64().unwrap() > 0.5, "{zip}");
    assert_eq!(zip["samples"], serde_json::json!([10, 10]));
    assert_eq!(zip["paired"], true);
    assert_eq!(row(&cmp, "wall", "dir-pyc", "cold")["verdict"], "reference");
}

#[test]
fn two_real_runs_never_alarm_on_instruction_counts_and_judge_every_row() {
    // An A/A pair of real runs, made one after the other. Wall time may move one case
    // on a noisy machine (exit 4 is possible); instruction counts barely vary, so no
    // instruction row may alarm, and no row of either metric may go unjudged.
    let (a, b) = (quick_run(), second_quick_run());
    let (cmp, code) = gate(a, b, &[]);
    assert!(matches!(code, 0 | 4), "exit {code}: {cmp}");
    assert_eq!(cmp["unjudged"], 0, "{cmp}");
    let counted = rows(&cmp, "instructions");
    assert_eq!(counted.len(), 6, "{cmp}");
    for row in counted {
        assert_eq!(row["verdict"], "no-change", "{row}");
        // And each says how small a change it would have caught: the counts' own span.
        assert!(row["detectable"].as_f64().unwrap() < 0.02, "{row}");
    }
    assert!(
        cmp["worst_detectable"]["change"].as_f64().is_some(),
        "{cmp}"
    );
}

#[test]
fn relative_mode_judges_instruction_counts() {
    let base = quick_run();
    let mut cand = base.clone();
    let c = case_mut(&mut cand, "zip-stored-pyc", "cold");
    let i = &mut c["instructions"];
    let m = i["median"].as_f64().unwrap() * 1.10;
    i["median"] = Value::from(m);
    i["samples"] = serde_json::json!([m as u64]);
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 4, "{cmp}");
    let row = row(&cmp, "instructions", "zip-stored-pyc", "cold");
    assert_eq!(row["verdict"], "regression", "{row}");
    assert!((row["ratio"].as_f64().unwrap() - 1.10).abs() < 1e-6);
    // The headline names the instruction threshold because instruction rows were judged.
    let dir = tempfile::tempdir().unwrap();
    let text = bin()
        .arg("compare")
        .arg(write_json(dir.path(), "b.json", base))
        .arg(write_json(dir.path(), "c.json", &cand))
        .arg("--relative")
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("1 regression(s)"), "{text}");
    assert!(text.contains("instruction counts: 1.0%"), "{text}");
}

#[test]
fn counts_from_another_valgrind_are_not_judged() {
    let base = quick_run();
    let mut cand = base.clone();
    for c in cases_mut(&mut cand) {
        if c["instructions"].is_object() {
            c["instructions"]["tool"] = Value::from("callgrind (valgrind-3.22.0)");
        }
    }
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 5, "{cmp}");
    let row = row(&cmp, "instructions", "dir-pyc", "cold");
    assert_eq!(row["verdict"], "cannot-judge");
    assert_eq!(row["reason"], "instruments");
    assert!(row["note"].as_str().unwrap().contains("valgrind-3.22.0"));
}

#[test]
fn another_cpu_is_judged_relative_and_not_plain() {
    let base = quick_run();
    let mut cand = base.clone();
    cand["metadata"]["host"]["cpu_model"] = Value::from("AMD EPYC 7763 64-Core Processor");
    // Absolute: wall times across machines are not judged, and the gate says so.
    let (cmp, code) = gate(base, &cand, &["--absolute"]);
    assert_eq!(code, 5, "{cmp}");
    let wall = row(&cmp, "wall", "zip-stored-pyc", "cold");
    assert_eq!(wall["verdict"], "cannot-judge");
    assert_eq!(wall["reason"], "environment");
    // Instruction counts do not depend on the machine's speed: still judged.
    assert_eq!(
        row(&cmp, "instructions", "zip-stored-pyc", "cold")["verdict"],
        "no-change"
    );
    // Relative: judged, with a warning.
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 0, "{cmp}");
    assert_eq!(
        row(&cmp, "wall", "zip-stored-pyc", "cold")["verdict"],
        "no-change"
    );
    assert!(
        cmp["warnings"][0].as_str().unwrap().contains("CPU differs"),
        "{}",
        cmp["warnings"]
    );
    // A real slowdown on the other machine is still caught (3x: far beyond this
    // machine's per-sample noise, so the test cannot flake).
    slow_down(&mut cand, "zip-stored-pyc", "cold", 3.0);
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 4, "{cmp}");
    assert_eq!(
        row(&cmp, "wall", "zip-stored-pyc", "cold")["verdict"],
        "regression"
    );
}

#[test]
fn a_python_patch_release_is_judged_with_a_warning_and_a_minor_one_is_not() {
    let base = quick_run();
    let mut cand = base.clone();
    set_python(&mut cand, "3.11.99");
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 0, "{cmp}");
    let warning = cmp["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("Python changed from") && warning.contains("3.11.99"),
        "{warning}"
    );
    let zip = row(&cmp, "wall", "zip-stored-pyc", "cold");
    assert_eq!(zip["verdict"], "no-change");
    assert!(zip["note"].as_str().unwrap().contains("3.11.99"), "{zip}");

    set_python(&mut cand, "3.12.1");
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 5, "{cmp}");
    assert_eq!(
        row(&cmp, "wall", "zip-stored-pyc", "cold")["reason"],
        "environment"
    );
    assert!(
        cmp["environment_differences"][0]
            .as_str()
            .unwrap()
            .contains("Python differs")
    );
}

#[test]
fn a_changed_scenario_file_is_not_judged() {
    let base = quick_run();
    let mut cand = base.clone();
    cand["scenarios"][0]["sha256"] = Value::from("0".repeat(64));
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 5, "{cmp}");
    for r in cmp["cases"].as_array().unwrap() {
        if r["verdict"] != "unsupported" {
            assert_eq!(r["reason"], "scenario-changed", "{r}");
        }
    }
}

#[test]
fn a_missing_case_and_an_ok_case_turned_error_fail_the_gate() {
    let base = quick_run();
    let mut cand = base.clone();
    cases_mut(&mut cand).retain(|c| !(c["variant"] == "zip-deflate6-pyc" && c["mode"] == "warm"));
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 5, "{cmp}");
    let missing = row(&cmp, "wall", "zip-deflate6-pyc", "warm");
    assert_eq!(missing["reason"], "only-in-baseline");
    assert_eq!(cmp["unjudged"], 1);

    let mut cand = base.clone();
    let c = case_mut(&mut cand, "zip-stored-pyc", "cold");
    c["status"] = Value::from("error");
    c["error"] = Value::from("RuntimeError: boom");
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 5, "{cmp}");
    let failed = row(&cmp, "wall", "zip-stored-pyc", "cold");
    assert_eq!(failed["reason"], "status");
    assert!(
        failed["note"]
            .as_str()
            .unwrap()
            .contains("ok in the baseline, error")
    );
    // The verdict table leads with what could not be judged when nothing regressed.
    assert_eq!(cmp["cases"][0]["verdict"], "cannot-judge");
    // A regression elsewhere takes precedence in the exit status.
    slow_down(&mut cand, "zip-deflate6-none", "cold", 3.0);
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 4, "{cmp}");
    assert_eq!(cmp["cases"][0]["verdict"], "regression");
    assert_eq!(cmp["cases"][1]["verdict"], "cannot-judge");
}

#[test]
fn a_tripled_case_is_a_regression_in_both_modes() {
    let base = quick_run();
    let mut cand = base.clone();
    // 3x is far beyond this machine's per-sample noise (about 20%): the gate must flag
    // it every time. What it detects reliably at smaller changes is calibrate's job.
    slow_down(&mut cand, "zip-stored-pyc", "cold", 3.0);
    for extra in [&["--absolute"][..], &["--relative"][..]] {
        let (cmp, code) = gate(base, &cand, extra);
        assert_eq!(code, 4, "{extra:?}: {cmp}");
        let r = row(&cmp, "wall", "zip-stored-pyc", "cold");
        assert_eq!(r["verdict"], "regression", "{r}");
        assert!(r["ratio_ci_low"].as_f64().unwrap() > 1.0);
    }
}

/// A tenfold slowdown of one fleet's latencies: 12 rounds of two-process fleets vary so
/// much on a loaded two-core machine (a round's p95 against the reference's moved by
/// 0.96-9.2x with another run beside it) that a threefold change could sit inside the
/// spread; ten times cannot.
#[test]
fn a_fleet_latency_regression_fails_the_gate() {
    let base = fleet_run();
    let (cmp, code) = gate(base, base, &[]);
    assert_eq!(code, 0, "{cmp}");
    assert!(!rows(&cmp, "fleet-p95").is_empty() && !rows(&cmp, "fleet-pss").is_empty());
    let mut cand = base.clone();
    for f in cand["fleet"].as_array_mut().unwrap() {
        if f["variant"] == "zip-stored-pyc" {
            for round in f["rounds"].as_array_mut().unwrap() {
                for v in round["latencies_ns"].as_array_mut().unwrap() {
                    *v = Value::from(v.as_u64().unwrap() * 10);
                }
            }
        }
    }
    for extra in [&["--absolute"][..], &["--relative"][..]] {
        let (cmp, code) = gate(base, &cand, extra);
        assert_eq!(code, 4, "{extra:?}: {cmp}");
        let r = row(
            &cmp,
            "fleet-p95",
            "zip-stored-pyc",
            "fleet 2 shared warm-cache",
        );
        assert_eq!(r["verdict"], "regression", "{r}");
    }
}

#[test]
fn a_hot_update_that_no_longer_delivers_new_code_is_a_regression() {
    let base = fleet_run();
    let sequential = |h: &Value| h["timing"] == "sequential" && h["variant"] == "zip-stored-pyc";
    let before = base["hot_updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| sequential(h))
        .unwrap();
    assert_eq!(
        before["summary"]["new"], before["summary"]["trials"],
        "{before}"
    );
    let mut cand = base.clone();
    for h in cand["hot_updates"].as_array_mut().unwrap() {
        if sequential(h) {
            h["summary"]["new"] = Value::from(0);
            h["summary"]["stale"] = h["summary"]["trials"].clone();
        }
    }
    let (cmp, code) = gate(base, &cand, &["--relative"]);
    assert_eq!(code, 4, "{cmp}");
    let r = rows(&cmp, "hot-update")
        .into_iter()
        .find(|r| r["variant"] == "zip-stored-pyc" && r["verdict"] == "regression")
        .unwrap_or_else(|| panic!("{cmp}"));
    assert!(
        r["note"].as_str().unwrap().contains("then new code in 0/"),
        "{r}"
    );
}

#[test]
fn a_fleet_whose_every_configuration_fails_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code/boom");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(
        code.join("__init__.py"),
        "raise RuntimeError('boom on import')\n",
    )
    .unwrap();
    let s = write(
        dir.path(),
        "boom.toml",
        &format!(
            "name = \"boom\"\nseed = 1\n[corpus]\nkind = \"directory\"\npath = \"code\"\n\
             [workload]\nmodules = [\"boom\"]\n[variants]\n{DIR_AND_ZIP_PYC}\n[measure]\n\
             modes = [\"fleet\"]\nsamples = 1\nwarmup = 0\n[fleet]\nprocesses = [1]\nrounds = 1\n"
        ),
    );
    let out = dir.path().join("out");
    bin()
        .arg("run")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .assert()
        .code(3);
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let fleet = r["fleet"].as_array().unwrap();
    assert!(!fleet.is_empty());
    for f in fleet {
        assert_eq!(f["status"], "error", "{f}");
        assert!(
            f["error"].as_str().unwrap().contains("boom on import"),
            "{f}"
        );
    }
}

#[test]
fn samples_record_their_round_and_the_seeded_order() {
    let r = quick_run();
    // Every round holds one sample of every measured case but the reference, which
    // quick.toml samples after every 2 cases (several a round), all in one seeded
    // order that changes from round to round.
    let measured: Vec<&Value> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "ok")
        .collect();
    // Per round (cold and warm share it): every sample's slot and what it was.
    let mut rounds_of: std::collections::BTreeMap<u64, Vec<(u64, String)>> =
        std::collections::BTreeMap::new();
    for c in &measured {
        let rounds: Vec<u64> = c["sample_rounds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let slots = c["sample_slots"].as_array().unwrap();
        assert_eq!(rounds.len(), slots.len());
        let reference = c["variant"] == "dir-pyc";
        if reference {
            // At least one a round, in rounds 1 to 10, several in some; in the
            // warm-up round only its first sample is discarded, the later ones kept.
            let mut distinct: Vec<u64> = rounds.iter().copied().filter(|&r| r > 0).collect();
            distinct.dedup();
            assert_eq!(distinct, (1..=10).collect::<Vec<u64>>(), "{rounds:?}");
            assert!(rounds.len() > 10, "{rounds:?}");
        } else {
            assert_eq!(
                rounds,
                (1..=10).collect::<Vec<u64>>(),
                "one warm-up round, then one sample per round"
            );
        }
        for (round, slot) in rounds.iter().zip(slots) {
            rounds_of.entry(*round).or_default().push((
                slot.as_u64().unwrap(),
                format!("{} {}", c["variant"], c["mode"]),
            ));
        }
    }
    let mut orders: Vec<Vec<String>> = Vec::new();
    for (round, samples) in rounds_of.iter_mut() {
        if *round == 0 {
            // The warm-up round: the other cases' samples there were discarded.
            continue;
        }
        samples.sort();
        let slots: Vec<u64> = samples.iter().map(|x| x.0).collect();
        assert_eq!(
            slots,
            (0..samples.len() as u64).collect::<Vec<_>>(),
            "a round's samples fill its slots once each"
        );
        orders.push(
            samples
                .iter()
                .map(|x| x.1.clone())
                .filter(|v| !v.contains("dir-pyc"))
                .collect(),
        );
    }
    assert!(
        orders.iter().skip(1).any(|o| *o != orders[0]),
        "the order changes between rounds"
    );
}
