//! The history of many runs (nightly results files), analysed once for its page: the
//! runs in start order, each run's regressions against the one before it (the gate's
//! own comparison), and per scenario and mode every variant's series over the runs:
//! the median with its interval, or, relative, each run's ratio to its reference with
//! its interval, as the gate judges it.

use crate::compare::{CaseComparison, CompareOptions, Metric, Verdict, compare};
use crate::results::{Relative, Results};
use crate::status::Status;

/// One run's value of one variant: (run index from 0, value, low, high).
pub type Point = (usize, f64, f64, f64);

/// One scenario and mode over the runs.
#[derive(Debug)]
pub struct Panel {
    /// Scenario name.
    pub scenario: String,
    /// Mode name.
    pub mode: String,
    /// Per variant, its points in run order.
    pub series: Vec<(String, Vec<Point>)>,
    /// The regressions drawn on it: (series index, run index, value).
    pub marks: Vec<(usize, usize, f64)>,
}

/// A history, analysed.
#[derive(Debug)]
pub struct History {
    /// The runs, by start time.
    pub runs: Vec<(String, Results)>,
    /// Each run's wall-time regressions against the run before it: (run index, row).
    pub regressions: Vec<(usize, CaseComparison)>,
    /// One panel per scenario and mode measured in any run.
    pub panels: Vec<Panel>,
    /// Whether values are ratios to each run's reference.
    pub relative: bool,
    /// What a reader must know about the runs (see [`warnings`]).
    pub warnings: Vec<String>,
}

impl History {
    /// Sorts `runs` by start time and analyses them with the gate's options.
    pub fn build(mut runs: Vec<(String, Results)>, opts: CompareOptions) -> History {
        runs.sort_by(|a, b| a.1.metadata.started_at.cmp(&b.1.metadata.started_at));
        let mut regressions = Vec::new();
        for i in 1..runs.len() {
            let cmp = compare(&runs[i - 1].0, &runs[i - 1].1, &runs[i].0, &runs[i].1, opts);
            regressions.extend(
                cmp.cases
                    .into_iter()
                    .filter(|c| c.verdict == Verdict::Regression && c.metric == Metric::Wall)
                    .map(|c| (i, c)),
            );
        }
        let mut keys: Vec<(String, String)> = Vec::new();
        for (_, r) in &runs {
            for c in &r.cases {
                let k = (c.scenario.clone(), c.mode.name().to_owned());
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let panels = keys
            .into_iter()
            .map(|(scenario, mode)| panel(&runs, &regressions, scenario, mode, opts.relative))
            .collect();
        History {
            warnings: warnings(&runs),
            runs,
            regressions,
            panels,
            relative: opts.relative,
        }
    }
}

fn panel(
    runs: &[(String, Results)],
    regressions: &[(usize, CaseComparison)],
    scenario: String,
    mode: String,
    relative: bool,
) -> Panel {
    let mut series: Vec<(String, Vec<Point>)> = Vec::new();
    for (i, (_, r)) in runs.iter().enumerate() {
        let index = crate::results::CaseIndex::new(r);
        for c in index
            .of_scenario(&scenario)
            .iter()
            .copied()
            .filter(|c| c.mode.name() == mode && c.status == Status::Ok)
        {
            // What the gate judges, with its 95% interval: the median in ms, or, relative,
            // the ratio to the run's reference as the gate estimates it.
            let point = if relative {
                match index.relative(c) {
                    Relative::Reference => Some((1.0, 1.0, 1.0)),
                    Relative::NoReference => None,
                    Relative::Against { estimate: e, .. } => Some((e.ratio, e.low, e.high)),
                }
            } else {
                c.summary
                    .as_ref()
                    .map(|s| (s.median / 1e6, s.ci95_low / 1e6, s.ci95_high / 1e6))
            };
            let Some((value, low, high)) = point else {
                continue;
            };
            match series.iter_mut().find(|s| s.0 == c.variant.id()) {
                Some(s) => s.1.push((i, value, low, high)),
                None => series.push((c.variant.id(), vec![(i, value, low, high)])),
            }
        }
    }
    let marks = regressions
        .iter()
        .filter(|(_, c)| c.scenario == scenario && c.mode == mode)
        .filter_map(|(run, c)| {
            let k = series.iter().position(|s| s.0 == c.variant)?;
            let value = if relative {
                c.candidate_relative
            } else {
                c.candidate_median.map(|m| m / 1e6)
            };
            value.map(|v| (k, *run, v))
        })
        .collect();
    Panel {
        scenario,
        mode,
        series,
        marks,
    }
}

/// What a reader of a history must know about its runs: scenarios some runs did not
/// measure, and scenario files that changed between runs.
pub fn warnings(runs: &[(String, Results)]) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (_, r) in runs {
        for s in &r.scenarios {
            if !names.contains(&s.name.as_str()) {
                names.push(&s.name);
            }
        }
    }
    for name in names {
        let with: Vec<&(String, Results)> = runs
            .iter()
            .filter(|(_, r)| r.scenarios.iter().any(|s| s.name == name))
            .collect();
        if with.len() < runs.len() {
            warnings.push(format!(
                "scenario {name} is in {} of {} runs: its charts show only those runs",
                with.len(),
                runs.len()
            ));
        }
        let mut hashes: Vec<&str> = Vec::new();
        for (_, r) in &with {
            if let Some(s) = r.scenarios.iter().find(|s| s.name == name)
                && !hashes.contains(&s.sha256.as_str())
            {
                hashes.push(&s.sha256);
            }
        }
        if hashes.len() > 1 {
            warnings.push(format!(
                "scenario {name} comes from {} different files across the runs: runs \
                 across a change are not judged against each other",
                hashes.len()
            ));
        }
    }
    warnings
}
