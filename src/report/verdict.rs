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

/// `1.07x (1.02-1.12)`: a ratio and its 95% interval where there is one.
fn ratio_text(c: &CaseResult) -> Option<String> {
    let r = c.ratio_to_reference?;
    Some(match c.paired_ratio {
        Some(p) => format!("{r:.2}x (95% interval {:.2}-{:.2})", p.low, p.high),
        None => format!("{r:.2}x"),
    })
}

fn by_ratio(a: &&CaseResult, b: &&CaseResult) -> std::cmp::Ordering {
    a.ratio_to_reference
        .unwrap_or(f64::MAX)
        .total_cmp(&b.ratio_to_reference.unwrap_or(f64::MAX))
}

fn sampled_verdict(results: &Results, s: &ScenarioInfo) -> Option<Verdict> {
    let mode = if s.modes.contains(&Mode::Cold) {
        Mode::Cold
    } else {
        s.modes.iter().copied().find(|m| m.is_sampled())?
    };
    let all: Vec<&CaseResult> = results
        .cases
        .iter()
        .filter(|c| c.scenario == s.name)
        .collect();
    let cases: Vec<&CaseResult> = all.iter().copied().filter(|c| c.mode == mode).collect();
    let reference = ok(&cases, &s.reference)?;
    let mut sentences = Vec::new();
    let mut variants = vec![s.reference.clone()];
    let mut name = |v: &str| {
        if !variants.iter().any(|x| x == v) {
            variants.push(v.to_owned());
        }
    };
    let others: Vec<&CaseResult> = cases
        .iter()
        .copied()
        .filter(|c| {
            c.status == Status::Ok && c.variant != s.reference && c.ratio_to_reference.is_some()
        })
        .collect();

    // The archive as shipped, when the scenario measures one.
    if let Some(shipped) = ok(&cases, "shipped") {
        let best = others
            .iter()
            .copied()
            .filter(|c| c.variant != "shipped" && c.layout == Layout::Zip)
            .min_by(by_ratio);
        name("shipped");
        let mut text = format!(
            "The archive as shipped imports in {} against {} for {}: {}.",
            format_duration_ns(median(shipped)),
            format_duration_ns(median(reference)),
            s.reference,
            ratio_text(shipped).unwrap_or_default()
        );
        if let Some(b) = best {
            name(&b.variant);
            text.push_str(&format!(
                " The best repacked zip, {}, is {}.",
                b.variant,
                ratio_text(b).unwrap_or_default()
            ));
        }
        sentences.push(text);
    }

    // The best zip with bytecode where zipimport reads it.
    let with_bytecode = |c: &&CaseResult| {
        c.layout == Layout::Zip
            && c.variant != "shipped"
            && matches!(
                c.bytecode,
                Bytecode::Pyc | Bytecode::UncheckedHash | Bytecode::CheckedHash | Bytecode::PycOnly
            )
    };
    if let Some(best) = others
        .iter()
        .copied()
        .filter(with_bytecode)
        .min_by(by_ratio)
    {
        name(&best.variant);
        let r = best.ratio_to_reference.unwrap_or(f64::NAN);
        let verdict = match best.paired_ratio {
            Some(p) if p.high < 1.0 => "faster than",
            Some(p) if p.low > 1.0 => "slower than",
            Some(_) => "not measurably different from",
            None if r <= 1.0 => "as fast as or faster than",
            None => "slower than",
        };
        let counted = best
            .instructions
            .as_ref()
            .and_then(|i| i.ratio_to_reference)
            .map(|r| format!(" In instructions, which noise does not move, it is {r:.2}x."))
            .unwrap_or_default();
        sentences.push(format!(
            "A zip with bytecode costs {} {} ({mode}): the best, {}, is {verdict} it.{counted}",
            ratio_text(best).unwrap_or_default(),
            s.reference,
            best.variant,
        ));
        // What compression adds: deflate against stored with the same bytecode.
        let stored = ok(&cases, "zip-stored-pyc");
        let deflated = ["zip-deflate6-pyc", "zip-deflate9-pyc", "zip-deflate1-pyc"]
            .iter()
            .find_map(|v| ok(&cases, v));
        if let (Some(st), Some(df)) = (stored, deflated) {
            name(&st.variant);
            name(&df.variant);
            sentences.push(format!(
                "Compression: {} is {:.0}% smaller than {} and takes {:.2}x its time.",
                df.variant,
                (1.0 - df.artifact.size as f64 / st.artifact.size.max(1) as f64) * 100.0,
                st.variant,
                median(df) / median(st),
            ));
        }
    }

    // Zips without bytecode (or with it where zipimport never looks).
    let compiling: Vec<&CaseResult> = others
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
    if let (Some(lo), Some(hi)) = (
        compiling.iter().copied().min_by(by_ratio),
        compiling.iter().copied().max_by(by_ratio),
    ) {
        name(&hi.variant);
        let range = if lo.variant == hi.variant {
            format!("{:.1}x", hi.ratio_to_reference.unwrap_or(f64::NAN))
        } else {
            format!(
                "{:.1}x to {:.1}x",
                lo.ratio_to_reference.unwrap_or(f64::NAN),
                hi.ratio_to_reference.unwrap_or(f64::NAN)
            )
        };
        sentences.push(format!(
            "Without bytecode where zipimport reads it (sources only, __pycache__ or stale \
             pycs), a zip costs {range} {}: every module compiles on every start.",
            s.reference
        ));
    }

    // A cold page cache.
    if mode == Mode::Cold && s.modes.contains(&Mode::ColdDisk) {
        let disk: Vec<&CaseResult> = all
            .iter()
            .copied()
            .filter(|c| c.mode == Mode::ColdDisk)
            .collect();
        let change = |v: &str| Some(median(ok(&disk, v)?) / median(ok(&cases, v)?));
        let parts: Vec<String> = [s.reference.as_str(), "zip-stored-pyc"]
            .iter()
            .filter_map(|v| change(v).map(|x| format!("{v} {x:.2}x")))
            .collect();
        if !parts.is_empty() {
            sentences.push(format!(
                "With the artifact evicted from the page cache, imports take {} their \
                 warm-cache time.",
                parts.join(", ")
            ));
        }
    }

    // The floor.
    let floor_id = crate::scenario::Variant::MEMORY.id();
    if let Some(floor) = ok(&cases, &floor_id) {
        name(&floor_id);
        sentences.push(format!(
            "The floor (the same compiled code served from memory) is {} {}: what no \
             importer can save.",
            ratio_text(floor).unwrap_or_default(),
            s.reference
        ));
    }

    // What could not be measured: methods zipimport cannot read, by method; the rest by
    // variant.
    let failed: Vec<&CaseResult> = all
        .iter()
        .copied()
        .filter(|c| c.mode == mode && c.status != Status::Ok)
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
    if !methods.is_empty() {
        sentences.push(format!(
            "zipimport cannot read {} members: those variants are unsupported (Python's exact \
             errors are under \"Not measured\").",
            methods.join(", ")
        ));
    }
    if !others_failed.is_empty() {
        sentences.push(format!(
            "Not measured: {}; see \"Not measured\" for the errors.",
            others_failed.join(", ")
        ));
    }
    if failed.is_empty() {
        sentences.push("Every variant was measured.".into());
    }
    Some(Verdict {
        scenario: s.name.clone(),
        sentences,
        variants,
        mode: Some(mode),
    })
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
