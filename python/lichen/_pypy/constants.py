"""The objects behind the context's constants that are not builtins by
name, and the capsule type (PyPy has none outside cpyext)."""

import builtins

from lichen._lichen_pypy import lib


class Capsule(object):
    """An HPy capsule: its state (pointer, name, context, destructor) is
    native (``crates/lichen-pypy/src/capsule.rs``); the object holds its
    address and frees it when it dies."""

    __slots__ = ("_lichen_data",)

    def __init__(self, data):
        self._lichen_data = data

    def __del__(self):
        data, self._lichen_data = self._lichen_data, None
        if data is not None:
            lib.lichen_capsule_free(data)

    def __repr__(self):
        return "<capsule object at 0x%x>" % id(self)


Capsule.__name__ = "PyCapsule"
Capsule.__qualname__ = "PyCapsule"
Capsule.__module__ = "builtins"

_TYPES = {
    "BaseObjectType": object,
    "TypeType": type,
    "BoolType": bool,
    "LongType": int,
    "FloatType": float,
    "UnicodeType": str,
    "TupleType": tuple,
    "ListType": list,
    "ComplexType": complex,
    "BytesType": bytes,
    "MemoryViewType": memoryview,
    "CapsuleType": Capsule,
    "SliceType": slice,
}


def lookup(name):
    """The object of the context constant ``name`` (exceptions and warnings
    by their builtin name)."""
    if name in _TYPES:
        return _TYPES[name]
    try:
        return getattr(builtins, name)
    except AttributeError:
        raise SystemError("Lichen: the context constant %r has no PyPy object" % name)
