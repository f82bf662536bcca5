//! The service-fleet modes on small real scenarios: a fleet of real worker processes
//! importing from one artifact or from copies, and hot updates of a running
//! interpreter, checked through the results file and the reports.

use crate::common::*;
use serde_json::Value;

const MATRIX: &str = r#"reference = "dir-pyc"
[[variants.matrix]]
layout = "dir"
bytecode = "pyc"
[[variants.matrix]]
layout = "zip"
compression = ["stored", "bzip2"]
bytecode = "pyc"
"#;

/// Modules of `tiny_scenario`'s tree: 2 packages of 4 modules.
const TREE_MODULES: u64 = 10;

fn fleet_case<'a>(r: &'a Value, variant: &str, n: u64, sharing: &str, cache: &str) -> &'a Value {
    r["fleet"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["variant"] == variant
                && c["processes"] == n
                && c["sharing"] == sharing
                && c["page_cache"] == cache
        })
        .unwrap_or_else(|| panic!("no fleet case {variant} {n} {sharing} {cache}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_fleet_records_every_process_its_memory_and_the_page_cache() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "fleet.toml",
        &tiny_scenario(
            "fleet",
            MATRIX,
            "modes = [\"fleet\"]\n[fleet]\nprocesses = [1, 3]\nrounds = 2\n",
        ),
    );
    let r = run_scenario(dir.path(), &scenario, &[]);
    assert!(
        r["cases"].as_array().unwrap().is_empty(),
        "no per-sample modes"
    );
    // 3 variants x 2 sizes x 2 sharing x 2 page-cache states.
    assert_eq!(r["fleet"].as_array().unwrap().len(), 24);

    let bzip2 = fleet_case(&r, "zip-bzip2-pyc", 3, "shared", "warm");
    assert_eq!(bzip2["status"], "unsupported");
    assert!(bzip2["error"].as_str().unwrap().starts_with("zlib.error"));

    for variant in ["dir-pyc", "zip-stored-pyc"] {
        for n in [1u64, 3] {
            for sharing in ["shared", "copies"] {
                for cache in ["warm", "cold"] {
                    let c = fleet_case(&r, variant, n, sharing, cache);
                    let what = format!("{variant} x{n} {sharing} {cache}");
                    assert_eq!(c["status"], "ok", "{what}: {}", c["error"]);
                    let rounds = c["rounds"].as_array().unwrap();
                    assert_eq!(rounds.len(), 2, "{what}");
                    for round in rounds {
                        let lat: Vec<u64> = round["latencies_ns"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(u)
                            .collect();
                        assert_eq!(lat.len() as u64, n, "{what}: one latency per process");
                        assert_eq!(round["startup_ns"].as_array().unwrap().len() as u64, n);
                        assert!(lat.iter().all(|&l| l > 0), "{what}");
                        // The wall time spans start-up and import of every process.
                        assert!(u(&round["wall_ns"]) > *lat.iter().max().unwrap(), "{what}");
                        let m = &round["memory"];
                        let (rss, pss) = (u(&m["rss_bytes"]), u(&m["pss_bytes"]));
                        assert!(pss > 0 && pss <= rss, "{what}: pss {pss} rss {rss}");
                        assert_eq!(rss, u(&m["shared_bytes"]) + u(&m["private_bytes"]));
                        // Every process holds an interpreter: at least a few MiB each.
                        assert!(rss > n * (4 << 20), "{what}: rss {rss}");
                        // The artifacts are on disk (see `bin`): eviction must take.
                        if cache == "cold" {
                            assert_eq!(round["resident_before"], 0.0, "{what}");
                            assert!(c["warnings"].as_array().unwrap().is_empty(), "{what}");
                        }
                    }
                    // The summary is each round's median, 95th percentile and slowest
                    // process, then their median over the rounds: computed here from
                    // the rounds' latencies.
                    let s = &c["summary"];
                    let rounds = c["rounds"].as_array().unwrap();
                    let per_round = |f: &dyn Fn(&[f64]) -> f64| -> f64 {
                        let v: Vec<f64> = rounds
                            .iter()
                            .map(|r| {
                                let mut l: Vec<f64> = r["latencies_ns"]
                                    .as_array()
                                    .unwrap()
                                    .iter()
                                    .map(|x| x.as_f64().unwrap())
                                    .collect();
                                l.sort_by(f64::total_cmp);
                                f(&l)
                            })
                            .collect();
                        middle(&v)
                    };
                    let p95 = |l: &[f64]| {
                        let pos = 0.95 * (l.len() - 1) as f64;
                        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                        l[lo] + (l[hi] - l[lo]) * (pos - lo as f64)
                    };
                    for (key, expected) in [
                        ("p50_ns", per_round(&|l| middle(l))),
                        ("p95_ns", per_round(&p95)),
                        ("max_ns", per_round(&|l| l[l.len() - 1])),
                    ] {
                        let got = s[key].as_f64().unwrap();
                        assert!(
                            (got - expected).abs() < 1.0,
                            "{what}: {key} {got} against {expected}"
                        );
                    }
                    assert!(s["shared_fraction"].as_f64().unwrap() > 0.0);
                    if n == 1 {
                        assert_eq!(s["p95_vs_single"], 1.0, "{what}");
                    }
                }
            }
        }
        // Three copies occupy about three times the page cache of one shared artifact.
        for cache in ["warm", "cold"] {
            let bytes = |sharing| {
                fleet_case(&r, variant, 3, sharing, cache)["summary"]["artifact_cache_bytes"]
                    .as_f64()
                    .unwrap()
            };
            assert!(
                bytes("copies") >= 2.0 * bytes("shared") && bytes("shared") > 0.0,
                "{variant} {cache}: copies {} vs shared {}",
                bytes("copies"),
                bytes("shared")
            );
        }
    }

    let out = dir.path().join("out");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### fleet / fleet"), "{summary}");
    assert!(
        summary.contains("| zip-stored-pyc | 3 | copies | cold |"),
        "{summary}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Fleet: p95 import latency against processes"));
    assert!(html.contains("Fleet: processes starting at once"));
    // A fleet-only scenario has no per-sample reference to miss.
    assert!(!html.contains("The reference variant was not measured"));
    // The page, fleet charts included, renders completely and fetches nothing.
    let body = check_page(&out.join("report.html"), "fleet-report");
    // The two fleet charts (the scenario measures no per-sample mode).
    assert_eq!(data_attr(&body, "charts-expected"), "2", "{body}");
    assert_eq!(data_attr(&body, "charts-found"), "2", "{body}");
    assert_eq!(data_attr(&body, "charts-rendered"), "2", "{body}");
    assert_eq!(data_attr(&body, "resources"), "0", "{body}");
    assert_eq!(data_attr(&body, "errors"), "0", "{body}");
}

fn hot_case<'a>(
    r: &'a Value,
    variant: &str,
    strategy: &str,
    pickup: &str,
    timing: &str,
) -> &'a Value {
    r["hot_updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["variant"] == variant
                && c["strategy"] == strategy
                && c["pickup"] == pickup
                && c["timing"] == timing
        })
        .unwrap_or_else(|| panic!("no hot-update case {variant} {strategy} {pickup} {timing}"))
}

#[test]
fn hot_updates_run_the_new_code_or_say_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(
        dir.path(),
        "hot.toml",
        &tiny_scenario(
            "hot",
            MATRIX,
            "modes = [\"cold\", \"hot-update\"]\n[hot-update]\nrounds = 2\n",
        ),
    );
    let r = run_scenario(dir.path(), &scenario, &[]);
    // dir: 2 strategies, zip: 1; x 2 pick-ups x 2 timings.
    assert_eq!(r["hot_updates"].as_array().unwrap().len(), 8 + 4 + 4);
    assert_eq!(
        hot_case(&r, "zip-bzip2-pyc", "rename", "reload", "sequential")["status"],
        "unsupported"
    );

    let all_new = [
        ("zip-stored-pyc", "rename", "invalidate-reload"),
        ("dir-pyc", "symlink", "invalidate-reload"),
        ("dir-pyc", "symlink", "reload"),
        ("dir-pyc", "in-place", "invalidate-reload"),
        ("dir-pyc", "in-place", "reload"),
    ];
    for (variant, strategy, pickup) in all_new {
        let c = hot_case(&r, variant, strategy, pickup, "sequential");
        let what = format!("{variant} {strategy} {pickup}");
        assert_eq!(c["status"], "ok", "{what}: {}", c["error"]);
        let trials = c["trials"].as_array().unwrap();
        assert_eq!(trials.len(), 2, "{what}");
        for t in trials {
            assert_eq!(t["verdict"], "new", "{what}: {t}");
            assert_eq!(u(&t["new"]), TREE_MODULES, "{what}: {t}");
            assert_eq!(u(&t["stale"]) + u(&t["failed"]), 0, "{what}");
            let latency = u(&t["latency_ns"]);
            assert!(
                latency >= u(&t["reload_ns"]) && latency >= u(&t["swap_ns"]),
                "{what}"
            );
            // A sequential swap is over before the worker is asked.
            assert_eq!(t["landed"], "before-pickup", "{what}: {t}");
            assert!(t["swap_offset_ns"].as_i64().unwrap() < 0, "{what}: {t}");
        }
        assert_eq!(c["summary"]["new"], 2);
        assert!(c["summary"]["latency"]["median"].as_f64().unwrap() > 0.0);
    }

    // Renaming a new archive over the old one and reloading without invalidating the
    // caches: zipimport reads the new file at the old directory's offsets.
    let stale_dir = hot_case(&r, "zip-stored-pyc", "rename", "reload", "sequential");
    for t in stale_dir["trials"].as_array().unwrap() {
        assert_eq!(t["verdict"], "error", "{t}");
        assert!(u(&t["failed"]) > 0);
        let e = t["error"].as_str().unwrap();
        assert!(e.contains("bad local file header"), "{e}");
        // Paths are relative to the run's work directory.
        assert!(
            e.contains("'hot-update/zip-stored-pyc-rename-reload/"),
            "{e}"
        );
    }
    assert!(stale_dir["summary"]["latency"].is_null());

    // Concurrent trials: whatever happened is accounted for, module by module.
    for c in r["hot_updates"].as_array().unwrap() {
        if c["timing"] == "concurrent" && c["status"] == "ok" {
            for t in c["trials"].as_array().unwrap() {
                assert_eq!(
                    u(&t["new"]) + u(&t["stale"]) + u(&t["failed"]),
                    TREE_MODULES,
                    "{t}"
                );
                assert!(t["latency_ns"].is_null());
                // Where the swap landed is recorded, consistent with its offset.
                let offset = t["swap_offset_ns"].as_i64().unwrap();
                match t["landed"].as_str().unwrap() {
                    "during-reloads" => {
                        assert!(offset + (u(&t["swap_ns"]) as i64) >= 0, "{t}");
                        assert!(offset < u(&t["reload_ns"]) as i64, "{t}");
                    }
                    "after-reloads" => assert!(offset >= u(&t["reload_ns"]) as i64, "{t}"),
                    "before-pickup" | "during-invalidation" => assert!(offset < 0, "{t}"),
                    other => panic!("unknown landing {other}: {t}"),
                }
            }
            let s = &c["summary"];
            assert!(u(&s["swaps_during_reloads"]) <= u(&s["trials"]), "{s}");
        }
    }

    let out = dir.path().join("out");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### hot / hot-update"), "{summary}");
    assert!(
        summary.contains("call importlib.invalidate\\_caches() after the rename"),
        "{summary}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Hot update: replacing the artifact under a running process"));

    // compare judges every hot-update case's outcome too; two cold samples a case are
    // too few to ever flag a change, and the gate says so rather than passing.
    let results = out.join("results.json");
    let cmp = bin()
        .arg("compare")
        .arg(&results)
        .arg(&results)
        .arg("--fail-on-regression")
        .assert()
        .code(5);
    let text = String::from_utf8_lossy(&cmp.get_output().stdout).into_owned();
    let outcomes: Vec<&str> = text.lines().filter(|l| l.contains("[outcome]")).collect();
    assert_eq!(outcomes.len(), 16, "{text}");
    let judged = outcomes.iter().filter(|l| l.contains("no change")).count();
    let unsupported = outcomes
        .iter()
        .filter(|l| l.contains("zip-bzip2-pyc") && l.contains("unsupported"))
        .count();
    assert_eq!((judged, unsupported), (12, 4), "{text}");
    assert!(
        text.contains("too few") || text.contains("take more samples"),
        "{text}"
    );
}

/// The median of `v` (the mean of the two middle values for an even count).
fn middle(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
