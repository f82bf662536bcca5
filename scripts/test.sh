#!/usr/bin/env bash
# The test command of the README: installs what the tests need on a fresh machine of
# this project's kind (Debian's chromium and valgrind, pyperf and tuna from PyPI,
# speedscope from npm, CPython 3.14 and 3.15 from Debian's unstable packages), then
# runs every test. Rust, a C compiler
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

# Real consumers of the formats the harness writes: pyperf reads the pyperf export
# (tests/it/export.rs), tuna the importtime traces (tests/it/trace.rs).
for module in pyperf tuna; do
    if ! python3 -c "import $module" >/dev/null 2>&1; then
        echo "installing $module from PyPI for the tests"
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$module"
    fi
done

# speedscope from the npm registry loads the Trace Event traces in headless Chromium
# (tests/it/trace.rs); it needs Node.js and npm (Debian's nodejs and npm if missing).
if [ ! -f target/npm/node_modules/speedscope/dist/release/index.html ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "installing Debian's nodejs and npm for the tests"
        sudo=""
        if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
    fi
    echo "installing speedscope from npm for the tests"
    mkdir -p target/npm
    npm install --silent --no-audit --no-fund --prefix target/npm speedscope@1.25.0 >/dev/null
fi

# CPython 3.14 and 3.15 from Debian's unstable binary packages (target/pythons): the
# tests that judge archives and several Pythons use every interpreter they find.
./scripts/pythons.sh >/dev/null

cargo test

# A short campaign against the archive reader behind `doctor` (zipimport's own, in
# Python); the Rust readers' short campaigns are in tests/it/fuzz.rs. The nightly job runs
# 1,000,000 inputs of each (METHODOLOGY.md, "Fuzzed readers").
python3 scripts/fuzz_doctor.py --inputs 5000 --failures target/fuzz-failures
