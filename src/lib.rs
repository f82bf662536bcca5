//! zipimport-bench: measures what it costs to import Python code from a zip archive
//! instead of a directory tree, through an embedded CPython.
//!
//! The modules follow the pipeline: [`scenario`] (TOML files) -> [`generate`] (a
//! synthetic module tree) -> [`package`] (directories and zip archives per variant) ->
//! [`measure`] (worker processes running the embedded interpreter) -> [`results`]
//! (`results.json`) -> [`report`] (what people read) and [`compare`] (a verdict against a
//! baseline). [`run`] strings them together.

pub mod calibrate;
pub mod compare;
pub mod corpus;
pub mod format;
pub mod generate;
pub mod measure;
pub mod package;
pub mod python;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod stats;
