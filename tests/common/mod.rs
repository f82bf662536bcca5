//! Helpers shared by the integration tests: tiny scenarios, running the real binary,
//! reading what it wrote.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A scenario with a 2-package tree (10 modules) and the given variant matrix TOML.
pub fn tiny_scenario(name: &str, matrix: &str, extra: &str) -> String {
    format!(
        r#"name = "{name}"
seed = 7

[tree]
packages = 2
depth = 0
modules = 4
lines = 30
imports = 2

[variants]
{matrix}

[measure]
samples = 2
warmup = 0
{extra}
"#
    )
}

/// Writes `text` as `name` in `dir` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary under test, with a clean environment except for what the test adds.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("zipimport-bench").unwrap();
    cmd.env_remove("PYTHONPATH").env_remove("PYTHONHOME");
    cmd
}

/// Runs `run` on a scenario, asserting success, and returns the parsed results.
pub fn run_scenario(dir: &Path, scenario: &Path, extra_args: &[&str]) -> Value {
    let out = dir.join("out");
    bin()
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .args(extra_args)
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap()
}

/// The case of `variant` in `mode`.
pub fn case<'a>(results: &'a Value, variant: &str, mode: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["variant"] == variant && c["mode"] == mode)
        .unwrap_or_else(|| panic!("no case {variant} {mode}"))
}

/// A probe counter, 0 when absent.
pub fn counter(case: &Value, round: &str, name: &str) -> u64 {
    case["probe"][round][name].as_u64().unwrap_or(0)
}
