"""Classes from ``HPyType_Spec``s (checked by the core and handed over as a
``struct lichen_type_def``).

An instance's struct is a zeroed piece of a cffi buffer shared by up to
``CHUNK_BYTES`` of structs of its class (``_lichen_buf`` is its address,
an int: a cdata pointer per instance cost PyPy's GC about 50 ns more for
each instance that survives a collection; ``_lichen_mem`` holds the
buffer: a raw allocation and its finalizer per instance cost PyPy's GC
more than the rest of making one; the price is that the buffer lives as
long as any of its instances), in the slots of the first class of its
hierarchy made from a spec (0 for classes without a struct); its address goes
to the object table with the instance's handle (every call passes it), so
``HPy_AsStruct`` costs no call into PyPy. Slots become special methods
(``HPySlot_Slot::special_methods`` in lichen-abi names them), members are
descriptors reading the struct through cffi, getsets call the extension.
When instances need work at death (``HPy_tp_destroy``,
``HPy_tp_finalize``), the class gets a ``__del__``; others have none, so
that PyPy's GC can free them young (it runs finalizers only in major
collections). Their ``HPyField``s hold objects by key in ``_lichen_refs``
(see ``store_field`` in ``crates/lichen-pypy/src/host/object.rs``).
"""

import operator
import sys

from lichen._lichen_pypy import ffi, lib
from lichen._pypy import calls
from lichen._pypy.calls import NULL, _decorate, _four, _keywords, _text, receiver, result, specialize, status
from lichen._pypy.errors import failed, take_error
from lichen._pypy.handles import LENT, class_id, close, field_object, fresh, get, lend, live_h, new_h, new_h_or_null, objs, read_enum, take_back

SHAPES = read_enum("Shape")
SIG = read_enum("Signature")
# a signature's entry is lichen_call_<its name in lower case> (entry.rs)
SIG_NAME = {v: k for k, v in SIG.items()}
MEMBER = read_enum("MemberType")
# the tag of an HPyField naming its object by key (table.rs, TAG_FIELD)
FIELD_KEY = 7
SHAPE_BASES = {
    SHAPES["Legacy"]: object,
    SHAPES["Object"]: object,
    SHAPES["Type"]: type,
    SHAPES["Long"]: int,
    SHAPES["Float"]: float,
    SHAPES["Unicode"]: str,
    SHAPES["Tuple"]: tuple,
    SHAPES["List"]: list,
}
BASETYPE = 1 << 10
CALL_AFTER_STRUCT = -2

_slot_info = {}


def slot_info(slot):
    """``(c_name, signature, special_methods)`` of an ``HPySlot_Slot``."""
    info = _slot_info.get(slot)
    if info is None:
        text = lib.lichen_slot_info(slot)
        if text == ffi.NULL:
            raise SystemError("invalid slot value %d" % slot)
        words = ffi.string(text).decode().split()
        info = _slot_info[slot] = (words[0], int(words[1]), words[2:])
    return info


class TypeRef(object):
    """The class being made, for functions made before it exists."""

    __slots__ = ("cls",)


# --------------------------------------------------------------------------
# instances


def _root_new(cls):
    builtin = cls.__lichen_builtin__
    if builtin is type:
        # an instance of a metaclass made from a spec is a class
        return type.__new__(cls, cls.__name__, (), {})
    return builtin.__new__(cls)


CHUNK_BYTES = 2048


_NULL_CHAR = ffi.cast("char *", 0)


def _struct(cls, size):
    """``(address, buffer)``: a zeroed struct of ``size`` bytes for an
    instance of ``cls``, and the buffer it is cut from. ``pop`` is one step
    under the GIL: threads never get the same struct."""
    pool = cls.__lichen_pool__
    try:
        return pool.pop()
    except IndexError:
        step = (size + 15) & ~15  # malloc's alignment for every struct
        n = max(1, CHUNK_BYTES // step)
        chunk = ffi.new("char[]", step * n)
        # a pointer difference is an int: ``ffi.cast("intptr_t", chunk)``
        # would make a cdata that owns raw memory, with a finalizer
        base = ffi.cast("char *", chunk) - _NULL_CHAR
        pool.extend([(base + step * k, chunk) for k in range(n - 1, 0, -1)])
        return base, chunk


def _give_struct(o, cls, size):
    o._lichen_buf, o._lichen_mem = _struct(cls, size)
    o._lichen_refs = None


def alloc(cls):
    """A new instance of a class made from a spec, its struct zeroed."""
    o = _root_new(cls)
    size = cls.__lichen_size__
    if size:
        _give_struct(o, cls, size)
    return o


def new_instance_check(cls):
    """Raises unless ``HPy_New`` can make instances of ``cls``."""
    if not isinstance(cls, type) or getattr(cls, "__lichen_tid__", None) is None:
        raise TypeError("HPy_New arg 1 must be a type made by HPyType_FromSpec, not %r" % (cls,))


def new_instance(cls):
    """``HPy_New``: a new instance, with its struct."""
    new_instance_check(cls)
    return alloc(cls)


def _generic_new(cls, *args, **kw):
    if (args or kw) and cls.__init__ is object.__init__:
        raise TypeError("%s() takes no arguments" % cls.__name__)
    return alloc(cls)


def _type_init(self, *args, **kw):
    """``__init__`` of a metaclass made from a spec: ``type.__init__``
    wants a class's name, bases and namespace, which an instance made by
    ``HPyType_GenericNew`` or ``HPy_New`` has no need of."""
    if args or kw:
        type.__init__(self, *args, **kw)


def _builtin_new(cls, *args, **kw):
    o = _root_new(cls) if not (args or kw) else cls.__lichen_builtin__.__new__(cls, *args, **kw)
    size = cls.__lichen_size__
    if size:
        _give_struct(o, cls, size)
    return o


# --------------------------------------------------------------------------
# members


def _bounds(ctype):
    bits = ffi.sizeof(ctype) * 8
    if ctype.startswith("unsigned") or ctype.startswith("uint"):
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _wrap(n, lo, hi):
    span = hi - lo + 1
    return (n - lo) % span + lo


class Member(object):
    """An ``HPyDef_MEMBER``: the C field at ``offset`` of the struct, read and
    written with the conversions and errors of CPython's
    ``PyMember_GetOne``/``PyMember_SetOne``."""


    READ = {
        MEMBER["SHORT"]: "short",
        MEMBER["INT"]: "int",
        MEMBER["LONG"]: "long",
        MEMBER["LONGLONG"]: "long long",
        MEMBER["HPYSSIZET"]: "intptr_t",
        MEMBER["BYTE"]: "signed char",
        MEMBER["UBYTE"]: "unsigned char",
        MEMBER["USHORT"]: "unsigned short",
        MEMBER["UINT"]: "unsigned int",
        MEMBER["ULONG"]: "unsigned long",
        MEMBER["ULONGLONG"]: "unsigned long long",
        MEMBER["FLOAT"]: "float",
        MEMBER["DOUBLE"]: "double",
    }

    def __init__(self, m, owner):
        self.name = _text(m.name)
        self.type = m.type
        self.offset = m.offset
        self.readonly = bool(m.readonly)
        self.__doc__ = _text(m.doc)
        self.owner = owner
        # a number's C type, looked up once (by name, cffi parses a cache key)
        ctype = self.READ.get(m.type)
        self.pointer = None if ctype is None else ffi.typeof(ctype + " *")
        self.real = m.type in (MEMBER["FLOAT"], MEMBER["DOUBLE"])
        self.object = m.type in (MEMBER["OBJECT"], MEMBER["OBJECT_EX"])

    def _ptr(self, obj):
        receiver(obj, self.owner, self.name)
        return ffi.cast("char *", obj._lichen_buf + self.offset)

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        p = self._ptr(obj)
        if self.pointer is not None:
            return ffi.cast(self.pointer, p)[0]
        if self.object:
            return self._object(obj, p)
        t = self.type
        if t == MEMBER["BOOL"]:
            return p[0] != b"\0"
        if t == MEMBER["CHAR"]:
            return ffi.unpack(p, 1).decode("utf-8")
        if t == MEMBER["NONE"]:
            return None
        if t == MEMBER["STRING"]:
            s = ffi.cast("char **", p)[0]
            return None if s == ffi.NULL else ffi.string(s).decode("utf-8")
        if t == MEMBER["STRING_INPLACE"]:
            return ffi.string(p).decode("utf-8")
        raise SystemError("bad memberdescr type for %s" % self.name)

    def _object(self, obj, p):
        h = lib.lichen_field_read(p)
        if h == 0:
            if self.type == MEMBER["OBJECT"]:
                return None
            raise AttributeError("'%s' object has no attribute '%s'" % (type(obj).__name__, self.name))
        if h & 7 == FIELD_KEY:
            return field_object(obj, h >> 3)
        o = get(h)
        close(h)
        return o

    def __set__(self, obj, value):
        p = self._ptr(obj)
        if self.readonly:
            raise AttributeError("readonly attribute")
        if self.real:
            ffi.cast(self.pointer, p)[0] = _as_double(value)
            return
        if self.object:
            lib.lichen_field_write(fresh(obj), p, new_h(value))
            _raise_pending()
            return
        t = self.type
        if t in (MEMBER["STRING"], MEMBER["STRING_INPLACE"]):
            raise TypeError("readonly attribute")
        elif t == MEMBER["BOOL"]:
            if not isinstance(value, bool):
                raise TypeError("attribute value type must be bool")
            p[0] = b"\1" if value else b"\0"
        elif t == MEMBER["CHAR"]:
            if not (isinstance(value, str) and len(value.encode("utf-8")) == 1):
                raise TypeError("bad argument type for built-in operation")
            p[0] = value.encode("utf-8")
        elif t in self.READ:
            _store_int(t, p, value, self.pointer)
        else:
            raise SystemError("bad memberdescr type for %s" % self.name)

    def __delete__(self, obj):
        p = self._ptr(obj)
        t = self.type
        if self.readonly:
            raise AttributeError("readonly attribute")
        if t == MEMBER["OBJECT_EX"] and lib.lichen_field_read(p) == 0:
            raise AttributeError(self.name)
        if self.object:
            lib.lichen_field_write(fresh(obj), p, 0)
            _raise_pending()
        else:
            raise TypeError("can't delete numeric/char attribute")


Member.__name__ = Member.__qualname__ = "member_descriptor"


def _raise_pending():
    exc = take_error()
    if exc is not None:
        raise exc


def _as_double(v):
    if isinstance(v, float):
        return v
    if isinstance(v, int):
        return float(v)
    t = type(v)
    if hasattr(t, "__float__"):
        return float(v)
    if hasattr(t, "__index__"):
        return float(operator.index(v))
    raise TypeError("must be real number, not %s" % t.__name__)


def _warn(message):
    import warnings

    warnings.warn(message, RuntimeWarning)


def _as_long(v):
    n = operator.index(v)
    if not -(1 << 63) <= n < (1 << 63):
        raise OverflowError("Python int too large to convert to C long")
    return n


_SMALL = {
    MEMBER["BYTE"]: "char",
    MEMBER["UBYTE"]: "unsigned char",
    MEMBER["SHORT"]: "short",
    MEMBER["USHORT"]: "unsigned short",
    MEMBER["INT"]: "int",
}


def _store_int(t, p, value, pointer):
    ctype = Member.READ[t]
    if t in _SMALL:
        n = _as_long(value)
        lo, hi = _bounds(ctype)
        ffi.cast(pointer, p)[0] = _wrap(n, lo, hi)
        if not lo <= n <= hi:
            _warn("Truncation of value to %s" % _SMALL[t])
    elif t in (MEMBER["UINT"], MEMBER["ULONG"]):
        # PyLong_AsUnsignedLong, falling back to PyLong_AsLong (then
        # warning of a negative value), as CPython's unsigned members do
        if isinstance(value, int) and 0 <= value < (1 << 64):
            n, fallback = value, False
        else:
            n, fallback = _as_long(value), True
        lo, hi = _bounds(ctype)
        ffi.cast(pointer, p)[0] = _wrap(n, lo, hi)
        if fallback:
            _warn("Writing negative value into unsigned field")
        if t == MEMBER["UINT"] and n & ((1 << 64) - 1) > hi:  # as C's unsigned long compare
            _warn("Truncation of value to unsigned int")
    elif t == MEMBER["LONG"]:
        ffi.cast(pointer, p)[0] = _as_long(value)
    elif t == MEMBER["LONGLONG"]:
        n = operator.index(value)
        if not -(1 << 63) <= n < (1 << 63):
            raise OverflowError("int too big to convert")
        ffi.cast(pointer, p)[0] = n
    elif t == MEMBER["ULONGLONG"]:
        if not isinstance(value, int):
            n = _as_long(value) & ((1 << 64) - 1)
        elif value < 0:
            raise OverflowError("can't convert negative int to unsigned")
        elif value >= (1 << 64):
            raise OverflowError("int too big to convert")
        else:
            n = value
        ffi.cast(pointer, p)[0] = n
    elif t == MEMBER["HPYSSIZET"]:
        if not isinstance(value, int):
            raise TypeError("an integer is required")
        if not -(1 << 63) <= value < (1 << 63):
            raise OverflowError("Python int too large to convert to C ssize_t")
        ffi.cast(pointer, p)[0] = value


class GetSet(object):
    """An ``HPyDef_GETSET``: a property whose getter and setter are the
    extension's. Each is the one instance of a class of its own (``getset``)
    holding its definition as class attributes, which PyPy's JIT reads as
    constants (an instance's attributes it loads and checks at every use)."""

    __slots__ = ()

    def __get__(self, obj, cls=None):
        if obj is None:
            return self
        if not self.readable:
            raise AttributeError("attribute '%s' of '%s' objects is not readable" % (self.name, type(obj).__name__))
        receiver(obj, self.owner, self.name)
        h = lend(obj)
        r = lib.lichen_call_getter(self.ctx, self.getter, h, obj._lichen_buf, class_id(type(obj)), self.closure)
        take_back(h)
        return result(r, self.name)

    def _set(self, obj, h):
        if not self.writable:
            raise AttributeError("attribute '%s' of '%s' objects is not writable" % (self.name, type(obj).__name__))
        receiver(obj, self.owner, self.name)
        s = lend(obj)
        r = lib.lichen_call_setter(self.ctx, self.setter, s, h, obj._lichen_buf, class_id(type(obj)), self.closure)
        take_back(s)
        status(r, self.name)

    def __set__(self, obj, value):
        self._set(obj, new_h(value))

    def __delete__(self, obj):
        self._set(obj, 0)


def getset(g, ctx, owner):
    """The descriptor of ``g`` (a ``struct lichen_getset``)."""
    attrs = {
        "__slots__": (),
        "__doc__": _text(g.doc),
        "name": _text(g.name),
        "ctx": ctx,
        "getter": g.getter,
        "setter": g.setter,
        "closure": g.closure,
        "readable": g.getter != ffi.NULL,
        "writable": g.setter != ffi.NULL,
        "owner": owner,
    }
    return type("getset_descriptor", (GetSet,), attrs)()


GetSet.__name__ = GetSet.__qualname__ = "getset_descriptor"


# --------------------------------------------------------------------------
# slots as special methods


# Each special method is a copy of one of the templates below (or of a
# method's, in calls.py, where the signature is one) with constants of its
# own as globals (see ``calls.specialize``): CTX, IMPL, the entry CALL, OWNER
# (whose ``cls`` is the class, once made), NAME (the special method's), OP (a
# comparison's), and for ``__call__`` the DEFAULT_IMPL and the struct's
# OFFSET.
CTX = IMPL = CALL = OWNER = NAME = OP = DEFAULT_IMPL = OFFSET = None


def _bool(self):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, self._lichen_buf, class_id(type(self)))
    take_back(h)
    return status(r, NAME) != 0


def _len(self):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, self._lichen_buf, class_id(type(self)))
    take_back(h)
    return status(r, NAME)


def _hash(self):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, self._lichen_buf, class_id(type(self)))
    take_back(h)
    if r == -1:
        exc = take_error(NAME)
        if exc is not None:
            raise exc
    return r


def _contains(self, item):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(item), self._lichen_buf, class_id(type(self)))
    take_back(h)
    return status(r, NAME) != 0


def _init(self, *args, **kw):
    receiver(self, OWNER, NAME)
    if kw or len(args) > 4:
        hs = [new_h(a) for a in args]
        r = lib.lichen_call_initproc(CTX, IMPL, fresh(self), self._lichen_buf, class_id(type(self)), hs, len(hs), new_h(kw) if kw else 0)
    else:
        n, a, b, c, d = _four(args)
        r = lib.lichen_call_initproc_few(CTX, IMPL, fresh(self), self._lichen_buf, class_id(type(self)), n, a, b, c, d)
    status(r, NAME)


def _new(cls, *args, **kw):
    if kw or len(args) > 4:
        hs = [new_h(a) for a in args]
        r = lib.lichen_call_newfunc(CTX, IMPL, new_h(cls), class_id(cls), hs, len(hs), new_h(kw) if kw else 0)
    else:
        n, a, b, c, d = _four(args)
        r = lib.lichen_call_newfunc_few(CTX, IMPL, new_h(cls), class_id(cls), n, a, b, c, d)
    return result(r, NAME)


def _special(ns, ctx, impl, c_name, sig, names, owner, qual):
    """Puts the special methods of one slot into the class namespace."""
    S = SIG

    def put(name, template, call=None, **more):
        # (a method's templates name their errors by QUALNAME)
        constants = dict(CTX=ctx, IMPL=impl, CALL=call, OWNER=owner, NAME=name, QUALNAME=name, **more)
        f = specialize(template, constants)
        ns[name] = _decorate(f, name, "%s.%s" % (qual, name), ns.get("__module__"), None)

    if sig in (S["UNARYFUNC"], S["REPRFUNC"], S["GETITERFUNC"], S["ITERNEXTFUNC"]):
        # the same C type; the signature's own entry says which to call_under
        put(names[0], calls._method_noargs, getattr(lib, "lichen_call_" + SIG_NAME[sig].lower()))
    elif sig == S["BINARYFUNC"] and c_name == "mp_subscript":
        put("__getitem__", calls._method_o, lib.lichen_call_binaryfunc)
    elif sig == S["BINARYFUNC"]:
        put(names[0], calls._method_o, lib.lichen_call_binaryfunc)
        if len(names) > 1:
            put(names[1], _reflected, lib.lichen_call_binaryfunc)
    elif sig == S["TERNARYFUNC"]:
        put(names[0], _power, lib.lichen_call_ternaryfunc)
        if len(names) > 1:
            put(names[1], _rpower, lib.lichen_call_ternaryfunc)
    elif sig == S["INQUIRY"]:
        put(names[0], _bool, lib.lichen_call_inquiry)
    elif sig == S["LENFUNC"]:
        put("__len__", _len, lib.lichen_call_lenfunc)
    elif sig == S["HASHFUNC"]:
        put("__hash__", _hash, lib.lichen_call_hashfunc)
    elif sig == S["RICHCMPFUNC"]:
        for op, name in enumerate(names):
            put(name, _compare, lib.lichen_call_richcmpfunc, OP=op)
    elif sig == S["SSIZEARGFUNC"]:
        if c_name == "sq_item":
            put("__getitem__", _item, lib.lichen_call_ssizeargfunc)
        else:  # sq_repeat, sq_inplace_repeat
            for name in names:
                put(name, _repeat, lib.lichen_call_ssizeargfunc)
    elif sig == S["SSIZEOBJARGPROC"]:
        put("__setitem__", _set_item, lib.lichen_call_ssizeobjargproc)
        put("__delitem__", _del_item, lib.lichen_call_ssizeobjargproc)
    elif sig == S["OBJOBJARGPROC"]:
        put("__setitem__", _set_subscript, lib.lichen_call_objobjargproc)
        put("__delitem__", _del_subscript, lib.lichen_call_objobjargproc)
    elif sig == S["OBJOBJPROC"]:
        put("__contains__", _contains, lib.lichen_call_objobjproc)
    elif sig == S["INITPROC"]:
        put("__init__", _init)
    elif sig == S["NEWFUNC"]:
        f = specialize(_new, dict(CTX=ctx, IMPL=impl, NAME="__new__"))
        ns["__new__"] = staticmethod(_decorate(f, "__new__", "%s.__new__" % qual, ns.get("__module__"), None))
    elif sig == S["DESTRUCTOR"]:
        ns["__lichen_finalize__"] = impl
    elif sig in (S["TRAVERSEPROC"], S["DESTROYFUNC"]):
        pass  # run natively when an instance dies
    else:
        raise SystemError("Lichen's PyPy host cannot give the slot %s (signature %d) to a class" % (c_name, sig))


def _reflected(self, other):
    receiver(self, OWNER, NAME)
    return result(CALL(CTX, IMPL, new_h(other), new_h(self), 0, 0), NAME)


def _power(self, other, mod=None):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(other), new_h(mod), self._lichen_buf, class_id(type(self)))
    take_back(h)
    return result(r, NAME)


def _rpower(self, other, mod=None):
    receiver(self, OWNER, NAME)
    r = CALL(CTX, IMPL, new_h(other), new_h(self), new_h(mod), 0, 0)
    return result(r, NAME)


def _compare(self, other):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(other), self._lichen_buf, class_id(type(self)), OP)
    take_back(h)
    return result(r, NAME)


def _index_of(self, i):
    """The index of a sequence slot: ``__index__``, negative ones counted
    from the end as CPython's ``sq_item`` wrappers count them."""
    n = operator.index(i)
    if n < 0 and hasattr(type(self), "__len__"):
        n += len(self)
    return n


def _item(self, i):
    receiver(self, OWNER, NAME)
    index = _index_of(self, i)
    h = lend(self)
    r = CALL(CTX, IMPL, h, self._lichen_buf, class_id(type(self)), index)
    take_back(h)
    return result(r, NAME)


def _repeat(self, n):
    receiver(self, OWNER, NAME)
    if not hasattr(type(n), "__index__"):
        return NotImplemented
    index = operator.index(n)
    h = lend(self)
    r = CALL(CTX, IMPL, h, self._lichen_buf, class_id(type(self)), index)
    take_back(h)
    return result(r, NAME)


def _set_item(self, i, v):
    receiver(self, OWNER, NAME)
    index = _index_of(self, i)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(v), self._lichen_buf, class_id(type(self)), index)
    take_back(h)
    status(r, NAME)


def _del_item(self, i):
    receiver(self, OWNER, NAME)
    index = _index_of(self, i)
    h = lend(self)
    r = CALL(CTX, IMPL, h, 0, self._lichen_buf, class_id(type(self)), index)
    take_back(h)
    status(r, NAME)


def _set_subscript(self, k, v):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(k), new_h(v), self._lichen_buf, class_id(type(self)))
    take_back(h)
    status(r, NAME)


def _del_subscript(self, k):
    receiver(self, OWNER, NAME)
    h = lend(self)
    r = CALL(CTX, IMPL, h, new_h(k), 0, self._lichen_buf, class_id(type(self)))
    take_back(h)
    status(r, NAME)


def _call(self, *args, **kw):
    buf = self._lichen_buf
    impl = NULL if not buf else own_call_function(buf, OFFSET)
    if impl == ffi.NULL:
        impl = DEFAULT_IMPL
    if impl is None:
        raise TypeError("'%s' object is not callable" % type(self).__name__)
    h = lend(self)
    r = _keywords(CTX, impl, h, self._lichen_buf, class_id(type(self)), args, kw)
    take_back(h)
    return result(r, "__call__")


def _call_method(ctx, default_impl, offset):
    """``__call__``: the call function the object holds at ``offset`` of
    its struct (``HPy_SetCallFunction``, or the extension's own at an
    explicit ``__vectorcalloffset__``), else the type's ``HPy_tp_call``."""
    constants = dict(CTX=ctx, DEFAULT_IMPL=default_impl, OFFSET=offset)
    return specialize(_call, constants, "__call__")


def own_call_function(buf, offset):
    """The ``impl`` of the ``HPyCallFunction`` at ``offset`` of a struct."""
    return ffi.cast("void **", buf + offset)[1]


def set_call_function(o, impl):
    """``HPy_SetCallFunction``: stores ``impl`` as ``o``'s call function."""
    offset = getattr(type(o), "__lichen_call_offset__", -1)
    if offset < 0 or not o._lichen_buf:
        raise TypeError("type '%s does not implement the HPy call protocol" % type(o).__name__)
    slot = ffi.cast("void **", o._lichen_buf + offset)
    slot[0] = ffi.NULL
    slot[1] = impl


def _release_buffer(ctx, releasebuffer, owner_h, view):
    """Runs ``HPy_bf_releasebuffer`` (if any) for a view and lets go of the
    view's object."""
    if releasebuffer is not None:
        lib.lichen_call_releasebufferproc(ctx, releasebuffer, owner_h | LENT, 0, 0, view)
        exc = take_error("releasebuffer")
        if exc is not None:
            from lichen._pypy.callbacks import write_unraisable_exception

            write_unraisable_exception(exc, get(owner_h))
    close(owner_h)
    close(view.obj)


def _memoryview(view, keep):
    """A memoryview of what a getbuffer implementation described: the bytes
    at ``view.buf`` (held through ``keep``, a cdata the view's release is
    tied to), cast to its format and shape."""
    mv = memoryview(ffi.buffer(keep, view.len))
    fmt = ffi.string(view.format).decode("ascii") if view.format != ffi.NULL else "B"
    if view.ndim > 1 or fmt != "B":
        shape = [view.shape[i] for i in range(view.ndim)] if view.shape != ffi.NULL else None
        if view.strides != ffi.NULL and shape is not None:
            expected = view.itemsize
            for i in reversed(range(view.ndim)):
                if shape[i] > 1 and view.strides[i] != expected:
                    raise BufferError("Lichen on PyPy exports C-contiguous HPy buffers only")
                expected *= shape[i]
        mv = mv.cast("B").cast(fmt, shape) if shape else mv.cast(fmt)
    return mv.toreadonly() if view.readonly else mv


def _buffer_method(ctx, getbuffer, releasebuffer):
    """``__buffer__`` (PyPy's, and PEP 688's): a memoryview of the struct's
    view. PyPy does not tell an exporter written in Python when such a view
    is released, so ``HPy_bf_releasebuffer`` runs when the view's memory is
    garbage collected."""

    def __buffer__(self, flags):
        view = ffi.new("struct lichen_buffer *")
        owner_h = live_h(self)
        try:
            status(lib.lichen_call_getbufferproc(ctx, getbuffer, owner_h | LENT, self._lichen_buf, class_id(type(self)), view, flags), "__buffer__")
        except BaseException:
            close(owner_h)
            raise
        release = lambda _: _release_buffer(ctx, releasebuffer, owner_h, view)  # noqa: E731
        keep = ffi.gc(ffi.cast("char *", view.buf), release)
        try:
            return _memoryview(view, keep)
        except BaseException:
            ffi.gc(keep, None)  # release now, not when `keep` is collected
            release(keep)
            raise

    return __buffer__


def _finalizer(ctx, finalize, needs_cleanup):
    def __del__(self):
        if finalize is not None:
            lib.lichen_call_destructor(ctx, finalize, fresh(self), self._lichen_buf, class_id(type(self)))
            exc = take_error("__del__")
            if exc is not None:
                from lichen._pypy.callbacks import write_unraisable_exception

                write_unraisable_exception(exc, self)
        buf = self._lichen_buf
        if needs_cleanup and buf:
            self._lichen_buf = 0
            if _chains_may_change:
                _destroy_along(type(self), buf)
            else:
                lib.lichen_destroy_payload(type(self).__lichen_tid__, ffi.cast("void *", buf))

    return __del__


# Set once a transparent class (see make_type) with a destroy function
# exists: `__bases__` assignment could then move it into or out of an MRO,
# and the destroy functions to run follow the MRO as it is at death.
_chains_may_change = False


def _destroy_along(cls, buf):
    tids = [c.__lichen_tid__ for c in cls.__mro__ if getattr(c, "__lichen_self__", None) is c]
    lib.lichen_destroy_along(tids, len(tids), ffi.cast("void *", buf))


# --------------------------------------------------------------------------
# the class


def _bases(d):
    if d.bases_tuple:
        bases = get(d.bases_tuple)
        if not isinstance(bases, tuple):
            raise TypeError("HPyType_SpecParam_BasesTuple must be a tuple")
        return bases
    if d.nbases:
        return tuple(get(d.bases[i]) for i in range(d.nbases))
    return (SHAPE_BASES.get(d.shape, object),)


def _nearest_spec_base(bases):
    for b in bases:
        for c in b.__mro__:
            if "__lichen_tid__" in c.__dict__:
                return c
    return None


def _not_a_base(name):
    def __init_subclass__(cls, **kw):
        raise TypeError("type '%s' is not an acceptable base type" % name)

    return classmethod(__init_subclass__)


def make_type(d):
    full = _text(d.name)
    module, _, short = full.rpartition(".")
    ctx = d.ctx
    bases = _bases(d)
    spec_base = _nearest_spec_base(bases)
    base_size = spec_base.__lichen_size__ if spec_base is not None else 0
    size = max(d.basicsize, base_size)
    owner = TypeRef()
    ns = {
        "__module__": module or "builtins",
        "__qualname__": short,
        "__lichen_tid__": d.type_id,
        "__lichen_size__": size,
        "__lichen_shape__": d.shape,
    }
    if d.doc != ffi.NULL:
        ns["__doc__"] = _text(d.doc)
    call_offset = d.call_offset
    if call_offset == CALL_AFTER_STRUCT:
        call_offset = (size + 7) & ~7
        size = call_offset + 2 * ffi.sizeof("void *")
    ns["__lichen_size__"] = size
    ns["__lichen_pool__"] = []  # structs cut ahead (see _struct)
    if spec_base is None:
        builtin = next((c for b in bases for c in b.__mro__ if c in SHAPE_BASES.values() and c is not object), object)
        ns["__lichen_builtin__"] = builtin
        if not d.has_new:
            ns["__new__"] = _generic_new if builtin is object else _builtin_new
        if builtin is type:
            ns["__init__"] = _type_init
    # The struct's buffer lives in a slot of the first class that has one;
    # classes without a struct answer None (no slot: a slot would make
    # their layout clash with builtin bases in multiple inheritance).
    if size and base_size == 0:
        ns["__slots__"] = ("_lichen_buf", "_lichen_mem", "_lichen_refs")
    elif size > base_size:
        # An instance layout of its own, so that PyPy refuses a __bases__
        # assignment that would hand this class's methods a smaller struct
        # (CPython compares the sizes); an unused slot is the only way.
        ns["__slots__"] = ("_lichen_layout",)
    else:
        ns["__slots__"] = ()
        if spec_base is None:
            ns["_lichen_buf"] = 0
    # A transparent class can join or leave other classes' MROs.
    transparent = ns["__slots__"] == ()
    if d.getbuffer != ffi.NULL:
        release = None if d.releasebuffer == ffi.NULL else d.releasebuffer
        ns["__buffer__"] = _buffer_method(ctx, d.getbuffer, release)
    if call_offset >= 0:
        ns["__lichen_call_offset__"] = call_offset
        default = None if d.call_impl == ffi.NULL else d.call_impl
        ns["__call__"] = _call_method(ctx, default, call_offset)
    if not d.flags & BASETYPE:
        ns["__init_subclass__"] = _not_a_base(short)
    for i in range(d.nmethods):
        m = d.methods[i]
        name = _text(m.name)
        f = calls.method(ctx, m.impl, m.sig, name, owner, "%s.%s" % (short, name))
        ns[name] = _decorate(f, name, "%s.%s" % (short, name), ns["__module__"], _text(m.doc))
    for i in range(d.nmembers):
        m = Member(d.members[i], owner)
        ns[m.name] = m
    for i in range(d.ngetsets):
        g = getset(d.getsets[i], ctx, owner)
        ns[g.name] = g
    slots = [d.slots[i] for i in range(d.nslots)]
    # sq_* first, so that mp_* (which CPython prefers) win
    for s in sorted(slots, key=lambda s: not slot_info(s.slot)[0].startswith("sq_")):
        c_name, sig, names = slot_info(s.slot)
        _special(ns, ctx, s.impl, c_name, sig, names, owner, short)
    if "__eq__" in ns and "__hash__" not in ns:
        ns["__hash__"] = None
    finalize = ns.pop("__lichen_finalize__", None)
    if finalize is not None or d.needs_finalizer:
        ns["__del__"] = _finalizer(ctx, finalize, bool(d.needs_finalizer))
    meta = get(d.metaclass) if d.metaclass else type
    if not isinstance(meta, type) or not issubclass(meta, type):
        raise TypeError("metaclass is not a subclass of type")
    cls = meta(short, bases, ns)
    owner.cls = cls
    # marks the class itself (not its subclasses) as made from a spec
    type.__setattr__(cls, "__lichen_self__", cls)
    ancestors = [c.__lichen_tid__ for c in cls.__mro__ if getattr(c, "__lichen_self__", None) is c]
    base = spec_base.__lichen_tid__ if spec_base is not None else 0
    lib.lichen_type_lineage(d.type_id, base, ancestors, len(ancestors), transparent)
    if transparent and d.needs_finalizer:
        global _chains_may_change
        _chains_may_change = True
    return cls
