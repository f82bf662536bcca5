#!/usr/bin/env python3
"""Research, not the harness's code: three intervals for a case's ratio to its
reference, over several runs of one scenario, to see which is as wide as its level
needs. Each case sample is paired with the reference sample nearest in time (the
results' `nearest_reference`, any speed state) and the log of each pair's ratio taken;
then
  - median: the median of the log ratios, with the order-statistics (sign-test)
    interval, the interval `state-nearest` starts from (without its state split and
    batch-means widening);
  - walsh: the median of the Walsh averages (the one-sample Hodges-Lehmann estimate),
    with the exact Wilcoxon signed-rank interval;
  - interpolated: the median, with the sign-test interval's ends interpolated between
    the two steps around 95% (Hettmansperger and Sheather, 1986).
For each cold case: how often one run's interval holds the median of the other runs'
estimates, the median half-width (log units) and its ratio to the 1.96 sd the spread
across runs implies.

    scripts/interval_methods.py [--reference dir-pyc] RESULTS.json RESULTS.json ...

Only the standard library."""

import argparse
import json
import math
import statistics
from math import comb


def sign_ranks(n):
    """0-based ranks (lo, hi) of the sorted values bounding the median at >= 95%."""
    k = 0
    while sum(comb(n, i) for i in range(k + 1)) / 2 ** n <= 0.025:
        k += 1
    k = max(k, 1)
    return k - 1, n - k


def signed_rank_cut(n):
    """Walsh averages cut from each end for the exact 95% signed-rank interval."""
    m = n * (n + 1) // 2
    counts = [1] + [0] * m
    for i in range(1, n + 1):
        for s in range(m, i - 1, -1):
            counts[s] += counts[s - i]
    acc, k = 0, 0
    for s in range(m + 1):
        acc += counts[s]
        if acc / 2 ** n > 0.025:
            break
        k = s + 1
    return max(k, 1)


def median_interval(d):
    s = sorted(d)
    lo, hi = sign_ranks(len(s))
    return statistics.median(s), s[lo], s[hi]


def interpolated_interval(d, level=0.95):
    """The sign-test interval with each end interpolated between the two steps around
    `level` (Hettmansperger and Sheather, 1986), as `state-nearest` gives it."""
    s = sorted(d)
    n = len(s)
    cover = lambda j: 1 - 2 * sum(comb(n, i) for i in range(j + 1)) / 2 ** n
    lo, hi = sign_ranks(n)
    inner = lo + 1
    if cover(lo) < level or 2 * inner >= n - 1:
        return statistics.median(s), s[lo], s[hi]
    share = (cover(lo) - level) / (cover(lo) - cover(inner))
    w = (n - inner) * share / (inner + (n - 2 * inner) * share)
    return (statistics.median(s), s[lo] + w * (s[lo + 1] - s[lo]),
            s[hi] - w * (s[hi] - s[hi - 1]))


def walsh_interval(d):
    n = len(d)
    w = sorted((d[i] + d[j]) / 2 for i in range(n) for j in range(i, n))
    k = signed_rank_cut(n)
    return statistics.median(w), w[k - 1], w[len(w) - k]


def judge(est):
    sd = statistics.stdev(e[0] for e in est)
    held = sum(e[1] <= statistics.median(x[0] for j, x in enumerate(est) if j != i) <= e[2]
               for i, e in enumerate(est))
    half = statistics.median((e[2] - e[1]) / 2 for e in est)
    return held, half, half / (1.96 * sd) if sd > 0 else float("inf")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", default="dir-pyc")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    found = {}
    for f in args.files:
        r = json.load(open(f))
        ref = next(c for c in r["cases"] if c["variant"] == args.reference and c["mode"] == "cold")
        for c in r["cases"]:
            if c["mode"] != "cold" or c["status"] != "ok" or c["variant"] == args.reference:
                continue
            if not c.get("nearest_reference"):
                continue
            d = [math.log(x / ref["samples_ns"][j])
                 for x, j in zip(c["samples_ns"], c["nearest_reference"])]
            found.setdefault(c["variant"], []).append((len(d), median_interval(d),
                                                       walsh_interval(d),
                                                       interpolated_interval(d)))
    methods = (("median", 1), ("walsh", 2), ("interpolated", 3))
    totals = {name: [0, 0] for name, _ in methods}
    print("%-30s %7s | %-24s | %-24s | %-24s" % ("case", "samples", "median: coverage half (x)",
                                                 "walsh", "interpolated"))
    for variant, rows in sorted(found.items()):
        if len(rows) < 3:
            continue
        cells = []
        for name, idx in methods:
            held, half, x = judge([r[idx] for r in rows])
            totals[name][0] += held
            totals[name][1] += len(rows)
            cells.append("%2d/%-2d %.3f (x%.2f)" % (held, len(rows), half, x))
        counts = [r[0] for r in rows]
        print("%-30s %7s | %-24s | %-24s | %-24s" % (variant, "%d-%d" % (min(counts), max(counts)),
                                                     *cells))
    for name, (held, n) in totals.items():
        print("%s: %d of %d intervals held the others' median (%.1f%%)"
              % (name, held, n, 100 * held / n))


main()
