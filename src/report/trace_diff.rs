//! Where a zip's extra time goes, module by module and phase by phase: the traced
//! (`run --trace`) profiled imports of a scenario's reference and of its best and
//! worst zip with bytecode, and for each zip the difference from the reference by
//! phase and by module, largest first.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::format::format_duration_ns;
use crate::measure::trace::ImportTrace;
use crate::results::{CaseResult, ScenarioInfo};
use crate::scenario::Layout;
use crate::status::Status;

/// One traced case the report draws.
#[derive(Debug)]
pub struct Traced<'a> {
    /// Why it is shown: `reference`, `best zip with bytecode` or `worst zip with
    /// bytecode`.
    pub role: &'static str,
    /// The case.
    pub case: &'a CaseResult,
    /// Its trace.
    pub trace: &'a ImportTrace,
}

/// The traced cases of a scenario's first sampled mode worth drawing: the reference,
/// then the best and the worst zip with bytecode by their ratio to it (one when they
/// are the same). Empty without traces or without a traced reference.
pub(super) fn traced_cases<'a>(s: &ScenarioInfo, cases: &[&'a CaseResult]) -> Vec<Traced<'a>> {
    let Some(mode) = s.headline_mode() else {
        return Vec::new();
    };
    let trace_of = |c: &'a CaseResult| c.probe.as_ref().and_then(|p| p.trace.as_ref());
    let cases: Vec<&CaseResult> = cases
        .iter()
        .copied()
        .filter(|c| c.mode == mode && c.status == Status::Ok)
        .filter(|c| trace_of(c).is_some())
        .collect();
    let Some(reference) = cases.iter().copied().find(|c| c.variant == s.reference) else {
        return Vec::new();
    };
    let mut zips: Vec<&CaseResult> = cases
        .iter()
        .copied()
        .filter(|c| {
            c.variant.layout == Layout::Zip
                && c.variant.bytecode.used_from_zip()
                && c.ratio_to_reference.is_some()
        })
        .collect();
    let ratio = |c: &CaseResult| c.ratio_to_reference.unwrap_or(f64::NAN);
    zips.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
    let mut out = vec![Traced {
        role: "reference",
        case: reference,
        trace: trace_of(reference).expect("filtered on traces"),
    }];
    if let Some(best) = zips.first() {
        out.push(Traced {
            role: "best zip with bytecode",
            case: best,
            trace: trace_of(best).expect("filtered on traces"),
        });
    }
    if let Some(worst) = zips
        .last()
        .filter(|w| zips.len() > 1 && w.variant != zips[0].variant)
    {
        out.push(Traced {
            role: "worst zip with bytecode",
            case: worst,
            trace: trace_of(worst).expect("filtered on traces"),
        });
    }
    out
}

/// One row of a difference: a phase or a module, the zip's and the reference's
/// exclusive time in it, and the difference's share of the whole difference.
#[derive(Debug, Serialize)]
pub struct DiffRow {
    /// Phase or module name.
    pub name: String,
    /// The zip's time, ns.
    pub zip_ns: u64,
    /// The reference's time, ns.
    pub reference_ns: u64,
    /// Zip less reference, ns (negative when the zip spends less).
    pub extra_ns: i64,
    /// `extra_ns` over the whole difference (0 when there is none).
    pub share: f64,
}

/// Where one zip spends more than the reference, in their profiled imports.
#[derive(Debug, Serialize)]
pub struct Difference {
    /// The zip's variant.
    pub zip: String,
    /// The reference variant.
    pub reference: String,
    /// The zip's profiled import less the reference's, ns.
    pub extra_ns: i64,
    /// By phase, largest difference first.
    pub phases: Vec<DiffRow>,
    /// By module (each module's exclusive time: its own phases and machinery), largest
    /// difference first; the top 15.
    pub modules: Vec<DiffRow>,
    /// How much of the difference the named modules' phases account for (the rest is
    /// the import loop's own time, outside every module).
    pub attributed: f64,
    /// The sentence the findings quote.
    pub sentence: String,
}

/// How many modules a difference lists.
const MODULES_SHOWN: usize = 15;

fn rows(
    zip: &BTreeMap<String, u64>,
    reference: &BTreeMap<String, u64>,
    total: i64,
) -> Vec<DiffRow> {
    let mut names: Vec<&String> = zip.keys().chain(reference.keys()).collect();
    names.sort();
    names.dedup();
    let mut out: Vec<DiffRow> = names
        .into_iter()
        .map(|n| {
            let z = zip.get(n).copied().unwrap_or(0);
            let r = reference.get(n).copied().unwrap_or(0);
            let extra = z as i64 - r as i64;
            DiffRow {
                name: n.clone(),
                zip_ns: z,
                reference_ns: r,
                extra_ns: extra,
                share: if total != 0 {
                    extra as f64 / total as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.extra_ns));
    out
}

/// By phase and by module: exclusive times summed.
fn sums(t: &ImportTrace) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    let mut phases = BTreeMap::new();
    let mut modules = BTreeMap::new();
    for (phase, module, ns) in t.exclusive() {
        *phases.entry(phase).or_insert(0) += ns;
        if !module.is_empty() {
            *modules.entry(module).or_insert(0) += ns;
        }
    }
    (phases, modules)
}

/// `zip` against `reference`: the whole difference by phase and by module.
pub fn difference(zip: &Traced, reference: &Traced) -> Difference {
    let extra = zip.trace.wall_ns as i64 - reference.trace.wall_ns as i64;
    let (zp, zm) = sums(zip.trace);
    let (rp, rm) = sums(reference.trace);
    let phases = rows(&zp, &rp, extra);
    let mut modules = rows(&zm, &rm, extra);
    let attributed = if extra != 0 {
        modules.iter().map(|r| r.extra_ns).sum::<i64>() as f64 / extra as f64
    } else {
        0.0
    };
    modules.truncate(MODULES_SHOWN);
    let ms = |ns: i64| format_duration_ns(ns.max(0) as f64);
    let sentence = if extra > 0 {
        let named: Vec<String> = phases
            .iter()
            .filter(|r| r.extra_ns > 0)
            .take(3)
            .map(|r| format!("{} {}", ms(r.extra_ns), r.name))
            .collect();
        let top: Vec<String> = modules
            .iter()
            .filter(|r| r.extra_ns > 0)
            .take(3)
            .map(|r| format!("{} ({})", r.name, ms(r.extra_ns)))
            .collect();
        format!(
            "Of {}'s extra {} over {} (one profiled import each, `run --trace`): {}; the \
             modules that gain most: {}; {:.0}% of the difference lies in named modules.",
            zip.case.variant,
            ms(extra),
            reference.case.variant,
            named.join(", "),
            top.join(", "),
            attributed * 100.0
        )
    } else {
        format!(
            "{}'s profiled import took no longer than {}'s (`run --trace`).",
            zip.case.variant, reference.case.variant
        )
    };
    Difference {
        zip: zip.case.variant.id(),
        reference: reference.case.variant.id(),
        extra_ns: extra,
        phases,
        modules,
        attributed,
        sentence,
    }
}

/// Every traced zip of the scenario against its reference (`traced`, as
/// [`traced_cases`] gives them).
pub(super) fn differences(traced: &[Traced]) -> Vec<Difference> {
    let Some((reference, zips)) = traced.split_first() else {
        return Vec::new();
    };
    zips.iter().map(|z| difference(z, reference)).collect()
}
