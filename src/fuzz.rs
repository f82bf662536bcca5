//! Mutation fuzzing of every reader of outside input and every renderer of what it
//! read: scenario files; results files, and what `compare` (in every format), `report`
//! (the terminal tables, the Markdown summary and report.html), the compare and history
//! pages and `export` (every format) make of the ones that parse; the journal
//! `--resume` reads; and the archive reader behind archive corpora. Stable Rust has no
//! coverage-guided fuzzer here, so inputs are real files (this repository's scenarios,
//! a real run's results and journal, zips written by the `zip` crate) mutated at random
//! from a fixed seed: bit flips, interesting integers over header fields, inserted,
//! deleted, duplicated and spliced bytes, dictionary tokens, crossovers, and for JSON
//! values changed, emptied and removed in place. An input fails when the reader (or its
//! consumer) panics; each failing input is returned to be kept as a regression test.
//!
//! `cargo run --release --example fuzz` runs 1,000,000 inputs per reader (the nightly
//! job does); `tests/it/fuzz.rs` runs a short campaign of each and replays every input
//! kept under `tests/fuzz-regressions/`. The archive reader behind `doctor` is Python's
//! (`doctor.py`): `scripts/fuzz_doctor.py` fuzzes it the same way.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::Value;

use crate::compare::{CompareOptions, compare};
use crate::results::Results;

/// A reader under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Reader {
    /// `scenario::parse`, and the validation behind it.
    Scenario,
    /// `results::read`; inputs that parse go through `compare` (relative and
    /// absolute, both ways) against the real file, rendered as text, Markdown and
    /// JSON.
    Results,
    /// `results::read`, then `report::render`: the terminal tables and verdict, the
    /// Markdown summary and report.html.
    Report,
    /// `results::read`, then the compare page and the history page against the real
    /// file.
    Pages,
    /// `results::read`, then `export` in every format.
    Export,
    /// The journal `run --resume` reads.
    Journal,
    /// The archive corpus's member reader.
    Archive,
}

impl Reader {
    /// Every reader, in campaign order.
    pub const ALL: [Reader; 7] = [
        Reader::Scenario,
        Reader::Results,
        Reader::Report,
        Reader::Pages,
        Reader::Export,
        Reader::Journal,
        Reader::Archive,
    ];

    /// Whether its inputs are results files.
    fn reads_results(self) -> bool {
        matches!(
            self,
            Reader::Results | Reader::Report | Reader::Pages | Reader::Export
        )
    }

    /// Its name on the command line and in file names.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// An input that made a reader panic.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The input's bytes.
    pub input: Vec<u8>,
    /// The panic message.
    pub message: String,
}

/// What a campaign found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Inputs tried.
    pub inputs: u64,
    /// Inputs the reader accepted (the rest were refused with an error, as they should).
    pub accepted: u64,
    /// Inputs that panicked.
    pub failures: Vec<Failure>,
    /// The slowest input.
    pub slowest: Duration,
    /// The whole campaign.
    pub elapsed: Duration,
}

const SCENARIOS: [&str; 7] = [
    include_str!("../scenarios/default.toml"),
    include_str!("../scenarios/quick.toml"),
    include_str!("../scenarios/fleet.toml"),
    include_str!("../scenarios/scaling.toml"),
    include_str!("../scenarios/stdlib.toml"),
    include_str!("../scenarios/versions.toml"),
    include_str!("../scenarios/lazy.toml"),
];
const RESULTS: &[u8] = include_bytes!("../tests/fixtures/fuzz/results.json");
const JOURNAL: &[u8] = include_bytes!("../tests/fixtures/fuzz/journal.jsonl");

/// Tokens a mutation may splice in, per reader.
fn dictionary(reader: Reader) -> &'static [&'static [u8]] {
    match reader {
        Reader::Scenario => &[
            b"[tree]",
            b"[measure]",
            b"[corpus]",
            b"[workload]",
            b"[[variants.matrix]]",
            b"[[sweep]]",
            b"[fleet]",
            b"samples = ",
            b"modes = [\"cold\", \"warm\", \"cold-disk\"]",
            b"compression = [\"stored\", \"deflate9\", \"zstd\", \"bzip2\"]",
            b"compression = [\"zstd1\", \"zstd22\", \"zstd0\", \"zstd23\"]",
            b"lazy-imports = [\"normal\", \"all\"]",
            b"bytecode = [\"pyc\", \"pyc-only\", \"checked-hash\"]",
            b"kind = \"archive\"",
            b"path = \"/nonexistent\"",
            b"focus = [\"zip-stored-pyc\"]",
            b"9223372036854775807",
            b"-1",
            b"0",
            b"1e308",
            b"nan",
            b"inf",
            b"\"\"",
            b"[]",
            b"{}",
            b"'''",
            b"\"\\u0000\"",
        ],
        Reader::Results | Reader::Report | Reader::Pages | Reader::Export | Reader::Journal => &[
            b"null",
            b"-1",
            b"0",
            b"1e309",
            b"18446744073709551616",
            b"[]",
            b"{}",
            b"\"\"",
            b"true",
            b"\"cold\"",
            b"\"error\"",
            b"\"sample\"",
            b"{\"type\":\"end\"}\n",
            b"\\u0000",
        ],
        Reader::Archive => &[
            b"PK\x03\x04",
            b"PK\x01\x02",
            b"PK\x05\x06",
            b"PK\x06\x06",
            b"PK\x06\x07",
            b"PK\x07\x08",
            b"../",
            b"/",
            b"\0",
            b"\xff\xff\xff\xff",
            b"\x00\x00\x00\x00",
        ],
    }
}

/// The real inputs a reader's mutations start from.
fn seeds(reader: Reader) -> Result<Vec<Vec<u8>>> {
    Ok(match reader {
        Reader::Scenario => SCENARIOS.iter().map(|s| s.as_bytes().to_vec()).collect(),
        Reader::Results | Reader::Report | Reader::Pages | Reader::Export => {
            vec![RESULTS.to_vec()]
        }
        Reader::Journal => vec![JOURNAL.to_vec()],
        Reader::Archive => archives()?,
    })
}

/// Small real archives: stored and deflated members, folders, a prefix, a comment.
fn archives() -> Result<Vec<Vec<u8>>> {
    use zip::write::SimpleFileOptions;
    let mut out = Vec::new();
    for (method, prefix) in [
        (zip::CompressionMethod::Stored, &b""[..]),
        (
            zip::CompressionMethod::Deflated,
            &b"#!/usr/bin/env python3\n"[..],
        ),
    ] {
        let mut buf = std::io::Cursor::new(prefix.to_vec());
        buf.set_position(prefix.len() as u64);
        let mut z = zip::ZipWriter::new(buf);
        let opts = SimpleFileOptions::default().compression_method(method);
        z.add_directory("pkg/", opts)?;
        for (name, text) in [
            ("pkg/__init__.py", "from . import mod\n"),
            ("pkg/mod.py", "X = 1\nY = [i * i for i in range(10)]\n"),
            ("pkg/data.txt", "data data data data\n"),
            ("__main__.py", "import pkg\n"),
        ] {
            z.start_file(name, opts)?;
            z.write_all(text.as_bytes())?;
        }
        z.set_comment("a comment")?;
        out.push(z.finish()?.into_inner());
    }
    Ok(out)
}

struct Mutator {
    rng: ChaCha8Rng,
}

impl Mutator {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.rng.next_u64()) * n as u128) >> 64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.next_u64() as u8).collect()
    }

    /// One to four byte-level mutations of `b`.
    fn mutate(&mut self, mut b: Vec<u8>, dict: &[&[u8]], others: &[Vec<u8>]) -> Vec<u8> {
        const INTERESTING: [u32; 9] = [
            0,
            1,
            0x7f,
            0xff,
            0xffff,
            0x7fff_ffff,
            0xffff_ffff,
            0x8000_0000,
            0x1_0000 - 2,
        ];
        for _ in 0..=self.below(4) {
            let at = self.below(b.len() + 1);
            match self.below(10) {
                0 if !b.is_empty() => {
                    let i = at.min(b.len() - 1);
                    b[i] ^= 1 << self.below(8);
                }
                1 if !b.is_empty() => {
                    let i = at.min(b.len() - 1);
                    b[i] = self.rng.next_u64() as u8;
                }
                2 => {
                    let n = 1 + self.below(8);
                    let ins = self.bytes(n);
                    b.splice(at..at, ins);
                }
                3 => {
                    let end = (at + 1 + self.below(64)).min(b.len());
                    b.drain(at.min(end)..end);
                }
                4 => b.truncate(at),
                5 if b.len() >= 4 => {
                    let v = INTERESTING[self.below(INTERESTING.len())];
                    let i = at.min(b.len() - 4);
                    if self.below(2) == 0 {
                        b[i..i + 4].copy_from_slice(&v.to_le_bytes());
                    } else {
                        b[i..i + 2].copy_from_slice(&(v as u16).to_le_bytes());
                    }
                }
                6 if !b.is_empty() => {
                    let from = self.below(b.len());
                    let end = (from + 1 + self.below(128)).min(b.len());
                    let chunk = b[from..end].to_vec();
                    let to = self.below(b.len() + 1);
                    b.splice(to..to, chunk);
                }
                7 | 8 => {
                    let token = dict[self.below(dict.len())].to_vec();
                    b.splice(at..at, token);
                }
                _ => {
                    // Crossover: the head of this input, the tail of another.
                    let other = &others[self.below(others.len())];
                    let from = self.below(other.len() + 1);
                    b.truncate(at);
                    b.extend_from_slice(&other[from..]);
                }
            }
        }
        b
    }

    /// A JSON value changed in place: a number made extreme, a string emptied, an
    /// array or object emptied, an element or key removed, a value's type changed.
    fn mutate_json(&mut self, v: &mut Value, depth: usize) {
        let pick_child = self.below(4) != 0 && depth < 12;
        match v {
            Value::Array(items) if pick_child && !items.is_empty() => {
                let i = self.below(items.len());
                if self.below(4) == 0 {
                    items.remove(i);
                } else if self.below(8) == 0 {
                    let copy = items[i].clone();
                    items.insert(i, copy);
                } else {
                    self.mutate_json(&mut items[i], depth + 1);
                }
            }
            Value::Object(map) if pick_child && !map.is_empty() => {
                let keys: Vec<String> = map.keys().cloned().collect();
                let k = &keys[self.below(keys.len())];
                if self.below(6) == 0 {
                    map.remove(k);
                } else if let Some(child) = map.get_mut(k) {
                    self.mutate_json(child, depth + 1);
                }
            }
            _ => {
                *v = match self.below(12) {
                    0 => Value::Null,
                    1 => 0.into(),
                    2 => (-1).into(),
                    3 => u64::MAX.into(),
                    4 => i64::MIN.into(),
                    5 => 1e300.into(),
                    6 => 1e-300.into(),
                    7 => "".into(),
                    8 => Value::Array(vec![]),
                    9 => Value::Object(Default::default()),
                    10 => true.into(),
                    _ => (self.rng.next_u64() % 1_000_000_000).into(),
                };
            }
        }
    }

    /// One input for `reader`.
    fn input(&mut self, reader: Reader, seeds: &[Vec<u8>]) -> Vec<u8> {
        let base = seeds[self.below(seeds.len())].clone();
        let dict = dictionary(reader);
        match reader {
            r if r.reads_results() && self.below(2) == 0 => {
                let mut v: Value = serde_json::from_slice(&base).unwrap_or(Value::Null);
                for _ in 0..=self.below(3) {
                    self.mutate_json(&mut v, 0);
                }
                serde_json::to_vec(&v).unwrap_or_default()
            }
            Reader::Journal if self.below(2) == 0 => {
                let text = String::from_utf8_lossy(&base).into_owned();
                let mut lines: Vec<String> = text.lines().map(String::from).collect();
                let i = self.below(lines.len());
                match self.below(4) {
                    0 => {
                        lines.remove(i);
                    }
                    1 => {
                        let copy = lines[i].clone();
                        lines.insert(self.below(lines.len() + 1), copy);
                    }
                    2 => {
                        let j = self.below(lines.len());
                        lines.swap(i, j);
                    }
                    _ => {
                        let mut v: Value = serde_json::from_str(&lines[i]).unwrap_or(Value::Null);
                        self.mutate_json(&mut v, 0);
                        lines[i] = v.to_string();
                    }
                }
                lines.join("\n").into_bytes()
            }
            _ => self.mutate(base, dict, seeds),
        }
    }
}

/// The last panic's message, caught by the campaign's panic hook.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Feeds `input` to `reader` (through `work`, a scratch folder): whether the reader
/// accepted it. Panics are the caller's to catch.
fn feed(reader: Reader, input: &[u8], work: &Path, real: &Results) -> Result<bool> {
    Ok(match reader {
        Reader::Scenario => crate::scenario::parse(Path::new("fuzz.toml"), input).is_ok(),
        r @ (Reader::Results | Reader::Report | Reader::Pages | Reader::Export) => {
            let path = work.join("results.json");
            std::fs::write(&path, input)?;
            match crate::results::read(&path) {
                Err(_) => false,
                Ok(read) => {
                    render(r, real, read);
                    true
                }
            }
        }
        Reader::Journal => {
            let path = work.join("journal.jsonl");
            std::fs::write(&path, input)?;
            crate::results::journal::read(&path).is_ok()
        }
        Reader::Archive => {
            let path = work.join("archive.zip");
            std::fs::write(&path, input)?;
            crate::corpus::read_archive_members(&path).is_ok()
        }
    })
}

/// Feeds one input to `reader` as a campaign would (a kept regression input, say):
/// whether the reader accepted it. A panic propagates.
pub fn replay(reader: Reader, input: &[u8], work: &Path) -> Result<bool> {
    let real: Results = serde_json::from_slice(RESULTS).context("the results seed")?;
    feed(reader, input, work, &real)
}

/// What the renderers of `reader` make of a results file that was read: any error is
/// an answer, a panic is a failure.
fn render(reader: Reader, real: &Results, read: Results) {
    match reader {
        Reader::Results => {
            for relative in [false, true] {
                let opts = CompareOptions {
                    relative,
                    resamples: 50,
                    ..CompareOptions::default()
                };
                for (a, b) in [(real, &read), (&read, real)] {
                    let cmp = compare("a", a, "b", b, opts);
                    let _ = crate::compare::render_text(&cmp);
                    let _ = crate::compare::render_markdown(&cmp);
                    let _ = crate::compare::render_json(&cmp);
                }
            }
        }
        Reader::Report => {
            let _ = crate::report::render(&read);
        }
        Reader::Pages => {
            let opts = CompareOptions {
                resamples: 50,
                ..CompareOptions::default()
            };
            let cmp = compare("a", real, "b", &read, opts);
            let _ = crate::report::compare_html(&cmp, real, &read);
            let _ = crate::report::history_html(
                vec![("a".into(), real.clone()), ("b".into(), read)],
                opts,
            );
        }
        Reader::Export => {
            use crate::export::Format;
            for f in [Format::Bmf, Format::GithubActionBenchmark, Format::Pyperf] {
                let _ = crate::export::export(&read, f);
            }
        }
        _ => {}
    }
}

/// Runs `inputs` mutated inputs through `reader` from `seed`, in the scratch folder
/// `work`; `progress(done)` is called every 10,000 inputs. Panics are caught (and kept
/// quiet) while it runs.
pub fn campaign(
    reader: Reader,
    inputs: u64,
    seed: u64,
    work: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome> {
    let seeds = seeds(reader)?;
    let real: Results = serde_json::from_slice(RESULTS).context("the results seed")?;
    let mut m = Mutator {
        rng: ChaCha8Rng::seed_from_u64(seed ^ (reader as u64).wrapping_mul(0x9e37_79b9)),
    };
    // Panics of this thread are caught quietly; any other thread's (a test running
    // beside the campaign) still reach the hook that was there before.
    let hook: std::sync::Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
        std::panic::take_hook().into();
    let previous = hook.clone();
    let me = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != me {
            previous(info);
        } else if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));
    let started = Instant::now();
    let mut out = Outcome::default();
    let mut error = None;
    for n in 0..inputs {
        let input = m.input(reader, &seeds);
        let t = Instant::now();
        let fed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            feed(reader, &input, work, &real)
        }));
        out.slowest = out.slowest.max(t.elapsed());
        out.inputs += 1;
        match fed {
            Ok(Ok(accepted)) => out.accepted += u64::from(accepted),
            Ok(Err(e)) => {
                error = Some(e);
                break;
            }
            Err(_) => {
                let message = LAST_PANIC
                    .lock()
                    .ok()
                    .and_then(|mut l| l.take())
                    .unwrap_or_else(|| "a panic".into());
                out.failures.push(Failure { input, message });
            }
        }
        if (n + 1).is_multiple_of(10_000) {
            progress(n + 1);
        }
    }
    let _ = std::panic::take_hook(); // drops the campaign's hook and its copy of `hook`
    std::panic::set_hook(Box::new(move |info| hook(info)));
    out.elapsed = started.elapsed();
    match error {
        Some(e) => Err(e.context(format!("fuzzing the {} reader", reader.name()))),
        None => Ok(out),
    }
}
