//! github-action-benchmark, `tool: customSmallerIsBetter`: a JSON array of
//! `{"name", "unit", "value", "range", "extra"}`. Wall time is the median in
//! milliseconds with the half-width of its 95% interval as the range; instruction
//! counts (when counted) are entries of their own, in millions.

use anyhow::Result;
use serde::Serialize;

use super::{Exporter, measured, name};
use crate::results::Results;

/// The github-action-benchmark exporter.
pub struct GithubActionBenchmark;

#[derive(Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    range: String,
    extra: String,
}

/// Rounded for a chart's tooltip (three decimals of the unit).
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Exporter for GithubActionBenchmark {
    fn export(&self, results: &Results) -> Result<String> {
        let mut out = Vec::new();
        for c in measured(results) {
            let s = c.summary.as_ref().expect("measured cases have a summary");
            let half = (s.ci95_high - s.ci95_low) / 2.0 / 1e6;
            out.push(Entry {
                name: name(c),
                unit: "ms",
                value: round3(s.median / 1e6),
                range: format!("± {}", round3(half)),
                extra: format!(
                    "median of {} samples; 95% CI {:.3}-{:.3} ms; {:.2}x the reference",
                    s.n,
                    s.ci95_low / 1e6,
                    s.ci95_high / 1e6,
                    c.ratio_to_reference.unwrap_or(f64::NAN)
                ),
            });
            if let Some(i) = c.instructions.as_ref().filter(|i| i.median.is_some()) {
                let m = i.median.unwrap_or_default();
                out.push(Entry {
                    name: format!("{} [instructions]", name(c)),
                    unit: "M instructions",
                    value: round3(m / 1e6),
                    range: format!("± {}", round3(m * i.spread.unwrap_or(0.0) / 2.0 / 1e6)),
                    extra: format!("callgrind, {} count(s)", i.samples.len()),
                });
            }
        }
        Ok(serde_json::to_string_pretty(&out)?)
    }
}
