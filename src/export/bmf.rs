//! Bencher Metric Format: `{"<benchmark>": {"<measure>": {"value", "lower_value",
//! "upper_value"}}}`. `latency` is the median import time in nanoseconds with its 95%
//! interval; `instructions` (when counted) the median count with its span; the probe's
//! counters (`compiles`, `unmarshals`, `opens`, ...) are measures of their own, which
//! Bencher creates on first upload.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use super::{Exporter, measured, name};
use crate::results::Results;

/// The Bencher Metric Format exporter.
pub struct Bmf;

/// One measure of one benchmark.
#[derive(Serialize)]
struct Metric {
    value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    lower_value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upper_value: Option<f64>,
}

/// Probe counters exported as measures (from the first, fresh-interpreter import).
const COUNTERS: [&str; 5] = [
    "compiles",
    "unmarshals",
    "opens",
    "read_syscalls",
    "minor_faults",
];

impl Exporter for Bmf {
    fn export(&self, results: &Results) -> Result<String> {
        let mut out: BTreeMap<String, BTreeMap<&str, Metric>> = BTreeMap::new();
        for c in measured(results) {
            let s = c.summary.as_ref().expect("measured cases have a summary");
            let mut measures = BTreeMap::new();
            measures.insert(
                "latency",
                Metric {
                    value: s.median,
                    lower_value: Some(s.ci95_low),
                    upper_value: Some(s.ci95_high),
                },
            );
            if let Some(i) = c.instructions.as_ref().filter(|i| i.median.is_some()) {
                let (lo, hi) = (i.samples.iter().min(), i.samples.iter().max());
                measures.insert(
                    "instructions",
                    Metric {
                        value: i.median.unwrap_or_default(),
                        lower_value: lo.map(|v| *v as f64),
                        upper_value: hi.map(|v| *v as f64),
                    },
                );
            }
            if let Some(p) = &c.probe {
                for key in COUNTERS {
                    if let Some(v) = p.first.get(key) {
                        measures.insert(
                            key,
                            Metric {
                                value: *v as f64,
                                lower_value: None,
                                upper_value: None,
                            },
                        );
                    }
                }
            }
            out.insert(name(c), measures);
        }
        Ok(serde_json::to_string_pretty(&out)?)
    }
}
