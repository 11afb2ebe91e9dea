"""Fields, globals, the custom exception and buffer export."""
import gc
import sys
import weakref

import pytest

import registry
from registry import Entry, NotRegistered, Samples


def test_fields_hold_values_and_links():
    a, b = Entry("a"), Entry("b")
    assert a.name == "a" and a.value is None and a.link is None
    payload = object()
    a.value = payload
    a.link = b
    b.value = [1, 2]
    assert a.value is payload and a.link is b
    assert a.follow(1) is b and a.follow(0) is a
    with pytest.raises(NotRegistered):
        a.follow(2)
    with pytest.raises(TypeError):
        a.link = 3
    a.link = None
    assert a.link is None


def test_field_keeps_its_value_alive():
    class Token:
        pass

    e = Entry("e")
    t = Token()
    r = weakref.ref(t)
    e.value = t
    del t
    gc.collect()
    assert r() is not None and e.value is r()
    del e
    gc.collect()
    assert r() is None


def test_cycles_through_fields_are_collected():
    class Token:
        pass

    a, b = Entry("a"), Entry("b")
    t = Token()
    r = weakref.ref(t)
    a.link, b.link = b, a
    a.value = t
    del a, b, t
    gc.collect()
    assert r() is None


def test_subclass_and_global_default():
    class Named(Entry):
        pass

    with pytest.raises(NotRegistered):
        registry.default()
    n = Named("n")
    registry.set_default(n)
    assert registry.default() is n
    assert repr(registry.default()) == 'Entry("n")'
    with pytest.raises(TypeError):
        registry.set_default(42)


def test_custom_exception():
    assert issubclass(NotRegistered, KeyError)
    assert NotRegistered.__module__ == "registry"
    assert NotRegistered.__doc__ == "Raised when a name is not registered."
    table = {"x": Entry("x")}
    assert registry.lookup(table, "x") is table["x"]
    with pytest.raises(NotRegistered, match='"y" is not registered'):
        registry.lookup(table, "y")


def test_buffer_export_and_growth_while_exported():
    s = Samples(1.0, 2.5, 4.0)
    assert len(s) == 3
    m = memoryview(s)
    assert m.format == "d" and m.itemsize == 8 and m.readonly and m.shape == (3,)
    assert m.tolist() == [1.0, 2.5, 4.0]
    assert bytes(m) == bytes(memoryview(s))
    with pytest.raises(BufferError):
        s.append(5.0)
    m.release()
    s.append(5.0)
    assert memoryview(s).tolist() == [1.0, 2.5, 4.0, 5.0]
    with pytest.raises(TypeError):
        memoryview(s).cast("B")[0] = 1  # read-only


def test_total_with_the_interpreter_released():
    assert Samples(*range(1000)).total() == sum(range(1000))
