//! Judging fleet configurations: a fleet's p95 import latency (its rounds are the
//! samples, paired by round with the reference variant's under `--relative`) and its
//! PSS per process (near-deterministic, judged against the threshold and its span).

use super::environment::Environment;
use super::judge::{gated, statuses, two_sets};
use super::{CaseComparison, CompareOptions, Metric, Reason, Verdict};
use crate::results::{FleetCase, Results};
use crate::stats::{median, quantile_sorted};

fn fleet_mode(f: &FleetCase) -> String {
    format!(
        "fleet {} {} {}-cache",
        f.outcome.processes,
        f.outcome.sharing.name(),
        f.outcome.page_cache.name()
    )
}

fn same_fleet(a: &FleetCase, b: &FleetCase) -> bool {
    a.scenario == b.scenario
        && a.outcome.variant == b.outcome.variant
        && a.outcome.processes == b.outcome.processes
        && a.outcome.sharing == b.outcome.sharing
        && a.outcome.page_cache == b.outcome.page_cache
}

/// Each round's 95th percentile latency across the fleet's processes, ns.
fn p95s(f: &FleetCase) -> Vec<f64> {
    f.outcome
        .rounds
        .iter()
        .filter(|r| !r.latencies_ns.is_empty())
        .map(|r| {
            let mut v: Vec<f64> = r.latencies_ns.iter().map(|&x| x as f64).collect();
            v.sort_by(f64::total_cmp);
            quantile_sorted(&v, 0.95)
        })
        .collect()
}

/// Each round's PSS per process, bytes.
fn pss(f: &FleetCase) -> Vec<f64> {
    let n = f64::from(f.outcome.processes.max(1));
    f.outcome
        .rounds
        .iter()
        .map(|r| r.memory.pss_bytes as f64 / n)
        .collect()
}

/// The reference variant's configuration of the same fleet shape, from the same shard.
fn reference_of<'a>(r: &'a Results, f: &FleetCase) -> Option<&'a FleetCase> {
    let reference = &r.scenarios.iter().find(|s| s.name == f.scenario)?.reference;
    r.fleet.iter().find(|x| {
        x.outcome.variant == *reference
            && x.scenario == f.scenario
            && x.outcome.processes == f.outcome.processes
            && x.outcome.sharing == f.outcome.sharing
            && x.outcome.page_cache == f.outcome.page_cache
            && x.shard == f.shard
            && x.outcome.status == crate::status::Status::Ok
    })
}

/// Per-round p95 of `f` over its reference's p95 in the same round (rounds of every
/// configuration are interleaved, so the k-th rounds ran back to back).
fn relative_p95(r: &Results, f: &FleetCase) -> Option<Vec<f64>> {
    let reference = reference_of(r, f)?;
    Some(
        p95s(f)
            .iter()
            .zip(p95s(reference))
            .filter(|(_, b)| *b > 0.0)
            .map(|(a, b)| a / b)
            .collect(),
    )
}

/// The p95 and PSS rows of every fleet configuration in either run.
pub(super) fn fleet(
    env: &Environment,
    b: &Results,
    c: &Results,
    opts: CompareOptions,
) -> Vec<CaseComparison> {
    let mut rows = Vec::new();
    for bf in &b.fleet {
        let mut p95 = CaseComparison::new(
            Metric::FleetP95,
            &bf.scenario,
            &bf.outcome.variant.id(),
            fleet_mode(bf),
        );
        p95.baseline_median = bf.summary.as_ref().map(|s| s.p95_ns);
        let Some(cf) = c.fleet.iter().find(|x| same_fleet(x, bf)) else {
            p95.cannot_judge(Reason::OnlyInBaseline, "missing from the candidate");
            rows.push(p95);
            continue;
        };
        p95.candidate_median = cf.summary.as_ref().map(|s| s.p95_ns);
        if !statuses(&mut p95, bf.outcome.status, cf.outcome.status) {
            rows.push(p95);
            continue;
        }
        let mut mem = CaseComparison::new(
            Metric::FleetPss,
            &bf.scenario,
            &bf.outcome.variant.id(),
            fleet_mode(bf),
        );
        mem.baseline_median = bf.summary.as_ref().map(|s| s.pss_per_process_bytes);
        mem.candidate_median = cf.summary.as_ref().map(|s| s.pss_per_process_bytes);
        if gated(
            &mut mem,
            env.gate(Metric::FleetPss, &bf.scenario, (None, None)),
        ) {
            by_span(&mut mem, &pss(bf), &pss(cf), opts.threshold);
        }
        if gated(
            &mut p95,
            env.gate(Metric::FleetP95, &bf.scenario, (None, None)),
        ) {
            judge_p95(&mut p95, (b, bf), (c, cf), opts);
        }
        rows.push(p95);
        rows.push(mem);
    }
    for cf in &c.fleet {
        if !b.fleet.iter().any(|x| same_fleet(x, cf)) {
            let mut row = CaseComparison::new(
                Metric::FleetP95,
                &cf.scenario,
                &cf.outcome.variant.id(),
                fleet_mode(cf),
            );
            row.candidate_median = cf.summary.as_ref().map(|s| s.p95_ns);
            row.cannot_judge(Reason::OnlyInCandidate, "not in the baseline");
            rows.push(row);
        }
    }
    rows
}

/// Judges near-deterministic values (memory) like instruction counts: the ratio of
/// medians against the threshold, bounded by the values' own span.
fn by_span(row: &mut CaseComparison, xs: &[f64], ys: &[f64], threshold: f64) {
    let span = |v: &[f64]| {
        (
            v.iter().copied().fold(f64::INFINITY, f64::min),
            v.iter().copied().fold(0.0, f64::max),
        )
    };
    let ((bmin, bmax), (cmin, cmax)) = (span(xs), span(ys));
    let (mb, mc) = (median(xs), median(ys));
    if !(mb > 0.0 && bmin > 0.0 && mc > 0.0) {
        row.cannot_judge(Reason::Status, "no memory figures");
        return;
    }
    let ratio = mc / mb;
    row.ratio = Some(ratio);
    row.ratio_ci_low = Some(cmin / bmax);
    row.ratio_ci_high = Some(cmax / bmin);
    row.samples = Some((xs.len(), ys.len()));
    row.verdict = if ratio > 1.0 + threshold && cmin / bmax > 1.0 {
        Verdict::Regression
    } else if ratio < 1.0 - threshold && cmax / bmin < 1.0 {
        Verdict::Improvement
    } else {
        Verdict::NoChange
    };
}

fn judge_p95(
    row: &mut CaseComparison,
    (b, bf): (&Results, &FleetCase),
    (c, cf): (&Results, &FleetCase),
    opts: CompareOptions,
) {
    if !opts.relative {
        two_sets(row, &p95s(bf), &p95s(cf));
        return;
    }
    let is_reference = |r: &Results| {
        r.scenarios
            .iter()
            .any(|s| s.name == bf.scenario && s.reference == bf.outcome.variant)
    };
    if is_reference(b) || is_reference(c) {
        row.verdict = Verdict::Reference;
        row.add_note("the reference: 1.0 by definition when relative");
        return;
    }
    match (relative_p95(b, bf), relative_p95(c, cf)) {
        (Some(rb), Some(rc)) if !rb.is_empty() && !rc.is_empty() => {
            row.baseline_relative = Some(median(&rb));
            row.candidate_relative = Some(median(&rc));
            let interval = |v: &[f64]| crate::stats::median_interval(v).map(|(_, lo, hi)| (lo, hi));
            row.baseline_relative_interval = interval(&rb);
            row.candidate_relative_interval = interval(&rc);
            row.paired = Some(true);
            two_sets(row, &rb, &rc);
        }
        // Relative wherever both runs have a reference; otherwise absolute, said.
        _ => {
            row.add_note(
                "judged on absolute times: no measured fleet of the reference variant with \
                 the same settings in one of the runs",
            );
            two_sets(row, &p95s(bf), &p95s(cf));
        }
    }
}
