//! Malformed scenario files: one clear error naming the file, line and field, exit
//! status 1, and no work started (no results file, no output directory).

use crate::common::*;
use predicates::prelude::*;
use predicates::str::contains;

const GOOD_VARIANTS: &str =
    "[variants]\n[[variants.matrix]]\nlayout = \"dir\"\nbytecode = \"pyc\"\n";

fn with_tree(tree: &str) -> String {
    format!("name = \"bad\"\nseed = 1\n[tree]\n{tree}\n{GOOD_VARIANTS}")
}

#[test]
fn bad_scenarios_name_file_line_and_field() {
    let cases: Vec<(String, &str, &str)> = [
        syntax_and_tree(),
        variants_and_workload(),
        measure_and_sweeps(),
        corpus_and_the_rest(),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    for (i, (text, line, field)) in cases.iter().enumerate() {
        let name = format!("bad{i}.toml");
        let path = write(dir.path(), &name, text);
        let out = dir.path().join(format!("out{i}"));
        bin()
            .args(["run", "--no-progress", "--out"])
            .arg(&out)
            .arg(&path)
            .assert()
            .code(1)
            .stderr(contains(format!("{name}{line}")))
            .stderr(contains(*field))
            .stderr(contains("panicked").not());
        assert!(
            !out.exists(),
            "case {i}: output directory created for a bad scenario"
        );
    }
}

/// Bad scenarios with the line and field their error names: The file's syntax, `[tree]` and the scenario's name.
fn syntax_and_tree() -> Vec<(String, &'static str, &'static str)> {
    vec![
        (
            "name = \"bad\"\nseed = 1\n[tree\npackages = 2\n".into(),
            ":3:",
            "(syntax)",
        ),
        (
            with_tree("packages = 2\nmodules = 3\ncolour = 1"),
            ":6:",
            "tree.colour: unknown field",
        ),
        (
            with_tree("packages = \"two\"\nmodules = 3"),
            ":4:",
            "tree.packages: invalid type",
        ),
        (
            with_tree("packages = 2\nmodules = 0"),
            ":5:",
            "tree.modules: must be from 1",
        ),
        (
            with_tree("packages = 2\nmodules = -4"),
            ":5:",
            "tree.modules: must be from 1",
        ),
        (
            with_tree("packages = 2\ndepth = 10000\nmodules = 3"),
            ":5:",
            "tree.depth",
        ),
        (
            with_tree("packages = 1000\nmodules = 1000000000"),
            ":5:",
            "tree.modules",
        ),
        (
            with_tree("packages = 100\ndepth = 3\nsubpackages = 10\nmodules = 1"),
            ":3:",
            "tree: the tree would have 111100 packages",
        ),
        (
            with_tree("packages = 2\nmodules = 3\nprefix = \"class\""),
            ":6:",
            "tree.prefix: `class` is a Python keyword",
        ),
        (
            with_tree("packages = 2\nmodules = 3\nprefix = \"my-pkg\""),
            ":6:",
            "tree.prefix",
        ),
        (
            "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\n".into(),
            ":3:",
            "tree.modules: missing field",
        ),
        (
            with_tree("packages = 2\nmodules = 3").replace("\"bad\"", "\"Bad Name\""),
            ":1:",
            "name:",
        ),
    ]
}

/// Bad scenarios with the line and field their error names: `[variants]` and `[workload]`.
fn variants_and_workload() -> Vec<(String, &'static str, &'static str)> {
    vec![
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = \"zip\"\ncompression = [\"stored\", \"deflate12\"]\n\
                 bytecode = \"pyc\"\n",
            ),
            ":9:",
            "variants.matrix[0].compression: deflate level must be 1 to 9",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = \"zip\"\ncompression = \"brotli\"\nbytecode = \"pyc\"\n",
            ),
            ":9:",
            "unknown compression `brotli`",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = \"dir\"\nbytecode = \"pyc\"\n\
                 [[variants.matrix]]\nlayout = \"dir\"\nbytecode = [\"none\", \"pyc\"]\n",
            ),
            ":10:",
            "variant `dir-pyc` is declared twice",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = \"memory\"\ncompression = \"stored\"\n",
            ),
            ":9:",
            "variants.matrix[0].compression: layout `memory`",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = [\"dir\", \"memory\"]\nbytecode = \"pyc\"\n",
            ),
            ":8:",
            "variants.matrix[0].layout: layout `memory`",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = \"zip\"\ncompression = \"stored\"\n",
            ),
            ":7:",
            "variants.matrix[0].bytecode: missing",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[workload]\n\
                 modules = [\"zb0.mod9\"]\n{GOOD_VARIANTS}"
            ),
            ":7:",
            "workload.modules: the tree has no module `zb0.mod9`",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 reference = \"zip-stored-pyc\"\n[[variants.matrix]]\nlayout = \"dir\"\nbytecode = \"pyc\"\n",
            ),
            ":7:",
            "variants.reference",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [measure]\nmodes = [\"cold\", \"lukewarm\"]\n"
            ),
            ":11:",
            "measure.modes: unknown mode `lukewarm`",
        ),
        (
            String::from(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n[variants]\n\
                 [[variants.matrix]]\nlayout = \"zip\"\ncompression = [\"zstd1\", \"zstd23\"]\n\
                 bytecode = \"pyc\"\n",
            ),
            ":9:",
            "variants.matrix[0].compression: zstd level must be 1 to 22",
        ),
    ]
}

/// Bad scenarios with the line and field their error names: `[measure]` and `[[sweep]]`.
fn measure_and_sweeps() -> Vec<(String, &'static str, &'static str)> {
    vec![
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [measure]\nlazy-imports = [\"normal\", \"some\"]\n"
            ),
            ":11:",
            "measure.lazy-imports: unknown setting `some`; expected `normal` or `all`",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [measure]\nlazy-imports = [\"all\", \"all\"]\n"
            ),
            ":11:",
            "measure.lazy-imports: `all` is listed twice",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [measure]\nlazy-imports = []\n"
            ),
            ":11:",
            "measure.lazy-imports: list `normal`, `all` or both",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [measure]\nsamples = 0\n"
            ),
            ":11:",
            "measure.samples: must be from 1",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [fleet]\nprocesses = [1, 4, 500]\n"
            ),
            ":11:",
            "fleet.processes: must be from 1 to 64, got 500",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [fleet]\nrounds = 2\nsharing = [\"shared\", \"pooled\"]\n"
            ),
            ":12:",
            "fleet.sharing: unknown value `pooled`",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [hot-update]\npickup = \"restart\"\n"
            ),
            ":11:",
            "hot-update.pickup: unknown value `restart`",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [hot-update]\nrounds = 0\n"
            ),
            ":11:",
            "hot-update.rounds: must be from 1",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [[sweep]]\nparameter = \"colour\"\nvalues = [1]\n"
            ),
            ":11:",
            "sweep.parameter: unknown parameter `colour`",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [[sweep]]\nparameter = \"modules\"\nvalues = [10, 1000000000]\n"
            ),
            ":12:",
            "sweep.values: must be from 1 to 100000",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 100\nmodules = 3\n{GOOD_VARIANTS}\
                 [[sweep]]\nparameter = \"modules\"\nvalues = [10, 5000]\n"
            ),
            ":12:",
            "sweep.values: the tree would have 500000 modules",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n{GOOD_VARIANTS}\
                 [[sweep]]\nparameter = \"filler\"\nvalues = [600000]\n"
            ),
            ":12:",
            "sweep.values: must be from 0 to 500000",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n\
                 [corpus]\nkind = \"stdlib\"\n{GOOD_VARIANTS}"
            ),
            ":6:",
            "corpus: give either [tree] (generated code) or [corpus] (real code), not both",
        ),
    ]
}

/// Bad scenarios with the line and field their error names: `[corpus]`, and a scenario without variants.
fn corpus_and_the_rest() -> Vec<(String, &'static str, &'static str)> {
    vec![
        (
            format!("name = \"bad\"\nseed = 1\n[corpus]\nkind = \"museum\"\n{GOOD_VARIANTS}"),
            ":4:",
            "corpus.kind: unknown corpus `museum`",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[corpus]\nkind = \"directory\"\n\
                 path = \"no/such/dir\"\n{GOOD_VARIANTS}"
            ),
            ":5:",
            "corpus.path: ",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[corpus]\nkind = \"stdlib\"\n[workload]\n\
                 import = \"leaf\"\n{GOOD_VARIANTS}"
            ),
            ":6:",
            "workload.import: `leaf` is not available for a [corpus]",
        ),
        (
            format!("name = \"bad\"\nseed = 1\n{GOOD_VARIANTS}"),
            ":1:",
            "tree: missing [tree] (generated code) or [corpus] (real code)",
        ),
        (
            "name = \"bad\"\nseed = 1\n[corpus]\nkind = \"archive\"\npath = \"no/app.pyz\"\n"
                .to_owned(),
            ":5:",
            "corpus.path: ",
        ),
        (
            "name = \"bad\"\nseed = 1\n[corpus]\nkind = \"archive\"\n".to_owned(),
            ":3:",
            "corpus.path: an archive corpus needs `path`",
        ),
        (
            format!(
                "name = \"bad\"\nseed = 1\n[corpus]\nkind = \"stdlib\"\n\
                 entry = [\"--help\"]\n{GOOD_VARIANTS}"
            ),
            ":5:",
            "corpus.entry: not used by a `stdlib` corpus",
        ),
        (
            "name = \"bad\"\nseed = 1\n[tree]\npackages = 2\nmodules = 3\n".to_owned(),
            ":1:",
            "variants: declare the variants to package",
        ),
    ]
}

#[test]
fn a_missing_scenario_file_is_named_once_with_its_os_error_once() {
    let out = bin()
        .args(["run", "/nonexistent/s.toml", "--out", "/nonexistent/out"])
        .assert()
        .code(1)
        .stderr(contains("cannot read scenario /nonexistent/s.toml"));
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert_eq!(
        stderr.trim_end(),
        "Error: cannot read scenario /nonexistent/s.toml: No such file or directory (os error 2)"
    );
}

#[test]
fn a_bad_mode_flag_is_named() {
    bin()
        .args([
            "run",
            "scenarios/quick.toml",
            "--modes",
            "cold,hot",
            "--out",
            "/nonexistent/out",
        ])
        .assert()
        .code(1)
        .stderr(contains(
            "invalid value 'hot' for '--modes <MODES>': unknown mode `hot`",
        ));
}

#[test]
fn command_line_overrides_obey_the_scenario_limits_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, message) in [
        (
            "--samples",
            "0",
            "--samples: must be from 1 to 100000, got 0",
        ),
        (
            "--timeout",
            "0",
            "--timeout: must be from 1 to 86400, got 0",
        ),
        (
            "--warmup",
            "5000",
            "--warmup: must be from 0 to 1000, got 5000",
        ),
    ] {
        let out = dir.path().join(format!("out{flag}"));
        bin()
            .args([
                "run",
                "scenarios/quick.toml",
                "--no-progress",
                flag,
                value,
                "--out",
            ])
            .arg(&out)
            .assert()
            .code(1)
            .stderr(contains(message))
            .stderr(contains("panicked").not());
        assert!(!out.exists(), "{flag} {value}: nothing may be written");
    }
}
