//! A ratio with its interval, and what two ratios to one reference imply about each
//! other: `a / b` from `a / r` and `b / r`. Reports compare two cases that are not the
//! reference this way, so that a sentence quoting "deflate against stored" says exactly
//! what the two rows of the table beside it say (the quotient of their ratios), with
//! the interval those two rows imply, and never an estimate of its own from a handful
//! of unpaired samples.

use serde::Serialize;

use super::two_sample::normal_quantile;

/// A ratio, its interval and that interval's coverage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatioInterval {
    /// The ratio.
    pub ratio: f64,
    /// Lower end of its interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Coverage of the interval (0.95 for a 95% interval; 1 for an exact value).
    pub level: f64,
}

impl RatioInterval {
    /// Exactly 1 (a case against itself): no interval to give.
    pub const ONE: RatioInterval = RatioInterval {
        ratio: 1.0,
        low: 1.0,
        high: 1.0,
        level: 1.0,
    };

    /// A ratio whose interval is `[low, high]` at `level`.
    pub fn new(ratio: f64, low: f64, high: f64, level: f64) -> Self {
        RatioInterval {
            ratio,
            low,
            high,
            level,
        }
    }

    /// Whether this is an exact value (an interval of zero width).
    pub fn is_exact(&self) -> bool {
        self.low == self.high && self.low == self.ratio
    }

    /// Whether the interval covers at least 95%.
    pub fn is_95(&self) -> bool {
        self.level >= 0.95 - 1e-9
    }

    /// Whether the interval lies wholly above 1.
    pub fn above_one(&self) -> bool {
        self.low > 1.0
    }

    /// Whether the interval lies wholly below 1.
    pub fn below_one(&self) -> bool {
        self.high < 1.0
    }

    /// Whether the interval holds 1 (no measurable difference).
    pub fn holds_one(&self) -> bool {
        !self.above_one() && !self.below_one()
    }

    /// Half the interval's width as a fraction of the ratio.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / (2.0 * self.ratio)
    }

    /// Whether `x` lies within the interval (a relative tolerance of 1e-9 for rounding).
    pub fn contains(&self, x: f64) -> bool {
        x >= self.low * (1.0 - 1e-9) && x <= self.high * (1.0 + 1e-9)
    }

    /// The standard error of the log ratio the interval implies: its log width over
    /// twice the normal quantile of its level (0 for an exact value).
    pub fn log_se(&self) -> f64 {
        if self.is_exact() {
            return 0.0;
        }
        let z = normal_quantile(0.5 + self.level.min(0.999_999) / 2.0);
        if z <= 0.0 || self.low <= 0.0 || self.high <= 0.0 {
            return f64::INFINITY;
        }
        (self.high / self.low).ln() / (2.0 * z)
    }

    /// The inverse ratio, `1 / self`, with the inverted interval.
    pub fn inverse(self) -> Self {
        RatioInterval {
            ratio: 1.0 / self.ratio,
            low: 1.0 / self.high,
            high: 1.0 / self.low,
            level: self.level,
        }
    }

    /// `self / other`, two ratios to the same reference, as a ratio of the two cases
    /// to each other. An exact side only scales the other's interval; otherwise the
    /// interval is a Wald interval on the log scale whose standard error adds the two
    /// sides' in quadrature, at the lower of their two levels. The two share the
    /// reference's samples, which makes their errors correlate positively: adding
    /// them as if independent gives an interval at least as wide as the truth needs.
    pub fn quotient(self, other: RatioInterval) -> Self {
        if other.is_exact() {
            let d = other.ratio;
            return RatioInterval {
                ratio: self.ratio / d,
                low: self.low / d,
                high: self.high / d,
                level: self.level,
            };
        }
        if self.is_exact() {
            let inv = other.inverse();
            let n = self.ratio;
            return RatioInterval {
                ratio: inv.ratio * n,
                low: inv.low * n,
                high: inv.high * n,
                level: inv.level,
            };
        }
        let ratio = self.ratio / other.ratio;
        let se = self.log_se().hypot(other.log_se());
        let level = self.level.min(other.level);
        let z = normal_quantile(0.5 + level.min(0.999_999) / 2.0);
        RatioInterval {
            ratio,
            low: ratio * (-z * se).exp(),
            high: ratio * (z * se).exp(),
            level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quotient_of_independent_log_normal_estimates_has_their_combined_width() {
        // Two 95% intervals of +-10% on the log scale: the quotient's is +-10% x sqrt 2.
        let h = 0.1_f64;
        let a = RatioInterval::new(1.5, 1.5 * (-h).exp(), 1.5 * h.exp(), 0.95);
        let b = RatioInterval::new(1.2, 1.2 * (-h).exp(), 1.2 * h.exp(), 0.95);
        let q = a.quotient(b);
        assert!((q.ratio - 1.25).abs() < 1e-12);
        let log_half = (q.high / q.low).ln() / 2.0;
        assert!((log_half - h * 2f64.sqrt()).abs() < 1e-9, "{q:?}");
        assert!((q.level - 0.95).abs() < 1e-12);
    }

    #[test]
    fn an_exact_side_scales_the_other_interval_unchanged() {
        let a = RatioInterval::new(0.6, 0.41, 0.63, 0.95);
        let over = RatioInterval::ONE.quotient(a);
        assert!((over.ratio - 1.0 / 0.6).abs() < 1e-12);
        assert!((over.low - 1.0 / 0.63).abs() < 1e-12);
        assert!((over.high - 1.0 / 0.41).abs() < 1e-12);
        let same = a.quotient(RatioInterval::ONE);
        assert_eq!(same, a);
    }

    #[test]
    fn the_quotient_holds_the_ratio_of_the_two_ratios() {
        let a = RatioInterval::new(1.44, 1.38, 1.52, 0.95);
        let b = RatioInterval::new(1.39, 1.20, 1.60, 0.9);
        let q = a.quotient(b);
        assert!(q.contains(1.44 / 1.39));
        assert!((q.level - 0.9).abs() < 1e-12);
        assert!(q.holds_one());
    }
}
