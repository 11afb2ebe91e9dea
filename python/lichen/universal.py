"""The ``hpy.universal`` interface of HPy 0.9.0, served by Lichen."""

import sys

if sys.implementation.name == "pypy":
    from lichen._pypy.universal import (  # noqa: F401
        MODE_DEBUG,
        MODE_TRACE,
        MODE_UNIVERSAL,
        _debug,
        _load_bootstrap,
        _trace,
        get_version,
        load,
    )
else:
    from lichen._lichen import (  # noqa: F401
        MODE_DEBUG,
        MODE_TRACE,
        MODE_UNIVERSAL,
        _load_bootstrap,
        get_version,
        load,
    )
    from lichen._lichen import _debug  # noqa: E402,F401
    from lichen._lichen import _trace  # noqa: E402,F401
