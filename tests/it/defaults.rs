//! The defaults can answer the questions they are offered for: two quick runs compared
//! judge every row at the scenario's own samples, the gate's recorded calibration was
//! made at those samples, and absolute comparison of two default runs can judge all of
//! their rows with room to spare.

use std::path::Path;

use zipimport_bench::compare::{self, CompareOptions};
use zipimport_bench::results::{self, Results};
use zipimport_bench::scenario;
use zipimport_bench::stats::smallest_mann_whitney_p;
use zipimport_bench::status::Status;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn recorded(path: &str) -> Results {
    results::read(&root().join("reports/recorded").join(path)).unwrap()
}

#[test]
fn two_quick_runs_judge_every_row_at_the_scenarios_own_samples() {
    let quick = scenario::load(&root().join("scenarios/quick.toml")).unwrap();
    for (a, b) in [("01", "02"), ("03", "09"), ("05", "10")] {
        let (x, y) = (
            recorded(&format!("2026-12-03-calibrate-quick/runs/{a}/results.json")),
            recorded(&format!("2026-12-03-calibrate-quick/runs/{b}/results.json")),
        );
        assert_eq!(x.scenarios[0].samples, quick.measure.samples);
        for relative in [true, false] {
            let opts = CompareOptions {
                relative,
                ..CompareOptions::default()
            };
            let cmp = compare::compare(a, &x, b, &y, opts);
            assert_eq!(cmp.unjudged, 0, "{a} against {b}, relative {relative}");
        }
    }
}

#[test]
fn the_gates_calibration_is_recorded_at_the_quick_scenarios_samples() {
    let quick = scenario::load(&root().join("scenarios/quick.toml")).unwrap();
    let text = std::fs::read_to_string(
        root().join("reports/recorded/2026-12-03-calibrate-quick/calibration.json"),
    )
    .unwrap();
    let cal: zipimport_bench::calibrate::Calibration = serde_json::from_str(&text).unwrap();
    assert_eq!(cal.samples, quick.measure.samples);
    assert!(cal.runs.len() >= 10, "{} runs", cal.runs.len());
}

#[test]
fn absolute_comparison_of_two_default_runs_can_judge_every_row_with_margin() {
    let default = scenario::load(&root().join("scenarios/default.toml")).unwrap();
    let run = recorded("2026-12-07-default/results.json");
    // Every measured case is a timed row; a change alone among them needs p below
    // alpha over their number (Benjamini-Hochberg's threshold for one change).
    let rows = run.cases.iter().filter(|c| c.status == Status::Ok).count();
    let needed = CompareOptions::default().alpha / rows as f64;
    let least = default.measure.min_samples as usize;
    let best = smallest_mann_whitney_p(least, least);
    assert!(
        best * 2.0 < needed,
        "{least} samples a case give at best p = {best}, {rows} rows need p < {needed}: \
         no margin"
    );
    // And relative rows need at least six a side.
    assert!(least >= zipimport_bench::measure::MIN_SAMPLES_FLOOR as usize);
    // The recorded run took at least that many of every measured case.
    for c in run.cases.iter().filter(|c| c.status == Status::Ok) {
        assert!(
            c.samples_ns.len() >= least,
            "{} {}: {} samples",
            c.variant,
            c.mode,
            c.samples_ns.len()
        );
    }
}
