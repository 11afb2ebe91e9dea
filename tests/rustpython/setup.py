from os import path
from setuptools import setup, Extension

setup(
    name="rphost",
    hpy_ext_modules=[Extension("rphost", sources=[path.join(path.dirname(__file__), "rphost.c")])],
    py_modules=[],
    setup_requires=["hpy"],
)
