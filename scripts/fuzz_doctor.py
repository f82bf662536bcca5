"""Mutation fuzzing of the archive reader behind `zipimport-bench doctor`: the
`inspect` of src/doctor/doctor.py, which reads an archive with zipimport's own
directory parser and member reader. Run with the Python whose zipimport is to be
fuzzed:

    python3 scripts/fuzz_doctor.py [--inputs N] [--seed S] [--failures DIR]

Inputs are small real archives (written by zipfile: stored and deflated members,
timestamp and hash pycs, a folder, a shebang prefix, a comment) mutated at random from
a fixed seed, as `zipimport_bench::fuzz` mutates its inputs: bit flips, interesting
integers over header fields, inserted, deleted, duplicated and spliced bytes, zip
signatures, crossovers. Every input `inspect` reads is also repaired (`doctor --fix`,
stored), where refusing in one line is an answer. An input fails when `inspect` or the
repair raises anything else (doctor would print a traceback's last line instead of a
finding or a reason) or takes more than 5 s; failing inputs are
written to DIR and the exit status is 1. Prints inputs, failures, the slowest input and
the rate.
"""

import argparse
import importlib.util
import io
import os
import random
import sys
import tempfile
import time
import zipfile

from importlib import _bootstrap_external

HERE = os.path.dirname(os.path.abspath(__file__))
DOCTOR = os.path.join(HERE, "..", "src", "doctor", "doctor.py")
DICTIONARY = [b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07",
              b"PK\x07\x08", b"../", b"/", b"\0", b"\xff\xff\xff\xff", b"\0\0\0\0",
              importlib.util.MAGIC_NUMBER, b"\r\n"]
INTERESTING = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFE]


def load_doctor():
    """doctor.py's functions, without running its command line."""
    with open(DOCTOR) as f:
        source = f.read()
    body = source[: source.rindex("\nmain()")]
    namespace = {"__name__": "doctor"}
    exec(compile(body, DOCTOR, "exec"), namespace)
    return namespace


def seeds():
    out = []
    for method, prefix in ((zipfile.ZIP_STORED, b""),
                           (zipfile.ZIP_DEFLATED, b"#!/usr/bin/env python3\n")):
        buf = io.BytesIO()
        buf.write(prefix)
        with zipfile.ZipFile(buf, "a" if prefix else "w", method) as z:
            z.writestr("pkg/", b"")
            src = b"from . import mod\n"
            z.writestr("pkg/__init__.py", src)
            code = compile(src, "pkg/__init__.py", "exec")
            z.writestr("pkg/__init__.pyc", bytes(_bootstrap_external._code_to_hash_pyc(
                code, importlib.util.source_hash(src), checked=False)))
            mod = b"X = 1\n"
            z.writestr("pkg/mod.py", mod)
            code = compile(mod, "pkg/mod.py", "exec")
            info = z.getinfo("pkg/mod.py")
            mtime = int(time.mktime(info.date_time + (0, 0, -1)))
            z.writestr("pkg/mod.pyc", bytes(_bootstrap_external._code_to_timestamp_pyc(
                code, mtime, len(mod))))
            z.writestr("data.txt", b"data " * 20)
            z.comment = b"a comment"
        out.append(buf.getvalue())
    return out


def mutate(rng, b, others):
    b = bytearray(b)
    for _ in range(1 + rng.randrange(4)):
        at = rng.randrange(len(b) + 1)
        op = rng.randrange(10)
        if op == 0 and b:
            i = min(at, len(b) - 1)
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1 and b:
            b[min(at, len(b) - 1)] = rng.randrange(256)
        elif op == 2:
            b[at:at] = bytes(rng.randrange(256) for _ in range(1 + rng.randrange(8)))
        elif op == 3:
            del b[at:at + 1 + rng.randrange(64)]
        elif op == 4:
            del b[at:]
        elif op == 5 and len(b) >= 4:
            v = rng.choice(INTERESTING)
            i = min(at, len(b) - 4)
            if rng.randrange(2):
                b[i:i + 4] = v.to_bytes(4, "little")
            else:
                b[i:i + 2] = (v & 0xFFFF).to_bytes(2, "little")
        elif op == 6 and b:
            start = rng.randrange(len(b))
            chunk = b[start:start + 1 + rng.randrange(128)]
            to = rng.randrange(len(b) + 1)
            b[to:to] = chunk
        elif op in (7, 8):
            b[at:at] = rng.choice(DICTIONARY)
        else:
            other = rng.choice(others)
            del b[at:]
            b += other[rng.randrange(len(other) + 1):]
    return bytes(b)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--failures", default="target/fuzz-failures")
    args = parser.parse_args()
    doctor = load_doctor()
    inspect, fix = doctor["inspect"], doctor["repair"]
    # The bound doctor runs under: a bomb is a MemoryError caught per member, not a
    # machine out of memory.
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (doctor["ADDRESS_SPACE"], doctor["ADDRESS_SPACE"]))
    rng = random.Random(args.seed)
    base = seeds()
    failures = 0
    slowest = 0.0
    accepted = 0
    fixed = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fuzz-doctor-") as work:
        path = os.path.join(work, "archive.zip")
        for n in range(args.inputs):
            data = mutate(rng, rng.choice(base), base)
            with open(path, "wb") as f:
                f.write(data)
            t = time.perf_counter()
            error = None
            try:
                facts = inspect(path)
                accepted += "error" not in facts
                if "error" not in facts:
                    # The repair of what reads: refusing (SystemExit, one line) is
                    # fine; any other exception is a traceback.
                    try:
                        fix(path, os.path.join(work, "fixed.zip"), "stored")
                        fixed += 1
                    except SystemExit:
                        pass
            except Exception as exc:  # what would reach the user as a traceback
                error = "%s: %s" % (type(exc).__name__, exc)
            took = time.perf_counter() - t
            slowest = max(slowest, took)
            if error is None and took > 5:
                error = "took %.1f s" % took
            if error is not None:
                failures += 1
                os.makedirs(args.failures, exist_ok=True)
                kept = os.path.join(args.failures, "doctor-%d.zip" % n)
                with open(kept, "wb") as f:
                    f.write(data)
                print("  %s: %s" % (kept, error))
            if (n + 1) % 10000 == 0:
                sys.stderr.write("\rdoctor (Python %s): %d inputs" % (sys.version.split()[0], n + 1))
    elapsed = time.perf_counter() - started
    sys.stderr.write("\r")
    print("doctor (Python %s): %d inputs, %d read without error, %d repaired, %d failures, "
          "slowest %.1f ms, %.0f s, %.0f inputs/s" % (sys.version.split()[0], args.inputs,
                                                      accepted, fixed, failures,
                                                      slowest * 1e3, elapsed,
                                                      args.inputs / elapsed))
    return 1 if failures else 0


sys.exit(main())
