//! `compare`: a candidate results file against a baseline, case by case, with a verdict
//! a CI job can gate on, and no silent pass.
//!
//! Cases match by scenario, variant and mode (fleet configurations and hot-update cases
//! by their settings). Every matched pair gets one of three verdicts, or says why it
//! could not be judged:
//!
//! - **wall time, relative** (the default): each run's estimate of the case's ratio to
//!   its own reference by the gate's estimator (the per-state Hodges-Lehmann shift,
//!   `stats::relative::GATE`: samples set against samples of the same machine state,
//!   with an interval carrying the case's and the reference's sampling error); the
//!   row's ratio is candidate over baseline, its test a Wald test on the two log
//!   estimates with their standard errors read off their intervals. Cases measured by
//!   different shards use the raw Hodges-Lehmann shift; runs without a measured
//!   reference are judged absolutely, and say so.
//! - **wall time, `--absolute`**: the ratio of medians (candidate / baseline), its
//!   bootstrap 95% interval and the Mann-Whitney U p-value on the raw samples.
//! - **instruction counts** (when both runs counted them, in either mode): the ratio of
//!   the counts against a fixed threshold; counts are near-deterministic.
//! - **fleet** p95 latency and PSS per process, with a fleet's rounds as its samples;
//!   **hot update** outcomes (new code before, stale or failing now is a regression).
//!
//! A timed row is a **regression** when its ratio exceeds `1 + threshold`, its
//! Benjamini-Hochberg q-value (over every timed row at once) is below `alpha` and its
//! interval lies above 1; an **improvement** mirrors it. A row with no change states the
//! smallest slowdown it could have flagged with 80% power. A row that cannot be judged (a
//! case missing from one side, `ok` turned `error`, a changed scenario file, another
//! Python minor version, counts from another valgrind) says so, and
//! `--fail-on-regression` exits with its own status for it.

mod environment;
mod fleet;
mod hot_update;
mod judge;
mod render;

pub(crate) use render::{by_metric, cells, columns, headline, unseen};
pub use render::{render_json, render_markdown, render_text};

use serde::Serialize;

use crate::results::{CaseIndex, Results};
use crate::status::Status;
use environment::Environment;
pub use environment::Side;

/// How to judge differences.
#[derive(Debug, Clone, Copy)]
pub struct CompareOptions {
    /// Smallest relative change that counts (0.05 = 5%).
    pub threshold: f64,
    /// Significance level, applied to Benjamini-Hochberg adjusted p-values.
    pub alpha: f64,
    /// Bootstrap resamples for the ratio's interval.
    pub resamples: usize,
    /// Judge each case relative to its own run's reference variant (same scenario and
    /// mode): a machine that is uniformly faster or slower on one night moves nothing.
    /// The default; false is `--absolute`.
    pub relative: bool,
    /// Smallest relative change of instruction counts that counts (0.01 = 1%). Counts
    /// barely vary, so there is no significance test for them: the threshold and the
    /// counts' own spread decide.
    pub instructions_threshold: f64,
    /// Bootstrap the interval of every timed row (for people), or only of the rows whose
    /// verdict depends on it (significant and beyond the threshold; `calibrate` judges
    /// tens of thousands of comparisons). The verdicts are the same either way.
    pub all_intervals: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threshold: 0.05,
            alpha: 0.05,
            resamples: crate::stats::RESAMPLES,
            relative: true,
            instructions_threshold: 0.01,
            all_intervals: true,
        }
    }
}

/// What changed for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Slower (or larger, or worse) beyond the threshold, significantly.
    Regression,
    /// Faster (or smaller, or better) beyond the threshold, significantly.
    Improvement,
    /// The gate could not judge a row it should have: `reason` says why.
    CannotJudge,
    /// Within the threshold, or not significant.
    NoChange,
    /// `unsupported` in both runs (a compression method zipimport cannot read): nothing
    /// to time, and nothing changed.
    Unsupported,
    /// The reference variant under `--relative`: 1.0 by definition, not judged.
    Reference,
}

impl Verdict {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Regression => "regression",
            Verdict::Improvement => "improvement",
            Verdict::CannotJudge => "cannot judge",
            Verdict::NoChange => "no change",
            Verdict::Unsupported => "unsupported",
            Verdict::Reference => "reference",
        }
    }
}

/// Why a row could not be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The case is in the baseline only.
    OnlyInBaseline,
    /// The case is in the candidate only.
    OnlyInCandidate,
    /// Its status differs, or is not `ok` (`ok` then `error`, `incomplete`, ...).
    Status,
    /// Its scenario file changed (sha256 differs).
    ScenarioChanged,
    /// The runs' environments differ in a way this mode cannot judge across.
    Environment,
    /// Instruction counts from different counters, or from one run only.
    Instruments,
    /// So few samples that even a complete separation of the two runs could not reach
    /// significance among this many rows: the gate cannot see a change here.
    TooFewSamples,
}

/// What a comparison row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Wall time of the import section, ns.
    Wall,
    /// Instructions executed in the import section (callgrind).
    Instructions,
    /// A fleet's 95th percentile import latency across its processes, ns.
    FleetP95,
    /// A fleet's proportional set size per process, bytes.
    FleetPss,
    /// Whether a hot update ended with the new code everywhere.
    HotUpdate,
}

/// One matched (or unmatched) row.
#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    /// What is compared.
    pub metric: Metric,
    /// Scenario name.
    pub scenario: String,
    /// Variant id.
    pub variant: String,
    /// Mode (`cold`, ...); for fleets and hot updates, their settings
    /// (`fleet 16 shared warm-cache`, `hot-update rename invalidate-reload sequential`).
    pub mode: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the row could not be judged (verdict `cannot-judge` only).
    pub reason: Option<Reason>,
    /// Baseline median, in the metric's unit (ns, instructions, bytes; trials with new
    /// code for hot updates).
    pub baseline_median: Option<f64>,
    /// Candidate median, same unit.
    pub candidate_median: Option<f64>,
    /// `--relative`: the baseline's ratio to its reference, as that run estimated it (what was
    /// judged).
    pub baseline_relative: Option<f64>,
    /// `--relative`: the candidate's ratio to its reference, as that run estimated it.
    pub candidate_relative: Option<f64>,
    /// The interval of `baseline_relative` (low, high) at its own level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_relative_interval: Option<(f64, f64)>,
    /// The interval of `candidate_relative`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_relative_interval: Option<(f64, f64)>,
    /// Values behind the test on each side (baseline, candidate): samples (plain),
    /// round pairs (`--relative`), fleet rounds.
    pub samples: Option<(usize, usize)>,
    /// `--relative`: whether the case was paired with its reference by round (false:
    /// judged unpaired, see the note).
    pub paired: Option<bool>,
    /// Candidate / baseline: of medians (plain), of relative medians (`--relative`),
    /// of counts (instructions).
    pub ratio: Option<f64>,
    /// 95% interval of the ratio, low end (relative rows: the Wald interval of the two
    /// estimates; absolute rows: a bootstrap of the medians; the counts' span for
    /// instructions).
    pub ratio_ci_low: Option<f64>,
    /// 95% interval of the ratio, high end.
    pub ratio_ci_high: Option<f64>,
    /// Two-sided p-value: a Wald test on the two runs' log estimates for relative rows,
    /// Mann-Whitney U on the raw samples for absolute ones.
    pub p_value: Option<f64>,
    /// The p-value adjusted over every timed row (Benjamini-Hochberg).
    pub q_value: Option<f64>,
    /// Context: why not judged, what differs, what to read it with.
    pub note: Option<String>,
    /// For a `no-change` row: the smallest slowdown (a fraction, 0.12 = +12%) that this
    /// pair of runs would have flagged with 80% power, from the two runs' own noise,
    /// the threshold and the number of rows tested together.
    pub detectable: Option<f64>,
    /// The standard error of the log ratio a relative row was tested with.
    #[serde(skip)]
    log_se: Option<f64>,
    /// The two sets a timed row was tested on, kept until its interval is drawn.
    #[serde(skip)]
    sets: Option<(Vec<f64>, Vec<f64>)>,
}

impl CaseComparison {
    /// A row with nothing measured yet.
    fn new(metric: Metric, scenario: &str, variant: &str, mode: String) -> Self {
        CaseComparison {
            metric,
            scenario: scenario.to_owned(),
            variant: variant.to_owned(),
            mode,
            verdict: Verdict::NoChange,
            reason: None,
            baseline_median: None,
            candidate_median: None,
            baseline_relative: None,
            candidate_relative: None,
            baseline_relative_interval: None,
            candidate_relative_interval: None,
            samples: None,
            paired: None,
            ratio: None,
            ratio_ci_low: None,
            ratio_ci_high: None,
            p_value: None,
            q_value: None,
            note: None,
            detectable: None,
            log_se: None,
            sets: None,
        }
    }

    /// Marks the row as not judged, for `reason`, explained by `note`.
    fn cannot_judge(&mut self, reason: Reason, note: impl Into<String>) {
        self.verdict = Verdict::CannotJudge;
        self.reason = Some(reason);
        self.note = Some(note.into());
    }

    /// Appends to the row's note.
    fn add_note(&mut self, text: &str) {
        self.note = Some(match self.note.take() {
            Some(n) => format!("{n}; {text}"),
            None => text.to_owned(),
        });
    }
}

/// A whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The baseline file.
    pub baseline: Side,
    /// The candidate file.
    pub candidate: Side,
    /// Threshold used, as a fraction.
    pub threshold: f64,
    /// Significance level used.
    pub alpha: f64,
    /// Instruction-count threshold used, as a fraction.
    pub instructions_threshold: f64,
    /// Whether cases were judged relative to their run's reference variant.
    pub relative: bool,
    /// Differences between the runs that kept rows from being judged.
    pub environment_differences: Vec<String>,
    /// Differences the rows were judged across, which a reader must weigh (another
    /// Python patch release, another CPU under `--relative`).
    pub warnings: Vec<String>,
    /// Other differences worth knowing (host name, harness version).
    pub notes: Vec<String>,
    /// Every row: regressions, improvements, rows not judged, then the rest.
    pub cases: Vec<CaseComparison>,
    /// Count of regressions.
    pub regressions: usize,
    /// Count of improvements.
    pub improvements: usize,
    /// Count of rows that could not be judged.
    pub unjudged: usize,
    /// The wall-time row with no change whose detectable change is the largest: no
    /// regression larger than this could have gone unseen in this pair (80% power).
    pub worst_detectable: Option<Detectable>,
    /// The same for instruction counts.
    pub worst_detectable_instructions: Option<Detectable>,
}

impl Comparison {
    /// Rows with a p-value: the ones Benjamini-Hochberg corrects over (at least 1).
    pub fn tested_rows(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.p_value.is_some())
            .count()
            .max(1)
    }

    /// The least samples a side at which two runs that do not overlap at all reach the
    /// p-value a change alone among the tested rows needs, compared absolutely (at
    /// most 200).
    pub fn samples_to_judge_absolutely(&self) -> u32 {
        let needed = self.alpha / self.tested_rows() as f64;
        (2..=200u32)
            .find(|&n| crate::stats::smallest_mann_whitney_p(n as usize, n as usize) < needed)
            .unwrap_or(200)
    }
}

/// The largest change a comparison could have missed, and in which row.
#[derive(Debug, Clone, Serialize)]
pub struct Detectable {
    /// The smallest slowdown that row would have flagged (a fraction).
    pub change: f64,
    /// The row: `scenario/variant/mode`.
    pub case: String,
}

/// The no-change row of `metric` whose detectable change is the largest.
fn worst_detectable(rows: &[CaseComparison], metric: Metric) -> Option<Detectable> {
    rows.iter()
        .filter(|r| r.metric == metric && r.verdict == Verdict::NoChange)
        .filter_map(|r| Some((r.detectable?, r)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(change, r)| Detectable {
            change,
            case: format!("{}/{}/{}", r.scenario, r.variant, r.mode),
        })
}

impl Comparison {
    /// Whether any row has instruction counts.
    pub fn has_instructions(&self) -> bool {
        self.cases.iter().any(|c| c.metric == Metric::Instructions)
    }
}

/// A warning when most wall-time rows moved the same way by more than the threshold:
/// a shift shared by every case is usually the machine (another runner, a busy host),
/// which plain comparison cannot tell from a change of the code; `--relative` can.
fn common_shift(rows: &[CaseComparison], threshold: f64) -> Option<String> {
    let logs: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == Metric::Wall)
        .filter_map(|r| r.ratio)
        .filter(|r| *r > 0.0)
        .map(f64::ln)
        .collect();
    if logs.len() < 4 {
        return None;
    }
    let shift = crate::stats::median(&logs);
    let same = logs.iter().filter(|l| l.signum() == shift.signum()).count();
    (shift.abs() > (1.0 + threshold).ln() && same * 4 >= logs.len() * 3).then(|| {
        format!(
            "{same} of {} cases moved the same way, by a median of {:+.1}%: a shift shared by \
             every case is usually the machine, not the code; relative judging (the \
             default, without --absolute) judges each case against its own run's reference \
             and cancels it",
            logs.len(),
            (shift.exp() - 1.0) * 100.0
        )
    })
}

/// Compares `candidate` against `baseline`.
pub fn compare(
    baseline_path: &str,
    baseline: &Results,
    candidate_path: &str,
    candidate: &Results,
    opts: CompareOptions,
) -> Comparison {
    let env = Environment::of(baseline, candidate, opts.relative);
    let mut cases = Vec::new();
    // Per-sample cases match by scenario, variant and mode.
    let (in_baseline, in_candidate) = (CaseIndex::new(baseline), CaseIndex::new(candidate));
    for bc in &baseline.cases {
        let Some(cc) = in_candidate.like(bc) else {
            let mut row = judge::wall_row(bc);
            row.baseline_median = bc.summary.as_ref().map(|s| s.median);
            if bc.status == Status::Unsupported {
                row.verdict = Verdict::Unsupported;
                row.note = Some("unsupported in the baseline, absent from the candidate".into());
            } else {
                row.cannot_judge(Reason::OnlyInBaseline, "missing from the candidate");
            }
            cases.push(row);
            continue;
        };
        cases.push(judge::wall(
            &env,
            (&in_baseline, bc),
            (&in_candidate, cc),
            opts,
        ));
        if let Some(row) = judge::instructions(&env, bc, cc, opts) {
            cases.push(row);
        }
    }
    for cc in &candidate.cases {
        if in_baseline.like(cc).is_none() {
            let mut row = judge::wall_row(cc);
            row.candidate_median = cc.summary.as_ref().map(|s| s.median);
            row.cannot_judge(Reason::OnlyInCandidate, "not in the baseline");
            cases.push(row);
        }
    }
    cases.extend(fleet::fleet(&env, baseline, candidate, opts));
    cases.extend(hot_update::hot_updates(&env, baseline, candidate));
    judge::decide(&mut cases, opts);
    let mut warnings = env.warnings.clone();
    if !opts.relative {
        warnings.extend(render::absolute_false_alarms());
        warnings.extend(common_shift(&cases, opts.threshold));
    }
    cases.sort_by(|x, y| {
        x.verdict
            .cmp(&y.verdict)
            .then(y.ratio.unwrap_or(0.0).total_cmp(&x.ratio.unwrap_or(0.0)))
    });
    let count = |v: Verdict| cases.iter().filter(|c| c.verdict == v).count();
    Comparison {
        worst_detectable: worst_detectable(&cases, Metric::Wall),
        worst_detectable_instructions: worst_detectable(&cases, Metric::Instructions),
        regressions: count(Verdict::Regression),
        improvements: count(Verdict::Improvement),
        unjudged: count(Verdict::CannotJudge),
        baseline: Side::of(baseline_path, baseline),
        candidate: Side::of(candidate_path, candidate),
        threshold: opts.threshold,
        alpha: opts.alpha,
        instructions_threshold: opts.instructions_threshold,
        relative: opts.relative,
        environment_differences: env.blocking.clone(),
        warnings,
        notes: env.notes.clone(),
        cases,
    }
}
