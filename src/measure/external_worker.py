"""The worker loop of zipimport-bench for an external CPython (`run --python PATH`).

Run as `python -I -B external_worker.py DIR JOB`: DIR holds driver.py and profile.py
(the same files the embedded worker loads), JOB the job file. It speaks the protocol
of src/measure/protocol.rs on stdin/stdout, as the Rust worker does: a ready line,
then one reply per `import`, `profile` or `update PICKUP VERSION` request. Start-up
is measured by the harness (spawn to ready line), so the ready line reports 0.
"""

import importlib.util
import json
import os
import sys
import time

_OUT = sys.stdout


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _send(reply):
    _OUT.write("ZIB1 " + json.dumps(reply) + "\n")
    _OUT.flush()


def main():
    support, job_path = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter_ns()
    with open(job_path) as f:
        job = json.load(f)
    driver = _load("zib_driver", os.path.join(support, "driver.py"))
    profiler = None
    if job["probe"]:
        try:
            profiler = _load("zib_profile", os.path.join(support, "profile.py"))
        except Exception:  # internals this Python lacks: counters without phases
            profiler = None
    dropped = driver.setup(job["artifact"], job["layout"], job["modules"], job["roots"],
                           job["probe"], None)
    # The phase profiler wraps importer internals that older Pythons lack; without it
    # the probe still counts. Set-up above ran once, whatever happens here.
    if profiler is not None and not driver.install_profiler(profiler):
        profiler = None
    if profiler is not None and job.get("trace"):
        profiler.trace(True)
    _send({"type": "ready", "startup_ns": 0, "setup_ns": time.perf_counter_ns() - t0,
           "dropped": dropped})
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "import":
            _send(_import_once(driver, job))
        elif words[0] == "profile":
            if profiler is None:
                _send({"type": "profile", "phases": {}, "modules": []})
            else:
                r = profiler.report()
                _send({"type": "profile", "phases": r["phases"],
                       "modules": [list(m) for m in r["modules"]],
                       "spans": r.get("spans", []), "wall_ns": r.get("wall_ns", 0)})
        elif words[0] == "update" and len(words) == 3:
            try:
                start, inv, rel, new, stale, failed, err = driver.update(words[1], int(words[2]))
                _send({"type": "update", "start_mono_ns": start, "end_mono_ns": rel,
                       "invalidate_ns": inv - start, "reload_ns": rel - inv, "new": new,
                       "stale": stale, "failed": failed, "first_error": err})
            except Exception as exc:
                _send({"type": "failed", "error": "updating: " + driver.describe(exc),
                       "raised": False})
        else:
            raise SystemExit("unknown request %r" % line)


def _import_once(driver, job):
    try:
        driver.prepare()
    except Exception as exc:
        return {"type": "failed", "error": "preparing the import: " + driver.describe(exc),
                "raised": False}
    speed = job.get("speed", False)
    before = driver.speed() if speed else None
    try:
        wall, cpu, user, system, counters = driver.run_import()
    except Exception as exc:
        return {"type": "failed", "error": driver.describe(exc), "raised": True}
    end = time.monotonic_ns()
    after = driver.speed() if speed else None
    problem = driver.verify()
    if problem is not None:
        return {"type": "failed", "error": problem, "raised": False}
    return {"type": "sample", "wall_ns": wall, "cpu_ns": cpu, "user_ns": user,
            "sys_ns": system, "counters": counters, "end_mono_ns": end,
            "speed_ns": None if before is None else [before, after]}


main()
