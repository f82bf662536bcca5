#!/usr/bin/env bash
# The test command of the README: installs what the tests need on a fresh machine of
# this project's kind (Debian's chromium, for the headless-browser report tests), then
# runs every test. Rust, a C compiler and python3 with its shared library are expected.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

cargo test
