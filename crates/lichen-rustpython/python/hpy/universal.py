"""Lichen's `hpy.universal` on RustPython: loads universal extensions
(`name.hpy0.so`) in universal, debug or trace mode. `_debug` and `_trace`
steer the debug and trace contexts."""
import _lichen
import _lichen_debug as _debug
import _lichen_trace as _trace

globals().update(_lichen.modes())


def load(name, path, spec, debug=False, mode=-1):
    """Load the universal extension at `path` as module `name`; `mode` is
    one of the MODE_* constants (or `debug=True` for MODE_DEBUG)."""
    if mode < 0:
        mode = MODE_DEBUG if debug else MODE_UNIVERSAL
    return _lichen.load(name, path, spec, mode)


def get_version():
    """(version, git revision) of the HPy ABI this runtime implements."""
    return _lichen.get_version()
