//! The fast tier: every rendered output, from recorded results files, as insta
//! snapshots. A change to any figure, sentence, row order or column of the terminal
//! table, `summary.md`, `report.html`'s text, the history page, `compare` in every
//! format, `calibrate` or `doctor` fails here until its snapshot is reviewed
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test it snapshots::` and a
//! look at the diff). The real consumers (a browser, tuna, speedscope, pyperf,
//! valgrind, other Pythons) are the slow tier, in the other test files.

use std::path::{Path, PathBuf};

use zipimport_bench::compare::{self, CompareOptions};
use zipimport_bench::report;
use zipimport_bench::results::{self, Results};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Results {
    results::read(&fixture_path(name)).unwrap()
}

/// The fixtures every output is rendered from: the default scenario as recorded on
/// 2026-11-30 and on 2026-12-03 (focus cases, speed readings), and two quick runs made
/// one after another.
const RUNS: [&str; 4] = [
    "default-results.json",
    "default-2026-12-03.json",
    "quick-a.json",
    "quick-b.json",
];

fn snapshot_name(fixture: &str) -> String {
    fixture.trim_end_matches(".json").replace('.', "_")
}

#[test]
fn the_terminal_table_and_verdict() {
    for name in RUNS {
        let r = fixture(name);
        let text = format!("{}{}", report::summary_table(&r), report::verdict_text(&r));
        insta::assert_snapshot!(format!("terminal-{}", snapshot_name(name)), text);
    }
}

#[test]
fn the_markdown_summary() {
    for name in RUNS {
        let r = fixture(name);
        insta::assert_snapshot!(
            format!("summary-md-{}", snapshot_name(name)),
            report::summary_markdown(&r)
        );
    }
}

#[test]
fn the_report_page_text() {
    for name in RUNS {
        let r = fixture(name);
        let html = report::report_html(&r).unwrap();
        insta::assert_snapshot!(
            format!("report-html-{}", snapshot_name(name)),
            crate::common::html_text(&html)
        );
    }
}

/// The quick runs compared in every format and both modes.
#[test]
fn compare_in_every_format() {
    let a = fixture("quick-a.json");
    let b = fixture("quick-b.json");
    for relative in [false, true] {
        let opts = CompareOptions {
            relative,
            ..CompareOptions::default()
        };
        let cmp = compare::compare("quick-a.json", &a, "quick-b.json", &b, opts);
        let mode = if relative { "relative" } else { "plain" };
        insta::assert_snapshot!(format!("compare-text-{mode}"), compare::render_text(&cmp));
        insta::assert_snapshot!(
            format!("compare-markdown-{mode}"),
            compare::render_markdown(&cmp)
        );
        insta::assert_snapshot!(format!("compare-json-{mode}"), compare::render_json(&cmp));
        let html = report::compare_html(&cmp, &a, &b).unwrap();
        insta::assert_snapshot!(
            format!("compare-html-{mode}"),
            crate::common::html_text(&html)
        );
    }
}

#[test]
fn the_history_page_text() {
    let runs: Vec<(String, Results)> = ["quick-a.json", "quick-b.json"]
        .iter()
        .map(|n| (n.to_string(), fixture(n)))
        .collect();
    let html = report::history_html(runs, CompareOptions::default()).unwrap();
    insta::assert_snapshot!("history-html", crate::common::html_text(&html));
}

#[test]
fn calibrate_text_and_markdown() {
    let runs: Vec<(String, Results)> = ["quick-a.json", "quick-b.json"]
        .iter()
        .map(|n| (n.to_string(), fixture(n)))
        .collect();
    let cal = zipimport_bench::calibrate::calibrate(&runs, CompareOptions::default(), &|_, _| {});
    insta::assert_snapshot!(
        "calibrate-text",
        zipimport_bench::calibrate::render_text(&cal)
    );
    insta::assert_snapshot!(
        "calibrate-markdown",
        zipimport_bench::calibrate::render_markdown(&cal)
    );
}

/// A zipapp as `python -m zipapp` makes one (sources only), diagnosed and repaired:
/// the text and JSON reports, paths replaced by placeholders.
#[test]
fn doctor_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(app.join("pkg")).unwrap();
    std::fs::write(
        app.join("__main__.py"),
        "import pkg.core\nprint(pkg.core.VALUE)\n",
    )
    .unwrap();
    std::fs::write(app.join("pkg/__init__.py"), "").unwrap();
    std::fs::write(
        app.join("pkg/core.py"),
        "import json\nVALUE = json.dumps([1])\n",
    )
    .unwrap();
    let archive = dir.path().join("app.pyz");
    let made = std::process::Command::new("python3")
        .args(["-m", "zipapp"])
        .arg(&app)
        .arg("-o")
        .arg(&archive)
        .status()
        .unwrap();
    assert!(made.success());
    let fixed = dir.path().join("fixed.pyz");
    let clean = |s: String| s.replace(&dir.path().display().to_string(), "[DIR]");
    for (format, args) in [
        ("text", vec!["--fix", fixed.to_str().unwrap()]),
        (
            "json",
            vec!["--format", "json", "--fix", fixed.to_str().unwrap()],
        ),
        (
            "markdown",
            vec!["--format", "markdown", "--fix", fixed.to_str().unwrap()],
        ),
    ] {
        let _ = std::fs::remove_file(&fixed);
        let out = crate::common::bin()
            .arg("doctor")
            .arg(&archive)
            .args(&args)
            .arg("--no-progress")
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "{out:?}");
        let text = clean(String::from_utf8(out.stdout).unwrap());
        insta::assert_snapshot!(format!("doctor-{format}"), text);
    }
}
