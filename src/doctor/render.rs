//! `doctor`'s report for a terminal and as Markdown.

use std::fmt::Write as _;

use super::{Diagnosis, Measured, Repair, Report, Severity};
use crate::format::format_duration_ns;
use crate::markup::{Column, Row, Table};
use crate::stats::RatioInterval;

/// The report for a terminal.
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: checked for Python {} in time zones {}",
        r.archive,
        r.pythons.join(", "),
        r.zones.join(", ")
    );
    if r.several_pythons {
        let _ = writeln!(
            out,
            "note: one archive location holds one Python version's bytecode; an archive \
             meant for several versions compiles on all but one of them"
        );
    }
    write_findings(&mut out, &r.findings);
    if let Some(rep) = &r.repair {
        let _ = writeln!(
            out,
            "\nrepaired: {} ({} modules with unchecked-hash bytecode beside their sources{})",
            rep.fixed.written,
            rep.fixed.modules,
            dropped(rep).map(|d| format!(", {d}")).unwrap_or_default()
        );
        if rep.remaining.is_empty() {
            let _ = writeln!(out, "the repaired archive has no findings");
        } else {
            let _ = writeln!(out, "left in the repaired archive:");
            write_findings(&mut out, &rep.remaining);
        }
    }
    if let Some(m) = &r.measured {
        write_measured(&mut out, m);
    }
    out
}

/// What the repair dropped, in a phrase, when it dropped anything.
fn dropped(rep: &Repair) -> Option<String> {
    (!rep.fixed.dropped.is_empty()).then(|| {
        format!(
            "{} stale or misplaced pycs dropped",
            rep.fixed.dropped.len()
        )
    })
}

/// How the measuring run sampled, in a phrase.
fn measured_rule(m: &Measured) -> String {
    match m.precision {
        Some(p) => format!(
            "cold samples interleaved, each case until its ratio to the directory is known \
             to within ±{p}% (wider far from 1) or at {} samples",
            m.samples
        ),
        None => format!(
            "{} cold samples each, interleaved (too few for adaptive sampling)",
            m.samples
        ),
    }
}

/// The measuring run: each case's median, its ratio to the directory with its 95%
/// interval, its samples and whether it reached its precision or stopped at the cap.
fn write_measured(out: &mut String, m: &Measured) {
    let _ = writeln!(
        out,
        "\nmeasured ({} modules; {}):",
        m.modules,
        measured_rule(m)
    );
    out.push_str(&measured_table(m).text());
    for f in &m.failures {
        let _ = writeln!(out, "  not measured: {f}");
    }
}

/// The table of the measuring run, for the terminal and for Markdown.
fn measured_table(m: &Measured) -> Table {
    let mut t = Table::new(vec![
        Column::fit("case"),
        Column::right("median", 9),
        Column::right("ratio", 7),
        Column::right("95% CI", 14),
        Column::right("samples", 7),
        Column::fit("").gap(2),
    ]);
    let target = |reached: bool| match (m.precision, reached) {
        (None, _) => String::new(),
        (Some(_), true) => "reached its precision".into(),
        (Some(_), false) => "stopped at the cap".into(),
    };
    let cases = [
        (
            "as shipped",
            m.shipped_ns,
            m.shipped_ratio,
            m.taken[0],
            target(m.reached[0]),
        ),
        (
            "repaired",
            m.repaired_ns,
            m.repaired_ratio,
            m.taken[1],
            target(m.reached[1]),
        ),
        (
            "directory",
            m.directory_ns,
            Some(RatioInterval::ONE),
            m.taken[2],
            "the reference: a directory with bytecode".into(),
        ),
    ];
    for (name, ns, ratio, taken, note) in cases {
        t.push(Row::cells(vec![
            name.to_owned(),
            format_duration_ns(ns),
            ratio
                .as_ref()
                .map_or_else(|| "-".into(), crate::phrase::ratio),
            ratio
                .as_ref()
                .map_or_else(|| "-".into(), crate::phrase::interval),
            taken.to_string(),
            note,
        ]));
    }
    t
}

/// The report as GitHub-flavoured Markdown (a job summary, a pull-request comment):
/// what [`render_text`] says, with everything from the archive (member names, paths)
/// escaped so that no link, mention or HTML comes out of it.
pub fn render_markdown(r: &Report) -> String {
    use crate::format::escape_markdown as md;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## doctor: {}\n\nChecked for Python {} in time zones {}.\n",
        md(&r.archive),
        md(&r.pythons.join(", ")),
        md(&r.zones.join(", "))
    );
    if r.several_pythons {
        let _ = writeln!(
            out,
            "> One archive location holds one Python version's bytecode; an archive meant \
             for several versions compiles on all but one of them.\n"
        );
    }
    md_findings(&mut out, &r.findings);
    if let Some(rep) = &r.repair {
        let _ = writeln!(
            out,
            "### Repaired: {}\n\n{} modules with unchecked-hash bytecode beside their \
             sources{}.\n",
            md(&rep.fixed.written),
            rep.fixed.modules,
            dropped(rep).map(|d| format!("; {d}")).unwrap_or_default()
        );
        if rep.remaining.is_empty() {
            let _ = writeln!(out, "The repaired archive has no findings.\n");
        } else {
            let _ = writeln!(out, "Left in the repaired archive:\n");
            md_findings(&mut out, &rep.remaining);
        }
    }
    if let Some(m) = &r.measured {
        let _ = writeln!(
            out,
            "### Measured\n\n{} modules; {}.\n",
            m.modules,
            md(&measured_rule(m))
        );
        out.push_str(&measured_table(m).markdown());
        for f in &m.failures {
            let _ = writeln!(out, "\n- not measured: {}", md(f));
        }
    }
    out
}

fn md_findings(out: &mut String, findings: &[Diagnosis]) {
    use crate::format::escape_markdown as md;
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "No findings: nothing makes imports slower than they need to be.\n"
        );
        return;
    }
    for d in findings {
        let mark = match d.severity {
            Severity::Problem => "**Problem**",
            Severity::Note => "Note",
        };
        let _ = writeln!(
            out,
            "- {mark} ({}, Python {}): {}\n  - cost: {}\n  - fix: {}",
            md(&d.kind.to_string()),
            md(&d.python),
            md(&d.what),
            md(&d.cost),
            md(&d.fix)
        );
    }
    out.push('\n');
}

fn write_findings(out: &mut String, findings: &[Diagnosis]) {
    if findings.is_empty() {
        let _ = writeln!(
            out,
            "no findings: nothing makes imports slower than they need to be"
        );
        return;
    }
    for d in findings {
        let mark = match d.severity {
            Severity::Problem => "PROBLEM",
            Severity::Note => "note",
        };
        let _ = writeln!(
            out,
            "{mark} [{}] Python {}: {}\n    cost: {}\n    fix:  {}",
            d.kind, d.python, d.what, d.cost, d.fix
        );
    }
}
