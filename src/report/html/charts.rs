//! The report's charts, drawn by plotters as inline SVG strings.
//!
//! Rules every chart follows (the page's self-check measures the first three):
//! - legends are HTML lists above the chart ([`Legend`]), so they never cover data;
//! - every numeric axis names its unit; times and ratios that span more than a few
//!   percent use a log axis, so small differences near 1 stay visible beside 8x;
//! - no text labels inside the plot that could collide: points are told apart by
//!   colour and marker shape, both fixed per bytecode mode, compression and phase
//!   ([`palette`]), the same in every report;
//! - case charts are horizontal: one row per variant (long ids read better down the
//!   side than under the axis).

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use serde::Serialize;

use crate::results::CaseResult;

/// Fixed colours and markers: Okabe and Ito's colour-blind-safe palette.
pub mod palette {
    use plotters::style::RGBColor;

    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    /// Bluish green.
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    /// Reddish purple.
    pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
    /// Sky blue.
    pub const SKY: RGBColor = RGBColor(86, 180, 233);
    /// Black.
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Mid grey.
    pub const GREY: RGBColor = RGBColor(119, 119, 119);
    /// Dark yellow (Okabe-Ito's yellow darkened to read on white).
    pub const OCHRE: RGBColor = RGBColor(170, 150, 0);
    /// Light grey.
    pub const SILVER: RGBColor = RGBColor(180, 180, 180);

    /// Series colours in order, for series with no fixed colour of their own.
    pub const SERIES: [RGBColor; 8] = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK, OCHRE];

    /// The colour of a measuring mode.
    pub fn mode(name: &str) -> RGBColor {
        match name {
            "cold" => BLUE,
            "warm" => ORANGE,
            "cold-disk" => GREEN,
            _ => GREY,
        }
    }

    /// The colour of a bytecode mode (and of the floor and a shipped archive).
    pub fn bytecode(name: &str) -> RGBColor {
        match name {
            "none" => VERMILLION,
            "pyc" => BLUE,
            "checked-hash" => SKY,
            "unchecked-hash" => GREEN,
            "pyc-only" => PURPLE,
            "pyc-stale" => ORANGE,
            "pycache" => BLACK,
            "memory" => OCHRE,
            _ => GREY,
        }
    }

    /// The colour of a profiled phase.
    pub fn phase(name: &str) -> RGBColor {
        match name {
            "find" => BLUE,
            "archive directory" => ORANGE,
            "read" => SKY,
            "decompress" => VERMILLION,
            "hash sources" => PURPLE,
            "unmarshal" => GREEN,
            "compile" => BLACK,
            "load code (other)" => OCHRE,
            "execute" => GREY,
            _ => SILVER,
        }
    }

    /// `#rrggbb`.
    pub fn hex(c: RGBColor) -> String {
        format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
    }
}

/// A marker shape, told apart without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Marker {
    /// Directories.
    Circle,
    /// Stored zips.
    Square,
    /// Deflated zips.
    Triangle,
    /// The floor and other layouts.
    Diamond,
    /// Methods zipimport cannot read, and anything else.
    Cross,
}

impl Marker {
    /// The marker of a case's layout and compression.
    pub fn of(c: &CaseResult) -> Marker {
        use crate::scenario::{Compression, Layout};
        match (c.variant.layout, c.variant.compression) {
            (Layout::Dir, _) => Marker::Circle,
            (Layout::Memory, _) => Marker::Diamond,
            (_, Some(Compression::Stored)) => Marker::Square,
            (_, Some(Compression::Deflate(_))) => Marker::Triangle,
            _ => Marker::Cross,
        }
    }
}

/// One entry of a chart's legend.
#[derive(Debug, Clone, Serialize)]
pub struct LegendItem {
    /// What the entry names.
    pub label: String,
    /// `#rrggbb`.
    pub colour: String,
    /// Its marker.
    pub marker: Marker,
}

/// A chart's legend, drawn in HTML above the plot.
pub type Legend = Vec<LegendItem>;

impl LegendItem {
    /// An entry in `colour` with `marker`.
    pub fn new(label: impl Into<String>, colour: RGBColor, marker: Marker) -> LegendItem {
        LegendItem {
            label: label.into(),
            colour: palette::hex(colour),
            marker,
        }
    }
}

/// One circle entry per series (name, colour).
fn series_legend(series: &[(String, RGBColor)]) -> Legend {
    series
        .iter()
        .map(|(name, c)| LegendItem::new(name.clone(), *c, Marker::Circle))
        .collect()
}

/// A drawn chart: the SVG, its legend, and its axes as the page's self-check reads
/// them.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Inline SVG.
    pub svg: String,
    /// Legend entries.
    pub legend: Legend,
    /// The x axis description, as drawn.
    pub x_axis: String,
    /// The y axis description, as drawn.
    pub y_axis: String,
}

/// One row group of a case chart: a label and, per mode, the case (if measured).
pub struct Row<'a> {
    /// Variant id.
    pub label: String,
    /// One entry per mode, in the chart's mode order.
    pub cases: Vec<Option<&'a CaseResult>>,
}

/// A value with its 95% interval: (value, low, high).
pub type Interval = (f64, f64, f64);

/// One row of a [`whisker_chart`]: its label and, per series, an optional interval.
pub type WhiskerRow = (String, Vec<Option<Interval>>);

/// Picks (value, low, high) from a case for an interval chart.
pub type IntervalOf<'f> = dyn Fn(&CaseResult) -> Option<(f64, f64, f64)> + 'f;

const ROW_HEIGHT: u32 = 22;
const WIDTH: u32 = 900;
/// Label size as plotters takes it (drawn at about 0.8 of it in px).
const FONT: u32 = 16;

fn height_for(rows: usize) -> u32 {
    70 + ROW_HEIGHT * rows.max(3) as u32
}

/// Where series `k` of `n` sits within a row (rows are 1 apart).
fn offset(k: usize, n: usize) -> f64 {
    if n <= 1 {
        0.0
    } else {
        -0.22 + 0.44 * k as f64 / (n - 1) as f64
    }
}

fn svg<F>(width: u32, height: u32, draw: F) -> String
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .map_err(|e| e.to_string())
            .and_then(|()| draw(&root));
        if let Err(e) = drawn.and_then(|()| root.present().map_err(|e| e.to_string())) {
            return format!(
                "<p class=\"chart-error\">chart failed: {}</p>",
                html_text(&e)
            );
        }
    }
    out
}

fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Draws `points` as `marker`s of `size` px in `style`.
fn draw_marks<DB, CT>(
    chart: &mut ChartContext<'_, DB, CT>,
    points: &[(f64, f64)],
    marker: Marker,
    size: i32,
    style: ShapeStyle,
) -> Result<(), String>
where
    DB: DrawingBackend,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let at = points.iter().copied();
    let drawn = match marker {
        Marker::Circle => chart
            .draw_series(at.map(|p| Circle::new(p, size, style)))
            .map(|_| ()),
        Marker::Square => chart
            .draw_series(at.map(|p| {
                EmptyElement::at(p) + Rectangle::new([(-size, -size), (size, size)], style)
            }))
            .map(|_| ()),
        Marker::Triangle => chart
            .draw_series(at.map(|p| TriangleMarker::new(p, size + 1, style)))
            .map(|_| ()),
        Marker::Diamond => chart
            .draw_series(at.map(|p| {
                EmptyElement::at(p)
                    + Polygon::new(
                        vec![(0, -size - 1), (size + 1, 0), (0, size + 1), (-size - 1, 0)],
                        style,
                    )
            }))
            .map(|_| ()),
        Marker::Cross => chart
            .draw_series(at.map(|p| Cross::new(p, size, style.stroke_width(2))))
            .map(|_| ()),
    };
    drawn.map_err(|e| e.to_string())
}

/// Tick values for a log axis from `lo` to `hi`: the densest of 1-2-5 sequences (with
/// 1.5, 3 and 7 added over short spans) that gives at most ten ticks, so neighbouring
/// labels keep apart.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let sets: [&[f64]; 4] = [
        &[1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0],
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
        &[1.0, 2.0, 5.0],
        &[1.0],
    ];
    let lo = lo.max(1e-12);
    let hi = hi.max(lo * 1.0001);
    for set in sets {
        let mut ticks = Vec::new();
        let mut decade = 10f64.powi(lo.log10().floor() as i32 - 1);
        while decade <= hi * 10.0 {
            for m in set {
                // 7 x 0.1 is 0.7000000000000001: round to the decimal it names.
                let v: f64 = format!("{:.10e}", m * decade).parse().unwrap_or(m * decade);
                if v >= lo && v <= hi {
                    ticks.push(v);
                }
            }
            decade *= 10.0;
        }
        // Neighbours at least 6% of the axis apart on the log scale.
        let span = (hi / lo).ln();
        let spaced = ticks.windows(2).all(|w| (w[1] / w[0]).ln() >= 0.06 * span);
        if ticks.len() <= 10 && spaced && !ticks.is_empty() {
            return ticks;
        }
    }
    vec![lo, hi]
}

/// A tick label: `0.5`, `1`, `1.25`, `20`, `1500`.
fn tick_label(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A log range padded by 8% on each side around every value in `values`.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return (0.1, 10.0);
    }
    (lo / 1.08, hi * 1.08)
}

/// Draws the mesh of a one-row-per-variant chart and returns the chart, x along the
/// bottom (`x` a ranged coordinate), labels down the left, first row at the top.
fn row_chart<'a, 'b, X>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    rows_name: &str,
    labels: &[String],
    x: X,
    x_desc: &str,
    x_format: &dyn Fn(&X::Value) -> String,
) -> Result<
    ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<X::CoordDescType, plotters::coord::types::RangedCoordf64>,
    >,
    String,
>
where
    X: AsRangedCoord,
    X::CoordDescType: ValueFormatter<X::Value>,
    X::Value: Clone + std::fmt::Debug + 'static,
{
    let n = labels.len();
    // Room for the longest label (about 7.5 px a character) and the axis name.
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size((longest * 15 / 2 + 52).clamp(120, 440))
        .build_cartesian_2d(x, (n as f64 - 0.5)..-0.5)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .y_labels(n.max(1))
        .y_label_formatter(&|y| label_at(labels, *y))
        .x_label_formatter(x_format)
        .x_desc(x_desc)
        .y_desc(rows_name)
        .label_style(("sans-serif", FONT))
        .axis_desc_style(("sans-serif", FONT + 1))
        .disable_y_mesh()
        .light_line_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

fn label_at(labels: &[String], y: f64) -> String {
    let i = y.round();
    if (y - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

/// Values with their 95% intervals as whiskers on a log axis, one row per variant, one
/// colour per mode; `value` picks (value, low, high) from a case, `x_desc` names the
/// axis (with its unit) and `reference_line` draws a vertical rule (1 for ratios).
pub fn interval_chart(
    rows: &[Row<'_>],
    modes: &[String],
    x_desc: &str,
    value: &IntervalOf<'_>,
    reference_line: Option<f64>,
) -> Chart {
    let values: Vec<WhiskerRow> = rows
        .iter()
        .map(|r| {
            (
                r.label.clone(),
                r.cases.iter().map(|c| c.and_then(value)).collect(),
            )
        })
        .collect();
    let series: Vec<(String, RGBColor)> = modes
        .iter()
        .map(|m| (m.clone(), palette::mode(m)))
        .collect();
    whisker_chart("variant", &values, &series, x_desc, reference_line)
}

/// The general form of [`interval_chart`]: per row a label and, per series, an optional
/// (value, low, high); series are (name, colour).
pub fn whisker_chart(
    rows_name: &str,
    rows: &[WhiskerRow],
    series: &[(String, RGBColor)],
    x_desc: &str,
    reference_line: Option<f64>,
) -> Chart {
    let points: Vec<(usize, usize, (f64, f64, f64))> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.1.iter()
                .enumerate()
                .filter_map(move |(k, v)| v.map(|v| (i, k, v)))
        })
        .filter(|p| p.2.0 > 0.0 && p.2.1 > 0.0)
        .collect();
    let (lo, hi) = log_range(
        points
            .iter()
            .flat_map(|p| [p.2.1, p.2.2])
            .chain(reference_line),
    );
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let n = rows.len();
    let ticks = log_ticks(lo, hi);
    let svg = svg(WIDTH, height_for(n), |root| {
        let mut chart = row_chart(
            root,
            rows_name,
            &labels,
            (lo..hi).log_scale().with_key_points(ticks.clone()),
            x_desc,
            &|v| tick_label(*v),
        )?;
        if let Some(x) = reference_line {
            chart
                .draw_series(LineSeries::new(
                    [(x, -0.5), (x, n as f64 - 0.5)],
                    BLACK.mix(0.5),
                ))
                .map_err(|e| e.to_string())?;
        }
        for (k, (_, c)) in series.iter().enumerate() {
            let mine: Vec<_> = points.iter().filter(|p| p.1 == k).collect();
            let y = |i: usize| i as f64 + offset(k, series.len());
            chart
                .draw_series(mine.iter().map(|&&(i, _, (_, lo, hi))| {
                    PathElement::new(vec![(lo, y(i)), (hi, y(i))], c.stroke_width(2))
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    mine.iter()
                        .map(|&&(i, _, (m, _, _))| Circle::new((m, y(i)), 4, c.filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    Chart {
        svg,
        legend: series_legend(series),
        x_axis: x_desc.to_owned(),
        y_axis: rows_name.to_owned(),
    }
}

/// Every raw sample of every case as a dot on a log axis, so spread and outliers are
/// visible.
pub fn samples_chart(rows: &[Row<'_>], modes: &[String]) -> Chart {
    let values: Vec<(String, Vec<Vec<f64>>)> = rows
        .iter()
        .map(|r| {
            (
                r.label.clone(),
                r.cases
                    .iter()
                    .map(|c| {
                        c.map(|c| c.samples_ns.iter().map(|&v| v as f64 / 1e6).collect())
                            .unwrap_or_default()
                    })
                    .collect(),
            )
        })
        .collect();
    let series: Vec<(String, RGBColor)> = modes
        .iter()
        .map(|m| (m.clone(), palette::mode(m)))
        .collect();
    dots_chart(
        "variant",
        &values,
        &series,
        "import time of each sample (ms, log scale)",
    )
}

/// The general form of [`samples_chart`]: per row a label and, per series, its values;
/// series are (name, colour).
pub fn dots_chart(
    rows_name: &str,
    rows: &[(String, Vec<Vec<f64>>)],
    series: &[(String, RGBColor)],
    x_desc: &str,
) -> Chart {
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let n = rows.len();
    let (lo, hi) = log_range(rows.iter().flat_map(|r| r.1.iter().flatten().copied()));
    let ticks = log_ticks(lo, hi);
    let svg = svg(WIDTH, height_for(n), |root| {
        let mut chart = row_chart(
            root,
            rows_name,
            &labels,
            (lo..hi).log_scale().with_key_points(ticks.clone()),
            x_desc,
            &|v| tick_label(*v),
        )?;
        for (k, (_, c)) in series.iter().enumerate() {
            let dots: Vec<(f64, f64)> = rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.1.get(k).map(|v| (i, v)))
                .flat_map(|(i, values)| {
                    let count = values.len().max(1);
                    values.iter().enumerate().map(move |(j, &v)| {
                        // Deterministic jitter within the series' band of the row.
                        let jitter = 0.12 * ((j as f64 + 0.5) / count as f64 - 0.5);
                        (v, i as f64 + offset(k, series.len()) + jitter)
                    })
                })
                .filter(|p| p.0 > 0.0)
                .collect();
            chart
                .draw_series(
                    dots.into_iter()
                        .map(|p| Circle::new(p, 2, c.mix(0.6).filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    Chart {
        svg,
        legend: series_legend(series),
        x_axis: x_desc.to_owned(),
        y_axis: rows_name.to_owned(),
    }
}

/// Stacked horizontal bars: one row per label, one segment per phase in the phase's
/// fixed colour, in ms.
pub fn stacked_chart(rows: &[(String, Vec<f64>)], phases: &[String], x_desc: &str) -> Chart {
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let max = rows
        .iter()
        .map(|r| r.1.iter().sum::<f64>())
        .fold(0.0, f64::max)
        * 1.05;
    let svg = svg(WIDTH, height_for(rows.len()), |root| {
        let mut chart = row_chart(root, "variant", &labels, 0.0..max.max(1e-9), x_desc, &|v| {
            tick_label(*v)
        })?;
        for (k, phase) in phases.iter().enumerate() {
            let c = palette::phase(phase);
            chart
                .draw_series(rows.iter().enumerate().filter_map(|(i, (_, v))| {
                    let start: f64 = v[..k].iter().sum();
                    let width = v.get(k).copied().unwrap_or(0.0);
                    (width > 0.0).then(|| {
                        Rectangle::new(
                            [(start, i as f64 - 0.3), (start + width, i as f64 + 0.3)],
                            c.filled(),
                        )
                    })
                }))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    Chart {
        svg,
        legend: phases
            .iter()
            .map(|p| LegendItem::new(p.clone(), palette::phase(p), Marker::Square))
            .collect(),
        x_axis: x_desc.to_owned(),
        y_axis: "variant".into(),
    }
}

/// One point of a scatter chart.
pub struct ScatterPoint {
    /// x value.
    pub x: f64,
    /// y value.
    pub y: f64,
    /// Colour (the bytecode mode's).
    pub colour: RGBColor,
    /// Marker (the compression's).
    pub marker: Marker,
}

/// Points told apart by colour and marker, both explained by `legend`; log axes on
/// both sides, since sizes and times both span several-fold.
pub fn scatter_chart(points: &[ScatterPoint], legend: Legend, x_desc: &str, y_desc: &str) -> Chart {
    let (xlo, xhi) = log_range(points.iter().map(|p| p.x));
    let (ylo, yhi) = log_range(points.iter().map(|p| p.y));
    let (xt, yt) = (log_ticks(xlo, xhi), log_ticks(ylo, yhi));
    let svg = svg(WIDTH, 460, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(15)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (xlo..xhi).log_scale().with_key_points(xt.clone()),
                (ylo..yhi).log_scale().with_key_points(yt.clone()),
            )
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(("sans-serif", FONT))
            .axis_desc_style(("sans-serif", FONT + 1))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;
        for p in points.iter().filter(|p| p.x > 0.0 && p.y > 0.0) {
            draw_marks(&mut chart, &[(p.x, p.y)], p.marker, 5, p.colour.filled())?;
        }
        Ok(())
    });
    Chart {
        svg,
        legend,
        x_axis: x_desc.to_owned(),
        y_axis: y_desc.to_owned(),
    }
}

/// One run's value in a history panel, with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunPoint {
    /// The run's index (0-based).
    pub run: usize,
    /// The value.
    pub value: f64,
    /// Its interval's low end.
    pub low: f64,
    /// High end.
    pub high: f64,
}

/// Small multiples over runs: one panel per series (a variant in a mode), x = run
/// number, y = value with its 95% interval as a whisker; `marks` (series index, run,
/// value) are circled in red (regressions). Every panel has its own title, so no
/// colour has to be matched.
pub fn history_facets(
    series: &[(String, Vec<RunPoint>)],
    runs: usize,
    marks: &[(usize, usize, f64)],
    y_desc: &str,
) -> Chart {
    const COLUMNS: usize = 3;
    const PANEL_H: u32 = 190;
    let rows = series.len().div_ceil(COLUMNS).max(1);
    let x_desc = "run (number)";
    let svg = svg(WIDTH, PANEL_H * rows as u32, |root| {
        let panels = root.split_evenly((rows, COLUMNS));
        for (k, (name, points)) in series.iter().enumerate() {
            let area = &panels[k];
            let ymax = points
                .iter()
                .map(|p| p.high.max(p.value))
                .fold(0.0, f64::max)
                * 1.15;
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .caption(name, ("sans-serif", FONT))
                .x_label_area_size(34)
                .y_label_area_size(48)
                .build_cartesian_2d(0.5..(runs as f64 + 0.5), 0.0..ymax.max(1e-9))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_labels(runs.clamp(1, 6))
                .x_label_formatter(&|x| {
                    let r = x.round();
                    if (x - r).abs() < 1e-6 && r >= 1.0 {
                        format!("{r:.0}")
                    } else {
                        String::new()
                    }
                })
                .y_labels(4)
                .y_label_formatter(&|v| tick_label(*v))
                .x_desc(x_desc)
                .y_desc(y_desc)
                .label_style(("sans-serif", 13))
                .axis_desc_style(("sans-serif", 13))
                .light_line_style(WHITE)
                .draw()
                .map_err(|e| e.to_string())?;
            let pts: Vec<(f64, f64)> = points
                .iter()
                .map(|p| (p.run as f64 + 1.0, p.value))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), palette::BLUE.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(points.iter().filter(|p| p.high > p.low).map(|p| {
                    ErrorBar::new_vertical(
                        p.run as f64 + 1.0,
                        p.low,
                        p.value,
                        p.high,
                        palette::BLUE.stroke_width(1),
                        8,
                    )
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    pts.into_iter()
                        .map(|p| Circle::new(p, 3, palette::BLUE.filled())),
                )
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(marks.iter().filter(|m| m.0 == k).map(|&(_, i, y)| {
                    Circle::new((i as f64 + 1.0, y), 7, palette::VERMILLION.stroke_width(2))
                }))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    Chart {
        svg,
        legend: vec![
            LegendItem::new(
                "each run, with its 95% interval",
                palette::BLUE,
                Marker::Circle,
            ),
            LegendItem::new(
                "regression against the run before",
                palette::VERMILLION,
                Marker::Circle,
            ),
        ],
        x_axis: x_desc.to_owned(),
        y_axis: y_desc.to_owned(),
    }
}

/// Lines over a numeric x axis: one series per name, points joined in x order (fleet
/// latency or memory against the number of processes, import time against a swept
/// value), each series in its own colour and marker. The x axis is logarithmic base 2
/// when `log2_x`, so 1, 2, 4, ... 64 processes, or 10 to 10,000 modules, are evenly
/// spaced; tick labels give the value.
pub fn line_chart(
    series: &[(String, Vec<(f64, f64)>)],
    x_desc: &str,
    y_desc: &str,
    log2_x: bool,
) -> Chart {
    let tx = |x: f64| if log2_x { x.max(1.0).log2() } else { x };
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| tx(p.0)));
    let (xmin, xmax) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (xmin, xmax) = if xmin > xmax {
        (0.0, 1.0)
    } else {
        (xmin, xmax)
    };
    let pad = ((xmax - xmin) * 0.05).max(0.25);
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.1;
    const MARKERS: [Marker; 5] = [
        Marker::Circle,
        Marker::Square,
        Marker::Triangle,
        Marker::Diamond,
        Marker::Cross,
    ];
    let style = |k: usize| {
        (
            palette::SERIES[k % palette::SERIES.len()],
            MARKERS[(k / palette::SERIES.len() + k) % MARKERS.len()],
        )
    };
    let svg = svg(WIDTH, 420, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(15)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d((xmin - pad)..(xmax + pad), 0.0..ymax.max(1e-9))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| {
                if log2_x {
                    format!("{:.0}", 2f64.powf(*x))
                } else {
                    tick_label(*x)
                }
            })
            .x_labels(if log2_x {
                ((xmax - xmin) as usize + 1).clamp(2, 16)
            } else {
                10
            })
            .y_label_formatter(&|v| tick_label(*v))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(("sans-serif", FONT))
            .axis_desc_style(("sans-serif", FONT + 1))
            .light_line_style(WHITE)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, (_, points)) in series.iter().enumerate() {
            let (c, m) = style(k);
            let mut pts: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (tx(x), y)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            draw_marks(&mut chart, &pts, m, 4, c.filled())?;
        }
        Ok(())
    });
    Chart {
        svg,
        legend: series
            .iter()
            .enumerate()
            .map(|(k, (name, _))| {
                let (c, m) = style(k);
                LegendItem::new(name.clone(), c, m)
            })
            .collect(),
        x_axis: x_desc.to_owned(),
        y_axis: y_desc.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_stay_few_and_apart() {
        for (lo, hi) in [
            (0.4, 9.0),
            (40.0, 900.0),
            (0.9, 1.3),
            (1.0, 1000.0),
            (50.0, 60.0),
        ] {
            let t = log_ticks(lo, hi);
            assert!(!t.is_empty() && t.len() <= 10, "{lo}-{hi}: {t:?}");
            assert!(t.iter().all(|v| *v >= lo && *v <= hi), "{lo}-{hi}: {t:?}");
            let span = (hi / lo).ln();
            for w in t.windows(2) {
                assert!(
                    (w[1] / w[0]).ln() >= 0.06 * span - 1e-12,
                    "{lo}-{hi}: {t:?}"
                );
            }
        }
        assert_eq!(
            log_ticks(0.4, 9.0),
            vec![0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
        );
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(1.0), "1");
        assert_eq!(tick_label(1.25), "1.25");
        assert_eq!(tick_label(0.5), "0.5");
        assert_eq!(tick_label(1500.0), "1500");
    }

    #[test]
    fn fixed_colours_do_not_depend_on_what_is_present() {
        assert_eq!(palette::phase("compile"), palette::BLACK);
        assert_eq!(palette::bytecode("pyc"), palette::BLUE);
        assert_ne!(palette::bytecode("none"), palette::bytecode("pycache"));
        assert_eq!(palette::hex(palette::BLUE), "#0072b2");
    }
}
