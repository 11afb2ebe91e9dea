"""Builds ``lichen._lichen_pypy``, the cffi module (API mode) that PyPy
imports: Lichen's PyPy host, a Rust static library, linked with the C code
cffi generates for the entries of ``lichen_pypy.h`` and the ``extern
"Python"`` callbacks of ``callbacks.def``.

Both files live in ``crates/lichen-pypy``; this module reads them, so the
list of callbacks is written once (``build.rs`` reads the same file for
the Rust side)::

    pypy3 -m lichen._pypy.build --crate crates/lichen-pypy \\
        --staticlib target/release/liblichen_pypy.a --out DIR
"""

import argparse
import os
import re

MODULE = "lichen._lichen_pypy"

# The value a callback returns when its Python code raised, by C return
# type (see callbacks.def).
ERROR_VALUES = {
    "lh": 0,
    "int": -1,
    "intptr_t": -1,
    "int64_t": -1,
    "uint64_t": 2**64 - 1,
    "uint32_t": 2**32 - 1,
    "double": -1.0,
}

_DECL = re.compile(r"^(?P<ret>.*?)\b(?P<name>\w+)\((?P<args>.*)\);$")


class Callback:
    def __init__(self, line):
        m = _DECL.match(line)
        if m is None:
            raise ValueError("callbacks.def: cannot read %r" % line)
        self.ret = m.group("ret").strip()
        self.name = m.group("name")
        self.args = m.group("args")

    @property
    def c_name(self):
        return "lichen_py_" + self.name

    def prototype(self):
        return "%s %s(%s)" % (self.ret, self.c_name, self.args)

    def error_value(self):
        """The ``error=`` of its ``@ffi.def_extern``, or None (void and
        pointer results need none: cffi returns NULL/nothing)."""
        return ERROR_VALUES.get(self.ret)


def read_callbacks_text(crate):
    with open(os.path.join(crate, "callbacks.def")) as f:
        return f.read()


def parse_callbacks(text):
    """The callbacks of callbacks.def's text (a `# note` after one ignored)."""
    lines = [l.split("#", 1)[0].strip() if not l.strip().startswith("#") else "" for l in text.splitlines()]
    return [Callback(l) for l in lines if l]


def read_callbacks(crate):
    return parse_callbacks(read_callbacks_text(crate))


def c_string(text):
    """``text`` as a C string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join('"%s\\n"' % line for line in escaped.splitlines())


def read_header(crate):
    with open(os.path.join(crate, "lichen_pypy.h")) as f:
        return f.read()


def cdef_text(crate):
    """The cdef: the header, the callbacks as ``extern "Python"``, and the
    function that hands their table to Lichen."""
    callbacks = read_callbacks(crate)
    lines = [read_header(crate), "int lichen_install(void);", "const char *lichen_callbacks_def(void);"]
    lines += ['extern "Python" %s;' % cb.prototype() for cb in callbacks]
    return "\n".join(lines)


def c_source(crate):
    """The C code compiled into the module: the header, and the table of
    callback addresses, in the order of callbacks.def."""
    callbacks = read_callbacks(crate)
    out = ["#include <stdint.h>", read_header(crate)]
    out += ["static %s;" % cb.prototype() for cb in callbacks]
    out.append("static void *const lichen_callback_table[] = {")
    out += ["    (void *)%s," % cb.c_name for cb in callbacks]
    out.append("};")
    text = read_callbacks_text(crate)
    out.append("const char *lichen_callbacks_def(void) {\n    return %s;\n}" % c_string(text))
    out.append(
        "int lichen_install(void) {\n"
        "    return lichen_init(lichen_callback_table,\n"
        "        (intptr_t)(sizeof lichen_callback_table / sizeof lichen_callback_table[0]));\n"
        "}"
    )
    return "\n".join(out)


def make_ffi(crate, staticlib):
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(cdef_text(crate))
    ffi.set_source(
        MODULE,
        c_source(crate),
        extra_objects=[staticlib],
        libraries=["dl", "pthread", "m"],
        extra_compile_args=["-O2"],
    )
    return ffi


def build(crate, staticlib, out_dir):
    """Compiles the module into ``out_dir``; returns the file's path."""
    ffi = make_ffi(crate, staticlib)
    tmp = os.path.join(out_dir, "cffi-build")
    os.makedirs(tmp, exist_ok=True)
    path = ffi.compile(tmpdir=tmp, verbose=False)
    return path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--crate", required=True, help="the crates/lichen-pypy folder")
    p.add_argument("--staticlib", required=True, help="liblichen_pypy.a")
    p.add_argument("--out", required=True, help="where to build")
    args = p.parse_args(argv)
    print(build(os.path.abspath(args.crate), os.path.abspath(args.staticlib), os.path.abspath(args.out)))


if __name__ == "__main__":
    main()
