"""Handles on PyPy: the Python half of the object table.

A handle's bits (see ``crates/lichen-pypy/src/table.rs``): ``..000`` a slot
of ``objs`` (index = bits >> 3), ``..001`` a small int held in the handle,
``..010`` a fresh slot Python filled from its reserve, ``..100`` a slot lent
for one call (the entry does not close it), ``..110`` a receiver's slot
that the entry gives back (``lend``). Slots 1..N are the context's
constants. Native code counts references and frees slots; the entry of a
freed slot keeps its old object (*stale*) until the slot is used again or
swept (``sweep``). Making a handle for an object costs no call into native
code: the slot comes from a reserve refilled in batches.

Floats made natively have an empty entry until Python first sees them.
"""

import builtins
import threading
import weakref

from lichen._lichen_pypy import ffi, lib


def read_enum(name):
    """``{name: value}`` of an enum Lichen shares with Python."""
    text = lib.lichen_enum(name.encode())
    if text == ffi.NULL:
        raise SystemError("Lichen's PyPy host has no enum %r" % name)
    pairs = (item.split("=") for item in ffi.string(text).decode().split())
    return {k: int(v) for k, v in pairs}


class _Empty(object):
    """The entry of a slot that holds nothing (free, or a float not yet
    made into an object)."""

    __slots__ = ()

    def __repr__(self):
        return "<empty slot>"


EMPTY = _Empty()


IMM_MIN = -(1 << 60)
IMM_MAX = (1 << 60) - 1
FRESH = 2
LENT = 4
HELD = LENT  # a result's hold, which Python closes (table.rs TAG_HELD)

objs = [EMPTY] * 4096


def _constant_object(name):
    if name == "Builtins":
        return builtins.__dict__
    if name in ("None", "True", "False", "NotImplemented", "Ellipsis"):
        return getattr(builtins, name)
    from lichen._pypy import constants

    return constants.lookup(name)


CONSTANT_NAMES = [ffi.string(lib.lichen_handle_name(i)).decode() for i in range(lib.lichen_handle_count())]
CONSTANTS = {}  # name -> handle
for _i, _name in enumerate(CONSTANT_NAMES):
    objs[_i + 1] = _constant_object(_name)
    CONSTANTS[_name] = (_i + 1) << 3

H_NONE = CONSTANTS["None"]
H_TRUE = CONSTANTS["True"]
H_FALSE = CONSTANTS["False"]
H_NOTIMPLEMENTED = CONSTANTS["NotImplemented"]
H_ELLIPSIS = CONSTANTS["Ellipsis"]
# Types are handed out as their constant when they are one, so that native
# code can answer `HPy_Is(ctx, HPy_Type(ctx, x), ctx->h_LongType)`.
_TYPE_CONSTANTS = {id(objs[_i + 1]): (_i + 1) << 3 for _i, _n in enumerate(CONSTANT_NAMES) if _n.endswith("Type")}

DATA = read_enum("DataKind")
DATA_PAYLOAD = DATA["Payload"]
DATA_CAPSULE = DATA["Capsule"]
DATA_NONE = DATA["None"]


def _grow(index):
    objs.extend([EMPTY] * (index + 1 - len(objs) + len(objs) // 2))


_reserve = []
RESERVE_BATCH = 256


# Buffers for refills, reused: a cffi buffer costs microseconds to make on
# PyPy, more than the rest of a refill. A refill takes one from the pool
# (another thread may be using another) and puts it back.
_buffers = []


def _refill():
    try:
        out = _buffers.pop()
    except IndexError:
        out = ffi.new("intptr_t[]", RESERVE_BATCH)
    n = lib.lichen_reserve(out, RESERVE_BATCH)
    got = ffi.unpack(out, n)
    _buffers.append(out)
    size = lib.lichen_table_size()
    if size > len(objs):
        _grow(size - 1)
    _reserve.extend(got)


# Results' slots join the reserve (see ``calls.result``); above this many,
# the reserve gives slots back to native code (``_trim_reserve``).
RESERVE_MAX = 4 * RESERVE_BATCH


def _empty_reserve_above(keep):
    """Takes the reserve's slots above ``keep`` out, their entries emptied
    (each taken out before it is cleared, so that no other thread fills
    it meanwhile); their numbers."""
    taken = []
    while len(_reserve) > keep:
        try:
            i = _reserve.pop()
        except IndexError:
            break
        objs[i] = EMPTY
        taken.append(i)
    return taken


def _trim_reserve():
    """Gives native code back the reserve's slots above ``RESERVE_BATCH``:
    without this the reserve, and the table, would grow with every result
    made natively (a float, a loaded field)."""
    out = _empty_reserve_above(RESERVE_BATCH)
    if out:
        lib.lichen_unreserve(out, len(out))


def _take_slot():
    # pop() is one atomic step under the GIL: another thread may have
    # emptied the reserve since any check, so try, refill, try again.
    while True:
        try:
            return _reserve.pop()
        except IndexError:
            _refill()


def _clear_reserve():
    """Clears the entries of the reserve's slots (a sweep: their old
    objects go), keeping the slots."""
    cleared = _empty_reserve_above(0)
    if cleared:
        lib.lichen_reserve_emptied(cleared, len(cleared))
    _reserve.extend(cleared)


def fresh(o):
    """A fresh handle for ``o``, an instance of a class made from a spec: a
    slot from the reserve, filled, which the native code it is passed to
    makes live."""
    i = _take_slot()
    objs[i] = o
    if i < BACK_CAP:
        _kinds_told[i] = 0
    return (i << 3) | FRESH


RECEIVER = FRESH | LENT
BACK_CAP = lib.lichen_back_cap()
_back = lib.lichen_back_flags()
# What a slot passed fresh holds (table.rs KINDS): every fill of a slot
# below BACK_CAP writes its byte, the answers of every kind check with bit 7
# for an exact built-in type (``callbacks`` fills KINDS_TOLD), else 0.
_kinds_told = lib.lichen_kinds_told()
KINDS_TOLD = {}
GAVE_BACK = 1  # table.rs GAVE_BACK; RECEIVER_KEPT (2): see take_back
# A float that crosses as a value (table.rs TAG_FLOAT): a float result's
# tag, its value read here by slot; an item handed over as a value.
FLOAT = 3
_float_values = lib.lichen_float_values()


def lend(o):
    """A handle for a call's receiver ``o``: a fresh slot that the entry
    gives back after the call unless the extension kept it; the caller then
    takes it back (``take_back``), so that one slot, warm in the caches,
    serves call after call."""
    i = _take_slot()
    objs[i] = o
    if i < BACK_CAP:
        return (i << 3) | RECEIVER
    return (i << 3) | FRESH


def take_back(h):
    """Puts the slot of a receiver handle (``lend``) back in the reserve if
    the entry gave it back; tells native code once read that the extension
    kept it. Until then that slot waits (freed, it goes to no one), so no
    other thread lends it and writes its byte: only this code reads it."""
    if h & 7 == RECEIVER:
        i = h >> 3
        b = _back[i]
        if b:
            _back[i] = 0
            if b == GAVE_BACK:
                _reserve.append(i)
            else:
                lib.lichen_lender_done(i)


def new_h(o):
    """A new handle for ``o``, owned by whoever receives it."""
    t = type(o)
    if t is int:
        if IMM_MIN <= o <= IMM_MAX:
            return (o << 3) | 1
    elif o is None:
        return H_NONE
    elif t is bool:
        return H_TRUE if o else H_FALSE
    elif o is NotImplemented:
        return H_NOTIMPLEMENTED
    elif o is Ellipsis:
        return H_ELLIPSIS
    elif t is float:
        # native at once: HPyFloat_AsDouble then calls no one
        return lib.lichen_new_float(o)
    elif t is type:
        h = _TYPE_CONSTANTS.get(id(o), 0)
        if h:
            return h
    else:
        exact = getattr(t, "__lichen_self__", None)
        if exact is not None:
            return _instance_h(o, t, exact)
    i = _take_slot()
    objs[i] = o
    if i < BACK_CAP:
        _kinds_told[i] = KINDS_TOLD.get(t, 0)
    return (i << 3) | FRESH


def _instance_h(o, t, exact):
    """A new handle for an instance of a class made from a spec, its struct
    and class known natively (type checks and ``HPy_AsStruct`` on it then
    call no one)."""
    buf = o._lichen_buf  # its struct's address (0: none)
    kind = DATA_PAYLOAD if buf else DATA_NONE
    return new_h_data(o, ffi.cast("void *", buf), kind, t.__lichen_tid__ if exact is t else 0)


def live_h(o):
    """A live handle for ``o``, for a holder in Python (a module's functions,
    a buffer view) that lends it to calls (``| LENT``) and closes it."""
    i = lib.lichen_new_slot()
    if i >= len(objs):
        _grow(i)
    objs[i] = o
    return i << 3


NO_SPEC_CLASS = 1  # table.rs


def class_id(c):
    """The type id of class ``c`` if it was made from a spec; 1 if no class
    of its MRO was; else 0 (subclasses of those made in Python: only the
    exact class counts)."""
    exact = getattr(c, "__lichen_self__", None)
    if exact is c:
        return c.__lichen_tid__
    return NO_SPEC_CLASS if exact is None else 0


def new_h_data(o, data, kind, cid=0):
    """A new handle for ``o`` whose native storage (a ``DataKind``) is known
    (and the ``class_id`` of its class)."""
    i = lib.lichen_new_slot_data(data, kind, cid)
    if i >= len(objs):
        _grow(i)
    objs[i] = o
    return i << 3


def new_h_or_null(o):
    return 0 if o is None else new_h(o)


def get(h):
    """The object of a handle (borrowed: the handle stays open)."""
    tag = h & 7
    if tag != 1:
        i = h >> 3
        if i >= len(objs):  # a float native code made in a slot added since
            return _materialize(h)
        o = objs[i]
        if o is EMPTY:
            return _materialize(h)
        return o
    if tag == 1:
        return h >> 3
    raise SystemError("invalid HPy handle: 0x%x" % h)


def get_or_none(h):
    """Like get, with None for HPy_NULL."""
    return None if h == 0 else get(h)


ITEM_KEY = 1 << 62  # table.rs


def _materialize(h):
    """The object of a slot native code filled: a float, a loaded field's
    object, which its owner holds under a key, or an item of a loaded
    tuple, which the slot of that tuple holds."""
    if h == 0:
        raise SystemError("HPy_NULL where an object was expected")
    i = h >> 3
    if i >= len(objs):
        _grow(i)
    key = lib.lichen_loaded_key(h & ~7)
    if key & ITEM_KEY:
        tup = _owner_object(h)  # held for as long as the item's slot
        if tup is None:
            raise SystemError("HPy_NULL where an object was expected")
        v = tup[key & ~ITEM_KEY]
    elif key:
        v = _loaded_object(i, h, key)
    else:
        # a float; or a loaded field's slot that another thread's store
        # gave its object (and made an ordinary slot) since ``get`` looked
        v = objs[i]
        if v is EMPTY:
            v = lib.lichen_take_float(h & ~7)
    objs[i] = v
    return v


def _owner_object(h):
    """The object of the owner the loaded slot of ``h`` holds (None: none,
    or no longer), looked up through a hold of our own: another thread may
    let go of the slot's hold meanwhile."""
    owner = lib.lichen_loaded_owner(h & ~7)
    if not owner:
        return None
    try:
        return get(owner)
    finally:
        close(owner)


def _loaded_object(i, h, key):
    """The object of loaded field slot ``i`` (handle ``h``, field key
    ``key``). Another thread may be replacing the field's object meanwhile
    (the lock is free between these calls): it gives the slot its object
    (``objs[i]``) before the owner lets go of the key and the slot of its
    owner, so when the owner or the key is gone, the entry has it."""
    owner = _owner_object(h)
    v = _MISSING if owner is None else field_object(owner, key, missing=True)
    if v is _MISSING:
        v = objs[i]
        if v is EMPTY:
            raise SystemError("Lichen: no object under field key %d" % key)
    return v


# --------------------------------------------------------------------------
# fields (see crates/lichen-pypy/src/stores.rs)

_stores_waiting = lib.lichen_stores_hint()
_store_batch = ffi.new("struct lichen_store **")
# One application at a time, in the order of the stores; the same thread
# may start another in the middle of one (a finalizer's call), which then
# finds nothing to apply.
_applying = threading.RLock()
# Keys taken out before the store that put them in was applied (a store
# made at once while older ones were still being applied): that store,
# when its turn comes, puts nothing in.
_gone_keys = set()
_MISSING = object()
# An owner holds its fields' objects in a list, key after key with each
# object after its key (making one costs PyPy about a third of a dict with
# the same two entries, and most owners have a few fields), or in a dict
# once it holds more than this many entries (keys and objects).
_REFS_LIST_MAX = 16


def _held(refs, key):
    """The object ``refs`` (see ``_REFS_LIST_MAX``; None: nothing) holds
    under ``key``."""
    if refs is None:
        return _MISSING
    if type(refs) is dict:
        return refs.get(key, _MISSING)
    for i in range(0, len(refs), 2):
        if refs[i] == key:
            return refs[i + 1]
    return _MISSING


def fields_of(o):
    """The objects the ``HPyField``s of ``o`` hold (what its type's
    ``tp_traverse`` visits), or None when ``o`` is no instance of a class
    made from a spec with a struct. Reads no attribute through ``o``'s own
    lookup (which Python code may define)."""
    slot = None
    for c in type(o).__mro__:
        slot = c.__dict__.get("_lichen_refs")
        if slot is not None:
            break
    if slot is None or type(slot).__name__ != "member_descriptor":
        return None
    if _stores_waiting[0]:
        apply_stores()
    try:
        refs = slot.__get__(o, type(o))
    except AttributeError:  # made by object.__new__ alone
        return None
    if refs is None:
        return []
    if type(refs) is dict:
        return list(refs.values())
    return refs[1::2]


def field_object(owner, key, missing=False):
    """The object ``owner`` holds under the field key ``key``, or that a
    store not yet applied put there (none: ``_MISSING`` if ``missing``,
    else SystemError)."""
    v = _held(owner._lichen_refs, key)
    if v is not _MISSING:
        return v
    h = lib.lichen_store_value(key)
    if h == 0:
        # another thread may have applied the store between the two looks
        # (it puts the object in before it drops the record)
        v = _held(owner._lichen_refs, key)
        if v is not _MISSING or missing:
            return v
        raise SystemError("Lichen: no object under field key %d" % key)
    v = get(h)
    close(h)
    return v


def apply_stores():
    """Applies the field stores native code recorded: each owner holds its
    field's new object under the new key, and lets go of the old key's."""
    with _applying:
        n = lib.lichen_stores_begin(_store_batch)
        if n == 0:
            return
        # the records as words (`struct lichen_store`: owner, key, value,
        # old key), read without a struct view per record
        batch = ffi.cast("intptr_t *", _store_batch[0])
        try:
            for k in range(0, 4 * n, 4):
                key = batch[k + 1]
                value = get(batch[k + 2]) if key else None
                replace_field(get(batch[k]), key, value, batch[k + 3])
        finally:
            lib.lichen_stores_end()


def replace_field(owner, key, value, old_key):
    """``owner`` holds ``value`` under the field key ``key`` (0: nothing)
    and lets go of what it held under ``old_key`` (0: nothing), which it
    returns (``_MISSING`` if a store not applied yet is to put it there)."""
    if key and _gone_keys and key in _gone_keys:
        _gone_keys.discard(key)
        key = 0
    refs = owner._lichen_refs
    if refs is None:
        if key:
            # made whole: a list started with an int would change strategy
            owner._lichen_refs = [key, value]
        if old_key:
            _gone_keys.add(old_key)
        return _MISSING
    if type(refs) is dict:
        return _replace_in_dict(refs, key, value, old_key)
    old, at = _MISSING, -1
    if old_key:
        for i in range(0, len(refs), 2):
            if refs[i] == old_key:
                old, at = refs[i + 1], i
                break
        else:
            _gone_keys.add(old_key)
    # each change one step, so that another thread never reads a key
    # without its object
    if key and at >= 0:
        refs[at:at + 2] = [key, value]
    elif key and len(refs) < _REFS_LIST_MAX:
        refs.extend((key, value))
    elif key:
        owner._lichen_refs = d = dict(zip(refs[0::2], refs[1::2]))
        d[key] = value
    elif at >= 0:
        del refs[at:at + 2]
    return old


def _replace_in_dict(refs, key, value, old_key):
    old = _MISSING
    if old_key:
        old = refs.pop(old_key, _MISSING)
        if old is _MISSING:
            _gone_keys.add(old_key)
    if key:
        refs[key] = value
    return old


def close(h):
    if h & 7 == 0 and h != 0:
        lib.lichen_close(h)


_stale = lib.lichen_stale_hint()
SWEEP_AT = 1024


def sweep():
    """Clears the entries of free slots that still hold old objects, and of
    the reserve's (results given back to Python keep theirs until reused),
    so that a collection finds those objects unreferenced."""
    _clear_reserve()
    out = ffi.new("intptr_t **")
    n = lib.lichen_sweep_begin(out)
    if n:
        slots = out[0]
        for k in range(n):
            objs[slots[k]] = EMPTY
    lib.lichen_sweep_end()


def maybe_sweep():
    if _stale[0] >= SWEEP_AT:
        sweep()


def slots_in_use():
    """How many slots of the object table are live (constants included),
    after this thread's last call result is let go: what a test compares
    before and after calls to see that no handle was left open."""
    apply_stores()
    sweep()
    return lib.lichen_slots_in_use()
