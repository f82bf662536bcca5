"""Where import time goes: phase and per-module profiling for zipimport-bench probes.

Loaded only into probe workers (never into timed ones): it replaces importlib and
zipimport internals with timing wrappers, which slow every import down. Time is
accounted exclusively: while a wrapped function runs, the clock runs for its phase
only, and the phase it was called from is paused. Everything in the import loop not
inside a wrapped function is "import machinery" (locks, sys.modules, module objects,
spec and attribute set-up). The phases therefore add up to the profiled total exactly.

Phases:
- find: importlib's spec search (path hooks, finder caches, zipimport's find_spec,
  which also reads each module's code once: that part lands in read/unmarshal);
- archive directory: zipimport parsing an archive's central directory;
- read: reading a file or archive member (and stat calls for source mtimes);
- decompress: zlib inflating an archive member;
- hash sources: checked-hash pyc validation;
- unmarshal: marshal.loads of bytecode;
- compile: compiling source;
- load code (other): the rest of get_code (header checks, bookkeeping);
- execute: running module bodies (exclusive of the imports they make).
"""

import _imp
import builtins
import marshal
import os
import resource
import time
import zipimport
from importlib import _bootstrap as _bs
from importlib import _bootstrap_external as _bse

_clock = time.perf_counter_ns
_stack = []
_state = {"last": 0, "active": False, "directory_reads": 0, "began": 0}
totals = {}
_mod_stack = []
modules = {}
# The trace of the last import, when tracing (see `trace`): one span per wrapped call,
# (start ns, end ns, phase or "" for a module's whole import, module, depth), appended
# when the call returns.
spans = []
_tracing = [False]

ROOT = "import machinery"


def _switch(now):
    if _stack:
        name = _stack[-1]
        totals[name] = totals.get(name, 0) + (now - _state["last"])
    _state["last"] = now


def _phase(name, func):
    def wrapper(*args, **kwargs):
        if not _state["active"]:
            return func(*args, **kwargs)
        start = _clock()
        _switch(start)
        _stack.append(name)
        try:
            return func(*args, **kwargs)
        finally:
            end = _clock()
            _switch(end)
            _stack.pop()
            if _tracing[0]:
                module = _mod_stack[-1][0] if _mod_stack else ""
                spans.append((start, end, name, module, len(_mod_stack)))

    wrapper.__wrapped__ = func
    return wrapper


def _patch(obj, attr, name):
    setattr(obj, attr, _phase(name, getattr(obj, attr)))


def _count_directory_reads(func):
    def wrapper(*args, **kwargs):
        _state["directory_reads"] += 1
        return func(*args, **kwargs)

    return wrapper


def _per_module(func):
    def wrapper(name, import_):
        if not _state["active"]:
            return func(name, import_)
        start = _clock()
        _mod_stack.append([name, 0])
        try:
            return func(name, import_)
        finally:
            end = _clock()
            cumulative = end - start
            _, children = _mod_stack.pop()
            if _tracing[0]:
                spans.append((start, end, "", name, len(_mod_stack)))
            entry = modules.setdefault(name, [0, 0])
            entry[0] += cumulative - children
            entry[1] += cumulative
            if _mod_stack:
                _mod_stack[-1][1] += cumulative

    return wrapper


def _targets():
    return [
        (_bs, "_find_spec"), (zipimport, "_read_directory"), (zipimport, "_get_data"),
        (_bse.FileLoader, "get_data"), (_bse.SourceFileLoader, "path_stats"),
        (zipimport, "_get_decompress_func"), (_imp, "source_hash"), (marshal, "loads"),
        (builtins, "compile"), (_bse.SourceLoader, "get_code"),
        (_bse.SourcelessFileLoader, "get_code"), (zipimport.zipimporter, "get_code"),
        (_bse._LoaderBasics, "exec_module"), (zipimport.zipimporter, "exec_module"),
        (_bs, "_find_and_load"),
    ]


def install():
    """Wrap the importer internals. Call once, before the first import. All or nothing:
    raises AttributeError, having wrapped nothing, when this Python lacks one of them
    (3.9's zipimporter has no exec_module)."""
    missing = [getattr(o, "__name__", repr(o)) + "." + a for o, a in _targets()
               if not hasattr(o, a)]
    if missing:
        raise AttributeError("this Python lacks " + ", ".join(missing))
    _patch(_bs, "_find_spec", "find")
    zipimport._read_directory = _count_directory_reads(zipimport._read_directory)
    _patch(zipimport, "_read_directory", "archive directory")
    _patch(zipimport, "_get_data", "read")
    _patch(_bse.FileLoader, "get_data", "read")
    _patch(_bse.SourceFileLoader, "path_stats", "read")
    original_decompress_func = zipimport._get_decompress_func

    def _get_decompress_func():
        return _phase("decompress", original_decompress_func())

    zipimport._get_decompress_func = _get_decompress_func
    _patch(_imp, "source_hash", "hash sources")
    _patch(marshal, "loads", "unmarshal")
    _patch(builtins, "compile", "compile")
    _patch(_bse.SourceLoader, "get_code", "load code (other)")
    _patch(_bse.SourcelessFileLoader, "get_code", "load code (other)")
    _patch(zipimport.zipimporter, "get_code", "load code (other)")
    _patch(_bse._LoaderBasics, "exec_module", "execute")
    _patch(zipimport.zipimporter, "exec_module", "execute")
    _bs._find_and_load = _per_module(_bs._find_and_load)


def _proc_io():
    try:
        with open("/proc/self/io", "rb") as f:
            fields = dict(line.split(b":") for line in f.read().splitlines())
        return {k.decode(): int(v) for k, v in fields.items()}
    except OSError:
        return {}


def _rss_bytes():
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def trace(on=True):
    """Record every wrapped call of the next imports as a span (`report` returns them)."""
    _tracing[0] = bool(on)


def begin():
    """Start accounting: called right before the import loop."""
    totals.clear()
    modules.clear()
    spans.clear()
    _state["directory_reads"] = 0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    _state["before"] = (_proc_io(), ru.ru_minflt, ru.ru_majflt, _rss_bytes())
    _stack[:] = [ROOT]
    _state["last"] = _state["began"] = _clock()
    _state["active"] = True


def end():
    """Stop accounting: called right after the import loop. Returns the counters."""
    _state["ended"] = _clock()
    _switch(_state["ended"])
    _state["active"] = False
    _stack.clear()
    io0, minflt0, majflt0, rss0 = _state["before"]
    io1 = _proc_io()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "read_syscalls": io1.get("syscr", 0) - io0.get("syscr", 0),
        "read_bytes": io1.get("rchar", 0) - io0.get("rchar", 0),
        "disk_read_bytes": io1.get("read_bytes", 0) - io0.get("read_bytes", 0),
        "minor_faults": ru.ru_minflt - minflt0,
        "major_faults": ru.ru_majflt - majflt0,
        "rss_growth_bytes": max(0, _rss_bytes() - rss0),
        "directory_reads": _state["directory_reads"],
    }


def report(top=20):
    """Phase totals and the `top` modules by self time of the last import; with
    tracing, its spans too, as [start, duration, phase, module, depth] with times in ns
    from the start of the import loop, in the order the calls returned, and the loop's
    wall time."""
    ranked = sorted(modules.items(), key=lambda kv: kv[1][0], reverse=True)[:top]
    out = {
        "phases": dict(totals),
        "modules": [(name, s, c) for name, (s, c) in ranked],
    }
    if _tracing[0]:
        began = _state["began"]
        out["spans"] = [(a - began, b - a, p, m, d) for a, b, p, m, d in spans]
        out["wall_ns"] = _state.get("ended", began) - began
    return out
