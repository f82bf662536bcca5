//! Rewrites every recorded figure of README.md, METHODOLOGY.md and scenarios/README.md,
//! and the costs `doctor` quotes (`src/doctor/costs.json`), from the results files under
//! `reports/recorded/` (`zipimport_bench::recorded`), then
//! lists what is still wrong: figures quoted without a recorded run, and recorded runs
//! whose scenario file has changed since.
//!
//! `cargo run --example docs` (or `-- --check` to change nothing and exit 1 on any
//! difference, as `tests/it/docs.rs` does).

use std::path::Path;
use std::process::ExitCode;

use zipimport_bench::recorded::{self, Runs};

const DOCUMENTS: [&str; 3] = ["README.md", "METHODOLOGY.md", "scenarios/README.md"];

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut runs = Runs::new(root);
    let mut problems = Vec::new();
    for doc in DOCUMENTS {
        let path = root.join(doc);
        let result = (|| -> anyhow::Result<Vec<String>> {
            if !check {
                let text = std::fs::read_to_string(&path)?;
                let fresh = recorded::regenerate(&mut runs, &text)?;
                if fresh != text {
                    std::fs::write(&path, fresh)?;
                    println!("rewrote the recorded figures of {doc}");
                }
            }
            recorded::check(&mut runs, &path)
        })();
        match result {
            Ok(p) => problems.extend(p),
            Err(e) => problems.push(format!("{doc}: {e:#}")),
        }
    }
    // The costs doctor quotes, from the same runs.
    let costs = root.join(recorded::COSTS);
    match recorded::costs_file(&mut runs) {
        Ok(fresh) => {
            let old = std::fs::read_to_string(&costs).unwrap_or_default();
            if old != fresh {
                if check {
                    problems.push(format!(
                        "{}: not what the recorded runs give",
                        recorded::COSTS
                    ));
                } else if let Err(e) = std::fs::write(&costs, fresh) {
                    problems.push(format!("{}: {e}", costs.display()));
                } else {
                    println!("rewrote {}", recorded::COSTS);
                }
            }
        }
        Err(e) => problems.push(format!("{}: {e:#}", recorded::COSTS)),
    }
    match recorded::stale_runs(root) {
        Ok(p) => problems.extend(p),
        Err(e) => problems.push(format!("{e:#}")),
    }
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
