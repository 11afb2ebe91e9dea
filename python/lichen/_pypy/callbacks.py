"""The calls Lichen's PyPy host makes into PyPy (``callbacks.def``): what a
context function needs that only the interpreter can do.

Each function here is the ``extern "Python"`` function of the same name
(``lichen_py_<name>``). Arguments that are handles are borrowed; a returned
handle is new. What a callback raises becomes the pending exception (see
``errors.on_callback_error``) and the callback returns the error value of
its C return type.
"""

import builtins
import contextvars
import importlib
import operator
import os
import sys
import warnings

from lichen._lichen_pypy import ffi, lib
from lichen._pypy import build
from lichen._pypy import types as _types
from lichen._pypy.constants import Capsule
from lichen._pypy.errors import on_callback_error, raised_in_python, set_error, take_error
from lichen._pypy.handles import (
    DATA_CAPSULE,
    DATA_PAYLOAD,
    EMPTY,
    FLOAT,
    KINDS_TOLD,
    NO_SPEC_CLASS,
    _grow,
    apply_stores,
    class_id,
    field_object,
    fresh,
    get,
    get_or_none,
    new_h,
    new_h_data,
    new_h_or_null,
    objs,
    read_enum,
    replace_field,
)

SPEC = {cb.name: cb for cb in build.parse_callbacks(ffi.string(lib.lichen_callbacks_def()).decode())}
_defined = set()


# LICHEN_PYPY_COUNT_CALLBACKS=1: every callback counts its calls here, to
# find which context functions of a workload reach the interpreter.
counts = {} if os.environ.get("LICHEN_PYPY_COUNT_CALLBACKS") else None


def _counted(fn):
    name = fn.__name__

    def counted(*args):
        counts[name] = counts.get(name, 0) + 1
        return fn(*args)

    counted.__name__ = name
    return counted


def callback(fn):
    """Makes ``fn`` the ``extern "Python"`` function of its name."""
    cb = SPEC[fn.__name__]
    kwargs = {"name": cb.c_name, "onerror": on_callback_error}
    if cb.error_value() is not None:
        kwargs["error"] = cb.error_value()
    _defined.add(fn.__name__)
    if counts is not None:
        fn = _counted(fn)
    return ffi.def_extern(**kwargs)(fn)


def _names(enum, table):
    """``[function by value]`` of a host enum, from ``{name: function}``."""
    values = read_enum(enum)
    out = [None] * (max(values.values()) + 1)
    for name, v in values.items():
        out[v] = table[name]
    return out


def _text(p):
    return ffi.string(p).decode("utf-8")


def _opt_text(p, default=None):
    return default if p == ffi.NULL else ffi.string(p).decode("utf-8")


# --------------------------------------------------------------------------
# objects

CHECKS = _names(
    "Check",
    {
        "Callable": callable,
        "Tuple": lambda o: isinstance(o, tuple),
        "Dict": lambda o: isinstance(o, dict),
        "List": lambda o: isinstance(o, list),
        "Bytes": lambda o: isinstance(o, bytes),
        "Unicode": lambda o: isinstance(o, str),
        "Number": lambda o: isinstance(o, complex)
        or any(hasattr(type(o), m) for m in ("__index__", "__int__", "__float__")),
    },
)

def _object_bytes(o):
    """CPython's ``PyObject_Bytes``: ``__bytes__``, else the object's buffer
    or its items; never an int's zeroed bytes or a str's encoding."""
    if type(o) is bytes:
        return o
    f = getattr(type(o), "__bytes__", None)
    if f is not None:
        r = f(o)
        if not isinstance(r, bytes):
            raise TypeError("__bytes__ returned non-bytes (type %s)" % type(r).__name__)
        return r
    if isinstance(o, (str, int)):
        raise TypeError("cannot convert '%s' object to bytes" % type(o).__name__)
    return bytes(o)


CONVERSIONS = _names("Conversion", {"Repr": repr, "Str": str, "Ascii": ascii, "Bytes": _object_bytes})
COMPARISONS = [operator.lt, operator.le, operator.eq, operator.ne, operator.gt, operator.ge]


def _is_subtype(sub, ty):
    """CPython's ``PyType_IsSubtype``: by the MRO, not ``__subclasscheck__``."""
    return ty in type.__dict__["__mro__"].__get__(sub)


@callback
def type_of(h):
    return new_h(type(get(h)))


# The answers of every check for the exact built-in types (bit k: CHECKS[k]),
# which native code remembers per handle (see host/object.rs, `check`).
_KINDS = {}
for _sample in ([], (), {}, "", b"", 0, 0.0, False, None, 0j):
    _KINDS[type(_sample)] = sum(1 << k for k, f in enumerate(CHECKS) if f(_sample))
KINDS_TOLD.update((t, k | 0x80) for t, k in _KINDS.items())  # table.rs KINDS_KNOWN
CHECK_ALL = 2
ITEMS_MAX = 16  # table.rs: the longest tuple or list handed over with its items


@callback
def check(h, what, items, learnt):
    """``HPy*_Check``: the answer (bit 0); for an exact built-in type every
    answer (bit 1, then bits 8-15); a short tuple's or list's items too, as
    ``length`` hands them over (their number plus one in bits 16 and up)."""
    o = get(h)
    t = type(o)
    kinds = _KINDS.get(t)
    if kinds is None:
        try:
            return 1 if CHECKS[what](o) else 0
        except (RecursionError, MemoryError):
            raise  # the call fails with it (host/error.rs, keep_pending)
        except Exception:
            return 0
    r = (kinds >> what) & 1 | CHECK_ALL | kinds << 8
    n = _hand_over(o, t, items, ITEMS_MAX, learnt)
    return r | (n + 1) << 16 if n else r


def _hand_over(o, t, items, cap, learnt):
    """Hands the items of ``o`` (of type ``t``) over to native code if it is
    a tuple or list of at most ``cap``: their handles in ``items``, what
    ``_tell`` says of each in ``learnt`` (an exact float: ``FLOAT``, its
    value in the struct's word), and in ``learnt[2 * cap]`` whether ``o``
    is a list (its items go stale). How many it handed."""
    if not (t is tuple or t is list):
        return 0
    n = len(o)
    if not 0 < n <= cap:
        return 0
    # the usual short ones with no loop (see ``_objects``)
    if n == 2:
        _hand_one(o[0], 0, items, learnt)
        _hand_one(o[1], 1, items, learnt)
    elif n == 1:
        _hand_one(o[0], 0, items, learnt)
    elif n == 3:
        _hand_one(o[0], 0, items, learnt)
        _hand_one(o[1], 1, items, learnt)
        _hand_one(o[2], 2, items, learnt)
    elif n == 4:
        _hand_one(o[0], 0, items, learnt)
        _hand_one(o[1], 1, items, learnt)
        _hand_one(o[2], 2, items, learnt)
        _hand_one(o[3], 3, items, learnt)
    else:
        for k in range(n):
            _hand_one(o[k], k, items, learnt)
    learnt[2 * cap] = t is list
    return n


def _hand_one(item, k, items, learnt):
    """Hands over ``item``, item ``k`` (see ``_hand_over``)."""
    if type(item) is float:
        # the value where the struct would go: native code makes the
        # float's slot itself (``lichen_new_float`` without a call into it
        # from this callback)
        items[k] = FLOAT
        ffi.cast("double *", learnt)[2 * k + 1] = item
    elif _tell_at(item, learnt, 2 * k):
        # native code learns its struct and class from ``learnt``: a fresh
        # slot will do, without a call into native code
        items[k] = fresh(item)
    else:
        items[k] = new_h(item)


def _tell(o, learnt):
    """Tells native code the ``class_id`` of ``o``'s class and its struct,
    which it would otherwise ask for when it checks its type or reads it."""
    _tell_at(o, learnt, 0)


def _tell_at(o, learnt, at):
    """Whether ``o`` is an instance of a class made from a spec (exactly),
    whose class id and struct ``learnt`` now holds."""
    cid = class_id(type(o))
    learnt[at] = cid
    if cid != NO_SPEC_CLASS:
        buf = getattr(o, "_lichen_buf", 0)  # its struct's address
        if buf:
            learnt[at + 1] = buf
    return cid > NO_SPEC_CLASS


@callback
def type_check(obj, ty, learnt):
    """``HPy_TypeCheck``, telling native code the classes made from specs
    involved (``class_id``) and the object's struct, so that it answers the
    next checks, and reads the struct, itself."""
    o, t = get(obj), get(ty)
    _tell(o, learnt)
    if isinstance(t, type) and getattr(t, "__lichen_self__", None) is t:
        learnt[2] = t.__lichen_tid__
    return 1 if _is_subtype(type(o), t) else 0


@callback
def same_object(a, b):
    return 1 if get(a) is get(b) else 0


@callback
def is_true(h):
    return 1 if get(h) else 0


@callback
def convert(h, conversion):
    return new_h(CONVERSIONS[conversion](get(h)))


@callback
def rich_compare(v, w, op):
    return new_h(COMPARISONS[op](get(v), get(w)))


@callback
def rich_compare_bool(v, w, op):
    a, b = get(v), get(w)
    if a is b and op in (2, 3):
        return 1 if op == 2 else 0
    return 1 if COMPARISONS[op](a, b) else 0


@callback
def hash(h):
    return builtins.hash(get(h))


@callback
def length(h, items, cap, learnt):
    """``HPy_Length``; a short tuple's or list's items come along (handles,
    and what ``_tell`` says of each), so that native code reads them itself
    (a list's until the extension lock is next let go: ``learnt[2 * cap]``
    says it is one)."""
    o = get(h)
    t = type(o)
    if t not in _KINDS:  # pure only for the built-in types
        lib.lichen_lists_may_change()
    n = len(o)
    _hand_over(o, t, items, cap, learnt)
    return n


@callback
def str_from_utf8(s):
    return new_h(_text(s))


@callback
def get_attr(obj, name):
    return new_h(getattr(get(obj), get(name)))


@callback
def set_attr(obj, name, value):
    if value == 0:
        delattr(get(obj), get(name))
    else:
        setattr(get(obj), get(name), get(value))
    return 0


@callback
def get_item(obj, key, learnt):
    o, k = get(obj), get(key)
    t = type(o)
    if not ((t is list or t is tuple) and type(k) is int):  # else pure
        lib.lichen_lists_may_change()
    item = o[k]
    _tell(item, learnt)
    return new_h(item)


@callback
def set_item(obj, key, value):
    get(obj)[get(key)] = get(value)
    return 0


@callback
def del_item(obj, key):
    del get(obj)[get(key)]
    return 0


@callback
def contains(container, key):
    return 1 if get(key) in get(container) else 0


@callback
def call_tuple_dict(callable_, args, kw):
    a = get(args) if args else ()
    k = get(kw) if kw else {}
    return new_h(get(callable_)(*a, **k))


def _vector(args, nargs, kwnames):
    positional = _objects(args, nargs)
    if not kwnames:
        return positional, {}
    names = get(kwnames)
    return positional, {n: get(args[nargs + i]) for i, n in enumerate(names)}


@callback
def vectorcall(callable_, args, nargs, kwnames):
    positional, kw = _vector(args, nargs, kwnames)
    return new_h(get(callable_)(*positional, **kw))


@callback
def vectorcall_method(name, args, nargs, kwnames):
    positional, kw = _vector(args, nargs, kwnames)
    method = getattr(positional[0], get(name))
    return new_h(method(*positional[1:], **kw))


@callback
def dump(h):
    o = get(h)
    t = type(o)
    lines = [
        "object address  : 0x%x" % id(o),
        "object refcount : %d" % 1,
        "object type     : 0x%x" % id(t),
        "object type name: %s" % t.__name__,
    ]
    try:
        lines.append("object repr     : %s" % repr(o))
    except Exception as e:
        lines.append("object repr     : <%s raised in repr()>" % type(e).__name__)
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()


@callback
def import_module(name):
    return new_h(importlib.import_module(get(name)))


SOURCE_KINDS = {v: k for k, v in read_enum("SourceKind").items()}
_COMPILE_MODES = {"Expr": "eval", "File": "exec", "Single": "single"}


@callback
def compile(source, filename, kind):
    mode = _COMPILE_MODES[SOURCE_KINDS[kind]]
    return new_h(builtins.compile(ffi.string(source), _text(filename), mode, dont_inherit=True))


@callback
def eval_code(code, globals_, locals_):
    g = get(globals_)
    if not isinstance(g, dict):
        raise TypeError("globals must be a dict")
    return new_h(eval(get(code), g, get(locals_) if locals_ else g))


@callback
def context_var_new(name, dflt):
    n = _text(name)
    var = contextvars.ContextVar(n) if dflt == 0 else contextvars.ContextVar(n, default=get(dflt))
    return new_h(var)


@callback
def context_var_get(var, dflt, result):
    v = _context_var(get(var))
    try:
        value = v.get() if dflt == 0 else v.get(get(dflt))
    except LookupError:
        result[0] = 0
        return 0
    result[0] = new_h(value)
    return 0


@callback
def context_var_set(var, value):
    return new_h(_context_var(get(var)).set(get(value)))


def _context_var(v):
    if not isinstance(v, contextvars.ContextVar):
        raise TypeError("an instance of ContextVar was expected")
    return v


@callback
def capsule_new(data):
    c = Capsule(data)
    return new_h_data(c, data, DATA_CAPSULE)


SSIZE_MAX = sys.maxsize
SSIZE_MIN = -sys.maxsize - 1


def _slice_index(v):
    i = operator.index(v)
    return max(SSIZE_MIN, min(SSIZE_MAX, i))


@callback
def slice_unpack(h, bounds):
    s = get(h)
    if not isinstance(s, slice):
        raise TypeError("expected a slice object, got %s" % type(s).__name__)
    step = 1 if s.step is None else _slice_index(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    step = max(step, -SSIZE_MAX)
    if s.start is None:
        start = SSIZE_MAX if step < 0 else 0
    else:
        start = _slice_index(s.start)
    if s.stop is None:
        stop = SSIZE_MIN if step < 0 else SSIZE_MAX
    else:
        stop = _slice_index(s.stop)
    bounds[0], bounds[1], bounds[2] = start, stop, step
    return 0


@callback
def native_data(h, kind, class_out):
    o = get(h)
    if kind == DATA_PAYLOAD:
        buf = getattr(o, "_lichen_buf", 0)  # its struct's address
        if not buf:
            return ffi.NULL
        class_out[0] = class_id(type(o))
        return ffi.cast("void *", buf)
    if kind == DATA_CAPSULE and isinstance(o, Capsule) and o._lichen_data is not None:
        return o._lichen_data
    return ffi.NULL


@callback
def field_store(owner_h, key, value_h, old_key, loaded, nloaded):
    """``HPyField_Store``: the owner holds the object under the field's new
    key (see ``store_field`` in ``crates/lichen-pypy/src/host/object.rs``),
    and lets go of the one under its old key, once the slots of handles
    loaded from the field hold it."""
    apply_stores()  # the older ones first
    owner = get(owner_h)
    if nloaded:
        old = field_object(owner, old_key)
        for k in range(nloaded):
            i = loaded[k]
            if i >= len(objs):
                _grow(i)
            if objs[i] is EMPTY:
                objs[i] = old
    replace_field(owner, key, get(value_h) if key else None, old_key)
    return 0


# --------------------------------------------------------------------------
# numbers

SIGNED = read_enum("Signed")
UNSIGNED = read_enum("Unsigned")
U64 = 2**64 - 1
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


def _index(o):
    """``PyNumber_Index`` as the C-API integer conversions use it. Up to
    Python 3.9 they also took ``__int__`` (deprecated), as HPy's tests
    expect of a 3.9 VM; never for floats, whose implicit truncation was the
    point of the deprecation (3.10 refuses them, and so does PyPy wherever
    Python code asks for an integer)."""
    try:
        return operator.index(o)
    except TypeError:
        if sys.version_info >= (3, 10) or isinstance(o, float) or not hasattr(type(o), "__int__"):
            raise
    warnings.warn("an integer is required (got type %s)" % type(o).__name__, DeprecationWarning, stacklevel=2)
    return int(o)


def _require_int(o):
    if not isinstance(o, int):
        raise TypeError("an integer is required")
    return o


@callback
def long_from_i64(v):
    return new_h(int(v))


@callback
def long_from_u64(v):
    return new_h(int(v))


@callback
def long_as_i64(h, how):
    o = get(h)
    if how == SIGNED["Long"]:
        v = _index(o)
        if not I64_MIN <= v <= I64_MAX:
            raise OverflowError("Python int too large to convert to C long")
        return v
    if how == SIGNED["Ssize"]:
        v = _require_int(o)
        if not I64_MIN <= v <= I64_MAX:
            raise OverflowError("Python int too large to convert to C ssize_t")
        return v
    # PyLong_AsVoidPtr: an int, unsigned, or signed when negative
    v = _require_int(o)
    if v < 0:
        if v < I64_MIN:
            raise OverflowError("Python int too large to convert to C long")
        return v
    if v > U64:
        raise OverflowError("Python int too large to convert to C unsigned long")
    return v - (1 << 64) if v > I64_MAX else v


@callback
def long_as_u64(h, how):
    o = get(h)
    if how == UNSIGNED["Mask"]:
        return _index(o) & U64
    v = _require_int(o)
    if how == UNSIGNED["Size"]:
        if v < 0:
            raise OverflowError("can't convert negative value to size_t")
        if v > U64:
            raise OverflowError("Python int too large to convert to C size_t")
        return v
    if v < 0:
        raise OverflowError("can't convert negative int to unsigned")
    if v > U64:
        raise OverflowError("int too big to convert")
    return v


@callback
def long_as_f64(h):
    return float(_require_int(get(h)))


@callback
def float_as_f64(h):
    o = get(h)
    if isinstance(o, float):
        return o
    t = type(o)
    if hasattr(t, "__float__"):
        r = t.__float__(o)
        if not isinstance(r, float):
            raise TypeError("%s.__float__ returned non-float (type %s)" % (t.__name__, type(r).__name__))
        return r
    if hasattr(t, "__index__"):
        return float(operator.index(o))
    raise TypeError("must be real number, not %s" % t.__name__)


BINARY = _names(
    "BinaryOp",
    {
        "Add": operator.add,
        "Subtract": operator.sub,
        "Multiply": operator.mul,
        "MatrixMultiply": operator.matmul,
        "FloorDivide": operator.floordiv,
        "TrueDivide": operator.truediv,
        "Remainder": operator.mod,
        "Divmod": divmod,
        "Lshift": operator.lshift,
        "Rshift": operator.rshift,
        "And": operator.and_,
        "Xor": operator.xor,
        "Or": operator.or_,
        "InPlaceAdd": operator.iadd,
        "InPlaceSubtract": operator.isub,
        "InPlaceMultiply": operator.imul,
        "InPlaceMatrixMultiply": operator.imatmul,
        "InPlaceFloorDivide": operator.ifloordiv,
        "InPlaceTrueDivide": operator.itruediv,
        "InPlaceRemainder": operator.imod,
        "InPlaceLshift": operator.ilshift,
        "InPlaceRshift": operator.irshift,
        "InPlaceAnd": operator.iand,
        "InPlaceXor": operator.ixor,
        "InPlaceOr": operator.ior,
    },
)

UNARY = _names(
    "UnaryOp",
    {
        "Negative": operator.neg,
        "Positive": operator.pos,
        "Absolute": abs,
        "Invert": operator.invert,
        "Index": operator.index,
        "Long": int,
        "Float": float,
    },
)


@callback
def binary_op(op, a, b):
    return new_h(BINARY[op](get(a), get(b)))


@callback
def unary_op(op, a):
    return new_h(UNARY[op](get(a)))


@callback
def power(a, b, c, in_place):
    x, y, z = get(a), get(b), get(c)
    if in_place:
        # PyNumber_InPlacePower: __ipow__ takes no modulus (it is ignored)
        ipow = getattr(type(x), "__ipow__", None)
        if ipow is not None:
            r = ipow(x, y)
            if r is not NotImplemented:
                return new_h(r)
    return new_h(pow(x, y) if z is None else pow(x, y, z))


# --------------------------------------------------------------------------
# text


def _expect(o, t, what):
    if not isinstance(o, t):
        raise TypeError("expected %s, %s found" % (what, type(o).__name__))
    return o


@callback
def bytes_size(h):
    return len(_expect(get(h), bytes, "bytes"))


@callback
def bytes_data(h):
    b = _expect(get(h), bytes, "bytes")
    return lib.lichen_attach_bytes(h, b, len(b), 0)


@callback
def bytes_from_buffer(data, size):
    return new_h(ffi.unpack(data, size))


CODECS = read_enum("Codec")
_CODEC_NAMES = {CODECS["Ascii"]: "ascii", CODECS["Latin1"]: "latin-1", CODECS["Utf8"]: "utf-8"}


def _need_str(o):
    if not isinstance(o, str):
        raise TypeError("bad argument type for built-in operation")
    return o


@callback
def unicode_encode(h, codec):
    o = _need_str(get(h))
    if codec == CODECS["FsDefault"]:
        return new_h(os.fsencode(o))
    return new_h(o.encode(_CODEC_NAMES[codec], "strict"))


@callback
def unicode_decode(data, size, codec, errors):
    raw = ffi.unpack(data, size)
    if codec == CODECS["FsDefault"]:
        return new_h(os.fsdecode(raw))
    return new_h(raw.decode(_CODEC_NAMES[codec], _opt_text(errors, "strict")))


@callback
def unicode_as_utf8(h, size):
    u = _need_str(get(h)).encode("utf-8")
    size[0] = len(u)
    return lib.lichen_attach_bytes(h, u, len(u), 1)


@callback
def unicode_from_wide(w, size):
    if size < 0:
        size = 0
        while w[size] != 0:
            size += 1
    return new_h("".join(map(chr, ffi.unpack(w, size))))


@callback
def unicode_read_char(h, index):
    s = _need_str(get(h))
    if index < 0 or index >= len(s):
        raise IndexError("string index out of range")
    return ord(s[index])


@callback
def unicode_from_encoded(obj, encoding, errors):
    o = get(obj)
    if isinstance(o, str):
        raise TypeError("decoding str is not supported")
    return new_h(str(o, _opt_text(encoding, "utf-8"), _opt_text(errors, "strict")))


@callback
def unicode_substring(h, start, end):
    return new_h(_need_str(get(h))[start:end])


# --------------------------------------------------------------------------
# containers

SEQUENCES = read_enum("Sequence")
LIST = SEQUENCES["List"]


@callback
def list_new(n):
    return new_h([None] * n)


@callback
def list_append(lst, item):
    target = get(lst)
    if not isinstance(target, list):
        raise SystemError("bad argument to internal function")
    target.append(get(item))
    return 0


def _objects(hs, n):
    """The objects of the ``n`` handles at ``hs``, as a tuple. Short ones
    are read with no loop: a loop in a callback is a JIT loop of its own,
    and entering it took longer than the rest of making a pair (PyPy
    7.3.11: a 2-tuple built by HPy_BuildValue, 218 ns with the loop, 130
    without)."""
    if n == 2:
        return (get(hs[0]), get(hs[1]))
    if n == 1:
        return (get(hs[0]),)
    if n == 3:
        return (get(hs[0]), get(hs[1]), get(hs[2]))
    if n == 4:
        return (get(hs[0]), get(hs[1]), get(hs[2]), get(hs[3]))
    if n == 0:
        return ()
    return tuple([get(hs[i]) for i in range(n)])


@callback
def sequence_from_array(kind, items, n):
    values = _objects(items, n)
    return new_h(list(values) if kind == LIST else values)


@callback
def dict_new():
    return new_h({})


@callback
def dict_keys(d):
    return new_h(list(dict.keys(get(d))))


@callback
def dict_copy(d):
    return new_h(dict.copy(get(d)))


# --------------------------------------------------------------------------
# errors


@callback
def err_from_errno(ty, errno_value, filename, filename1, filename2):
    cls = get(ty)
    # CPython's PyErr_SetFromErrno: errno 0 gives the message "Error"
    args = [errno_value, os.strerror(errno_value) if errno_value else "Error"]
    if filename != ffi.NULL:
        args.append(os.fsdecode(ffi.string(filename)))
    elif filename1 or filename2:
        args += [get_or_none(filename1), None, get_or_none(filename2)]
    raise cls(*args)


def _given_matches(given, exc):
    if isinstance(exc, tuple):
        return any(_given_matches(given, e) for e in exc)
    if isinstance(given, type) and isinstance(exc, type) and issubclass(given, BaseException) and issubclass(exc, BaseException):
        return issubclass(given, exc)
    return given is exc


@callback
def exception_matches(given, exc):
    # 0: the exception a callback raised, which Python keeps
    g = get(given) if given else raised_in_python()
    if not isinstance(g, type):
        g = type(g)
    return 1 if _given_matches(g, get(exc)) else 0


@callback
def new_exception(name, doc, base, dict_):
    full = _text(name)
    module, dot, short = full.rpartition(".")
    if not dot:
        raise SystemError("PyErr_NewException: name must be module.class")
    ns = dict(get(dict_)) if dict_ else {}
    ns.setdefault("__module__", module)
    if doc != ffi.NULL:
        ns["__doc__"] = _text(doc)
    b = get(base) if base else Exception
    bases = b if isinstance(b, tuple) else (b,)
    return new_h(type(short, bases, ns))


@callback
def warn(category, message, stack_level):
    cat = get(category) if category else RuntimeWarning
    warnings.warn(_text(message), cat, stacklevel=max(stack_level, 1) + 2)
    return 0


@callback
def write_unraisable(obj):
    exc = take_error()
    if exc is None:
        return
    write_unraisable_exception(exc, get_or_none(obj))


class _UnraisableHookArgs(object):
    def __init__(self, exc, obj):
        self.exc_type = type(exc)
        self.exc_value = exc
        self.exc_traceback = exc.__traceback__
        self.err_msg = "Exception ignored in"
        self.object = obj


def write_unraisable_exception(exc, obj):
    """Reports ``exc`` as CPython's ``PyErr_WriteUnraisable`` does: through
    ``sys.unraisablehook``, never raising."""
    try:
        sys.unraisablehook(_UnraisableHookArgs(exc, obj))
    except BaseException:
        try:
            sys.stderr.write("Exception ignored in: %r\n%s: %s\n" % (obj, type(exc).__name__, exc))
        except BaseException:
            pass


@callback
def note_error(note):
    exc = take_error()
    if exc is None:
        return
    text = _text(note)
    notes = getattr(exc, "__notes__", None)
    if notes is None:
        try:
            exc.__notes__ = notes = []
        except Exception:
            notes = None
    if notes is not None and text not in notes:
        notes.append(text)
    set_error(exc)


# --------------------------------------------------------------------------
# types


@callback
def type_from_def(d):
    from lichen._pypy import types

    return new_h(types.make_type(d))


@callback
def new_instance(ty, learnt):
    o = _types.new_instance(get(ty))
    _tell(o, learnt)
    return new_h(o)


@callback
def new_instances(ty, n, out):
    """``n`` new instances of the class made from a spec ``ty`` names, for
    native code to keep and hand out at ``HPy_New``: a fresh handle and the
    struct of each."""
    cls = get(ty)
    _types.new_instance_check(cls)  # once for the batch
    alloc, sized = _types.alloc, bool(cls.__lichen_size__)
    for k in range(n):
        o = alloc(cls)
        out[2 * k] = fresh(o)
        out[2 * k + 1] = o._lichen_buf if sized else 0
    return n


SHAPES = read_enum("Shape")


def _as_type(o, message):
    if not isinstance(o, type):
        raise TypeError(message)
    return o


@callback
def type_builtin_shape(ty):
    cls = _as_type(get(ty), "arg must be a type")
    return getattr(cls, "__lichen_shape__", SHAPES["Legacy"])


@callback
def type_name(ty):
    cls = _as_type(get(ty), "HPyType_GetName arg must be a type")
    return lib.lichen_keep_cstring(cls.__name__.encode("utf-8"))


@callback
def type_is_subtype(sub, ty):
    return 1 if _is_subtype(get(sub), get(ty)) else 0


@callback
def set_call_function(h, impl):
    from lichen._pypy import types

    types.set_call_function(get(h), impl)
    return 0


_missing = set(SPEC) - _defined
if _missing:
    raise SystemError("Lichen's PyPy host: callbacks without a Python side: %s" % sorted(_missing))
