//! Turns the wire structs into a [`Scenario`], checking every value against [`LIMITS`]
//! before anything is generated.

use std::collections::HashSet;

use toml::Spanned;

use super::context::Ctx;
use super::layout::TreeLayout;
use super::limits::LIMITS;
use super::wire;
use super::{
    CorpusSpec, FleetSpec, Focus, HotUpdateSpec, LazyImports, MeasureSpec, Mode, PageCache, Pickup,
    Scenario, ScenarioError, ScenarioSource, Sharing, Sweep, SweepParam, TreeSpec, Variant,
    Workload,
};

/// Rough bytes per generated line, used to bound the tree size before generating it.
const BYTES_PER_LINE: u64 = 40;

/// `X` of serde's "missing field `X`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The table named by a `[table]` header line starting at `offset`, if there is one.
fn table_header_at(text: &str, offset: usize) -> Option<String> {
    let line = text.get(offset..)?.lines().next()?.trim();
    let name = line.strip_prefix('[')?.trim_start_matches('[');
    Some(name.split(']').next()?.trim().to_owned())
}

/// Best guess of the dotted field a TOML error points at: the key on the error's line,
/// prefixed by the table header in force there.
fn field_at(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned());
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match (table, key) {
        (Some(t), Some(k)) => format!("{t}.{k}"),
        (None, Some(k)) => k,
        (Some(t), None) => t,
        (None, None) => "(syntax)".to_owned(),
    }
}

pub(super) fn parse_and_validate(
    text: &str,
    source: ScenarioSource,
) -> Result<Scenario, ScenarioError> {
    let ctx = Ctx {
        text,
        source: &source,
    };
    let wire: wire::Scenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e
            .message()
            .trim()
            .replace("expected i64", "expected an integer");
        let field = match missing_field(&message) {
            Some(missing) => match table_header_at(text, span.start) {
                Some(table) => format!("{table}.{missing}"),
                None => missing.to_owned(),
            },
            None => field_at(text, span.start),
        };
        ctx.err(span.clone(), &field, message)
    })?;

    let name = wire.name.get_ref();
    let name_ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(ctx.err(
            wire.name.span(),
            "name",
            format!(
                "`{name}` is not a valid scenario name: use 1 to 64 of a-z, 0-9, `-`, `_`, \
                 starting with a letter"
            ),
        ));
    }
    let seed = u64::try_from(*wire.seed.get_ref())
        .map_err(|_| ctx.err(wire.seed.span(), "seed", "must not be negative"))?;

    let (tree, corpus) = match (&wire.tree, &wire.corpus) {
        (Some(t), None) => (tree_spec(&ctx, t)?, None),
        (None, Some(c)) => (TreeSpec::empty(), Some(corpus(&ctx, c)?)),
        (Some(_), Some(c)) => {
            return Err(ctx.err(
                c.span(),
                "corpus",
                "give either [tree] (generated code) or [corpus] (real code), not both",
            ));
        }
        (None, None) => {
            return Err(ctx.err(
                0..0,
                "tree",
                "missing [tree] (generated code) or [corpus] (real code)",
            ));
        }
    };
    let workload = match &corpus {
        None => workload(&ctx, &wire.workload, Some(&TreeLayout::new(&tree)))?,
        Some(_) => workload(&ctx, &wire.workload, None)?,
    };
    if corpus.is_some()
        && let Some(sw) = wire
            .sweep
            .iter()
            .find(|s| s.get_ref().parameter.get_ref() != "level")
    {
        return Err(ctx.err(
            sw.get_ref().parameter.span(),
            "sweep.parameter",
            "a [corpus] scenario can sweep only `level`: its tree is not generated",
        ));
    }
    let archive = matches!(corpus, Some(CorpusSpec::Archive { .. }));
    let (mut variants, reference) = match &wire.variants {
        Some(v) => super::matrix::variants(&ctx, v)?,
        // An archive measured as shipped beside what its contents repack into, and the
        // floor its code could reach.
        None if archive => (
            ["dir-pyc", "zip-stored-pyc", "zip-deflate6-pyc", "memory"]
                .iter()
                .filter_map(|id| Variant::from_id(id))
                .collect(),
            Variant::from_id("dir-pyc").expect("a variant id"),
        ),
        None => {
            return Err(ctx.err(
                0..0,
                "variants",
                "declare the variants to package: a [variants] table with at least one \
                 [[variants.matrix]] entry",
            ));
        }
    };
    if archive {
        variants.insert(0, Variant::SHIPPED);
    }
    let sweeps = sweeps(&ctx, &wire.sweep, &tree)?;
    let mut measure = measure(&ctx, &wire.measure)?;
    if let (Some(f), Some(list)) = (&measure.focus, &wire.measure.focus) {
        if let Some(v) = f.variants.iter().find(|v| !variants.contains(v)) {
            return Err(ctx.err(
                list.span(),
                "measure.focus",
                format!("`{v}` is not one of the scenario's variants"),
            ));
        }
        if f.variants.contains(&reference) {
            return Err(ctx.err(
                list.span(),
                "measure.focus",
                format!("`{reference}` is the reference: its ratio is 1 by definition"),
            ));
        }
    }
    if let Some(f) = &wire.fleet {
        measure.fleet = fleet(&ctx, f.get_ref())?;
    }
    if let Some(h) = &wire.hot_update {
        measure.hot_update = hot_update(&ctx, h.get_ref())?;
    }

    Ok(Scenario {
        name: name.clone(),
        description: wire.description,
        seed,
        source: source.clone(),
        tree,
        corpus,
        workload,
        variants,
        reference,
        measure,
        sweeps,
        sweep: None,
    })
}

fn corpus(ctx: &Ctx, w: &Spanned<wire::Corpus>) -> Result<CorpusSpec, ScenarioError> {
    let c = w.get_ref();
    let base = ctx
        .source
        .path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let resolve = |p: &Spanned<String>, field: &str, want_dir: bool| {
        let path = base.join(p.get_ref());
        let ok = if want_dir {
            path.is_dir()
        } else {
            path.is_file()
        };
        if ok {
            Ok(path)
        } else {
            Err(ctx.err(
                p.span(),
                field,
                format!(
                    "{} is not {}",
                    path.display(),
                    if want_dir { "a directory" } else { "a file" }
                ),
            ))
        }
    };
    let kind = c.kind.get_ref().as_str();
    let spec = match kind {
        "stdlib" => CorpusSpec::Stdlib,
        "directory" => match &c.path {
            Some(p) => CorpusSpec::Directory {
                path: resolve(p, "corpus.path", true)?,
            },
            None => {
                return Err(ctx.err(w.span(), "corpus.path", "a directory corpus needs `path`"));
            }
        },
        "wheels" => match &c.paths {
            Some(list) if !list.get_ref().is_empty() => {
                let mut paths = Vec::new();
                for p in list.get_ref() {
                    if !p.get_ref().ends_with(".whl") {
                        return Err(ctx.err(p.span(), "corpus.paths", "not a .whl file name"));
                    }
                    paths.push(resolve(p, "corpus.paths", false)?);
                }
                CorpusSpec::Wheels { paths }
            }
            _ => {
                return Err(ctx.err(
                    w.span(),
                    "corpus.paths",
                    "a wheels corpus needs `paths`, a non-empty list of .whl files",
                ));
            }
        },
        "archive" => match &c.path {
            Some(p) => CorpusSpec::Archive {
                path: resolve(p, "corpus.path", false)?,
                entry: c.entry.as_ref().map(|e| e.get_ref().clone()),
            },
            None => {
                return Err(ctx.err(
                    w.span(),
                    "corpus.path",
                    "an archive corpus needs `path`: the .pyz, .zip, .whl or .egg to measure",
                ));
            }
        },
        other => {
            return Err(ctx.err(
                c.kind.span(),
                "corpus.kind",
                format!("unknown corpus `{other}`; expected stdlib, directory, wheels or archive"),
            ));
        }
    };
    let entry = c.entry.as_ref().map(|p| (p.span(), "corpus.entry"));
    let stray = match &spec {
        CorpusSpec::Stdlib => c
            .path
            .as_ref()
            .map(|p| (p.span(), "corpus.path"))
            .or(c.paths.as_ref().map(|p| (p.span(), "corpus.paths")))
            .or(entry),
        CorpusSpec::Directory { .. } => c
            .paths
            .as_ref()
            .map(|p| (p.span(), "corpus.paths"))
            .or(entry),
        CorpusSpec::Wheels { .. } => c.path.as_ref().map(|p| (p.span(), "corpus.path")).or(entry),
        CorpusSpec::Archive { .. } => c.paths.as_ref().map(|p| (p.span(), "corpus.paths")),
    };
    if let Some((span, field)) = stray {
        return Err(ctx.err(span, field, format!("not used by a `{kind}` corpus")));
    }
    Ok(spec)
}

fn check_identifier_loose(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn sweeps(
    ctx: &Ctx,
    list: &[Spanned<wire::Sweep>],
    tree: &TreeSpec,
) -> Result<Vec<Sweep>, ScenarioError> {
    let l = &LIMITS;
    let mut out: Vec<Sweep> = Vec::new();
    for w in list {
        let w = w.get_ref();
        let name = w.parameter.get_ref();
        let parameter = SweepParam::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                ctx.err(
                    w.parameter.span(),
                    "sweep.parameter",
                    format!(
                        "unknown parameter `{name}`; expected one of modules, depth, lines, \
                         filler, level"
                    ),
                )
            })?;
        if out.iter().any(|s| s.parameter == parameter) {
            return Err(ctx.err(
                w.parameter.span(),
                "sweep.parameter",
                format!("`{name}` is swept twice"),
            ));
        }
        let range = match parameter {
            SweepParam::Modules => &l.modules,
            SweepParam::Depth => &l.depth,
            SweepParam::Lines => &l.lines,
            SweepParam::Filler => &l.filler,
            SweepParam::Level => &(1..=9),
        };
        let mut values = Vec::new();
        for v in w.values.get_ref() {
            let value = ctx.int(v, "sweep.values", range)?;
            if values.contains(&value) {
                return Err(ctx.err(v.span(), "sweep.values", format!("{value} is listed twice")));
            }
            let mut t = tree.clone();
            match parameter {
                SweepParam::Modules => t.modules = value,
                SweepParam::Depth => t.depth = value,
                SweepParam::Lines => t.lines = value,
                SweepParam::Filler => t.filler = value,
                SweepParam::Level => {}
            }
            check_totals(&t).map_err(|m| ctx.err(v.span(), "sweep.values", m))?;
            values.push(value);
        }
        if values.is_empty() {
            return Err(ctx.err(w.values.span(), "sweep.values", "must not be empty"));
        }
        out.push(Sweep { parameter, values });
    }
    Ok(out)
}

fn tree_spec(ctx: &Ctx, w: &Spanned<wire::Tree>) -> Result<TreeSpec, ScenarioError> {
    let t = w.get_ref();
    let l = &LIMITS;
    let depth = ctx.opt_int(&t.depth, "tree.depth", &l.depth, 0)?;
    let spec = TreeSpec {
        packages: ctx.int(&t.packages, "tree.packages", &l.packages)?,
        depth,
        subpackages: ctx.opt_int(&t.subpackages, "tree.subpackages", &l.subpackages, 2)?,
        modules: ctx.int(&t.modules, "tree.modules", &l.modules)?,
        lines: ctx.opt_int(&t.lines, "tree.lines", &l.lines, 60)?,
        imports: ctx.opt_int(&t.imports, "tree.imports", &l.imports, 2)?,
        data_files: ctx.opt_int(&t.data_files, "tree.data-files", &l.data_files, 0)?,
        data_size: ctx.opt_int(&t.data_size, "tree.data-size", &l.data_size, 1024)?,
        filler: ctx.opt_int(&t.filler, "tree.filler", &l.filler, 0)?,
        prefix: match &t.prefix {
            None => "zb".to_owned(),
            Some(p) => {
                check_identifier(p.get_ref()).map_err(|m| ctx.err(p.span(), "tree.prefix", m))?;
                p.get_ref().clone()
            }
        },
    };
    check_totals(&spec).map_err(|m| {
        let span = if m.contains(" modules (") {
            t.modules.span()
        } else {
            w.span()
        };
        let field = if m.contains(" modules (") {
            "tree.modules"
        } else {
            "tree"
        };
        ctx.err(span, field, m)
    })?;
    Ok(spec)
}

/// Whole-tree limits: packages, modules and bytes the tree would have.
fn check_totals(spec: &TreeSpec) -> Result<(), String> {
    let l = &LIMITS;
    let packages = spec.package_count();
    if packages > l.total_packages {
        return Err(format!(
            "the tree would have {packages} packages (packages x subpackages^depth); \
             the limit is {}",
            l.total_packages
        ));
    }
    let modules = spec.module_count();
    if modules > l.total_modules {
        return Err(format!(
            "the tree would have {modules} modules ({packages} packages x {} modules); \
             the limit is {}",
            spec.modules, l.total_modules
        ));
    }
    let bytes = modules * u64::from(spec.lines) * BYTES_PER_LINE
        + packages * u64::from(spec.data_files) * u64::from(spec.data_size);
    if bytes > l.total_bytes {
        return Err(format!(
            "the tree would hold about {} MiB of files; the limit is {} MiB",
            bytes >> 20,
            l.total_bytes >> 20
        ));
    }
    Ok(())
}

/// Python keywords (3.9 to 3.13, soft keywords excluded: they are valid names).
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Checks that `s` can start a Python module name (ASCII identifier, not a keyword).
fn check_identifier(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(format!(
            "`{s}` is not a valid module name prefix: use 1 to 32 ASCII letters, digits or `_`, \
             not starting with a digit"
        ));
    }
    if KEYWORDS.contains(&s) {
        return Err(format!("`{s}` is a Python keyword"));
    }
    Ok(())
}

/// The workload: `all`, `leaf` or the given dotted names, checked against the generated
/// tree's `layout`. A corpus (`layout` None) allows `all` (every importable top-level
/// module; for the stdlib, every module that imports cleanly) and names, which are
/// checked against the corpus when it is read.
fn workload(
    ctx: &Ctx,
    w: &wire::Workload,
    layout: Option<&TreeLayout>,
) -> Result<Workload, ScenarioError> {
    match (&w.import, &w.modules) {
        (Some(i), Some(_)) => Err(ctx.err(
            i.span(),
            "workload.import",
            "give either `import` or `modules`, not both",
        )),
        (None, None) => Ok(Workload::All),
        (Some(i), None) => match (i.get_ref().as_str(), layout) {
            ("all", _) => Ok(Workload::All),
            ("leaf", Some(_)) => Ok(Workload::Leaf),
            (other, Some(_)) => Err(ctx.err(
                i.span(),
                "workload.import",
                format!("unknown workload `{other}`; expected `all` or `leaf`, or use `modules`"),
            )),
            (other, None) => Err(ctx.err(
                i.span(),
                "workload.import",
                format!("`{other}` is not available for a [corpus]; use `all` or `modules`"),
            )),
        },
        (None, Some(list)) => {
            if list.get_ref().is_empty() {
                return Err(ctx.err(list.span(), "workload.modules", "must not be empty"));
            }
            let known: Option<(&TreeLayout, HashSet<&str>)> =
                layout.map(|l| (l, l.modules().iter().map(|m| m.name.as_str()).collect()));
            let mut names = Vec::new();
            for m in list.get_ref() {
                let problem = match &known {
                    Some((layout, known)) if !known.contains(m.get_ref().as_str()) => {
                        Some(format!(
                            "the tree has no module `{}` (modules are named like `{}`)",
                            m.get_ref(),
                            layout.modules().last().map_or("", |m| m.name.as_str())
                        ))
                    }
                    None if !m.get_ref().split('.').all(check_identifier_loose) => {
                        Some(format!("`{}` is not a dotted module name", m.get_ref()))
                    }
                    _ => None,
                };
                if let Some(message) = problem {
                    return Err(ctx.err(m.span(), "workload.modules", message));
                }
                names.push(m.get_ref().clone());
            }
            Ok(Workload::Modules(names))
        }
    }
}

/// `min-samples` when a scenario with `precision` does not say: the least at which
/// the interval of a ratio is a real 95% interval.
pub const DEFAULT_MIN_SAMPLES: u32 = 6;

/// `reference-every` when a scenario does not say.
pub const DEFAULT_REFERENCE_EVERY: u32 = 6;

fn measure(ctx: &Ctx, w: &wire::Measure) -> Result<MeasureSpec, ScenarioError> {
    let l = &LIMITS;
    let modes = match &w.modes {
        None => vec![Mode::Cold, Mode::Warm],
        Some(list) => name_list(ctx, list, "measure.modes", Mode::parse)?,
    };
    let instructions = match &w.metrics {
        None => false,
        Some(list) => {
            let names = &list.get_ref().0;
            for name in names {
                if name != "wall" && name != "instructions" {
                    return Err(ctx.err(
                        list.span(),
                        "measure.metrics",
                        format!("unknown metric `{name}`; expected `wall` or `instructions`"),
                    ));
                }
            }
            if !names.iter().any(|n| n == "wall") {
                return Err(ctx.err(
                    list.span(),
                    "measure.metrics",
                    "`wall` is always measured; list it (and `instructions` to add counts)",
                ));
            }
            names.iter().any(|n| n == "instructions")
        }
    };
    let samples = ctx.opt_int(&w.samples, "measure.samples", &l.samples, 10)?;
    let precision = match &w.precision {
        None => None,
        Some(p) => {
            let v = *p.get_ref();
            if !l.precision.contains(&v) {
                return Err(ctx.err(
                    p.span(),
                    "measure.precision",
                    format!(
                        "must be a percentage from {} to {}, got {v}",
                        l.precision.start(),
                        l.precision.end()
                    ),
                ));
            }
            Some(v)
        }
    };
    let min_samples = match (&w.min_samples, precision) {
        (Some(m), None) => {
            return Err(ctx.err(
                m.span(),
                "measure.min-samples",
                "applies only with `precision` (without it every case takes `samples`)",
            ));
        }
        (Some(m), Some(_)) => {
            let v = ctx.int(m, "measure.min-samples", &l.min_samples)?;
            if v > samples {
                return Err(ctx.err(
                    m.span(),
                    "measure.min-samples",
                    format!("must be at most `samples` ({samples}), got {v}"),
                ));
            }
            v
        }
        (None, _) => DEFAULT_MIN_SAMPLES.min(samples),
    };
    let focus = focus(ctx, w, precision, samples, &modes)?;
    let (lazy_imports, lazy_imports_at) = lazy_imports(ctx, w)?;
    Ok(MeasureSpec {
        trace: w.trace.as_ref().is_some_and(|t| *t.get_ref()),
        lazy: LazyImports::Normal,
        lazy_imports,
        lazy_imports_at,
        precision,
        min_samples,
        reference_every: ctx.opt_int(
            &w.reference_every,
            "measure.reference-every",
            &l.reference_every,
            DEFAULT_REFERENCE_EVERY,
        )?,
        focus,
        fleet: FleetSpec::default(),
        hot_update: HotUpdateSpec::default(),
        instructions,
        instruction_samples: ctx.opt_int(
            &w.instruction_samples,
            "measure.instruction-samples",
            &l.instruction_samples,
            1,
        )?,
        modes,
        samples,
        warmup: ctx.opt_int(&w.warmup, "measure.warmup", &l.warmup, 1)?,
        timeout_secs: ctx.opt_int(
            &w.timeout_secs,
            "measure.timeout-secs",
            &l.timeout_secs,
            120,
        )?,
    })
}

/// Settings of `lazy-imports` and where the key is (line, column).
type LazySettings = (Vec<LazyImports>, Option<(usize, usize)>);

/// `lazy-imports`: `normal` and/or `all`, without duplicates; `[normal]` when absent.
fn lazy_imports(ctx: &Ctx, w: &wire::Measure) -> Result<LazySettings, ScenarioError> {
    let Some(list) = &w.lazy_imports else {
        return Ok((vec![LazyImports::Normal], None));
    };
    let field = "measure.lazy-imports";
    let mut out = Vec::new();
    for name in &list.get_ref().0 {
        let v: LazyImports = name.parse().map_err(|_| {
            ctx.err(
                list.span(),
                field,
                format!("unknown setting `{name}`; expected `normal` or `all`"),
            )
        })?;
        if out.contains(&v) {
            return Err(ctx.err(list.span(), field, format!("`{name}` is listed twice")));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err(ctx.err(list.span(), field, "list `normal`, `all` or both"));
    }
    Ok((
        out,
        Some(super::context::line_col(ctx.text, list.span().start)),
    ))
}

/// `focus` and its settings: variant ids (checked against the variants later), the
/// modes they are the focus in, their cap and precision. Only with `precision`.
fn focus(
    ctx: &Ctx,
    w: &wire::Measure,
    precision: Option<f64>,
    samples: u32,
    modes: &[Mode],
) -> Result<Option<Focus>, ScenarioError> {
    let Some(list) = &w.focus else {
        let stray = [
            (
                w.focus_modes.as_ref().map(|x| x.span()),
                "measure.focus-modes",
            ),
            (
                w.focus_samples.as_ref().map(|x| x.span()),
                "measure.focus-samples",
            ),
            (
                w.focus_precision.as_ref().map(|x| x.span()),
                "measure.focus-precision",
            ),
        ];
        if let Some((Some(span), field)) = stray.into_iter().find(|(s, _)| s.is_some()) {
            return Err(ctx.err(span, field, "applies only with `focus`"));
        }
        return Ok(None);
    };
    let Some(precision) = precision else {
        return Err(ctx.err(
            list.span(),
            "measure.focus",
            "applies only with `precision` (without it every case takes `samples`)",
        ));
    };
    let variants = name_list(ctx, list, "measure.focus", |v| {
        Variant::from_id(v).ok_or_else(|| format!("`{v}` is not one of the scenario's variants"))
    })?;
    let focus_modes = match &w.focus_modes {
        None => modes
            .iter()
            .copied()
            .filter(|m| m.is_sampled())
            .take(1)
            .collect(),
        Some(list) => {
            let parsed = name_list(ctx, list, "measure.focus-modes", Mode::parse)?;
            if let Some(m) = parsed
                .iter()
                .find(|m| !m.is_sampled() || !modes.contains(m))
            {
                return Err(ctx.err(
                    list.span(),
                    "measure.focus-modes",
                    format!("`{m}` is not a measured cold, warm or cold-disk mode"),
                ));
            }
            parsed
        }
    };
    let focus_samples = ctx.opt_int(
        &w.focus_samples,
        "measure.focus-samples",
        &LIMITS.samples,
        samples.max(100),
    )?;
    if let Some(f) = w.focus_samples.as_ref().filter(|_| focus_samples < samples) {
        return Err(ctx.err(
            f.span(),
            "measure.focus-samples",
            format!("must be at least `samples` ({samples}), got {focus_samples}"),
        ));
    }
    let focus_precision = match &w.focus_precision {
        None => precision,
        Some(p) => {
            let v = *p.get_ref();
            if !LIMITS.precision.contains(&v) {
                return Err(ctx.err(
                    p.span(),
                    "measure.focus-precision",
                    format!(
                        "must be a percentage from {} to {}, got {v}",
                        LIMITS.precision.start(),
                        LIMITS.precision.end()
                    ),
                ));
            }
            v
        }
    };
    Ok(Some(Focus {
        variants,
        modes: focus_modes,
        samples: focus_samples,
        precision: focus_precision,
    }))
}

/// Names of a string list, each parsed by `parse` (which says what it expected), without
/// duplicates or emptiness.
fn name_list<T: PartialEq>(
    ctx: &Ctx,
    list: &Spanned<wire::StrList>,
    field: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ScenarioError> {
    let mut out = Vec::new();
    for name in &list.get_ref().0 {
        let v = parse(name).map_err(|e| ctx.err(list.span(), field, e))?;
        if out.contains(&v) {
            return Err(ctx.err(list.span(), field, format!("`{name}` is listed twice")));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err(ctx.err(list.span(), field, "must not be empty"));
    }
    Ok(out)
}

/// A parser for one of a few fixed names.
fn one_of<T: Copy>(choices: &'static [(&'static str, T)]) -> impl Fn(&str) -> Result<T, String> {
    move |name| {
        choices
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let expected: Vec<String> = choices.iter().map(|(n, _)| format!("`{n}`")).collect();
                format!("unknown value `{name}`; expected {}", expected.join(" or "))
            })
    }
}

fn fleet(ctx: &Ctx, w: &wire::Fleet) -> Result<FleetSpec, ScenarioError> {
    let l = &LIMITS;
    let mut spec = FleetSpec::default();
    if let Some(list) = &w.processes {
        let mut sizes = Vec::new();
        for n in list.get_ref() {
            let n = ctx.int(n, "fleet.processes", &l.fleet_processes)?;
            if sizes.contains(&n) {
                return Err(ctx.err(
                    list.span(),
                    "fleet.processes",
                    format!("{n} is listed twice"),
                ));
            }
            sizes.push(n);
        }
        if sizes.is_empty() {
            return Err(ctx.err(list.span(), "fleet.processes", "must not be empty"));
        }
        sizes.sort_unstable();
        spec.processes = sizes;
    }
    if let Some(list) = &w.sharing {
        spec.sharing = name_list(
            ctx,
            list,
            "fleet.sharing",
            one_of(&[("shared", Sharing::Shared), ("copies", Sharing::Copies)]),
        )?;
    }
    if let Some(list) = &w.page_cache {
        spec.page_cache = name_list(
            ctx,
            list,
            "fleet.page-cache",
            one_of(&[("warm", PageCache::Warm), ("cold", PageCache::Cold)]),
        )?;
    }
    spec.rounds = ctx.opt_int(&w.rounds, "fleet.rounds", &l.fleet_rounds, spec.rounds)?;
    Ok(spec)
}

fn hot_update(ctx: &Ctx, w: &wire::HotUpdate) -> Result<HotUpdateSpec, ScenarioError> {
    let mut spec = HotUpdateSpec::default();
    if let Some(list) = &w.pickup {
        spec.pickups = name_list(
            ctx,
            list,
            "hot-update.pickup",
            one_of(&[
                ("invalidate-reload", Pickup::InvalidateReload),
                ("reload", Pickup::Reload),
            ]),
        )?;
    }
    spec.rounds = ctx.opt_int(
        &w.rounds,
        "hot-update.rounds",
        &LIMITS.hot_update_rounds,
        spec.rounds,
    )?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_at_prefixes_table() {
        let text = "name = \"x\"\n[tree]\npackages = \"many\"\n";
        assert_eq!(
            field_at(text, text.find("\"many\"").unwrap()),
            "tree.packages"
        );
    }
}
