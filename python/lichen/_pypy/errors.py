"""The pending exception: native (per thread) until Python needs it."""

import threading

from lichen._lichen_pypy import ffi, lib
from lichen._pypy.handles import close, get, get_or_none, new_h

NONE, MESSAGE, VALUE, RAISED, RAISED_IN_PYTHON = 0, 1, 2, 3, 4

# What a callback raised, per thread, until it is taken (see
# on_callback_error).
_raised = threading.local()


def _instantiate(ty, value):
    """The exception ``raise ty(value)`` makes, as CPython normalises
    ``PyErr_SetObject(ty, value)``."""
    if isinstance(value, BaseException) and isinstance(value, ty):
        return value
    if value is None:
        return ty()
    if isinstance(value, tuple):
        return ty(*value)
    return ty(value)


def _build(kind, ty_h, value_h, message):
    if kind == RAISED:
        return get(value_h)
    if kind == RAISED_IN_PYTHON:
        exc, _raised.exc = getattr(_raised, "exc", None), None
        return exc
    ty = get(ty_h)
    if not (isinstance(ty, type) and issubclass(ty, BaseException)):
        return SystemError("exception %r is not a BaseException subclass" % (ty,))
    if kind == MESSAGE:
        try:
            text = message.decode("utf-8")
        except UnicodeDecodeError as e:
            return e
        return ty(text)
    return _instantiate(ty, get_or_none(value_h))


def take_error(name="the implementation"):
    """The pending exception of this thread as an object (None if none),
    no longer pending. One an implementation set and then returned a result
    anyway is the cause of a SystemError, as on CPython."""
    out = ffi.new("struct lichen_error *")
    kind = lib.lichen_err_take(out)
    if kind == NONE:
        return None
    message = ffi.unpack(out.message, out.message_len) if out.message != ffi.NULL else b""
    try:
        exc = _build(kind, out.ty, out.value, message)
    except BaseException as e:  # the exception class itself failed
        exc = e
    close(out.ty)
    close(out.value)
    if out.stray:
        stray = SystemError("%s returned a result with an exception set" % name)
        stray.__cause__ = exc
        return stray
    return exc


def set_error(exc):
    """Makes ``exc`` the pending exception."""
    lib.lichen_err_set(new_h(exc))


def failed(name):
    """The exception for an implementation that returned its error value."""
    exc = take_error(name)
    if exc is None:
        return SystemError("%s returned NULL without setting an exception" % name)
    return exc


def raised_in_python():
    """The exception a callback raised that is pending (not taken)."""
    return getattr(_raised, "exc", None)


def on_callback_error(exc_type, exc_value, tb):
    """``onerror`` of every callback: what Python raised becomes pending in
    Lichen, and the callback returns its error value. It calls no Python
    function: at the recursion limit (a callback that failed because the
    stack is full) one more frame would fail in turn, and the exception
    would be lost."""
    _raised.exc = exc_value if exc_value is not None else exc_type
    lib.lichen_err_raised_in_python()
