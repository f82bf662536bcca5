//! Small view types the report's pages share.

use serde::Serialize;

use super::charts::Chart;
use crate::format::format_duration_ns;
use crate::results::CaseResult;

/// A titled chart.
#[derive(Serialize)]
pub(super) struct ChartView {
    /// Heading.
    pub title: String,
    /// What to read in it.
    pub caption: String,
    /// The chart: SVG, legend and axes.
    #[serde(flatten)]
    pub chart: Chart,
}

impl ChartView {
    /// A chart with its heading and caption.
    pub fn new(title: impl Into<String>, caption: impl Into<String>, chart: Chart) -> Self {
        ChartView {
            title: title.into(),
            caption: caption.into(),
            chart,
        }
    }
}

/// A duration, or `-` when there is none.
pub(super) fn ms_or_dash(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_duration_ns)
}

/// (ratio, low, high) of a case against the reference: the run's estimate and its
/// interval, which carries the reference's sampling error as well as the case's. A
/// case without one (files from before every case had an estimate, unpaired shards)
/// has a point and no interval: the case's own interval scaled to the ratio would
/// leave the reference's noise out and claim a precision it does not have.
pub(super) fn ratio_interval(c: &CaseResult) -> Option<(f64, f64, f64)> {
    let r = c.ratio_to_reference?;
    Some(match c.paired_ratio {
        Some(p) => (r, p.low, p.high),
        None => (r, r, r),
    })
}
