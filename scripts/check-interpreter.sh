#!/usr/bin/env bash
# scripts/check-interpreter.sh NAME...   (3.14, 3.15, pypy8.0, pypy7.3.19, pypy7.3.11, ...)
#
# Checks that an interpreter found by find-python.sh / find-pypy.sh is usable
# for Lichen's work, in a throw-away folder: a venv with pip, pip install of a
# pure package (from PyPI), the standard modules that need C libraries, a
# subprocess started with sys.executable, and a C build:
#   CPython: a setuptools Extension (pip install . and setup.py build_ext)
#   PyPy:    an API-mode cffi module (ffi.set_source + ffi.compile) with an
#            extern "Python" callback; and PyPy's built-in HPy where it has one.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/lichen-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT

ok() { echo "  ok: $*"; }

write_cext() {
    mkdir -p "$1"
    cat > "$1/ext.c" <<'EOF'
#include <Python.h>
static PyObject *add1(PyObject *self, PyObject *arg) {
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(v + 1);
}
static PyMethodDef methods[] = {{"add1", add1, METH_O, "x + 1"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "lichen_cext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_lichen_cext(void) { return PyModule_Create(&mod); }
EOF
    cat > "$1/setup.py" <<'EOF'
from setuptools import setup, Extension
setup(name="lichen-cext", version="0.1", ext_modules=[Extension("lichen_cext", ["ext.c"])])
EOF
    printf '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n' > "$1/pyproject.toml"
}

write_cffi() {
    mkdir -p "$1"
    cat > "$1/build_add.py" <<'EOF'
import cffi
ffi = cffi.FFI()
ffi.cdef('int add1(int); extern "Python" int py_twice(int); int call_twice(int);')
ffi.set_source("_lichen_add", """
    static int py_twice(int);
    int add1(int x) { return x + 1; }
    int call_twice(int x) { return py_twice(x); }
""")
ffi.compile()
EOF
    cat > "$1/use_add.py" <<'EOF'
from _lichen_add import ffi, lib
@ffi.def_extern()
def py_twice(x):
    return 2 * x
assert lib.add1(41) == 42 and lib.call_twice(21) == 42
print("add1(41) =", lib.add1(41), "| call_twice(21) via extern \"Python\" =", lib.call_twice(21))
EOF
}

common() {
    local py="$1" v="$work/venv"
    "$py" -m venv "$v"
    ok "venv: $("$v/bin/python" -m pip --version)"
    "$v/bin/python" -m pip install -q --disable-pip-version-check six
    "$v/bin/python" -c 'import six; print("  ok: pip install six:", six.__version__)'
    "$v/bin/python" -c '
import ssl, sqlite3, ctypes, lzma, bz2, zlib, subprocess, sys
print("  ok: import ssl, sqlite3, ctypes, lzma, bz2, zlib:", ssl.OPENSSL_VERSION, "| sqlite", sqlite3.sqlite_version)
out = subprocess.run([sys.executable, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True)
print("  ok: subprocess with sys.executable, its prefix:", out.stdout.strip())'
}

check_cpython() {
    local py="$1" v="$work/venv"
    common "$py"
    write_cext "$work/cext"
    "$v/bin/python" -m pip install -q --disable-pip-version-check "$work/cext"
    (cd "$work" && "$v/bin/python" -c 'import lichen_cext; assert lichen_cext.add1(41) == 42; print("  ok: pip install . of a C extension:", lichen_cext.__file__)')
    "$v/bin/python" -m pip uninstall -q -y lichen-cext
    "$v/bin/python" -m pip install -q --disable-pip-version-check setuptools
    (cd "$work/cext" && "$v/bin/python" setup.py -q build_ext --inplace >/dev/null 2>&1 \
        && "$v/bin/python" -c 'import lichen_cext; assert lichen_cext.add1(41) == 42; print("  ok: setup.py build_ext:", lichen_cext.__file__)')
}

check_pypy() {
    local py="$1" v="$work/venv"
    common "$py"
    "$v/bin/python" -c 'import cffi; print("  ok: import cffi", cffi.__version__)'
    write_cffi "$work/cffi"
    (cd "$work/cffi" && "$v/bin/python" build_add.py >/dev/null && echo "  ok: cffi API mode: $("$v/bin/python" use_add.py)")
    if "$v/bin/python" -c 'import _hpy_universal' 2>/dev/null; then
        "$v/bin/python" -c 'import _hpy_universal, hpy.devel.version as v; print("  ok: import _hpy_universal (built-in), hpy", v.__version__)'
    else
        echo "  --: no _hpy_universal in this PyPy"
    fi
}

for name in "$@"; do
    rm -rf "${work:?}"/*
    case "$name" in
        pypy*) py="$("$here/find-pypy.sh" "${name#pypy}")"; kind=pypy ;;
        *) py="$("$here/find-python.sh" "$name")"; kind=cpython ;;
    esac
    echo "== $name: $py ($("$py" -c 'import sys; print(sys.version.split(chr(10))[0])'))"
    "check_$kind" "$py"
done
