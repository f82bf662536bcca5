//! Reports: the HTML page renders in a real browser with every chart and no fetch, and
//! text from scenario files and error messages is escaped in every output.

use crate::common::*;
use predicates::prelude::*;

const MATRIX: &str = r#"
[[variants.matrix]]
layout = "dir"
bytecode = ["none", "pyc"]

[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate6", "zstd"]
bytecode = "pyc"
"#;

#[test]
fn a_real_run_writes_a_report_that_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let text = tiny_scenario("r", MATRIX, "").replace(
        "seed = 7",
        "seed = 7\ndescription = \"<script>alert('x')</script> & <b>bold</b>\"",
    );
    let s = write(dir.path(), "r.toml", &text);
    run_scenario(dir.path(), &s, &[]);
    let out = dir.path().join("out");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();

    // Escaped, not executed or interpreted.
    assert!(!html.contains("<script>alert"), "raw description in HTML");
    assert!(
        html.contains("&lt;script&gt;alert("),
        "description missing from HTML"
    );
    assert!(html.contains("zlib.error: Error -3 while decompressing data"));
    // Self-contained: no external references.
    for needle in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "src=\"//",
        "<link",
        "@import",
    ] {
        assert!(!html.contains(needle), "report references {needle}");
    }
    assert!(
        md.contains(
            "| variant | median | 95% CI of median | median abs. deviation | ratio | 95% CI | \
             samples | target | size | entries |"
        ),
        "{md}"
    );
    assert!(md.contains("zip\\-stored\\-pyc") || md.contains("zip-stored-pyc"));

    // The charts the results call for, counted from the results: medians, ratios,
    // every sample; size against time when a zip was measured; where the time goes when
    // the probes profiled phases.
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let cases = r["cases"].as_array().unwrap();
    let zip_measured = cases
        .iter()
        .any(|c| c["layout"] == "zip" && c["status"] == "ok");
    let profiled = cases.iter().any(|c| {
        c["probe"]["phases"]
            .as_object()
            .is_some_and(|p| !p.is_empty())
    });
    let expected = 3 + usize::from(zip_measured) + usize::from(profiled);
    assert_eq!(expected, 5);
    // The geometric checks at 1400 and 800 px; + 1 for the verdict's chart.
    let body = check_page(&out.join("report.html"), "small-report");
    let expected = expected + 1;
    for attr in ["charts-expected", "charts-found", "charts-rendered"] {
        assert_eq!(
            data_attr(&body, attr),
            expected.to_string(),
            "{attr}: {body}"
        );
    }
    assert_eq!(
        data_attr(&body, "resources"),
        "0",
        "the page fetched something: {body}"
    );
    assert_eq!(data_attr(&body, "errors"), "0", "{body}");

    // `report` re-renders the same page from the results file.
    let again = dir.path().join("again.html");
    bin()
        .arg("report")
        .arg(out.join("results.json"))
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&again)
            .unwrap()
            .contains("Median import time")
    );
}

#[test]
fn hostile_error_text_is_escaped_in_html_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.1, 15, 1)),
            ("zip-bzip2-pyc", "cold", vec![]),
        ],
    );
    r["cases"][1]["error"] = "zlib.error: <img src=x onerror=alert(1)> | *boom* [x](y)".into();
    let results = write_json(dir.path(), "results.json", &r);
    let page = dir.path().join("page.html");
    let md = dir.path().join("summary.md");
    bin()
        .arg("report")
        .arg(&results)
        .arg("--out")
        .arg(&page)
        .arg("--markdown")
        .arg(&md)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<script>alert('description')"));
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(!text.contains("<img"), "{text}");
    assert!(text.contains("&lt;img"), "{text}");
    let body = chromium_body(&page);
    assert_eq!(data_attr(&body, "resources"), "0", "{body}");
}

#[test]
fn history_marks_a_regression_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let runs = [
        ("2026-01-01T00:00:00Z", 45e6, 1),
        ("2026-01-02T00:00:00Z", 45e6, 2),
        ("2026-01-03T00:00:00Z", 45e6 * 1.3, 3),
    ];
    let mut paths = Vec::new();
    // Written newest first: the page must order them by start time.
    for (i, (at, center, phase)) in runs.iter().enumerate().rev() {
        let r = synthetic_results(
            at,
            "3.11.7",
            &[
                ("dir-pyc", "cold", noisy(40e6, 0.1, 15, *phase)),
                (
                    "zip-stored-pyc",
                    "cold",
                    noisy(*center, 0.1, 15, phase + 10),
                ),
            ],
        );
        paths.push(write_json(dir.path(), &format!("run{i}.json"), &r));
    }
    let page = dir.path().join("history.html");
    bin()
        .arg("history")
        .args(&paths)
        .arg("--out")
        .arg(&page)
        .assert()
        .success()
        .stdout(predicate::str::contains("history of 3 runs"));
    // minijinja escapes `/` as `&#x2f;` in text.
    let html = std::fs::read_to_string(&page)
        .unwrap()
        .replace("&#x2f;", "/");
    let regressions = &html[html.find("<h2>Regressions</h2>").unwrap()..];
    assert!(
        regressions.contains("synthetic/zip-stored-pyc/cold"),
        "{regressions}"
    );
    assert!(!regressions.contains("synthetic/dir-pyc/cold"));
    let runs_table = &html[html.find("<h2>Runs</h2>").unwrap()..];
    let first = runs_table.find("2026-01-01").unwrap();
    let last = runs_table.find("2026-01-03").unwrap();
    assert!(first < last, "runs are not in time order");
    let body = chromium_body(&page);
    // One chart per scenario and mode: one here.
    assert_eq!(data_attr(&body, "charts-expected"), "1");
    assert_eq!(data_attr(&body, "charts-found"), "1");
    assert_eq!(data_attr(&body, "charts-rendered"), "1");
    assert_eq!(data_attr(&body, "resources"), "0");

    // --relative charts and judges what compare --relative judges: each run's median
    // per-round ratio to its reference, shown as such before and after.
    bin()
        .arg("history")
        .args(&paths)
        .arg("--out")
        .arg(&page)
        .arg("--relative")
        .assert()
        .success();
    let html = std::fs::read_to_string(&page)
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(html.contains("ratio to its run's reference variant, as that run estimated it"));
    assert!(html.contains("data-y-axis=\"ratio to reference (x)\""));
    let regressions = &html[html.find("<h2>Regressions</h2>").unwrap()..];
    assert!(
        regressions.contains("synthetic/zip-stored-pyc/cold"),
        "{regressions}"
    );
    let row = &regressions[regressions.find("synthetic/zip-stored-pyc/cold").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cells: Vec<&str> = row
        .split("<td>")
        .skip(1)
        .map(|c| c.trim_end_matches("</td>"))
        .collect();
    // `1.234x [1.10, 1.38]`: the figure, then its interval.
    let value = |c: &str| {
        c.split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('x')
            .parse::<f64>()
            .unwrap()
    };
    let (ratio, before, after) = (value(cells[0]), value(cells[2]), value(cells[3]));
    assert!(before > 1.0 && after > before, "{row}");
    assert!((after / before - ratio).abs() < 0.05, "{row}");
}

#[test]
fn history_refuses_a_run_given_twice_and_warns_of_mixed_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let a = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[("dir-pyc", "cold", noisy(40e6, 0.1, 15, 1))],
    );
    let mut b = synthetic_results(
        "2026-01-02T00:00:00Z",
        "3.11.7",
        &[("dir-pyc", "cold", noisy(40e6, 0.1, 15, 2))],
    );
    let pa = write_json(dir.path(), "a.json", &a);
    // The same run under another name is still the same run.
    let copy = write_json(dir.path(), "copy.json", &a);
    bin()
        .arg("history")
        .arg(&pa)
        .arg(&copy)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("are the same run"));
    // Another scenario file in the second run: drawn, with a warning; and the page
    // goes beside the first results file by default.
    b["scenarios"][0]["sha256"] = serde_json::Value::from("11");
    let pb = write_json(dir.path(), "b.json", &b);
    bin()
        .current_dir(std::env::temp_dir())
        .arg("history")
        .arg(&pa)
        .arg(&pb)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "scenario synthetic comes from 2 different files across the runs",
        ));
    assert!(dir.path().join("history.html").is_file());
}

#[test]
fn findings_read_as_sentences_quote_each_method_and_call_a_cost_a_cost() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = synthetic_results(
        "2026-01-01T00:00:00Z",
        "3.11.7",
        &[
            ("dir-pyc", "cold", noisy(40e6, 0.3, 15, 1)),
            // About 1.2x the directory; phases drawn so that the pairs of rounds fall
            // on both sides of 1, as noise would, and no interval excludes it.
            ("zip-stored-pyc", "cold", noisy(49.2e6, 0.3, 15, 7)),
            ("zip-deflate6-pyc", "cold", noisy(49.5e6, 0.3, 15, 5)),
            ("zip-bzip2-pyc", "cold", vec![]),
            ("zip-xz-pyc", "cold", vec![]),
        ],
    );
    for c in r["cases"].as_array_mut().unwrap() {
        let v = c["variant"].as_str().unwrap().to_owned();
        match v.as_str() {
            "zip-deflate6-pyc" => {
                c["compression"] = "deflate".into();
                c["level"] = 6.into();
            }
            "zip-bzip2-pyc" => {
                c["compression"] = "bzip2".into();
                c["error"] =
                    "zlib.error: Error -3 while decompressing data: invalid distance too far back"
                        .into();
            }
            "zip-xz-pyc" => {
                c["compression"] = "xz".into();
                c["error"] = "zlib.error: Error -3 while decompressing data: too many length or distance symbols".into();
            }
            _ => {}
        }
    }
    let f = write_json(dir.path(), "r.json", &r);
    let md = dir.path().join("s.md");
    bin()
        .arg("report")
        .arg(&f)
        .arg("--markdown")
        .arg(&md)
        .assert()
        .success();
    let md = std::fs::read_to_string(&md).unwrap();
    // Not measurable is not "the same": the interval of one over the other is given.
    assert!(
        md.contains(
            "imports not measurably differently from it at this sample count (95% interval"
        ),
        "{md}"
    );
    assert!(!md.contains("no faster or slower"), "{md}");
    assert!(
        !md.contains("no measurable difference in time than"),
        "{md}"
    );
    // Each method's own error (Markdown escapes the backticks around it).
    assert!(
        md.contains(
            "bzip2: \\`zlib.error: Error -3 while decompressing data: invalid distance too far back"
        ),
        "{md}"
    );
    assert!(md.contains("xz: \\`zlib.error: Error -3 while decompressing data: too many length or distance symbols"), "{md}");
    let cost = md
        .lines()
        .find(|l| l.contains("An uncompressed zip with pyc"))
        .unwrap();
    // A 15-20% cost the intervals cannot separate is not good news.
    assert!(
        cost.contains("the interval holds 1") && cost.contains("ℹ️"),
        "{cost}"
    );
}
