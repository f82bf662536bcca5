#!/usr/bin/env bash
# The test command of the README: installs what the tests need on a fresh machine of
# this project's kind (Debian's chromium and valgrind, pyperf from PyPI, CPython 3.14
# and 3.15 from Debian's unstable packages), then runs every test. Rust, a C compiler
# and python3 with its shared library are expected.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need: chromium (headless-browser report tests) and
# valgrind (instruction counts).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian's ${missing[*]} for the tests"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# pyperf reads the pyperf export in tests/export.rs (a real consumer of the format).
if ! python3 -c "import pyperf" >/dev/null 2>&1; then
    echo "installing pyperf from PyPI for the tests"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore pyperf
fi

# CPython 3.14 and 3.15 from Debian's unstable binary packages (target/pythons): the
# tests that judge archives and several Pythons use every interpreter they find.
./scripts/pythons.sh >/dev/null

cargo test

# A short campaign against the archive reader behind `doctor` (zipimport's own, in
# Python); the Rust readers' short campaigns are in tests/fuzz.rs. The nightly job runs
# 1,000,000 inputs of each (METHODOLOGY.md, "Fuzzed readers").
python3 scripts/fuzz_doctor.py --inputs 5000 --failures target/fuzz-failures
