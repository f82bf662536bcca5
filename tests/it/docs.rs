//! Every figure the documentation quotes comes from a recorded run: each marked figure
//! of README.md, METHODOLOGY.md and scenarios/README.md is what its results file under
//! `reports/recorded/` renders to today, no ratio is quoted outside a marked figure,
//! and no recorded run was made with a scenario file other than the one in the
//! repository. `cargo run --example docs` rewrites the figures after a re-recording.

use std::path::Path;

use zipimport_bench::recorded::{self, Runs};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_quoted_figure_is_what_its_recorded_run_gives() {
    let mut runs = Runs::new(root());
    let mut problems = Vec::new();
    let mut figures = 0;
    for doc in ["README.md", "METHODOLOGY.md", "scenarios/README.md"] {
        let path = root().join(doc);
        figures += recorded::marks(&std::fs::read_to_string(&path).unwrap())
            .unwrap()
            .len();
        problems.extend(recorded::check(&mut runs, &path).unwrap());
    }
    assert!(
        problems.is_empty(),
        "{} problem(s); re-render with `cargo run --example docs`:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(figures >= 10, "only {figures} recorded figures in the docs");
}

#[test]
fn the_costs_doctor_quotes_are_what_the_recorded_runs_give() {
    let fresh = recorded::costs_file(&mut Runs::new(root())).unwrap();
    let kept = std::fs::read_to_string(root().join(recorded::COSTS)).unwrap();
    assert_eq!(
        kept,
        fresh,
        "{} differs from the recorded runs: `cargo run --example docs`",
        recorded::COSTS
    );
}

#[test]
fn recorded_runs_match_the_scenario_files_and_say_how_they_were_made() {
    let problems = recorded::stale_runs(root()).unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Changing one figure by hand is caught, naming the document, line and run.
#[test]
fn a_figure_changed_by_hand_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("README.md")).unwrap();
    let marks = recorded::marks(&text).unwrap();
    let m = marks
        .iter()
        .find(|m| m.what[0] == "ratio")
        .expect("README.md quotes at least one recorded ratio");
    let mut changed = text.clone();
    let figure = &text[m.figure.clone()];
    let bumped = figure.replacen('1', "2", 1);
    assert_ne!(figure, bumped);
    changed.replace_range(m.figure.clone(), &bumped);
    let doc = dir.path().join("README.md");
    std::fs::write(&doc, changed).unwrap();
    let problems = recorded::check(&mut Runs::new(root()), &doc).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains(&format!("README.md:{}", m.line)) && problems[0].contains(&m.run),
        "{problems:?}"
    );
}
