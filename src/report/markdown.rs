//! `summary.md`: the headline table and findings in GitHub-flavoured Markdown, short
//! enough for a CI job summary or a pull-request comment.

use std::fmt::Write;

use super::analysis::RunReport;
use crate::format::escape_markdown;

/// Renders the summary.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    let m = &report.results.metadata;
    let _ = writeln!(out, "## zipimport-bench\n");
    let _ = writeln!(
        out,
        "{} {} on {} ({} cores), {}; harness {}{}.\n",
        escape_markdown(&m.python.implementation),
        escape_markdown(&m.python.version_short),
        escape_markdown(&m.host.cpu_model),
        m.host.cores,
        escape_markdown(&m.started_at),
        escape_markdown(&m.harness.version),
        m.harness
            .git_commit
            .as_deref()
            .map(|c| format!(" ({})", escape_markdown(c)))
            .unwrap_or_default(),
    );
    // The answers first.
    verdict_section(&mut out, &report.verdicts);
    for s in &report.scenarios {
        let info = s.info;
        if !info.workload_dropped.is_empty() {
            let names: Vec<String> = info
                .workload_dropped
                .iter()
                .map(|d| format!("`{}`", escape_markdown(&d.0)))
                .collect();
            let _ = writeln!(
                out,
                "> ⚠️ **{}**: {} workload module(s) not imported from the artifact ({}): {}\n",
                escape_markdown(&info.name),
                names.len(),
                names.join(", "),
                escape_markdown(&info.workload_dropped[0].1)
            );
        }
        for t in &s.tables {
            let _ = writeln!(
                out,
                "### {} / {}: {}\n",
                escape_markdown(&info.name),
                t.mode,
                escape_markdown(&super::headline::heading(s, t)),
            );
            if let Some(q) = &report.results.metadata.cpu_quota {
                let _ = writeln!(out, "CPU quota: {}.\n", escape_markdown(&q.describe()));
            }
            out.push_str(&super::headline::table(t, info.samples).markdown());
            let _ = writeln!(out);
            for w in super::headline::warnings(t) {
                let _ = writeln!(out, "- ⚠️ {}", escape_markdown(&w));
            }
            let _ = writeln!(out, "{}\n", escape_markdown(&super::headline::note(t)));
        }
        out.push_str(&super::fleet::markdown(report.results, &info.name));
        out.push_str(&super::hot_update::markdown(report.results, &info.name));
    }
    out.push_str(&super::sweep::sweep_markdown(&report.fits));
    out.push_str(&super::pythons::python_markdown(&report.pythons));
    out.push_str(&super::lazy::lazy_markdown(&report.lazy));
    if !report.findings.is_empty() {
        let _ = writeln!(out, "### Findings\n");
        for f in &report.findings {
            let mark = match f.tone {
                "bad" => "⚠️",
                "good" => "✅",
                _ => "ℹ️",
            };
            let _ = writeln!(
                out,
                "- {mark} **{}**: {}",
                escape_markdown(&f.scenario),
                escape_markdown(&f.text)
            );
        }
    }
    out
}

/// The verdict's sentences, per scenario when there are several.
fn verdict_section(out: &mut String, verdicts: &[super::verdict::Verdict]) {
    if !verdicts.is_empty() {
        let _ = writeln!(out, "**Verdict**\n");
        for v in verdicts {
            if verdicts.len() > 1 {
                let _ = writeln!(out, "*{}*\n", escape_markdown(&v.scenario));
            }
            for t in &v.sentences {
                let _ = writeln!(out, "- {}", escape_markdown(t));
            }
            let _ = writeln!(out);
        }
    }
}
