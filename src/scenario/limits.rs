//! Bounds on every scenario value, checked before anything is generated (documented in
//! `scenarios/README.md`).

use std::ops::RangeInclusive;

/// Bounds on scenario values, checked before any work starts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// `tree.packages`
    pub packages: RangeInclusive<i64>,
    /// `tree.depth`
    pub depth: RangeInclusive<i64>,
    /// `tree.subpackages`
    pub subpackages: RangeInclusive<i64>,
    /// `tree.modules` (per package)
    pub modules: RangeInclusive<i64>,
    /// Packages of all levels together.
    pub total_packages: u64,
    /// Modules of the whole tree.
    pub total_modules: u64,
    /// `tree.lines`
    pub lines: RangeInclusive<i64>,
    /// `tree.imports`
    pub imports: RangeInclusive<i64>,
    /// `tree.data-files`
    pub data_files: RangeInclusive<i64>,
    /// `tree.data-size`
    pub data_size: RangeInclusive<i64>,
    /// Bytes of generated source and data, all files together.
    pub total_bytes: u64,
    /// `tree.filler`: 500,000 passes zip64 (65,535) with room.
    pub filler: RangeInclusive<i64>,
    /// `measure.samples`
    pub samples: RangeInclusive<i64>,
    /// `measure.precision`, percent
    pub precision: RangeInclusive<f64>,
    /// `measure.min-samples`
    pub min_samples: RangeInclusive<i64>,
    /// `measure.warmup`
    pub warmup: RangeInclusive<i64>,
    /// `measure.timeout-secs`
    pub timeout_secs: RangeInclusive<i64>,
    /// `measure.instruction-samples`
    pub instruction_samples: RangeInclusive<i64>,
    /// `measure.reference-every`
    pub reference_every: RangeInclusive<i64>,
    /// Each of `fleet.processes`: the load stays bounded on a small machine.
    pub fleet_processes: RangeInclusive<i64>,
    /// `fleet.rounds`
    pub fleet_rounds: RangeInclusive<i64>,
    /// `hot-update.rounds`
    pub hot_update_rounds: RangeInclusive<i64>,
}

/// The limits in force (documented in `scenarios/README.md`).
pub const LIMITS: Limits = Limits {
    packages: 1..=10_000,
    depth: 0..=16,
    subpackages: 1..=1_000,
    modules: 1..=100_000,
    total_packages: 20_000,
    total_modules: 200_000,
    lines: 1..=50_000,
    imports: 0..=100,
    data_files: 0..=10_000,
    data_size: 0..=64 * 1024 * 1024,
    total_bytes: 4 * 1024 * 1024 * 1024,
    filler: 0..=500_000,
    samples: 1..=100_000,
    precision: 0.1..=100.0,
    // Below 6 no interval of a ratio reaches 95% (the order statistics of 5 pairs cover
    // 93.75% at best), so a case could stop on an interval that is not what it says.
    min_samples: 6..=100_000,
    warmup: 0..=1_000,
    timeout_secs: 1..=86_400,
    instruction_samples: 1..=1_000,
    reference_every: 0..=10_000,
    fleet_processes: 1..=64,
    fleet_rounds: 1..=1_000,
    hot_update_rounds: 1..=10_000,
};
