//! `cargo run --release --example fuzz -- [--inputs N] [--seed S] [READER ...]`: a
//! mutation-fuzzing campaign over the readers of outside input (see
//! `zipimport_bench::fuzz`), 1,000,000 inputs per reader by default. Inputs that panic
//! are written to `target/fuzz-failures/<reader>-<n>` (copy them under
//! `tests/fuzz-regressions/<reader>/` to keep them as regression tests); exit 1 when
//! there is one.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use zipimport_bench::fuzz::{self, Reader};

#[derive(Parser)]
struct Args {
    /// Inputs per reader.
    #[arg(long, default_value_t = 1_000_000)]
    inputs: u64,
    /// The campaign's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where failing inputs are written.
    #[arg(long, default_value = "target/fuzz-failures")]
    failures: PathBuf,
    /// Readers (scenario, results, report, pages, export, journal, archive); all when
    /// none is given.
    readers: Vec<String>,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let readers: Vec<Reader> = if args.readers.is_empty() {
        Reader::ALL.to_vec()
    } else {
        args.readers
            .iter()
            .map(|r| {
                r.parse()
                    .map_err(|_| anyhow::anyhow!("no reader named {r:?}"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let work = tempfile::tempdir()?;
    let mut failed = 0;
    println!("reader      inputs   accepted  failures  slowest    time   inputs/s");
    for reader in readers {
        let out = fuzz::campaign(reader, args.inputs, args.seed, work.path(), &mut |done| {
            eprint!("\r{}: {done} inputs", reader.name());
        })?;
        eprint!("\r");
        println!(
            "{:<9} {:>8} {:>10} {:>9} {:>6.1} ms {:>6.0} s {:>10.0}",
            reader.name(),
            out.inputs,
            out.accepted,
            out.failures.len(),
            out.slowest.as_secs_f64() * 1e3,
            out.elapsed.as_secs_f64(),
            out.inputs as f64 / out.elapsed.as_secs_f64()
        );
        if !out.failures.is_empty() {
            std::fs::create_dir_all(&args.failures)?;
        }
        for (i, f) in out.failures.iter().enumerate() {
            let path = args.failures.join(format!("{}-{i}", reader.name()));
            std::fs::write(&path, &f.input)?;
            println!(
                "  {}: {}",
                path.display(),
                f.message.lines().next().unwrap_or("")
            );
        }
        failed += out.failures.len();
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
