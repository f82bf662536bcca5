"""zipimport-bench: which modules an archive's own __main__ imports from the archive.

Run as `python -I -B -c <this file> ARCHIVE ARG...` in a fresh interpreter: runs the
archive's __main__ once, as `python ARCHIVE ARG...` would (untimed; its output
silenced; a SystemExit is the program ending, not a failure), then prints JSON:
"modules" (modules imported from the archive, in import order) and "error" (what
the program raised, if anything).
"""

import contextlib
import json
import os
import runpy
import sys
import warnings

archive, args = sys.argv[1], sys.argv[2:]
before = set(sys.modules)
prefix = os.path.join(archive, "")
sys.argv = [archive] + args
out = sys.__stdout__
error = None
warnings.simplefilter("ignore")
with open(os.devnull, "w") as devnull:
    try:
        with contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
            runpy.run_path(archive, run_name="__main__")
    except SystemExit:
        pass
    except BaseException as exc:  # the program's own failure, reported, not raised
        error = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
modules = []
for name, module in list(sys.modules.items()):
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    if name not in before and name != "__main__" and origin.startswith(prefix):
        modules.append(name)
out.write(json.dumps({"modules": modules, "error": error}))
