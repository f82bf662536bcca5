//! Every statistic the harness computes, in one place: summaries of one sample set
//! ([`univariate`]), bootstrap intervals ([`bootstrap`]), tests of two sets against
//! each other ([`two_sample`]), ratios paired by round ([`paired`]) and line fits
//! ([`regression`]). Results, reports, `compare` and `calibrate` only call them.

pub mod bootstrap;
pub mod interval;
pub mod paired;
pub mod regression;
pub mod relative;
pub mod states;
pub mod two_sample;
pub mod univariate;

pub use bootstrap::{RESAMPLES, RatioOfRatios, bootstrap_ratio_ci, bootstrap_ratio_of_ratios};
pub use interval::RatioInterval;
pub use paired::{Timed, log_correlation, median_interval, paired_ratios};
pub use regression::least_squares;
pub use relative::{Estimate, Estimator, Obs};
pub use states::{MachineStates, machine_states};
pub use two_sample::{
    benjamini_hochberg, hodges_lehmann_interval, hodges_lehmann_interval_at, mann_whitney_null,
    mann_whitney_p, normal_cdf, normal_quantile, normal_sf, smallest_mann_whitney_p,
};
pub use univariate::{Summary, median, median_ci_ranks, median_ci_ranks_at, quantile_sorted};
