//! `compare BASELINE CANDIDATE`: the verdict table, and with `--fail-on-regression` the
//! gate's exit status: 4 on a regression, else 5 when some row could not be judged.

use std::process::ExitCode;

use anyhow::Result;
use zipimport_bench::compare::{self, CompareOptions};
use zipimport_bench::{report, results};

use crate::cli::{CompareArgs, CompareFormat as Format};

/// Compares and prints; the exit status is the gate's.
pub fn compare(args: CompareArgs) -> Result<ExitCode> {
    let opts = CompareOptions {
        threshold: args.threshold,
        instructions_threshold: args.instructions_threshold,
        relative: !args.absolute,
        ..CompareOptions::default()
    };
    let b = results::read(&args.baseline)?;
    let c = results::read(&args.candidate)?;
    let cmp = compare::compare(
        &args.baseline.display().to_string(),
        &b,
        &args.candidate.display().to_string(),
        &c,
        opts,
    );
    let text = match args.format {
        Format::Text => compare::render_text(&cmp),
        Format::Markdown => compare::render_markdown(&cmp),
        Format::Json => compare::render_json(&cmp),
        Format::Html => report::compare_html(&cmp, &b, &c)?,
    };
    if let Some(path) = &args.html {
        report::write_atomic(path, &report::compare_html(&cmp, &b, &c)?)?;
        zipimport_bench::note!("compare page: {}", path.display());
    }
    outln!("{}", text.trim_end());
    if args.fail_on_regression && cmp.regressions > 0 {
        zipimport_bench::note!("{} regression(s) found", cmp.regressions);
        return Ok(ExitCode::from(4));
    }
    if args.fail_on_regression && cmp.unjudged > 0 {
        zipimport_bench::note!(
            "{} row(s) could not be judged (see `cannot judge` above): the gate cannot \
             vouch for them",
            cmp.unjudged
        );
        return Ok(ExitCode::from(5));
    }
    Ok(ExitCode::SUCCESS)
}
