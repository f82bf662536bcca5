//! `run --trace`: each variant's profiled import as files people open, from the spans
//! the probe recorded: `traces/<scenario>-<variant>.json` (Trace Event Format) and
//! `traces/<scenario>-<variant>.importtime.txt` (`python -X importtime`'s format).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use crate::results::{CaseResult, Results};

/// The cases whose probe holds a trace, one per scenario and variant (the probe runs
/// once per variant; every mode's case carries it).
pub fn traced(results: &Results) -> Vec<&CaseResult> {
    let mut seen = std::collections::HashSet::new();
    results
        .cases
        .iter()
        .filter(|c| c.probe.as_ref().is_some_and(|p| p.trace.is_some()))
        .filter(|c| seen.insert((c.scenario.as_str(), c.variant)))
        .collect()
}

/// Writes both files of every traced variant into `dir/traces`; the paths written.
pub fn write_traces(results: &Results, dir: &Path) -> Result<Vec<PathBuf>> {
    let cases = traced(results);
    if cases.is_empty() {
        return Ok(Vec::new());
    }
    let folder = dir.join("traces");
    std::fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
    let mut written = Vec::new();
    for c in cases {
        let Some(trace) = c.probe.as_ref().and_then(|p| p.trace.as_ref()) else {
            continue;
        };
        let python = c
            .python
            .clone()
            .unwrap_or_else(|| results.metadata.python.version_short.clone());
        let title = format!("{}-{}", c.scenario, c.variant);
        let about = json!({
            "title": title,
            "scenario": c.scenario,
            "variant": c.variant.id(),
            "python": python,
            "run_started_at": results.metadata.started_at,
            "harness": results.metadata.harness.version,
            "modules": trace.modules().len(),
            "profiled_wall_ns": trace.wall_ns,
            "note": "the probe's first import in a fresh interpreter, profiled: every \
                     wrapped importlib/zipimport call is a span (cat `phase`), inside its \
                     module's (cat `module`); profiling slows the import down",
        });
        let json_path = folder.join(format!("{title}.json"));
        let text = serde_json::to_vec(&trace.trace_events(&about))?;
        crate::files::write(&json_path, text)?;
        // One line: tuna skips the first line unread (where `-X importtime` writes
        // its header) and warns about any other that is not an import line.
        let header = format!(
            "zipimport-bench trace of {} {} under Python {python} (run started {}; the \
             probe's first, profiled import: times include the profiler's overhead)",
            c.scenario, c.variant, results.metadata.started_at
        );
        let txt_path = folder.join(format!("{title}.importtime.txt"));
        crate::files::write(&txt_path, trace.importtime(&header))?;
        written.push(json_path);
        written.push(txt_path);
    }
    Ok(written)
}
