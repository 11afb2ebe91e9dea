"""Types Lichen builds, seen from the objects it frees (``ext/types.c``).

Lichen recognises its types from the type object itself (see
``crates/lichen-cpython/src/hpytype.rs``): each object it frees must find
its type's HPy bases and release their fields, then run their destroy
functions, most derived first, whatever Python did to the type meanwhile
(renaming it, subclassing it, giving it a metaclass). Calling a type must
behave as CPython's ``type.__call__``.
"""
import gc
import sys
import threading
import weakref

import pytest

import lichen.universal
from conftest import spec_for


class Target:
    """Something a field can hold and a weak reference can watch."""


@pytest.fixture(params=["universal", "debug"])
def types(request, build):
    path = build("types.c", "types.hpy0.so", hpy=True)
    mode = {"universal": lichen.universal.MODE_UNIVERSAL, "debug": lichen.universal.MODE_DEBUG}
    module = lichen.universal.load("types", path, spec_for("types", path), mode=mode[request.param])
    module.destroyed()
    return module


def collect_on_gc_vms():
    """Frees what a VM without reference counts (PyPy) frees only when it
    collects: it finalizes an object kept alive by another finalizable one
    a collection later, so three passes."""
    if not hasattr(sys, "getrefcount"):
        for _ in range(3):
            gc.collect()


def released(make):
    """Makes an object holding a Target with make(target), drops it and
    tells whether the Target was released (once collected, on a VM
    without reference counts)."""
    target = Target()
    ref = weakref.ref(target)
    obj = make(target)
    del target, obj
    collect_on_gc_vms()
    return ref() is None


def test_fields_released_and_destroys_run_in_order(types):
    assert released(lambda t: types.Holder(t))
    assert types.destroyed() == "Holder,"
    assert released(lambda t: types.Sub(t))
    assert types.destroyed() == "Sub,Holder,"


def test_python_subclass(types):
    class PySub(types.Sub):
        pass

    def make(t):
        obj = PySub()
        obj.set_other(t)  # HPy_AsStruct on an object of a Python subclass
        assert obj.other is t
        return obj

    assert released(make)
    assert types.destroyed() == "Sub,Holder,"


def test_renamed_type_is_still_recognised(types):
    types.Sub.__name__ = "Renamed"
    types.Sub.__qualname__ = "Renamed"
    assert released(lambda t: types.Sub(t))
    assert types.destroyed() == "Sub,Holder,"


def test_cycle_is_collected(types):
    def make(t):
        obj = types.Sub(t)
        obj.set_other(obj)
        return obj

    gc.collect()
    target = Target()
    ref = weakref.ref(target)
    make(target)
    del target
    gc.collect()
    assert ref() is None
    assert types.destroyed() == "Sub,Holder,"


def test_call_passes_arguments_and_keywords(types):
    obj = types.Holder(1, 2, x=3, y=4)
    assert obj.item == 1
    assert obj.kw == {"x": 3, "y": 4}
    obj = types.Holder()
    assert obj.item is None and obj.kw is None
    assert types.Sub(*[5], **{"z": 6}).kw == {"z": 6}
    assert type.__call__(types.Holder, 7).item == 7


def test_call_with_init_set_from_python(types):
    calls = []

    def init(self, *args, **kw):
        calls.append((len(args), sorted(kw)))  # no reference to the arguments

    types.Holder.__init__ = init
    obj = types.Holder(1, k=2)
    assert calls == [(1, ["k"])]
    assert obj.item == 1 and obj.kw == {"k": 2}
    del obj
    collect_on_gc_vms()
    # changing a special method leaves the type recognisable
    assert types.destroyed() == "Holder,"
    assert released(lambda t: types.Holder(t))
    assert types.destroyed() == "Holder,"


def test_unbounded_recursion_raises(types):
    """Each level calls the type from C; CPython's recursion check (which
    since 3.12 allows thousands of C levels) must stop it. The thread gets
    a stack with room for all of them."""
    outcome = []

    def run():
        try:
            types.Recursive()
        except RecursionError:
            outcome.append("RecursionError")

    old = threading.stack_size(256 * 1024 * 1024)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    assert outcome == ["RecursionError"]


def test_metaclass_without_call(types):
    class Meta(type):
        pass

    cls = types.with_metaclass(Meta)
    assert type(cls) is Meta
    assert released(lambda t: cls(t))
    assert types.destroyed() == "WithMeta,Holder,"


def test_metaclass_with_call(types):
    seen = []

    class Meta(type):
        def __call__(cls, *args, **kw):
            seen.append((len(args), kw))
            return super().__call__(*args, **kw)

    cls = types.with_metaclass(Meta)
    assert released(lambda t: cls(t, k=1))
    assert seen == [(1, {"k": 1})]
    assert types.destroyed() == "WithMeta,Holder,"


def test_type_check(types):
    """HPy_TypeCheck is PyObject_TypeCheck, also where Lichen answers
    without the MRO (a type that is no acceptable base and has storage of
    its own: only its own objects are its instances)."""

    class PySub(types.Sub):
        pass

    leaf, sub, holder = types.Leaf(), types.Sub(), types.Holder()
    assert types.type_check(leaf, types.Leaf) and types.type_check(leaf, types.Holder)
    assert not types.type_check(holder, types.Leaf) and not types.type_check(sub, types.Leaf)
    assert not types.type_check(PySub(), types.Leaf) and not types.type_check(1.5, types.Leaf)
    assert types.type_check(PySub(), types.Holder) and types.type_check(PySub(), types.Sub)
    assert not types.type_check(holder, types.Sub)
    with pytest.raises(TypeError):
        class Derived(types.Leaf):
            pass

    class Meta(type):
        def mro(cls):
            return (cls, types.Leaf, types.Holder, object)

    # CPython refuses an MRO naming a type whose layout the class lacks
    with pytest.raises(TypeError):
        class Claims(types.Holder, metaclass=Meta):
            pass


def test_destroys_follow_a_replaced_base(types):
    """A base replaced by assigning __bases__ (CPython allows it between
    layouts it deems the same: WithMeta adds no storage to Holder) brings
    its destroy function into the chain of the objects freed after."""
    with_destroy = types.with_metaclass(type)
    types.Sub.__bases__ = (with_destroy,)
    assert released(lambda t: types.Sub(t))
    assert types.destroyed() == "Sub,WithMeta,Holder,"
    checks = []
    assert released(lambda t: checks.append(types.type_check(types.Sub(t), with_destroy)))
    types.Sub.__bases__ = (types.Holder,)
    assert released(lambda t: types.Sub(t))
    assert types.destroyed() == "Sub,WithMeta,Holder,Sub,Holder,"
    assert released(lambda t: checks.append(types.type_check(types.Sub(t), with_destroy)))
    assert released(lambda t: checks.append(types.type_check(types.Sub(t), types.Holder)))
    assert types.destroyed() == "Sub,Holder,Sub,Holder,"
    assert checks == [True, False, True]


def test_no_base_with_a_larger_struct(types):
    """__bases__ assignment cannot put a class with more storage (Leaf)
    under one whose objects lack it (Sub): its methods would read past
    the struct."""
    with pytest.raises(TypeError):
        types.Sub.__bases__ = (types.Leaf,)
    assert types.Sub.__mro__ == (types.Sub, types.Holder, object)


def test_new_zeroes_and_initialises_like_the_interpreter(types):
    """HPy_New, of a type without GC, a GC type or a Python subclass: the
    struct is zero even in reused memory, the object is tracked exactly
    when its type is a GC type, holds a reference to its type and is seen
    by tracemalloc (what any allocation path Lichen takes must keep)."""
    class PySub(types.Holder):
        pass

    assert types.new_is_zeroed(types.Plain, types.Holder, 500)
    assert types.new_is_zeroed(types.Plain, PySub, 500)
    assert types.new_is_zeroed(types.Plain, types.Sub, 500)
    collect_on_gc_vms()
    types.destroyed()
    held = types.new(types.Holder)
    assert held.item is None and held.kw is None
    assert types.destroyed() == ""
    del held
    collect_on_gc_vms()
    assert types.destroyed() == "Holder,"
    if sys.implementation.name != "cpython":
        return
    import tracemalloc
    assert gc.is_tracked(types.new(types.Holder))
    assert gc.is_tracked(types.new(PySub))
    assert not gc.is_tracked(types.new(types.Plain))
    for tp in (types.Plain, types.Holder, types.Leaf):
        refs = sys.getrefcount(tp)
        objs = [types.new(tp) for _ in range(10)]
        assert sys.getrefcount(tp) == refs + 10
        del objs  # freed at once: each held one reference, the list's
        assert sys.getrefcount(tp) == refs
    types.destroyed()
    tracemalloc.start()
    try:
        for tp in (types.Plain, types.Holder):
            obj = types.new(tp)
            assert tracemalloc.get_object_traceback(obj) is not None, tp
    finally:
        tracemalloc.stop()
