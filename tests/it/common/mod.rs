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

/// The two variants most tests compare: a directory and an uncompressed zip, both with
/// bytecode (the body of a `[variants]` table; `dir-pyc` is the default reference).
pub const DIR_AND_ZIP_PYC: &str = r#"
[[variants.matrix]]
layout = "dir"
bytecode = "pyc"

[[variants.matrix]]
layout = "zip"
compression = "stored"
bytecode = "pyc"
"#;

/// Writes `text` as `name` in `dir` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary under test, with a clean environment except for what the test adds.
/// Its artifacts go to a disk-backed directory under `target/` (not a tmpfs `/tmp`,
/// which keeps its pages in memory by design), so page-cache eviction is really tested.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("zipimport-bench").unwrap();
    cmd.env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .env("TMPDIR", disk_dir());
    cmd
}

/// Starts `run --samples SAMPLES --out DIR/out SCENARIO` in the background, its
/// artifacts under `DIR/tmp` and its output discarded, for tests that stop, kill or
/// race a running run.
pub fn start_run(dir: &Path, scenario: &Path, samples: u32) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_zipimport-bench"))
        .args(["run", "--no-progress", "--samples"])
        .arg(samples.to_string())
        .arg("--out")
        .arg(dir.join("out"))
        .arg(scenario)
        .env("TMPDIR", dir.join("tmp"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A directory on a disk-backed filesystem, for artifacts whose eviction is tested.
/// Fails the test, saying why, when the build directory is on tmpfs: eviction could not
/// be checked at all there.
pub fn disk_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path and a buffer of the right type; the buffer is read
    // only when the call succeeds.
    let tmpfs = unsafe {
        libc::statfs(c.as_ptr(), st.as_mut_ptr()) == 0
            && st.assume_init().f_type == libc::TMPFS_MAGIC
    };
    assert!(
        !tmpfs,
        "{} is tmpfs: page-cache eviction cannot be tested there",
        dir.display()
    );
    dir
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

/// A schema-valid results file with the given cases (variant, mode, samples in ns);
/// every case `ok` unless its samples are empty (then `unsupported`).
pub fn synthetic_results(
    started_at: &str,
    python: &str,
    cases: &[(&str, &str, Vec<u64>)],
) -> Value {
    let cases: Vec<Value> = cases
        .iter()
        .map(|(variant, mode, samples)| {
            let mut sorted = samples.clone();
            sorted.sort_unstable();
            let median = if sorted.is_empty() {
                0.0
            } else {
                sorted[sorted.len() / 2] as f64
            };
            let ok = !samples.is_empty();
            serde_json::json!({
                "scenario": "synthetic",
                "variant": variant,
                "layout": if variant.starts_with("zip") { "zip" } else { "dir" },
                "compression": if variant.starts_with("zip") { Some("stored") } else { None },
                "level": null,
                "bytecode": "pyc",
                "mode": mode,
                "status": if ok { "ok" } else { "unsupported" },
                "error": if ok { None } else { Some("zlib.error: Error -3 <b>bold</b>") },
                "samples_ns": samples,
                "cpu_samples_ns": samples,
                "summary": if ok { serde_json::json!({
                    "n": samples.len(), "min": sorted[0] as f64, "median": median, "mean": median,
                    "stddev": 1.0, "mad": 1.0, "p95": median, "max": *sorted.last().unwrap() as f64,
                    "ci95_low": sorted[0] as f64, "ci95_high": *sorted.last().unwrap() as f64,
                    "ci_level": 0.95
                }) } else { Value::Null },
                "startup_ns": [],
                "startup": null,
                "ratio_to_reference": null,
                "artifact": { "path": "/x", "size": 1000, "entries": 10, "sha256": "ab" },
                "probe": null,
                "warnings": []
            })
        })
        .collect();
    serde_json::json!({
        "schema_version": 1,
        "metadata": {
            "started_at": started_at,
            "finished_at": started_at,
            "duration_s": 1.0,
            "harness": { "version": "0.1.0", "git_commit": null, "profile": "release" },
            "host": { "hostname": "h", "cpu_model": "cpu", "cores": 2, "os": "linux", "kernel": "6", "arch": "x86_64" },
            "python": {
                "version": python, "version_short": python, "implementation": "cpython",
                "cache_tag": "cpython-311", "magic": "a70d0d0a", "executable": "/p/bin/python",
                "prefix": "/p", "compiler": "GCC", "build": "main"
            },
            "command_line": ["zipimport-bench"]
        },
        "scenarios": [{
            "name": "synthetic", "description": "<script>alert('description')</script>",
            "path": "s.toml", "sha256": "00", "seed": 1,
            "tree": { "packages": 1, "depth": 0, "subpackages": 1, "modules": 1, "lines": 1,
                      "imports": 0, "data-files": 0, "data-size": 0, "prefix": "zb" },
            "workload": "all", "workload_modules": ["zb0"], "reference": "dir-pyc",
            "samples": 15, "warmup": 1, "modes": ["cold"], "timeout_secs": 60,
            "tree_files": 1, "tree_bytes": 1, "generate_s": 0.1
        }],
        "cases": cases
    })
}

/// `results` (from [`synthetic_results`]) as a real run writes it: every sample with its
/// start time (the cases' samples interleaved, one slot each, round by round) and the
/// speed probe's readings around it, `speeds[case][sample]` (ns), so that relative
/// comparison judges it by the gate's own estimator and not by the fallback for files
/// without readings.
pub fn with_timing(mut results: Value, speeds: &[Vec<u64>]) -> Value {
    let cases = results["cases"].as_array_mut().unwrap();
    let k = cases.len() as u64;
    for (j, c) in cases.iter_mut().enumerate() {
        let n = c["samples_ns"].as_array().unwrap().len();
        let starts: Vec<u64> = (0..n as u64)
            .map(|i| 1_700_000_000_000_000 + (i * k + j as u64) * 100_000)
            .collect();
        let readings: Vec<[u64; 2]> = (0..n).map(|i| [speeds[j][i], speeds[j][i]]).collect();
        c["sample_starts_us"] = serde_json::json!(starts);
        c["sample_rounds"] = serde_json::json!((0..n as u32).collect::<Vec<_>>());
        c["sample_slots"] = serde_json::json!(vec![j as u32; n]);
        c["speed_ns"] = serde_json::json!(readings);
    }
    results
}

/// A machine that switches between a fast and a slow state (`slow` times slower, the
/// state drawn per round from a fixed sequence with about `share` of rounds slow),
/// as this project's does: per round, whether it was slow, and the speed probe's
/// reading (1 ms fast, `slow` ms slow).
pub fn two_state(rounds: usize, share: f64, slow: f64, phase: u64) -> (Vec<bool>, Vec<u64>) {
    let states: Vec<bool> = (0..rounds as u64)
        .map(|i| (((i * 7919 + phase * 104_729) % 1000) as f64 / 1000.0) < share)
        .collect();
    let speeds = states
        .iter()
        .map(|&s| if s { (slow * 1e6) as u64 } else { 1_000_000 })
        .collect();
    (states, speeds)
}

/// `n` samples around `center` ns with a deterministic spread of +-`spread` (fraction).
pub fn noisy(center: f64, spread: f64, n: usize, phase: u64) -> Vec<u64> {
    (0..n as u64)
        .map(|i| {
            // A fixed pseudo-random sequence in [-1, 1].
            let x = ((i * 7919 + phase * 104_729) % 1000) as f64 / 500.0 - 1.0;
            (center * (1.0 + spread * x)) as u64
        })
        .collect()
}

/// Writes a JSON value to `dir/name`.
pub fn write_json(dir: &Path, name: &str, v: &Value) -> PathBuf {
    write(dir, name, &serde_json::to_string_pretty(v).unwrap())
}

/// The headless Chromium binary this machine has.
pub fn chromium_path() -> &'static str {
    chromium()
}

fn chromium() -> &'static str {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("headless Chromium is needed for this test: run scripts/test.sh, which installs Debian's chromium")
}

fn chromium_run(page: &Path, width: u32, action: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            action,
        ])
        .arg(format!("--window-size={width},900"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// Loads a page in headless Chromium and returns the `<body ...>` tag after load, where
/// the page's self-check records its chart and resource counts.
pub fn chromium_body(page: &Path) -> String {
    chromium_body_at(page, 1400)
}

/// [`chromium_body`] in a window `width` px wide (900 high).
pub fn chromium_body_at(page: &Path, width: u32) -> String {
    let out = chromium_run(page, width, "--dump-dom");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let start = dom
        .find("<body")
        .unwrap_or_else(|| panic!("no body in the DOM: {dom}"));
    dom[start..start + dom[start..].find('>').unwrap() + 1].to_owned()
}

/// Where screenshots of the pages the tests render are kept (a CI artifact):
/// `target/screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Loads `page` at 1400 and 800 px wide, keeps a screenshot of the first screen of
/// each as `target/screenshots/NAME-WIDTH.png`, and asserts every check of the page's
/// self-check: every chart it calls for rendered, nothing fetched or failed, no two
/// labels of a chart overlap, no legend covers a mark, every axis is named with its
/// unit, no table is clipped without its scroll cue, and the verdict starts on the
/// first screen (1400x900). Returns the body tag at 1400 px.
pub fn check_page(page: &Path, name: &str) -> String {
    let mut wide = String::new();
    for width in [1400, 800] {
        let shot = screenshot_dir().join(format!("{name}-{width}.png"));
        let _ = std::fs::remove_file(&shot);
        chromium_run(page, width, &format!("--screenshot={}", shot.display()));
        assert!(shot.is_file(), "no screenshot of {name} at {width} px");
        let body = chromium_body_at(page, width);
        let expected = data_attr(&body, "charts-expected");
        assert_eq!(
            data_attr(&body, "charts-found"),
            expected,
            "{name} at {width} px: {body}"
        );
        assert_eq!(
            data_attr(&body, "charts-rendered"),
            expected,
            "{name} at {width} px: {body}"
        );
        for (attr, what) in [
            ("resources", "fetched something"),
            ("errors", "had script or resource errors"),
            ("text-overlaps", "has overlapping chart labels"),
            ("legend-overlaps", "has a legend over data"),
            ("unlabelled-axes", "has axes without a name and unit"),
            ("clipped-tables", "clips a table without a scroll cue"),
        ] {
            assert_eq!(
                data_attr(&body, attr),
                "0",
                "{name} at {width} px {what}: {body}"
            );
        }
        if width == 1400 {
            let top: i64 = data_attr(&body, "verdict-top").parse().unwrap();
            // The heading and the first sentences on the first screen.
            assert!(
                (0..600).contains(&top),
                "{name}: the verdict starts at {top} px: {body}"
            );
            wide = body;
        }
    }
    wide
}

/// The value of `data-NAME` in a tag.
pub fn data_attr(tag: &str, name: &str) -> String {
    let key = format!("data-{name}=\"");
    let start = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no data-{name} in {tag}"))
        + key.len();
    tag[start..start + tag[start..].find('"').unwrap()].to_owned()
}

/// The python3 of an installed pyenv version starting with `prefix` (`3.13`), which
/// this project's machine kind has for 3.9 to 3.13.
pub fn pyenv_python(prefix: &str) -> PathBuf {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| {
            let out = std::process::Command::new("pyenv")
                .arg("root")
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")))
        .expect("no pyenv root: this test needs the pyenv Pythons of the machine kind");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
        .unwrap_or_else(|e| panic!("no pyenv versions under {}: {e}", root.display()))
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name == prefix || name.starts_with(&format!("{prefix}."))
        })
        .map(|e| e.path().join("bin/python3"))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .unwrap_or_else(|| panic!("no pyenv Python {prefix} under {}", root.display()))
}

/// The launcher of CPython `version` (`3.14`, `3.15`) that `scripts/pythons.sh`
/// installs from Debian's unstable packages (`scripts/test.sh` runs it first).
pub fn debian_python(version: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/pythons/{version}/python{version}"));
    assert!(
        p.is_file(),
        "no CPython {version} at {}: run scripts/pythons.sh (scripts/test.sh does)",
        p.display()
    );
    p
}

/// The scenario entry of `results` named `name`.
pub fn scenario<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

/// The case of `variant` in `mode` of scenario `name`.
pub fn case_of<'a>(results: &'a Value, name: &str, variant: &str, mode: &str) -> &'a Value {
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["scenario"] == name && c["variant"] == variant && c["mode"] == mode)
        .unwrap_or_else(|| panic!("no case {name}/{variant}/{mode}"))
}

/// The visible text of an HTML page: what a reader sees, without charts (SVG), style
/// sheets or scripts, one block per line.
pub fn html_text(html: &str) -> String {
    let mut text = html.to_owned();
    for tag in ["style", "script", "svg"] {
        while let Some(start) = text.find(&format!("<{tag}")) {
            let close = format!("</{tag}>");
            let end = text[start..]
                .find(&close)
                .map_or(text.len(), |e| start + e + close.len());
            text.replace_range(start..end, "\n");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in text.chars() {
        match (in_tag, ch) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let block = [
                    "p",
                    "div",
                    "tr",
                    "li",
                    "h1",
                    "h2",
                    "h3",
                    "h4",
                    "table",
                    "section",
                    "br",
                    "figcaption",
                    "caption",
                    "summary",
                    "details",
                    "dt",
                    "dd",
                    "ul",
                    "ol",
                    "header",
                    "footer",
                    "figure",
                ];
                if block.contains(&name.as_str()) {
                    out.push('\n');
                } else if (name == "td" || name == "th") && !tag.starts_with('/') {
                    out.push_str(" | ");
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && l != "|")
        .collect::<Vec<_>>()
        .join("\n")
}
