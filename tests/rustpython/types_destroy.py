# Run by run.sh under lichen-rustpython (universal and debug mode) with the
# path of tests/python/ext/types.c built as a universal binary: an object
# freed runs the destroy functions of every HPy type on its base chain,
# most derived first, and releases their fields, as on CPython and PyPy
# (tests/python/test_types.py); __bases__ assignment cannot put a base
# with a larger struct under a class (its methods would read past the
# struct of the class's objects), nor can __class__ assignment.
import gc
import importlib.util
import sys
import weakref

import hpy.universal

path = sys.argv[1]
types = hpy.universal.load("types", path, importlib.util.spec_from_file_location("types", path))
types.destroyed()


class Target:
    pass


def released(make):
    """Makes an object holding a Target, drops it, tells whether the
    Target was released."""
    target = Target()
    ref = weakref.ref(target)
    obj = make(target)
    del target, obj
    return ref() is None


def raises(exc, f):
    try:
        f()
    except exc:
        return True
    return False


def test_chain():
    assert released(lambda t: types.Holder(t))
    assert types.destroyed() == "Holder,"
    assert released(lambda t: types.Sub(t))
    assert types.destroyed() == "Sub,Holder,"
    # Leaf defines no destroy function and no traverse: Holder's run
    assert released(lambda t: types.Leaf(t))
    assert types.destroyed() == "Holder,"


def test_fields_of_each_type_released():
    def make(t):
        obj = types.Sub()
        obj.set_other(t)
        return obj

    assert released(make)
    assert types.destroyed() == "Sub,Holder,"


def test_python_subclass():
    class PySub(types.Sub):
        pass

    assert released(lambda t: PySub(t))
    assert types.destroyed() == "Sub,Holder,"


def test_cycle_through_leaf_is_collected():
    # the collector traverses a Leaf with Holder's traverse (inherited)
    gc.collect()
    target = Target()
    ref = weakref.ref(target)
    obj = types.Leaf(target)
    obj.set_item(obj)
    del obj, target
    gc.collect()
    assert ref() is None
    assert types.destroyed() == "Holder,"


def test_destroys_follow_a_replaced_base():
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


def test_no_base_with_a_larger_struct():
    mro = types.Sub.__mro__
    assert raises(TypeError, lambda: setattr(types.Sub, "__bases__", (types.Leaf,)))
    assert types.Sub.__mro__ == mro

    class PyHolder(types.Holder):
        pass

    # a Python subclass cannot get Sub (more storage) under it either
    assert raises(TypeError, lambda: setattr(PyHolder, "__bases__", (types.Sub,)))
    # nor lose the HPy layout, nor be given one
    assert raises(TypeError, lambda: setattr(PyHolder, "__bases__", (object,)))

    class Plain:
        pass

    assert raises(TypeError, lambda: setattr(Plain, "__bases__", (types.Holder,)))
    # between the same layouts it is fine
    PyHolder.__bases__ = (types.with_metaclass(type),)
    assert released(lambda t: PyHolder(t))
    assert types.destroyed() == "WithMeta,Holder,"


def test_classes_without_hpy_types_unchanged():
    class A:
        pass

    class B:
        pass

    class C(A):
        pass

    C.__bases__ = (B,)
    assert C.__mro__ == (C, B, object) and C.__bases__ == (B,)
    assert raises(TypeError, lambda: setattr(C, "__bases__", ()))


def test_no_class_with_a_larger_struct():
    h = types.Holder()
    assert raises(TypeError, lambda: setattr(h, "__class__", types.Sub))
    assert type(h) is types.Holder


def test_sizes_reflect_the_struct():
    assert types.Sub.__basicsize__ > types.Holder.__basicsize__
    assert types.Leaf.__basicsize__ > types.Holder.__basicsize__


tests = sorted(n for n in dir() if n.startswith("test_"))
for name in tests:
    types.destroyed()  # what the tests before left
    globals()[name]()
print(len(tests), "passed")
