//! Findings for people: sentences derived from the numbers of one run, each with the
//! numbers that support it. Every ratio a finding quotes is one the tables show: a
//! case against the reference is its row's ratio, two other cases against each other
//! the quotient of their rows' ratios ([`ModeTable::between`]), each with its interval.
//! A difference whose interval holds 1 is called "not measurable at this sample
//! count", never "no difference", and given no direction.

pub use super::finding::Finding;
use super::model::{ModeTable, ScenarioReport};
use super::phrase;
use crate::results::Results;
use crate::scenario::{Bytecode, Layout, Mode};
use crate::status::Status;

/// Findings for every scenario of a run, from its headline mode (cold when measured).
pub(super) fn findings(results: &Results, scenarios: &[ScenarioReport]) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in scenarios {
        let name = &s.info.name;
        // A user's archive: what the doctor found in it, first.
        for d in s.info.corpus.iter().flat_map(|c| &c.diagnosis) {
            out.push(Finding {
                scenario: name.clone(),
                tone: match d.severity {
                    crate::doctor::rules::Severity::Problem => "bad",
                    crate::doctor::rules::Severity::Note => "info",
                },
                text: format!(
                    "The archive as shipped (Python {}): {}. Cost: {}. Fix: {}.",
                    d.python, d.what, d.cost, d.fix
                ),
            });
        }
        if let Some(t) = s.headline() {
            sampled_findings(s, t, &mut out);
        }
        for d in &s.differences {
            out.push(Finding {
                scenario: name.clone(),
                tone: "info",
                text: d.sentence.clone(),
            });
        }
        super::fleet::findings(results, name, &mut out);
        super::hot_update::findings(results, name, &mut out);
    }
    out
}

/// Findings from one scenario's per-sample cases (cold, warm, cold-disk).
fn sampled_findings(s: &ScenarioReport, t: &ModeTable, out: &mut Vec<Finding>) {
    let mut push = |tone, text: String| {
        out.push(Finding {
            scenario: s.info.name.clone(),
            tone,
            text,
        });
    };
    scenario_findings(s, t, &mut push);
    hash_and_failures(t, &mut push);
    floor_findings(t, &mut push);
    phase_findings(t, &mut push);
    if t.mode == Mode::Cold
        && let Some(disk) = s.table(Mode::ColdDisk)
    {
        cold_disk_findings(t, disk, &mut push);
    }
}

type Push<'p> = dyn FnMut(&'static str, String) + 'p;

/// How far the usual variants are from the floor (the same code served from memory).
fn floor_findings(t: &ModeTable, push: &mut Push) {
    let floor_id = crate::scenario::Variant::MEMORY.id();
    let Some(floor) = t.ok(&floor_id) else {
        return;
    };
    let parts: Vec<String> = ["dir-pyc", "zip-stored-pyc", "zip-deflate6-pyc", "shipped"]
        .iter()
        .filter_map(|v| {
            let over = t.ok(v)?.floor.over()?;
            // The share of the case's time beyond the floor: 1 - floor / case.
            Some(format!(
                "{v} {} ({:.0}% of its time beyond the floor)",
                phrase::ratio_words(&over),
                (1.0 - 1.0 / over.ratio).max(0.0) * 100.0
            ))
        })
        .collect();
    if parts.is_empty() {
        return;
    }
    push(
        "info",
        format!(
            "The floor, the same compiled code served from memory, imports in {} ({}). \
             Against it: {}. The rest of each import is unmarshalling and executing the \
             code itself, which no importer avoids.",
            crate::format::format_duration_ns(floor.median()),
            t.mode,
            parts.join("; ")
        ),
    );
}

/// How evicting the page cache changes the picture: zip-stored-pyc against dir-pyc in
/// either table, each the quotient of that table's ratios.
fn cold_disk_findings(cold: &ModeTable, disk: &ModeTable, push: &mut Push) {
    let (Some(warm_cache), Some(cold_cache)) = (
        cold.between("dir-pyc", "zip-stored-pyc"),
        disk.between("dir-pyc", "zip-stored-pyc"),
    ) else {
        return;
    };
    push(
        if cold_cache.below_one() {
            "good"
        } else {
            "info"
        },
        format!(
            "With the artifact evicted from the page cache, zip-stored-pyc costs {} dir-pyc \
             (against {} with a warm cache): one archive to read instead of one file per \
             module.",
            phrase::ratio_words(&cold_cache),
            phrase::ratio_words(&warm_cache)
        ),
    );
}

/// Where the profiled import of a zip variant spent its time.
fn phase_findings(t: &ModeTable, push: &mut Push) {
    for variant in ["zip-stored-pyc", "zip-deflate6-pyc"] {
        let Some(c) = t.ok(variant).map(|r| r.case) else {
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
        push(
            "info",
            format!(
                "{variant}: parsing the archive directory ({} entries) takes {:.1}% of the \
                 profiled import; the largest phases are {}.",
                c.artifact.entries,
                share("archive directory"),
                listed.join(", ")
            ),
        );
    }
}

fn scenario_findings(s: &ScenarioReport, t: &ModeTable, push: &mut Push) {
    let reference = &s.info.reference;
    let mode = t.mode;

    // Source-only archives.
    if let Some(src) = t
        .ok("zip-stored-none")
        .or_else(|| t.ok("zip-deflate6-none"))
        && let Some(r) = src.ratio
    {
        let compiles = src
            .case
            .probe
            .as_ref()
            .and_then(|p| p.first.get("compiles"))
            .copied()
            .unwrap_or(0);
        push(
            "bad",
            format!(
                "Source-only archives are {} {reference} ({} {mode}): zipimport compiles \
                 every module, {compiles} compilations for {} modules. Ship .pyc files \
                 inside the archive, beside the sources, where zipimport looks for them.",
                phrase::ratio_words(&r),
                src.variant(),
                src.case.probe.as_ref().map_or(0, |p| p.modules),
            ),
        );
    }

    // Zip with bytecode against the directory.
    if let (Some(d), Some(z), Some(r)) = (
        t.ok("dir-pyc"),
        t.ok("zip-stored-pyc"),
        t.between("dir-pyc", "zip-stored-pyc"),
    ) {
        push(
            // Good news only when the zip is within 5% of the directory; a cost the
            // intervals cannot separate from noise is still a cost, not good news.
            if r.ratio <= 1.05 { "good" } else { "info" },
            format!(
                "An uncompressed zip with pyc ({}) costs {} a directory with __pycache__ \
                 ({} vs {} median, {mode}){}.",
                z.variant(),
                phrase::ratio_words(&r),
                crate::format::format_duration_ns(z.median()),
                crate::format::format_duration_ns(d.median()),
                if r.holds_one() {
                    "; the interval holds 1, so the difference is not measurable at this \
                     sample count"
                } else {
                    ""
                },
            ),
        );
    }

    // Deflate against stored, and levels against each other.
    if let (Some(st), Some(d6)) = (t.ok("zip-stored-pyc"), t.ok("zip-deflate6-pyc")) {
        push(
            "info",
            format!(
                "Deflate at level 6 (zip-deflate6-pyc) makes the pyc archive {:.0}% smaller \
                 than stored (zip-stored-pyc) and {}.",
                (1.0 - d6.case.artifact.size as f64 / st.case.artifact.size as f64) * 100.0,
                phrase::speed(
                    t.between("zip-stored-pyc", "zip-deflate6-pyc"),
                    "imports",
                    "it"
                ),
            ),
        );
    }
    for (lo, hi) in [
        ("zip-deflate6-pyc", "zip-deflate9-pyc"),
        ("zip-deflate1-pyc", "zip-deflate6-pyc"),
    ] {
        if let (Some(a), Some(b)) = (t.ok(lo), t.ok(hi)) {
            let smaller = (1.0 - b.case.artifact.size as f64 / a.case.artifact.size as f64) * 100.0;
            let (la, lb) = (
                a.case.variant.level().unwrap_or(0),
                b.case.variant.level().unwrap_or(0),
            );
            push(
                "info",
                format!(
                    "Deflate level {lb} ({hi}) is {smaller:.1}% smaller than level {la} ({lo}) \
                     and {}.",
                    phrase::speed(t.between(lo, hi), "imports", &format!("level {la}"))
                ),
            );
        }
    }
}

/// Hash-based pycs, zipimport's double read, methods zipimport cannot read and failed
/// cases.
fn hash_and_failures(t: &ModeTable, push: &mut Push) {
    // Hash-based pycs in zips.
    if let Some(h) = t.between("zip-stored-pyc", "zip-stored-checked-hash")
        && h.above_one()
    {
        push(
            "bad",
            format!(
                "Checked-hash pycs in a zip (zip-stored-checked-hash) {}: zipimport reads, \
                 decompresses and hashes every source as well.",
                phrase::speed(Some(h), "import", "timestamp pycs (zip-stored-pyc)")
            ),
        );
    }
    if let Some(u) = t.between("zip-stored-pyc", "zip-stored-unchecked-hash") {
        push(
            if u.below_one() { "good" } else { "info" },
            format!(
                "Unchecked-hash pycs in a zip (zip-stored-unchecked-hash) {} (never validated \
                 against the source, and immune to time-zone and mtime mismatches).",
                phrase::speed(Some(u), "import", "timestamp pycs (zip-stored-pyc)")
            ),
        );
    }

    // zipimport's double read.
    if let Some(z) = t.rows.iter().map(|r| r.case).find(|c| {
        c.variant.layout == Layout::Zip && c.variant.bytecode == Bytecode::Pyc && c.probe.is_some()
    }) {
        let p = z.probe.as_ref().expect("filtered on probe");
        let unmarshals = p.first.get("unmarshals").copied().unwrap_or(0);
        if p.modules > 0 && unmarshals >= 2 * p.modules {
            push(
                "info",
                format!(
                    "zipimport unmarshals every module twice ({unmarshals} marshal.loads calls \
                     for {} modules in {}): its find_spec runs the full code lookup.",
                    p.modules, z.variant
                ),
            );
        }
    }

    // Unsupported methods, each with its own error: they differ (bzip2 "invalid
    // distance too far back", xz "too many length or distance symbols", ...).
    let mut unsupported: Vec<(String, String)> = Vec::new();
    for c in t
        .rows
        .iter()
        .map(|r| r.case)
        .filter(|c| c.status == Status::Unsupported)
    {
        let (Some(method), Some(error)) = (c.variant.compression.map(|m| m.method()), &c.error)
        else {
            continue;
        };
        if !unsupported.iter().any(|(m, _)| m == method) {
            let first_line = error.lines().next().unwrap_or_default().to_owned();
            unsupported.push((method.to_owned(), first_line));
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
    for c in t.rows.iter().map(|r| r.case) {
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
