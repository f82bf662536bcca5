//! One mode of one scenario as every output shows it: its cases in the one row order,
//! each with its ratio to the reference, its distance to the floor and whether it
//! reached the precision it was sampled for, each ratio with its interval.

use serde::Serialize;

use crate::measure::{Stop, allowed};
use crate::results::{CaseResult, ScenarioInfo, Summary};
use crate::scenario::{Mode, Variant};
use crate::stats::RatioInterval;
use crate::status::Status;

/// How far a case is from the floor (variant `memory`: the same code served from
/// memory) in its mode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "ratio")]
pub enum FloorCell {
    /// The scenario measured no floor in this mode (or the case has no ratio).
    None,
    /// The case is the floor.
    IsFloor,
    /// The case over the floor: the quotient of the two cases' ratios to the reference,
    /// with the interval those two imply.
    Over(RatioInterval),
}

impl FloorCell {
    /// The ratio over the floor, when there is one.
    pub fn over(&self) -> Option<RatioInterval> {
        match self {
            FloorCell::Over(r) => Some(*r),
            _ => None,
        }
    }
}

/// Why a case took the samples it took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "half_width")]
pub enum Target {
    /// The scenario samples every case the same number of times.
    Fixed,
    /// The reference: sampled among its cases until every one of them had stopped.
    Reference,
    /// Adaptive sampling stopped it once its ratio's interval was within this
    /// half-width (a fraction; the precision, widened far from the reference).
    Reached(f64),
    /// Adaptive sampling stopped it at its cap before its interval was within this
    /// half-width.
    Cap(f64),
    /// Not known: the case failed or the run was stopped, or the file does not say.
    Unknown,
}

/// One case in its table.
#[derive(Debug, Clone)]
pub struct CaseRow<'a> {
    /// The case.
    pub case: &'a CaseResult,
    /// Its variant's id, as every output names it.
    pub id: String,
    /// Its ratio to the reference with the interval: exactly 1 for the reference, none
    /// for cases that were not measured.
    pub ratio: Option<RatioInterval>,
    /// Its distance to the floor.
    pub floor: FloorCell,
    /// Its instruction count over the reference's, the interval the span of both
    /// counts (counts barely vary: the span is the honest interval).
    pub instructions: Option<RatioInterval>,
    /// Its median instruction count.
    pub instructions_median: Option<f64>,
    /// Why counting gave nothing: skipped or failed, with why.
    pub instructions_note: Option<String>,
    /// Why it took the samples it took.
    pub target: Target,
    /// Median CPU time of the worker over the import, ns.
    pub cpu_median: Option<f64>,
}

impl CaseRow<'_> {
    /// Whether the case was measured.
    pub fn is_ok(&self) -> bool {
        self.case.status == Status::Ok && self.case.summary.is_some()
    }

    /// The case's summary (measured cases).
    pub fn summary(&self) -> Option<&Summary> {
        self.case.summary.as_ref().filter(|_| self.is_ok())
    }

    /// The case's median, NaN when not measured.
    pub fn median(&self) -> f64 {
        self.summary().map_or(f64::NAN, |s| s.median)
    }

    /// The variant id.
    pub fn variant(&self) -> &str {
        &self.id
    }
}

/// One per-sample mode of one scenario.
#[derive(Debug, Clone)]
pub struct ModeTable<'a> {
    /// The mode.
    pub mode: Mode,
    /// Every case of the scenario in this mode, in the one row order: measured cases
    /// by their ratio to the reference (lowest first; without a ratio, by median),
    /// then unsupported, incomplete and failed cases, each with its reason.
    pub rows: Vec<CaseRow<'a>>,
    /// How the cases were sampled, said as the stopping rule does it.
    pub sampling: String,
    /// Median interpreter start-up across the mode's samples, ns.
    pub startup_ns: Option<f64>,
    /// Median harness overhead per sample, ns.
    pub overhead_ns: Option<f64>,
    /// Whether any case counted instructions.
    pub counted: bool,
    /// Whether the mode measured the floor.
    pub has_floor: bool,
}

impl<'a> ModeTable<'a> {
    /// The row of the variant whose id is `variant`.
    pub fn row(&self, variant: &str) -> Option<&CaseRow<'a>> {
        self.rows.iter().find(|r| r.id == variant)
    }

    /// The row of `variant`, when it was measured and has a ratio.
    pub fn ok(&self, variant: &str) -> Option<&CaseRow<'a>> {
        self.row(variant).filter(|r| r.is_ok() && r.ratio.is_some())
    }

    /// The measured rows with a ratio, the reference's included.
    pub fn measured(&self) -> impl Iterator<Item = &CaseRow<'a>> {
        self.rows.iter().filter(|r| r.is_ok() && r.ratio.is_some())
    }

    /// `b` against `a`: the quotient of their ratios to the reference, with the
    /// interval the two imply.
    pub fn between(&self, a: &str, b: &str) -> Option<RatioInterval> {
        Some(self.ok(b)?.ratio?.quotient(self.ok(a)?.ratio?))
    }
}

/// The interval level of a paired ratio in a file that does not say: the interval was
/// [min, max] of the per-round ratios below six rounds, whose coverage of their median
/// is 1 - 2^(1-n); 95% from six on.
fn stated_level(p: &crate::results::PairedRatio) -> f64 {
    p.level.unwrap_or_else(|| {
        if p.rounds >= 6 {
            0.95
        } else {
            1.0 - 0.5_f64.powi(p.rounds.max(1) as i32 - 1)
        }
    })
}

/// `c`'s ratio to `reference` (its own case when `c` is the reference): the run's
/// estimate as the results file holds it, or, for a file that holds none, the same
/// estimator applied to the samples now.
fn ratio_of(
    c: &CaseResult,
    reference: Option<&CaseResult>,
    is_reference: bool,
) -> Option<RatioInterval> {
    if c.status != Status::Ok || c.summary.is_none() {
        return None;
    }
    if is_reference {
        return Some(RatioInterval::ONE);
    }
    if let Some(p) = c.paired_ratio {
        return Some(RatioInterval::new(
            p.median,
            p.low,
            p.high,
            stated_level(&p),
        ));
    }
    let e = crate::results::between(c, reference?, c.slow_above_ns)?;
    Some(RatioInterval::new(e.ratio, e.low, e.high, e.level))
}

/// `c`'s instruction count over the reference's, with the span of both.
fn instructions_of(c: &CaseResult, reference: Option<&CaseResult>) -> Option<RatioInterval> {
    let ci = c.instructions.as_ref()?;
    let ri = reference?.instructions.as_ref()?;
    let (m, rm) = (ci.median?, ri.median?);
    let span = |s: &[u64]| -> Option<(f64, f64)> {
        Some((*s.iter().min()? as f64, *s.iter().max()? as f64))
    };
    let ((lo, hi), (rlo, rhi)) = (span(&ci.samples)?, span(&ri.samples)?);
    (rm > 0.0 && rlo > 0.0).then(|| RatioInterval::new(m / rm, lo / rhi, hi / rlo, 1.0))
}

/// The precision (a fraction) the case of `variant` in `mode` was sampled for: the
/// focus's for focus cases, else the scenario's; `None` without adaptive sampling.
fn precision_of(s: &ScenarioInfo, variant: Variant, mode: Mode) -> Option<f64> {
    let p = s.precision?;
    let p = match &s.focus {
        Some(f) if f.modes.contains(&mode) && f.variants.contains(&variant) => f.precision,
        _ => p,
    };
    Some(p / 100.0)
}

fn target_of(s: &ScenarioInfo, c: &CaseResult, ratio: Option<RatioInterval>) -> Target {
    if c.variant == s.reference {
        return Target::Reference;
    }
    let Some(p) = precision_of(s, c.variant, c.mode) else {
        return Target::Fixed;
    };
    let wanted = allowed(p, ratio.map_or(1.0, |r| r.ratio));
    match c.stopped {
        Some(Stop::Precision) => Target::Reached(wanted),
        Some(Stop::Samples) => Target::Cap(wanted),
        Some(Stop::Reference) => Target::Reference,
        _ => Target::Unknown,
    }
}

/// Where a row goes: measured cases with a ratio first, then those without, then
/// unsupported, incomplete and failed ones.
fn rank(r: &CaseRow) -> u8 {
    match r.case.status {
        Status::Ok if r.ratio.is_some() => 0,
        Status::Ok => 1,
        Status::Unsupported => 2,
        Status::Incomplete => 3,
        Status::Error => 4,
    }
}

/// The rows of one mode: `cases` (that mode's, in file order) against `s`'s reference,
/// in the one row order.
pub(super) fn rows<'a>(s: &ScenarioInfo, cases: &[&'a CaseResult]) -> Vec<CaseRow<'a>> {
    let reference = cases
        .iter()
        .copied()
        .find(|c| c.variant == s.reference && c.status == Status::Ok && !c.samples_ns.is_empty());
    let mut rows: Vec<CaseRow<'a>> = cases
        .iter()
        .map(|&c| {
            let ratio = ratio_of(c, reference, c.variant == s.reference);
            CaseRow {
                id: c.variant.id(),
                case: c,
                ratio,
                floor: FloorCell::None,
                instructions: instructions_of(c, reference),
                instructions_median: c.instructions.as_ref().and_then(|i| i.median),
                instructions_note: c.instructions.as_ref().and_then(|i| {
                    match (i.median, &i.skipped, &i.error) {
                        (Some(_), _, _) => None,
                        (None, Some(why), _) => Some(format!("skipped: {why}")),
                        (None, None, Some(e)) => {
                            Some(format!("failed: {}", e.lines().next().unwrap_or_default()))
                        }
                        _ => None,
                    }
                }),
                target: target_of(s, c, ratio),
                cpu_median: Summary::of(&c.cpu_samples_ns).map(|s| s.median),
            }
        })
        .collect();
    let floor_id = Variant::MEMORY;
    let floor = rows
        .iter()
        .find(|r| r.case.variant == floor_id)
        .and_then(|r| r.ratio);
    for r in &mut rows {
        r.floor = if r.case.variant == floor_id && r.ratio.is_some() {
            FloorCell::IsFloor
        } else {
            match (r.ratio, floor) {
                (Some(x), Some(f)) => FloorCell::Over(x.quotient(f)),
                _ => FloorCell::None,
            }
        };
    }
    rows.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then_with(|| match (a.ratio, b.ratio) {
                (Some(x), Some(y)) => x.ratio.total_cmp(&y.ratio),
                _ => a.median().total_cmp(&b.median()),
            })
    });
    rows
}

/// Median of the values every case of the mode carries (start-up, overhead).
pub(super) fn pooled_median<'a>(
    cases: &[&'a CaseResult],
    values: impl Fn(&'a CaseResult) -> &'a [u64],
) -> Option<f64> {
    let all: Vec<u64> = cases
        .iter()
        .flat_map(|&c| values(c).iter().copied())
        .collect();
    Summary::of(&all).map(|s| s.median)
}
