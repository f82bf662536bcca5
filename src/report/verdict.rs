//! The verdict: the answers of a run in a few sentences, for the top of every report
//! (HTML and Markdown). Each sentence carries its numbers; the findings and tables
//! below hold the rest.
//!
//! Per scenario with sampled modes: what the best zip with bytecode costs against the
//! reference, what compression adds, what leaving the bytecode out costs, what a cold
//! page cache changes, how far the floor is, and what could not be measured. Sweeps get
//! their growth per swept unit instead, and scenarios with only fleet or hot-update
//! records their strongest findings.

use super::findings::Finding;
use super::model::{CaseRow, ModeTable, ScenarioReport};
use super::phrase;
use super::sweep::Fit;
use crate::format::format_duration_ns;
use crate::results::CaseResult;
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
pub(super) fn verdicts(
    scenarios: &[ScenarioReport],
    findings: &[Finding],
    fits: &[Fit],
) -> Vec<Verdict> {
    let mut out = Vec::new();
    if !fits.is_empty() {
        out.push(sweep_verdict(fits));
    }
    for s in scenarios.iter().filter(|s| s.info.sweep.is_none()) {
        if out.len() >= MAX_SCENARIOS {
            break;
        }
        let name = &s.info.name;
        let v = sampled_verdict(s).unwrap_or_else(|| Verdict {
            scenario: name.clone(),
            sentences: findings
                .iter()
                .filter(|f| &f.scenario == name && f.tone != "info")
                .chain(
                    findings
                        .iter()
                        .filter(|f| &f.scenario == name && f.tone == "info"),
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

/// `1.07x (95% interval 1.02-1.12)`: a row's ratio to the reference and its interval.
fn ratio_text(r: &CaseRow) -> String {
    r.ratio.map(|x| phrase::ratio_words(&x)).unwrap_or_default()
}

fn ratio_of(r: &CaseRow) -> f64 {
    r.ratio.map_or(f64::MAX, |x| x.ratio)
}

/// What the sentences of one scenario are drawn from.
struct Scope<'s, 'a> {
    s: &'s ScenarioReport<'a>,
    reference: &'a str,
    /// The headline mode's table.
    t: &'s ModeTable<'a>,
    /// Its measured rows with a ratio, the reference left out.
    others: Vec<&'s CaseRow<'a>>,
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

fn sampled_verdict(s: &ScenarioReport) -> Option<Verdict> {
    let t = s.headline()?;
    let reference = &s.info.reference.id();
    t.ok(reference)?;
    let others = t.measured().filter(|r| r.variant() != reference).collect();
    let x = Scope {
        s,
        reference,
        t,
        others,
    };
    let mut named = Named(vec![reference.to_owned()]);
    let mut sentences: Vec<String> = Vec::new();
    sentences.extend(shipped(&x, &mut named));
    sentences.extend(with_bytecode(&x, &mut named));
    sentences.extend(zstd(&x, &mut named));
    sentences.extend(compiling(&x, &mut named));
    sentences.extend(cold_disk(&x));
    sentences.extend(floor(&x, &mut named));
    sentences.extend(not_measured(&x));
    sentences.extend(s.info.machine.filter(|m| m.bimodal).map(|m| m.sentence()));
    Some(Verdict {
        scenario: s.info.name.clone(),
        sentences,
        variants: named.0,
        mode: Some(t.mode),
    })
}

/// The archive as shipped, when the scenario measures one, and the best repack.
fn shipped(x: &Scope, named: &mut Named) -> Option<String> {
    let shipped = x.t.ok("shipped")?;
    let best = x
        .others
        .iter()
        .copied()
        .filter(|c| c.variant() != "shipped" && c.case.variant.layout == Layout::Zip)
        .min_by(|a, b| ratio_of(a).total_cmp(&ratio_of(b)));
    named.add("shipped");
    let reference = x.t.ok(x.reference)?;
    let mut text = format!(
        "The archive as shipped imports in {} against {} for {}: {}.",
        format_duration_ns(shipped.median()),
        format_duration_ns(reference.median()),
        x.reference,
        ratio_text(shipped)
    );
    if let Some(b) = best {
        named.add(b.variant());
        text.push_str(&format!(
            " The best repacked zip, {}, is {}.",
            b.variant(),
            ratio_text(b)
        ));
    }
    Some(text)
}

/// What the best zip with bytecode where zipimport reads it costs, and what deflate
/// adds to it.
fn with_bytecode(x: &Scope, named: &mut Named) -> Vec<String> {
    let readable = |c: &&CaseRow| {
        c.case.variant.layout == Layout::Zip
            && c.variant() != "shipped"
            && c.case.variant.bytecode.used_from_zip()
    };
    let candidates: Vec<&CaseRow> = x.others.iter().copied().filter(readable).collect();
    // The case the scenario spent its samples on answers the question; picking the
    // lowest of many few-sample estimates instead would quote noise (the winner's
    // curse). Without a focus, the lowest.
    let focused =
        x.s.info
            .focus
            .as_ref()
            .filter(|f| f.modes.contains(&x.t.mode));
    let in_focus = |c: &&CaseRow| focused.is_some_and(|f| f.variants.contains(&c.case.variant));
    let lowest = |a: &&CaseRow, b: &&CaseRow| ratio_of(a).total_cmp(&ratio_of(b));
    let headline = candidates
        .iter()
        .copied()
        .filter(in_focus)
        .min_by(lowest)
        .or_else(|| candidates.iter().copied().min_by(lowest));
    let Some(best) = headline else {
        return Vec::new();
    };
    let Some(r) = best.ratio else {
        return Vec::new();
    };
    named.add(best.variant());
    let is_focus = in_focus(&best);
    let verdict = if r.below_one() {
        "faster than it"
    } else if r.above_one() {
        "slower than it"
    } else {
        "not measurably different from it at this sample count"
    };
    let counted = best
        .instructions
        .map(|i| {
            // One count of each side is exact as counted: say so rather than print a
            // ratio with no interval.
            let words = if i.is_exact() {
                format!("{} (counted once each)", phrase::ratio(&i))
            } else {
                phrase::ratio_words(&i)
            };
            format!(" In instructions, which noise does not move, it is {words}.")
        })
        .unwrap_or_default();
    let which = if is_focus {
        format!("{}, the case this scenario samples most,", best.variant())
    } else {
        format!("the best, {},", best.variant())
    };
    let mut first = format!(
        "A zip with bytecode costs {} {} ({}): {which} is {verdict}.{counted}",
        phrase::ratio_words(&r),
        x.reference,
        x.t.mode,
    );
    if is_focus {
        // Whether any other zip with bytecode is measurably faster than it.
        let faster: Vec<&str> = candidates
            .iter()
            .filter(|c| c.variant() != best.variant())
            .filter(|c| {
                x.t.between(best.variant(), c.variant())
                    .is_some_and(|e| e.below_one())
            })
            .map(|c| c.variant())
            .collect();
        if faster.is_empty() {
            first.push_str(" No other zip with bytecode is measurably faster.");
        } else {
            first.push_str(&format!(" Measurably faster: {}.", faster.join(", ")));
        }
    }
    let mut out = vec![first];
    // What compression adds: deflate against stored with the same bytecode, the
    // quotient of their ratios to the reference.
    let deflated = ["zip-deflate6-pyc", "zip-deflate9-pyc", "zip-deflate1-pyc"]
        .iter()
        .find_map(|v| x.t.ok(v));
    if let (Some(st), Some(df)) = (x.t.ok("zip-stored-pyc"), deflated)
        && let Some(times) = x.t.between(st.variant(), df.variant())
    {
        named.add(st.variant());
        named.add(df.variant());
        out.push(format!(
            "Compression: {} is {:.0}% smaller than {} and takes {} its time.",
            df.variant(),
            (1.0 - df.case.artifact.size as f64 / st.case.artifact.size.max(1) as f64) * 100.0,
            st.variant(),
            phrase::ratio_words(&times),
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
        .filter(|c| {
            matches!(
                c.case.variant.compression,
                Some(crate::scenario::Compression::Zstd(_))
            ) && c.case.variant.bytecode == Bytecode::Pyc
        })
        .min_by_key(|c| c.case.variant.level())?;
    let stored = x.t.ok("zip-stored-pyc");
    let deflated = ["zip-deflate6-pyc", "zip-deflate9-pyc", "zip-deflate1-pyc"]
        .iter()
        .find_map(|v| x.t.ok(v));
    let mut parts = Vec::new();
    for other in [stored, deflated].into_iter().flatten() {
        let Some(times) = x.t.between(other.variant(), z.variant()) else {
            continue;
        };
        named.add(other.variant());
        let (zs, os) = (z.case.artifact.size, other.case.artifact.size);
        parts.push(format!(
            "{} the time of {} and is {:.0}% {}",
            phrase::ratio_words(&times),
            other.variant(),
            (1.0 - zs as f64 / os.max(1) as f64).abs() * 100.0,
            if zs <= os { "smaller" } else { "larger" },
        ));
    }
    if parts.is_empty() {
        return None;
    }
    named.add(z.variant());
    let python = z.case.python.as_deref().unwrap_or("this Python");
    Some(format!(
        "zstd, which zipimport reads from Python 3.15 (this is {python}): {} takes {}.",
        z.variant(),
        parts.join("; it takes ")
    ))
}

/// What zips without usable bytecode (sources only, `__pycache__`, stale) cost: the
/// lowest and the highest, each with its interval.
fn compiling(x: &Scope, named: &mut Named) -> Option<String> {
    let compiling: Vec<&CaseRow> = x
        .others
        .iter()
        .copied()
        .filter(|c| {
            c.case.variant.layout == Layout::Zip
                && matches!(
                    c.case.variant.bytecode,
                    Bytecode::None | Bytecode::Pycache | Bytecode::PycStale
                )
        })
        .collect();
    let order = |a: &&CaseRow, b: &&CaseRow| ratio_of(a).total_cmp(&ratio_of(b));
    let lo = compiling.iter().copied().min_by(order)?;
    let hi = compiling.iter().copied().max_by(order)?;
    named.add(hi.variant());
    let range = if lo.variant() == hi.variant() {
        format!("{} ({})", ratio_text(hi), hi.variant())
    } else {
        format!(
            "from {} ({}) to {} ({})",
            ratio_text(lo),
            lo.variant(),
            ratio_text(hi),
            hi.variant()
        )
    };
    Some(format!(
        "Without bytecode where zipimport reads it (sources only, __pycache__ or stale \
         pycs), a zip costs {range} {}: every module compiles on every start.",
        x.reference
    ))
}

/// What evicting the artifact from the page cache changes: zip-stored-pyc against the
/// reference in the cold-disk table beside the same in the cold one (each paired within
/// its mode).
fn cold_disk(x: &Scope) -> Option<String> {
    if x.t.mode != Mode::Cold {
        return None;
    }
    let disk = x.s.table(Mode::ColdDisk)?;
    let zip = "zip-stored-pyc";
    let cold_cache = disk.between(x.reference, zip)?;
    let warm_cache = x.t.between(x.reference, zip)?;
    Some(format!(
        "With the artifact evicted from the page cache, {zip} costs {} {} (against {} with a \
         warm cache).",
        phrase::ratio_words(&cold_cache),
        x.reference,
        phrase::ratio_words(&warm_cache),
    ))
}

/// Where the floor is.
fn floor(x: &Scope, named: &mut Named) -> Option<String> {
    let floor_id = crate::scenario::Variant::MEMORY.id();
    let floor = x.t.ok(&floor_id)?;
    named.add(&floor_id);
    Some(format!(
        "The floor (the same compiled code served from memory) is {} {}: what no \
         importer can save.",
        ratio_text(floor),
        x.reference
    ))
}

/// What could not be measured: methods zipimport cannot read, by method; the rest by
/// variant; or that everything was.
fn not_measured(x: &Scope) -> Vec<String> {
    let failed: Vec<&CaseResult> =
        x.t.rows
            .iter()
            .map(|r| r.case)
            .filter(|c| c.status != Status::Ok)
            .collect();
    let mut methods: Vec<String> = Vec::new();
    let mut others_failed: Vec<String> = Vec::new();
    for c in &failed {
        match (c.variant.compression, c.status) {
            (Some(m), Status::Unsupported) if c.variant.layout == Layout::Zip => {
                if !methods.iter().any(|x| x == m.method()) {
                    methods.push(m.method().to_owned());
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

fn sweep_verdict(fits: &[Fit]) -> Verdict {
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
