# Builds the corpus's extensions; run.py calls it once, in universal mode:
#   python setup.py --hpy-abi=universal build_ext --inplace
from os import path
from setuptools import setup, Extension

here = path.dirname(path.abspath(__file__))
names = ["cx_objects", "cx_numbers", "cx_text", "cx_containers", "cx_errors", "cx_types", "cx_calls",
         "cx_protocols"]

setup(
    name="lichen-crosshost",
    hpy_ext_modules=[Extension(n, sources=[path.join(here, n + ".c")]) for n in names],
    py_modules=[],
    setup_requires=["hpy"],
)
