"""Lichen: a Rust runtime for HPy universal-ABI extensions.

``lichen.universal`` is a drop-in ``hpy.universal``; ``python -m lichen
provide`` makes it *the* ``hpy.universal`` of the current environment. On
CPython the runtime is the extension module ``lichen._lichen``; on PyPy it
is the cffi module ``lichen._lichen_pypy`` driven by ``lichen._pypy``.
"""

import sys

__version__ = "0.1.0"
IS_PYPY = sys.implementation.name == "pypy"


def __getattr__(name):
    # Loaded on first use, so that importing the package (as the PyPy
    # build script does, before the runtime exists) needs no runtime.
    if name == "HPY_VERSION":
        from lichen.universal import get_version

        return get_version()[0]
    raise AttributeError("module 'lichen' has no attribute %r" % name)
