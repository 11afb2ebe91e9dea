#!/usr/bin/env bash
# scripts/demo.sh BUILD_X.Y X.Y...
#
# Builds examples/lichen_demo.c ONCE, with hpy.devel in universal mode under
# CPython BUILD_X.Y, into .cache/demo (the .hpy0.so and hpy.devel's stub
# loader lichen_demo.py), then runs examples/demo.py with that same file on
# every X.Y given, each through its .venv/X.Y where Lichen serves hpy.universal,
# and on RustPython (lichen-rustpython, built here if needed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
builder="$1"; shift
build="$root/.cache/demo"

rm -rf "$build"
mkdir -p "$build"
cp "$root/examples/lichen_demo.c" "$root/examples/setup.py" "$build/"
echo "== building examples/lichen_demo.c once, universal ABI, with CPython $builder"
(cd "$build" && "$root/.venv/$builder/bin/python" setup.py -q --hpy-abi=universal build_ext --inplace \
    > build.log 2>&1) || { cat "$build/build.log"; exit 1; }
so="$(ls "$build"/lichen_demo*.so)"
echo "   $(basename "$so") + stub $(basename "$build/lichen_demo.py")"
echo "   sha256 $(sha256sum "$so" | cut -d' ' -f1)"
echo

failed=()
for v in "$@"; do
    if ! (cd "$root" && PYTHONPATH="$build" ".venv/$v/bin/python" examples/demo.py); then
        failed+=("$v")
    fi
    echo
done
echo "== building lichen-rustpython (RustPython 0.5 + Lichen; minutes the first time)"
(cd "$root" && cargo build -q -p lichen-rustpython --ignore-rust-version)
rustpython="${CARGO_TARGET_DIR:-$root/target}/debug/lichen-rustpython"
if ! (cd "$root" && PYTHONPATH="$build" "$rustpython" examples/demo.py); then
    failed+=("RustPython")
fi
echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "demo FAILED on: ${failed[*]}"
    exit 1
fi
echo "demo OK: one universal binary ran on CPython $* and on RustPython"
