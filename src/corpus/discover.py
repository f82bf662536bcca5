"""zipimport-bench: which modules of a corpus import cleanly from an archive of it.

Run as `python -I -B -c <this file> ARCHIVE NAMES.json` in a fresh interpreter: puts
ARCHIVE (a stored zip of the corpus with bytecode) first on sys.path and imports every
candidate name in order, output silenced. Prints JSON: "ok" (imported, and from the
archive), "failed" ([name, reason] pairs) and "preloaded" (names the interpreter had
imported before the first candidate: those never come from an archive).
"""

import contextlib
import importlib
import json
import os
import sys
import warnings

# What a worker has imported before its timed section (the driver, the profiler, the
# external worker loop), and traceback, which the driver imports when it describes a
# failure: those modules never come from the archive there either.
import builtins, gc, importlib.util, marshal, resource, time, traceback, zipimport  # noqa
from importlib import _bootstrap, _bootstrap_external  # noqa

archive, names_path = sys.argv[1], sys.argv[2]
with open(names_path) as f:
    names = json.load(f)
preloaded = sorted(sys.modules)
sys.path.insert(0, archive)
prefix = os.path.join(archive, "")
ok, failed = [], []
warnings.simplefilter("ignore")
with open(os.devnull, "w") as devnull:
    for name in names:
        top = name.partition(".")[0]
        if name in preloaded or top in preloaded:
            failed.append([name, "imported at interpreter start-up, never from an archive"])
            continue
        try:
            with contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
                module = importlib.import_module(name)
        except BaseException as exc:  # SystemExit, KeyboardInterrupt from odd modules too
            failed.append([name, "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")])
            continue
        origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
        if not origin.startswith(prefix):
            failed.append([name, "imported from %s, not from the archive" % origin])
            continue
        ok.append(name)
sys.__stdout__.write(json.dumps({"ok": ok, "failed": failed, "preloaded": preloaded}))
