//! `generate`: artifacts are byte-identical run to run, and hold what each importer
//! needs where it looks for it, with consistent member times.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;
use serde_json::Value;

const MATRIX: &str = r#"
[[variants.matrix]]
layout = "dir"
bytecode = ["none", "pyc", "unchecked-hash", "pyc-only"]

[[variants.matrix]]
layout = "zip"
compression = ["stored", "deflate1", "deflate9", "bzip2", "lzma", "xz", "zstd"]
bytecode = ["none", "pyc", "checked-hash", "pyc-only"]

[[variants.matrix]]
layout = "memory"
"#;

fn generate(dir: &Path, scenario: &Path, name: &str) -> Value {
    let out = dir.join(name);
    bin()
        .arg("generate")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

fn hashes(manifest: &Value) -> BTreeMap<String, String> {
    manifest["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_owned(),
                v["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn artifacts_are_byte_identical_across_generations() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "g.toml", &tiny_scenario("g", MATRIX, ""));
    let a = generate(dir.path(), &s, "a");
    let b = generate(dir.path(), &s, "b");
    assert_eq!(hashes(&a).len(), 4 + 7 * 4 + 1);
    assert_eq!(hashes(&a), hashes(&b));
    // Not just the recorded hashes: the files themselves.
    for v in a["variants"].as_array().unwrap() {
        let rel = v["path"].as_str().unwrap();
        if rel.ends_with(".zip") || rel.ends_with(".bundle") {
            let x = std::fs::read(dir.path().join("a").join(rel)).unwrap();
            let y = std::fs::read(dir.path().join("b").join(rel)).unwrap();
            assert!(x == y, "{rel} differs between generations");
            assert_eq!(v["size"].as_u64().unwrap(), x.len() as u64);
        }
    }
    // A different seed gives different artifacts.
    let s2 = write(
        dir.path(),
        "g2.toml",
        &tiny_scenario("g", MATRIX, "").replace("seed = 7", "seed = 8"),
    );
    let c = generate(dir.path(), &s2, "c");
    assert_ne!(hashes(&a)["zip-stored-pyc"], hashes(&c)["zip-stored-pyc"]);
    assert_ne!(hashes(&a)["memory"], hashes(&c)["memory"]);
    assert_eq!(a["workload"].as_array().unwrap().len(), 2 + 2 * 4);
}

#[test]
fn archives_hold_bytecode_beside_sources_with_fixed_times_and_declared_methods() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "z.toml", &tiny_scenario("z", MATRIX, ""));
    let m = generate(dir.path(), &s, "out");
    let root = dir.path().join("out");
    let tag = m["python_cache_tag"].as_str().unwrap().to_owned();

    let expect = [
        ("zip-stored-pyc", zip::CompressionMethod::Stored),
        ("zip-deflate9-pyc", zip::CompressionMethod::Deflated),
        ("zip-bzip2-pyc", zip::CompressionMethod::Bzip2),
        ("zip-xz-pyc", zip::CompressionMethod::Xz),
        ("zip-zstd3-pyc", zip::CompressionMethod::Zstd),
    ];
    for (id, method) in expect {
        let file = std::fs::File::open(root.join(format!("{id}.zip"))).unwrap();
        let mut archive = zip::ZipArchive::new(file).unwrap();
        let names: Vec<String> = archive
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect();
        assert!(names.contains(&"zb0/mod1.py".to_owned()), "{id}: {names:?}");
        assert!(
            names.contains(&"zb0/mod1.pyc".to_owned()),
            "{id}: pyc not beside source"
        );
        assert!(
            names.contains(&"zb0/".to_owned()),
            "{id}: no directory entry"
        );
        assert!(
            !names.iter().any(|n| n.contains("__pycache__")),
            "{id}: __pycache__ in zip"
        );
        for i in 0..archive.len() {
            let f = archive.by_index_raw(i).unwrap();
            let t = f.last_modified().unwrap();
            assert_eq!(
                (
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                ),
                (2020, 1, 1, 0, 0, 0)
            );
            if !f.is_dir() {
                assert_eq!(f.compression(), method, "{id}: {}", f.name().unwrap());
            }
        }
        // The timestamp pyc records the source's size and the member time (UTC).
        let source_len = archive.by_name("zb0/mod1.py").unwrap().size();
        let mut header = [0u8; 16];
        if method == zip::CompressionMethod::Stored || method == zip::CompressionMethod::Deflated {
            std::io::Read::read_exact(&mut archive.by_name("zb0/mod1.pyc").unwrap(), &mut header)
                .unwrap();
            assert_eq!(
                u32::from_le_bytes(header[4..8].try_into().unwrap()),
                0,
                "{id}: flags"
            );
            assert_eq!(
                u32::from_le_bytes(header[8..12].try_into().unwrap()),
                1_577_836_800
            );
            assert_eq!(
                u64::from(u32::from_le_bytes(header[12..16].try_into().unwrap())),
                source_len
            );
        }
    }

    // LZMA is written by Python's zipfile and really is method 14.
    let file = std::fs::File::open(root.join("zip-lzma-pyc.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let header = archive.by_name("zb0/mod1.pyc").unwrap().header_start() as usize;
    let bytes = std::fs::read(root.join("zip-lzma-pyc.zip")).unwrap();
    // Local file header: signature, version, flags, then the method at offset 8.
    assert_eq!(&bytes[header..header + 4], b"PK\x03\x04");
    assert_eq!(
        u16::from_le_bytes([bytes[header + 8], bytes[header + 9]]),
        14
    );

    // pyc-only archives and directories hold no sources.
    let file = std::fs::File::open(root.join("zip-stored-pyc-only.zip")).unwrap();
    let archive = zip::ZipArchive::new(file).unwrap();
    assert!(!archive.file_names().any(|n| n.unwrap().ends_with(".py")));
    assert!(root.join("dir-pyc-only/zb0/mod1.pyc").is_file());
    assert!(!root.join("dir-pyc-only/zb0/mod1.py").exists());

    // Directories: bytecode in __pycache__ under the interpreter's tag, hash flags set,
    // sources stamped with the time the timestamp pycs record.
    assert!(
        root.join(format!("dir-pyc/zb0/__pycache__/mod1.{tag}.pyc"))
            .is_file()
    );
    let hashed =
        std::fs::read(root.join(format!("dir-unchecked-hash/zb0/__pycache__/mod1.{tag}.pyc")))
            .unwrap();
    assert_eq!(u32::from_le_bytes(hashed[4..8].try_into().unwrap()), 1);
    let mtime = std::fs::metadata(root.join("dir-pyc/zb0/mod1.py"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_577_836_800
    );
    assert!(!root.join("dir-none/zb0/__pycache__").exists());
}

#[test]
fn generate_refuses_to_overwrite_a_foreign_directory() {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), "f.toml", &tiny_scenario("f", MATRIX, ""));
    let out = dir.path().join("precious");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("thesis.txt"), "do not delete").unwrap();
    bin()
        .arg("generate")
        .arg(&s)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("exists and is not empty"));
    assert!(out.join("thesis.txt").is_file());
}
