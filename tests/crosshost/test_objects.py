# cx_objects: attributes, items, identity, conversions, comparison, hashing.
import cx_objects as m
from check import raises

# HPy's debug mode (HPY=debug) treats some wrong argument types as a fatal
# misuse; the universal mode raises TypeError for them, checked elsewhere.
DEBUG_MODE = __import__("os").environ.get("HPY") == "debug"


class Thing:
    colour = "red"


t = Thing()
assert m.getattr2(t, "colour") == ("red", "red")
assert m.getattr2(3 + 4j, "imag") == (4.0, 4.0)
assert m.hasattr2(t, "colour") == (True, True)
assert m.hasattr2(t, "size") == (False, False)
raises(AttributeError, m.getattr2, t, "size")
m.setattr(t, "size", 10)
m.setattr_s(t, "weight", 2.5)
assert (t.size, t.weight) == (10, 2.5)
raises(AttributeError, m.setattr, object(), "x", 1)
raises(TypeError, m.setattr, t, 5, 1)
m.delattr(t, "size")
m.delattr_s(t, "weight")
assert not hasattr(t, "size") and not hasattr(t, "weight")
raises(AttributeError, m.delattr, t, "size")
raises(AttributeError, m.delattr_s, t, "weight")
t.size, t.weight = 10, 2.5
print("attributes", m.getattr2(t, "size"), m.getattr2(t, "weight"))

d = {"a": 1}
m.setitem(d, "b", 2)
m.setitem_s(d, "c", 3)
m.setitem_i(d, 7, "seven")
assert d == {"a": 1, "b": 2, "c": 3, 7: "seven"}
assert (m.getitem(d, "a"), m.getitem_s(d, "c"), m.getitem_i(d, 7)) == (1, 3, "seven")
m.delitem(d, "a")
m.delitem_s(d, "b")
m.delitem_i(d, 7)
assert d == {"c": 3}
raises(KeyError, m.getitem, d, "zz")
raises(KeyError, m.getitem_s, d, "zz")
raises(KeyError, m.delitem_s, d, "zz")
lst = [10, 20, 30]
assert m.getitem_i(lst, -1) == 30
m.setitem_i(lst, 0, 11)
m.delitem_i(lst, 1)
assert lst == [11, 30]
raises(IndexError, m.getitem_i, lst, 5)
raises(IndexError, m.delitem_i, lst, 5)
raises(TypeError, m.getitem, 5, 0)
assert m.contains(d, "c") and not m.contains(d, "a")
assert m.contains("hello", "ell") and m.contains([1, 2], 2)
raises(TypeError, m.contains, 3, 3)
print("items", sorted(d.items()), lst)

assert m.type_of(t) is Thing and m.type_of(1) is int and m.type_of(Thing) is type
assert m.isinstance(True, int) and not m.isinstance("x", int)
assert m.issubtype(bool, int) and not m.issubtype(int, bool)
if not DEBUG_MODE:  # debug mode aborts on a non-type/non-str argument, as HPy's does
    raises(TypeError, m.issubtype, 1, int)
assert m.type_name(int) == "int" and m.type_name(Thing) == "Thing"
assert m.type_name(__import__("collections").OrderedDict) == "OrderedDict"  # __name__, not the dotted name
if not DEBUG_MODE:
    raises(TypeError, m.type_name, 3)
assert m.same(t, t) == (True, True) and m.same(t, Thing()) == (False, True)
print("types", m.type_name(dict), m.same(None, None))

assert m.conversions("é") == ("'é'", "é", "'\\xe9'")
assert m.conversions([1, "a"]) == ("[1, 'a']", "[1, 'a']", "[1, 'a']")
assert m.to_bytes([104, 105]) == b"hi" and m.to_bytes(b"x") == b"x"
raises(TypeError, m.to_bytes, "text")
raises(TypeError, m.to_bytes, 3)
print("conversions", m.conversions(3.5), m.to_bytes(bytearray(b"ab")))

LT, LE, EQ, NE, GT, GE = range(6)
assert m.compare(1, 2, LT) is True and m.compare(2, 2, LE) is True
assert m.compare([1], [1], EQ) is True and m.compare("a", "b", NE) is True
assert m.compare(3, 2, GT) is True and m.compare(1, 2, GE) is False
assert m.compare({1}, {1, 2}, LT) is True
assert m.compare_bool(1, 1.0, EQ) and not m.compare_bool("a", "b", GT)
raises(TypeError, m.compare, 1, "a", LT)
raises(TypeError, m.compare_bool, 1, "a", GE)
print("compare", [m.compare(1, 2, op) for op in range(6)])

for x in (0, 7, -3, "text", b"raw", (1, "two"), 2.5, None, Thing):
    assert m.hash(x) == hash(x), x
raises(TypeError, m.hash, [])
assert m.hash(-1) == -2
print("hash", m.hash(12345), m.hash(-1))

assert [m.truth(x) for x in (0, 1, "", "a", [], [0], None)] == [False, True, False, True, False, True, False]
assert m.length("four") == 4 and m.length({1: 2}) == 1 and m.length(range(10)) == 10
raises(TypeError, m.length, 5)
assert m.kinds(len) == (True, False) and m.kinds(2) == (False, True)
assert m.kinds(Thing) == (True, False) and m.kinds("1") == (False, False)
assert m.kinds(2.0) == (False, True)
print("truth", m.truth([]), m.length([1, 2, 3]), m.kinds(print))

m.dump(("dumped", 1))
assert m.import_attr("math", "pi") == __import__("math").pi
assert m.import_attr("os.path", "join") is __import__("os").path.join
raises(ImportError, m.import_attr, "no_such_module_cx", "x")
assert m.builtin("len") is len and m.builtin("ValueError") is ValueError
raises(KeyError, m.builtin, "no_such_builtin")
print("import", m.import_attr("math", "e") > 2, m.builtin("abs")(-5))
