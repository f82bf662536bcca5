//! The pages a reviewer reads, in a real browser: answers first, charts that stay
//! readable (the self-check's geometric checks at 1400 and 800 px), fixed colours, a
//! compare page for pull requests and a history page whose runs can be told apart.
//! Screenshots of every page land in `target/screenshots`.
//!
//! The default report is rendered from a run of `scenarios/default.toml` recorded on
//! this project's machine kind, the last of the four under
//! `reports/recorded/2026-12-07-full-runs/` (36 variants, three modes, adaptive sampling
//! with focus cases, and the one of the four in which the machine switched between its
//! two speeds: the headline, intervals and speed-state sentence of today's reports); the
//! fleet and sweep pages are checked where their real runs are (tests/it/service.rs,
//! tests/it/sweeps.rs).

use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reports/recorded/2026-12-07-full-runs/runs/run-4/results.json")
}

fn read_fixture() -> Value {
    serde_json::from_slice(&std::fs::read(fixture()).unwrap()).unwrap()
}

/// The fixture with one case's samples (and summary) scaled by `factor`, started at
/// `started_at`.
fn scaled(variant: &str, mode: &str, factor: f64, started_at: &str) -> Value {
    let mut r = read_fixture();
    r["metadata"]["started_at"] = Value::from(started_at);
    for c in r["cases"].as_array_mut().unwrap() {
        if c["variant"] == variant && c["mode"] == mode {
            let samples: Vec<Value> = c["samples_ns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| Value::from((v.as_f64().unwrap() * factor) as u64))
                .collect();
            c["samples_ns"] = Value::from(samples);
            for k in [
                "median",
                "mean",
                "ci95_low",
                "ci95_high",
                "min",
                "max",
                "p95",
            ] {
                if let Some(x) = c["summary"][k].as_f64() {
                    c["summary"][k] = Value::from(x * factor);
                }
            }
        }
    }
    r
}

fn text_of(page: &Path) -> String {
    std::fs::read_to_string(page).unwrap()
}

#[test]
fn the_default_report_opens_with_the_verdict_and_passes_every_geometric_check() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    bin()
        .arg("report")
        .arg(fixture())
        .arg("--out")
        .arg(&page)
        .assert()
        .success();
    check_page(&page, "default-report");
    let html = text_of(&page);

    // Answers first: the verdict, then findings, then one table per mode, then charts
    // and every number.
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} is not on the page"))
    };
    let order = [
        "id=\"verdict\"",
        "A zip with bytecode costs",
        "<h3>Findings</h3>",
        "<h3>Against dir-pyc, cold</h3>",
        "<h3>Against dir-pyc, warm</h3>",
        "<h3>Against dir-pyc, cold-disk</h3>",
        "<strong>Median import time</strong>",
        "<h3>Every number</h3>",
    ];
    for w in order.windows(2) {
        assert!(
            at(w[0]) < at(w[1]),
            "{:?} should come before {:?}",
            w[0],
            w[1]
        );
    }
    // The verdict quotes the paired ratio the cold table shows for the focus case the
    // scenario sampled most: the lowest ratio among its focus zips with bytecode.
    let r = read_fixture();
    let focus: Vec<String> = r["scenarios"][0]["focus"]["variants"]
        .as_array()
        .expect("the recorded default run has focus cases")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    let best = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["mode"] == "cold"
                && c["status"] == "ok"
                && focus.iter().any(|f| c["variant"] == f.as_str())
        })
        .min_by(|a, b| {
            a["ratio_to_reference"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["ratio_to_reference"].as_f64().unwrap())
        })
        .unwrap();
    let quoted = format!(
        "A zip with bytecode costs {:.2}x",
        best["ratio_to_reference"].as_f64().unwrap()
    );
    assert!(html.contains(&quoted), "{quoted} missing");
    assert!(html.contains(&format!(
        "{}, the case this scenario samples most",
        best["variant"].as_str().unwrap()
    )));
    // The speed-state sentence of a run on a machine that switches speed.
    assert!(html.contains("The machine switched between two speeds"));
    assert!(html.contains("zipimport cannot read bzip2, lzma, xz, zstd members"));

    // Headers in words, not field names.
    for raw in [
        "rss growth bytes",
        "<th>read syscalls",
        "<th>n</th>",
        "<th>MAD</th>",
    ] {
        assert!(!html.contains(raw), "raw header {raw:?}");
    }
    assert!(html.contains("<th>resident memory growth</th>"));

    // Log axes, and the fixed colours: compile is black and pyc blue in every report.
    assert!(html.contains("ratio to dir-pyc (x, log scale)"));
    assert!(html.contains("<circle r=\"5\" fill=\"#0072b2\"/></svg>bytecode pyc"));
    assert!(html.contains("fill=\"#000000\"/></svg>compile"));
}

#[test]
fn the_compare_page_puts_a_regression_first_with_both_distributions() {
    let dir = tempfile::tempdir().unwrap();
    let base = fixture();
    let cand = write_json(
        dir.path(),
        "cand.json",
        &scaled(
            "zip-stored-unchecked-hash",
            "cold",
            2.0,
            "2026-12-01T03:00:00Z",
        ),
    );
    let page = dir.path().join("compare.html");
    // --html beside the text output; the gate's exit status is unchanged.
    bin()
        .arg("compare")
        .arg(&base)
        .arg(&cand)
        .arg("--fail-on-regression")
        .arg("--html")
        .arg(&page)
        .assert()
        .code(4);
    let body = check_page(&page, "compare");
    assert_eq!(data_attr(&body, "charts-expected"), "4", "{body}");
    let html = text_of(&page);
    assert!(html.contains("1 regression(s)"));
    assert!(html.contains("the gate fails this change (exit status 4)"));
    // Regressions first in the table.
    let table = &html[html.find("<h2>Every row</h2>").unwrap()..];
    let first_row = &table[table.find("<tr class=").unwrap()..];
    let first_row = &first_row[..first_row.find("</tr>").unwrap()];
    assert!(
        first_row.contains("zip-stored-unchecked-hash&#x2f;cold")
            && first_row.contains("regression"),
        "{first_row}"
    );
    // Both distributions, per scenario and mode.
    assert!(html.contains("default &#x2f; cold: every sample"));
    assert!(html.contains("baseline</li>") && html.contains("candidate</li>"));

    // --format html writes the same page to standard output.
    let out = bin()
        .arg("compare")
        .arg(&base)
        .arg(&cand)
        .args(["--format", "html"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("<!DOCTYPE html>") && stdout.contains("id=\"verdict\""));
}

#[test]
fn the_history_page_numbers_runs_warns_of_mixed_files_and_draws_one_panel_per_variant() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> = [
        ("2026-12-01T03:00:00Z", 1.0),
        ("2026-12-01T03:00:41Z", 1.0),
        ("2026-12-02T03:00:00Z", 2.0),
    ]
    .iter()
    .enumerate()
    .map(|(i, (t, f))| {
        let mut r = scaled("zip-stored-unchecked-hash", "cold", *f, t);
        if i == 0 {
            r["scenarios"][0]["sha256"] = Value::from("0000");
        }
        write_json(dir.path(), &format!("run{i}.json"), &r)
    })
    .collect();
    let page = dir.path().join("history.html");
    bin()
        .arg("history")
        .args(&runs)
        .arg("--out")
        .arg(&page)
        .assert()
        .success();
    check_page(&page, "history");
    let html = text_of(&page);
    // Runs of the same minute are told apart: to the second, numbered from 1.
    assert!(html.contains("2026-12-01 03:00:00Z") && html.contains("2026-12-01 03:00:41Z"));
    // Each run's row is an anchor the regression table and the panels link to.
    assert!(
        html.contains("<tr id=\"run-1\"><td>1</td>")
            && html.contains("<tr id=\"run-3\"><td>3</td>")
    );
    assert!(
        html.contains("<a href=\"#run-3\">3</a>"),
        "regressions link to their run"
    );
    assert!(html.contains("comes from 2 different files across the runs"));
    // The latest run regressed against the one before it, and the verdict says so.
    assert!(
        html.contains("The latest run (run 3) regressed against run 2 in 1 case"),
        "no verdict on the latest run"
    );
    // Small multiples: one titled panel per variant, no colour to match.
    let variants = read_fixture()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["mode"] == "cold" && c["status"] == "ok")
        .count();
    let panel_titles = html.matches(">\nrun (number)\n</text>").count();
    assert!(
        panel_titles >= variants,
        "{panel_titles} panels for {variants} variants"
    );
}

/// The self-check's geometric checks fail on a page that breaks them: two labels drawn
/// over each other, a legend over a mark, an axis with no unit, a wide table with no
/// scroll cue, and no verdict.
#[test]
fn the_self_check_catches_overlaps_missing_units_clipped_tables_and_a_missing_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let selfcheck = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/html/selfcheck.html"),
    )
    .unwrap();
    let cells: String = (0..60).map(|i| format!("<td>column {i}</td>")).collect();
    let page = write(
        dir.path(),
        "broken.html",
        &format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"></head><body data-charts-expected="1">
<figure class="chart" data-x-axis="time" data-y-axis="variant">
<ul class="legend" style="position: relative; top: 60px; z-index: 2; background: white"><li>a legend</li></ul>
<div class="plot"><svg width="400" height="200" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="400" height="200" fill="white"/>
<circle cx="60" cy="50" r="20" fill="blue"/>
<text x="100" y="100">zip-stored-pyc</text><text x="104" y="102">zip-deflate6-pyc</text>
<text x="200" y="190">time</text>
</svg></div></figure>
<div><table><tr>{cells}</tr></table></div>
{selfcheck}</body></html>"#
        ),
    );
    let body = chromium_body_at(&page, 800);
    assert_eq!(data_attr(&body, "text-overlaps"), "1", "{body}");
    assert_ne!(data_attr(&body, "legend-overlaps"), "0", "{body}");
    // "time" is drawn but gives no unit; "variant" is not drawn.
    assert_eq!(data_attr(&body, "unlabelled-axes"), "2", "{body}");
    assert_eq!(data_attr(&body, "clipped-tables"), "1", "{body}");
    assert_eq!(data_attr(&body, "verdict-top"), "-1", "{body}");
}

#[test]
fn the_quick_report_from_a_real_run_passes_every_geometric_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    bin()
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quick.toml"))
        .args(["--samples", "3", "--no-progress", "--out"])
        .arg(&out)
        .assert()
        .success();
    check_page(&out.join("report.html"), "quick-report");
    let html = text_of(&out.join("report.html"));
    assert!(
        html.contains("zipimport cannot read bzip2"),
        "the verdict names what broke"
    );
}
