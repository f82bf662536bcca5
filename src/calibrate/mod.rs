//! `calibrate`: how often the `compare` gate cries wolf, and what it can see, measured
//! on this machine with real runs instead of assumed.
//!
//! A scenario is run N times back to back (or N existing results files are read). Then:
//!
//! - **A/A false alarms**: every pair of runs (i < j) is compared, baseline i against
//!   candidate j. Nothing changed between them, so every regression or improvement is a
//!   false alarm; the rate that matters to a CI job is the share of pairs flagging
//!   *anything* (family-wise), reported per method and per case.
//! - **Power**: for every case, the candidate run's samples of that case alone are
//!   multiplied by 1 + s for each slowdown s of a grid, and the pair is judged again
//!   through the same gate; power(s) is the share of pairs in which that case comes
//!   out a regression. The smallest s with power >= 90% is what the gate reliably
//!   detects at this sample count.
//!
//! Methods: wall time plain, wall time `--relative` (each run's estimate against its
//! own reference) and instruction counts (when the runs counted them). Pairs share
//! runs, so they are not independent: every rate over pairs has an interval from
//! resampling whole runs ([`Rate::over_pairs`]). A CI job fails on a regression (exit 4)
//! and on a row `compare` cannot judge (exit 5): both are counted, and so are the cases
//! no pair could judge, which stay in the tables with the reason.
//!
//! Beside the gate, every estimator of a case's ratio to its reference is compared
//! over the runs: its spread and the coverage of its intervals ([`estimators`]).

mod estimators;
mod render;
pub mod research;

pub use estimators::{EstimatorRow, compare_estimators};
pub use render::{
    render_estimators, render_estimators_markdown, render_gate_markdown, render_markdown,
    render_text,
};

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use anyhow::{Context, Result, bail};

use crate::compare::{CompareOptions, Comparison, Metric, Verdict, compare};
use crate::results::Results;
use crate::run::RunOptions;

/// Slowdowns injected into wall-time samples.
pub const WALL_LEVELS: [f64; 9] = [0.02, 0.05, 0.10, 0.15, 0.20, 0.30, 0.50, 1.00, 2.00];
/// Changes injected into instruction counts.
pub const INSTRUCTION_LEVELS: [f64; 5] = [0.005, 0.01, 0.02, 0.05, 0.10];
/// The power a detectable change must reach.
pub const POWER: f64 = 0.9;

/// One way of judging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Wall time, ratio of medians.
    Plain,
    /// Wall time relative to each run's reference, paired by round.
    Relative,
    /// Instruction counts.
    Instructions,
}

impl Method {
    /// The name in calibration.json.
    pub fn name(self) -> &'static str {
        match self {
            Method::Plain => "plain",
            Method::Relative => "relative",
            Method::Instructions => "instructions",
        }
    }

    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Method::Plain => "wall, plain",
            Method::Relative => "wall, --relative",
            Method::Instructions => "instructions",
        }
    }

    fn metric(self) -> Metric {
        match self {
            Method::Plain | Method::Relative => Metric::Wall,
            Method::Instructions => Metric::Instructions,
        }
    }

    fn levels(self) -> &'static [f64] {
        match self {
            Method::Plain | Method::Relative => &WALL_LEVELS,
            Method::Instructions => &INSTRUCTION_LEVELS,
        }
    }
}

/// A rate out of a count, with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Events.
    pub hits: usize,
    /// Trials.
    pub of: usize,
    /// hits / of.
    pub rate: f64,
    /// 95% interval, low end: resampling whole runs for rates over pairs of runs
    /// ([`Rate::over_pairs`]), Wilson's for independent trials.
    pub low: f64,
    /// High end.
    pub high: f64,
}

/// Resamples of the runs behind a rate over pairs of runs.
const RUN_RESAMPLES: usize = 1000;

impl Rate {
    /// A rate over independent trials, with its Wilson interval.
    pub(crate) fn new(hits: usize, of: usize) -> Rate {
        let (n, p, z) = (of.max(1) as f64, hits as f64 / of.max(1) as f64, 1.96f64);
        let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
        let half = z / (1.0 + z * z / n) * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
        Rate {
            hits,
            of,
            rate: p,
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
        }
    }

    /// A rate over the pairs (i < j) of `runs` runs, `hit(i, j)` saying whether a pair
    /// counts. Pairs share runs (one unusual run is in runs - 1 pairs), so they are
    /// not independent trials and a binomial interval is too narrow; the interval here
    /// resamples whole runs (with replacement, seeded) and recomputes the rate over the
    /// pairs of distinct runs drawn.
    pub(crate) fn over_pairs(runs: usize, hit: impl Fn(usize, usize) -> bool) -> Rate {
        let mut flags = vec![vec![false; runs]; runs];
        for (i, j) in (0..runs).flat_map(|i| (i + 1..runs).map(move |j| (i, j))) {
            let h = hit(i, j);
            flags[i][j] = h;
            flags[j][i] = h;
        }
        let of = runs * runs.saturating_sub(1) / 2;
        let hits = flags.iter().flatten().filter(|h| **h).count() / 2;
        let mut rate = Rate::new(hits, of);
        if runs < 3 {
            return rate;
        }
        let mut rng = crate::generate::SeededRng::new(runs as u64, "calibration runs");
        let mut draws: Vec<f64> = Vec::with_capacity(RUN_RESAMPLES);
        for _ in 0..RUN_RESAMPLES {
            let picked: Vec<usize> = (0..runs).map(|_| rng.below(runs as u64) as usize).collect();
            let (mut h, mut n) = (0usize, 0usize);
            for a in 0..runs {
                for b in a + 1..runs {
                    if picked[a] != picked[b] {
                        h += usize::from(flags[picked[a]][picked[b]]);
                        n += 1;
                    }
                }
            }
            if n > 0 {
                draws.push(h as f64 / n as f64);
            }
        }
        draws.sort_by(f64::total_cmp);
        if !draws.is_empty() {
            rate.low = crate::stats::quantile_sorted(&draws, 0.025).min(rate.rate);
            rate.high = crate::stats::quantile_sorted(&draws, 0.975).max(rate.rate);
        }
        rate
    }
}

/// A/A false alarms of one method.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FalseAlarms {
    /// The method.
    pub method: Method,
    /// Pairs of runs in which any row of this method was a regression or an
    /// improvement, at the chosen threshold.
    pub any: Rate,
    /// Pairs of runs in which `compare --fail-on-regression` would fail a CI job on
    /// this method's rows: a regression (exit 4) or a row it could not judge (exit 5).
    pub job_failures: Rate,
    /// Pairs of runs with at least one of this method's rows not judged (exit 5 when
    /// nothing regressed).
    pub cannot_judge: Rate,
    /// The same as `any` at other thresholds: (threshold, pairs flagging anything).
    pub by_threshold: Vec<(f64, Rate)>,
}

/// What the gate does with one case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseCalibration {
    /// Scenario name.
    pub scenario: String,
    /// Variant id.
    pub variant: String,
    /// Mode.
    pub mode: String,
    /// The method.
    pub method: Method,
    /// Median relative spread of the case's samples over the runs (MAD / median).
    pub noise: Option<f64>,
    /// Pairs in which this case alone was flagged with nothing changed.
    pub false_alarms: Rate,
    /// (injected change, share of pairs in which it was flagged a regression).
    pub power: Vec<(f64, Rate)>,
    /// The smallest injected change flagged in at least 90% of pairs; null when even
    /// the largest was not (or the case is the reference under `--relative`).
    pub detectable: Option<f64>,
    /// Why the case has no power figures: the reference under `--relative`, or a case
    /// the gate could never judge (with its reason).
    pub note: Option<String>,
}

/// A whole calibration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calibration {
    /// The results files, in run order.
    pub runs: Vec<String>,
    /// Pairs of runs judged.
    pub pairs: usize,
    /// Timed samples per case (of the first run's first scenario).
    pub samples: u32,
    /// The gate's threshold, as a fraction.
    pub threshold: f64,
    /// The instruction-count threshold, as a fraction.
    pub instructions_threshold: f64,
    /// Per method.
    pub false_alarms: Vec<FalseAlarms>,
    /// Per method and case.
    pub cases: Vec<CaseCalibration>,
    /// Per case and estimator of the ratio to the reference: spread over the runs and
    /// coverage of its intervals.
    pub estimators: Vec<EstimatorRow>,
}

/// `3/45 (7%, [0%, 18%])`: a rate with its interval, as the docs quote it.
pub fn rate_text(r: &Rate) -> String {
    render::rate_with_interval(r)
}

/// The range of one method's power at `level` over its cases: `66-90%` (or one
/// figure when every case agrees); `None` without such cases.
pub fn power_range(cal: &Calibration, method: &str, level: f64) -> Option<String> {
    let rates: Vec<f64> = cal
        .cases
        .iter()
        .filter(|c| c.method.name() == method)
        .filter_map(|c| {
            c.power
                .iter()
                .find(|(l, _)| (l - level).abs() < 1e-9)
                .map(|(_, r)| r.rate)
        })
        .collect();
    let lo = rates.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = rates.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if rates.is_empty() {
        return None;
    }
    let pct = |x: f64| format!("{:.0}", x * 100.0);
    Some(if pct(lo) == pct(hi) {
        format!("{}%", pct(lo))
    } else {
        format!("{}-{}%", pct(lo), pct(hi))
    })
}

/// Thresholds at which the A/A rates are also given.
const OTHER_THRESHOLDS: [f64; 5] = [0.0, 0.02, 0.05, 0.10, 0.20];

/// Whether a row flags anything at `threshold` (its verdict was taken at a lower one).
fn flags_at(c: &crate::compare::CaseComparison, threshold: f64) -> bool {
    matches!(c.verdict, Verdict::Regression | Verdict::Improvement)
        && c.ratio.is_some_and(|r| (r - 1.0).abs() > threshold)
}

fn key(c: &crate::compare::CaseComparison) -> (String, String, String) {
    (c.scenario.clone(), c.variant.clone(), c.mode.clone())
}

/// Where each case of a run is among its cases, by the key a comparison row names it
/// with: found once, so that no case is looked up by a scan.
type Positions = HashMap<(String, String, String), usize>;

fn positions(r: &Results) -> Positions {
    r.cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                (c.scenario.clone(), c.variant.id(), c.mode.name().to_owned()),
                i,
            )
        })
        .collect()
}

/// Multiplies the wall samples (or instruction counts) of case `at` of `r` by `factor`
/// in place.
fn inject(r: &mut Results, at: Option<usize>, method: Method, factor: f64) {
    if let Some(c) = at.map(|i| &mut r.cases[i]) {
        match method {
            Method::Plain | Method::Relative => {
                for v in &mut c.samples_ns {
                    *v = (*v as f64 * factor).round() as u64;
                }
                if let Some(s) = c.summary.as_mut() {
                    s.median *= factor;
                }
            }
            Method::Instructions => {
                if let Some(i) = c.instructions.as_mut() {
                    for v in &mut i.samples {
                        *v = (*v as f64 * factor).round() as u64;
                    }
                    i.median = i.median.map(|m| m * factor);
                }
            }
        }
    }
}

/// Judges every pair of `runs` in every method and injects slowdowns; `progress(done,
/// total)` is called as comparisons finish.
pub fn calibrate(
    runs: &[(String, Results)],
    opts: CompareOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Calibration {
    let estimators = compare_estimators(runs);
    let at: Vec<Positions> = runs.iter().map(|(_, r)| positions(r)).collect();
    let pairs: Vec<(usize, usize)> = (0..runs.len())
        .flat_map(|i| (i + 1..runs.len()).map(move |j| (i, j)))
        .collect();
    let pair_index = |i: usize, j: usize| pair_index(runs.len(), i, j);
    let counted = runs.iter().all(|(_, r)| {
        r.cases
            .iter()
            .any(|c| c.instructions.as_ref().is_some_and(|i| i.median.is_some()))
    });
    let mut methods = vec![Method::Plain, Method::Relative];
    if counted {
        methods.push(Method::Instructions);
    }
    let gate = |m: Method, threshold: f64| CompareOptions {
        relative: m == Method::Relative,
        threshold,
        all_intervals: false,
        ..opts
    };
    let judge = |m: Method, i: usize, j: usize, cand: &Results, threshold: f64| -> Comparison {
        compare(&runs[i].0, &runs[i].1, &runs[j].0, cand, gate(m, threshold))
    };

    let mut false_alarms = Vec::new();
    let mut cases = Vec::new();
    for &m in &methods {
        // A/A at threshold 0: the verdicts at any higher threshold follow from the ratio.
        let aa: Vec<Comparison> = pairs
            .iter()
            .map(|&(i, j)| judge(m, i, j, &runs[j].1, 0.0))
            .collect();
        let rows = |c: &Comparison| rows_of(c, m);
        let threshold = if m == Method::Instructions {
            opts.instructions_threshold
        } else {
            opts.threshold
        };
        false_alarms.push(false_alarms_of(m, &aa, runs.len(), threshold));
        // Every case of some pair, by scenario, mode and variant: judged, or never
        // judged (kept, with why).
        let keys = case_keys(aa.iter().flat_map(&rows));
        let total = keys.len() * m.levels().len() * pairs.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let per_case = |k: &(String, String, String)| -> CaseCalibration {
            let of_case = |c: &Comparison| -> Vec<crate::compare::CaseComparison> {
                rows(c).into_iter().filter(|r| key(r) == *k).collect()
            };
            let flagged = Rate::over_pairs(runs.len(), |i, j| {
                of_case(&aa[pair_index(i, j)])
                    .iter()
                    .any(|r| flags_at(r, threshold))
            });
            let reference = aa
                .iter()
                .flat_map(&rows)
                .any(|r| key(&r) == *k && r.verdict == Verdict::Reference);
            // A case no pair could judge: kept in the table, with the first reason.
            let never = aa
                .iter()
                .flat_map(&of_case)
                .all(|r| r.verdict == Verdict::CannotJudge)
                .then(|| {
                    aa.iter()
                        .flat_map(&of_case)
                        .find_map(|r| r.note.clone())
                        .unwrap_or_default()
                });
            let noise = noise(runs, &at, k);
            let mut power = Vec::new();
            if !reference && never.is_none() {
                for &level in m.levels() {
                    let mut hit = vec![false; pairs.len()];
                    for (p, &(i, j)) in pairs.iter().enumerate() {
                        let mut cand = runs[j].1.clone();
                        inject(&mut cand, at[j].get(k).copied(), m, 1.0 + level);
                        let cmp = judge(m, i, j, &cand, threshold);
                        hit[p] = cmp.cases.iter().any(|r| {
                            r.metric == m.metric()
                                && key(r) == *k
                                && r.verdict == Verdict::Regression
                        });
                        progress(
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                            total,
                        );
                    }
                    power.push((
                        level,
                        Rate::over_pairs(runs.len(), |i, j| hit[pair_index(i, j)]),
                    ));
                }
            }
            CaseCalibration {
                scenario: k.0.clone(),
                variant: k.1.clone(),
                mode: k.2.clone(),
                method: m,
                noise,
                false_alarms: flagged,
                detectable: detectable(&power),
                power,
                note: if reference {
                    Some("the reference: not judged under --relative".into())
                } else {
                    never.map(|why| format!("never judged: {why}"))
                },
            }
        };
        // Two workers: the machine kind has two cores, and each case is independent.
        let (left, right) = keys.split_at(keys.len() / 2);
        let (a, b) = std::thread::scope(|s| {
            let h = s.spawn(|| left.iter().map(per_case).collect::<Vec<_>>());
            let b: Vec<_> = right.iter().map(per_case).collect();
            (h.join().expect("a calibration worker panicked"), b)
        });
        cases.extend(a);
        cases.extend(b);
    }
    Calibration {
        runs: runs.iter().map(|(p, _)| p.clone()).collect(),
        pairs: pairs.len(),
        samples: runs
            .first()
            .and_then(|(_, r)| r.scenarios.first())
            .map_or(0, |s| s.samples),
        threshold: opts.threshold,
        instructions_threshold: opts.instructions_threshold,
        false_alarms,
        cases,
        estimators,
    }
}

/// Every case judged or not (unsupported ones left out), by scenario, mode and variant.
fn case_keys(
    rows: impl Iterator<Item = crate::compare::CaseComparison>,
) -> Vec<(String, String, String)> {
    let mut keys: Vec<(String, String, String)> = Vec::new();
    for c in rows {
        if c.verdict != Verdict::Unsupported && !keys.contains(&key(&c)) {
            keys.push(key(&c));
        }
    }
    keys.sort_by(|a, b| (&a.0, &a.2, &a.1).cmp(&(&b.0, &b.2, &b.1)));
    keys
}

/// The position of pair (i, j), i < j, among the pairs of `n` runs in order.
fn pair_index(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// The rows of a comparison in method `m`'s metric.
fn rows_of(c: &Comparison, m: Method) -> Vec<crate::compare::CaseComparison> {
    c.cases
        .iter()
        .filter(|r| r.metric == m.metric())
        .cloned()
        .collect()
}

/// The A/A false alarms of method `m` over the judged pairs `aa` (in pair order) of
/// `n` runs, at `threshold` and the other thresholds.
fn false_alarms_of(m: Method, aa: &[Comparison], n: usize, threshold: f64) -> FalseAlarms {
    let pair_index = |i: usize, j: usize| pair_index(n, i, j);
    let rows = |c: &Comparison| rows_of(c, m);
    let any_at = |t: f64| {
        Rate::over_pairs(n, |i, j| {
            rows(&aa[pair_index(i, j)]).iter().any(|r| flags_at(r, t))
        })
    };
    let not_judged = |c: &Comparison| rows(c).iter().any(|r| r.verdict == Verdict::CannotJudge);
    FalseAlarms {
        method: m,
        any: any_at(threshold),
        job_failures: Rate::over_pairs(n, |i, j| {
            let c = &aa[pair_index(i, j)];
            rows(c)
                .iter()
                .any(|r| r.verdict == Verdict::Regression && flags_at(r, threshold))
                || not_judged(c)
        }),
        cannot_judge: Rate::over_pairs(n, |i, j| not_judged(&aa[pair_index(i, j)])),
        by_threshold: OTHER_THRESHOLDS.iter().map(|&t| (t, any_at(t))).collect(),
    }
}

/// The smallest injected change from which on every larger one reaches [`POWER`].
fn detectable(power: &[(f64, Rate)]) -> Option<f64> {
    let from = power
        .iter()
        .rposition(|(_, r)| r.rate < POWER)
        .map_or(0, |i| i + 1);
    power.get(from).map(|(l, _)| *l)
}

/// Median over the runs of a case's MAD / median.
fn noise(
    runs: &[(String, Results)],
    at: &[Positions],
    k: &(String, String, String),
) -> Option<f64> {
    let v: Vec<f64> = runs
        .iter()
        .zip(at)
        .filter_map(|((_, r), at)| r.cases[*at.get(k)?].summary.as_ref().map(|s| s.rel_mad()))
        .collect();
    (!v.is_empty()).then(|| crate::stats::median(&v))
}

/// `zipimport-bench calibrate`: makes `runs` runs of `template` (each in
/// `out_dir/runs/NN`), or reads the results files `existing` instead, calibrates the
/// gate on them and writes `out_dir/calibration.json` and `calibration.md`.
pub fn command(
    template: &RunOptions,
    runs: u32,
    existing: &[PathBuf],
    opts: CompareOptions,
) -> Result<Calibration> {
    let out_dir = &template.out_dir;
    let mut loaded = Vec::new();
    if existing.is_empty() {
        for k in 1..=runs {
            let mut o = template.clone();
            o.out_dir = out_dir.join("runs").join(format!("{k:02}"));
            crate::note!("calibrate: run {k} of {runs} into {}", o.out_dir.display());
            let output = crate::run::run(&o)?;
            if output.interrupted {
                bail!(
                    "stopped during run {k}; the runs so far are in {} and can be judged with \
                     --results",
                    out_dir.join("runs").display()
                );
            }
            loaded.push((output.results_path.display().to_string(), output.results));
        }
    } else {
        for p in existing {
            loaded.push((p.display().to_string(), crate::results::read(p)?));
        }
    }
    if loaded.len() < 2 {
        bail!(
            "calibration needs at least 2 runs to pair, got {}",
            loaded.len()
        );
    }
    let bar = crate::measure::progress_bar(template.progress, 0, "judging");
    let calibration = calibrate(&loaded, opts, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let json = serde_json::to_vec_pretty(&calibration).context("encoding the calibration")?;
    crate::results::write_atomic(&out_dir.join("calibration.json"), &json)?;
    crate::results::write_atomic(
        &out_dir.join("calibration.md"),
        render_markdown(&calibration).as_bytes(),
    )?;
    Ok(calibration)
}
