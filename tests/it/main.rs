//! Every integration test, in one binary (one link of the harness and PyO3 instead of
//! one per file): a module per topic, each running the real binary and the real
//! embedded interpreter on small scenarios. Run one topic with its module path, e.g.
//! `cargo test --test it coverage::` (the slow real-consumer ones: `pages::`,
//! `trace::`, `export::`, `pythons::`, `pythons_today::`, `doctor_truth::`).

mod common;

mod adaptive;
mod archive;
mod attacks;
mod calibrate;
mod compare;
mod consistency;
mod corpus;
mod coverage;
mod defaults;
mod detectable;
mod docs;
mod doctor_truth;
mod export;
mod faults;
mod fuzz;
mod gate;
mod generate;
mod hostile;
mod instructions;
mod measure;
mod outlock;
mod pages;
mod profile;
mod pythons;
mod pythons_today;
mod report;
mod scenario_errors;
mod service;
mod shards;
mod snapshots;
mod sweeps;
mod terminal;
mod trace;
mod worker;
