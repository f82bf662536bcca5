//! An icicle of one traced import (`run --trace`): time runs left to right, each span
//! one box below the span it ran inside (a module's import, then its phases and the
//! imports they made), phases coloured with the report's fixed palette; hovering a box
//! gives its module, phase and exact time.

use std::fmt::Write;

use super::charts::{Chart, LegendItem, Marker, palette};
use crate::format::format_duration_ns;
use crate::measure::trace::{ImportTrace, MACHINERY};

/// The drawing's width in SVG units (it scales to the page).
const WIDTH: f64 = 1000.0;
/// Height of one row of boxes.
const ROW: f64 = 15.0;
/// Room for the time axis under the boxes.
const AXIS: f64 = 34.0;
/// Room for the depth axis on the left.
const LEFT: f64 = 18.0;
/// Boxes narrower than this (SVG units) are left out: they would not show, and 520
/// modules make thousands of them. Their time is still in the tables.
const NARROWEST: f64 = 0.4;

/// The colour of a box: its phase's, or a light grey for a module's own import.
fn colour(phase: &str) -> String {
    if phase.is_empty() {
        "#dfe3ea".into()
    } else {
        palette::hex(palette::phase(phase))
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" tick step for `span` ns in about 8 steps.
fn tick_step(span: f64) -> f64 {
    let raw = span / 8.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// The icicle of `t`, `title` naming it for screen readers.
pub fn icicle(t: &ImportTrace, title: &str) -> Chart {
    let wall = t.wall_ns.max(1) as f64;
    let level: Vec<usize> = t.nesting().iter().map(|n| n.1).collect();
    let depth = level.iter().copied().max().unwrap_or(0) + 1;
    // At least room for the rotated depth axis name.
    let rows_height = (depth as f64 * ROW).max(100.0);
    let height = rows_height + AXIS;
    let scale = (WIDTH - LEFT) / wall;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{}" font-family="system-ui, sans-serif" font-size="9">"#,
        escape(title)
    );
    let mut phases_seen: Vec<&str> = Vec::new();
    for (i, (start, dur, phase, module, _)) in t.spans.iter().enumerate() {
        let w = *dur as f64 * scale;
        if w < NARROWEST {
            continue;
        }
        let x = LEFT + *start as f64 * scale;
        let y = level[i] as f64 * ROW;
        let what = if phase.is_empty() {
            format!("import {module}")
        } else if module.is_empty() {
            phase.clone()
        } else {
            format!("{module}: {phase}")
        };
        let _ = write!(
            svg,
            r##"<rect x="{x:.2}" y="{y:.1}" width="{w:.2}" height="{:.1}" fill="{}" stroke="#ffffff" stroke-width="0.3"><title>{} ({}, from {} in)</title></rect>"##,
            ROW - 1.0,
            colour(phase),
            escape(&what),
            format_duration_ns(*dur as f64),
            format_duration_ns(*start as f64)
        );
        if phase.is_empty() {
            // A module's name, when it fits in its box.
            let fits = module.len() as f64 * 5.2 + 4.0 <= w;
            if fits {
                let _ = write!(
                    svg,
                    r##"<text x="{:.2}" y="{:.1}" fill="#1d2330">{}</text>"##,
                    x + 2.0,
                    y + ROW - 3.5,
                    escape(module)
                );
            }
        } else if !phases_seen.contains(&phase.as_str()) {
            phases_seen.push(phase);
        }
    }
    // The time axis: ticks and labels under the boxes, then its name.
    let base = rows_height + 2.0;
    let step = tick_step(wall);
    let mut at = 0.0;
    while at <= wall + 1.0 {
        let x = LEFT + at * scale;
        // A label at the right edge ends there instead of running past it.
        let anchor = if x > WIDTH - 12.0 { "end" } else { "middle" };
        let _ = write!(
            svg,
            r##"<line x1="{x:.2}" y1="{base:.1}" x2="{x:.2}" y2="{:.1}" stroke="#5a6475" stroke-width="0.6"/><text x="{x:.2}" y="{:.1}" text-anchor="{anchor}" fill="#5a6475">{}</text>"##,
            base + 4.0,
            base + 13.0,
            trim_ms(at / 1e6)
        );
        at += step;
    }
    let x_axis = "time into the import (ms)";
    let y_axis = "nesting (levels)";
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#1d2330">{x_axis}</text>"##,
        LEFT + (WIDTH - LEFT) / 2.0,
        base + 27.0
    );
    let _ = write!(
        svg,
        r##"<text x="9" y="{:.1}" text-anchor="middle" fill="#1d2330" transform="rotate(-90 9 {:.1})">{y_axis}</text>"##,
        rows_height / 2.0,
        rows_height / 2.0
    );
    svg.push_str("</svg>");
    // The legend: the phases drawn, in the profiler's order, and modules' own imports.
    let mut legend = vec![LegendItem::new(
        "module import",
        plotters::style::RGBColor(0xdf, 0xe3, 0xea),
        Marker::Square,
    )];
    for p in crate::report::html::profile::PHASE_ORDER {
        if p != MACHINERY && phases_seen.contains(&p) {
            legend.push(LegendItem::new(p, palette::phase(p), Marker::Square));
        }
    }
    Chart {
        svg,
        legend,
        x_axis: x_axis.into(),
        y_axis: y_axis.into(),
    }
}

/// Milliseconds without trailing zeros (`2.5`, `10`).
fn trim_ms(ms: f64) -> String {
    let s = format!("{ms:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_nest_in_rows_and_tiny_ones_are_left_out() {
        let t = ImportTrace {
            wall_ns: 1_000_000,
            spans: vec![
                (10_000, 100_000, "find".into(), "a".into(), 1),
                (150_000, 1, "read".into(), "a".into(), 1),
                (0, 900_000, String::new(), "a".into(), 0),
            ],
        };
        let levels: Vec<usize> = t.nesting().iter().map(|n| n.1).collect();
        assert_eq!(levels, [1, 1, 0]);
        let c = icicle(&t, "t");
        assert_eq!(c.svg.matches("<rect").count(), 2, "{}", c.svg);
        assert!(
            c.svg.contains("a: find (100 us, from 10 us in)"),
            "{}",
            c.svg
        );
        assert!(c.svg.contains(">time into the import (ms)</text>"));
        assert_eq!(c.legend.len(), 2);
    }
}
