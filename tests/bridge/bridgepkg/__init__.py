# A package whose Python code runs on RustPython and whose C half
# (_speedups, built from tests/bridge/pkgspeedups.c) runs in the bridge's
# embedded CPython.
from ._speedups import shout
