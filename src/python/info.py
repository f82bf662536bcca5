"""Facts about the running interpreter, for zipimport-bench's run metadata."""

import importlib.util
import json
import platform
import sys


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
        }
    )
