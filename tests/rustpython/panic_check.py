"""The panic barrier on RustPython (run with LICHEN_SELFTEST_PANIC=Add, see
crates/lichen-core/src/guard.rs): the context function HPy_Add panics on
every call; rphost.twice, which calls it, must raise SystemError naming it,
and the interpreter and the extension must go on working."""
import rphost

try:
    rphost.twice(21)
except SystemError as e:
    expected = ("HPy context function 'Add' panicked in Lichen (a bug in Lichen): "
                "LICHEN_SELFTEST_PANIC=Add: the self-test panic")
    assert str(e) == expected, str(e)
else:
    raise AssertionError("no SystemError from a panicking HPy_Add")
assert rphost.hello() == "hello from HPy", rphost.hello()
print("panic barrier: ok")
