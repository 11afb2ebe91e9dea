"""pytest plugin for the package suites on lichen-rustpython (`-p
rp_workarounds`, loaded by tests/bridge/run.py): works around RustPython
0.5's `str.encode("unicode_escape")`, which raises IndexError on some
strings holding lone surrogates (ujson's parametrized tests), where pytest
makes the ids of parametrized tests. The id is spelled as pytest spells it
on CPython; the tests themselves are untouched."""


def _escape(s):
    out = []
    for ch in s:
        n = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch in "\t\n\r":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch])
        elif 0x20 <= n < 0x7F:
            out.append(ch)
        elif n < 0x100:
            out.append("\\x%02x" % n)
        elif n < 0x10000:
            out.append("\\u%04x" % n)
        else:
            out.append("\\U%08x" % n)
    return "".join(out)


def pytest_make_parametrize_id(config, val, argname):
    if isinstance(val, str):
        return _escape(val)
    return None
