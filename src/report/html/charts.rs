//! The report's charts, drawn by plotters as inline SVG strings.
//!
//! Case charts are horizontal: one row per variant (long ids read better down the side
//! than under the axis), times in milliseconds along the bottom, one colour per mode.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::results::CaseResult;

/// Colours by mode order (cold, warm) and by series in scatter charts.
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One row group of a case chart: a label and, per mode, the case (if measured).
pub struct Row<'a> {
    /// Variant id.
    pub label: String,
    /// One entry per mode, in the chart's mode order.
    pub cases: Vec<Option<&'a CaseResult>>,
}

/// Picks (value, low, high) from a case for an interval chart.
pub type IntervalOf = dyn Fn(&CaseResult) -> Option<(f64, f64, f64)>;

const ROW_HEIGHT: u32 = 22;
const WIDTH: u32 = 900;

fn height_for(rows: usize) -> u32 {
    90 + ROW_HEIGHT * rows.max(1) as u32
}

fn ms(ns: f64) -> f64 {
    ns / 1e6
}

/// Where series `k` of `n` sits within a row (rows are 1 apart).
fn offset(k: usize, n: usize) -> f64 {
    if n <= 1 {
        0.0
    } else {
        -0.2 + 0.4 * k as f64 / (n - 1) as f64
    }
}

fn svg<F>(width: u32, height: u32, draw: F) -> String
where
    F: FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>,
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

/// Medians with their 95% intervals as whiskers, one row per variant, one colour per
/// mode; `value` picks (median, low, high) from a case, `x_desc` names the axis and
/// `reference_line` draws a vertical rule (1.0 for ratios).
pub fn interval_chart(
    rows: &[Row<'_>],
    modes: &[String],
    x_desc: &str,
    value: &IntervalOf,
    reference_line: Option<f64>,
) -> String {
    let points: Vec<(usize, usize, (f64, f64, f64))> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.cases
                .iter()
                .enumerate()
                .filter_map(move |(k, c)| c.and_then(value).map(|v| (i, k, v)))
        })
        .collect();
    let max = points
        .iter()
        .map(|p| p.2.2)
        .fold(reference_line.unwrap_or(0.0), f64::max)
        * 1.05;
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let n = rows.len();
    svg(WIDTH, height_for(n), |root| {
        let mut chart = row_axes(root, &labels, max, x_desc)?;
        if let Some(x) = reference_line {
            chart
                .draw_series(LineSeries::new(
                    [(x, -0.5), (x, n as f64 - 0.5)],
                    BLACK.mix(0.5),
                ))
                .map_err(|e| e.to_string())?;
        }
        for (k, mode) in modes.iter().enumerate() {
            let c = colour(k);
            let mine: Vec<_> = points.iter().filter(|p| p.1 == k).collect();
            chart
                .draw_series(mine.iter().map(|&&(i, _, (_, lo, hi))| {
                    let y = i as f64 + offset(k, modes.len());
                    PathElement::new(vec![(lo, y), (hi, y)], c.stroke_width(2))
                }))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(mine.iter().map(|&&(i, _, (m, _, _))| {
                    Circle::new((m, i as f64 + offset(k, modes.len())), 4, c.filled())
                }))
                .map_err(|e| e.to_string())?
                .label(mode.clone())
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// The chart type every function here draws on.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Axes of a one-row-per-variant chart: `0..max` along the bottom, the labels down the
/// left side, first row at the top.
fn row_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    labels: &[String],
    max: f64,
    x_desc: &str,
) -> Result<Chart<'a, 'b>, String> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(200)
        .build_cartesian_2d(0.0..max.max(1e-9), (n as f64 - 0.5)..-0.5)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .y_labels(n.max(1))
        .y_label_formatter(&|y| label_at(labels, *y))
        .x_desc(x_desc)
        .disable_y_mesh()
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// The series legend, boxed, at `position`.
fn legend<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| e.to_string())
}

fn label_at(labels: &[String], y: f64) -> String {
    let i = y.round();
    if (y - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    labels.get(i as usize).cloned().unwrap_or_default()
}

/// A legend below a line chart's plot, three entries a line, in series colours.
fn legend_below<'a>(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    names: impl Iterator<Item = &'a str>,
) -> Result<(), String> {
    for (k, name) in names.enumerate() {
        let x = 70 + (k % 3) as i32 * 280;
        let y = 6 + (k / 3) as i32 * 18;
        area.draw(&Circle::new((x, y + 6), 5, Palette99::pick(k).filled()))
            .map_err(|e| e.to_string())?;
        area.draw(&Text::new(
            name.to_owned(),
            (x + 10, y),
            ("sans-serif", 13).into_font(),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Every raw sample of every case as a dot, so spread and outliers are visible.
pub fn samples_chart(rows: &[Row<'_>], modes: &[String]) -> String {
    let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
    let n = rows.len();
    let max = rows
        .iter()
        .flat_map(|r| r.cases.iter().flatten())
        .flat_map(|c| c.samples_ns.iter())
        .map(|&v| ms(v as f64))
        .fold(0.0, f64::max)
        * 1.05;
    svg(WIDTH, height_for(n), |root| {
        let mut chart = row_axes(root, &labels, max, "import time of each sample (ms)")?;
        for (k, mode) in modes.iter().enumerate() {
            let c = colour(k);
            let dots: Vec<(f64, f64)> = rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.cases.get(k).copied().flatten().map(|case| (i, case)))
                .flat_map(|(i, case)| {
                    let count = case.samples_ns.len().max(1);
                    case.samples_ns.iter().enumerate().map(move |(j, &v)| {
                        // Deterministic jitter within the mode's band of the row.
                        let jitter = 0.12 * ((j as f64 + 0.5) / count as f64 - 0.5);
                        (ms(v as f64), i as f64 + offset(k, modes.len()) + jitter)
                    })
                })
                .collect();
            chart
                .draw_series(
                    dots.into_iter()
                        .map(|p| Circle::new(p, 2, c.mix(0.6).filled())),
                )
                .map_err(|e| e.to_string())?
                .label(mode.clone())
                .legend(move |(x, y)| Circle::new((x, y), 3, c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Stacked horizontal bars: one row per label, one coloured segment per phase, in ms.
pub fn stacked_chart(rows: &[(String, Vec<f64>)], phases: &[String], x_desc: &str) -> String {
    let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let max = rows
        .iter()
        .map(|r| r.1.iter().sum::<f64>())
        .fold(0.0, f64::max)
        * 1.05;
    svg(
        WIDTH,
        height_for(rows.len()) + 20 * phases.len().div_ceil(4) as u32,
        |root| {
            let (plot, key) = root.split_vertically(height_for(rows.len()));
            let mut chart = row_axes(&plot, &labels, max, x_desc)?;
            for (k, _) in phases.iter().enumerate() {
                let c = Palette99::pick(k).to_rgba();
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
            for (k, name) in phases.iter().enumerate() {
                let x = 70 + (k % 4) as i32 * 210;
                let y = 4 + (k / 4) as i32 * 20;
                key.draw(&Rectangle::new(
                    [(x, y + 2), (x + 12, y + 14)],
                    Palette99::pick(k).filled(),
                ))
                .map_err(|e| e.to_string())?;
                key.draw(&Text::new(
                    name.clone(),
                    (x + 18, y),
                    ("sans-serif", 13).into_font(),
                ))
                .map_err(|e| e.to_string())?;
            }
            Ok(())
        },
    )
}

/// One point of a scatter series.
pub struct ScatterPoint {
    /// x value.
    pub x: f64,
    /// y value.
    pub y: f64,
    /// Text beside the point.
    pub label: String,
}

/// Named series of labelled points (archive size against median import time).
pub fn scatter_chart(series: &[(String, Vec<ScatterPoint>)], x_desc: &str, y_desc: &str) -> String {
    let all = series.iter().flat_map(|s| s.1.iter());
    let (xmax, ymax) = all.fold((0.0f64, 0.0f64), |(a, b), p| (a.max(p.x), b.max(p.y)));
    svg(WIDTH, 480, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..(xmax * 1.15).max(1e-9), 0.0..(ymax * 1.1).max(1e-9))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, (name, points)) in series.iter().enumerate() {
            let c = colour(k);
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new((p.x, p.y), 5, c.filled())),
                )
                .map_err(|e| e.to_string())?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x, y), 5, c.filled()));
            chart
                .draw_series(points.iter().map(|p| {
                    Text::new(p.label.clone(), (p.x, p.y), ("sans-serif", 12).into_font())
                }))
                .map_err(|e| e.to_string())?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Lines over runs: one series per case, x = run index, y = median ms; `marks` are
/// points to circle in red (regressions).
pub fn history_chart(
    series: &[(String, Vec<(usize, f64)>)],
    runs: &[String],
    marks: &[(usize, f64)],
    y_desc: &str,
) -> String {
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.1;
    let n = runs.len();
    let height = 420 + 18 * series.len().div_ceil(3) as u32;
    svg(WIDTH, height, |root| {
        let (plot, legend) = root.split_vertically(420);
        let mut chart = ChartBuilder::on(&plot)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..ymax.max(1e-9))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(n.clamp(1, 12))
            .x_label_formatter(&|x| label_at(runs, *x))
            .x_desc("run")
            .y_desc(y_desc)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, (_, points)) in series.iter().enumerate() {
            let c = Palette99::pick(k).to_rgba();
            let pts: Vec<(f64, f64)> = points.iter().map(|&(i, y)| (i as f64, y)).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())))
                .map_err(|e| e.to_string())?;
        }
        chart
            .draw_series(
                marks
                    .iter()
                    .map(|&(i, y)| Circle::new((i as f64, y), 8, RED.stroke_width(2))),
            )
            .map_err(|e| e.to_string())?;
        legend_below(&legend, series.iter().map(|s| s.0.as_str()))
    })
}

/// Lines over a numeric x axis: one series per name, points joined in x order (fleet
/// latency or memory against the number of processes, import time against a swept
/// value). The x axis is logarithmic base 2 when `log2_x`, so 1, 2, 4, ... 64
/// processes, or 10 to 10,000 modules, are evenly spaced; tick labels give the value.
pub fn line_chart(
    series: &[(String, Vec<(f64, f64)>)],
    x_desc: &str,
    y_desc: &str,
    log2_x: bool,
) -> String {
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
    let height = 420 + 18 * series.len().div_ceil(3) as u32;
    svg(WIDTH, height, |root| {
        let (plot, legend) = root.split_vertically(420);
        let mut chart = ChartBuilder::on(&plot)
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((xmin - pad)..(xmax + pad), 0.0..ymax.max(1e-9))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| {
                if log2_x {
                    format!("{:.0}", 2f64.powf(*x))
                } else {
                    format!("{x}")
                }
            })
            .x_labels(if log2_x {
                ((xmax - xmin) as usize + 1).clamp(2, 16)
            } else {
                10
            })
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, (_, points)) in series.iter().enumerate() {
            let c = Palette99::pick(k).to_rgba();
            let mut pts: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (tx(x), y)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())))
                .map_err(|e| e.to_string())?;
        }
        legend_below(&legend, series.iter().map(|s| s.0.as_str()))
    })
}
