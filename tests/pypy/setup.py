# Builds tests/pypy's extensions with hpy.devel, universal ABI:
#   python setup.py --hpy-abi=universal build_ext --inplace
from os import path
from setuptools import Extension, setup

here = path.dirname(path.abspath(__file__))
setup(
    name="lichen-pypy-tests",
    hpy_ext_modules=[Extension(n, sources=[path.join(here, n + ".c")]) for n in ("pypy_host", "pypy_hybrid")],
    py_modules=[],
)
