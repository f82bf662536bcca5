#!/usr/bin/env bash
# Installs CPython 3.14 and 3.15 for this project's machine kind (Debian 12, amd64) from
# Debian's unstable binary packages, which need a newer C library than the machine has:
# each version's packages are unpacked with that suite's libc6, zlib1g and libzstd1 into
# a folder of its own under target/pythons, and a launcher starts the interpreter through
# that C library's loader. The system's apt configuration is left alone (a private
# sources list and state). Idempotent: an installed version is reused. Prints one
# launcher path per line, in the order asked; usable as `run --python PATH`.
#
#   scripts/pythons.sh            # 3.14 and 3.15
#   scripts/pythons.sh 3.15       # one version
#
# Exit 1, naming the package, when the archive no longer has a version asked for.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
    versions=(3.14 3.15)
fi
root="$(pwd)/target/pythons"
state="$root/apt"
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$root/debs"
sources="$root/sources.list"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" >"$sources"
apt_opts=(
    -o "Dir::Etc::sourcelist=$sources"
    -o "Dir::Etc::sourceparts=-"
    -o "Dir::State::Lists=$state/lists"
    -o "Dir::Cache=$state/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
)

fetched=""
fetch_lists() {
    if [ -z "$fetched" ]; then
        apt-get "${apt_opts[@]}" -qq update >&2
        fetched=1
    fi
}

for v in "${versions[@]}"; do
    dir="$root/$v"
    launcher="$dir/python$v"
    if [ -x "$launcher" ] && "$launcher" -I -c "import sys" >/dev/null 2>&1; then
        echo "$launcher"
        continue
    fi
    fetch_lists
    packages=("python$v-minimal" "libpython$v-minimal" "libpython$v-stdlib" libc6 zlib1g libzstd1)
    for p in "${packages[@]}"; do
        if ! apt-cache "${apt_opts[@]}" show "$p" >/dev/null 2>&1; then
            echo "error: Debian's unstable archive has no package $p (CPython $v is no longer there, or not yet)" >&2
            exit 1
        fi
    done
    debs="$root/debs/$v"
    rm -rf "$debs" "$dir.tmp"
    mkdir -p "$debs" "$dir.tmp/root"
    (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "${packages[@]}" >&2)
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$dir.tmp/root"
    done
    cat >"$dir.tmp/python$v" <<EOF
#!/bin/sh
# CPython $v from Debian unstable, started through the C library it was built for.
r="\$(dirname "\$(readlink -f "\$0")")/root"
exec "\$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "\$r/usr/lib/x86_64-linux-gnu:\$r/lib/x86_64-linux-gnu" "\$r/usr/bin/python$v" "\$@"
EOF
    chmod +x "$dir.tmp/python$v"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
    if ! "$launcher" -I -c "import sys, zlib" >/dev/null; then
        echo "error: $launcher does not start" >&2
        exit 1
    fi
    echo "$launcher"
done
