//! pyperf's JSON (format version 1.0): a suite of benchmarks, each a list of runs with
//! their values in seconds. A cold sample is a fresh process, which is what pyperf
//! calls a run: one run of one value per sample. Warm samples come from one long-lived
//! process: one run with every value. So `python -m pyperf stats`, `hist`, `dump` and
//! `compare_to` read zipimport-bench results as they read pyperf's own.

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Exporter, measured, name};
use crate::results::Results;
use crate::scenario::Mode;

/// The pyperf exporter.
pub struct Pyperf;

#[derive(Serialize)]
struct Run {
    values: Vec<f64>,
}

impl Exporter for Pyperf {
    fn export(&self, results: &Results) -> Result<String> {
        let m = &results.metadata;
        let mut benchmarks = Vec::new();
        for c in measured(results) {
            let seconds: Vec<f64> = c.samples_ns.iter().map(|&v| v as f64 / 1e9).collect();
            let runs: Vec<Run> = match c.mode {
                Mode::Warm => vec![Run { values: seconds }],
                _ => seconds
                    .into_iter()
                    .map(|v| Run { values: vec![v] })
                    .collect(),
            };
            benchmarks.push(json!({
                "metadata": {
                    "name": name(c),
                    "description": format!(
                        "import time of {} from {} ({} mode)",
                        c.scenario, c.variant, c.mode
                    ),
                },
                "runs": runs,
            }));
        }
        // Metadata every benchmark shares lives at the suite level, as pyperf writes it.
        let date = m.started_at.trim_end_matches('Z').to_owned();
        let metadata: Value = json!({
            "unit": "second",
            "loops": 1,
            "date": date,
            "hostname": m.host.hostname,
            "cpu_model_name": m.host.cpu_model,
            "cpu_count": m.host.cores,
            "python_implementation": m.python.implementation,
            "python_version": m.python.version_short,
            "platform": format!("{} {}", m.host.os, m.host.kernel),
        });
        Ok(serde_json::to_string(&json!({
            "version": "1.0",
            "metadata": metadata,
            "benchmarks": benchmarks,
        }))?)
    }
}
