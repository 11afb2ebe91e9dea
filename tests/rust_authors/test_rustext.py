"""lichen-hpy's bindings, through the test extension rustext: argument
binding, conversions, errors and panics, classes and their special
methods, fields, globals. Runs on any interpreter with an HPy runtime."""
import gc
import sys

import pytest

import rustext
from rustext import Counter, CustomError, Opaque, Tracked, Version


def test_shapes_and_binding():
    assert rustext.noargs() == "noargs"
    o = object()
    assert rustext.one(o) is o
    with pytest.raises(TypeError):
        rustext.noargs(1)
    with pytest.raises(TypeError):
        rustext.one()
    assert rustext.signature(1) == (14, (), {})
    assert rustext.signature(1, 2, 3, 4, c=5, d=6) == (8, (3, 4), {"d": 6})
    assert rustext.signature(a=1, b=1) == (5, (), {})
    with pytest.raises(TypeError, match="multiple values for argument 'a'"):
        rustext.signature(1, a=2)
    with pytest.raises(TypeError, match="missing required argument 'a'"):
        rustext.signature()
    assert rustext.optional(1) == 0
    assert rustext.optional(1, 2) == 3
    assert rustext.optional(1, b=None) == 0
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        rustext.optional(1, z=2)
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        rustext.optional(1, 2, 3)
    assert rustext.posonly(1, 2) == 12
    assert rustext.posonly(1, y=3) == 13
    with pytest.raises(TypeError):
        rustext.posonly(x=1, y=2)


def test_integer_widths_and_overflow():
    assert rustext.widths(-128, 255, -32768, 65535, -2**31, 2**32 - 1, -2**62, 2**63) == (
        -128 - 32768 - 2**31 - 2**62, 255 + 65535 + 2**32 - 1 + 2**63)
    assert rustext.widths(127, 0, 32767, 0, 2**31 - 1, 0, 2**62, 2**64 - 2**33) == (
        127 + 32767 + 2**31 - 1 + 2**62, 2**64 - 2**33)
    for bad in [(128, 0), (-129, 0)]:
        with pytest.raises(OverflowError):
            rustext.widths(bad[0], 0, 0, 0, 0, 0, 0, 0)
    with pytest.raises(OverflowError):
        rustext.widths(0, 256, 0, 0, 0, 0, 0, 0)
    with pytest.raises(OverflowError):
        rustext.widths(0, -1, 0, 0, 0, 0, 0, 0)
    with pytest.raises(OverflowError):
        rustext.widths(0, 0, 0, 0, 0, 0, 2**63, 0)
    with pytest.raises(TypeError):
        rustext.widths("1", 0, 0, 0, 0, 0, 0, 0)


def test_conversions():
    assert rustext.roundtrip_str("héllo \U0001f600") == "héllo \U0001f600"
    assert rustext.roundtrip_str("a\0b") == "a\0b"
    with pytest.raises(TypeError):
        rustext.roundtrip_str(b"x")
    assert rustext.roundtrip_bytes(b"a\0b") == b"a\0b"
    with pytest.raises(TypeError):
        rustext.roundtrip_bytes("x")
    assert rustext.roundtrip_float(1.5) == 1.5
    assert rustext.roundtrip_float(2) == 2.0
    with pytest.raises(TypeError):
        rustext.roundtrip_float("x")
    assert rustext.roundtrip_bool(True) is True
    assert rustext.roundtrip_bool(False) is False
    with pytest.raises(TypeError):
        rustext.roundtrip_bool(1)
    assert rustext.sum_list([1, 2, 3]) == 6
    assert rustext.sum_list((4, 5)) == 9
    with pytest.raises(TypeError):
        rustext.sum_list("12")
    assert rustext.pairs([("a", 1.0), ("b", 2)]) == {"a": 1.0, "b": 2.0}
    with pytest.raises(TypeError):
        rustext.pairs([("a", 1.0, 3)])
    assert rustext.dict_keys_sorted({"b": 1, "a": 2}) == ["a", "b"]
    assert rustext.maybe(None) is None
    assert rustext.maybe(4) == 8


def test_errors_and_panics():
    with pytest.raises(ValueError, match="boom"):
        rustext.raise_value_error("boom")
    with pytest.raises(CustomError, match="custom"):
        rustext.raise_custom()
    assert issubclass(CustomError, ValueError)
    assert CustomError.__module__ == "rustext"
    with pytest.raises(ZeroDivisionError):
        rustext.call(lambda x: 1 / x, 0)
    assert rustext.call(lambda x: x + 1, 1) == 2
    assert rustext.call_or_default(lambda: 1 / 0) == "default"
    assert rustext.call_or_default(lambda: 7) == 7
    with pytest.raises(KeyError):
        rustext.call_or_default(lambda: {}[1])
    assert rustext.call_kw(lambda a, b: (a, b), 1, 2) == (1, 2)
    with pytest.raises(SystemError, match="Rust panic in an HPy extension: oh no"):
        rustext.panics("oh no")
    # the process lives on and the extension still works
    assert rustext.noargs() == "noargs"


def test_released_interpreter():
    assert rustext.released_sum(10**6) == sum(range(10**6))


def test_module_init_import_and_globals():
    assert rustext.ANSWER == 42 and rustext.GREETING == "hello"
    assert rustext.import_attr("math", "pi") > 3.14
    assert rustext.cache_get() is None
    o = object()
    rustext.cache_set(o)
    assert rustext.cache_get() is o


def test_class_basics():
    c = Counter()
    assert (c.count, c.label) == (0, "c")
    c = Counter(3, label="x")
    assert repr(c) == 'Counter(3, "x")' and str(c) == "x=3"
    assert c.incr() == 4 and c.add(2) == 6
    assert c.step() == 7 and c.step(2, twice=True) == 11
    with pytest.raises(TypeError):
        c.step(1, True)  # keyword-only
    c.count = 5
    assert c.count == 5 and c.double == 10
    c.double = 8
    assert c.count == 4
    with pytest.raises(ValueError, match="odd"):
        c.double = 3
    with pytest.raises(AttributeError):
        c.label = "y"
    with pytest.raises(AttributeError):
        del c.count
    with pytest.raises(ValueError, match="negative"):
        Counter(-1)
    assert Counter.__doc__ == "Everything a class can have."


def test_methods_getsets_and_slots_check_their_receiver():
    # The bindings read the receiver of a method, a getset or a one-sided
    # slot without a type test of their own (as HPy's C extensions do): the
    # runtime's descriptors must refuse anything but an instance.
    double = Counter.__dict__["double"]
    for call in (
        lambda: Counter.incr(5),
        lambda: Counter.add("x", 1),
        lambda: Counter.step(None, n=1),
        lambda: double.__get__(5, int),
        lambda: double.__set__(object(), 4),
        lambda: Counter.__dict__["log"].__get__(1.5, float),
        # one-sided slots, through their wrapper descriptors
        lambda: Counter.__repr__(5),
        lambda: Counter.__len__("x"),
        lambda: Counter.__getitem__(5, 1),
        lambda: Counter.__contains__([1], 1),
        lambda: Counter.__iadd__(5, 1),
        lambda: Counter.__neg__(5),
        lambda: Counter.__hash__(5),
        lambda: Counter.__eq__(5, 5),
    ):
        with pytest.raises(TypeError):
            call()
    assert double.__get__(Counter(2), Counter) == 4


def test_special_methods():
    c = Counter(3)
    assert hash(c) == 3 and hash(Counter(-1 + 0 if False else 0)) == 0
    assert bool(c) and not bool(Counter(0))
    assert len(c) == 3
    assert 2 in c and 3 not in c
    assert c[2] == 4
    with pytest.raises(IndexError):
        c[3]
    assert Counter(1) < Counter(2) and Counter(2) >= Counter(2) and Counter(1) != Counter(2)
    assert (Counter(1) == 5) is False
    assert (c + 2).count == 5
    r = 10 + c
    assert r.count == 13 and r.label == "rc"
    with pytest.raises(TypeError):
        c + "x"
    d = c
    c += 4
    assert c is d and c.count == 7
    assert (-c).count == -7
    assert int(c) == 7
    assert c(1) == 8 and c(1, b=2) == 10


def test_number_slot_results():
    # Results of both-sided slots: of the class itself (allocated from the
    # type object the slot loaded for its operand tests), a PyResult of it,
    # and a value of another type.
    c = Counter(3, label="m")
    assert c - 1 == 2 and type(c - 1) is int
    with pytest.raises(TypeError):
        7 - c  # no __rsub__
    m = c * 2
    assert type(m) is Counter and m.count == 6 and m.label == "m"
    with pytest.raises(ValueError):
        c * -1
    with pytest.raises(TypeError):
        c * "x"
    # No __rmul__: the slot gets (2, c) and returns NotImplemented. (On
    # RustPython, which makes a class's `__mul__` a sequence repeat too, the
    # host keeps an HPy type without HPy_sq_repeat from being repeated.)
    with pytest.raises(TypeError):
        2 * c
    with pytest.raises(TypeError):
        [1] * c
    with pytest.raises(TypeError):
        c * [1]
    d = c
    d *= 2
    assert type(d) is Counter and d.count == 6 and c.count == 3
    with pytest.raises(TypeError):
        d = 2
        d *= c


def test_individual_comparisons():
    assert Version(1, 2) == Version(1, 2)
    assert Version(1, 2) < Version(1, 3)
    assert Version(1, 3) > Version(1, 2)  # reflected __lt__
    assert (Version(1, 2) == 3) is False
    with pytest.raises(TypeError):
        Version(1, 2) <= Version(1, 2)


def test_borrows_are_checked():
    c = Counter(1)
    assert c.with_callback(lambda s: s.count) == 1
    with pytest.raises(RuntimeError, match="already borrowed"):
        c.with_callback(lambda s: s.incr())


def test_subclass_and_no_constructor():
    class Sub(Counter):
        def extra(self):
            return self.count * 100

    s = Sub(2)
    assert s.extra() == 200 and s.incr() == 3 and isinstance(s, Counter)
    with pytest.raises(TypeError, match="No constructor defined for Opaque"):
        Opaque()
    o = rustext.make_opaque(5)
    assert o.get() == 5 and type(o) is Opaque
    with pytest.raises(TypeError):
        class S(Opaque):
            pass


def test_only_payloads_that_need_dropping_get_a_destroy_function():
    # A class gets HPy_tp_destroy only when dropping its payload does
    # something: on PyPy a destroy function costs a `__del__`, which keeps
    # every instance alive until a major collection.
    t = Tracked()
    o = rustext.make_opaque(1)
    if sys.implementation.name == "pypy":
        assert "__del__" in vars(Tracked)
        assert "__del__" not in vars(Opaque)
    before = rustext.drops()
    del t, o
    gc.collect()
    assert rustext.drops() == before + 1


def test_payload_dropped_and_fields():
    before = rustext.drops()
    t = Tracked()
    del t
    gc.collect()
    assert rustext.drops() == before + 1
    c = Counter()
    assert c.log is None
    lst = []
    c.log = lst
    assert c.log is lst
    c.log = c  # a cycle through a field
    del c
    gc.collect()


def test_iteration_through_the_documented_workaround():
    s = rustext.Seq([3, 1, 2])
    assert list(s) == [3, 1, 2]
    assert [x * 2 for x in s] == [6, 2, 4]
