//! Property tests: the scenario parser and validator, and the results reader, never
//! panic, whatever bytes they are given; what the validator accepts is within the
//! documented limits. `PROPTEST_CASES=100000 cargo test --release --test it fuzz::` runs a
//! longer campaign.

use std::path::Path;

use proptest::prelude::*;
use zipimport_bench::scenario::{self, LIMITS};

const VALID: &str = include_str!("../../scenarios/default.toml");
const QUICK: &str = include_str!("../../scenarios/quick.toml");

/// Keys and values a mutation may splice in.
const KEYS: &[&str] = &[
    "packages",
    "depth",
    "subpackages",
    "modules",
    "lines",
    "imports",
    "data-files",
    "data-size",
    "prefix",
    "samples",
    "warmup",
    "timeout-secs",
    "modes",
    "layout",
    "compression",
    "bytecode",
    "reference",
    "import",
    "seed",
    "name",
    "[tree]",
    "[[variants.matrix]]",
    "[measure]",
];
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "9999999999999",
    "-9223372036854775808",
    "1e9",
    "\"\"",
    "\"class\"",
    "\"deflate0\"",
    "\"deflate10\"",
    "[\"zip\", \"dir\"]",
    "[]",
    "true",
    "{}",
    "\"\u{0}\"",
    "\"zb0.mod9999\"",
    "\"leaf\"",
    "inf",
    "nan",
    "'''",
];

fn check(text: &str) {
    if let Ok(s) = scenario::parse(Path::new("fuzz.toml"), text.as_bytes()) {
        let l = &LIMITS;
        assert!(s.tree.package_count() <= l.total_packages);
        assert!(s.tree.module_count() <= l.total_modules);
        assert!(l.samples.contains(&i64::from(s.measure.samples)));
        assert!(!s.variants.is_empty());
        assert!(s.variants.contains(&s.reference));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn scenario_parser_never_panics_on_arbitrary_text(text in ".{0,400}") {
        check(&text);
    }

    #[test]
    fn scenario_parser_never_panics_on_mutated_scenarios(
        base in prop::sample::select(vec![VALID, QUICK]),
        cut in 0usize..4000,
        line in 0usize..60,
        key in prop::sample::select(KEYS.to_vec()),
        value in prop::sample::select(VALUES.to_vec()),
        bytes in prop::collection::vec(any::<u8>(), 0..8),
        op in 0u8..5,
    ) {
        let lines: Vec<&str> = base.lines().collect();
        let i = line % lines.len();
        let mutated = match op {
            0 => base[..base.len().min(cut)].to_owned(),
            1 => { let mut l = lines.clone(); l.remove(i); l.join("\n") }
            2 => { let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect(); l[i] = format!("{key} = {value}"); l.join("\n") }
            3 => { let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect(); l.insert(i, format!("{key} = {value}")); l.join("\n") }
            _ => { let mut b = base.as_bytes().to_vec(); let at = cut % b.len(); b.splice(at..at, bytes); String::from_utf8_lossy(&b).into_owned() }
        };
        // Bytes that are not UTF-8 must be an error too, not a panic.
        let _ = scenario::parse(Path::new("fuzz.toml"), mutated.as_bytes());
        check(&mutated);
    }

    #[test]
    fn results_reader_never_panics(
        cut in 0usize..20000,
        noise in prop::collection::vec(any::<u8>(), 0..64),
        op in 0u8..3,
    ) {
        let valid = results_fixture();
        let text = match op {
            0 => valid[..valid.len().min(cut)].to_vec(),
            1 => { let mut b = valid.clone(); let at = cut % b.len(); b.splice(at..at, noise); b }
            _ => noise,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, &text).unwrap();
        let _ = zipimport_bench::results::read(&path);
    }
}

/// A real results file's bytes, made once per process by measuring nothing: a
/// hand-built minimal results value serialised by the crate's own types.
fn results_fixture() -> Vec<u8> {
    use std::sync::OnceLock;
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES
        .get_or_init(|| {
            let text = r#"{"schema_version":1,"metadata":{"started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:00:01Z","duration_s":1.0,"harness":{"version":"0.1.0","git_commit":null,"profile":"release"},"host":{"hostname":"h","cpu_model":"c","cores":2,"os":"o","kernel":"k","arch":"x86_64"},"python":{"version":"3.11.7","version_short":"3.11.7","implementation":"cpython","cache_tag":"cpython-311","magic":"a70d0d0a","executable":"/p","prefix":"/p","compiler":"gcc","build":"b"},"command_line":[],"complete":true},"scenarios":[],"cases":[{"scenario":"s","variant":"dir-pyc","layout":"dir","compression":null,"level":null,"bytecode":"pyc","mode":"cold","status":"ok","error":null,"samples_ns":[1,2,3],"cpu_samples_ns":[1,2,3],"summary":null,"startup_ns":[],"startup":null,"ratio_to_reference":null,"artifact":{"path":"/x","size":1,"entries":1,"sha256":"ab"},"probe":null,"warnings":[]}]}"#;
            let r: zipimport_bench::results::Results = serde_json::from_str(text).expect("fixture matches the schema");
            serde_json::to_vec_pretty(&r).unwrap()
        })
        .clone()
}

/// A short campaign of every reader (`cargo run --release --example fuzz` runs
/// 1,000,000 inputs of each): no input may panic.
#[test]
fn every_reader_survives_a_short_mutation_campaign() {
    use zipimport_bench::fuzz::{Reader, campaign};
    let work = tempfile::tempdir().unwrap();
    for reader in Reader::ALL {
        let inputs = match reader {
            Reader::Scenario => 20_000,
            _ => 1_000,
        };
        let out = campaign(reader, inputs, 2026, work.path(), &mut |_| {}).unwrap();
        assert_eq!(out.inputs, inputs);
        let first = out.failures.first().map(|f| f.message.clone());
        assert!(out.failures.is_empty(), "{}: {first:?}", reader.name());
        // The mutations reach past the first check: some inputs are accepted, most not.
        assert!(out.accepted > 0, "{}", reader.name());
        assert!(out.accepted < out.inputs, "{}", reader.name());
    }
}

/// Every input kept under `tests/fuzz-regressions/<reader>/` (inputs that once made a
/// reader panic, and hand-made hostile ones) is read without a panic.
#[test]
fn kept_inputs_are_read_without_a_panic() {
    use zipimport_bench::fuzz::Reader;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let work = tempfile::tempdir().unwrap();
    let mut replayed = 0;
    for reader in ["scenario", "results", "journal", "archive"] {
        let dir = root.join(reader);
        // Every reader has kept inputs: a folder gone missing is a failure, not a reader
        // quietly left out.
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!(
                "no kept inputs for the {reader} reader: {}: {e}",
                dir.display()
            )
        });
        let before = replayed;
        let readers: &[Reader] = match reader {
            "scenario" => &[Reader::Scenario],
            "results" => &[
                Reader::Results,
                Reader::Report,
                Reader::Pages,
                Reader::Export,
            ],
            "journal" => &[Reader::Journal],
            _ => &[Reader::Archive],
        };
        for e in entries {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            for &r in readers {
                zipimport_bench::fuzz::replay(r, &bytes, work.path()).unwrap();
            }
            replayed += 1;
        }
        assert!(replayed > before, "{} holds no input", dir.display());
    }
}
