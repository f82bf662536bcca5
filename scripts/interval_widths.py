#!/usr/bin/env python3
"""Whether each run's intervals are as wide as their level needs: for every case of a
mode, over several results files of the same scenario, how often one run's 95%
interval (`paired_ratio`) holds the median of the other runs' ratios, its median
half-width, and the half-width the spread of the runs' ratios implies (1.96 times the
standard deviation of their logs):

    scripts/interval_widths.py [--mode cold] RESULTS.json RESULTS.json ...

Only the standard library."""

import argparse
import json
import math
import statistics


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", default="cold")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    runs = [json.load(open(f)) for f in args.files]
    by_case = {}
    for r in runs:
        for c in r["cases"]:
            p = c.get("paired_ratio")
            if c["mode"] == args.mode and c["status"] == "ok" and p:
                key = (c["scenario"], c["variant"])
                by_case.setdefault(key, []).append((p["median"], p["low"], p["high"],
                                                    len(c["samples_ns"])))
    print("%-36s %4s %9s %10s %10s %12s %7s" % ("case", "runs", "samples", "coverage",
                                               "half-width", "spread says", "ratio"))
    held_all, runs_all, ratios = 0, 0, {}
    for (scenario, variant), est in sorted(by_case.items(), key=lambda kv: kv[0]):
        if len(est) < 3:
            continue
        sd = statistics.stdev(math.log(e[0]) for e in est)
        held = sum(e[1] <= statistics.median(x[0] for j, x in enumerate(est) if j != i) <= e[2]
                   for i, e in enumerate(est))
        half = statistics.median((e[2] - e[1]) / 2 / e[0] for e in est)
        counts = sorted(e[3] for e in est)
        held_all += held
        runs_all += len(est)
        if sd > 0:
            ratios.setdefault("focus" if counts[-1] > 20 else "other", []).append(half / (1.96 * sd))
        print("%-36s %4d %9s %10s %9.1f%% %11.1f%% %7.2f" % (
            "%s/%s" % (scenario, variant), len(est), "%d-%d" % (counts[0], counts[-1]),
            "%d/%d" % (held, len(est)), 100 * half, 196 * sd,
            half / (1.96 * sd) if sd > 0 else float("inf")))


    print("all cases: %d of %d intervals held the others' median (%.1f%%)"
          % (held_all, runs_all, 100 * held_all / runs_all))
    for group, xs in sorted(ratios.items()):
        print("%s cases (%s): median half-width %.2fx what the spread implies (%.2f-%.2f)"
              % (group, "more than 20 samples" if group == "focus" else "at most 20 samples",
                 statistics.median(xs), min(xs), max(xs)))


main()
