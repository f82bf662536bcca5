//! The verdict: the answers of a run in a few sentences, for the top of every report
//! (HTML and Markdown). Each sentence carries its numbers; the findings and tables
//! below hold the rest.
//!
//! Per scenario with sampled modes: what the best zip with bytecode costs against the
//! reference, what compression adds, what leaving the bytecode out costs, what a cold
//! page cache changes, how far the floor is, and what could not be measured. Sweeps get
//! their growth per swept unit instead, and scenarios with only fleet or hot-update
//! records their strongest findings.

use super::findings::{Finding, median, ok};
use crate::format::format_duration_ns;
use crate::results::{CaseResult, Results, ScenarioInfo};
use crate::scenario::{Bytecode, Layout, Mode};
use crate::status::Status;

/// The verdict of one scenario (or of a sweep: every scenario of one scenario file).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verdict {
    /// Scenario (or sweep) name.
    pub scenario: String,
    /// The sentences, most important first.
    pub sentences: Vec<String>,
    /// Variants the sentences name, for the verdict's chart (reference first).
    pub variants: Vec<String>,
    /// The mode the sentences judge.
    pub mode: Option<Mode>,
}

/// At most this many scenarios get sentences of their own; beyond it (sweeps, many
/// Pythons) the page points to the sections below.
const MAX_SCENARIOS: usize = 4;

/// The verdicts of a run.
pub fn verdicts(results: &Results, findings: &[Finding]) -> Vec<Verdict> {
    let mut out = Vec::new();
    let fits = super::sweep::fits(results);
    if !fits.is_empty() {
        out.push(sweep_verdict(&fits));
    }
    for s in results.scenarios.iter().filter(|s| s.sweep.is_none()) {
        if out.len() >= MAX_SCENARIOS {
            break;
        }
        let v = sampled_verdict(results, s).unwrap_or_else(|| Verdict {
            scenario: s.name.clone(),
            sentences: findings
                .iter()
                .filter(|f| f.scenario == s.name && f.tone != "info")
                .chain(
                    findings
                        .iter()
                        .filter(|f| f.scenario == s.name && f.tone == "info"),
                )
                .take(3)
                .map(|f| f.text.clone())
                .collect(),
            variants: Vec::new(),
            mode: None,
        });
        if !v.sentences.is_empty() {
            out.push(v);
        }
    }
    out
}

/// `1.07x (95% interval 1.02-1.12)`: a ratio and its interval where there is one,
/// with the interval's real coverage when the samples were too few for 95%.
fn ratio_text(c: &CaseResult) -> Option<String> {
    let r = c.ratio_to_reference?;
    Some(match c.paired_ratio {
        Some(p) if p.is_95() => format!("{r:.2}x (95% interval {:.2}-{:.2})", p.low, p.high),
        Some(p) => format!(
            "{r:.2}x (interval {:.2}-{:.2}, {:.0}% coverage: too few samples for 95%)",
            p.low,
            p.high,
            p.level.unwrap_or(0.0) * 100.0
        ),
        None => format!("{r:.2}x"),
    })
}

fn by_ratio(a: &&CaseResult, b: &&CaseResult) -> std::cmp::Ordering {
    a.ratio_to_reference
        .unwrap_or(f64::MAX)
        .total_cmp(&b.ratio_to_reference.unwrap_or(f64::MAX))
}

/// What the sentences of one scenario are drawn from.
struct Scope<'a> {
    s: &'a ScenarioInfo,
    mode: Mode,
    /// Every case of the scenario.
    all: Vec<&'a CaseResult>,
    /// Its cases in `mode`.
    cases: Vec<&'a CaseResult>,
    /// The measured cases in `mode` with a ratio, the reference left out.
    others: Vec<&'a CaseResult>,
    reference: &'a CaseResult,
}

/// Variants the sentences name, in the order named, the reference first.
struct Named(Vec<String>);

impl Named {
    fn add(&mut self, v: &str) {
        if !self.0.iter().any(|x| x == v) {
            self.0.push(v.to_owned());
        }
    }
}

fn sampled_verdict(results: &Results, s: &ScenarioInfo) -> Option<Verdict> {
    let mode = s.headline_mode()?;
    let all: Vec<&CaseResult> = results
        .cases
        .iter()
        .filter(|c| c.scenario == s.name)
        .collect();
    let cases: Vec<&CaseResult> = all.iter().copied().filter(|c| c.mode == mode).collect();
    let reference = ok(&cases, &s.reference)?;
    let others = cases
        .iter()
        .copied()
        .filter(|c| {
            c.status == Status::Ok && c.variant != s.reference && c.ratio_to_reference.is_some()
        })
        .collect();
    let scope = Scope {
        s,
        mode,
        all,
        cases,
        others,
        reference,
    };
    let mut named = Named(vec![s.reference.clone()]);
    let mut sentences: Vec<String> = Vec::new();
    sentences.extend(shipped(&scope, &mut named));
    sentences.extend(with_bytecode(&scope, &mut named));
    sentences.extend(zstd(&scope, &mut named));
    sentences.extend(compiling(&scope, &mut named));
    sentences.extend(cold_disk(&scope));
    sentences.extend(floor(&scope, &mut named));
    sentences.extend(not_measured(&scope));
    sentences.extend(s.machine.filter(|m| m.bimodal).map(|m| m.sentence()));
    Some(Verdict {
        scenario: s.name.clone(),
        sentences,
        variants: named.0,
        mode: Some(mode),
    })
}

/// The archive as shipped, when the scenario measures one, and the best repack.
fn shipped(x: &Scope, named: &mut Named) -> Option<String> {
    let shipped = ok(&x.cases, "shipped")?;
    let best = x
        .others
        .iter()
        .copied()
        .filter(|c| c.variant != "shipped" && c.layout == Layout::Zip)
        .min_by(by_ratio);
    named.add("shipped");
    let mut text = format!(
        "The archive as shipped imports in {} against {} for {}: {}.",
        format_duration_ns(median(shipped)),
        format_duration_ns(median(x.reference)),
        x.s.reference,
        ratio_text(shipped).unwrap_or_default()
    );
    if let Some(b) = best {
        named.add(&b.variant);
        text.push_str(&format!(
            " The best repacked zip, {}, is {}.",
            b.variant,
            ratio_text(b).unwrap_or_default()
        ));
    }
    Some(text)
}

/// What the best zip with bytecode where zipimport reads it costs, and what deflate
/// adds to it.
fn with_bytecode(x: &Scope, named: &mut Named) -> Vec<String> {
    let readable = |c: &&CaseResult| {
        c.layout == Layout::Zip && c.variant != "shipped" && c.bytecode.used_from_zip()
    };
    let candidates: Vec<&CaseResult> = x.others.iter().copied().filter(readable).collect();
    // The case the scenario spent its samples on answers the question; picking the
    // lowest of many few-sample estimates instead would quote noise (the winner's
    // curse). Without a focus, the lowest.
    let focused = x.s.focus.as_ref().filter(|f| f.modes.contains(&x.mode));
    let in_focus = |c: &&CaseResult| focused.is_some_and(|f| f.variants.contains(&c.variant));
    let headline = candidates
        .iter()
        .copied()
        .filter(in_focus)
        .min_by(by_ratio)
        .or_else(|| candidates.iter().copied().min_by(by_ratio));
    let Some(best) = headline else {
        return Vec::new();
    };
    named.add(&best.variant);
    let is_focus = in_focus(&best);
    let r = best.ratio_to_reference.unwrap_or(f64::NAN);
    let verdict = match best.paired_ratio {
        Some(p) if p.high < 1.0 => "faster than it".to_owned(),
        Some(p) if p.low > 1.0 => "slower than it".to_owned(),
        Some(_) => "not measurably different from it at this sample count".to_owned(),
        None if r <= 1.0 => "as fast as it or faster".to_owned(),
        None => "slower than it".to_owned(),
    };
    let counted = best
        .instructions
        .as_ref()
        .and_then(|i| i.ratio_to_reference)
        .map(|r| format!(" In instructions, which noise does not move, it is {r:.2}x."))
        .unwrap_or_default();
    let which = if is_focus {
        format!("{}, the case this scenario samples most,", best.variant)
    } else {
        format!("the best, {},", best.variant)
    };
    let mut first = format!(
        "A zip with bytecode costs {} {} ({}): {which} is {verdict}.{counted}",
        ratio_text(best).unwrap_or_default(),
        x.s.reference,
        x.mode,
    );
    if is_focus {
        // Whether any other zip with bytecode is measurably faster than it.
        let faster: Vec<&str> = candidates
            .iter()
            .filter(|c| c.variant != best.variant)
            .filter(|c| {
                crate::results::between(c, best, best.slow_above_ns)
                    .is_some_and(|e| e.is_95() && e.high < 1.0)
            })
            .map(|c| c.variant.as_str())
            .collect();
        if faster.is_empty() {
            first.push_str(" No other zip with bytecode is measurably faster.");
        } else {
            first.push_str(&format!(" Measurably faster: {}.", faster.join(", ")));
        }
    }
    let mut out = vec![first];
    // What compression adds: deflate against stored with the same bytecode, each
    // against the reference.
    let stored = ok(&x.cases, "zip-stored-pyc");
    let deflated = ["zip-deflate6-pyc", "zip-deflate9-pyc", "zip-deflate1-pyc"]
        .iter()
        .find_map(|v| ok(&x.cases, v));
    if let (Some(st), Some(df)) = (stored, deflated) {
        named.add(&st.variant);
        named.add(&df.variant);
        // One over the other from their own samples, with its interval; else the
        // quotient of their ratios to the reference.
        let direct = crate::results::between(df, st, st.slow_above_ns).filter(|e| e.is_95());
        let times = match (direct, df.ratio_to_reference, st.ratio_to_reference) {
            (Some(e), _, _) => e.ratio,
            (None, Some(d), Some(s)) if s > 0.0 => d / s,
            _ => median(df) / median(st),
        };
        let interval = direct
            .map(|e| format!(" (95% interval {:.2}-{:.2})", e.low, e.high))
            .unwrap_or_default();
        out.push(format!(
            "Compression: {} is {:.0}% smaller than {} and takes {times:.2}x its time{interval}.",
            df.variant,
            (1.0 - df.artifact.size as f64 / st.artifact.size.max(1) as f64) * 100.0,
            st.variant,
        ));
    }
    out
}

/// What zstd members cost against stored and deflate ones with the same bytecode, and
/// save in size, where this scenario's Python reads them (3.15 and later).
fn zstd(x: &Scope, named: &mut Named) -> Option<String> {
    let z = x
        .others
        .iter()
        .copied()
        .filter(|c| c.compression.as_deref() == Some("zstd") && c.bytecode == Bytecode::Pyc)
        .min_by_key(|c| c.level)?;
    let against = |v: &str| ok(&x.cases, v).filter(|c| c.status == Status::Ok);
    let stored = against("zip-stored-pyc");
    let deflated = ["zip-deflate6-pyc", "zip-deflate9-pyc", "zip-deflate1-pyc"]
        .iter()
        .find_map(|v| against(v));
    let mut parts = Vec::new();
    for other in [stored, deflated].into_iter().flatten() {
        named.add(&other.variant);
        // One over the other from their own samples, with its interval when it is a 95%
        // one; else the quotient of their ratios to the reference.
        let e = crate::results::between(z, other, other.slow_above_ns).filter(|e| e.is_95());
        let (times, interval) = match (e, z.ratio_to_reference, other.ratio_to_reference) {
            (Some(e), _, _) => (
                e.ratio,
                format!(" (95% interval {:.2}-{:.2})", e.low, e.high),
            ),
            (None, Some(a), Some(b)) if b > 0.0 => (a / b, String::new()),
            _ => continue,
        };
        parts.push(format!(
            "{times:.2}x the time of {}{interval} and is {:.0}% {}",
            other.variant,
            (1.0 - z.artifact.size as f64 / other.artifact.size.max(1) as f64).abs() * 100.0,
            if z.artifact.size <= other.artifact.size {
                "smaller"
            } else {
                "larger"
            },
        ));
    }
    if parts.is_empty() {
        return None;
    }
    named.add(&z.variant);
    let python = z.python.as_deref().unwrap_or("this Python");
    Some(format!(
        "zstd, which zipimport reads from Python 3.15 (this is {python}): {} takes {}.",
        z.variant,
        parts.join("; it takes ")
    ))
}

/// What zips without usable bytecode (sources only, `__pycache__`, stale) cost.
fn compiling(x: &Scope, named: &mut Named) -> Option<String> {
    let compiling: Vec<&CaseResult> = x
        .others
        .iter()
        .copied()
        .filter(|c| {
            c.layout == Layout::Zip
                && matches!(
                    c.bytecode,
                    Bytecode::None | Bytecode::Pycache | Bytecode::PycStale
                )
        })
        .collect();
    let lo = compiling.iter().copied().min_by(by_ratio)?;
    let hi = compiling.iter().copied().max_by(by_ratio)?;
    named.add(&hi.variant);
    let range = if lo.variant == hi.variant {
        format!("{:.1}x", hi.ratio_to_reference.unwrap_or(f64::NAN))
    } else {
        format!(
            "{:.1}x to {:.1}x",
            lo.ratio_to_reference.unwrap_or(f64::NAN),
            hi.ratio_to_reference.unwrap_or(f64::NAN)
        )
    };
    Some(format!(
        "Without bytecode where zipimport reads it (sources only, __pycache__ or stale \
         pycs), a zip costs {range} {}: every module compiles on every start.",
        x.s.reference
    ))
}

/// What evicting the artifact from the page cache changes.
fn cold_disk(x: &Scope) -> Option<String> {
    if x.mode != Mode::Cold || !x.s.modes.contains(&Mode::ColdDisk) {
        return None;
    }
    let disk: Vec<&CaseResult> = x
        .all
        .iter()
        .copied()
        .filter(|c| c.mode == Mode::ColdDisk)
        .collect();
    let change = |v: &str| Some(median(ok(&disk, v)?) / median(ok(&x.cases, v)?));
    let parts: Vec<String> = [x.s.reference.as_str(), "zip-stored-pyc"]
        .iter()
        .filter_map(|v| change(v).map(|r| format!("{v} {r:.2}x")))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "With the artifact evicted from the page cache, imports take {} their \
             warm-cache time.",
            parts.join(", ")
        )
    })
}

/// Where the floor is.
fn floor(x: &Scope, named: &mut Named) -> Option<String> {
    let floor_id = crate::scenario::Variant::MEMORY.id();
    let floor = ok(&x.cases, &floor_id)?;
    named.add(&floor_id);
    Some(format!(
        "The floor (the same compiled code served from memory) is {} {}: what no \
         importer can save.",
        ratio_text(floor).unwrap_or_default(),
        x.s.reference
    ))
}

/// What could not be measured: methods zipimport cannot read, by method; the rest by
/// variant; or that everything was.
fn not_measured(x: &Scope) -> Vec<String> {
    let failed: Vec<&CaseResult> = x
        .all
        .iter()
        .copied()
        .filter(|c| c.mode == x.mode && c.status != Status::Ok)
        .collect();
    let mut methods: Vec<String> = Vec::new();
    let mut others_failed: Vec<String> = Vec::new();
    for c in &failed {
        match (&c.compression, c.status) {
            (Some(m), Status::Unsupported) if c.layout == Layout::Zip => {
                if !methods.contains(m) {
                    methods.push(m.clone());
                }
            }
            _ => others_failed.push(format!("{} ({})", c.variant, c.status.name())),
        }
    }
    let mut out = Vec::new();
    if !methods.is_empty() {
        let python = failed
            .iter()
            .find_map(|c| c.python.as_deref())
            .map(|v| format!(" under Python {v}"))
            .unwrap_or_default();
        let notes: Vec<String> = methods
            .iter()
            .filter_map(|m| crate::scenario::readable_note(m))
            .collect();
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        out.push(format!(
            "zipimport cannot read {} members{python}{notes}: those variants are unsupported \
             (Python's exact errors are under \"Not measured\").",
            methods.join(", ")
        ));
    }
    if !others_failed.is_empty() {
        out.push(format!(
            "Not measured: {}; see \"Not measured\" for the errors.",
            others_failed.join(", ")
        ));
    }
    if failed.is_empty() {
        out.push("Every variant was measured.".into());
    }
    out
}

fn sweep_verdict(fits: &[super::sweep::Fit]) -> Verdict {
    let first_mode = fits[0].mode;
    let mut sentences = Vec::new();
    for f in fits.iter().filter(|f| f.mode == first_mode).take(6) {
        if let (Some(slope), Some(r2)) = (f.slope_ns, f.r2) {
            sentences.push(format!(
                "{} ({}): {} per {} (R² {r2:.2}).",
                f.variant,
                f.parameter.name(),
                crate::format::format_rate(slope),
                f.parameter.unit()
            ));
        }
    }
    Verdict {
        scenario: format!("{} sweep", fits[0].base),
        sentences,
        variants: Vec::new(),
        mode: Some(first_mode),
    }
}
