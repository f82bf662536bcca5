//! Real corpora: the interpreter's standard library, a directory holding an extension
//! module, and wheels, packaged and measured like generated trees.

use std::io::Write;

use crate::common::*;

fn corpus_scenario(name: &str, corpus: &str, workload: &str) -> String {
    format!(
        "name = \"{name}\"\nseed = 1\n{corpus}\n{workload}\n[variants]\n{DIR_AND_ZIP_PYC}\n[measure]\nmodes = [\"cold\"]\nsamples = 1\nwarmup = 0\n"
    )
}

#[test]
fn the_stdlib_corpus_imports_what_imports_cleanly_from_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "stdlib.toml",
        // With the floor: the stdlib holds importlib.machinery, which a finder that
        // imported it while finding would recurse into, and lib2to3, which reads its
        // grammar with get_data.
        &corpus_scenario("stdlib", "[corpus]\nkind = \"stdlib\"", "").replace(
            "[measure]",
            "[[variants.matrix]]\nlayout = \"memory\"\n\n[measure]",
        ),
    );
    let r = run_scenario(dir.path(), &path, &[]);
    let s = scenario(&r, "stdlib");
    let corpus = &s["corpus"];
    assert_eq!(corpus["kind"], "stdlib");
    assert!(
        corpus["source"]
            .as_str()
            .unwrap()
            .ends_with("lib/python3.11")
    );
    assert!(
        corpus["modules"].as_u64().unwrap() > 500,
        "{}",
        corpus["modules"]
    );
    let workload: Vec<&str> = s["workload_modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(workload.len() > 300, "{}", workload.len());
    for m in [
        "csv",
        "email.mime.text",
        "xml.dom.minidom",
        "asyncio",
        "sqlite3",
    ] {
        assert!(workload.contains(&m), "{m} is missing from the workload");
    }
    // Not in the corpus at all, or excluded with the reason discovery found.
    for m in ["antigravity", "test.support", "idlelib"] {
        assert!(!workload.contains(&m), "{m}");
    }
    let excluded = corpus["excluded"].as_array().unwrap();
    let why = |name: &str| {
        excluded
            .iter()
            .find(|e| e[0] == name)
            .map(|e| e[1].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("{name} is not among the exclusions"))
    };
    assert!(why("os").contains("start-up"));
    assert!(why("asyncio.windows_events").contains("win32"));
    for v in ["dir-pyc", "zip-stored-pyc", "memory"] {
        let c = case_of(&r, "stdlib", v, "cold");
        assert_eq!(c["status"], "ok", "{v}: {}", c["error"]);
        assert_eq!(counter(c, "first", "compiles"), 0, "{v}: bytecode used");
        assert!(
            c["warnings"].as_array().unwrap().is_empty(),
            "{v}: {}",
            c["warnings"]
        );
    }
}

#[test]
fn an_extension_module_in_a_corpus_works_from_a_directory_and_is_named_for_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code");
    std::fs::create_dir_all(code.join("fastpkg")).unwrap();
    std::fs::write(
        code.join("fastpkg/__init__.py"),
        "from . import _bisect\nfrom .helpers import mid\n",
    )
    .unwrap();
    std::fs::write(
        code.join("fastpkg/helpers.py"),
        "def mid(a, b):\n    return (a + b) // 2\n",
    )
    .unwrap();
    std::fs::create_dir_all(code.join("plainpkg")).unwrap();
    std::fs::write(code.join("plainpkg/__init__.py"), "X = 1\n").unwrap();
    // A package whose failure has nothing to do with extension modules.
    std::fs::create_dir_all(code.join("boompkg")).unwrap();
    std::fs::write(
        code.join("boompkg/__init__.py"),
        "raise RuntimeError('boom from boompkg')\n",
    )
    .unwrap();
    // A real extension module of this interpreter, importable as fastpkg._bisect.
    let out = std::process::Command::new(zipimport_bench::python::PYTHON_EXECUTABLE)
        .args([
            "-I",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .unwrap();
    let stdlib = String::from_utf8(out.stdout).unwrap();
    let dynload = std::path::Path::new(stdlib.trim()).join("lib-dynload");
    let so = std::fs::read_dir(&dynload)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().starts_with("_bisect."))
        .expect("_bisect extension module")
        .path();
    std::fs::copy(&so, code.join("fastpkg").join(so.file_name().unwrap())).unwrap();
    let path = write(
        dir.path(),
        "dirc.toml",
        &corpus_scenario(
            "dirc",
            "[corpus]\nkind = \"directory\"\npath = \"code\"",
            "[workload]\nmodules = [\"fastpkg\"]",
        ),
    );
    let plain = write(
        dir.path(),
        "plain.toml",
        &corpus_scenario(
            "plain",
            "[corpus]\nkind = \"directory\"\npath = \"code\"",
            "[workload]\nmodules = [\"plainpkg\"]",
        ),
    );
    let out = dir.path().join("out");
    bin()
        .arg("run")
        .arg(&path)
        .arg(&plain)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let corpus = &scenario(&r, "dirc")["corpus"];
    assert_eq!(corpus["modules"], 4);
    assert_eq!(corpus["extensions"].as_array().unwrap().len(), 1);
    assert_eq!(case_of(&r, "dirc", "dir-pyc", "cold")["status"], "ok");
    let zip = case_of(&r, "dirc", "zip-stored-pyc", "cold");
    assert_eq!(zip["status"], "unsupported", "{zip}");
    let e = zip["error"].as_str().unwrap();
    assert!(e.contains("cannot import name '_bisect'"), "{e}");
    assert!(e.contains("zipimport cannot load extension modules"), "{e}");
    // A workload that does not touch the extension module imports from the zip, and
    // the case says what the archive could not serve.
    let zip = case_of(&r, "plain", "zip-stored-pyc", "cold");
    assert_eq!(zip["status"], "ok", "{zip}");
    let w = zip["warnings"][0].as_str().unwrap();
    assert!(
        w.contains("1 extension module(s)") && w.contains("cannot load"),
        "{w}"
    );

    // A failure that names no extension module stays an error, is not blamed on the
    // extension module, and the run says so with exit status 3.
    let boom = write(
        dir.path(),
        "boom.toml",
        &corpus_scenario(
            "boom",
            "[corpus]\nkind = \"directory\"\npath = \"code\"",
            "[workload]\nmodules = [\"boompkg\"]",
        ),
    );
    let out = dir.path().join("out-boom");
    bin()
        .arg("run")
        .arg(&boom)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .assert()
        .code(3);
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    for v in ["dir-pyc", "zip-stored-pyc"] {
        let c = case_of(&r, "boom", v, "cold");
        assert_eq!(c["status"], "error", "{c}");
        let e = c["error"].as_str().unwrap();
        assert!(e.contains("RuntimeError: boom from boompkg"), "{e}");
        assert!(!e.contains("extension"), "{e}");
    }
}

#[test]
fn wheels_are_unpacked_into_one_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = dir.path().join("demo-1.0-py3-none-any.whl");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("demo/__init__.py", "from .util import twice\n"),
        ("demo/util.py", "def twice(x):\n    return 2 * x\n"),
        (
            "demo-1.0.data/purelib/demo_extra.py",
            "import demo\nVALUE = demo.twice(21)\n",
        ),
        ("demo-1.0.dist-info/METADATA", "Name: demo\nVersion: 1.0\n"),
        ("demo-1.0.dist-info/RECORD", ""),
    ] {
        z.start_file(name, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    let path = write(
        dir.path(),
        "whl.toml",
        &corpus_scenario(
            "whl",
            "[corpus]\nkind = \"wheels\"\npaths = [\"demo-1.0-py3-none-any.whl\"]",
            "",
        ),
    );
    let r = run_scenario(dir.path(), &path, &[]);
    let s = scenario(&r, "whl");
    assert_eq!(s["corpus"]["kind"], "wheels");
    assert_eq!(s["corpus"]["modules"], 3);
    // `all`: every top-level module and package; metadata left out.
    assert_eq!(
        s["workload_modules"],
        serde_json::json!(["demo", "demo_extra"])
    );
    for v in ["dir-pyc", "zip-stored-pyc"] {
        let c = case_of(&r, "whl", v, "cold");
        assert_eq!(c["status"], "ok", "{v}: {}", c["error"]);
        assert_eq!(counter(c, "first", "modules"), 3, "{v}");
        assert_eq!(counter(c, "first", "compiles"), 0, "{v}");
    }
}

#[test]
fn hot_updates_of_a_corpus_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "hot.toml",
        &corpus_scenario("hot", "[corpus]\nkind = \"stdlib\"", ""),
    );
    let out = dir.path().join("out");
    bin()
        .args(["run", "--no-progress", "--modes", "hot-update", "--out"])
        .arg(&out)
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "mode hot-update needs a generated [tree]",
        ));
    assert!(!out.exists());
}

#[test]
fn workload_modules_the_interpreter_already_holds_are_counted_out_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(code.join("mine.py"), "X = 1\n").unwrap();
    // The interpreter imports `codecs` while starting: this one can never be imported
    // from the artifact.
    std::fs::write(code.join("codecs.py"), "X = 2\n").unwrap();
    let path = write(
        dir.path(),
        "held.toml",
        &corpus_scenario(
            "held",
            "[corpus]\nkind = \"directory\"\npath = \"code\"",
            "[workload]\nmodules = [\"mine\", \"codecs\"]",
        ),
    );
    let out = dir.path().join("out");
    let run = bin()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out)
        .arg("--no-progress")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains("1 workload module(s) not imported from the artifact: codecs"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    assert!(
        stdout.contains("held / cold: 1 module imported"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "held: warning: 1 workload module(s) not imported from the artifact (codecs)"
        ),
        "{stdout}"
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("not imported from the artifact (`codecs`)"),
        "{md}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let s = scenario(&r, "held");
    assert_eq!(s["workload_modules"], serde_json::json!(["mine"]));
    let dropped = &s["workload_dropped"][0];
    assert_eq!(dropped[0], "codecs");
    assert!(
        dropped[1]
            .as_str()
            .unwrap()
            .contains("imported before the timed section")
    );
}
