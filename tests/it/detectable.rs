//! The smallest change a `no change` row says it could have seen is the change it does
//! see about 80% of the time: slowdowns of each row's own stated size are injected
//! into the candidate's real samples (the ten recorded runs of the gate's calibration,
//! every pair of them) and judged again through the same gate.

use std::path::Path;

use zipimport_bench::compare::{self, CompareOptions, Metric, Verdict};
use zipimport_bench::results::{self, Results};

/// The recorded calibration's runs.
fn runs() -> Vec<Results> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reports/recorded/2026-12-03-calibrate-quick/runs");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().join("results.json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8, "{}", dir.display());
    paths.iter().map(|p| results::read(p).unwrap()).collect()
}

/// Multiplies the wall samples of one case (`scenario/variant/mode`) by `factor`.
fn slow_down(r: &mut Results, key: (&str, &str, &str), factor: f64) {
    let mut found = 0;
    for c in &mut r.cases {
        if (c.scenario.as_str(), c.variant.id().as_str(), c.mode.name()) == key {
            for v in &mut c.samples_ns {
                *v = (*v as f64 * factor).round() as u64;
            }
            found += 1;
        }
    }
    assert_eq!(found, 1, "{key:?}");
}

/// Over every pair of runs and every wall-time row with no change: how often a slowdown
/// of the row's stated detectable size was then flagged, out of how many trials.
fn found_at_stated_size(relative: bool) -> (usize, usize) {
    let runs = runs();
    let opts = CompareOptions {
        relative,
        all_intervals: false,
        ..CompareOptions::default()
    };
    let (mut found, mut trials) = (0, 0);
    for i in 0..runs.len() {
        for j in i + 1..runs.len() {
            let cmp = compare::compare("a", &runs[i], "b", &runs[j], opts);
            for row in cmp
                .cases
                .iter()
                .filter(|r| r.metric == Metric::Wall && r.verdict == Verdict::NoChange)
            {
                let d = row
                    .detectable
                    .expect("a no-change wall row states what it could see");
                let mut cand = runs[j].clone();
                slow_down(&mut cand, (&row.scenario, &row.variant, &row.mode), 1.0 + d);
                let again = compare::compare("a", &runs[i], "b", &cand, opts);
                let judged = again
                    .cases
                    .iter()
                    .find(|r| {
                        r.metric == Metric::Wall
                            && (r.scenario.as_str(), r.variant.as_str(), r.mode.as_str())
                                == (&row.scenario[..], &row.variant[..], &row.mode[..])
                    })
                    .unwrap();
                trials += 1;
                found += usize::from(judged.verdict == Verdict::Regression);
            }
        }
    }
    (found, trials)
}

#[test]
fn a_stated_detectable_change_is_found_about_four_times_in_five() {
    let (found, trials) = found_at_stated_size(true);
    let rate = found as f64 / trials as f64;
    eprintln!("relative: {found} of {trials} injected slowdowns found ({rate:.3})");
    assert!(trials >= 300, "{trials}");
    // 80% by construction of the statement; the rows' errors are read off intervals
    // that may be a little wider or narrower than the runs' real spread.
    assert!((0.70..=0.92).contains(&rate), "{found} of {trials}: {rate}");
}
