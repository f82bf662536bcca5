"""zipimport-bench's helper for an external CPython (`run --python PATH`).

Run as `python -I -B -c <this file> info` or `... compile`: `info` prints the
interpreter's identity as JSON (the same fields as info.py); `compile` reads a JSON
list of [path, hex source] pairs on stdin and prints a JSON list of [hex marshalled
code, hex source hash], compiled by this interpreter exactly as compile.py does in the
embedded one.
"""

import importlib.util
import json
import marshal
import platform
import sys


def info():
    v = sys.version_info
    return {
        "version": sys.version,
        "version_short": "%d.%d.%d" % (v.major, v.minor, v.micro),
        "implementation": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "compiler": platform.python_compiler(),
        "build": " ".join(platform.python_build()),
    }


def compile_all(items):
    out = []
    for path, source_hex in items:
        source = bytes.fromhex(source_hex)
        try:
            code = compile(source, path, "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, ValueError):
            out.append(None)
            continue
        out.append([marshal.dumps(code).hex(), importlib.util.source_hash(source).hex()])
    return out


if sys.argv[1] == "info":
    print(json.dumps(info()))
elif sys.argv[1] == "compile":
    print(json.dumps(compile_all(json.load(sys.stdin))))
else:
    raise SystemExit("unknown command %r" % sys.argv[1])
