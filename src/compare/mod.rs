//! `compare`: a candidate results file against a baseline, case by case, with a verdict
//! a CI job can gate on.
//!
//! Cases match by scenario, variant and mode. Per pair: the ratio of medians
//! (candidate / baseline), its bootstrap 95% interval, and the Mann-Whitney U p-value on
//! the raw samples, adjusted for testing every case at once (Benjamini-Hochberg q-value).
//! A case is a **regression** when the ratio exceeds `1 + threshold`, q < `alpha` and
//! the interval lies above 1; an **improvement** when the ratio is below
//! `1 - threshold`, q < `alpha` and the interval lies below 1; otherwise **no change**. Cases in one file only, cases that are not `ok` on both
//! sides, and cases whose scenario file or interpreter or CPU differ are reported as
//! such and never matched silently.

mod judge;
mod render;

pub use render::{render_json, render_markdown, render_text};

use serde::Serialize;

use crate::measure::Status;
use crate::results::{CaseResult, Results};
use judge::{compare_instructions, decide, measure_pair, reference_median, reference_of};

/// How to judge differences.
#[derive(Debug, Clone, Copy)]
pub struct CompareOptions {
    /// Smallest relative change that counts (0.05 = 5%).
    pub threshold: f64,
    /// Significance level, applied to Benjamini-Hochberg adjusted p-values.
    pub alpha: f64,
    /// Bootstrap resamples for the ratio's interval.
    pub resamples: usize,
    /// Compare each case relative to its own run's reference variant (same scenario and
    /// mode): samples are divided by the reference's median first, so a machine that is
    /// uniformly faster or slower on one night moves nothing.
    pub relative: bool,
    /// Smallest relative change of instruction counts that counts (0.01 = 1%). Counts
    /// barely vary, so there is no significance test for them: the threshold alone
    /// decides.
    pub instructions_threshold: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            threshold: 0.05,
            alpha: 0.05,
            resamples: 2000,
            relative: false,
            instructions_threshold: 0.01,
        }
    }
}

/// What changed for one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Slower beyond the threshold, significantly.
    Regression,
    /// Faster beyond the threshold, significantly.
    Improvement,
    /// Within the threshold, or not significant.
    NoChange,
    /// Present in the baseline only.
    OnlyInBaseline,
    /// Present in the candidate only.
    OnlyInCandidate,
    /// Present in both but not comparable (status, scenario or environment differ).
    NotComparable,
}

impl Verdict {
    /// Label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Regression => "regression",
            Verdict::Improvement => "improvement",
            Verdict::NoChange => "no change",
            Verdict::OnlyInBaseline => "only in baseline",
            Verdict::OnlyInCandidate => "only in candidate",
            Verdict::NotComparable => "not comparable",
        }
    }
}

/// What a comparison row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Wall time of the import section, ns.
    Wall,
    /// Instructions executed in the import section (callgrind).
    Instructions,
}

/// One matched (or unmatched) case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    /// What is compared.
    pub metric: Metric,
    /// Scenario name.
    pub scenario: String,
    /// Variant id.
    pub variant: String,
    /// Mode.
    pub mode: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Baseline median, ns.
    pub baseline_median: Option<f64>,
    /// Candidate median, ns.
    pub candidate_median: Option<f64>,
    /// Candidate median / baseline median.
    pub ratio: Option<f64>,
    /// Bootstrap 95% interval of the ratio, low end.
    pub ratio_ci_low: Option<f64>,
    /// Bootstrap 95% interval of the ratio, high end.
    pub ratio_ci_high: Option<f64>,
    /// Mann-Whitney U two-sided p-value.
    pub p_value: Option<f64>,
    /// The p-value adjusted over all matched cases (Benjamini-Hochberg).
    pub q_value: Option<f64>,
    /// Why the case is not comparable, or other context.
    pub note: Option<String>,
}

impl CaseComparison {
    /// A row for `case` with nothing measured yet.
    fn unmatched(case: &CaseResult, verdict: Verdict) -> Self {
        CaseComparison {
            scenario: case.scenario.clone(),
            variant: case.variant.clone(),
            mode: case.mode.name().to_owned(),
            metric: Metric::Wall,
            verdict,
            baseline_median: None,
            candidate_median: None,
            ratio: None,
            ratio_ci_low: None,
            ratio_ci_high: None,
            p_value: None,
            q_value: None,
            note: None,
        }
    }
}

/// Identity of one results file in a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// The file as given.
    pub path: String,
    /// When its run started.
    pub started_at: String,
    /// Python version.
    pub python: String,
    /// CPU model and core count.
    pub cpu: String,
    /// Host name.
    pub hostname: String,
    /// Harness version and commit.
    pub harness: String,
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
    /// Whether cases were compared relative to their run's reference variant.
    pub relative: bool,
    /// Differences between the two runs' environments that make cases incomparable.
    pub environment_differences: Vec<String>,
    /// Other differences worth knowing (host name, harness version).
    pub notes: Vec<String>,
    /// Every case, regressions first.
    pub cases: Vec<CaseComparison>,
    /// Count of regressions.
    pub regressions: usize,
    /// Count of improvements.
    pub improvements: usize,
}

fn side(path: &str, r: &Results) -> Side {
    let m = &r.metadata;
    Side {
        path: path.to_owned(),
        started_at: m.started_at.clone(),
        python: format!("{} {}", m.python.implementation, m.python.version_short),
        cpu: format!("{} x{}", m.host.cpu_model, m.host.cores),
        hostname: m.host.hostname.clone(),
        harness: format!(
            "{}{}",
            m.harness.version,
            m.harness
                .git_commit
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ),
    }
}

/// Compares `candidate` against `baseline`.
pub fn compare(
    baseline_path: &str,
    baseline: &Results,
    candidate_path: &str,
    candidate: &Results,
    opts: CompareOptions,
) -> Comparison {
    let b = side(baseline_path, baseline);
    let c = side(candidate_path, candidate);
    let mut env = Vec::new();
    if b.python != c.python {
        env.push(format!("Python differs: {} vs {}", b.python, c.python));
    }
    if b.cpu != c.cpu {
        env.push(format!("CPU differs: {} vs {}", b.cpu, c.cpu));
    }
    let mut notes = Vec::new();
    if b.hostname != c.hostname {
        notes.push(format!(
            "host name differs: {} vs {}",
            b.hostname, c.hostname
        ));
    }
    if b.harness != c.harness {
        notes.push(format!("harness differs: {} vs {}", b.harness, c.harness));
    }
    let service = |r: &Results| r.fleet.len() + r.hot_updates.len();
    if service(baseline) + service(candidate) > 0 {
        notes.push(format!(
            "fleet and hot-update records are not judged here ({} in the baseline, {} in the \
             candidate): read them in each run's summary.md or report.html",
            service(baseline),
            service(candidate)
        ));
    }
    let scenario_changed = |name: &str| {
        let find = |r: &Results| {
            r.scenarios
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.sha256.clone())
        };
        match (find(baseline), find(candidate)) {
            (Some(x), Some(y)) => x != y,
            _ => false,
        }
    };

    let key = |c: &CaseResult| {
        (
            c.scenario.clone(),
            c.variant.clone(),
            c.mode.name().to_owned(),
        )
    };
    let mut cases = Vec::new();
    let mut instruction_rows = Vec::new();
    for bc in &baseline.cases {
        let found = candidate.cases.iter().find(|cc| key(cc) == key(bc));
        let mut row = CaseComparison::unmatched(bc, Verdict::OnlyInBaseline);
        row.baseline_median = bc.summary.as_ref().map(|s| s.median);
        let Some(cc) = found else {
            cases.push(row);
            continue;
        };
        row.candidate_median = cc.summary.as_ref().map(|s| s.median);
        if bc.status != Status::Ok || cc.status != Status::Ok {
            row.verdict = Verdict::NotComparable;
            row.note = Some(format!(
                "status {} in baseline, {} in candidate",
                bc.status.name(),
                cc.status.name()
            ));
        } else if !env.is_empty() {
            row.verdict = Verdict::NotComparable;
            row.note = Some(env.join("; "));
        } else if scenario_changed(&bc.scenario) {
            row.verdict = Verdict::NotComparable;
            row.note = Some("the scenario file changed (sha256 differs)".into());
        } else if opts.relative {
            match (
                reference_median(baseline, bc),
                reference_median(candidate, cc),
            ) {
                (Some(rb), Some(rc)) => {
                    // Reported medians stay in ns; the ratio is of relative medians.
                    measure_pair(&mut row, bc, cc, opts, (rb, rc));
                    if bc.variant == reference_of(baseline, bc) {
                        row.note = Some("the reference: 1.0 by definition when relative".into());
                    }
                }
                _ => {
                    row.verdict = Verdict::NotComparable;
                    row.note = Some("no measured reference variant to be relative to".into());
                }
            }
        } else {
            measure_pair(&mut row, bc, cc, opts, (1.0, 1.0));
            if let Some(instr) = compare_instructions(bc, cc, opts) {
                instruction_rows.push(instr);
            }
        }
        cases.push(row);
    }
    decide(&mut cases, opts);
    cases.extend(instruction_rows);
    for cc in &candidate.cases {
        if !baseline.cases.iter().any(|bc| key(bc) == key(cc)) {
            let mut row = CaseComparison::unmatched(cc, Verdict::OnlyInCandidate);
            row.candidate_median = cc.summary.as_ref().map(|s| s.median);
            cases.push(row);
        }
    }
    let order = |v: Verdict| match v {
        Verdict::Regression => 0,
        Verdict::Improvement => 1,
        Verdict::NotComparable => 2,
        Verdict::OnlyInBaseline | Verdict::OnlyInCandidate => 3,
        Verdict::NoChange => 4,
    };
    cases.sort_by(|x, y| {
        order(x.verdict)
            .cmp(&order(y.verdict))
            .then(y.ratio.unwrap_or(0.0).total_cmp(&x.ratio.unwrap_or(0.0)))
    });
    Comparison {
        regressions: cases
            .iter()
            .filter(|c| c.verdict == Verdict::Regression)
            .count(),
        improvements: cases
            .iter()
            .filter(|c| c.verdict == Verdict::Improvement)
            .count(),
        baseline: b,
        candidate: c,
        threshold: opts.threshold,
        alpha: opts.alpha,
        instructions_threshold: opts.instructions_threshold,
        relative: opts.relative,
        environment_differences: env,
        notes,
        cases,
    }
}
