"""Calling an extension's implementations from PyPy: the Python functions
made from ``HPyDef_METH`` definitions, and modules made from a module
definition.

An implementation is called through the entry of its signature
(``lichen_call_<name>``, the signature's name in lower case) with handles Python makes for the arguments;
the entry closes them after the call and gives up the result handle, which
``result`` reads at once (see ``handles``).
"""

import types as _types

from lichen._lichen_pypy import ffi, lib
from lichen._pypy.errors import failed
from lichen._pypy.handles import (
    EMPTY,
    FLOAT,
    FRESH,
    HELD,
    RESERVE_MAX,
    LENT,
    SWEEP_AT,
    _float_values,
    _grow,
    _materialize,
    _reserve,
    _stale,
    _stores_waiting,
    _trim_reserve,
    apply_stores,
    class_id,
    lend,
    live_h,
    new_h,
    objs,
    read_enum,
    sweep,
    take_back,
)

NULL = ffi.NULL
SIG = read_enum("Signature")
NOARGS, O, VARARGS, KEYWORDS = SIG["NOARGS"], SIG["O"], SIG["VARARGS"], SIG["KEYWORDS"]


def result(r, name):
    """The object of the result handle ``r`` an entry returned (0: the call
    failed, its exception is pending), once the field stores of the call
    are applied (after the object is read: applying them lets go of their
    holds, which may be the result's last)."""
    try:
        return _result(r, name)
    finally:
        if _stores_waiting[0]:
            apply_stores()


def _result(r, name):
    """A fresh result (``..010``) is a slot only the result held, now the
    reserve's again; a float one (``..011``) such a slot, emptied, its value
    in ``_float_values``; a held one (``..100``) a hold Python closes once
    it has the object."""
    tag = r & 7
    if tag == 1:
        return r >> 3
    if r == 0:
        raise failed(name)
    i = r >> 3
    if tag == FLOAT:
        o = _float_values[i]
        if i >= len(objs):  # a slot native code added since
            _grow(i)
    else:
        o = objs[i] if i < len(objs) else EMPTY
        if o is EMPTY:
            o = _materialize(r & ~7)
    if tag == HELD:
        # a hold of ours: other holders may have let go meanwhile
        lib.lichen_close(r & ~7)
    elif tag == FRESH or tag == FLOAT:
        _reserve.append(i)
        if len(_reserve) > RESERVE_MAX:
            _trim_reserve()
    if _stale[0] >= SWEEP_AT:
        sweep()
    return o


def status(r, name):
    """Raises for a failed status (-1) an entry returned."""
    if _stores_waiting[0]:
        apply_stores()
    if r < 0:
        raise failed(name)
    return r


def _four(args):
    """``(n, a, b, c, d)``: the handles of up to four positional arguments
    as the ``*_few`` entries take them (the unused ones 0), so that cffi
    has no array to allocate."""
    n = len(args)
    if n == 0:
        return 0, 0, 0, 0, 0
    if n == 1:
        return 1, new_h(args[0]), 0, 0, 0
    if n == 2:
        a, b = args
        return 2, new_h(a), new_h(b), 0, 0
    if n == 3:
        a, b, c = args
        return 3, new_h(a), new_h(b), new_h(c), 0
    a, b, c, d = args
    return 4, new_h(a), new_h(b), new_h(c), new_h(d)


def _positional(ctx, impl, sig, self_h, self_data, self_class, args):
    """A VARARGS call, or a KEYWORDS one without keywords."""
    if len(args) <= 4:
        n, a, b, c, d = _four(args)
        return lib.lichen_call_few(ctx, impl, sig, self_h, self_data, self_class, n, a, b, c, d)
    hs = [new_h(a) for a in args]
    if sig == VARARGS:
        return lib.lichen_call_varargs(ctx, impl, self_h, self_data, self_class, hs, len(hs))
    return lib.lichen_call_keywords(ctx, impl, self_h, self_data, self_class, hs, len(hs), 0, 0)


def _keywords(ctx, impl, self_h, self_data, self_class, args, kw):
    """A KEYWORDS call; ``kw`` is the call's own dict (``**kw``), which the
    usual short calls empty: ``popitem`` reads a name and its value with no
    iteration, which PyPy's JIT would run as a loop of its own (entering
    one costs more than the rest of the call)."""
    if not kw:
        return _positional(ctx, impl, KEYWORDS, self_h, self_data, self_class, args)
    nargs, nkw = len(args), len(kw)
    if nargs + nkw <= 4:
        names, values = _popped(kw, nkw)
        n, a, b, c, d = _four(args + values)
        return lib.lichen_call_keywords_few(ctx, impl, self_h, self_data, self_class, nargs, _kwnames(names), nkw, a, b, c, d)
    names = tuple(kw)
    hs = [new_h(a) for a in args]
    hs.extend(new_h(v) for v in kw.values())
    return lib.lichen_call_keywords(ctx, impl, self_h, self_data, self_class, hs, nargs, _kwnames(names), nkw)


def _popped(kw, n):
    """``(names, values)`` of the ``n`` (1 to 4) items of ``kw``, in order,
    taken out of it one by one (see ``_keywords``)."""
    k4, v4 = kw.popitem()
    if n == 1:
        return (k4,), (v4,)
    k3, v3 = kw.popitem()
    if n == 2:
        return (k3, k4), (v3, v4)
    k2, v2 = kw.popitem()
    if n == 3:
        return (k2, k3, k4), (v2, v3, v4)
    k1, v1 = kw.popitem()
    return (k1, k2, k3, k4), (v1, v2, v3, v4)


# The handles of the keyword names calls were made with, by names: each
# made once, with its items known natively (the extension reads the names
# with HPy_Length and HPy_GetItem_i, which then call no one), and lent to
# every call (the LENT bit). At most _KWNAMES_MAX are kept.
_KWNAMES = {}
_KWNAMES_MAX = 1024


def _kwnames(names):
    h = _KWNAMES.get(names, 0)
    if h:
        return h
    if len(_KWNAMES) >= _KWNAMES_MAX:
        return new_h(names)
    h = live_h(names)
    if lib.lichen_learn_items(h) < 0:
        lib.lichen_close(h)
        raise failed("keyword names")
    kept = _KWNAMES.setdefault(names, h | LENT)
    if kept != h | LENT:  # another thread's came first
        lib.lichen_close(h)
    return kept


def _text(p):
    return None if p == ffi.NULL else ffi.string(p).decode("utf-8")


def split_doc(name, doc):
    """CPython's split of a docstring starting with ``name(...)\\n--\\n\\n``
    into ``(__text_signature__, __doc__)``."""
    if doc and doc.startswith(name + "("):
        end = doc.find(")\n--\n\n")
        if end >= 0:
            return doc[len(name) : end + 1], doc[end + 6 :] or None
    return None, doc


def _decorate(f, name, qualname, module, doc):
    f.__name__ = name
    f.__qualname__ = qualname
    f.__module__ = module
    sig, f.__doc__ = split_doc(name, doc)
    if sig is not None:
        f.__text_signature__ = sig
    return f


# --------------------------------------------------------------------------
# Functions made per definition are copies of the templates below, each with
# globals of its own (``specialize``): PyPy's JIT reads a module's globals as
# constants until one is rebound, and a closure's cells with a load and a
# guard at every call. The names a template reads from its copy's globals:
CTX = IMPL = CALL = MODULE_H = OWNER = NAME = QUALNAME = None


def specialize(template, constants, name=None):
    """A copy of function ``template`` (named ``name``, else as it) whose
    globals are those of its module plus ``constants``, in a module dict of
    its own (a plain dict is not read as constants)."""
    values = dict(template.__globals__)
    values.update(constants)
    g = _types.ModuleType(template.__module__).__dict__
    # each name written once: PyPy reads one written again as a variable
    g.update(values)
    return _types.FunctionType(template.__code__, g, name or template.__name__, template.__defaults__)


def _module_noargs():
    return result(CALL(CTX, IMPL, MODULE_H, 0, 0), QUALNAME)


def _module_o(arg):
    return result(CALL(CTX, IMPL, MODULE_H, new_h(arg), 0, 0), QUALNAME)


def _module_varargs(*args):
    return result(_positional(CTX, IMPL, VARARGS, MODULE_H, 0, 0, args), QUALNAME)


def _module_keywords(*args, **kw):
    return result(_keywords(CTX, IMPL, MODULE_H, 0, 0, args, kw), QUALNAME)


# The entry of each method signature (VARARGS and KEYWORDS calls pick
# their own, by their number of arguments).
_ENTRIES = {
    NOARGS: lib.lichen_call_noargs,
    O: lib.lichen_call_o,
    VARARGS: None,
    KEYWORDS: None,
}


def _for_signature(templates, sig, constants):
    """The copy of the template for method signature ``sig``, calling the
    signature's entry."""
    if sig not in templates:
        raise SystemError("unsupported HPy method signature %d" % sig)
    constants["CALL"] = _ENTRIES[sig]
    return specialize(templates[sig], constants)


_MODULE_FUNCTIONS = {NOARGS: _module_noargs, O: _module_o, VARARGS: _module_varargs, KEYWORDS: _module_keywords}


def module_function(ctx, impl, sig, name, module_h, qualname):
    """A module function: the module's handle is lent to every call."""
    return _for_signature(_MODULE_FUNCTIONS, sig, dict(CTX=ctx, IMPL=impl, MODULE_H=module_h, QUALNAME=qualname))


def check_receiver(cls, name, o):
    if not isinstance(o, cls):
        raise TypeError(
            "descriptor '%s' for '%s' objects doesn't apply to a '%s' object"
            % (name, cls.__name__, type(o).__name__)
        )


def receiver(o, owner, name):
    """Raises unless ``o`` is an instance of ``owner.cls``: a method's or
    special method's implementation reads its struct."""
    if not isinstance(o, owner.cls):
        check_receiver(owner.cls, name, o)


def _method_noargs(self):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, self._lichen_buf, class_id(type(self)))
    take_back(h)
    return result(r, QUALNAME)


def _method_o(self, arg):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(arg), self._lichen_buf, class_id(type(self)))
    take_back(h)
    return result(r, QUALNAME)


def _method_varargs(self, *args):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = _positional(CTX, IMPL, VARARGS, h, self._lichen_buf, class_id(type(self)), args)
    take_back(h)
    return result(r, QUALNAME)


def _method_keywords(self, *args, **kw):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = _keywords(CTX, IMPL, h, self._lichen_buf, class_id(type(self)), args, kw)
    take_back(h)
    return result(r, QUALNAME)


_METHODS = {NOARGS: _method_noargs, O: _method_o, VARARGS: _method_varargs, KEYWORDS: _method_keywords}


def method(ctx, impl, sig, name, owner, qualname):
    """A method of a type made from a spec (``owner.cls``, set once the
    class exists); its receiver must be an instance (the implementation
    reads its struct)."""
    return _for_signature(_METHODS, sig, dict(CTX=ctx, IMPL=impl, OWNER=owner, NAME=name, QUALNAME=qualname))


def module_functions(d, module, module_h, module_name):
    """The functions of a module definition, by name."""
    out = {}
    for i in range(d.nmethods):
        m = d.methods[i]
        name = _text(m.name)
        f = module_function(d.ctx, m.impl, m.sig, name, module_h, name)
        out[name] = _decorate(f, name, name, module_name, _text(m.doc))
    return out


def create_module(d, name, spec):
    """The module of a loaded definition ``d`` (``struct lichen_module_def``)."""
    ctx = d.ctx
    if d.create != ffi.NULL:
        r = lib.lichen_call_mod_create(ctx, d.create, new_h(spec), 0, 0)
        m = result(r, "HPy_mod_create of %s" % name)
        if isinstance(m, _types.ModuleType):
            raise SystemError(
                "HPy_mod_create slot returned a builtin module object. This is currently not supported."
            )
        return m
    m = _types.ModuleType(name, _text(d.doc))
    # The module's handle lives as long as the module's functions: they lend
    # it to every call (the LENT bit), so no call pays for a new one.
    module_h = live_h(m) | LENT
    for fname, f in module_functions(d, m, module_h, name).items():
        setattr(m, fname, f)
    for i in range(d.nexecs):
        status(lib.lichen_call_inquiry(ctx, d.execs[i], module_h, 0, 0), "HPy_mod_exec of %s" % name)
    return m
