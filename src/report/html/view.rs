//! Small view types the report's pages share.

use serde::Serialize;

use super::charts::Chart;

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
