# cx_text: bytes and str through the context.
import sys
import cx_text as m
from check import raises

# HPy's debug mode (HPY=debug) treats some wrong argument types as a fatal
# misuse; the universal mode raises TypeError for them, checked elsewhere.
DEBUG_MODE = __import__("os").environ.get("HPY") == "debug"


for b in (b"", b"abc", b"a\0b\xff", bytes(range(256))):
    assert m.bytes_info(b) == (len(b), len(b), b, b)
raises(TypeError, m.bytes_info, "abc")
assert m.c_string(b"ab\0cd") == b"ab" and m.c_string(b"xyz") == b"xyz"
assert m.is_bytes(b"") and not m.is_bytes(bytearray()) and not m.is_bytes("s")
assert m.is_str("") and not m.is_str(b"") and m.is_str(type("S", (str,), {})("x"))
print("bytes", m.bytes_info(b"hi\0!"), m.c_string(b"one\0two"))

assert m.from_utf8("héllo €".encode()) == "héllo €"
assert m.from_utf8(b"cut\0here") == "cut"
raises(UnicodeDecodeError, m.from_utf8, b"\xff\xfe")
print("from_utf8", m.from_utf8("ça".encode()))

assert m.encode("abc", "ascii") == b"abc"
assert m.encode("café", "latin1") == b"caf\xe9"
assert m.encode("café €", "utf8") == "café €".encode()
raises(UnicodeEncodeError, m.encode, "café", "ascii")
raises(UnicodeEncodeError, m.encode, "€", "latin1")
raises(TypeError, m.encode, b"abc", "utf8")
print("encode", m.encode("é", "latin1"), m.encode("é", "utf8"))

for s in ("", "plain", "ünïcödé", "emoji \U0001f600"):
    assert m.utf8_and_size(s) == (len(s.encode()), s.encode())
    assert m.via_wchar(s) == s
raises(TypeError, m.utf8_and_size, 5)
print("utf8_and_size", m.utf8_and_size("ñ"), m.via_wchar("wide ✓"))

s = "aé€\U0001f600"
assert [m.read_char(s, i) for i in range(4)] == [ord(c) for c in s]
assert m.from_code_points([104, 0x1F600, 0xE9, 0xD800]) == "h\U0001f600\xe9\ud800"
raises(ValueError, m.from_code_points, [0x110000])
raises(ValueError, m.from_code_points, [-1])
raises(IndexError, m.read_char, s, 4)
raises(TypeError, m.read_char, b"ab", 0)
print("read_char", [hex(m.read_char(s, i)) for i in range(4)])

assert sys.getfilesystemencoding() == "utf-8"
assert m.fs_decode("päth/to".encode()) == "päth/to"
assert m.fs_decode(b"abcdef", 3) == "abc"
assert m.fs_encode("päth") == "päth".encode()
raises(TypeError, m.fs_encode, 1)
raises(ValueError, m.fs_decode, b"ab", 5)
print("fs", m.fs_decode(b"dir/file"), m.fs_encode("x/y"))

assert m.decode(b"abc", "ascii", None) == "abc"
assert m.decode(b"caf\xe9", "latin1", None) == "café"
raises(UnicodeDecodeError, m.decode, b"caf\xe9", "ascii", None)
assert m.decode(b"caf\xe9", "ascii", "replace") == "caf\ufffd"
assert m.decode(b"caf\xe9", "ascii", "ignore") == "caf"
print("decode", m.decode(bytes(range(250, 256)), "latin1", None))

assert m.from_encoded(b"caf\xc3\xa9", None, None) == "café"
assert m.from_encoded(b"caf\xe9", "latin-1", None) == "café"
assert m.from_encoded(b"caf\xe9", "utf-8", "replace") == "caf\ufffd"
assert m.from_encoded(bytearray(b"xy"), "ascii", "strict") == "xy"
raises(UnicodeDecodeError, m.from_encoded, b"\xff", "utf-8", "strict")
raises(TypeError, m.from_encoded, "already str", None, None)
raises(TypeError, m.from_encoded, 5, None, None)
raises(LookupError, m.from_encoded, b"x", "no-such-codec", None)
print("from_encoded", m.from_encoded(b"\xe9t\xe9", "latin-1", None))

t = "0123456789"
assert m.substring(t, 2, 5) == "234" and m.substring(t, 0, 100) == t
assert m.substring("héllo", 1, 3) == "él" and m.substring(t, 5, 2) == ""
raises(IndexError, m.substring, t, -1, 2)
if not DEBUG_MODE:  # debug mode aborts on a non-type/non-str argument, as HPy's does
    raises(TypeError, m.substring, b"abc", 0, 1)
# subclasses of str and bytes, and other buffers
S = type("S", (str,), {})
B = type("B", (bytes,), {})
assert m.bytes_info(B(b"ab")) == (2, 2, b"ab", b"ab") and m.is_bytes(B())
raises(TypeError, m.bytes_info, bytearray(b"ab"))
assert m.encode(S("x"), "utf8") == b"x" and m.utf8_and_size(S("é")) == (2, b"\xc3\xa9")
assert m.read_char(S("ab"), 1) == 98 and type(m.substring(S("abc"), 0, 2)) is str
assert m.from_encoded(memoryview(b"ab"), None, None) == "ab"
assert m.from_encoded(bytearray(b"\xc3\xa9"), "utf-8", None) == "é"
assert m.decode(b"a\x80b", "ascii", "backslashreplace") == "a\\x80b"
print("substring", m.substring("abcdef", 1, 4))
