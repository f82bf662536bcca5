//! The embedded CPython: initialised once per process with an explicit, isolated
//! configuration, and the facts about it that results record.
//!
//! PyO3's `auto-initialize` would start the interpreter from whatever the environment
//! says (PYTHONHOME, PYTHONPATH, PYTHONDONTWRITEBYTECODE, the first `python3` on PATH),
//! so this module initialises it first, through `PyConfig`:
//! - isolated (`PyConfig_InitIsolatedConfig`): no environment variables, no user site,
//!   no current directory on `sys.path`;
//! - `home` and `executable` baked in by `build.rs`, so the standard library is the one
//!   that belongs to the libpython we linked, whatever `python3` is first on PATH;
//! - no bytecode writing, so measuring a directory never grows a `__pycache__`;
//! - a fixed hash seed, so dict and set layouts do not vary between samples;
//! - no Python signal handlers, so SIGINT and SIGTERM end a worker at once.

pub mod external;

use std::ffi::CString;
use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result, bail};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyModule};
use serde::{Deserialize, Serialize};

/// The prefix of the interpreter this binary was built against.
pub const PYTHON_HOME: &str = env!("ZIB_PYTHON_HOME");
/// Its executable.
pub const PYTHON_EXECUTABLE: &str = env!("ZIB_PYTHON_EXECUTABLE");

static INIT: Once = Once::new();

/// Why this process cannot read the embedded interpreter's standard library, if it
/// cannot (the user running the harness may not read the prefix it was built against):
/// checked before CPython is started, which would otherwise dump its path configuration
/// and fail.
fn unreadable_stdlib() -> Option<String> {
    let lib = std::path::Path::new(PYTHON_HOME).join("lib");
    let why = |path: &std::path::Path, e: std::io::Error| {
        format!(
            "cannot read the embedded interpreter's standard library ({}: {e}); run the \
             harness as a user who can read {PYTHON_HOME}, or build it against a Python that \
             user can read",
            path.display()
        )
    };
    let entries = match std::fs::read_dir(&lib) {
        Ok(e) => e,
        Err(e) => return Some(why(&lib, e)),
    };
    // Not found as files (a zipped standard library, say): CPython's own search decides.
    let stdlib = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("os.py").exists())?;
    let probe = stdlib.join("os.py");
    std::fs::File::open(&probe).err().map(|e| why(&probe, e))
}

/// Initialises the embedded interpreter if this process has not yet done so. A process
/// that cannot start it (its standard library unreadable, a configuration CPython
/// refuses) says why in one line and exits with status 1: no later call could work.
///
/// # Panics
/// If a path baked in at build time holds a NUL byte: the build is broken.
pub fn ensure_initialized() {
    INIT.call_once(|| {
        if let Some(why) = unreadable_stdlib() {
            crate::note!("Error: {why}");
            std::process::exit(1);
        }
        // SAFETY: runs once, before any other Python API call of this process (every
        // caller goes through `attach` below, which calls this first). The config struct
        // is initialised by `PyConfig_InitIsolatedConfig` before any field is read, the
        // strings passed are NUL-terminated and outlive the calls, and the config is
        // cleared after use. `PyEval_SaveThread` releases the GIL that initialisation
        // took, as PyO3's own initialisation does, so `Python::attach` can take it.
        unsafe {
            let mut config = std::mem::MaybeUninit::<ffi::PyConfig>::uninit();
            ffi::PyConfig_InitIsolatedConfig(config.as_mut_ptr());
            let mut config = config.assume_init();
            let home = CString::new(PYTHON_HOME).expect("home has no NUL");
            let exe = CString::new(PYTHON_EXECUTABLE).expect("executable has no NUL");
            let status = ffi::PyConfig_SetBytesString(&mut config, &mut config.home, home.as_ptr());
            assert_eq!(ffi::PyStatus_Exception(status), 0, "PyConfig.home");
            let status =
                ffi::PyConfig_SetBytesString(&mut config, &mut config.executable, exe.as_ptr());
            assert_eq!(ffi::PyStatus_Exception(status), 0, "PyConfig.executable");
            config.write_bytecode = 0;
            config.use_hash_seed = 1;
            config.hash_seed = 0;
            config.install_signal_handlers = 0;
            let status = ffi::Py_InitializeFromConfig(&config);
            ffi::PyConfig_Clear(&mut config);
            if ffi::PyStatus_Exception(status) != 0 {
                let message = if status.err_msg.is_null() {
                    "no reason given".into()
                } else {
                    std::ffi::CStr::from_ptr(status.err_msg).to_string_lossy()
                };
                crate::note!(
                    "Error: the embedded interpreter ({PYTHON_HOME}) did not start: {message}"
                );
                std::process::exit(1);
            }
            ffi::PyEval_SaveThread();
        }
    });
}

/// Runs `f` with the GIL held, initialising the interpreter first if needed.
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
    ensure_initialized();
    Python::attach(f)
}

/// Loads one of this crate's Python files (given as text) as a module.
pub fn load_module<'py>(py: Python<'py>, name: &str, code: &str) -> Result<Bound<'py, PyModule>> {
    let code_c = CString::new(code).context("Python source contains NUL")?;
    let file_c = CString::new(format!("<zipimport-bench {name}.py>")).expect("no NUL");
    let name_c = CString::new(name).context("module name contains NUL")?;
    PyModule::from_code(py, &code_c, &file_c, &name_c)
        .map_err(|e| anyhow::anyhow!("loading the harness module {name}: {}", format_err(py, &e)))
}

/// Like [`load_module`], with the compiled code cached in `cache_dir` (as marshal data
/// keyed by the source and the interpreter's magic number): every worker of a run loads
/// the same harness modules, and compiling them from source took 3 ms of each cold
/// sample's overhead where unmarshalling takes 0.1 ms. The first worker writes the cache
/// (a temporary file renamed into place, so a reader never sees half of it).
pub fn load_module_cached<'py>(
    py: Python<'py>,
    name: &str,
    code: &str,
    cache_dir: &Path,
) -> Result<Bound<'py, PyModule>> {
    use sha2::{Digest, Sha256};
    let loaded = (|| -> PyResult<Bound<'py, PyModule>> {
        let magic: Vec<u8> = py
            .import("importlib.util")?
            .getattr("MAGIC_NUMBER")?
            .extract()?;
        let key = Sha256::new()
            .chain_update(&magic)
            .chain_update(code.as_bytes())
            .finalize();
        let cache = cache_dir.join(format!("{name}-{}.code", &hex::encode(key)[..16]));
        let marshal = py.import("marshal")?;
        let compiled = match std::fs::read(&cache) {
            Ok(bytes) => marshal.call_method1("loads", (PyBytes::new(py, &bytes),))?,
            Err(_) => {
                let builtins = py.import("builtins")?;
                let c = builtins.call_method1(
                    "compile",
                    (code, format!("<zipimport-bench {name}.py>"), "exec"),
                )?;
                let bytes: Vec<u8> = marshal.call_method1("dumps", (&c,))?.extract()?;
                let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
                if std::fs::write(&tmp, &bytes).is_ok() {
                    let _ = std::fs::rename(&tmp, &cache);
                }
                c
            }
        };
        let module = PyModule::new(py, name)?;
        module.setattr("__file__", format!("<zipimport-bench {name}.py>"))?;
        py.import("sys")?
            .getattr("modules")?
            .set_item(name, &module)?;
        py.import("builtins")?
            .call_method1("exec", (compiled, module.dict()))?;
        Ok(module)
    })();
    loaded.map_err(|e| anyhow::anyhow!("loading the harness module {name}: {}", format_err(py, &e)))
}

/// `Type: message` of a Python exception, as the last line of a traceback shows it.
pub fn format_err(py: Python<'_>, err: &PyErr) -> String {
    let formatted = (|| -> PyResult<String> {
        let tb = py.import("traceback")?;
        let lines: Vec<String> = tb
            .call_method1("format_exception_only", (err.value(py),))?
            .extract()?;
        Ok(lines.concat().trim_end().to_owned())
    })();
    formatted.unwrap_or_else(|_| err.to_string())
}

/// Facts about the embedded interpreter, recorded with every run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PythonInfo {
    /// `sys.version`.
    pub version: String,
    /// `major.minor.micro`.
    pub version_short: String,
    /// `sys.implementation.name`.
    pub implementation: String,
    /// `sys.implementation.cache_tag` (`cpython-311`), used in `__pycache__` names.
    pub cache_tag: String,
    /// `importlib.util.MAGIC_NUMBER` as hex.
    pub magic: String,
    /// `sys.executable` inside the embedded interpreter.
    pub executable: String,
    /// `sys.prefix`.
    pub prefix: String,
    /// `platform.python_compiler()`.
    pub compiler: String,
    /// `platform.python_build()` joined with a space.
    pub build: String,
    /// How the interpreter was built, from `sysconfig` (empty in files written before
    /// 2026-12-02).
    #[serde(default)]
    pub build_config: BuildConfig,
    /// The global lazy-imports mode (`sys.get_lazy_imports()`: `normal`, `all` or
    /// `none`) of an interpreter that has PEP 810's lazy imports (3.15 and later);
    /// null for one that does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lazy_imports: Option<String>,
}

/// How an interpreter was built: what makes two builds of one version run at different
/// speeds (a distribution's `-O2` against a `-O3` source build, profile-guided
/// optimisation, link-time optimisation, a debug or free-threaded build).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BuildConfig {
    /// `sysconfig.get_config_var("CONFIG_ARGS")`: the configure arguments.
    #[serde(default)]
    pub config_args: String,
    /// The optimisation flags C files were compiled with (`OPT`).
    #[serde(default)]
    pub opt: String,
    /// Built with profile-guided optimisation (`--enable-optimizations`, or
    /// `-fprofile-use` among the compiler flags).
    #[serde(default)]
    pub pgo: bool,
    /// Built with link-time optimisation (`--with-lto` or `-flto`).
    #[serde(default)]
    pub lto: bool,
    /// A debug build (`Py_DEBUG`).
    #[serde(default)]
    pub debug: bool,
    /// A free-threaded build (`Py_GIL_DISABLED`).
    #[serde(default)]
    pub free_threaded: bool,
}

impl BuildConfig {
    /// The optimisation level among the `OPT` flags (`-O3`), if any.
    pub fn opt_level(&self) -> Option<&str> {
        self.opt.split_whitespace().rfind(|f| f.starts_with("-O"))
    }

    /// A short description (`-O3, PGO, LTO`), or `unknown` for files without one.
    pub fn summary(&self) -> String {
        if self.opt.is_empty() && self.config_args.is_empty() {
            return "unknown".into();
        }
        let mut parts: Vec<&str> = vec![self.opt_level().unwrap_or("no -O")];
        for (on, name) in [
            (self.pgo, "PGO"),
            (self.lto, "LTO"),
            (self.debug, "debug"),
            (self.free_threaded, "free-threaded"),
        ] {
            if on {
                parts.push(name);
            }
        }
        parts.join(", ")
    }
}

impl PythonInfo {
    /// The compiler and build flags (`GCC 12.2.0, -O3`): what must match for two
    /// interpreters' absolute times to compare.
    pub fn build_summary(&self) -> String {
        format!("{}, {}", self.compiler, self.build_config.summary())
    }
}

/// Asks the embedded interpreter about itself.
pub fn info() -> Result<PythonInfo> {
    attach(|py| {
        let m = load_module(py, "zib_info", include_str!("info.py"))?;
        let json: String = m
            .call_method0("info_json")
            .and_then(|v| v.extract())
            .map_err(|e| anyhow::anyhow!("querying the interpreter: {}", format_err(py, &e)))?;
        let info: PythonInfo = serde_json::from_str(&json).context("parsing interpreter info")?;
        if info.prefix != PYTHON_HOME {
            bail!(
                "the embedded interpreter runs from {} but this binary was built for {}",
                info.prefix,
                PYTHON_HOME
            );
        }
        Ok(info)
    })
}
