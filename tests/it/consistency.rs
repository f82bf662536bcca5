//! Every output of one results file says the same thing: the terminal, `summary.md`
//! and `report.html` list the same cases in the same order with the same ratios and
//! intervals; every ratio a verdict or finding sentence quotes is the one the tables
//! imply for the cases it names; over-the-floor figures agree with the ratio column;
//! and one output command analyses its results once.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use zipimport_bench::report;
use zipimport_bench::results::{self, Results};

fn fixture(name: &str) -> Results {
    results::read(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

const FIXTURES: [&str; 4] = [
    "default-results.json",
    "default-2026-12-03.json",
    "quick-a.json",
    "quick-b.json",
];

/// A headline row as an output prints it: the variant and every ratio-like figure in
/// it (`1.16x`, `[1.08, 1.26]`, `exact`), in order.
type Rows = Vec<(String, Vec<String>)>;

fn figures(cells: &str) -> Vec<String> {
    let re = Regex::new(r"\d+\.\d+x|\[\d+\.\d+, \d+\.\d+\]( \d+%)?|\bexact\b|\bfloor\b").unwrap();
    re.find_iter(cells).map(|m| m.as_str().to_owned()).collect()
}

/// The terminal's headline tables: per `scenario / mode`, its rows.
fn terminal_tables(text: &str) -> BTreeMap<String, Rows> {
    let head = Regex::new(r"^(\S+) / (cold|warm|cold-disk): ").unwrap();
    let mut out: BTreeMap<String, Rows> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(c) = head.captures(line) {
            current = Some(format!("{}/{}", &c[1], &c[2]));
            out.entry(current.clone().unwrap()).or_default();
            continue;
        }
        let Some(key) = &current else { continue };
        if line.is_empty() || !line.starts_with("  ") {
            current = None;
            continue;
        }
        let body = line.trim_start();
        let first = body.split_whitespace().next().unwrap_or_default();
        if ["variant", "machine:", "warning:"].contains(&first) {
            continue;
        }
        let rest = &body[first.len()..];
        out.get_mut(key)
            .unwrap()
            .push((first.to_owned(), figures(rest)));
    }
    out
}

/// summary.md's or report.html's text's tables: per heading, its `| ... |` rows.
fn pipe_tables(text: &str, heading: &Regex) -> BTreeMap<String, Rows> {
    let mut out: BTreeMap<String, Rows> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(c) = heading.captures(line) {
            let scenario = c.name("s").map_or("", |m| m.as_str());
            current = Some(format!("{scenario}/{}", &c["m"]));
            out.entry(current.clone().unwrap()).or_default();
            continue;
        }
        let Some(key) = &current else { continue };
        if !line.starts_with('|') {
            if !out[key].is_empty() {
                current = None;
            }
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let variant = cells[0].replace('\\', "");
        if variant == "variant" || variant.starts_with("---") {
            continue;
        }
        let rest = cells[1..].join(" | ").replace('\\', "");
        out.get_mut(key).unwrap().push((variant, figures(&rest)));
    }
    out
}

#[test]
fn the_terminal_summary_and_page_list_the_same_cases_in_the_same_order_with_the_same_ratios() {
    let markdown_heading = Regex::new(r"^### (?P<s>\S+) / (?P<m>cold|warm|cold-disk): ").unwrap();
    let page_heading = Regex::new(r"^Against \S+, (?P<m>cold|warm|cold-disk)$").unwrap();
    for name in FIXTURES {
        let r = fixture(name);
        let rendered = report::render(&r).unwrap();
        let terminal = terminal_tables(&rendered.tables);
        let markdown = pipe_tables(&rendered.markdown, &markdown_heading);
        let page = pipe_tables(&crate::common::html_text(&rendered.html), &page_heading);
        assert!(!terminal.is_empty(), "{name}: no terminal table");
        assert_eq!(terminal, markdown, "{name}: terminal and summary.md differ");
        // The page heads its tables by mode only; one scenario per fixture.
        let by_mode = |t: &BTreeMap<String, Rows>| -> Vec<(String, Rows)> {
            t.iter()
                .map(|(k, v)| (k.rsplit('/').next().unwrap().to_owned(), v.clone()))
                .collect()
        };
        assert_eq!(
            by_mode(&terminal),
            by_mode(&page),
            "{name}: terminal and report.html differ"
        );
        for (key, rows) in &terminal {
            assert!(rows.len() > 3, "{name} {key}: {rows:?}");
        }
    }
}

/// A table's ratio and interval per variant, from the terminal's rendering: (ratio,
/// low, high), the reference (1, 1, 1), and over the floor when the table has it.
struct Figures {
    ratio: (f64, f64, f64),
    floor: Option<(f64, f64, f64)>,
}

fn parse_ratio(s: &str) -> f64 {
    s.trim_end_matches('x').parse().unwrap()
}

fn parse_interval(s: &str) -> (f64, f64) {
    let inner = s.trim_start_matches('[').split(']').next().unwrap();
    let (a, b) = inner
        .split_once(", ")
        .unwrap_or_else(|| panic!("not an interval: {s:?}"));
    (a.parse().unwrap(), b.parse().unwrap())
}

fn table_figures(rows: &Rows) -> BTreeMap<String, Figures> {
    let mut out = BTreeMap::new();
    // The floor's columns follow the ratio's only in tables that measured the floor.
    let has_floor = rows.iter().any(|(_, f)| f.iter().any(|x| x == "floor"));
    for (variant, f) in rows {
        if f.len() < 2 {
            continue;
        }
        let ratio = parse_ratio(&f[0]);
        let (lo, hi) = if f[1] == "exact" {
            (ratio, ratio)
        } else {
            parse_interval(&f[1])
        };
        let floor = match f.get(2).map(String::as_str) {
            Some(x) if has_floor && x.ends_with('x') => {
                let (flo, fhi) = parse_interval(&f[3]);
                Some((parse_ratio(x), flo, fhi))
            }
            _ => None,
        };
        out.insert(
            variant.clone(),
            Figures {
                ratio: (ratio, lo, hi),
                floor,
            },
        );
    }
    out
}

/// The range `b / a` can take when both were printed to two decimals (`unit`: the
/// rounding step of each).
fn quotient_range(b: f64, a: f64, unit: f64) -> (f64, f64) {
    let h = unit / 2.0;
    ((b - h) / (a + h), (b + h) / (a - h).max(1e-9))
}

/// Whether `quoted` (ratio, low, high) is what the table says of `b` against `a`: the
/// quotient of their ratios (within the rounding of the printed figures) and inside
/// the widest interval the two rows' intervals allow.
fn agrees(quoted: (f64, f64, f64), a: (f64, f64, f64), b: (f64, f64, f64)) -> bool {
    let (lo, hi) = quotient_range(b.0, a.0, 0.01);
    let close = quoted.0 >= lo - 0.005 && quoted.0 <= hi + 0.005;
    let (wide_lo, _) = quotient_range(b.1, a.2, 0.01);
    let (_, wide_hi) = quotient_range(b.2, a.1, 0.01);
    let inside = quoted.0 >= wide_lo - 0.005 && quoted.0 <= wide_hi + 0.005;
    close && inside
}

#[test]
fn every_ratio_a_sentence_quotes_is_the_one_its_tables_imply_and_over_the_floor_agrees() {
    let times = Regex::new(r"(\d+\.\d+)x \((?:95% )?interval (\d+\.\d+)-(\d+\.\d+)").unwrap();
    let change = Regex::new(
        r"(\d+)% (slower|faster) than [^(]*\((?:95% )?interval ([+-]\d+)% to ([+-]\d+)%",
    )
    .unwrap();
    let not_measurable = Regex::new(
        r"not measurably differently from [^(]*\((?:95% )?interval ([+-]\d+)% to ([+-]\d+)%",
    )
    .unwrap();
    let mut checked = 0;
    for name in FIXTURES {
        let r = fixture(name);
        let index = report::CaseIndex::new(&r);
        let model = report::RunReport::build(&r, &index);
        let rendered = report::render(&r).unwrap();
        let tables = terminal_tables(&rendered.tables);
        let sentences: Vec<(String, String)> = model
            .verdicts
            .iter()
            .flat_map(|v| {
                v.sentences
                    .iter()
                    .map(move |s| (v.scenario.clone(), s.clone()))
            })
            .chain(
                model
                    .findings
                    .iter()
                    .map(|f| (f.scenario.clone(), f.text.clone())),
            )
            .collect();
        for (scenario, sentence) in &sentences {
            let Some(s) = model.scenario(scenario) else {
                continue;
            };
            let reference = s.info.reference.id();
            let modes: Vec<BTreeMap<String, Figures>> = tables
                .iter()
                .filter(|(k, _)| k.starts_with(&format!("{scenario}/")))
                .map(|(_, rows)| table_figures(rows))
                .collect();
            // The variants the sentence names, the reference always, the floor when
            // it speaks of the floor.
            let named = |t: &BTreeMap<String, Figures>| -> Vec<String> {
                let mut v: Vec<String> = t
                    .keys()
                    .filter(|k| {
                        Regex::new(&format!(r"(^|[^\w-]){}([^\w-]|$)", regex::escape(k)))
                            .unwrap()
                            .is_match(sentence)
                    })
                    .cloned()
                    .collect();
                v.push(reference.clone());
                if sentence.contains("floor") {
                    v.push("memory".into());
                }
                v
            };
            let implied = |quoted: (f64, f64, f64)| -> bool {
                modes.iter().any(|t| {
                    let names = named(t);
                    names.iter().any(|a| {
                        names.iter().any(|b| {
                            let (Some(fa), Some(fb)) = (t.get(a), t.get(b)) else {
                                return false;
                            };
                            agrees(quoted, fa.ratio, fb.ratio)
                                || (a == "memory"
                                    && fb.floor.is_some_and(|f| agrees(quoted, (1.0, 1.0, 1.0), f)))
                        })
                    })
                })
            };
            for c in times.captures_iter(sentence) {
                let q: (f64, f64, f64) = (
                    c[1].parse().unwrap(),
                    c[2].parse().unwrap(),
                    c[3].parse().unwrap(),
                );
                // Instruction counts and profiled traces are not in the wall-time tables.
                if sentence.contains("In instructions")
                    && sentence.find(&c[0]) > sentence.find("In instructions")
                {
                    continue;
                }
                assert!(
                    implied(q),
                    "{name}: {sentence:?} quotes {q:?}, which no pair of the cases it names gives in its tables"
                );
                checked += 1;
            }
            for c in change.captures_iter(sentence) {
                let p: f64 = c[1].parse::<f64>().unwrap() / 100.0;
                let point = if &c[2] == "slower" { 1.0 + p } else { 1.0 - p };
                let lo = 1.0 + c[3].parse::<f64>().unwrap() / 100.0;
                let hi = 1.0 + c[4].parse::<f64>().unwrap() / 100.0;
                // Percentages are rounded to the unit: widen the match accordingly.
                let ok = modes.iter().any(|t| {
                    let names = named(t);
                    names.iter().any(|a| {
                        names.iter().any(|b| {
                            let (Some(fa), Some(fb)) = (t.get(a), t.get(b)) else {
                                return false;
                            };
                            let (qlo, qhi) = quotient_range(fb.ratio.0, fa.ratio.0, 0.01);
                            point >= qlo - 0.006
                                && point <= qhi + 0.006
                                && qhi >= lo - 0.006
                                && qlo <= hi + 0.006
                        })
                    })
                });
                assert!(
                    ok,
                    "{name}: {sentence:?}: {point} [{lo}, {hi}] is no pair's quotient in its tables"
                );
                checked += 1;
            }
            for c in not_measurable.captures_iter(sentence) {
                let lo: f64 = c[1].parse().unwrap();
                let hi: f64 = c[2].parse().unwrap();
                assert!(
                    lo <= 0.0 && hi >= 0.0,
                    "{name}: {sentence:?} says not measurable of an interval without 1"
                );
                checked += 1;
            }
        }
        over_the_floor_agrees(name, &tables);
    }
    assert!(checked > 40, "only {checked} quoted figures were checked");
}

/// Over the floor: each row's figure is its ratio over the floor's, inside its own
/// interval.
fn over_the_floor_agrees(name: &str, tables: &BTreeMap<String, Rows>) {
    for (key, rows) in tables {
        let t = table_figures(rows);
        let Some(floor) = t.get("memory") else {
            continue;
        };
        for (v, f) in &t {
            if let Some(over) = f.floor {
                let (lo, hi) = quotient_range(f.ratio.0, floor.ratio.0, 0.01);
                assert!(
                    over.0 >= lo - 0.005 && over.0 <= hi + 0.005,
                    "{name} {key} {v}: over the floor {} but ratio {} over the floor's {}",
                    over.0,
                    f.ratio.0,
                    floor.ratio.0
                );
                assert!(
                    over.1 <= over.0 && over.0 <= over.2,
                    "{name} {key} {v}: {over:?}"
                );
            }
        }
    }
}

/// Every `N.NNx` in `text` that is not followed by its interval: the next thing on its
/// line (past spaces and a table's `|`) must be an interval (`[a, b]`, `(95% interval
/// a-b)`, `(interval a-b, N% coverage ...)`, `(span of the counts ...)`) or `exact`.
/// The machine's two speed states ("1.28x apart") describe the machine, not a
/// comparison of cases, and are not held to it.
fn bare_ratios(text: &str) -> Vec<String> {
    let ratio = Regex::new(r"\b\d+\.\d+x\b").unwrap();
    let mut out = Vec::new();
    for line in text.lines() {
        for m in ratio.find_iter(line) {
            let rest = line[m.end()..].trim_start();
            let rest = rest
                .trim_start_matches('|')
                .trim_start()
                .trim_start_matches('\\');
            let with_interval = [
                "[",
                "(95% interval",
                "(interval",
                "(span of the counts",
                "exact",
            ]
            .iter()
            .any(|p| rest.starts_with(p));
            if !with_interval && !rest.starts_with("apart") {
                out.push(format!("{} in: {line}", m.as_str()));
            }
        }
    }
    out
}

#[test]
fn no_output_prints_a_ratio_without_its_interval() {
    for name in FIXTURES {
        let r = fixture(name);
        let rendered = report::render(&r).unwrap();
        for (output, text) in [
            (
                "terminal",
                format!("{}{}", rendered.tables, rendered.verdict),
            ),
            ("summary.md", rendered.markdown.clone()),
            ("report.html", crate::common::html_text(&rendered.html)),
        ] {
            let bare = bare_ratios(&text);
            assert!(bare.is_empty(), "{name}, {output}:\n{}", bare.join("\n"));
        }
    }
    // compare, in every format, of two real runs.
    let (a, b) = (fixture("quick-a.json"), fixture("quick-b.json"));
    for relative in [true, false] {
        let opts = zipimport_bench::compare::CompareOptions {
            relative,
            ..Default::default()
        };
        let cmp = zipimport_bench::compare::compare("a", &a, "b", &b, opts);
        for text in [
            zipimport_bench::compare::render_text(&cmp),
            zipimport_bench::compare::render_markdown(&cmp),
            crate::common::html_text(&report::compare_html(&cmp, &a, &b).unwrap()),
        ] {
            let bare = bare_ratios(&text);
            assert!(bare.is_empty(), "compare:\n{}", bare.join("\n"));
        }
    }
}

#[test]
fn doctor_prints_its_measured_ratios_with_their_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(app.join("pkg")).unwrap();
    let mut main = String::from("import pkg\n");
    for i in 0..12 {
        std::fs::write(
            app.join(format!("pkg/m{i}.py")),
            format!("import json\nX = [i * {i} for i in range(100)]\n"),
        )
        .unwrap();
        main.push_str(&format!("import pkg.m{i}\n"));
    }
    std::fs::write(app.join("pkg/__init__.py"), "").unwrap();
    std::fs::write(app.join("__main__.py"), main).unwrap();
    let archive = dir.path().join("app.pyz");
    let made = std::process::Command::new("python3")
        .args(["-m", "zipapp"])
        .arg(&app)
        .arg("-o")
        .arg(&archive)
        .status()
        .unwrap();
    assert!(made.success());
    let out = crate::common::bin()
        .arg("doctor")
        .arg(&archive)
        .args(["--measure", "8", "--no-progress"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("as shipped"), "{text}");
    let ratios = Regex::new(r"\b\d+\.\d+x\b")
        .unwrap()
        .find_iter(&text)
        .count();
    assert!(ratios >= 3, "{text}");
    let bare = bare_ratios(&text);
    assert!(bare.is_empty(), "{}", bare.join("\n"));
}

#[test]
fn an_output_command_analyses_its_results_once() {
    let r = fixture("default-2026-12-03.json");
    let dir = tempfile::tempdir().unwrap();
    let before = report::analysis::builds();
    let rendered = report::write_reports(&r, dir.path()).unwrap();
    assert_eq!(report::analysis::builds() - before, 1);
    assert!(rendered.tables.contains("default / cold"));
    assert!(dir.path().join("report.html").is_file());
    assert!(dir.path().join("summary.md").is_file());
}
