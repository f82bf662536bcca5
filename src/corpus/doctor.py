"""zipimport-bench doctor: what makes imports from an archive slower than they need to
be, or wrong, as the interpreter running this script would see it; and the repair.

Run as `python -I -B -c <this file> inspect ARCHIVE` (with TZ set to the zone to judge
timestamps in): prints JSON facts. The archive is read with zipimport's own directory
parser and member reader, and timestamp pycs are judged with zipimport's own DOS-time
conversion (`time.mktime`, the process's local time zone, +-1 s), so the facts are what
zipimport itself would decide. Every `.py` member outside `__pycache__` counts as a
module, whatever its folder: zipimport imports namespace packages, and an archive can
be put on `sys.path` at a subfolder.

Run as `python -I -B -c <this file> fix ARCHIVE OUT COMPRESSION` to write OUT: every
member kept byte for byte and in its place (prepended data such as a zipapp's shebang,
the archive comment and the file's mode too), except that `__pycache__/` bytecode and
the pycs beside sources are dropped and every module's source gets an unchecked-hash
pyc right after it, compiled by this interpreter with the file name zipimport would
give it (`OUT/member`), valid in any time zone and never checked against the source;
members written with COMPRESSION (`stored` or `deflate`). OUT is written beside itself
and renamed into place, so nothing is left on failure.
"""

import calendar
import importlib.util
import json
import os
import sys
import tempfile
import time
import zipfile
import zipimport

from importlib import _bootstrap_external

EXTENSION_SUFFIXES = (".so", ".pyd")
METHODS = {0: "stored", 8: "deflate", 12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz", 98: "ppmd"}


def _modules(names):
    """Member names of modules: every .py file outside __pycache__ (a namespace
    package's modules and those under a subfolder import root included)."""
    return [n for n in names if n.endswith(".py") and "__pycache__" not in n.split("/")]


def _zone_known():
    """Whether this process's TZ names a zone the C library has data for: without
    it, glibc silently treats the zone as UTC and every verdict in it would be UTC's."""
    tz = os.environ.get("TZ", "")
    if tz in ("", "UTC", "UTC0", "GMT", "Etc/UTC"):
        return True
    name = tz[1:] if tz.startswith(":") else tz
    tzdir = os.environ.get("TZDIR", "/usr/share/zoneinfo")
    return os.path.isfile(os.path.join(tzdir, name))


def _is_zip64(archive):
    """Whether the archive has zip64 end records (what zipimport before 3.13 cannot
    read), judged by the records, not by its number of entries."""
    size = os.path.getsize(archive)
    with open(archive, "rb") as f:
        f.seek(max(0, size - 65536 - 22))
        tail = f.read()
    end = tail.rfind(b"PK\x05\x06")
    return end >= 20 and tail[end - 20:end - 16] == b"PK\x06\x07"


def _ambiguous(date, time_):
    """Whether a member's DOS time falls in the local zone's repeated hour (the autumn
    change): `time.mktime` with isdst=-1 may then give either of two instants, and which
    one depends on what the process converted before."""
    year = (date >> 9) + 1980
    fields = (year, (date >> 5) & 0xF, date & 0x1F,
              time_ >> 11, (time_ >> 5) & 0x3F, (time_ & 0x1F) * 2)
    try:
        a = time.mktime(fields + (-1, -1, 0))
        b = time.mktime(fields + (-1, -1, 1))
    except (OverflowError, ValueError):
        return False
    if a == b:
        return False
    # Both readings show the same wall clock: the hour happened twice.
    return time.localtime(a)[:6] == fields and time.localtime(b)[:6] == fields


def _dos_as_utc(date, time_):
    year = (date >> 9) + 1980
    return calendar.timegm((year, (date >> 5) & 0xF, date & 0x1F,
                            time_ >> 11, (time_ >> 5) & 0x3F, (time_ & 0x1F) * 2, -1, -1, -1))


def _pyc_magic(data):
    """The pyc's magic as hex, or "" when the data is not a pyc at all (shorter than its
    16-byte header, or without the \\r\\n every magic ends with)."""
    if len(data) < 16 or data[2:4] != b"\r\n":
        return ""
    return data[:4].hex()


def inspect(archive):
    magic = importlib.util.MAGIC_NUMBER
    base = {"python": sys.version.split()[0], "magic": magic.hex(),
            "tz": os.environ.get("TZ", ""), "zone_known": _zone_known()}
    try:
        toc = zipimport._read_directory(archive)  # {relative path (os.sep): toc entry}
    except Exception as exc:  # zip64 before 3.13, not a zip: nothing imports
        base.update(error="%s: %s" % (type(exc).__name__, exc), zip64=_is_zip64(archive))
        return base
    # 3.14 on adds the folders it infers as entries without a record (None).
    toc = {k: v for k, v in toc.items() if v is not None}
    names = sorted(k.replace(os.sep, "/") for k in toc)
    entry = {k.replace(os.sep, "/"): v for k, v in toc.items()}
    methods = {}
    for e in entry.values():
        m = METHODS.get(e[1], "method %d" % e[1])
        methods[m] = methods.get(m, 0) + 1
    modules = _modules(names)
    facts = dict(base)
    facts.update({
        "entries": len(names),
        "zip64": _is_zip64(archive),
        "modules": len(modules),
        "methods": methods,
        "pycache": sum(1 for n in names if "__pycache__" in n.split("/") and n.endswith(".pyc")),
        "extensions": [n for n in names if n.endswith(EXTENSION_SUFFIXES) or ".so." in n],
        "no_bytecode": [], "stale": [], "wrong_magic": [], "unreadable": [],
        "stale_checked": [], "stale_unchecked": [], "ambiguous": [],
        "sourceless": 0, "sourceless_bad": [],
        "timestamp": 0, "checked_hash": 0, "unchecked_hash": 0,
        "timestamp_offsets": {},
        "non_module_entries": 0,
    })

    def read(member, quiet=False):
        """The member's bytes as zipimport reads them, or None (and, unless `quiet`, the
        member listed as unreadable with zipimport's own error)."""
        try:
            return zipimport._get_data(archive, entry[member])
        except Exception as exc:  # the method this interpreter cannot read
            if not quiet:
                facts["unreadable"].append([member, "%s: %s" % (type(exc).__name__, exc)])
            return None

    covered = set()
    for py in modules:
        pyc = py[:-3] + ".pyc"
        covered.update((py, pyc))
        if pyc not in entry:
            facts["no_bytecode"].append(py)
            read(py)  # compiled on import: its source must be readable
            continue
        data = read(pyc)
        if data is None:
            continue
        found = _pyc_magic(data)
        if found != magic.hex():
            facts["wrong_magic"].append([py, found])
            read(py)
            continue
        flags = int.from_bytes(data[4:8], "little")
        if flags & 1:
            checked = bool(flags & 2)
            facts["checked_hash" if checked else "unchecked_hash"] += 1
            # zipimport reads the source of a checked pyc, never an unchecked one's; the
            # hash tells either way whether the bytecode is the source's.
            source = read(py, quiet=not checked)
            if source is not None and importlib.util.source_hash(source) != data[8:16]:
                facts["stale_checked" if checked else "stale_unchecked"].append(py)
            continue
        facts["timestamp"] += 1
        src = entry[py]
        if _ambiguous(src[6], src[5]):
            facts["ambiguous"].append(py)
        mtime = zipimport._parse_dostime(src[6], src[5])
        header_mtime = int.from_bytes(data[8:12], "little")
        header_size = int.from_bytes(data[12:16], "little")
        # The member time read as UTC, minus the pyc's: the zone offset at which the
        # two agree.
        offset = str(_dos_as_utc(src[6], src[5]) - header_mtime)
        facts["timestamp_offsets"][offset] = facts["timestamp_offsets"].get(offset, 0) + 1
        if abs(header_mtime - mtime) > 1 or header_size != src[3]:
            facts["stale"].append(py)
            read(py)
    # Bytecode with no source beside it: zipimport imports it as is, and a wrong magic
    # breaks the import (nothing can rebuild it without the source).
    for n in names:
        if not n.endswith(".pyc") or "__pycache__" in n.split("/") or n in covered:
            continue
        covered.add(n)
        facts["sourceless"] += 1
        data = read(n)
        if data is not None and _pyc_magic(data) != magic.hex():
            facts["sourceless_bad"].append([n, _pyc_magic(data)])
    facts["non_module_entries"] = sum(1 for n in names if n not in covered)
    # Which methods the members zipimport reads (modules and their bytecode) use, and
    # which only data members do.
    module_methods = {}
    for n in covered:
        if n in entry:
            m = METHODS.get(entry[n][1], "method %d" % entry[n][1])
            module_methods[m] = module_methods.get(m, 0) + 1
    facts["module_methods"] = module_methods
    return facts


def fix(archive, out, compression):
    method = {"stored": zipfile.ZIP_STORED, "deflate": zipfile.ZIP_DEFLATED}[compression]
    with open(archive, "rb") as f:
        raw = f.read()
    out_dir = os.path.dirname(os.path.abspath(out))
    # The name zipimport gives a module compiled from the archive once it is in place:
    # tracebacks then name the archive, not a relative path that may be another file.
    runtime_name = os.path.abspath(out)
    with zipfile.ZipFile(archive) as src:
        infos = src.infolist()
        prefix = raw[: min((i.header_offset for i in infos), default=0)]
        modules = set(_modules([i.filename for i in infos if not i.is_dir()]))
        drop = {i.filename for i in infos if "__pycache__" in i.filename.split("/")}
        drop |= {m[:-3] + ".pyc" for m in modules}
        fd, tmp = tempfile.mkstemp(prefix=".doctor-", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(prefix)
                with zipfile.ZipFile(f, "w", compression=method) as dst:
                    dst.comment = src.comment
                    for info in infos:
                        if info.filename in drop:
                            continue
                        data = src.read(info)
                        dst.writestr(_member(info, method), data)
                        if info.filename not in modules:
                            continue
                        try:
                            code = compile(data, runtime_name + "/" + info.filename, "exec",
                                           dont_inherit=True)
                        except (SyntaxError, ValueError):
                            continue  # stays source only, as it was
                        pyc = _bootstrap_external._code_to_hash_pyc(
                            code, importlib.util.source_hash(data), checked=False)
                        pyc_info = zipfile.ZipInfo(info.filename[:-3] + ".pyc", info.date_time)
                        pyc_info.external_attr = info.external_attr
                        dst.writestr(_member(pyc_info, method), bytes(pyc))
            os.chmod(tmp, os.stat(archive).st_mode & 0o7777)
            os.replace(tmp, out)
        except BaseException:
            os.unlink(tmp)
            raise
    all_names = {i.filename for i in infos}
    return {"written": out, "modules": len(modules), "dropped": sorted(drop & all_names)}


def _member(info, method):
    """A copy of `info` (name, time, mode, flags the data needs) written with `method`."""
    out = zipfile.ZipInfo(info.filename, info.date_time)
    out.compress_type = method if not info.is_dir() else zipfile.ZIP_STORED
    out.external_attr = info.external_attr or (0o644 << 16)
    out.create_system = info.create_system
    out.comment = info.comment
    return out


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
