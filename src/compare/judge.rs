//! Judging matched cases: ratios, intervals, p-values and their adjustment, verdicts,
//! for wall time and for instruction counts.

use super::{CaseComparison, CompareOptions, Metric, Verdict};
use crate::measure::Status;
use crate::results::{CaseResult, Results};
use crate::stats::{benjamini_hochberg, bootstrap_ratio_ci, mann_whitney_p, median};

/// The reference variant of a case's scenario.
pub(super) fn reference_of<'a>(r: &'a Results, c: &CaseResult) -> &'a str {
    r.scenarios
        .iter()
        .find(|s| s.name == c.scenario)
        .map_or("", |s| s.reference.as_str())
}

/// Median of the reference variant's samples in a case's scenario and mode.
pub(super) fn reference_median(r: &Results, c: &CaseResult) -> Option<f64> {
    let reference = reference_of(r, c);
    r.cases
        .iter()
        .find(|x| x.scenario == c.scenario && x.mode == c.mode && x.variant == reference)
        .filter(|x| x.status == Status::Ok)
        .and_then(|x| x.summary.as_ref())
        .map(|s| s.median)
        .filter(|m| *m > 0.0)
}

/// Fills in ratio, interval and p-value of a matched pair of `ok` cases, after
/// dividing each side's samples by its scale (1.0, or its run's reference median).
pub(super) fn measure_pair(
    row: &mut CaseComparison,
    b: &CaseResult,
    c: &CaseResult,
    opts: CompareOptions,
    (scale_b, scale_c): (f64, f64),
) {
    let xs: Vec<f64> = b.samples_ns.iter().map(|&v| v as f64 / scale_b).collect();
    let ys: Vec<f64> = c.samples_ns.iter().map(|&v| v as f64 / scale_c).collect();
    let (mb, mc) = (median(&xs), median(&ys));
    if !(mb > 0.0 && mc > 0.0) {
        row.verdict = Verdict::NotComparable;
        row.note = Some("no samples".into());
        return;
    }
    let (lo, hi) = bootstrap_ratio_ci(&xs, &ys, opts.resamples);
    row.ratio = Some(mc / mb);
    row.ratio_ci_low = Some(lo);
    row.ratio_ci_high = Some(hi);
    row.p_value = Some(mann_whitney_p(&xs, &ys));
    row.verdict = Verdict::NoChange;
}

/// The instruction-count row of a matched pair, when both sides counted.
pub(super) fn compare_instructions(
    b: &CaseResult,
    c: &CaseResult,
    opts: CompareOptions,
) -> Option<CaseComparison> {
    let (bi, ci) = (b.instructions.as_ref()?, c.instructions.as_ref()?);
    let (mb, mc) = (bi.median?, ci.median?);
    if mb <= 0.0 {
        return None;
    }
    let ratio = mc / mb;
    let t = opts.instructions_threshold;
    let mut row = CaseComparison::unmatched(b, Verdict::NoChange);
    row.metric = Metric::Instructions;
    row.baseline_median = Some(mb);
    row.candidate_median = Some(mc);
    row.ratio = Some(ratio);
    // The spread of the counts themselves bounds the ratio.
    let span = |i: &crate::results::Instructions| {
        let min = i.samples.iter().min().copied().unwrap_or(0) as f64;
        let max = i.samples.iter().max().copied().unwrap_or(0) as f64;
        (min, max)
    };
    let ((bmin, bmax), (cmin, cmax)) = (span(bi), span(ci));
    if bmax > 0.0 && bmin > 0.0 {
        row.ratio_ci_low = Some(cmin / bmax);
        row.ratio_ci_high = Some(cmax / bmin);
    }
    row.verdict = if ratio > 1.0 + t {
        Verdict::Regression
    } else if ratio < 1.0 - t {
        Verdict::Improvement
    } else {
        Verdict::NoChange
    };
    if bi.unstable || ci.unstable {
        row.note = Some("instruction counts vary by more than 1% between samples".into());
    }
    Some(row)
}

/// Adjusts the p-values of every measured pair together and gives each its verdict.
pub(super) fn decide(cases: &mut [CaseComparison], opts: CompareOptions) {
    let measured: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].p_value.is_some())
        .collect();
    let p: Vec<f64> = measured
        .iter()
        .map(|&i| cases[i].p_value.unwrap_or(1.0))
        .collect();
    for (&i, q) in measured.iter().zip(benjamini_hochberg(&p)) {
        let row = &mut cases[i];
        row.q_value = Some(q);
        let (ratio, lo, hi) = (
            row.ratio.unwrap_or(1.0),
            row.ratio_ci_low.unwrap_or(0.0),
            row.ratio_ci_high.unwrap_or(f64::INFINITY),
        );
        let significant = q < opts.alpha;
        row.verdict = if significant && ratio > 1.0 + opts.threshold && lo > 1.0 {
            Verdict::Regression
        } else if significant && ratio < 1.0 - opts.threshold && hi < 1.0 {
            Verdict::Improvement
        } else {
            Verdict::NoChange
        };
    }
}
