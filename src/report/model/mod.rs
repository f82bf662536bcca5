//! The tables of the report model: cases indexed by key once, and each scenario's
//! per-mode tables holding every case in the one row order with every ratio and its
//! interval. The findings, verdict and fits are built on them
//! ([`super::analysis::RunReport`]); no output computes a ratio of its own.
//!
//! Two cases that are not the reference are compared through their ratios to the
//! reference (the quotient, with the interval the two imply: [`ModeTable::between`]),
//! so a comparison says what the two rows of the table say.

mod rows;

pub use crate::results::{CaseIndex, CaseKey};
pub use rows::{CaseRow, FloorCell, ModeTable, Target};

use crate::results::{CaseResult, Results, ScenarioInfo};
use crate::scenario::{Mode, Variant};

use super::trace_diff::{Difference, Traced};

/// One scenario as every output shows it.
#[derive(Debug)]
pub struct ScenarioReport<'a> {
    /// The scenario as it was run.
    pub info: &'a ScenarioInfo,
    /// Its cases in file order (every mode, fleet and hot-update apart).
    pub cases: &'a [&'a CaseResult],
    /// One table per per-sample mode, in the scenario's mode order.
    pub tables: Vec<ModeTable<'a>>,
    /// The mode the verdict and findings speak of.
    pub headline_mode: Option<Mode>,
    /// With traces (`run --trace`): the reference's and the best and worst zip's
    /// traced imports.
    pub traced: Vec<Traced<'a>>,
    /// With traces: where each traced zip spends more than the reference.
    pub differences: Vec<Difference>,
}

impl<'a> ScenarioReport<'a> {
    /// The table of `mode`.
    pub fn table(&self, mode: Mode) -> Option<&ModeTable<'a>> {
        self.tables.iter().find(|t| t.mode == mode)
    }

    /// The headline mode's table.
    pub fn headline(&self) -> Option<&ModeTable<'a>> {
        self.table(self.headline_mode?)
    }

    /// The variants measured in any mode, in the headline table's row order (then the
    /// other tables'): the order of every chart.
    pub fn variant_order(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let first = self.headline_mode;
        let tables = self
            .tables
            .iter()
            .filter(|t| Some(t.mode) == first)
            .chain(self.tables.iter().filter(|t| Some(t.mode) != first));
        for t in tables {
            for r in t.rows.iter().filter(|r| r.is_ok()) {
                let id = r.case.variant.id();
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    }
}

/// Every scenario of `results` (whose cases `index` holds), in file order.
pub fn scenarios<'a>(results: &'a Results, index: &'a CaseIndex<'a>) -> Vec<ScenarioReport<'a>> {
    results
        .scenarios
        .iter()
        .map(|s| scenario(index, s))
        .collect()
}

fn scenario<'a>(index: &'a CaseIndex<'a>, s: &'a ScenarioInfo) -> ScenarioReport<'a> {
    let cases = index.of_scenario(&s.name);
    let tables = s
        .modes
        .iter()
        .copied()
        .filter(|m| m.is_sampled())
        .map(|mode| {
            let of_mode: Vec<&CaseResult> =
                cases.iter().copied().filter(|c| c.mode == mode).collect();
            let rows = rows::rows(s, &of_mode);
            let mut t = ModeTable {
                mode,
                sampling: String::new(),
                startup_ns: rows::pooled_median(&of_mode, |c| &c.startup_ns),
                overhead_ns: rows::pooled_median(&of_mode, |c| &c.overhead_ns),
                counted: rows.iter().any(|r| r.instructions_median.is_some()),
                has_floor: rows.iter().any(|r| r.floor == FloorCell::IsFloor),
                rows,
            };
            t.sampling = sampling(s, &t);
            t
        })
        .collect();
    let traced = super::trace_diff::traced_cases(s, cases);
    ScenarioReport {
        info: s,
        cases,
        tables,
        headline_mode: s.headline_mode(),
        differences: super::trace_diff::differences(&traced),
        traced,
    }
}

/// How many samples the cases of `t` took and by what rule: `15 samples per case`,
/// or with adaptive sampling the range taken, the rule as the sampler applies it and
/// how many cases reached their target before their cap.
fn sampling(s: &ScenarioInfo, t: &ModeTable) -> String {
    let measured: Vec<&CaseRow> = t.rows.iter().filter(|r| r.is_ok()).collect();
    let reference = measured
        .iter()
        .find(|r| r.case.variant == s.reference)
        .map(|r| r.case.samples_ns.len());
    let taken: Vec<usize> = measured
        .iter()
        .filter(|r| r.case.variant != s.reference)
        .map(|r| r.case.samples_ns.len())
        .collect();
    let per_case = |fallback: String| match (taken.iter().min(), taken.iter().max()) {
        (Some(lo), Some(hi)) if lo == hi => format!("{lo} samples per case"),
        (Some(lo), Some(hi)) => format!("{lo}-{hi} samples per case"),
        _ => fallback,
    };
    let with_reference = |text: String| match reference {
        Some(n) if s.reference_every > 0 => format!("{text}, the reference {n}"),
        _ => text,
    };
    let Some(precision) = s.precision else {
        let fixed = format!("{} per case", crate::format::count(s.samples, "sample"));
        return with_reference(per_case(fixed));
    };
    let min = s.min_samples.unwrap_or(s.samples);
    let range = with_reference(per_case(format!("{min}-{} samples per case", s.samples)));
    let focus = s
        .focus
        .as_ref()
        .filter(|f| f.modes.contains(&t.mode))
        .map(|f| {
            format!(
                "; {}: at most {}, within ±{}%",
                f.variants
                    .iter()
                    .map(Variant::id)
                    .collect::<Vec<_>>()
                    .join(", "),
                f.samples,
                f.precision
            )
        })
        .unwrap_or_default();
    let reached = t
        .rows
        .iter()
        .filter(|r| matches!(r.target, Target::Reached(_)))
        .count();
    let capped = t
        .rows
        .iter()
        .filter(|r| matches!(r.target, Target::Cap(_)))
        .count();
    let outcome = if reached + capped > 0 {
        format!("; {reached} reached it, {capped} stopped at the cap")
    } else {
        String::new()
    };
    format!(
        "{range} (adaptive: each case takes at least {min} and at most {}, and stops once \
         the 98% interval of its ratio to {} is within ±{precision}% (wider far from it: \
         ±{:.0}% at 2x, ±{:.0}% at 7x){focus}{outcome})",
        s.samples,
        s.reference,
        crate::measure::allowed(precision / 100.0, 2.0) * 100.0,
        crate::measure::allowed(precision / 100.0, 7.0) * 100.0,
    )
}
