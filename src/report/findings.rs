//! Findings for people: sentences derived from the numbers of one run, each with the
//! numbers that support it. A difference whose 95% interval (of one case's ratio to
//! the other, by the run's estimator) holds 1 is called "not measurable at this sample
//! count", never "no difference", and given no direction.

pub use super::finding::Finding;
use crate::results::{CaseResult, Results, ScenarioInfo};
use crate::scenario::{Bytecode, Layout, Mode};
use crate::status::Status;

/// The measured case of `variant` among `cases`.
pub(super) fn ok<'a>(cases: &[&'a CaseResult], variant: &str) -> Option<&'a CaseResult> {
    cases
        .iter()
        .copied()
        .find(|c| c.variant == variant && c.status == Status::Ok && c.summary.is_some())
}

/// A case's median, NaN without a summary.
pub(super) fn median(c: &CaseResult) -> f64 {
    c.summary.as_ref().map_or(f64::NAN, |s| s.median)
}

/// `b` against `a` (two cases of one scenario and mode) by the run's estimator, with
/// its 95% interval.
fn between(a: &CaseResult, b: &CaseResult) -> Option<crate::stats::Estimate> {
    crate::results::between(b, a, b.slow_above_ns)
}

/// Whether `b` measurably differs from `a`: the 95% interval of `b` over `a` excludes 1.
fn distinct(a: &CaseResult, b: &CaseResult) -> bool {
    between(a, b).is_some_and(|e| e.is_95() && (e.high < 1.0 || e.low > 1.0))
}

/// How `b` imports compared with `a`, as a clause: `imports 12% slower than stored
/// (95% interval 9-15%)`, or `imports not measurably differently from stored at this
/// sample count (95% interval -3% to +4%)` when the interval holds no change. Not a
/// claim that the two are the same: an interval that straddles 1 only says this run
/// cannot tell.
fn speed(a: &CaseResult, b: &CaseResult, verb: &str, than: &str) -> String {
    let Some(e) = between(a, b) else {
        return format!("{verb} at {than}'s speed or not; it cannot be told from these samples");
    };
    let pct = |r: f64| format!("{:+.0}%", (r - 1.0) * 100.0);
    let interval = if e.is_95() {
        format!("95% interval {} to {}", pct(e.low), pct(e.high))
    } else {
        format!(
            "interval {} to {}, {:.0}% coverage",
            pct(e.low),
            pct(e.high),
            e.level * 100.0
        )
    };
    if !distinct(a, b) {
        return format!(
            "{verb} not measurably differently from {than} at this sample count ({interval})"
        );
    }
    if e.ratio >= 1.0 {
        format!(
            "{verb} {:.0}% slower than {than} ({interval})",
            (e.ratio - 1.0) * 100.0
        )
    } else {
        format!(
            "{verb} {:.0}% faster than {than} ({interval})",
            (1.0 - e.ratio) * 100.0
        )
    }
}

/// Findings for every scenario of a run, from its first measured mode (cold when
/// measured).
pub fn findings(results: &Results) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &results.scenarios {
        // A user's archive: what the doctor found in it, first.
        for d in s.corpus.iter().flat_map(|c| &c.diagnosis) {
            out.push(Finding {
                scenario: s.name.clone(),
                tone: match d.severity {
                    crate::corpus::diagnose::Severity::Problem => "bad",
                    crate::corpus::diagnose::Severity::Note => "info",
                },
                text: format!(
                    "The archive as shipped (Python {}): {}. Cost: {}. Fix: {}.",
                    d.python, d.what, d.cost, d.fix
                ),
            });
        }
        if let Some(mode) = s.headline_mode() {
            sampled_findings(results, s, mode, &mut out);
        }
        for d in super::trace_diff::differences(results, s) {
            out.push(Finding {
                scenario: s.name.clone(),
                tone: "info",
                text: d.sentence,
            });
        }
        super::fleet::findings(results, &s.name, &mut out);
        super::hot_update::findings(results, &s.name, &mut out);
    }
    out
}

/// Findings from one scenario's per-sample cases (cold, warm, cold-disk).
fn sampled_findings(results: &Results, s: &ScenarioInfo, mode: Mode, out: &mut Vec<Finding>) {
    let cases: Vec<&CaseResult> = results
        .cases
        .iter()
        .filter(|c| c.scenario == s.name && c.mode == mode)
        .collect();
    scenario_findings(s, mode, &cases, out);
    floor_findings(s, mode, &cases, out);
    phase_findings(s, &cases, out);
    if s.modes.contains(&Mode::ColdDisk) && mode == Mode::Cold {
        let disk: Vec<&CaseResult> = results
            .cases
            .iter()
            .filter(|c| c.scenario == s.name && c.mode == Mode::ColdDisk)
            .collect();
        cold_disk_findings(s, &cases, &disk, out);
    }
}

/// How far the usual variants are from the floor (the same code served from memory).
fn floor_findings(s: &ScenarioInfo, mode: Mode, cases: &[&CaseResult], out: &mut Vec<Finding>) {
    let floor_id = crate::scenario::Variant::MEMORY.id();
    let Some(floor) = ok(cases, &floor_id) else {
        return;
    };
    let parts: Vec<String> = ["dir-pyc", "zip-stored-pyc", "zip-deflate6-pyc", "shipped"]
        .iter()
        .filter_map(|v| {
            let c = ok(cases, v)?;
            let f = c.floor?;
            let share = (f.extra_ns / median(c)).max(0.0) * 100.0;
            Some(format!(
                "{v} {:.2}x ({} more, {share:.0}% of its time)",
                f.ratio,
                crate::format::format_duration_ns(f.extra_ns.max(0.0))
            ))
        })
        .collect();
    if parts.is_empty() {
        return;
    }
    out.push(Finding {
        scenario: s.name.clone(),
        tone: "info",
        text: format!(
            "The floor, the same compiled code served from memory, imports in {} ({mode}). \
             Against it: {}. The rest of each import is unmarshalling and executing the \
             code itself, which no importer avoids.",
            crate::format::format_duration_ns(median(floor)),
            parts.join("; ")
        ),
    });
}

/// How evicting the page cache changes the picture.
fn cold_disk_findings(
    s: &ScenarioInfo,
    cold: &[&CaseResult],
    disk: &[&CaseResult],
    out: &mut Vec<Finding>,
) {
    let pair = |cases: &[&CaseResult]| match (ok(cases, "dir-pyc"), ok(cases, "zip-stored-pyc")) {
        (Some(d), Some(z)) => Some(median(z) / median(d)),
        _ => None,
    };
    if let (Some(warm_cache), Some(cold_cache)) = (pair(cold), pair(disk)) {
        out.push(Finding {
            scenario: s.name.clone(),
            tone: if cold_cache < 1.0 { "good" } else { "info" },
            text: format!(
                "With the artifact evicted from the page cache, zip-stored-pyc costs {cold_cache:.2}x \
                 dir-pyc (against {warm_cache:.2}x with a warm cache): one archive to read instead \
                 of one file per module."
            ),
        });
    }
}

/// Where the profiled import of a zip variant spent its time.
fn phase_findings(s: &ScenarioInfo, cases: &[&CaseResult], out: &mut Vec<Finding>) {
    for variant in ["zip-stored-pyc", "zip-deflate6-pyc"] {
        let Some(c) = ok(cases, variant) else {
            continue;
        };
        let Some(p) = &c.probe else { continue };
        let total: u64 = p.phases.values().sum();
        if total == 0 {
            continue;
        }
        let share = |k: &str| p.phases.get(k).copied().unwrap_or(0) as f64 / total as f64 * 100.0;
        let mut top: Vec<(&String, &u64)> = p.phases.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let listed: Vec<String> = top
            .iter()
            .take(3)
            .map(|(k, v)| format!("{k} {:.0}%", **v as f64 / total as f64 * 100.0))
            .collect();
        out.push(Finding {
            scenario: s.name.clone(),
            tone: "info",
            text: format!(
                "{variant}: parsing the archive directory ({} entries) takes {:.1}% of the \
                 profiled import; the largest phases are {}.",
                c.artifact.entries,
                share("archive directory"),
                listed.join(", ")
            ),
        });
    }
}

fn scenario_findings(s: &ScenarioInfo, mode: Mode, cases: &[&CaseResult], out: &mut Vec<Finding>) {
    let mut push = |tone, text: String| {
        out.push(Finding {
            scenario: s.name.clone(),
            tone,
            text,
        });
    };
    let reference = ok(cases, &s.reference);

    // Source-only archives.
    if let (Some(r), Some(src)) = (
        reference,
        ok(cases, "zip-stored-none").or_else(|| ok(cases, "zip-deflate6-none")),
    ) {
        let compiles = src
            .probe
            .as_ref()
            .and_then(|p| p.first.get("compiles"))
            .copied()
            .unwrap_or(0);
        push(
            "bad",
            format!(
                "Source-only archives are {:.1}x slower than {} ({} {mode}): zipimport compiles \
                 every module, {compiles} compilations for {} modules. Ship .pyc files inside the \
                 archive, beside the sources, where zipimport looks for them.",
                src.ratio_to_reference.unwrap_or(median(src) / median(r)),
                r.variant,
                src.variant,
                src.probe.as_ref().map_or(0, |p| p.modules),
            ),
        );
    }

    // Zip with bytecode against the directory.
    if let (Some(d), Some(z)) = (ok(cases, "dir-pyc"), ok(cases, "zip-stored-pyc")) {
        // The paired ratio the tables show, when dir-pyc is the reference.
        let ratio = z
            .ratio_to_reference
            .filter(|_| s.reference == d.variant)
            .unwrap_or(median(z) / median(d));
        push(
            // Good news only when the zip is within 5% of the directory; a cost the
            // intervals cannot separate from noise is still a cost, not good news.
            if ratio <= 1.05 { "good" } else { "info" },
            format!(
                "An uncompressed zip with pyc ({}) costs {ratio:.2}x a directory with \
                 __pycache__ ({} vs {} median, {mode}){}.",
                z.variant,
                crate::format::format_duration_ns(median(z)),
                crate::format::format_duration_ns(median(d)),
                if distinct(d, z) {
                    ""
                } else {
                    "; the 95% interval of the ratio holds 1, so the difference is not \
                     measurable at this sample count"
                },
            ),
        );
    }

    // Deflate against stored, and levels against each other.
    if let (Some(st), Some(d6)) = (ok(cases, "zip-stored-pyc"), ok(cases, "zip-deflate6-pyc")) {
        push(
            "info",
            format!(
                "Deflate (level 6) makes the pyc archive {:.0}% smaller and {}.",
                (1.0 - d6.artifact.size as f64 / st.artifact.size as f64) * 100.0,
                speed(st, d6, "imports", "stored"),
            ),
        );
    }
    for (lo, hi) in [
        ("zip-deflate6-pyc", "zip-deflate9-pyc"),
        ("zip-deflate1-pyc", "zip-deflate6-pyc"),
    ] {
        if let (Some(a), Some(b)) = (ok(cases, lo), ok(cases, hi)) {
            let smaller = (1.0 - b.artifact.size as f64 / a.artifact.size as f64) * 100.0;
            push(
                "info",
                format!(
                    "Deflate level {} is {:.1}% smaller than level {} and {}.",
                    b.level.unwrap_or(0),
                    smaller,
                    a.level.unwrap_or(0),
                    speed(a, b, "imports", &format!("level {}", a.level.unwrap_or(0)))
                ),
            );
        }
    }

    hash_and_failures(cases, &mut push);
}

/// Hash-based pycs, zipimport's double read, methods zipimport cannot read and failed
/// cases: the second half of [`scenario_findings`].
fn hash_and_failures(cases: &[&CaseResult], push: &mut dyn FnMut(&'static str, String)) {
    // Hash-based pycs in zips.
    if let (Some(p), Some(h)) = (
        ok(cases, "zip-stored-pyc"),
        ok(cases, "zip-stored-checked-hash"),
    ) && distinct(p, h)
        && median(h) > median(p)
    {
        push(
            "bad",
            format!(
                "Checked-hash pycs in a zip {}: zipimport reads, decompresses and \
                     hashes every source as well.",
                speed(p, h, "import", "timestamp pycs")
            ),
        );
    }
    if let (Some(p), Some(u)) = (
        ok(cases, "zip-stored-pyc"),
        ok(cases, "zip-stored-unchecked-hash"),
    ) {
        push(
            if distinct(p, u) && median(u) < median(p) {
                "good"
            } else {
                "info"
            },
            format!(
                "Unchecked-hash pycs in a zip {} (never validated against the source, and \
                 immune to time-zone and mtime mismatches).",
                speed(p, u, "import", "timestamp pycs")
            ),
        );
    }

    // zipimport's double read.
    if let Some(z) = cases
        .iter()
        .find(|c| c.layout == Layout::Zip && c.bytecode == Bytecode::Pyc && c.probe.is_some())
    {
        let p = z.probe.as_ref().expect("filtered on probe");
        let unmarshals = p.first.get("unmarshals").copied().unwrap_or(0);
        if p.modules > 0 && unmarshals >= 2 * p.modules {
            push(
                "info",
                format!(
                    "zipimport unmarshals every module twice ({unmarshals} marshal.loads calls for \
                     {} modules in {}): its find_spec runs the full code lookup.",
                    p.modules, z.variant
                ),
            );
        }
    }

    // Unsupported methods and broken bytecode.
    // Each method's own error: they differ (bzip2 "invalid distance too far back", xz
    // "too many length or distance symbols", ...).
    let mut unsupported: Vec<(String, String)> = Vec::new();
    for c in cases.iter().filter(|c| c.status == Status::Unsupported) {
        let (Some(method), Some(error)) = (&c.compression, &c.error) else {
            continue;
        };
        if !unsupported.iter().any(|(m, _)| m == method) {
            let first_line = error.lines().next().unwrap_or_default().to_owned();
            unsupported.push((method.clone(), first_line));
        }
    }
    unsupported.sort();
    if !unsupported.is_empty() {
        let methods: Vec<&str> = unsupported.iter().map(|(m, _)| m.as_str()).collect();
        let errors: Vec<String> = unsupported
            .iter()
            .map(|(m, e)| format!("{m}: `{e}`"))
            .collect();
        let later: Vec<String> = methods
            .iter()
            .filter_map(|m| crate::scenario::readable_note(m))
            .collect();
        let later = if later.is_empty() {
            String::new()
        } else {
            format!(
                ", or require a Python that reads them ({})",
                later.join("; ")
            )
        };
        push(
            "bad",
            format!(
                "zipimport cannot read {} members; importing fails with an error that is not \
                 an ImportError ({}). Use stored or deflate{later}.",
                methods.join(", "),
                errors.join("; ")
            ),
        );
    }
    for c in cases {
        for w in &c.warnings {
            push("bad", format!("{}: {w}", c.variant));
        }
        if c.status == Status::Error {
            push(
                "bad",
                format!(
                    "{} failed: {}",
                    c.variant,
                    c.error.as_deref().unwrap_or("unknown error")
                ),
            );
        }
    }
}
