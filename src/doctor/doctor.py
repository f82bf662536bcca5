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

Hostile archives: the process limits its own address space to 512 MiB; no member is
handed to zipimport's reader that declares more than 64 MiB or inflates past what it
declares (a decompression bomb is reported, never inflated); `fix` refuses, before
writing anything, member names that would escape a folder when extracted (or that hold
a NUL), encrypted members and members declaring more than 256 MiB, copies members as
streams, and keeps one copy of a duplicated name (the last, the one zipimport imports).
"""

import ast
import calendar
import importlib.util
import json
import marshal
import os
import shutil
import struct
import sys
import tempfile
import time
import zipfile
import zipimport
import zlib

from importlib import _bootstrap_external

EXTENSION_SUFFIXES = (".so", ".pyd")
METHODS = {0: "stored", 8: "deflate", 12: "bzip2", 14: "lzma", 93: "zstd", 95: "xz", 98: "ppmd"}
# What this process may use at most, and the largest member it reads or copies.
ADDRESS_SPACE = 512 << 20
READ_LIMIT = 64 << 20
COPY_LIMIT = 256 << 20


def _unsafe(name):
    """Why a member name would escape a folder when extracted (or cannot name a file),
    or None."""
    if "\x00" in name:
        return "a NUL byte"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "a `..` component"
    return None


def _guard(archive, e):
    """Why zipimport's reader must not be given toc entry `e`, or None: a member that
    declares more than READ_LIMIT bytes, or a deflated one that inflates past what it
    declares (zipimport inflates the whole stream, whatever the header says)."""
    if e[3] > READ_LIMIT:
        return "declares %d bytes uncompressed, more than doctor reads (%d MiB)" % (
            e[3], READ_LIMIT >> 20)
    if e[1] != 8:
        return None
    with open(archive, "rb") as f:
        f.seek(e[4])
        header = f.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return None  # zipimport's reader says what is wrong
        n, x = struct.unpack("<HH", header[26:30])
        f.seek(e[4] + 30 + n + x)
        raw = f.read(min(e[2], READ_LIMIT))
    try:
        out = zlib.decompressobj(-15).decompress(raw, e[3] + 1)
    except zlib.error:
        return None  # zipimport's reader gives its own error
    if len(out) > e[3]:
        return "inflates to more than the %d bytes it declares (a decompression bomb?)" % e[3]
    return None


def _records(archive):
    """The central directory as zipfile reads it (every record, duplicates included),
    or [] when zipfile cannot read it."""
    try:
        with zipfile.ZipFile(archive) as z:
            return z.infolist()
    except Exception:
        return []


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
    """The member time read as UTC, or None when it is no date at all (month 0 or 13,
    day 0: zipimport's `time.mktime` normalises such fields, `timegm` refuses them)."""
    year = (date >> 9) + 1980
    try:
        return calendar.timegm((year, (date >> 5) & 0xF, date & 0x1F,
                                time_ >> 11, (time_ >> 5) & 0x3F, (time_ & 0x1F) * 2,
                                -1, -1, -1))
    except (ValueError, OverflowError):
        return None


# Calls that read or look at a path: given one built from __file__, each fails or
# answers wrongly when the module was imported from a zip (its __file__ then names a
# member inside the archive, which no file-system call can open).
_PATH_CALLS = frozenset({
    "open", "listdir", "scandir", "walk", "read_text", "read_bytes", "iterdir", "glob",
    "exists", "isfile", "isdir", "stat", "getsize",
})


def _file_relative(source):
    """Lines of `source` that open, list or test a path built from __file__ (directly,
    or through names assigned from it, as HERE = os.path.dirname(__file__)); [] when it
    does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    tainted = {"__file__"}

    def mentions(node):
        return any(isinstance(n, ast.Name) and n.id in tainted for n in ast.walk(node))

    assigns = [n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))]
    for _ in range(3):  # HERE from __file__, DATA from HERE, FILE from DATA
        for a in assigns:
            if a.value is not None and mentions(a.value):
                targets = a.targets if isinstance(a, ast.Assign) else [a.target]
                tainted.update(t.id for t in targets if isinstance(t, ast.Name))
    lines = set()
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        if name not in _PATH_CALLS:
            continue
        looked_at = list(n.args) + [k.value for k in n.keywords]
        if isinstance(f, ast.Attribute):
            looked_at.append(f.value)  # Path(__file__).with_name("x").read_text()
        if any(mentions(a) for a in looked_at):
            lines.add(n.lineno)
    return sorted(lines)


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
        "unsafe_names": [], "duplicates": [], "encrypted": [], "broken_bytecode": [],
        "oversized": [], "corrupt": [], "file_relative": [],
    })
    for n in sorted(toc):
        why = _unsafe(n.replace(os.sep, "/"))
        if why:
            facts["unsafe_names"].append([n.replace(os.sep, "/"), why])
    seen = {}
    for info in _records(archive):
        seen[info.orig_filename] = seen.get(info.orig_filename, 0) + 1
        if info.flag_bits & 1:
            facts["encrypted"].append(info.orig_filename)
    facts["duplicates"] = sorted(n for n, k in seen.items() if k > 1)

    def read(member, quiet=False):
        """The member's bytes as zipimport reads them, or None (and, unless `quiet`, the
        member listed as unreadable with zipimport's own error)."""
        why = _guard(archive, entry[member])
        if why:
            if not quiet:
                facts["oversized"].append([member, why])
            return None
        try:
            data = zipimport._get_data(archive, entry[member])
            if zlib.crc32(data) != entry[member][7]:
                # zipimport never checks: it imports whatever the offsets point at.
                facts["corrupt"].append([member, "its data does not match its CRC-32 (%d "
                                         "bytes read, %d declared)" % (len(data), entry[member][3])])
            return data
        except Exception as exc:  # the method this interpreter cannot read
            if not quiet:
                facts["unreadable"].append([member, "%s: %s" % (type(exc).__name__, exc)])
            return None

    def _unmarshal(member, data):
        """Bytecode zipimport accepts (this version's, valid) must also load."""
        try:
            marshal.loads(data[16:])
        except Exception as exc:
            facts["broken_bytecode"].append([member, "%s: %s" % (type(exc).__name__, exc)])

    covered = set()
    # Modules whose source or bytecode names __file__ (a string the bytecode keeps), with
    # the source when it was read already: only those are parsed for paths built from it.
    uses_file = []
    for py in modules:
        pyc = py[:-3] + ".pyc"
        covered.update((py, pyc))
        if pyc not in entry:
            facts["no_bytecode"].append(py)
            source = read(py)  # compiled on import: its source must be readable
            if source is not None and b"__file__" in source:
                uses_file.append((py, source))
            continue
        data = read(pyc)
        if data is None:
            continue
        if b"__file__" in data:
            uses_file.append((py, None))
        found = _pyc_magic(data)
        if data[:4] == magic and len(data) < 16:
            # zipimport takes it for this version's bytecode and fails on its header.
            facts["broken_bytecode"].append([pyc, "EOFError: reached EOF while reading pyc header"])
            continue
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
                if checked:
                    continue  # recompiled from the source, never unmarshalled
            _unmarshal(pyc, data)
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
        utc = _dos_as_utc(src[6], src[5])
        if utc is not None:
            offset = str(utc - header_mtime)
            facts["timestamp_offsets"][offset] = facts["timestamp_offsets"].get(offset, 0) + 1
        if abs(header_mtime - mtime) > 1 or header_size != src[3]:
            facts["stale"].append(py)
            read(py)
        else:
            _unmarshal(pyc, data)
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
        elif data is not None:
            _unmarshal(n, data)
    for py, source in uses_file:
        if source is None:
            source = read(py, quiet=True)
        lines = _file_relative(source) if source is not None else []
        if lines:
            facts["file_relative"].append([py, lines])
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
    out_dir = os.path.dirname(os.path.abspath(out))
    # The name zipimport gives a module compiled from the archive once it is in place:
    # tracebacks then name the archive, not a relative path that may be another file.
    runtime_name = os.path.abspath(out)
    with zipfile.ZipFile(archive) as src:
        infos = src.infolist()
        # Refused before anything is written: names that escape a folder, what cannot be
        # read back, what may be a bomb.
        for i in infos:
            why = _unsafe(i.orig_filename)
            if why:
                raise SystemExit("refusing to repair: member %r has %s; extracted, it would "
                                 "not land where its name says (rename or remove it first)"
                                 % (i.orig_filename, why))
            if i.flag_bits & 1:
                raise SystemExit("refusing to repair: member %r is encrypted" % i.filename)
            if i.compress_size > COPY_LIMIT:
                raise SystemExit("refusing to repair: member %r declares %d bytes "
                                 "compressed, more than doctor copies (%d MiB)"
                                 % (i.filename, i.compress_size, COPY_LIMIT >> 20))
            if i.file_size > COPY_LIMIT:
                raise SystemExit("refusing to repair: member %r declares %d bytes "
                                 "uncompressed, more than doctor copies (%d MiB)"
                                 % (i.filename, i.file_size, COPY_LIMIT >> 20))
        # One copy of a duplicated name: the last, the one zipimport imports.
        last = {i.filename: k for k, i in enumerate(infos)}
        duplicates = [i.filename for k, i in enumerate(infos) if last[i.filename] != k]
        start = min((i.header_offset for i in infos), default=0)
        modules = set(_modules([i.filename for i in infos if not i.is_dir()]))
        drop = {i.filename for i in infos if "__pycache__" in i.filename.split("/")}
        drop |= {m[:-3] + ".pyc" for m in modules}
        with open(archive, "rb") as raw:
            prefix = raw.read(start)
            fd, tmp = tempfile.mkstemp(prefix=".doctor-", dir=out_dir)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(prefix)
                    with zipfile.ZipFile(f, "w", compression=method) as dst:
                        dst.comment = src.comment
                        for k, info in enumerate(infos):
                            if info.filename in drop or last[info.filename] != k:
                                continue
                            if info.filename not in modules:
                                _copy_data(raw, src, dst, info, method)
                                continue
                            data = _read(raw, src, info)
                            _write(dst, _member(info, method), data)
                            try:
                                code = compile(data, runtime_name + "/" + info.filename,
                                               "exec", dont_inherit=True)
                            except (SyntaxError, ValueError):
                                continue  # stays source only, as it was
                            pyc = bytes(_bootstrap_external._code_to_hash_pyc(
                                code, importlib.util.source_hash(data), checked=False))
                            pyc_info = zipfile.ZipInfo(info.filename[:-3] + ".pyc",
                                                       info.date_time)
                            pyc_info.external_attr = info.external_attr
                            _write(dst, _member(pyc_info, method), pyc)
                os.chmod(tmp, os.stat(archive).st_mode & 0o7777)
                os.replace(tmp, out)
            except BaseException:
                os.unlink(tmp)
                raise
    all_names = {i.filename for i in infos}
    dropped = sorted(drop & all_names) + ["%s (an earlier copy)" % d for d in duplicates]
    return {"written": out, "modules": len(modules), "dropped": dropped}


def _copy_data(raw, src, dst, info, method):
    """Copies data member `info` from `src` to `dst`: as its compressed bytes when its
    method is already `method`, as a stream when large (memory stays bounded), else
    read and written whole."""
    if info.compress_type == method:
        _copy_raw(raw, dst, info)
        return
    try:
        if info.file_size > (1 << 20):
            with src.open(info) as r, dst.open(_member(info, method), "w") as w:
                shutil.copyfileobj(r, w, 1 << 20)
        else:
            dst.writestr(_member(info, method), src.read(info))
    except (OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        # A stream its method cannot decode (bz2 and lzma say OSError or their own
        # error), or the disk refusing the copy: either way, named.
        raise SystemExit("refusing to repair: member %r cannot be copied (%s: %s)"
                         % (info.filename, type(exc).__name__, exc))


def repair(archive, out, compression):
    """`fix`, with what zipfile cannot read (an archive zipimport reads but zipfile's
    stricter parser refuses: a bad local header, a lying size) refused in one line
    that names the reason, rather than a traceback."""
    try:
        return fix(archive, out, compression)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
            struct.error, NotImplementedError, zlib.error) as exc:
        raise SystemExit("refusing to repair: zipfile cannot read the archive as it "
                         "is (%s: %s)" % (type(exc).__name__, exc))
    except MemoryError:
        raise SystemExit("refusing to repair: the archive needs more than the %d MiB "
                         "doctor allows itself" % (ADDRESS_SPACE >> 20))


def _raw_bytes(raw, info):
    """Member `info`'s compressed bytes, read from the archive file `raw` at the offset
    its central directory gives (one seek and one read, without zipfile's per-member
    file object)."""
    raw.seek(info.header_offset)
    header = raw.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise SystemExit("refusing to repair: member %r has no local header where the "
                         "central directory says" % info.filename)
    n, x = struct.unpack("<HH", header[26:30])
    raw.seek(info.header_offset + 30 + n + x)
    data = raw.read(info.compress_size)  # at most COPY_LIMIT: `fix` refused larger
    if len(data) != info.compress_size:
        raise SystemExit("refusing to repair: member %r is cut short" % info.filename)
    return data


def _read(raw, src, info):
    """Member `info`'s data, checked against its declared size and CRC-32: stored and
    deflated members read directly, inflating one byte past the declared size at most
    (a member that lies about its size is never inflated further); any other method
    through zipfile."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        try:
            return src.read(info)
        except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            # bz2 says OSError, lzma its own error (a ValueError neither; caught below)
            raise SystemExit("refusing to repair: member %r cannot be read (%s: %s)"
                             % (info.filename, type(exc).__name__, exc))
    data = _raw_bytes(raw, info)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        try:
            data = zlib.decompressobj(-15).decompress(data, info.file_size + 1)
        except zlib.error as exc:
            raise SystemExit("refusing to repair: member %r does not inflate: %s"
                             % (info.filename, exc))
    if len(data) != info.file_size:
        raise SystemExit("refusing to repair: member %r holds %s than the %d bytes it "
                         "declares" % (info.filename,
                                       "more" if len(data) > info.file_size else "less",
                                       info.file_size))
    if zlib.crc32(data) != info.CRC:
        raise SystemExit("refusing to repair: member %r does not match its CRC-32"
                         % info.filename)
    return data


def _write(dst, out, data):
    """Appends member `out` holding `data` to `dst`, compressed by the method `out`
    names (deflate at zlib's default level, as `writestr` would): the same bytes
    `writestr` leaves, written once with their sizes known instead of a header
    patched afterwards."""
    if out.compress_type == zipfile.ZIP_DEFLATED:
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        payload = deflate.compress(data) + deflate.flush()
    else:
        payload = data
    out.CRC, out.compress_size, out.file_size = zlib.crc32(data), len(payload), len(data)
    _append(dst, out, payload)


def _copy_raw(raw, dst, info):
    """Copies data member `info` into `dst` as its compressed bytes, without inflating
    and deflating it again (its method is already the one asked for). A stored
    member's bytes are checked against its CRC-32 on the way."""
    data = _raw_bytes(raw, info)
    if info.compress_type == zipfile.ZIP_STORED and zlib.crc32(data) != info.CRC:
        raise SystemExit("refusing to repair: member %r does not match its CRC-32"
                         % info.filename)
    out = _member(info, info.compress_type)
    out.CRC, out.compress_size, out.file_size = info.CRC, info.compress_size, info.file_size
    _append(dst, out, data)


def _append(dst, out, payload):
    """Writes member `out` (its CRC and sizes set) and its compressed `payload` at the
    end of `dst`, with zipfile's own header and bookkeeping."""
    dst._writecheck(out)
    dst._didModify = True
    out.header_offset = dst.fp.tell()
    dst.fp.write(out.FileHeader())
    dst.fp.write(payload)
    dst.start_dir = dst.fp.tell()
    dst.filelist.append(out)
    dst.NameToInfo[out.filename] = out


def _member(info, method):
    """A copy of `info` (name, time, mode, flags the data needs) written with `method`."""
    out = zipfile.ZipInfo(info.filename, info.date_time)
    out.compress_type = method if not info.is_dir() else zipfile.ZIP_STORED
    out.external_attr = info.external_attr or (0o644 << 16)
    out.create_system = info.create_system
    out.comment = info.comment
    return out


def main():
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    except (ImportError, ValueError, OSError):
        pass  # a platform without it, or a lower limit already set
    command = sys.argv[1]
    if command == "inspect":
        result = inspect(sys.argv[2])
    elif command == "fix":
        result = repair(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit("unknown command %r" % command)
    sys.stdout.write(json.dumps(result))


main()
