//! `run --trace`: one profiled import per variant, module by module and phase by phase,
//! in files real tools open (tuna reads and renders the importtime files; speedscope,
//! in headless Chromium, loads the Trace Event files with every span), whose spans nest
//! as imports do and add up to the profiled time, ranked as a real `python -X
//! importtime` of the same artifact ranks the modules; and the report's icicles and
//! difference view.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use serde_json::Value;
use zipimport_bench::measure::trace::ImportTrace;

/// 12 modules in one package importing one another, the workload one module that
/// pulls in the rest through its imports: nested module spans.
const SCENARIO: &str = r#"name = "t"
seed = 11

[tree]
packages = 1
depth = 0
modules = 12
lines = 40
imports = 2

[workload]
modules = ["zb0.mod11"]

[variants]
[[variants.matrix]]
layout = "dir"
bytecode = "pyc"

[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate6"]
bytecode = "pyc"

[measure]
modes = ["cold"]
samples = 3
warmup = 0
"#;

const VARIANTS: [&str; 3] = ["dir-pyc", "zip-stored-pyc", "zip-deflate6-pyc"];

fn traced_run(dir: &Path) -> (PathBuf, Value) {
    let s = write(dir, "t.toml", SCENARIO);
    let results = run_scenario(dir, &s, &["--trace", "--keep-artifacts"]);
    (dir.join("out"), results)
}

/// Module name -> cumulative microseconds, from `-X importtime` text.
fn importtime_cumulative(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("import time:"))
        .filter(|l| !l.contains("self [us]"))
        .map(|l| {
            let parts: Vec<&str> = l.split(" | ").collect();
            (parts[2].trim().to_owned(), parts[1].trim().parse().unwrap())
        })
        .collect()
}

/// The pairs of modules whose cumulative times in `real` differ by at least `factor`,
/// and whether `ours` orders each of them the same way: modules within a few times of
/// each other (a package's `__init__` and a small module) can swap places from one run to
/// the next on a noisy machine, so only orders a run cannot flip are judged.
fn clear_orders(ours: &[f64], real: &[f64], factor: f64) -> Vec<((usize, usize), bool)> {
    let mut out = Vec::new();
    for i in 0..real.len() {
        for j in 0..real.len() {
            if real[j] >= factor * real[i] {
                out.push(((i, j), ours[j] > ours[i]));
            }
        }
    }
    out
}

#[test]
fn every_variant_is_traced_in_files_that_nest_add_up_and_tuna_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (out, results) = traced_run(dir.path());
    for v in VARIANTS {
        let c = case(&results, v, "cold");
        let probe = &c["probe"];
        let trace: ImportTrace = serde_json::from_value(probe["trace"].clone()).unwrap();

        // Every module the import loaded has its span, and the spans nest.
        let modules = trace.modules();
        let tree = modules.iter().filter(|m| m.name.starts_with("zb")).count();
        assert_eq!(tree as u64, probe["modules"].as_u64().unwrap(), "{v}");
        assert!(modules.iter().any(|m| m.depth > 0), "{v}: nothing nests");
        for (start, dur, phase, module, _) in &trace.spans {
            if phase.is_empty() || module.is_empty() {
                continue;
            }
            // A phase span lies inside a span of the module it ran for.
            assert!(
                trace.spans.iter().any(|(s, d, p, m, _)| p.is_empty()
                    && m == module
                    && s <= start
                    && start + dur <= s + d),
                "{v}: {phase} of {module} outside its module"
            );
        }
        // The import is spent inside the modules it imports: the top-level module
        // spans (from their own clock readings, not from the phase accounting) cover
        // nearly all of the profiled wall time, and no more than all of it. A wrapper
        // that stopped recording, or spans that overlapped, would break this.
        let top: u64 = trace
            .spans
            .iter()
            .filter(|(_, _, p, m, depth)| p.is_empty() && !m.is_empty() && *depth == 0)
            .map(|(_, d, ..)| *d)
            .sum();
        let covered = top as f64 / trace.wall_ns as f64;
        assert!(
            (0.9..=1.0 + 1e-9).contains(&covered),
            "{v}: top-level module spans cover {covered:.3} of the profiled import"
        );
        // Each phase agrees with the profiler's own accounting within 1% of it.
        let totals = trace.phase_totals();
        let phases = probe["phases"].as_object().unwrap();
        let profiled: u64 = phases.values().map(|x| x.as_u64().unwrap()).sum();
        let wall = trace.wall_ns as f64;
        assert!(
            ((profiled as f64) - wall).abs() / wall < 0.01,
            "{v}: {profiled} vs {wall}"
        );
        for (name, ns) in phases {
            let from_spans = totals.get(name).copied().unwrap_or(0) as f64;
            let own = ns.as_u64().unwrap() as f64;
            assert!(
                (from_spans - own).abs() / wall < 0.01,
                "{v} {name}: {from_spans} vs {own}"
            );
        }

        // The Trace Event file: one complete event per span, with where it came from.
        let json: Value =
            serde_json::from_slice(&std::fs::read(out.join(format!("traces/t-{v}.json"))).unwrap())
                .unwrap();
        let events = json["traceEvents"].as_array().unwrap();
        let complete = events.iter().filter(|e| e["ph"] == "X").count();
        assert_eq!(
            complete,
            trace.spans.len() + 1,
            "{v}: spans and the import loop"
        );
        assert_eq!(json["otherData"]["variant"], v);
        assert_eq!(json["otherData"]["python"], "3.11.7");

        // The importtime file: tuna reads it into one node per module, and writes its
        // page from it.
        let txt = out.join(format!("traces/t-{v}.importtime.txt"));
        let read = Command::new("python3")
            .args([
                "-c",
                "import sys, tuna\n\
                 def count(n):\n    return 1 + sum(count(c) for c in n.get('children', []))\n\
                 print(count(tuna.read_import_profile(sys.argv[1])) - 1)",
            ])
            .arg(&txt)
            .output()
            .unwrap();
        assert!(
            read.status.success(),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
        let nodes: usize = String::from_utf8_lossy(&read.stdout)
            .trim()
            .parse()
            .unwrap();
        assert_eq!(nodes, modules.len(), "{v}: tuna's tree");
        assert!(
            String::from_utf8_lossy(&read.stderr).trim().is_empty(),
            "tuna warned: {}",
            String::from_utf8_lossy(&read.stderr)
        );
        let page = dir.path().join(format!("tuna-{v}"));
        let status = Command::new("python3")
            .args(["-m", "tuna"])
            .arg(&txt)
            .arg("-o")
            .arg(&page)
            .arg("--no-browser")
            .status()
            .unwrap();
        assert!(status.success());
        assert!(page.join("index.html").is_file());
    }
}

#[test]
fn the_ranking_of_modules_matches_a_real_importtime_run() {
    let dir = tempfile::tempdir().unwrap();
    let (out, results) = traced_run(dir.path());
    let ours = importtime_cumulative(
        &std::fs::read_to_string(out.join("traces/t-dir-pyc.importtime.txt")).unwrap(),
    );
    // The same artifact imported by a plain interpreter under -X importtime.
    let artifact = PathBuf::from(
        case(&results, "dir-pyc", "cold")["artifact"]["path"]
            .as_str()
            .unwrap(),
    );
    let real = Command::new(pyenv_python("3.11.7"))
        .args(["-X", "importtime", "-I", "-c"])
        .arg("import sys; sys.path.insert(0, sys.argv[1]); import zb0.mod11")
        .arg(&artifact)
        .env_clear()
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(
        real.status.success(),
        "{}",
        String::from_utf8_lossy(&real.stderr)
    );
    let real: Vec<(String, u64)> = importtime_cumulative(&String::from_utf8_lossy(&real.stderr))
        .into_iter()
        .filter(|(m, _)| m.starts_with("zb0"))
        .collect();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (m, us) in &ours {
        let r = real
            .iter()
            .find(|(n, _)| n == m)
            .unwrap_or_else(|| panic!("{m} not in the real importtime: {real:?}"));
        a.push(*us as f64);
        b.push(r.1 as f64);
    }
    assert_eq!(ours.len(), real.len(), "{ours:?} vs {real:?}");
    // Every order the real run shows clearly (twice apart or more), ours shows too.
    let orders = clear_orders(&a, &b, 2.0);
    assert!(!orders.is_empty(), "no two modules twice apart: {real:?}");
    assert!(
        orders.iter().all(|(_, same)| *same),
        "{orders:?}: {ours:?} vs {real:?}"
    );
}

/// speedscope from the npm registry (`scripts/test.sh` installs it into
/// `target/npm`), served with the trace files by a local HTTP server: it fetches
/// profiles, which a `file://` page may not.
fn speedscope() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/npm/node_modules/speedscope/dist/release/index.html");
    assert!(
        p.is_file(),
        "no speedscope at {}: run scripts/test.sh (npm install --prefix target/npm speedscope)",
        p.display()
    );
    p
}

/// A local HTTP server for `root` on a free port; killed on drop.
struct Server(std::process::Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(root: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed and reaped on drop, whether or not it came up.
    let server = Server(child, port);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the HTTP server did not start");
}

#[test]
fn speedscope_loads_every_trace_with_every_span() {
    let release = speedscope().parent().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = traced_run(dir.path());
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::os::unix::fs::symlink(&release, site.join("speedscope")).unwrap();
    std::os::unix::fs::symlink(out.join("traces"), site.join("traces")).unwrap();
    let server = serve(&site);
    for v in VARIANTS {
        let name = format!("t-{v}.json");
        let json: Value =
            serde_json::from_slice(&std::fs::read(out.join("traces").join(&name)).unwrap())
                .unwrap();
        // speedscope makes one frame of every distinct name and arguments.
        let mut frames: Vec<String> = json["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| format!("{} {}", e["name"], e["args"]))
            .collect();
        frames.sort();
        frames.dedup();
        let url = format!(
            "http://127.0.0.1:{}/speedscope/index.html#profileURL=http://127.0.0.1:{}/traces/{name}&title={v}&view=sandwich",
            server.1, server.1
        );
        // The sandwich view renders after the profile is fetched and parsed; on a busy
        // machine that can take longer than a first budget of virtual time allows.
        let mut rows = 0;
        for budget in [5_000, 10_000, 20_000, 40_000] {
            let profile = tempfile::tempdir().unwrap();
            let dom = Command::new(chromium_path())
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    // The sandwich view lists only the rows in its window.
                    "--window-size=1200,12000",
                    "--dump-dom",
                ])
                .arg(format!("--virtual-time-budget={budget}"))
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .arg(&url)
                .output()
                .unwrap();
            let dom = String::from_utf8_lossy(&dom.stdout);
            assert!(
                !dom.contains("Something went wrong") && !dom.contains("Unrecognized format"),
                "{v}: speedscope failed: {dom}"
            );
            // Each frame is a row of the sandwich table, named with its arguments.
            rows = dom.matches("{&quot;depth&quot;").count()
                + dom.matches("{\"depth\"").count()
                + dom.matches(">import loop {}<").count();
            // A partly drawn table (a busy machine) is tried again with more time.
            if rows == frames.len() {
                assert!(
                    dom.contains(&format!("<title>{v} - speedscope</title>")),
                    "{v}: {dom}"
                );
                break;
            }
        }
        assert_eq!(rows, frames.len(), "{v}: speedscope's rows");
    }
}

#[test]
fn the_report_draws_icicles_and_the_difference_and_passes_every_geometric_check() {
    let dir = tempfile::tempdir().unwrap();
    let (out, results) = traced_run(dir.path());
    let page = out.join("report.html");
    check_page(&page, "trace-report");
    let html = std::fs::read_to_string(&page).unwrap();
    // The reference and the best and worst zip with bytecode, each with its icicle.
    for v in VARIANTS {
        assert!(
            html.contains(&format!("{v} (reference): one import"))
                || html.contains(&format!("{v} (best zip with bytecode): one import"))
                || html.contains(&format!("{v} (worst zip with bytecode): one import")),
            "no icicle of {v}"
        );
    }
    // The difference view: its sentence is a finding too, and its phases add up to the
    // whole difference.
    let stored = case(&results, "zip-stored-pyc", "cold");
    let reference = case(&results, "dir-pyc", "cold");
    let wall = |c: &Value| c["probe"]["trace"]["wall_ns"].as_i64().unwrap();
    let extra = wall(stored) - wall(reference);
    // One profiled import each of a 12-module tree: on a busy machine the zip's can be
    // the faster one, and the finding then says so instead of attributing an extra.
    let quoted = if extra > 0 {
        "Of zip-stored-pyc&#x27;s extra"
    } else {
        "zip-stored-pyc&#x27;s profiled import took no longer than dir-pyc&#x27;s"
    };
    let findings: Vec<String> = html
        .split("<li")
        .filter(|l| l.contains(quoted) || l.contains(&quoted.replace("&#x27;", "'")))
        .map(str::to_owned)
        .collect();
    assert!(
        !findings.is_empty(),
        "no finding quotes the difference of {extra} ns ({quoted})"
    );
    assert!(html.contains("Where zip-stored-pyc spends more than dir-pyc"));
    let trace =
        |c: &Value| -> ImportTrace { serde_json::from_value(c["probe"]["trace"].clone()).unwrap() };
    let (z, r) = (
        trace(stored).phase_totals(),
        trace(reference).phase_totals(),
    );
    let by_phase: i64 = z
        .keys()
        .chain(r.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|k| z.get(k).copied().unwrap_or(0) as i64 - r.get(k).copied().unwrap_or(0) as i64)
        .sum();
    assert_eq!(by_phase, extra);
}

#[test]
fn external_pythons_are_traced_where_the_profiler_runs() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "t.toml", SCENARIO);
    let (py13, py39) = (pyenv_python("3.13"), pyenv_python("3.9"));
    let results = run_scenario(
        dir.path(),
        &s,
        &[
            "--trace",
            "--python",
            py13.to_str().unwrap(),
            "--python",
            py39.to_str().unwrap(),
        ],
    );
    let traces = dir.path().join("out/traces");
    let v13 = scenario(&results, "t-py3.13.0")["python"]["version_short"]
        .as_str()
        .unwrap()
        .to_owned();
    for v in VARIANTS {
        let txt = traces.join(format!("t-py{v13}-{v}.importtime.txt"));
        let text = std::fs::read_to_string(&txt).unwrap();
        assert!(
            text.starts_with(&format!(
                "# zipimport-bench trace of t-py{v13} {v} under Python {v13}"
            )),
            "{text}"
        );
        let loaded = case_of(&results, &format!("t-py{v13}"), v, "cold")["probe"]["modules"]
            .as_u64()
            .unwrap();
        // Every tree module, and what the import pulled in besides (zlib for deflate).
        let tree = importtime_cumulative(&text)
            .iter()
            .filter(|(m, _)| m.starts_with("zb"))
            .count();
        assert_eq!(tree as u64, loaded, "{text}");
        assert!(text.contains("| zb0.mod11\n"), "{text}");
        assert!(traces.join(format!("t-py{v13}-{v}.json")).is_file());
    }
    // 3.9's zipimporter lacks what the profiler wraps: no trace, rather than an empty one.
    let v9 = scenario(&results, "t-py3.9.18")["python"]["version_short"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!traces.join(format!("t-py{v9}-dir-pyc.json")).exists());
}
