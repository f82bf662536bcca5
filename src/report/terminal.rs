//! What a terminal shows at the end of a run: per scenario and mode the headline table
//! (the model's rows, in its one order), then the fleet, hot-update, sweep, Python and
//! lazy-imports sections, and the verdict.

use std::fmt::Write;

use super::analysis::RunReport;

/// Every table of the run.
pub fn tables(m: &RunReport) -> String {
    let mut out = String::new();
    for s in &m.scenarios {
        let info = s.info;
        if !info.workload_dropped.is_empty() {
            let names: Vec<&str> = info.workload_dropped.iter().map(|d| d.0.as_str()).collect();
            let _ = write!(
                out,
                "\n{}: warning: {} workload module(s) not imported from the artifact ({}): {}",
                info.name,
                names.len(),
                names.join(", "),
                info.workload_dropped[0].1
            );
        }
        for t in &s.tables {
            let _ = writeln!(
                out,
                "\n{} / {}: {}",
                info.name,
                t.mode,
                super::headline::heading(s, t)
            );
            if let Some(machine) = info.machine.filter(|m| m.bimodal) {
                let _ = writeln!(
                    out,
                    "  machine: two speeds {:.2}x apart, {:.0}% of samples slow; ratios pair \
                     each sample with a reference sample of its own state",
                    machine.ratio(),
                    machine.slow_share * 100.0
                );
            }
            if let Some(q) = &m.results.metadata.cpu_quota {
                let _ = writeln!(out, "  cpu quota: {}", q.describe());
            }
            out.push_str(&super::headline::table(t, info.samples).text());
            for w in super::headline::warnings(t) {
                let _ = writeln!(out, "  warning: {w}");
            }
        }
        out.push_str(&super::fleet::text(m.results, &info.name));
        out.push_str(&super::hot_update::text(m.results, &info.name));
    }
    out.push_str(&super::sweep::sweep_text(&m.fits));
    out.push_str(&super::pythons::python_text(&m.pythons));
    out.push_str(&super::lazy::lazy_text(&m.lazy));
    out
}

/// The verdict: per scenario, the sentences the reports open with, one per line,
/// under a heading naming the scenario and mode (empty when there are none).
pub fn verdict(m: &RunReport) -> String {
    let mut out = String::new();
    for v in &m.verdicts {
        let mode = v.mode.map(|m| format!(", {m}")).unwrap_or_default();
        let _ = writeln!(out, "\nVerdict ({}{mode}):", v.scenario);
        for sentence in &v.sentences {
            let _ = writeln!(out, "  {sentence}");
        }
    }
    out
}
