//! `cargo bench --bench generate`: the harness's own speed at making artifacts, on a
//! 1,000-module tree (10 packages of 100 modules of 40 lines): generating the sources,
//! compiling them with the embedded interpreter, and packaging one variant of each kind.
//! `zipimport-bench run` prints the same stages' total per scenario ("generated N
//! modules and packaged V variants in S s"); this bench isolates them.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use zipimport_bench::generate::generate;
use zipimport_bench::package::{self, compile};
use zipimport_bench::scenario::{Bytecode, Compression, Layout, TreeSpec, Variant};

fn spec() -> TreeSpec {
    TreeSpec {
        packages: 10,
        depth: 0,
        subpackages: 1,
        modules: 100,
        lines: 40,
        imports: 2,
        data_files: 0,
        data_size: 0,
        prefix: "zb".into(),
        filler: 0,
    }
}

fn stages(c: &mut Criterion) {
    let spec = spec();
    let modules = spec.module_count() + spec.package_count();
    let mut g = c.benchmark_group("generate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(modules));
    g.bench_function("sources", |b| b.iter(|| generate(&spec, 7)));
    let tree = generate(&spec, 7);
    g.bench_function("compile", |b| b.iter(|| compile(&tree).expect("compiles")));
    let compiled = compile(&tree).expect("compiles");
    let variants = [
        ("dir-pyc", Layout::Dir, None),
        ("zip-stored-pyc", Layout::Zip, Some(Compression::Stored)),
        (
            "zip-deflate6-pyc",
            Layout::Zip,
            Some(Compression::Deflate(6)),
        ),
        ("zip-bzip2-pyc", Layout::Zip, Some(Compression::Bzip2)),
        ("zip-lzma-pyc", Layout::Zip, Some(Compression::Lzma)),
    ];
    for (name, layout, compression) in variants {
        let v = Variant {
            layout,
            compression,
            bytecode: Bytecode::Pyc,
        };
        g.bench_with_input(BenchmarkId::new("package", name), &v, |b, v| {
            b.iter_batched(
                || tempfile::tempdir().expect("temporary directory"),
                |dir| {
                    package::package(v, &tree, &compiled, dir.path()).expect("packages");
                    dir
                },
                criterion::BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
