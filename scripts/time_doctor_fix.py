#!/usr/bin/env python3
"""Times `zipimport-bench doctor ARCHIVE --fix OUT` on an archive of 100,000 one-line
modules (100 packages of 1,000), the figure METHODOLOGY.md quotes for the largest
archives doctor repairs, and writes it as JSON:

    scripts/time_doctor_fix.py BINARY OUT.json [--runs N] [--busy K]

Each run is one whole process, timed from outside: wall seconds by a monotonic clock,
user + system seconds and peak resident memory from the kernel's accounting of the
finished child (`os.wait4`). `--busy K` keeps K busy loops running beside every run
(a machine doing other work), started before the first run and stopped after the last.
Only the standard library: anyone can run it."""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

MODULES = 100_000


def archive(path):
    with zipfile.ZipFile(path, "w") as z:
        for i in range(MODULES):
            z.writestr("pkg%d/m%d.py" % (i // 1000, i), "X = %d\n" % i)
        for p in range(MODULES // 1000):
            z.writestr("pkg%d/__init__.py" % p, "")


def run(cmd):
    start = time.monotonic()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    return {"exit": child.returncode, "wall_s": round(wall, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "max_rss_mib": round(usage.ru_maxrss / 1024, 1), "stderr": err[-400:]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--busy", type=int, default=0)
    args = ap.parse_args()
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.busy)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "app.zip")
            archive(src)
            cmd = [args.binary, "doctor", src, "--fix", os.path.join(tmp, "fixed.zip"),
                   "--no-progress"]
            runs = [run(cmd) for _ in range(args.runs)]
    finally:
        for b in busy:
            b.kill()
            b.wait()
    # doctor exits 6 here: the repaired archive has 200,000 entries, zip64 end records
    # that zipimport before 3.13 cannot read, and says so.
    bad = [r for r in runs if r["exit"] not in (0, 6)]
    if bad:
        raise SystemExit("doctor failed: %s" % bad[0]["stderr"])
    for r in runs:
        del r["stderr"]
    result = {
        "what": "doctor --fix of %d one-line modules in 100 packages" % MODULES,
        "command": " ".join(["scripts/time_doctor_fix.py"] + sys.argv[1:]),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "busy_loops_beside": args.busy,
        "runs": runs,
        "median": {k: statistics.median(r[k] for r in runs)
                   for k in ("wall_s", "cpu_s", "max_rss_mib")},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps(result["median"]))


main()
