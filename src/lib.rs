//! zipimport-bench: measures what it costs to import Python code from a zip archive
//! instead of a directory tree, through an embedded CPython.
//!
//! The modules follow the pipeline: [`scenario`] (TOML files) -> [`generate`] (a
//! synthetic module tree) -> [`package`] (directories and zip archives per variant) ->
//! [`measure`] (worker processes running the embedded interpreter) -> [`results`]
//! (`results.json`) -> [`report`] (what people read) and [`compare`] (a verdict against a
//! baseline). [`run`] strings them together.

/// `eprintln!` that never panics and prints nothing a terminal or CI log obeys
/// ([`format::for_terminal`]): progress, warnings and errors on standard error are
/// dropped quietly once nobody reads them (`run ... 2>&1 | head`), and the command
/// goes on to finish its work and exit with its own status.
#[macro_export]
macro_rules! note {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($t)*);
        let _ = writeln!(std::io::stderr(), "{}", $crate::format::for_terminal(&text));
    }};
}

pub mod calibrate;
pub mod compare;
pub mod corpus;
pub mod doctor;
pub mod export;
pub mod files;
pub mod format;
pub mod fuzz;
pub mod generate;
pub mod lock;
pub mod markup;
pub mod measure;
pub mod package;
pub mod phrase;
pub mod python;
pub mod recorded;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod stats;
pub mod status;

#[cfg(test)]
mod names {
    use strum::VariantArray;

    /// Every variant's `name()` (strum) is its serde name: results, scenario files and
    /// the command line spell it the same way.
    fn serde_agrees<T>()
    where
        T: VariantArray + serde::Serialize + Copy + Into<&'static str> + 'static,
    {
        for v in T::VARIANTS {
            let name: &'static str = (*v).into();
            assert_eq!(serde_json::to_value(v).unwrap(), name);
        }
    }

    #[test]
    fn names_are_the_serde_names() {
        use crate::measure::hot_update::{Strategy, Timing};
        use crate::scenario::{Bytecode, Mode, PageCache, Pickup, Sharing, SweepParam};
        serde_agrees::<SweepParam>();
        serde_agrees::<Bytecode>();
        serde_agrees::<Mode>();
        serde_agrees::<Sharing>();
        serde_agrees::<PageCache>();
        serde_agrees::<Pickup>();
        serde_agrees::<Strategy>();
        serde_agrees::<Timing>();
        serde_agrees::<crate::status::Status>();
    }
}
