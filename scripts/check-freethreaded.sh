#!/usr/bin/env bash
# scripts/check-freethreaded.sh [X.Y...]     (default: 3.14 3.15)
#
# Type-checks the CPython host (cargo check -p lichen-cpython) for the
# free-threaded CPython X.Yt, which cannot be installed on this machine: a
# pyo3 configuration file describing that interpreter (Py_GIL_DISABLED)
# stands in for it. pyo3-ffi then declares the free-threaded C API (atomic
# tp_flags, the object header with ob_tid, ...), so code that only builds
# with a GIL fails here. Nothing is linked or run. See "Free-threaded
# CPython" in docs/architecture.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
configs="$root/.cache/freethreaded"
mkdir -p "$configs"
[ $# -gt 0 ] || set -- 3.14 3.15
for v in "$@"; do
    cfg="$configs/pyo3-${v}t.cfg"
    printf '%s\n' implementation=CPython "version=$v" shared=true abi3=false \
        build_flags=Py_GIL_DISABLED pointer_width=64 > "$cfg"
    echo "== cargo check -p lichen-cpython for free-threaded CPython ${v}t ($cfg)"
    # one target folder per version: the two configurations do not
    # invalidate each other's pyo3 build
    (cd "$root" && PYO3_CONFIG_FILE="$cfg" CARGO_TARGET_DIR="$target/freethreaded-$v" \
        cargo check --quiet -p lichen-cpython)
done
