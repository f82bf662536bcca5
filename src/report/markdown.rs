//! `summary.md`: the headline table and findings in GitHub-flavoured Markdown, short
//! enough for a CI job summary or a pull-request comment.

use std::fmt::Write;

use super::findings::findings;
use crate::format::{escape_markdown, format_duration_ns, format_size};
use crate::results::{CaseResult, Results};
use crate::status::Status;

/// Renders the summary.
pub fn summary_markdown(results: &Results) -> String {
    let mut out = String::new();
    let m = &results.metadata;
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
    let all_findings = findings(results);
    verdict_section(&mut out, results, &all_findings);
    for s in &results.scenarios {
        if !s.workload_dropped.is_empty() {
            let names: Vec<String> = s
                .workload_dropped
                .iter()
                .map(|d| format!("`{}`", escape_markdown(&d.0)))
                .collect();
            let _ = writeln!(
                out,
                "> ⚠️ **{}**: {} workload module(s) not imported from the artifact ({}): {}\n",
                escape_markdown(&s.name),
                names.len(),
                names.join(", "),
                escape_markdown(&s.workload_dropped[0].1)
            );
        }
        for &mode in s.modes.iter().filter(|m| m.is_sampled()) {
            let mut cases: Vec<&CaseResult> = results
                .cases
                .iter()
                .filter(|c| c.scenario == s.name && c.mode == mode && c.status == Status::Ok)
                .collect();
            cases.sort_by(|a, b| {
                a.ratio_to_reference
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.ratio_to_reference.unwrap_or(f64::MAX))
            });
            let _ = writeln!(
                out,
                "### {} / {mode}: {} modules, {}, relative to `{}`\n",
                escape_markdown(&s.name),
                s.workload_modules.len(),
                escape_markdown(&super::sampling(s, &cases)),
                escape_markdown(&s.reference)
            );
            let counted = cases
                .iter()
                .any(|c| c.instructions.as_ref().is_some_and(|i| i.median.is_some()));
            if counted {
                let _ = writeln!(
                    out,
                    "| variant | median | 95% CI | ratio | ratio 95% CI | over the floor | n | size \
                     | instructions | ratio |"
                );
                let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            } else {
                let _ = writeln!(
                    out,
                    "| variant | median | 95% CI | ratio | ratio 95% CI | over the floor | n | size |"
                );
                let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
            }
            for c in cases {
                let sm = c.summary.as_ref().expect("ok cases have a summary");
                let instr = match c
                    .instructions
                    .as_ref()
                    .and_then(|i| i.median.map(|m| (m, i.ratio_to_reference)))
                {
                    Some((m, r)) => format!(
                        " {:.2} M | {} |",
                        m / 1e6,
                        r.map_or_else(|| "-".into(), |r| format!("{r:.2}x"))
                    ),
                    None if counted => " - | - |".into(),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} - {} | {} | {} | {} | {} | {} |{instr}",
                    escape_markdown(&c.variant),
                    format_duration_ns(sm.median),
                    format_duration_ns(sm.ci95_low),
                    format_duration_ns(sm.ci95_high),
                    c.ratio_to_reference
                        .map_or_else(|| "-".into(), |r| format!("{r:.2}x")),
                    super::ratio_interval(c),
                    super::floor_cell(c),
                    c.samples_ns.len(),
                    format_size(c.artifact.size),
                );
            }
            let not_ok: Vec<String> = results
                .cases
                .iter()
                .filter(|c| c.scenario == s.name && c.mode == mode && c.status != Status::Ok)
                .map(|c| escape_markdown(&c.variant))
                .collect();
            if !not_ok.is_empty() {
                let _ = writeln!(
                    out,
                    "\nNot measured (unsupported or failed): {}.",
                    not_ok.join(", ")
                );
            }
            let _ = writeln!(out);
        }
        out.push_str(&super::fleet::markdown(results, &s.name));
        out.push_str(&super::hot_update::markdown(results, &s.name));
    }
    out.push_str(&super::sweep::sweep_markdown(results));
    out.push_str(&super::pythons::python_markdown(results));
    out.push_str(&super::lazy::lazy_markdown(results));
    if !all_findings.is_empty() {
        let _ = writeln!(out, "### Findings\n");
        for f in all_findings {
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
fn verdict_section(out: &mut String, results: &Results, all_findings: &[super::finding::Finding]) {
    let verdicts = super::verdict::verdicts(results, all_findings);
    if !verdicts.is_empty() {
        let _ = writeln!(out, "**Verdict**\n");
        for v in &verdicts {
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
