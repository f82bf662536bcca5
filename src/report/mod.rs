//! Human-readable views of results. Today: the terminal summary table.

mod table;

pub use table::{format_duration_ns, format_size, summary_table};
