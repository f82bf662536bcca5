//! Small view types the report's pages share.

use serde::Serialize;

use crate::format::format_duration_ns;

/// A titled chart.
#[derive(Serialize)]
pub(super) struct ChartView {
    /// Heading.
    pub title: String,
    /// What to read in it.
    pub caption: String,
    /// The chart.
    pub svg: String,
}

/// A duration, or `-` when there is none.
pub(super) fn ms_or_dash(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_duration_ns)
}
