"""The bridge's own tests, run with pytest on lichen-rustpython by
tests/bridge/run.py, which builds the C extensions they import
(bridgetest, badinit, bridgepkg._speedups) with CPython 3.11's headers into
the directory named by LICHEN_BRIDGE_TEST_DIR (on sys.path)."""

import gc
import os
import subprocess
import sys
import threading
import weakref

import pytest

import _lichen_bridge
import bridgetest

BUILD = os.environ["LICHEN_BRIDGE_TEST_DIR"]
SUFFIX = ".cpython-311-x86_64-linux-gnu.so"


class Recorder:
    def __init__(self):
        self.calls = []

    def method(self, *args):
        self.calls.append(args)
        return sum(args)

    def fail(self, exc):
        raise exc


class Bag:
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __iter__(self):
        return iter(self.items)

    def __hash__(self):
        return 12345

    def __lt__(self, other):
        return len(self) < len(other)


class MyError(Exception):
    pass


class Num(int):
    pass


def test_module_is_a_proxy_of_the_cpython_module():
    assert _lichen_bridge.is_proxy(bridgetest)
    assert bridgetest.__name__ == "bridgetest"
    assert bridgetest.__file__.endswith("bridgetest" + SUFFIX)
    assert bridgetest.import_("bridgetest") is bridgetest
    library, version, home = _lichen_bridge.embedded()
    assert version.startswith("3.11.")


def test_values_cross_by_value():
    for value in [None, True, False, 0, -1, 2**200, -(2**100), 1.5, float("inf"), "", "h\u00e9llo \U0001f600",
                  b"\x00bytes", NotImplemented, Ellipsis]:
        back = bridgetest.identity(value)
        assert back == value and type(back) is type(value)
    lone = "a\ud800b"
    assert bridgetest.identity(lone) == lone
    assert bridgetest.type_name(10**30) == "int"
    assert bridgetest.type_name("x") == "str"


def test_containers_are_copied_with_their_items_converted():
    data = [1, (2, "three"), {"k": [4.0, None]}, {5}, frozenset({6})]
    # A fresh copy made in CPython, referenced by the result alone.
    back = bridgetest.deepcopy(data)
    assert back == data and back is not data and not _lichen_bridge.is_proxy(back)
    assert type(back[1]) is tuple and type(back[2]) is dict and type(back[3]) is set
    kinds = bridgetest.kinds([1])
    assert kinds["list"] and not kinds["dict"]
    assert bridgetest.kinds({})["dict"] and bridgetest.kinds(())["tuple"]


def test_standard_value_types_are_copied():
    import datetime
    import decimal
    values = [
        decimal.Decimal("1337.1337"), datetime.date(2020, 1, 2), datetime.timedelta(1, 2, 3),
        datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
        datetime.time(1, 2, 3, tzinfo=datetime.timezone(datetime.timedelta(hours=2), "X")),
    ]
    for value in values:
        back = bridgetest.identity(value)
        assert back == value and type(back) is type(value)
        # C sees CPython's own class (its tp_name: "decimal.Decimal", ...)
        assert bridgetest.type_name(value).rpartition(".")[2] == type(value).__name__
    data = bytearray(b"abc")
    assert bridgetest.identity(data) == data and bridgetest.type_name(data) == "bytearray"
    view = bridgetest.identity(memoryview(b"abcd").cast("B", (2, 2)))
    assert view.tobytes() == b"abcd" and view.shape == (2, 2) and view.readonly
    import array
    numbers = array.array("d", [1.5, -2.0])
    back = bridgetest.identity(numbers)
    assert back == numbers and back is not numbers and bridgetest.type_name(numbers) == "array.array"


def test_dict_keys_from_cpython_are_shared_within_one_conversion():
    long_key = "k" * 100
    data = [{"id": 1, long_key: 1, "a\ud800": 1, 7: 1}, {"id": 2, long_key: 2, "a\ud800": 2, 7: 2}]
    back = bridgetest.deepcopy(data)
    assert back == data
    first, second = (next(k for k in d if k == "id") for d in back)
    assert first is second
    # Keys longer than 64 bytes, with lone surrogates, or not str are
    # converted one by one, and equal all the same.
    assert [list(d) for d in back] == [list(d) for d in data]
    assert all(type(k) is str for d in back for k in list(d)[:3])
    # A new conversion makes new keys.
    again = bridgetest.deepcopy(data)
    assert next(k for k in again[0] if k == "id") is not first


def raised_args(*args):
    """The ``args`` of a ValueError C makes from ``args`` (copies of
    RustPython's objects in C) and raises: converted back as copies."""
    with pytest.raises(ValueError) as info:
        bridgetest.raise_(ValueError, *args)
    return info.value.args


def test_cycles_survive_the_copy():
    cyclic = [1]
    cyclic.append(cyclic)
    (back,) = raised_args(cyclic)
    assert back is not cyclic and type(back) is list and back[1] is back
    shared = [0]
    (pair,) = raised_args([shared, shared])
    assert pair[0] is pair[1] and pair[0] is not shared and type(pair[0]) is list


class Taker:
    """Keeps what C passes to its method ``take``."""

    def take(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        return 0


def test_containers_c_passes_to_rustpython_code_are_proxies():
    # C holds what it passes to a callback: a list, dict or set crosses as a
    # proxy of C's object (in a tuple too), so what the callback changes
    # in it, C sees; here C's copy of ``items``, written back to ``items``
    # when the call from RustPython ends.
    items, table, group = [1], {"k": 1}, {1}
    bridgetest.call_kw(lambda got, pair, named=None: (got.append(2), pair[0].add(3), named.pop("k")),
                       (items, (group,)), {"named": table})
    assert items == [1, 2] and table == {} and group == {1, 3}
    taker = Taker()
    bridgetest.call_kw(taker.take, (items,), {"key": {"a": [1]}})
    got = taker.args[0]
    assert _lichen_bridge.is_proxy(got) and got == [1, 2] and not isinstance(got, list)
    assert _lichen_bridge.is_proxy(taker.kwargs["key"]) and taker.kwargs["key"]["a"] == [1]
    # A value C sets on a RustPython object, the same way.
    bridgetest.keep([5])
    try:
        holder = Recorder()
        setattr_from_c = bridgetest.call_method(bridgetest.import_("builtins"), "setattr", holder, "kept", bridgetest.get_kept())
        assert setattr_from_c is None and holder.kept is bridgetest.get_kept()
    finally:
        bridgetest.drop_kept()


def test_mutable_arguments_are_written_back():
    # Each crosses as a copy; what C changed in it is applied to the
    # original in place once the call returns.
    items = [1, "two"]
    bridgetest.append_each(items, 3.5)
    assert items == [1, "two", 3.5]
    table = {"a": 1}
    bridgetest.set_key(table, "b", [2])
    assert table == {"a": 1, "b": [2]} and list(table) == ["a", "b"]
    seen = {1}
    bridgetest.add_to_set(seen, (2, "x"))
    assert seen == {1, (2, "x")}
    buf = bytearray(5)
    assert bridgetest.fill(buf, ord("z")) == 5
    assert buf == b"zzzzz"
    # Keyword arguments, and C methods called on the copy.
    buf = bytearray(b"ab")
    bridgetest.fill(buffer=buf, byte=0x30)
    assert buf == b"00"
    bridgetest.call_method(buf, "extend", b"xyz")
    assert buf == b"00xyz"
    bridgetest.call_method(items, "reverse")
    assert items == [3.5, "two", 1]
    bridgetest.call_method(table, "pop", "a")
    assert table == {"b": [2]}
    # Subclasses of dict and list cross as their base, and are written
    # back through their own methods.
    import collections
    ordered = collections.OrderedDict(x=1)
    bridgetest.set_key(ordered, "y", 2)
    assert type(ordered) is collections.OrderedDict and list(ordered.items()) == [("x", 1), ("y", 2)]
    ordered.move_to_end("x")
    assert list(ordered) == ["y", "x"]


def test_a_write_back_keeps_the_identity_of_what_stayed():
    inner, thing, number = [1], Recorder(), 12.5
    outer = [inner, thing, number, (inner,)]
    bridgetest.append_each(outer, "new")
    assert outer[0] is inner and outer[1] is thing and outer[2] is number and outer[3][0] is inner
    assert outer[4] == "new"
    pair, group = (1, 2), frozenset({3})
    table = {"pair": pair, "group": group, "inner": inner, "n": Num(5)}
    bridgetest.set_key(table, "new", 4)
    assert table["pair"] is pair and table["group"] is group and table["inner"] is inner and table["new"] == 4
    # An int subclass's instance crosses as an int, which CPython may share
    # with ints C makes: a changed copy gives it back as an int.
    assert type(table["n"]) is int and table["n"] == 5
    cyclic = [0]
    cyclic.append(cyclic)
    bridgetest.append_each(cyclic, 1)
    assert cyclic[1] is cyclic and cyclic[2] == 1 and len(cyclic) == 3


def test_a_write_back_happens_when_the_call_raises():
    items = []
    with pytest.raises(ValueError, match="raised after appending"):
        bridgetest.append_then_raise(items, "done")
    assert items == ["done"]


def test_one_copy_per_object_within_a_call():
    shared = [0]
    assert bridgetest.is_same(shared, shared)
    assert not bridgetest.is_same(bytearray(b"x"), bytearray(b"x"))
    buf = bytearray(b"x")
    assert bridgetest.is_same(buf, buf)
    # Two parameters for one list: both appends land in it, as on CPython.
    bridgetest.append_each(shared, shared, 1)
    assert shared == [0, 1, 1]
    # A list reached through two arguments of one call is one copy.
    pair, holder = [shared], {"l": shared}
    assert bridgetest.same_items(pair, 0, holder, "l")
    assert not bridgetest.same_items([[0]], 0, {"l": [0]}, "l")


def test_nested_containers_are_written_back():
    inner = [1]
    doc = {"inner": inner, "other": [0]}
    bridgetest.append_at(doc, "inner", 2)
    assert doc["inner"] is inner and inner == [1, 2] and doc["other"] == [0]
    grid = [[0], [1]]
    rows = list(grid)
    bridgetest.append_at(grid, 1, "x")
    assert grid == [[0], [1, "x"]] and grid[0] is rows[0] and grid[1] is rows[1]


def test_an_unchanged_argument_is_not_rewritten():
    # Instances of int's subclasses cross as plain ints: a rewrite would
    # turn them into ints. A call that changes nothing leaves them be.
    big = [Num(i) for i in range(20000)]
    doc = {"big": big, "n": Num(1)}
    assert bridgetest.length(big) == 20000 and bridgetest.length(doc) == 2
    assert all(type(n) is Num for n in big) and type(doc["n"]) is Num
    # What RustPython changes in the original during the call (a callback)
    # is not overwritten by the unchanged copy.
    items = [1]
    recorder = Recorder()
    recorder.method = lambda copy: items.append(len(copy))
    bridgetest.call_method(recorder, "method", items)
    assert items == [1, 1]


def test_copies_from_cpython_keep_sharing_and_values():
    # Converting back from CPython reads ints, floats and strs in place and
    # memoizes only containers referenced more than once: sharing through
    # dict values, list items and cycles through dicts stays.
    shared = {"x": 1}
    data = {"a": shared, "b": shared, "c": [shared], "d": {"own": [1]}}
    (back,) = raised_args(data)
    assert back == data and back["a"] is back["b"] is back["c"][0] and back["a"] is not shared
    selfish = {}
    selfish["self"] = selfish
    (back,) = raised_args(selfish)
    assert back["self"] is back and back is not selfish
    inner = []
    outer = {"l": inner}
    inner.append(outer)
    (back,) = raised_args(outer)
    assert back["l"][0] is back and back is not outer
    numbers = [2**30 - 1, 2**30, -(2**30), 2**60 - 1, 2**60, -(2**60 - 1), -(2**60), 2**63, -(2**63) - 1, 0, -0.0, 1e308]
    back = bridgetest.deepcopy(numbers)
    assert back == numbers and [type(n) for n in back] == [type(n) for n in numbers]
    texts = ["", "a", "ascii", "\u00e9t\u00e9", "\U0001f600", "x" * 1000, "a\ud800"]
    assert bridgetest.deepcopy(texts) == texts


def test_a_copy_from_cpython_leaves_the_gc_flag_as_it_was():
    assert gc.isenabled()
    big = [{"i": i, "l": [i]} for i in range(3000)]
    assert bridgetest.deepcopy(big) == big
    assert gc.isenabled()
    gc.disable()
    try:
        assert bridgetest.deepcopy(big) == big
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_argument_returned_is_the_argument():
    import collections
    for arg in [[1, [2]], {"a": [1]}, {3}, collections.OrderedDict(x=1), bytearray(b"ab")]:
        assert bridgetest.identity(arg) is arg
    # Tuples and frozensets too, and what they hold.
    inner = [1]
    pair = (inner, 2)
    assert bridgetest.identity(pair) is pair
    group = frozenset({3})
    assert bridgetest.identity(group) is group
    # Inside a new container (C makes a new tuple here), the same.
    doubled = bridgetest.twice(pair)
    assert doubled == ([1], 2, [1], 2) and doubled[0] is inner and doubled[2] is inner
    # Changed by C, then returned: the original, changed.
    items = [1]
    assert bridgetest.call_method(items, "append", 2) is None and items == [1, 2]


def test_a_container_c_holds_crosses_as_a_proxy():
    # A list C keeps (its copy of the argument) comes back as one proxy of
    # that list: returned twice, the same object; changed on RustPython's
    # side, C sees the change.
    bridgetest.keep([1, 2, 3])
    try:
        kept = bridgetest.get_kept()
        assert _lichen_bridge.is_proxy(kept) and bridgetest.get_kept() is kept
        assert kept == [1, 2, 3] and len(kept) == 3 and list(kept) == [1, 2, 3] and kept[-1] == 3
        kept.append(4)
        kept[0] = "one"
        assert bridgetest.length(kept) == 4 and bridgetest.get_kept()[0] == "one"
        assert bridgetest.type_name(kept) == "list" and bridgetest.kinds(kept)["list"]
        # Given back to C, a proxy is its list again (not a copy): no
        # write-back needed.
        bridgetest.append_each(kept, 5)
        assert kept[-1] == 5 and bridgetest.length(kept) == 5
        # Inside a new result, too: the same proxy.
        assert bridgetest.identity((kept,))[0] is kept
        # A dict or set C holds, the same way.
        bridgetest.keep({"a": 1})
        table = bridgetest.get_kept()
        assert _lichen_bridge.is_proxy(table) and table["a"] == 1
        table["b"] = 2
        assert bridgetest.get_kept() is table and bridgetest.length(table) == 2 and dict(table) == {"a": 1, "b": 2}
        # A tuple is a value: copied whoever holds it.
        bridgetest.keep((1, [2]))
        t = bridgetest.get_kept()
        assert type(t) is tuple and _lichen_bridge.is_proxy(t[1]) and t[1] is bridgetest.get_kept()[1]
    finally:
        bridgetest.drop_kept()


def test_a_rustpython_subclass_of_a_c_type():
    class Point(bridgetest.PointType):
        scale = 10

        def __init__(self, x, y):
            super().__init__(x, y)
            self.label = "p"

        def scaled(self):
            return (self[0] * self.scale, self[1] * self.scale)

        def __repr__(self):
            return "my " + super().__repr__()

    p = Point(1, 2)
    # An instance of the C type (C's methods and slots work on it), seen
    # through a proxy of the subclass: its methods, attributes and
    # overrides come first.
    assert type(p) is Point and isinstance(p, bridgetest.PointType) and bridgetest.type_name(p) == "bridgetest.PointType"
    assert p.norm1() == 3 and p[1] == 2 and p.scaled() == (10, 20) and p.label == "p"
    assert repr(p) == "my Point(1, 2)" and p == bridgetest.Point(1, 2)
    p.label = "q"
    assert p.__dict__ == {"label": "q"}
    # Crossing back and forth, it stays this proxy.
    assert bridgetest.identity(p) is p and bridgetest.identity([p])[0] is p
    # What C makes is of the C type.
    assert type(p + p) is bridgetest.PointType
    # A mixin's methods, after the C type in the MRO, too.
    class Named:
        def name(self):
            return "point %d" % self.norm1()

    class NamedPoint(bridgetest.PointType, Named):
        pass
    assert NamedPoint(2, 2).name() == "point 4"
    # Without an __init__ of its own, the C type's runs.
    class Plain(bridgetest.PointType):
        pass
    assert Plain(3, 4).norm1() == 7 and type(Plain(3, 4)) is Plain
    # A C type that is no base type cannot be one here either.
    with pytest.raises(TypeError, match="not an acceptable base type"):
        class Function(type(bridgetest.identity)):
            pass


def test_exception_chains_cross_both_ways():
    # Raised in C from another exception made in C.
    with pytest.raises(KeyError) as info:
        bridgetest.raise_chained(KeyError, MyError, True)
    outer = info.value
    assert type(outer.__cause__) is MyError and str(outer.__cause__) == "inner"
    assert outer.__suppress_context__ and outer.__context__ is None
    with pytest.raises(KeyError) as info:
        bridgetest.raise_chained(KeyError, ValueError, False)
    outer = info.value
    assert outer.__cause__ is None and not outer.__suppress_context__
    assert type(outer.__context__) is ValueError and str(outer.__context__) == "inner"

    # Raised in RustPython code C called, seen by C.
    def explicit():
        raise MyError("outer") from ValueError("why")

    def implicit():
        try:
            {}["missing"]
        except KeyError:
            raise MyError("while handling")

    assert bridgetest.chain_of(explicit) == ("why", None, True)
    cause, context, suppress = bridgetest.chain_of(implicit)
    assert cause is None and context == "'missing'" and suppress is False


def test_a_c_objects_buffer_is_a_buffer_on_rustpython():
    import struct
    p = bridgetest.PointType(3, -4)
    assert bytes(p) == struct.pack("ll", 3, -4)
    view = memoryview(p)
    assert view.format == "l" and view.itemsize == struct.calcsize("l") and view.shape == (2,)
    assert view.tolist() == [3, -4] and not view.readonly
    # Writable: a write through the view is a write to the C struct.
    view[1] = 7
    assert p[1] == 7 and p == bridgetest.Point(3, 7)
    second = memoryview(p)
    view.release()
    assert second[0] == 3
    second.release()
    # After every view is released, a new export works the same.
    assert memoryview(p).tolist() == [3, 7]
    # A subclass made in RustPython exports its C object's buffer too.
    class Sub(bridgetest.PointType):
        pass
    assert bytes(Sub(1, 2)) == struct.pack("ll", 1, 2)
    # A memoryview made in C crosses as a memoryview of the same memory,
    # released with it (a view C made of a bytes object, read-only).
    view = bridgetest.view_of(p)
    assert type(view) is memoryview and view.tolist() == [3, 7]
    view[0] = 5
    assert p[0] == 5
    view.release()
    assert bridgetest.view_of(b"abc").readonly and bytes(bridgetest.view_of(b"abc")) == b"abc"
    # A C object without a buffer is none.
    with pytest.raises(TypeError):
        memoryview(bridgetest.import_("bridgetest"))


def test_a_rustpython_buffer_is_a_buffer_in_c():
    # A memoryview crosses as a memoryview of the same memory: C writes
    # into a slice of a bytearray, as readinto(memoryview(buf)[n:]) does.
    buf = bytearray(b"hello world")
    assert bridgetest.fill_buffer(memoryview(buf)[6:], ord("x")) == 5
    assert buf == b"hello xxxxx"
    assert bytes(bridgetest.identity(memoryview(buf)[:5])) == b"hello"
    with pytest.raises(BufferError):
        bridgetest.fill_buffer(memoryview(b"abc"), 1)
    # While C holds a view, the bytearray is exported: it cannot resize.
    view = memoryview(buf)
    bridgetest.keep(view)
    try:
        with pytest.raises(BufferError):
            buf.append(1)
    finally:
        bridgetest.drop_kept()
    view.release()
    buf.append(0x21)
    assert buf == b"hello xxxxx!"
    # Another RustPython exporter, reached through its proxy.
    import mmap
    m = mmap.mmap(-1, 8)
    assert bridgetest.fill_buffer(m, ord("z")) == 8 and m[:] == b"z" * 8


def test_a_namedtuple_is_a_tuple_in_c():
    from collections import namedtuple
    Pair = namedtuple("Pair", "left right")
    pair = Pair([1], "r")
    # C sees a tuple of the converted items, of a class standing for Pair.
    assert bridgetest.type_name(pair) == "Pair" and bridgetest.is_instance(pair, tuple)
    assert bridgetest.length(pair) == 2 and bridgetest.getitem(pair, 1) == "r"
    # Its fields and methods are the original's; crossing back, it is it.
    assert bridgetest.call_method(pair, "_asdict") == {"left": [1], "right": "r"}
    assert bridgetest.identity(pair) is pair and bridgetest.identity([pair])[0] is pair
    # The class crosses as that class; calling it from C makes a Pair.
    made = bridgetest.call_method(bridgetest, "identity", Pair)(3, 4)
    assert type(made) is Pair and made == (3, 4)
    # A plain subclass of tuple the same way.
    class Row(tuple):
        pass
    assert bridgetest.is_instance(Row((1, 2)), tuple) and bridgetest.length(Row((1, 2))) == 2


def test_a_callback_from_a_thread_c_started():
    # A C library's own thread (never entered from RustPython) calls a
    # RustPython function: it runs there, with a VM of that thread.
    threads = []

    def work():
        threads.append(threading.get_ident())
        return {"sum": sum(range(10)), "twice": bridgetest.twice(21)}

    assert bridgetest.call_in_new_thread(work) == {"sum": 45, "twice": 42}
    assert threads and threads[0] != threading.get_ident()
    with pytest.raises(KeyError, match="from a C thread"):
        bridgetest.call_in_new_thread(lambda: {}["from a C thread"])
    assert [bridgetest.call_in_new_thread(lambda i=i: i * i) for i in range(4)] == [0, 1, 4, 9]


def test_the_same_object_gives_the_same_proxy():
    obj = Recorder()
    assert bridgetest.identity(obj) is obj
    bridgetest.keep(obj)
    assert bridgetest.get_kept() is obj
    bridgetest.drop_kept()
    p = bridgetest.Point(1, 2)
    bridgetest.keep(p)
    assert bridgetest.get_kept() is p
    assert bridgetest.identity(p) is p
    bridgetest.drop_kept()


def test_a_rustpython_method_called_back_from_c():
    rec = Recorder()
    assert bridgetest.call_method(rec, "method", 1, 2, 3) == 6
    assert rec.calls == [(1, 2, 3)]
    assert bridgetest.call_n(lambda i: i * 2, 10) == 90
    obj = Bag([1, 2, 3])
    assert bridgetest.call_method(obj, "__len__") == 3


def test_rustpython_objects_seen_from_c():
    bag = Bag([1, 2, 3])
    assert bridgetest.type_name(bag) == "Bag"
    assert bridgetest.length(bag) == 3
    assert bridgetest.getitem(bag, 1) == 2
    assert bridgetest.sum_iter(bag) == 6
    assert bridgetest.sum_iter(x for x in range(5)) == 10
    assert bridgetest.hash_of(bag) == 12345
    assert bridgetest.less(Bag([1]), bag) is True
    assert bridgetest.kinds(bag)["callable"] is False
    assert bridgetest.kinds(len)["callable"] is True
    assert bridgetest.is_instance(bag, Bag) is True
    assert bridgetest.is_instance(bag, Recorder) is False


def test_cpython_objects_seen_from_rustpython():
    Point = bridgetest.PointType
    p = Point(1, 2)
    assert type(p) is Point and isinstance(p, Point)
    assert bridgetest.Point(1, 2) == p and p != Point(2, 1)
    assert p + p == Point(2, 4)
    assert len(p) == 2 and list(p) == [1, 2] and p[1] == 2
    with pytest.raises(IndexError):
        p[5]
    assert {p: "here"}[Point(1, 2)] == "here"
    assert p.norm1() == 3 and repr(p) == "Point(1, 2)"
    assert Point.__doc__ == "A point with two integer coordinates."
    assert callable(Point) and not callable(p)
    with pytest.raises(TypeError):
        p + 1


def test_exceptions_keep_their_type_both_ways():
    with pytest.raises(ValueError, match="from C"):
        bridgetest.raise_(ValueError, "from C")
    with pytest.raises(MyError) as info:
        bridgetest.raise_(MyError, "mine")
    assert str(info.value) == "mine"
    original = MyError("round trip")
    rec = Recorder()
    with pytest.raises(MyError) as info:
        bridgetest.call_method(rec, "fail", original)
    assert info.value is original
    caught = bridgetest.catch(lambda: rec.fail(original))
    assert caught is original


def test_cpython_exception_classes_are_mirrored():
    cjson = bridgetest.import_("json")
    with pytest.raises(ValueError) as info:
        cjson.loads("[")
    e = info.value
    assert type(e).__name__ == "JSONDecodeError"
    assert type(e).__module__ == "json.decoder"
    assert e.pos == 1
    notes = "".join(getattr(e, "__notes__", []))
    assert "embedded CPython" in notes and "json" in notes
    with pytest.raises(type(e)):
        cjson.loads("{")


def test_package_context():
    sys.path.insert(0, BUILD)
    try:
        import bridgepkg
        import bridgepkg.helpers
    finally:
        sys.path.remove(BUILD)
    assert bridgepkg.shout("hi") == "HI!"
    assert bridgepkg.helpers.RUNS_ON == "rustpython"
    assert sys.modules["bridgepkg._speedups"].__name__ == "bridgepkg._speedups"


def test_two_rustpython_threads_call_a_bridged_function_at_once():
    # Each thread's callback waits for the other thread's: both are inside
    # bridgetest.call_n at the same time, which works only because the GIL
    # is released while RustPython code runs in a callback.
    rounds = 50
    barrier = threading.Barrier(2, timeout=120)
    results, errors = {}, []

    def worker(name):
        try:
            def callback(i):
                barrier.wait()
                return bridgetest.twice(i)
            results[name] = bridgetest.call_n(callback, rounds)
            results[name + "-plain"] = sum(bridgetest.twice(i) for i in range(500))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    expected = 2 * sum(range(rounds))
    assert results == {"a": expected, "b": expected, "a-plain": 249500, "b-plain": 249500}


def test_proxies_release_their_targets():
    obj = Recorder()
    ref = weakref.ref(obj)
    bridgetest.keep(obj)
    del obj
    gc.collect()
    assert ref() is not None
    bridgetest.drop_kept()
    gc.collect()
    assert ref() is None
    cweakref = bridgetest.import_("weakref")
    ordered = bridgetest.import_("collections").OrderedDict()
    cref = cweakref.ref(ordered)
    assert cref() is ordered
    del ordered
    gc.collect()
    assert cref() is None


def run_isolated(source, **env):
    """Runs `source` in a new lichen-rustpython; its output."""
    full = dict(os.environ, **env)
    r = subprocess.run([sys.executable, "-c", source], env=full, capture_output=True, text=True)
    return r.stdout + r.stderr


def test_an_extension_for_another_cpython_gives_import_error(tmp_path):
    with open(os.path.join(BUILD, "bridgetest" + SUFFIX), "rb") as f:
        data = f.read()
    path = tmp_path / "oldver.cpython-310-x86_64-linux-gnu.so"
    path.write_bytes(data)
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ImportError) as info:
            import oldver  # noqa: F401
    finally:
        sys.path.remove(str(tmp_path))
    assert str(path) in str(info.value) and "CPython 3.10" in str(info.value)


def test_a_failing_initialisation_gives_import_error():
    with pytest.raises(ImportError) as info:
        import badinit  # noqa: F401
    message = str(info.value)
    assert "badinit" + SUFFIX in message and "badinit fails on purpose" in message
    assert isinstance(info.value.__cause__, RuntimeError)
    assert bridgetest.twice(2) == 4


def test_a_file_that_is_no_library_gives_import_error(tmp_path):
    (tmp_path / ("junk" + SUFFIX)).write_text("not a library")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ImportError) as info:
            import junk  # noqa: F401
    finally:
        sys.path.remove(str(tmp_path))
    assert "junk" + SUFFIX in str(info.value)


def test_a_missing_libpython_gives_import_error():
    out = run_isolated(
        "try:\n    import bridgetest\nexcept ImportError as e:\n    print('ImportError:', e)\nprint('alive')\n",
        LICHEN_LIBPYTHON="/nonexistent/libpython3.11.so.1.0")
    assert "ImportError: " in out and "bridgetest" + SUFFIX in out
    assert "/nonexistent/libpython3.11.so.1.0" in out and "alive" in out


def test_a_libpython_of_another_version_gives_import_error():
    other = [p for p in ("/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0",
                         "/usr/lib/x86_64-linux-gnu/libpython3.12.so.1.0") if os.path.exists(p)]
    if not other:
        pytest.skip("no libpython3.12 on this machine")
    out = run_isolated(
        "try:\n    import bridgetest\nexcept ImportError as e:\n    print('ImportError:', e)\nprint('alive')\n",
        LICHEN_LIBPYTHON=other[0])
    assert "ImportError: " in out and "is CPython 3.12" in out and "alive" in out
