"""Lichen: a Rust runtime for HPy universal-ABI extensions.

``lichen.universal`` is a drop-in ``hpy.universal``; ``python -m lichen
provide`` makes it *the* ``hpy.universal`` of the current environment.
"""

from lichen._lichen import get_version as _get_version

__version__ = "0.1.0"
HPY_VERSION = _get_version()[0]
