# cx_containers: lists, dicts, tuples, builders and trackers.
import cx_containers as m
from check import raises


class MyList(list):
    pass


class MyDict(dict):
    pass


assert m.kinds([]) == (True, False, False) and m.kinds(MyList()) == (True, False, False)
assert m.kinds({}) == (False, True, False) and m.kinds(MyDict()) == (False, True, False)
assert m.kinds(()) == (False, False, True) and m.kinds("s") == (False, False, False)
print("kinds", m.kinds([1]), m.kinds({1: 2}), m.kinds((1,)))

assert m.appended("abc") == ["a", "b", "c"] and m.appended(()) == []
assert m.appended(range(3)) == [0, 1, 2]
raises(TypeError, m.appended, 5)
assert m.squares(5) == [0, 1, 4, 9, 16] and m.squares(0) == []
raises(SystemError, m.squares, -1)  # a negative size is a bad internal call
print("lists", m.appended((1, "two", None)), m.squares(4))

d = {"one": 1, "two": 2}
assert m.inverted(d) == {1: "one", 2: "two"}
assert sorted(m.keys(d)) == ["one", "two"] and type(m.keys(d)) is list
raises(SystemError, m.keys, [1])  # as PyDict_Keys: a bad internal call
c = m.copy_with(d, "three", 3)
assert c == {"one": 1, "two": 2, "three": 3} and d == {"one": 1, "two": 2} and c is not d
raises(SystemError, m.copy_with, [], 0, 0)
raises(TypeError, m.copy_with, d, [], 0)
D = type("D", (dict,), {})
assert type(m.copy_with(D(a=1), "b", 2)) is dict and m.keys(D(a=1)) == ["a"]
assert m.keys({"z": 1, "a": 2, "m": 3}) == ["z", "a", "m"]  # insertion order
raises(TypeError, m.inverted, {"a": []})
print("dicts", sorted(m.inverted({"a": "x", "b": "y"}).items()), sorted(c))

assert m.tuple_of() == () and m.tuple_of(1, "a", None) == (1, "a", None)
print("tuples", m.tuple_of(*range(5)))

assert m.build_list("xyz") == ["x", "y", "z"] and m.build_list([]) == []
assert m.build_tuple(range(4)) == (0, 1, 2, 3) and m.build_tuple("") == ()
assert type(m.build_list((1,))) is list and type(m.build_tuple([1])) is tuple
raises(IndexError, m.build_list, "abcd", 2)
raises(IndexError, m.build_tuple, "abcd", 0)
raises(TypeError, m.build_list, 5)
big = list(range(1000))
assert m.build_list(big) == big and m.build_tuple(big) == tuple(big)
print("builders", m.build_list("ab"), m.build_tuple("ab"))


class Boom:
    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("boom")
        return i


assert m.pairs("ab") == [(0, "a"), (1, "b")] and m.pairs([]) == []
raises(KeyError, m.pairs, Boom())
raises(KeyError, m.build_list, Boom())
assert m.strs([1, 2.5, None]) == ("1", "2.5", "None")
raises(KeyError, m.strs, Boom())
raises(ValueError, m.strs, range(17))
print("trackers", m.pairs((None, True)), m.strs(["x", 1]))
