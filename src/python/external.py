"""zipimport-bench's helper for an external CPython (`run --python PATH`).

Run as `python -I -B -c <info.py, then this file> info` or `... compile`: `info` prints
the interpreter's identity as JSON (info.py's `info_json`); `compile` reads a JSON
list of [path, hex source] pairs on stdin and prints a JSON list of [hex marshalled
code, hex source hash], compiled by this interpreter exactly as compile.py does in the
embedded one.
"""

import importlib.util
import json
import marshal
import sys


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
    print(info_json())  # noqa: F821 (defined by info.py, prepended)
elif sys.argv[1] == "compile":
    print(json.dumps(compile_all(json.load(sys.stdin))))
else:
    raise SystemExit("unknown command %r" % sys.argv[1])
