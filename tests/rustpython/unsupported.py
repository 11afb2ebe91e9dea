# Run by run.sh under lichen-rustpython: what RustPython cannot do (the
# CPython C API of hybrid extensions) raises an exception naming the context
# function, instead of crashing.
import rphost


def error(f, *args):
    try:
        f(*args)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return "no error"


no_c_api = ": the RustPython host has no CPython C API, so hybrid (legacy) HPy functions cannot be used"
assert error(rphost.unsupported, 0) == "SystemError: HPy_AsPyObject" + no_c_api, error(rphost.unsupported, 0)
assert error(rphost.unsupported, 1) == "SystemError: HPy_FromPyObject" + no_c_api, error(rphost.unsupported, 1)
assert error(rphost.unsupported, 2) == (
    "SystemError: HPyType_FromSpec: legacy slots (CPython C API) cannot be used on the RustPython host"
), error(rphost.unsupported, 2)
assert rphost.unsupported(3) is None
print("unsupported ok")
