"""``hpy.universal`` on PyPy: loading universal binaries through Lichen's
PyPy host (see ``lichen._pypy``)."""

import gc
import os
import sys

from lichen._lichen_pypy import ffi, lib
from lichen._pypy.handles import read_enum

if lib.lichen_install() != 0:
    raise ImportError("Lichen's PyPy host: the cffi module and the Rust library do not match (rebuild Lichen)")

from lichen._pypy import callbacks  # noqa: E402,F401  (defines the extern "Python" functions)
from lichen._pypy import debug_module as _debug  # noqa: E402
from lichen._pypy import trace_module as _trace  # noqa: E402
from lichen._pypy.calls import create_module  # noqa: E402
from lichen._pypy.errors import take_error  # noqa: E402
from lichen._pypy import importer  # noqa: E402
from lichen._pypy.handles import fields_of, sweep  # noqa: E402

importer.install()


def _collect_after_sweep(collect):
    """``gc.collect`` that first lets go of the objects the entries of free
    slots still hold (cleared lazily, see ``lichen._pypy.handles``), so that
    a collection finds them."""

    def gc_collect(*args, **kwargs):
        sweep()
        return collect(*args, **kwargs)

    gc_collect.__doc__ = collect.__doc__
    gc_collect._lichen_original = collect
    return gc_collect


def _referents_as_traversed(get_referents):
    """``gc.get_referents`` that, as on CPython, gives for an instance of a
    class made from a spec what its ``tp_traverse`` visits: the objects of
    its ``HPyField``s (PyPy's own answer lists the class, the struct's
    buffer and the container of the fields instead); for an instance of a
    Python subclass, also what the subclass adds (its ``__dict__``, slots
    and class, as CPython's ``subtype_traverse`` visits them)."""

    def gc_get_referents(*objs):
        out = []
        for o in objs:
            fields = fields_of(o)
            if fields is None:
                out.extend(get_referents(o))
                continue
            if getattr(type(o), "__lichen_self__", None) is not type(o):
                own = object.__getattribute__  # not the subclass's lookup
                inner = (own(o, "_lichen_buf"), own(o, "_lichen_mem"), own(o, "_lichen_refs"))
                out.extend(r for r in get_referents(o) if not any(r is x for x in inner))
            out.extend(fields)
        return out

    gc_get_referents.__doc__ = get_referents.__doc__
    gc_get_referents._lichen_original = get_referents
    return gc_get_referents


if not hasattr(gc.collect, "_lichen_original"):
    gc.collect = _collect_after_sweep(gc.collect)
if not hasattr(gc.get_referents, "_lichen_original"):
    gc.get_referents = _referents_as_traversed(gc.get_referents)

_MODES = read_enum("Mode")
MODE_UNIVERSAL = _MODES["MODE_UNIVERSAL"]
MODE_DEBUG = _MODES["MODE_DEBUG"]
MODE_TRACE = _MODES["MODE_TRACE"]

HPY_VERSION, HPY_GIT_REVISION = ffi.string(lib.lichen_hpy_version()).decode().split()


def get_version():
    """``(version, git revision)`` of the HPy ABI this runtime implements."""
    return (HPY_VERSION, HPY_GIT_REVISION)


def _mode_of(debug, mode):
    if mode > 0:
        if mode not in _MODES.values():
            raise ValueError("invalid HPy mode: %d" % mode)
        return mode
    return MODE_DEBUG if debug else MODE_UNIVERSAL


def load(name, path, spec, debug=False, mode=-1):
    """Load a universal HPy extension (``.hpy0.so``) from ``path`` as module
    ``name``."""
    m = _mode_of(debug, mode)
    d = ffi.new("struct lichen_module_def *")
    if lib.lichen_load(name.encode("utf-8"), os.fsencode(path), m, d) < 0:
        raise take_error()
    return create_module(d, name, spec)


def _env_mode(name, value):
    """The mode ``HPY`` asks for module ``name`` (read as HPy reads it)."""
    m = lib.lichen_mode_from_env(name.encode("utf-8"), value.encode("utf-8"))
    if m < 0:
        raise take_error()
    return m


def _load_bootstrap(name, ext_name, package, file, loader, spec, env):
    """Used by the stub loaders ``hpy.devel`` writes: honours the ``HPY`` and
    ``HPY_LOG`` environment variables and sets the module's attributes."""
    value = env.get("HPY")
    mode = MODE_UNIVERSAL if value is None else _env_mode(name, value)
    if env.get("HPY_LOG") is not None:
        sys.stdout.write(ffi.string(lib.lichen_log_line(name.encode("utf-8"), mode)).decode("utf-8"))
    m = load(name, file, spec, mode=mode)
    m.__file__ = file
    m.__loader__ = loader
    m.__name__ = ext_name
    m.__package__ = package
    spec.origin = file
    m.__spec__ = spec
    return m
