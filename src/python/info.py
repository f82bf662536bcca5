"""Facts about the running interpreter, for zipimport-bench's run metadata."""

import importlib.util
import json
import platform
import sys
import sysconfig


def _build_config():
    """How the interpreter was built, from sysconfig."""
    var = sysconfig.get_config_var
    args = var("CONFIG_ARGS") or ""
    flags = " ".join(
        str(var(k) or "")
        for k in ("CFLAGS", "PY_CFLAGS_NODIST", "CFLAGS_NODIST", "LDFLAGS", "PY_LDFLAGS_NODIST")
    )
    return {
        "config_args": args,
        "opt": var("OPT") or "",
        "pgo": "--enable-optimizations" in args or "-fprofile-use" in flags,
        "lto": "--with-lto" in args or "-flto" in flags,
        "debug": bool(var("Py_DEBUG")),
        "free_threaded": bool(var("Py_GIL_DISABLED")),
    }


def info_json():
    """Return the interpreter's identity as a JSON object string."""
    v = sys.version_info
    return json.dumps(
        {
            "version": sys.version,
            "version_short": f"{v.major}.{v.minor}.{v.micro}",
            "implementation": sys.implementation.name,
            "cache_tag": sys.implementation.cache_tag,
            "magic": importlib.util.MAGIC_NUMBER.hex(),
            "executable": sys.executable,
            "prefix": sys.prefix,
            "compiler": platform.python_compiler(),
            "build": " ".join(platform.python_build()),
            "build_config": _build_config(),
            "lazy_imports": (
                str(sys.get_lazy_imports()) if hasattr(sys, "get_lazy_imports") else None
            ),
        }
    )
