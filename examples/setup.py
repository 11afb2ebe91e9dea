"""Builds the demo extension with hpy.devel.

    python setup.py --hpy-abi=universal build_ext --inplace

gives lichen_demo.hpy0.so (the universal binary) and lichen_demo.py (the
stub loader that hpy.devel writes; it asks hpy.universal to load the .so).
"""
from setuptools import setup, Extension

setup(
    name="lichen-demo",
    version="0.1",
    setup_requires=["hpy==0.9.0"],
    hpy_ext_modules=[Extension("lichen_demo", ["lichen_demo.c"])],
)
