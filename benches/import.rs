//! `cargo bench`: criterion over the quick scenario's variants, timing the import
//! itself, not process spawning.
//!
//! - `warm/<variant>`: in this process's embedded interpreter, the driver forgets the
//!   tree's modules and imports the workload again (importer caches kept), exactly as
//!   `run --modes warm` does in a worker.
//! - `cold/<variant>`: every iteration starts a fresh worker process and adds only the
//!   worker's own timing of its import to criterion's total (`iter_custom`), so
//!   criterion's statistics, HTML and `--save-baseline`/`--baseline` apply to import
//!   latency.
//!
//! Variants whose compression zipimport cannot read are skipped (`run` reports them).

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use zipimport_bench::measure::{
    ColdSampler, Imports, InProcess, Job, Outcome, Sampler, StopFlag, WorkerCommand,
};
use zipimport_bench::package::Artifact;
use zipimport_bench::{run, scenario};

/// Artifacts of the quick scenario, built once per bench process.
struct Fixture {
    _dir: tempfile::TempDir,
    artifacts: Vec<Artifact>,
    workload: Imports,
    work_dir: PathBuf,
}

fn fixture() -> Fixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/quick.toml");
    let s = scenario::load(&path).expect("scenarios/quick.toml is valid");
    let dir = tempfile::tempdir().expect("temporary directory");
    let (tree, artifacts) =
        run::build_artifacts(&s, dir.path()).expect("packaging the quick scenario");
    let workload = Imports {
        modules: tree.layout.workload_modules(&s.workload),
        roots: run::tree_roots(&tree),
    };
    let artifacts = artifacts
        .into_iter()
        .filter(|a| a.variant.compression.is_none_or(|c| c.zipimport_readable()))
        .collect();
    Fixture {
        work_dir: dir.path().to_owned(),
        _dir: dir,
        artifacts,
        workload,
    }
}

fn warm(c: &mut Criterion) {
    let f = fixture();
    let mut group = c.benchmark_group("warm");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let mut driver = InProcess::new(&f.artifacts[0], &f.workload).expect("driver loads");
    for a in &f.artifacts {
        driver.switch(a).expect("switching artifacts");
        driver
            .import()
            .expect("first import fills the importer caches");
        group.bench_function(BenchmarkId::from_parameter(a.variant.id()), |b| {
            b.iter_custom(|iters| {
                let ns: u64 = (0..iters)
                    .map(|_| driver.import().expect("warm import"))
                    .sum();
                Duration::from_nanos(ns)
            });
        });
    }
    group.finish();
}

fn cold(c: &mut Criterion) {
    let f = fixture();
    let worker = WorkerCommand {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_zipimport-bench")),
        work_dir: f.work_dir.clone(),
        timeout: Duration::from_secs(60),
        stop: StopFlag::new(),
        external: None,
        quota: None,
    };
    let mut group = c.benchmark_group("cold");
    // Criterion budgets by the reported (import) time; each iteration really costs a
    // process start as well, about ten times more, so keep the budgets small.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(300));
    for a in &f.artifacts {
        let job = f.work_dir.join(format!("{}-bench.json", a.variant.id()));
        let spec = Job {
            artifact: a.info.path.clone(),
            layout: a.variant.layout,
            modules: f.workload.modules.clone(),
            roots: f.workload.roots.clone(),
            probe: false,
            speed: false,
            collect: false,
            trace: false,
        };
        std::fs::write(&job, serde_json::to_vec(&spec).expect("a job serialises"))
            .expect("writing the job file");
        let stderr = f.work_dir.join(format!("{}-bench.stderr", a.variant.id()));
        let mut sampler = ColdSampler::new(worker.clone(), job, stderr);
        group.bench_function(BenchmarkId::from_parameter(a.variant.id()), |b| {
            b.iter_custom(|iters| {
                let ns: u64 = (0..iters)
                    .map(|_| match sampler.sample() {
                        Outcome::Sample(s) => s.wall_ns,
                        Outcome::Failed(e) => panic!("{}: {e}", a.variant.id()),
                        Outcome::Interrupted => panic!("interrupted"),
                    })
                    .sum();
                Duration::from_nanos(ns)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, warm, cold);
criterion_main!(benches);
