# Run by run.sh under lichen-rustpython (universal and debug mode): an HPy
# type whose base is a builtin other than object (int) with HPy_tp_new.
import rphost

r = rphost.Ranked(7)
assert isinstance(r, int) and type(r) is rphost.Ranked, type(r)
assert r == 0 and r.rank == 7, (r, r.rank)


class Sub(rphost.Ranked):
    pass


s = Sub(3)
assert type(s) is Sub and s.rank == 3 and s + 1 == 1
try:
    rphost.Ranked("x")
except TypeError:
    pass
else:
    raise AssertionError("Ranked('x') did not raise")
try:
    rphost.Ranked.__new__(int, 1)
except TypeError as e:
    assert str(e) == "rphost.Ranked.__new__(int): int is not a subtype of rphost.Ranked", str(e)
else:
    raise AssertionError("Ranked.__new__(int) did not raise")
print("builtin base ok")
