//! Judging matched per-sample cases: wall time (plain or relative, paired by round),
//! instruction counts, and the verdicts of every timed row at once.

use super::environment::{Environment, Gate};
use super::{CaseComparison, CompareOptions, Metric, Reason, Verdict};
use crate::measure::MIN_SAMPLES_FLOOR;
use crate::results::{CaseIndex, CaseResult, Relative};
use crate::stats::{
    Estimate, benjamini_hochberg, bootstrap_ratio_ci, mann_whitney_p, median, normal_quantile,
    normal_sf, smallest_mann_whitney_p,
};
use crate::status::Status;

/// A wall-time row for `c`, nothing measured yet.
pub(super) fn wall_row(c: &CaseResult) -> CaseComparison {
    CaseComparison::new(
        Metric::Wall,
        &c.scenario,
        &c.variant.id(),
        c.mode.name().to_owned(),
    )
}

/// Applies the status rule shared by every kind of row: both `ok` goes on to be judged
/// (returns true); both `unsupported` is a steady state; anything else cannot be judged.
pub(super) fn statuses(row: &mut CaseComparison, b: Status, c: Status) -> bool {
    match (b, c) {
        (Status::Ok, Status::Ok) => true,
        (Status::Unsupported, Status::Unsupported) => {
            row.verdict = Verdict::Unsupported;
            row.note = Some("unsupported in both runs".into());
            false
        }
        _ => {
            row.cannot_judge(
                Reason::Status,
                format!(
                    "status {} in the baseline, {} in the candidate",
                    b.name(),
                    c.name()
                ),
            );
            false
        }
    }
}

/// Whether the environment allows judging `row`; notes it, or marks it not judged.
pub(super) fn gated(row: &mut CaseComparison, gate: Gate) -> bool {
    match gate {
        Gate::Judge(notes) => {
            for n in notes {
                row.add_note(&n);
            }
            true
        }
        Gate::Refuse(reason, note) => {
            row.cannot_judge(reason, note);
            false
        }
    }
}

/// Fills in ratio, interval and p-value from two sets of values (samples, or fleet
/// ratios) and leaves the verdict to [`decide`].
pub(super) fn two_sets(row: &mut CaseComparison, xs: &[f64], ys: &[f64]) {
    let (mb, mc) = (median(xs), median(ys));
    if !(mb > 0.0 && mc > 0.0) {
        row.cannot_judge(Reason::Status, "no samples");
        return;
    }
    row.ratio = Some(mc / mb);
    row.p_value = Some(mann_whitney_p(xs, ys));
    row.samples = Some((xs.len(), ys.len()));
    // The interval is drawn in `decide`, where it is known whether it is needed.
    row.sets = Some((xs.to_vec(), ys.to_vec()));
}

fn as_f64(v: &[u64]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The wall-time row of a matched pair.
pub(super) fn wall(
    env: &Environment,
    (b, bc): (&CaseIndex, &CaseResult),
    (c, cc): (&CaseIndex, &CaseResult),
    opts: CompareOptions,
) -> CaseComparison {
    let mut row = wall_row(bc);
    row.baseline_median = bc.summary.as_ref().map(|s| s.median);
    row.candidate_median = cc.summary.as_ref().map(|s| s.median);
    if !statuses(&mut row, bc.status, cc.status)
        || !gated(
            &mut row,
            env.gate(
                Metric::Wall,
                &bc.scenario,
                (bc.python.as_deref(), cc.python.as_deref()),
            ),
        )
    {
        return row;
    }
    if !opts.relative {
        two_sets(&mut row, &as_f64(&bc.samples_ns), &as_f64(&cc.samples_ns));
        return row;
    }
    match (b.relative(bc), c.relative(cc)) {
        (Relative::Reference, _) | (_, Relative::Reference) => {
            row.verdict = Verdict::Reference;
            row.baseline_relative = Some(1.0);
            row.candidate_relative = Some(1.0);
            row.add_note(
                "the reference: 1.0 by definition when relative; a change of every variant \
                 alike is invisible here (instruction counts and plain compare see it)",
            );
        }
        // Relative wherever both runs have a reference; a run without one is judged
        // on absolute times, and says so.
        (Relative::NoReference, _) | (_, Relative::NoReference) => {
            row.add_note(
                "judged on absolute times: one of the runs has no measured reference variant \
                 to be relative to",
            );
            two_sets(&mut row, &as_f64(&bc.samples_ns), &as_f64(&cc.samples_ns));
        }
        (
            Relative::Against {
                estimate: be,
                estimator: bx,
                unpaired: bu,
            },
            Relative::Against {
                estimate: ce,
                estimator: cx,
                unpaired: cu,
            },
        ) => {
            row.baseline_relative = Some(be.ratio);
            row.candidate_relative = Some(ce.ratio);
            row.baseline_relative_interval = Some((be.low, be.high));
            row.candidate_relative_interval = Some((ce.low, ce.high));
            row.paired = Some(bu.is_none() && cu.is_none());
            if let Some(why) = bu.or(cu) {
                row.add_note(&format!("judged without the speed probe: {why}"));
            }
            if bx != cx {
                row.add_note(&format!(
                    "estimated by {} in the baseline and {} in the candidate",
                    bx.name(),
                    cx.name()
                ));
            }
            estimates(&mut row, &be, &ce);
        }
    }
    row
}

/// The relative row of a case from its two runs' estimates against their own
/// references: the ratio of the two estimates, and a Wald test on their logs, each
/// estimate's standard error read off its own interval at that interval's real level
/// (the interval carries the case's and the reference's sampling error). A case far
/// from its reference whose interval is wide is judged all the same: if it moved less
/// than its intervals allow, it did not measurably change. Rows whose estimates rest
/// on fewer than [`MIN_SAMPLES_FLOOR`] samples of the case on either side cannot be
/// judged: below that a standard error read off an interval is not one (a z-test on
/// two or three samples flags identical runs far more often than it says).
fn estimates(row: &mut CaseComparison, b: &Estimate, c: &Estimate) {
    row.samples = Some((b.n as usize, c.n as usize));
    row.ratio = Some(c.ratio / b.ratio);
    let fewest = b.n.min(c.n);
    if fewest < MIN_SAMPLES_FLOOR {
        row.cannot_judge(
            Reason::TooFewSamples,
            format!(
                "{} and {} samples of the case: a relative row needs at least \
                 {MIN_SAMPLES_FLOOR} a side; take more samples (`--min-samples \
                 {MIN_SAMPLES_FLOOR}` or more)",
                b.n, c.n
            ),
        );
        return;
    }
    let delta = (c.ratio / b.ratio).ln();
    let se = (b.log_se().powi(2) + c.log_se().powi(2)).sqrt();
    row.p_value = Some(if se > 0.0 && se.is_finite() {
        (2.0 * normal_sf(delta.abs() / se)).min(1.0)
    } else {
        1.0
    });
    let z = normal_quantile(0.975);
    row.ratio_ci_low = Some((delta - z * se).exp());
    row.ratio_ci_high = Some((delta + z * se).exp());
    row.log_se = Some(se);
}

/// The power the detectable change is stated at.
pub(super) const POWER: f64 = 0.8;

/// The smallest slowdown (a fraction) a test on the log scale with standard error
/// `se` flags with [`POWER`]: the observed ratio must pass both the threshold and the
/// critical value of a change alone among `tested` rows (Benjamini-Hochberg lets a
/// single change through at `alpha / tested`), so the true change must lie a power
/// quantile beyond the larger of the two.
pub(super) fn detectable(se: f64, threshold: f64, alpha: f64, tested: usize) -> Option<f64> {
    if !(se.is_finite() && se > 0.0) {
        return None;
    }
    let critical = normal_quantile(1.0 - alpha / (2.0 * tested.max(1) as f64)) * se;
    let needed = critical.max((1.0 + threshold).ln()) + normal_quantile(POWER) * se;
    Some(needed.exp() - 1.0)
}

/// The standard error of the log of a Hodges-Lehmann shift between two sample sets
/// (what the Mann-Whitney test sees), from their robust spreads: `pi / 3` times the
/// normal variance of a difference of means, the test's efficiency against it.
fn rank_log_se(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let spread = |v: &[f64]| -> Option<(f64, f64)> {
        let logs: Vec<f64> = v.iter().filter(|x| **x > 0.0).map(|x| x.ln()).collect();
        if logs.len() < 2 {
            return None;
        }
        let m = median(&logs);
        let dev: Vec<f64> = logs.iter().map(|l| (l - m).abs()).collect();
        Some((1.4826 * median(&dev), logs.len() as f64))
    };
    let ((sb, nb), (sc, nc)) = (spread(xs)?, spread(ys)?);
    Some((std::f64::consts::PI / 3.0 * (sb * sb / nb + sc * sc / nc)).sqrt())
}

/// A case's instruction counts, when it has some.
fn counted(x: &CaseResult) -> Option<&crate::results::Instructions> {
    x.instructions.as_ref().filter(|i| i.median.is_some())
}

/// The instruction-count row of a matched pair, when either side counted.
pub(super) fn instructions(
    env: &Environment,
    b: &CaseResult,
    c: &CaseResult,
    opts: CompareOptions,
) -> Option<CaseComparison> {
    if b.status != Status::Ok || c.status != Status::Ok {
        return None; // the wall row already says why
    }
    let mut row = wall_row(b);
    row.metric = Metric::Instructions;
    let (bi, ci) = match (counted(b), counted(c)) {
        (None, None) => return None,
        (Some(_), None) | (None, Some(_)) => {
            let which = if counted(b).is_some() {
                "baseline"
            } else {
                "candidate"
            };
            row.cannot_judge(
                Reason::Instruments,
                format!("instructions were counted in the {which} only"),
            );
            return Some(row);
        }
        (Some(bi), Some(ci)) => (bi, ci),
    };
    let (mb, mc) = (bi.median.unwrap_or(0.0), ci.median.unwrap_or(0.0));
    row.baseline_median = Some(mb);
    row.candidate_median = Some(mc);
    if bi.tool != ci.tool {
        row.cannot_judge(
            Reason::Instruments,
            format!(
                "counted by {} then {}: another valgrind can count the same code \
                 differently (its instrumentation and the CPU it emulates change between \
                 versions), so the counts are not comparable",
                bi.tool, ci.tool
            ),
        );
        return Some(row);
    }
    if !gated(
        &mut row,
        env.gate(
            Metric::Instructions,
            &b.scenario,
            (b.python.as_deref(), c.python.as_deref()),
        ),
    ) || mb <= 0.0
    {
        return Some(row);
    }
    let ratio = mc / mb;
    row.ratio = Some(ratio);
    // The spread of the counts themselves bounds the ratio.
    let span = |i: &crate::results::Instructions| {
        let min = i.samples.iter().min().copied().unwrap_or(0) as f64;
        let max = i.samples.iter().max().copied().unwrap_or(0) as f64;
        (min, max)
    };
    let ((bmin, bmax), (cmin, cmax)) = (span(bi), span(ci));
    let (lo, hi) = if bmin > 0.0 {
        (cmin / bmax, cmax / bmin)
    } else {
        (ratio, ratio)
    };
    row.ratio_ci_low = Some(lo);
    row.ratio_ci_high = Some(hi);
    let t = opts.instructions_threshold;
    row.verdict = if ratio > 1.0 + t && lo > 1.0 {
        Verdict::Regression
    } else if ratio < 1.0 - t && hi < 1.0 {
        Verdict::Improvement
    } else {
        Verdict::NoChange
    };
    if row.verdict == Verdict::NoChange && cmin > 0.0 && ratio > 0.0 {
        // Counts barely vary: a slowdown by `f` is flagged once `f` times the ratio
        // passes the threshold and `f` times the lowest candidate count passes the
        // highest baseline one, every time.
        row.detectable = Some(((1.0 + t) / ratio).max(bmax / cmin) - 1.0);
    }
    if bi.unstable || ci.unstable {
        row.add_note(&format!(
            "unstable counts: they vary by more than {}% between samples",
            crate::results::INSTRUCTION_SPREAD_LIMIT * 100.0
        ));
    }
    Some(row)
}

/// Adjusts the p-values of every timed row together and gives each its verdict.
pub(super) fn decide(rows: &mut [CaseComparison], opts: CompareOptions) {
    let tested: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].p_value.is_some() && rows[i].verdict == Verdict::NoChange)
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .map(|&i| rows[i].p_value.unwrap_or(1.0))
        .collect();
    for (&i, q) in tested.iter().zip(benjamini_hochberg(&p)) {
        let row = &mut rows[i];
        row.q_value = Some(q);
        let significant = q < opts.alpha;
        let ratio = row.ratio.unwrap_or(1.0);
        let beyond = (ratio - 1.0).abs() > opts.threshold;
        let rank_tested = row.sets.is_some();
        if let Some((xs, ys)) = row.sets.take() {
            row.log_se = rank_log_se(&xs, &ys);
            if opts.all_intervals || (significant && beyond) {
                let (lo, hi) = bootstrap_ratio_ci(&xs, &ys, opts.resamples);
                row.ratio_ci_low = Some(lo);
                row.ratio_ci_high = Some(hi);
            }
        }
        let (ratio, lo, hi) = (
            row.ratio.unwrap_or(1.0),
            row.ratio_ci_low.unwrap_or(0.0),
            row.ratio_ci_high.unwrap_or(f64::INFINITY),
        );
        row.verdict = if significant && ratio > 1.0 + opts.threshold && lo > 1.0 {
            Verdict::Regression
        } else if significant && ratio < 1.0 - opts.threshold && hi < 1.0 {
            Verdict::Improvement
        } else {
            Verdict::NoChange
        };
        // A change alone among `m` rows needs p < alpha / m: rows whose sample counts
        // cannot produce such a p-value even when the runs do not overlap at all are
        // blind, and say so instead of passing. (Rows judged from two estimates have
        // already been held to their minimum.)
        if row.verdict == Verdict::NoChange {
            row.detectable = row
                .log_se
                .and_then(|se| detectable(se, opts.threshold, opts.alpha, tested.len()));
        }
        let needed = opts.alpha / tested.len() as f64;
        if let (Verdict::NoChange, Some((n1, n2)), true) = (row.verdict, row.samples, rank_tested) {
            let best = smallest_mann_whitney_p(n1, n2);
            if best >= needed {
                row.cannot_judge(
                    Reason::TooFewSamples,
                    format!(
                        "{n1} vs {n2} values can give at best p = {best:.4}, and a change \
                         among {} tested rows needs p < {needed:.4}: take more samples",
                        tested.len()
                    ),
                );
            }
        }
    }
}
