"""Builds a wheel of HPy's sdist without HPy's own runtime.

    python scripts/hpy_without_runtime.py SDIST_DIR OUT_DIR

SDIST_DIR is an unpacked ``hpy-0.9.0`` sdist (a scratch copy: the build
writes into it). The wheel holds everything ``pip install hpy==0.9.0`` would
install (``hpy.devel`` with its headers, C sources and static libraries,
``hpy.debug``, ``hpy.trace``, the ``hpy_ext_modules`` setuptools hook in the
metadata) except the ``hpy.universal`` extension, which Lichen provides.

Why: HPy's runtime is compiled with ``-Werror`` and does not build on every
interpreter Lichen supports (on CPython 3.15 the ``_POSIX_C_SOURCE`` of its
``pyconfig.h`` clashes with the C library's), and where Lichen serves
``hpy.universal`` it is never used. HPy's setup.py has no option to leave the
extension out, so this runs that setup.py unchanged, with ``setuptools.setup``
wrapped to drop the one extension named ``hpy.universal``. Needs setuptools,
setuptools_scm and wheel in the running interpreter (no build isolation).
"""

import os
import runpy
import sys

import setuptools

RUNTIME = "hpy.universal"


def main(sdist, out):
    real_setup = setuptools.setup
    dropped = []

    def setup_without_runtime(**kwargs):
        exts = kwargs.get("ext_modules", [])
        dropped.extend(e for e in exts if e.name == RUNTIME)
        kwargs["ext_modules"] = [e for e in exts if e.name != RUNTIME]
        return real_setup(**kwargs)

    setuptools.setup = setup_without_runtime
    os.chdir(sdist)
    sys.path.insert(0, sdist)
    sys.argv = ["setup.py", "-q", "bdist_wheel", "--dist-dir", os.path.abspath(out)]
    runpy.run_path("setup.py", run_name="__main__")
    # Fail loudly if HPy's setup.py ever stops declaring the runtime the way
    # this script expects (then the wheel might silently contain it).
    if len(dropped) != 1:
        sys.exit("hpy_without_runtime.py: expected one %s extension in setup.py, found %d"
                 % (RUNTIME, len(dropped)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]))
