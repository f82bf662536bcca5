"""zipimport-bench doctor: what makes imports from an archive slower than they need to
be, as the interpreter running this script would see it; and the repair.

Run as `python -I -B -c <this file> inspect ARCHIVE` (with TZ set to the zone to judge
timestamps in): prints JSON facts. The archive is read with zipimport's own directory
parser and member reader, and timestamp pycs are judged with zipimport's own DOS-time
conversion (`time.mktime`, the process's local time zone, +-1 s), so the facts are what
zipimport itself would decide.

Run as `python -I -B -c <this file> fix ARCHIVE OUT COMPRESSION` to write OUT: every
member kept byte for byte (prepended data such as a zipapp's shebang too), except that
`__pycache__/` bytecode and stale legacy pycs are dropped and every module's source gets
an unchecked-hash pyc beside it, compiled by this interpreter (valid in any time zone,
never checked against the source); modules in import order (a package's `__init__`
first), members written with COMPRESSION (`stored` or `deflate`).
"""

import importlib.util
import json
import marshal
import os
import sys
import time
import zipfile
import zipimport

from importlib import _bootstrap_external

EXTENSION_SUFFIXES = (".so", ".pyd")
METHODS = {0: "stored", 8: "deflate", 12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz", 98: "ppmd"}


def _modules(names):
    """Member names of importable modules: .py files whose directories are packages."""
    packages = {n[: -len("/__init__.py")] for n in names if n.endswith("/__init__.py")}
    out = []
    for n in names:
        if not n.endswith(".py") or "__pycache__" in n.split("/"):
            continue
        parts = n.split("/")[:-1]
        if all("/".join(parts[:i]) in packages for i in range(1, len(parts) + 1)):
            out.append(n)
    return out


def inspect(archive):
    magic = importlib.util.MAGIC_NUMBER
    try:
        toc = zipimport._read_directory(archive)  # {relative path (os.sep): toc entry}
    except Exception as exc:  # zip64 before 3.13, not a zip: nothing imports
        return {"python": sys.version.split()[0], "magic": magic.hex(),
                "tz": os.environ.get("TZ", ""), "error": "%s: %s" % (type(exc).__name__, exc)}
    names = sorted(k.replace(os.sep, "/") for k in toc)
    entry = {k.replace(os.sep, "/"): v for k, v in toc.items()}
    methods = {}
    for e in entry.values():
        m = METHODS.get(e[1], "method %d" % e[1])
        methods[m] = methods.get(m, 0) + 1
    modules = _modules(names)
    facts = {
        "python": sys.version.split()[0],
        "magic": magic.hex(),
        "tz": os.environ.get("TZ", ""),
        "entries": len(names),
        "modules": len(modules),
        "methods": methods,
        "pycache": sum(1 for n in names if "__pycache__" in n.split("/") and n.endswith(".pyc")),
        "extensions": [n for n in names if n.endswith(EXTENSION_SUFFIXES) or ".so." in n],
        "no_bytecode": [], "stale": [], "wrong_magic": [], "unreadable": [],
        "timestamp": 0, "checked_hash": 0, "unchecked_hash": 0,
        "non_module_entries": 0,
    }
    covered = set()
    for py in modules:
        pyc = py[:-3] + ".pyc"
        covered.update((py, pyc))
        if pyc not in entry:
            facts["no_bytecode"].append(py)
            continue
        try:
            data = zipimport._get_data(archive, entry[pyc])
        except Exception as exc:  # the method this interpreter cannot read
            facts["unreadable"].append([pyc, "%s: %s" % (type(exc).__name__, exc)])
            continue
        if data[:4] != magic:
            facts["wrong_magic"].append([py, data[:4].hex()])
            continue
        flags = int.from_bytes(data[4:8], "little")
        if flags & 1:
            facts["checked_hash" if flags & 2 else "unchecked_hash"] += 1
            continue
        facts["timestamp"] += 1
        src = entry[py]
        mtime = zipimport._parse_dostime(src[6], src[5])
        header_mtime = int.from_bytes(data[8:12], "little")
        header_size = int.from_bytes(data[12:16], "little")
        if abs(header_mtime - mtime) > 1 or header_size != src[3]:
            facts["stale"].append(py)
    facts["non_module_entries"] = sum(1 for n in names if n not in covered)
    return facts


def _order(modules):
    """Import order: path order with each package's __init__ first."""
    return sorted(modules, key=lambda n: n.replace("/__init__.py", "/\0__init__.py"))


def fix(archive, out, compression):
    method = {"stored": zipfile.ZIP_STORED, "deflate": zipfile.ZIP_DEFLATED}[compression]
    with open(archive, "rb") as f:
        raw = f.read()
    with zipfile.ZipFile(archive) as src:
        infos = src.infolist()
        prefix = raw[: min((i.header_offset for i in infos), default=0)]
        names = [i.filename for i in infos if not i.is_dir()]
        modules = set(_modules(names))
        drop = {i.filename for i in infos if "__pycache__" in i.filename.split("/")}
        drop |= {m[:-3] + ".pyc" for m in modules}
        kept = [i for i in infos if i.filename not in drop and i.filename not in modules]
        with open(out, "wb") as f:
            f.write(prefix)
            with zipfile.ZipFile(f, "w", compression=method) as dst:
                for info in kept:
                    dst.writestr(_member(info.filename, info.date_time, method),
                                 src.read(info))
                for py in _order(modules):
                    info = src.getinfo(py)
                    source = src.read(info)
                    dst.writestr(_member(py, info.date_time, method), source)
                    try:
                        code = compile(source, py, "exec", dont_inherit=True)
                    except (SyntaxError, ValueError):
                        continue  # stays source only, as it was
                    pyc = _bootstrap_external._code_to_hash_pyc(
                        code, importlib.util.source_hash(source), checked=False)
                    dst.writestr(_member(py[:-3] + ".pyc", info.date_time, method), bytes(pyc))
    all_names = {i.filename for i in infos}
    return {"written": out, "modules": len(modules), "dropped": sorted(drop & all_names)}


def _member(name, date_time, method):
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info


def main():
    command = sys.argv[1]
    if command == "inspect":
        result = inspect(sys.argv[2])
    elif command == "fix":
        result = fix(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit("unknown command %r" % command)
    sys.stdout.write(json.dumps(result))


main()
