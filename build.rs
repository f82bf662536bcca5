//! Build script: bakes in where the embedded CPython lives.
//!
//! 1. An rpath to the libpython PyO3 linked against, so the loader cannot silently pick
//!    another libpython of the same soname (Debian's, say) at run time.
//! 2. The interpreter's home and executable, so the embedded interpreter is initialised
//!    with an explicit `PyConfig.home` instead of guessing its prefix from `PATH`.
//! 3. The git commit, when the source is a git checkout, for run metadata (`-dirty`
//!    after it when the sources built differ from it).
//! 4. The harness binary linked as a position-dependent executable: every cold sample
//!    starts it afresh, and a PIE's 31,000 relative relocations made its start 1 ms
//!    slower on this machine kind (3.1 ms against 2.0 ms to print its version). Its
//!    position-independent objects link unchanged; only the binary is affected.

use std::process::Command;

fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
    println!("cargo:rustc-link-arg-bin=zipimport-bench=-no-pie");
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-changed=build.rs");

    let config = pyo3_build_config::get();
    let exe = config
        .executable()
        .expect("PyO3 found no Python interpreter; set PYO3_PYTHON")
        .to_owned();
    let out = Command::new(&exe)
        .args([
            "-I",
            "-c",
            "import sys; print(sys.base_prefix); print(sys.executable)",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {exe}: {e}"));
    assert!(
        out.status.success(),
        "{exe} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("interpreter paths are not UTF-8");
    let mut lines = text.lines();
    let home = lines.next().expect("no sys.base_prefix");
    let executable = lines.next().expect("no sys.executable");
    println!("cargo:rustc-env=ZIB_PYTHON_HOME={home}");
    println!("cargo:rustc-env=ZIB_PYTHON_EXECUTABLE={executable}");

    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    // A build of changed sources says so: results made by it are not the commit's.
    println!("cargo:rerun-if-changed=.git/index");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    let changed = !commit.is_empty()
        && Command::new("git")
            .args([
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "src",
                "Cargo.toml",
                "build.rs",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .is_some_and(|o| !o.stdout.is_empty());
    let commit = if changed {
        format!("{commit}-dirty")
    } else {
        commit
    };
    println!("cargo:rustc-env=ZIB_GIT_COMMIT={commit}");
}
