//! The summary table printed at the end of a run: per scenario and mode, every case's
//! median, its 95% interval, relative spread and ratio to the reference variant.

use std::fmt::Write;

use crate::format::{format_duration_ns, format_size};
use crate::results::{CaseResult, Results};
use crate::status::Status;

/// `24.31 M   1.36x`, or why there are no counts.
fn instruction_cells(i: &crate::results::Instructions) -> String {
    match (i.median, &i.skipped, &i.error) {
        (Some(m), _, _) => format!(
            "{:>12} {:>7}",
            format!("{:.2} M", m / 1e6),
            i.ratio_to_reference
                .map_or_else(|| "-".into(), |r| format!("{r:.2}x"))
        ),
        (None, Some(why), _) => format!("skipped: {why}"),
        (None, None, Some(e)) => format!("failed: {}", e.lines().next().unwrap_or_default()),
        _ => String::new(),
    }
}

/// The table for every scenario and mode of `results`.
pub fn summary_table(results: &Results) -> String {
    let mut out = String::new();
    for s in &results.scenarios {
        if !s.workload_dropped.is_empty() {
            let names: Vec<&str> = s.workload_dropped.iter().map(|d| d.0.as_str()).collect();
            let _ = write!(
                out,
                "\n{}: warning: {} workload module(s) not imported from the artifact ({}): {}",
                s.name,
                names.len(),
                names.join(", "),
                s.workload_dropped[0].1
            );
        }
        for &mode in s.modes.iter().filter(|m| m.is_sampled()) {
            let mut cases: Vec<&CaseResult> = results
                .cases
                .iter()
                .filter(|c| c.scenario == s.name && c.mode == mode)
                .collect();
            cases.sort_by(|a, b| {
                let key = |c: &CaseResult| match c.status {
                    Status::Ok => 0,
                    Status::Unsupported => 1,
                    Status::Incomplete => 2,
                    Status::Error => 3,
                };
                let med = |c: &CaseResult| c.summary.as_ref().map_or(f64::MAX, |s| s.median);
                key(a).cmp(&key(b)).then(med(a).total_cmp(&med(b)))
            });
            let startup: Vec<u64> = cases
                .iter()
                .flat_map(|c| c.startup_ns.iter().copied())
                .collect();
            let _ = write!(
                out,
                "\n{} / {mode}: {} imported, {}, reference {}",
                s.name,
                crate::format::count(s.workload_modules.len() as u64, "module"),
                super::sampling(s, &cases),
                s.reference
            );
            if let Some(st) = crate::results::Summary::of(&startup) {
                let _ = write!(
                    out,
                    "; interpreter start-up {} (median)",
                    format_duration_ns(st.median)
                );
            }
            let overhead: Vec<u64> = cases
                .iter()
                .flat_map(|c| c.overhead_ns.iter().copied())
                .collect();
            if let Some(o) = crate::results::Summary::of(&overhead) {
                let _ = write!(
                    out,
                    "; harness overhead {} per sample (median; outside the timings)",
                    format_duration_ns(o.median)
                );
            }
            let _ = writeln!(out);
            if let Some(m) = s.machine.filter(|m| m.bimodal) {
                let _ = writeln!(
                    out,
                    "  machine: two speeds {:.2}x apart, {:.0}% of samples slow; ratios pair \
                     each sample with a reference sample of its own state",
                    m.ratio(),
                    m.slow_share * 100.0
                );
            }
            let w = cases
                .iter()
                .map(|c| c.variant.len())
                .max()
                .unwrap_or(7)
                .max(7);
            let counted = cases.iter().any(|c| c.instructions.is_some());
            let _ = write!(
                out,
                "  {:<w$} {:>9} {:>21} {:>6} {:>7} {:>18} {:>20} {:>3} {:>10} {:>7}",
                "variant",
                "median",
                "95% CI of median",
                "MAD",
                "ratio",
                "95% CI",
                "over the floor",
                "n",
                "size",
                "entries"
            );
            if counted {
                let _ = write!(out, " {:>12} {:>7}", "instructions", "ratio");
            }
            let _ = writeln!(out);
            for c in cases {
                let _ = write!(out, "  {:<w$} ", c.variant);
                case_cells(&mut out, c, s.samples);
                let _ = writeln!(out);
                for w in &c.warnings {
                    let _ = writeln!(out, "    warning: {w}");
                }
            }
        }
        out.push_str(&super::fleet::text(results, &s.name));
        out.push_str(&super::hot_update::text(results, &s.name));
    }
    out.push_str(&super::sweep::sweep_text(results));
    out.push_str(&super::pythons::python_text(results));
    out.push_str(&super::lazy::lazy_text(results));
    out
}

/// One case's cells after its variant's name: the summary, or why there is none.
fn case_cells(out: &mut String, c: &CaseResult, planned_samples: u32) {
    match (&c.status, &c.summary) {
        (Status::Ok, Some(sm)) => {
            let ratio = c
                .ratio_to_reference
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"));
            let _ = write!(
                out,
                "{:>9} {:>21} {:>5.1}% {:>7} {:>18} {:>20} {:>3} {:>10} {:>7}",
                format_duration_ns(sm.median),
                format!(
                    "[{}, {}]",
                    format_duration_ns(sm.ci95_low),
                    format_duration_ns(sm.ci95_high)
                ),
                100.0 * sm.rel_mad(),
                ratio,
                super::ratio_interval(c),
                super::floor_cell(c),
                c.samples_ns.len(),
                format_size(c.artifact.size),
                c.artifact.entries
            );
            if let Some(i) = &c.instructions {
                let _ = write!(out, " {}", instruction_cells(i));
            }
        }
        (status, _) => {
            let label = match status {
                Status::Unsupported => "unsupported",
                Status::Incomplete => "incomplete",
                _ => "error",
            };
            let planned = format!(
                "{} of {} samples before the run was stopped (run --resume)",
                c.samples_ns.len(),
                planned_samples
            );
            let error = match status {
                Status::Incomplete => planned.as_str(),
                _ => c.error.as_deref().unwrap_or("no samples"),
            };
            let first_line = error.lines().next().unwrap_or_default();
            let _ = write!(out, "{label}: {first_line}");
        }
    }
}
