//! How a ratio and its interval are written, in tables and in sentences: one place, so
//! a sentence and the table beside it spell the same estimate the same way.

use crate::stats::RatioInterval;

/// `1.25x`.
pub fn ratio(r: &RatioInterval) -> String {
    format!("{:.2}x", r.ratio)
}

/// The interval cell: `[1.19, 1.31]`; with its real coverage when below 95%,
/// `[1.02, 1.60] 88%`; `exact` for an exact value (the reference).
pub fn interval(r: &RatioInterval) -> String {
    if r.is_exact() {
        return "exact".into();
    }
    let level = if r.is_95() {
        String::new()
    } else {
        format!(" {:.0}%", r.level * 100.0)
    };
    format!("[{:.2}, {:.2}]{level}", r.low, r.high)
}

/// `95% interval 1.19-1.31`, or `interval 1.02-1.60, 88% coverage: too few samples for
/// 95%`, or `counted: 1.34-1.36` for a span of counts (level 1).
pub fn interval_words(r: &RatioInterval) -> String {
    if r.is_exact() {
        return "exact".into();
    }
    if r.level >= 1.0 {
        return format!("span of the counts {:.2}-{:.2}", r.low, r.high);
    }
    if r.is_95() {
        format!("95% interval {:.2}-{:.2}", r.low, r.high)
    } else {
        format!(
            "interval {:.2}-{:.2}, {:.0}% coverage: too few samples for 95%",
            r.low,
            r.high,
            r.level * 100.0
        )
    }
}

/// `1.25x (95% interval 1.19-1.31)`.
pub fn ratio_words(r: &RatioInterval) -> String {
    if r.is_exact() {
        return ratio(r);
    }
    format!("{} ({})", ratio(r), interval_words(r))
}

/// A ratio as a change: `+23%`.
pub fn change(x: f64) -> String {
    format!("{:+.0}%", (x - 1.0) * 100.0)
}

/// `95% interval +5% to +34%` (or its real coverage when below 95%).
pub fn change_interval(r: &RatioInterval) -> String {
    if r.is_95() {
        format!("95% interval {} to {}", change(r.low), change(r.high))
    } else {
        format!(
            "interval {} to {}, {:.0}% coverage",
            change(r.low),
            change(r.high),
            r.level * 100.0
        )
    }
}

/// How `b` compares with `a` given `b / a`, as a clause: `imports 12% slower than stored
/// (95% interval +9% to +15%)`, or `imports not measurably differently from stored at
/// this sample count (95% interval -3% to +4%)` when the interval holds 1. Not a claim
/// that the two are the same: an interval that straddles 1 only says this run cannot
/// tell.
pub fn speed(r: Option<RatioInterval>, verb: &str, than: &str) -> String {
    let Some(r) = r else {
        return format!("{verb} at {than}'s speed or not; it cannot be told from these samples");
    };
    let interval = change_interval(&r);
    if r.holds_one() {
        format!("{verb} not measurably differently from {than} at this sample count ({interval})")
    } else if r.ratio >= 1.0 {
        format!(
            "{verb} {:.0}% slower than {than} ({interval})",
            (r.ratio - 1.0) * 100.0
        )
    } else {
        format!(
            "{verb} {:.0}% faster than {than} ({interval})",
            (1.0 - r.ratio) * 100.0
        )
    }
}
