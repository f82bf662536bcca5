//! Every statistic the harness computes, in one place: summaries of one sample set
//! ([`univariate`]), bootstrap intervals ([`bootstrap`]), tests of two sets against
//! each other ([`two_sample`]), ratios paired by round ([`paired`]) and line fits
//! ([`regression`]). Results, reports, `compare` and `calibrate` only call them.

pub mod bootstrap;
pub mod paired;
pub mod regression;
pub mod two_sample;
pub mod univariate;

pub use bootstrap::{RESAMPLES, RatioOfRatios, bootstrap_ratio_ci, bootstrap_ratio_of_ratios};
pub use paired::{Timed, log_correlation, median_interval, paired_ratios};
pub use regression::least_squares;
pub use two_sample::{benjamini_hochberg, mann_whitney_p, normal_sf};
pub use univariate::{Summary, median, median_ci_ranks, quantile_sorted};
