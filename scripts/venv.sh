#!/usr/bin/env bash
# scripts/venv.sh X.Y [lichen|hpy]
# scripts/venv.sh pypy|pypy8.0
#
#   lichen (default): .venv/X.Y with the test tools, hpy==0.9.0 without its
#                     runtime (see install_hpy_without_runtime) and Lichen
#                     installed from this tree, providing hpy.universal.
#   hpy:              .venv/hpy-X.Y with hpy==0.9.0 only (HPy's own
#                     hpy.universal), for benchmarks that compare against it.
#   pypy[V]:          .venv/pypy[V] on PyPy V (pypy: Debian 12's 7.3.11;
#                     pypy8.0: PyPy 8.0 from a private root, see
#                     scripts/private-root.sh) with the test tools and
#                     Lichen's PyPy host, which brings HPy 0.9.0's
#                     hpy.devel/debug/trace (HPy's package refuses PyPy) and
#                     provides hpy.universal.
#
# The dependency install is done once (stamp file); `pip install .` is redone
# whenever the caller (the Makefile) decides the sources changed.
set -euo pipefail
v="$1"
kind="${2:-lichen}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

case "$v" in pypy*) kind=pypy ;; esac
if [ "$kind" = hpy ]; then venv="$root/.venv/hpy-$v"; else venv="$root/.venv/$v"; fi
py="$venv/bin/python"
export PATH="$venv/bin:$PATH"
stamp="$venv/.deps-installed"

# hpy==0.9.0 from PyPI, HPy's runtime included. hpy 0.9.0 has wheels for
# 3.9-3.11 only; elsewhere pip builds it from the sdist (isolated build
# first; else against this venv's setuptools). The setuptools bound is
# repeated: hpy needs setuptools>=64, and where the venv ships an older one
# pip would otherwise pick the newest (no pkg_resources any more).
install_hpy() {
    if ! "$py" -m pip install -q "hpy==0.9.0" "setuptools<70"; then
        echo "== isolated build of hpy failed; retrying without build isolation"
        "$py" -m pip install -q "setuptools_scm[toml]>=6,<9" "setuptools<70"
        "$py" -m pip install -q --no-build-isolation "hpy==0.9.0" "setuptools<70"
    fi
}

# hpy==0.9.0 built here from its sdist (hpy_sdist) by
# scripts/hpy_without_runtime.py: hpy.devel, hpy.debug, hpy.trace and the
# setuptools hook, without the hpy.universal extension (HPy's runtime), which
# Lichen replaces.
install_hpy_without_runtime() {
    local sdist scratch
    sdist="$(hpy_sdist)"
    "$py" -m pip install -q "setuptools_scm[toml]>=6,<9"
    scratch="$(mktemp -d)"
    tar xzf "$sdist" -C "$scratch"
    # setuptools' deprecation notices go to the log, shown only on failure
    "$py" "$root/scripts/hpy_without_runtime.py" "$scratch/hpy-0.9.0" "$scratch/dist" \
        >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log" >&2; exit 1; }
    "$py" -m pip install -q --no-deps "$scratch"/dist/hpy-0.9.0-*.whl
    rm -rf "$scratch"
    if "$py" -c "import importlib.util as u; exit(u.find_spec('hpy.universal') is None)"; then
        echo "venv.sh: $venv has HPy's hpy.universal, which Lichen should provide" >&2; exit 1
    fi
}

# HPy's sdist (.cache/hpy-sdist, where tests/hpy_suite/run.py finds it too),
# which the PyPy host's wheel and the CPython venvs (install_hpy_without_runtime)
# take hpy.devel & co. from. Fetched by a CPython's pip: pip on PyPy would
# run the sdist's setup.py to read its metadata, and HPy's refuses PyPy.
hpy_sdist() {
    local dir="$root/.cache/hpy-sdist"
    if [ ! -f "$dir/hpy-0.9.0.tar.gz" ]; then
        # into a scratch folder first: venvs made in parallel (make -j)
        # must not find each other's half-written file
        local part
        mkdir -p "$dir"
        part="$(mktemp -d "$dir/part.XXXXXX")"
        "$("$root/scripts/find-python.sh" "${MAIN_PYTHON:-3.11}")" -m pip download -q --no-deps \
            --no-binary :all: -d "$part" "hpy==0.9.0" >&2
        mv -f "$part/hpy-0.9.0.tar.gz" "$dir/hpy-0.9.0.tar.gz"
        rm -rf "$part"
    fi
    echo "$dir/hpy-0.9.0.tar.gz"
}

# The build of Lichen itself, one venv at a time: venvs are made in
# parallel (`make -j venvs`), and the builds share CARGO_TARGET_DIR, where
# one build's library could replace another's before it is packed.
build_locked() {
    mkdir -p "$CARGO_TARGET_DIR"
    flock "$CARGO_TARGET_DIR/.lichen-build.lock" "$@"
}

if [ "$kind" = pypy ]; then
    if [ ! -f "$stamp" ]; then
        pypy_version="${v#pypy}"
        pypy_version="${pypy_version:-7.3.11}"
        bash "$root/scripts/ensure-tools.sh" "pypy$pypy_version"
        base="$("$root/scripts/find-pypy.sh" "$pypy_version")"
        echo "== creating $venv from $base"
        rm -rf "$venv"
        "$base" -m venv "$venv"
        "$py" -m pip install -q --upgrade pip
        "$py" -m pip install -q "setuptools<70" wheel pytest pytest-xdist pytest-timeout filelock
        touch "$stamp"
    fi
    echo "== building Lichen's PyPy host (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    LICHEN_HPY_SDIST="$(hpy_sdist)" build_locked "$py" -m pip install -q --no-build-isolation --force-reinstall --no-deps "$root"
    "$py" -c 'import hpy.universal as u, hpy.devel.version as d, sys; assert u.__name__ == "lichen.universal", u; assert d.__version__ == "0.9.0", d.__version__; print("hpy.universal is", u.__name__, "and hpy.devel", d.__version__, "on PyPy", "%d.%d.%d" % sys.pypy_version_info[:3])'
    exit 0
fi

if [ ! -f "$stamp" ]; then
    base="$("$root/scripts/find-python.sh" "$v")"
    echo "== creating $venv from $base"
    rm -rf "$venv"
    "$base" -m venv "$venv"
    "$py" -m pip install -q --upgrade pip
    # setuptools<70: HPy's test support uses distutils, and the stub loaders
    # that hpy.devel writes use pkg_resources; >=64: hpy's own requirement
    # (older ones, as 3.9's and 3.10's venvs ship, do not make distutils
    # setuptools' own, which hpy.devel checks).
    "$py" -m pip install -q "setuptools>=64,<70" wheel
    if [ "$kind" = lichen ]; then
        # Lichen serves hpy.universal here: HPy without its runtime (one way
        # on every version; HPy's runtime does not build on 3.15).
        install_hpy_without_runtime
    else
        install_hpy
    fi
    "$py" -c "import pkg_resources" 2>/dev/null || {
        echo "venv.sh: $venv has no pkg_resources (needed by hpy.devel's stub loaders)" >&2; exit 1; }
    # the test tools in both kinds: `run.py --runtime hpy` runs HPy's suite
    # on HPy's own runtime for comparison
    "$py" -m pip install -q pytest pytest-xdist pytest-timeout filelock
    if [ "$kind" = lichen ]; then
        "$py" -m pip install -q "maturin>=1.5,<2"
    fi
    touch "$stamp"
fi

if [ "$kind" = lichen ]; then
    echo "== building Lichen for $v (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
    # No build isolation: maturin is in the venv, and the build must see
    # CARGO_TARGET_DIR so that the interpreters share one cargo cache.
    build_locked "$py" -m pip install -q --no-build-isolation --force-reinstall --no-deps "$root"
    "$py" -m lichen provide
    "$py" -c 'import hpy.universal as u, lichen; assert u.__name__ == "lichen.universal", u; print("hpy.universal is", u.__name__, "on", __import__("sys").version.split()[0])'
fi
