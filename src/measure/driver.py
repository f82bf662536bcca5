"""The side of zipimport-bench that runs inside a worker's embedded interpreter.

The Rust worker loads this file as a module, calls `setup` once, then `prepare` and
`run_import` once per request. Only the loop over `importlib.import_module` is timed
(and, under callgrind, counted); clearing, garbage collection and verification happen
outside it.
"""

import gc
import importlib
import marshal
import os
import resource
import sys
import time
import zipimport

_state = {}


def setup(artifact, layout, modules, roots, probe, profiler=None):
    """Put the artifact first on sys.path and remember what to import; return the
    workload modules left out, as (name, why) pairs. Safe to call twice.

    artifact: the directory, .zip file or memory bundle; layout: "dir", "zip" or
    "memory" (the bundle is loaded now and served by a finder); modules: names the
    timed section imports, in order; roots: top-level package names of the tree (what
    a reset removes from sys.modules); probe: install audit-hook counters; profiler:
    the profile module, whose wrappers are installed (probe workers only).
    """
    sys.dont_write_bytecode = True
    # Anything the imported code prints must not reach the protocol stream.
    sys.stdout = sys.stderr
    # zipimport validates timestamp pycs against member times read with time.mktime,
    # i.e. in local time; the harness stamps both in UTC.
    os.environ["TZ"] = "UTC"
    time.tzset()
    _install(artifact, layout)
    # A module (or package) this interpreter has already imported can never come from
    # the artifact; real corpora's workloads exclude them, and this keeps any that
    # remain out of the import and the verification, and says which.
    dropped = [
        (m, "its top-level package %r was imported before the timed section (at "
            "interpreter start-up or by the harness), so it cannot come from the artifact"
         % m.partition(".")[0])
        for m in modules if m.partition(".")[0] in sys.modules
    ]
    modules = [m for m in modules if m.partition(".")[0] not in sys.modules]
    roots = [r for r in roots if r not in sys.modules]
    _state.update(
        artifact=artifact,
        prefix=os.path.join(artifact, ""),
        layout=layout,
        modules=list(modules),
        roots=frozenset(roots),
        rounds=0,
        counting=False,
        counts={},
        probe=probe,
        profiler=profiler,
        dropped=dropped,
    )
    # Audit hooks cannot be removed: install ours once per interpreter, whatever calls
    # setup, so no event is ever counted twice.
    if probe and not _state.get("hooked"):
        sys.addaudithook(_audit)
        _state["hooked"] = True
    if profiler is not None:
        profiler.install()
        _profile_memory(profiler)
    return dropped


class MemoryFinder:
    """The floor: serves every module of a memory bundle from code already in memory.

    The bundle (written by the harness) holds each module's marshalled code object.
    Loading it into memory happens before anything is timed, so an import through
    this finder pays only for finding a dict entry, unmarshalling and executing: no
    path search, no stat or open, no archive, no header check. It is the limit any
    importer can reach for the same code (PyOxidizer's in-memory importer works this
    way), so every other variant is measured against it too.
    """

    def __init__(self, path):
        self.path = path
        self.prefix = os.path.join(path, "")
        with open(path, "rb") as f:
            data = f.read()
        if data[:8] != b"ZIBMEM1\n":
            raise ImportError(f"{path} is not a zipimport-bench memory bundle")
        view = memoryview(data)
        count = int.from_bytes(view[8:12], "little")
        pos = 12
        table = {}
        for _ in range(count):
            name_len = int.from_bytes(view[pos:pos + 2], "little")
            name = bytes(view[pos + 2:pos + 2 + name_len]).decode()
            pos += 2 + name_len
            is_package = view[pos] == 1
            code_len = int.from_bytes(view[pos + 1:pos + 5], "little")
            pos += 5
            table[name] = (is_package, bytes(view[pos:pos + code_len]))
            pos += code_len
        self.table = table
        data = {}
        count = int.from_bytes(view[pos:pos + 4], "little")
        pos += 4
        for _ in range(count):
            path_len = int.from_bytes(view[pos:pos + 2], "little")
            rel = bytes(view[pos + 2:pos + 2 + path_len]).decode()
            pos += 2 + path_len
            size = int.from_bytes(view[pos:pos + 4], "little")
            pos += 4
            data[rel] = bytes(view[pos:pos + size])
            pos += size
        self.data = data

    # The import system's own ModuleSpec, taken without importing anything: finding a
    # module must never import one (the stdlib's `importlib` is served by this very
    # finder, so `from importlib.machinery import ModuleSpec` here would recurse).
    _ModuleSpec = type(sys.__spec__)

    def find_spec(self, name, path=None, target=None):
        entry = self.table.get(name)
        if entry is None:
            return None
        # A file-like origin, as zipimport gives (`bundle/pkg/__init__.py`), so code that
        # reads `__file__` runs; nothing is read from it.
        tail = "/__init__.py" if entry[0] else ".py"
        spec = self._ModuleSpec(
            name, self, origin=self.prefix + name.replace(".", "/") + tail, is_package=entry[0]
        )
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # marshal.loads through the module attribute, so a probe's profiler sees it.
        code = marshal.loads(self.table[module.__spec__.name][1])
        exec(code, module.__dict__)

    def get_data(self, path):
        """A data file of the tree, by the path its module builds from `__file__`."""
        rel = path[len(self.prefix):] if path.startswith(self.prefix) else path
        try:
            return self.data[rel.replace(os.sep, "/")]
        except KeyError:
            raise OSError(f"no data file {path} in the memory bundle") from None

    def invalidate_caches(self):
        pass


def _install(artifact, layout):
    """Make `artifact` the first place imports look: first on sys.path, or, for a
    memory bundle, a finder first on sys.meta_path."""
    if layout == "memory":
        finder = MemoryFinder(artifact)
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MemoryFinder)]
        sys.meta_path.insert(0, finder)
    elif sys.path[:1] != [artifact]:
        sys.path.insert(0, artifact)


def _uninstall(artifact):
    sys.path[:] = [p for p in sys.path if p != artifact]
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MemoryFinder)]


def _profile_memory(profiler):
    """Account the memory finder's module execution as "execute" in a probe's
    profile (its unmarshalling is counted as "unmarshal" through marshal.loads)."""
    if not hasattr(MemoryFinder.exec_module, "__wrapped__"):
        MemoryFinder.exec_module = profiler._phase("execute", MemoryFinder.exec_module)


def install_profiler(profiler):
    """Install the phase profiler after `setup`; False (and nothing installed) when
    this Python lacks an internal it wraps."""
    try:
        profiler.install()
    except (AttributeError, TypeError):
        return False
    _profile_memory(profiler)
    _state["profiler"] = profiler
    return True


_COUNTED = {"compile": "compiles", "marshal.loads": "unmarshals", "open": "opens"}


def _audit(event, args):
    if _state["counting"]:
        key = _COUNTED.get(event)
        if key == "compiles":
            # Only compilations of the artifact's sources are bytecode misses; module
            # bodies may compile strings at run time (dataclasses, namedtuple).
            filename = args[1] if len(args) > 1 else None
            if not (isinstance(filename, str) and filename.startswith(_state["prefix"])):
                return
        if key is not None:
            counts = _state["counts"]
            counts[key] = counts.get(key, 0) + 1


def switch(artifact, layout):
    """Serve the same workload from another artifact (in-process benchmarks): forget
    the tree's modules and put the new artifact in place of the old one on sys.path.
    The next import is untimed-worthy: it fills the new artifact's importer caches."""
    _reset()
    _uninstall(_state["artifact"])
    _install(artifact, layout)
    importlib.invalidate_caches()
    _state.update(artifact=artifact, prefix=os.path.join(artifact, ""), layout=layout, rounds=0)


def _reset():
    """Forget the tree's modules so the next import runs the loaders again.

    Importer caches (sys.path_importer_cache, zipimport's directory cache, the path
    finder's directory listings) are kept: this is the warm, steady state.
    """
    roots = _state["roots"]
    for name in [n for n in sys.modules if n.partition(".")[0] in roots]:
        del sys.modules[name]


def prepare():
    """Get ready for the next import, outside anything timed or counted: forget the
    tree's modules if they were imported before, and collect the garbage that left."""
    # A fresh process has none of our garbage: a cold sample's first import starts as
    # a real program's does, without a full collection first (it cost 2 ms a sample).
    # Later rounds (warm) collect what the previous import left. Counted imports
    # (instructions) collect first too: which collections run inside the import then
    # depends on the import alone, not on what the harness allocated before it.
    if _state["rounds"] or _state.get("collect_first"):
        _reset()
        gc.collect()
    _state["rounds"] += 1


def collect_first():
    """Make every import, the first included, start after a full collection."""
    _state["collect_first"] = True


def run_import():
    """Import the workload once; return (wall ns, cpu ns, user ns, system ns,
    counters). Call `prepare` first.

    Counters are empty unless the job is a probe; then they hold the audit-event counts
    of the import and the number of tree modules loaded. Raises whatever the import
    raises.
    """
    modules = _state["modules"]
    import_module = importlib.import_module
    profiler = _state["profiler"]
    _state["counts"] = {}
    _state["counting"] = True
    if profiler is not None:
        profiler.begin()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0 = time.process_time_ns()
    t0 = time.perf_counter_ns()
    try:
        for name in modules:
            import_module(name)
    finally:
        t1 = time.perf_counter_ns()
        c1 = time.process_time_ns()
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        _state["counting"] = False
    counts = dict(_state["counts"])
    if profiler is not None:
        counts.update(profiler.end())
    if _state["probe"]:
        roots = _state["roots"]
        counts["modules"] = sum(1 for n in sys.modules if n.partition(".")[0] in roots)
    user = round((r1.ru_utime - r0.ru_utime) * 1e9)
    system = round((r1.ru_stime - r0.ru_stime) * 1e9)
    return t1 - t0, c1 - c0, user, system, counts


# Iterations of the speed probe's loop: about 1 ms on this project's machine kind (0.9
# ms fast, 1.2 ms slow), enough to tell its two states apart.
SPEED_LOOPS = 15000


def speed():
    """Time a fixed piece of pure-Python work (a loop of integer arithmetic); return ns.

    Timed workers call it right before and right after the timed import, outside the
    timer. Its work never changes, so its time is a reading of how fast the machine
    runs Python at that moment: a virtual CPU that switches between a fast and a slow
    state shows as two clusters of readings, and each sample can be set against
    samples taken in the same state (see METHODOLOGY.md, "The speed probe").
    """
    t0 = time.perf_counter_ns()
    total = 0
    for i in range(SPEED_LOOPS):
        total += i * i % 7
    return time.perf_counter_ns() - t0


def update(pickup, version):
    """Pick up a new version of the artifact, replaced on disk since the last import.

    pickup: "invalidate-reload" (importlib.invalidate_caches(), then importlib.reload
    of every loaded module of the tree, in the order they were first imported) or "reload" (the reloads alone, every
    importer cache kept). Returns (start, invalidated, reloaded, new, stale, failed,
    first error): time.monotonic_ns() at the start, after invalidating and after the
    last reload; then how many modules of the tree carry ZIB_VERSION == version, how
    many still carry another version although nothing raised, and how many reloads
    raised (those modules keep their old code).
    """
    start = time.monotonic_ns()
    if pickup == "invalidate-reload":
        importlib.invalidate_caches()
        if sys.version_info < (3, 10):
            # zipimporter gained invalidate_caches() in 3.10; before, its directory
            # cache must be dropped by hand.
            zipimport._zip_directory_cache.clear()
            for key in [k for k, v in sys.path_importer_cache.items()
                        if isinstance(v, zipimport.zipimporter)]:
                del sys.path_importer_cache[key]
    elif pickup != "reload":
        raise ValueError(f"unknown pickup procedure {pickup!r}")
    invalidated = time.monotonic_ns()
    failed = set()
    first_error = None
    roots = _state["roots"]
    for name in [n for n in sys.modules if n.partition(".")[0] in roots]:
        try:
            importlib.reload(sys.modules[name])
        except Exception as exc:  # the failure is what is measured
            failed.add(name)
            if first_error is None:
                first_error = describe(exc)
    reloaded = time.monotonic_ns()
    new = stale = 0
    for name, module in list(sys.modules.items()):
        if name.partition(".")[0] not in roots or name in failed:
            continue
        if getattr(module, "ZIB_VERSION", None) == version:
            new += 1
        else:
            stale += 1
    return start, invalidated, reloaded, new, stale, len(failed), first_error


def verify():
    """Return None if the modules of the tree came from the artifact, else a sentence
    naming the first one that did not.

    A probe checks every loaded module of the tree: its origin and its loader. A timed
    worker checks the tree's top-level packages the same way and that every workload
    module was loaded: below the top level, a module is found only through its
    package's __path__ (or the memory finder), which those checks cover, and the probe
    of the same artifact has checked every module. Checking all 520 modules of the
    default tree in every cold sample cost 0.5 ms of harness overhead.
    """
    roots = _state["roots"]
    if _state["probe"]:
        names = [n for n in list(sys.modules) if n.partition(".")[0] in roots]
    else:
        names = [r for r in roots if r in sys.modules]
    loaded = 0
    for name in names:
        problem = _provenance(name, sys.modules[name])
        if problem is False:
            continue
        if problem:
            return problem
        loaded += 1
    missing = [n for n in _state["modules"] if n not in sys.modules]
    if missing:
        return f"module {missing[0]} is not in sys.modules after importing it"
    if loaded == 0:
        return "no module of the tree was imported"
    return None


def _provenance(name, module):
    """None if `module` came from the artifact through the layout's importer, False
    if no importer loaded it, else what is wrong."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if origin is None:
        # Not loaded by an importer: a module object an extension module put in
        # sys.modules itself (pyexpat's xml.parsers.expat.model, say).
        return False
    if not origin.startswith(_state["prefix"]):
        return f"module {name} was imported from {origin!r}, not from {_state['artifact']}"
    loader = getattr(spec, "loader", None)
    if isinstance(loader, zipimport.zipimporter):
        kind = "zip"
    elif isinstance(loader, MemoryFinder):
        kind = "memory"
    else:
        kind = "dir"
    layout = _state["layout"]
    if kind != layout:
        return f"module {name} was loaded by {type(loader).__name__}, not by the {layout} importer"
    return None


def describe(exc):
    """`Type: message` of an exception, as the last line of a traceback shows it."""
    import traceback  # only when something failed: importing it costs every worker 2-4 ms

    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
