"""Bad input to the loader: each case raises a precise Python exception that
names the file and the problem, and the interpreter carries on (every test
ends by loading a good extension in the same process).

Every case runs through ``lichen.universal.load`` and through
``hpy.universal.load`` (which is Lichen's once ``python -m lichen provide``
has been run, as ``make venvs`` does).
"""
import importlib
import re

import pytest

from conftest import spec_for

MODULE_NAMES = ["lichen.universal", "hpy.universal"]


@pytest.fixture(params=MODULE_NAMES)
def universal(request):
    module = importlib.import_module(request.param)
    assert module.__name__ == "lichen.universal", (
        "%s is not served by Lichen here; run `python -m lichen provide`" % request.param
    )
    return module


def load(universal, name, path, **kwargs):
    return universal.load(name, path, spec_for(name, path), **kwargs)


def assert_still_works(universal, build):
    """The process survived the error and the loader still loads modules."""
    # its own file name: a path that was dlopen'ed before would give the
    # library already mapped under that name
    path = build("moddef.c", "good-moddef.hpy0.so", ["CASE=0"], hpy=True)
    module = load(universal, "moddef", path)
    assert module.__doc__ == "a good module"
    assert module.__name__ == "moddef"


def raises(exc, *fragments):
    """pytest.raises(exc) whose message must contain every fragment, in order."""
    return pytest.raises(exc, match=".*".join(re.escape(f) for f in fragments))


# --- files that are not HPy extensions -------------------------------------

def test_not_a_shared_library(universal, build):
    path = build.text_file("garbage.hpy0.so", "this is not an ELF file\n")
    with raises(ImportError, "Error during loading of the HPy extension module at path '%s'" % path) as info:
        load(universal, "garbage", path)
    assert "invalid ELF header" in str(info.value) or "file too short" in str(info.value)
    assert_still_works(universal, build)


def test_missing_file(universal, build, tmp_path):
    path = str(tmp_path / "absent.hpy0.so")
    with raises(ImportError, path, "No such file or directory"):
        load(universal, "absent", path)
    assert_still_works(universal, build)


def test_library_without_hpy_symbols(universal, build):
    path = build("nothing.c", "nothing.hpy0.so")
    with raises(ImportError, path, "get_required_hpy_major_version_nothing"):
        load(universal, "nothing", path)
    assert_still_works(universal, build)


def test_library_without_init_function(universal, build):
    path = build("versions.c", "noinit.hpy0.so", ["NAME=noinit", "MAJOR=0", "MINOR=0", "NO_INIT"])
    with raises(ImportError, path, "HPyInit_noinit"):
        load(universal, "noinit", path)
    assert_still_works(universal, build)


def test_module_name_mismatch(universal, build):
    # built as `foo`, loaded as `bar`: none of bar's symbols exist
    path = build("versions.c", "foo.hpy0.so", ["NAME=foo", "MAJOR=0", "MINOR=0"])
    with raises(ImportError, path, "get_required_hpy_major_version_bar"):
        load(universal, "bar", path)
    assert_still_works(universal, build)


def test_dotted_name_uses_last_component(universal, build):
    path = build("moddef.c", "moddef.hpy0.so", ["CASE=0"], hpy=True)
    module = load(universal, "pkg.sub.moddef", path)
    assert module.__name__ == "pkg.sub.moddef"


# --- ABI versions ------------------------------------------------------------

@pytest.mark.parametrize("major, minor", [(1, 0), (999, 0), (0, 1), (0, 7)])
def test_abi_version_mismatch(universal, build, major, minor):
    path = build("versions.c", "abi.hpy0.so", ["NAME=abi", "MAJOR=%d" % major, "MINOR=%d" % minor])
    with pytest.raises(RuntimeError) as info:
        load(universal, "abi", path)
    # HPy's exact message (its own test suite compares it)
    assert str(info.value) == (
        "HPy extension module 'abi' requires unsupported version of the HPy runtime. "
        "Requested version: %d.%d. Current HPy version: 0.0." % (major, minor)
    )
    assert_still_works(universal, build)


def test_abi_tag_mismatch(universal, build):
    path = build("versions.c", "abi.hpy7.so", ["NAME=abi", "MAJOR=0", "MINOR=0"])
    with pytest.raises(RuntimeError) as info:
        load(universal, "abi", path)
    assert str(info.value) == (
        "HPy extension module 'abi' at path '%s': mismatch between the HPy ABI tag encoded "
        "in the filename and the major version requested by the HPy extension itself. Major "
        "version tag parsed from filename: 7. Requested version: 0.0." % path
    )
    assert_still_works(universal, build)


def test_abi_tag_missing(universal, build):
    path = build("versions.c", "abi.so", ["NAME=abi", "MAJOR=0", "MINOR=0"])
    with pytest.raises(RuntimeError) as info:
        load(universal, "abi", path)
    assert str(info.value) == (
        "HPy extension module 'abi' at path '%s': could not find HPy ABI tag encoded in the "
        "filename. The extension claims to be compiled with HPy ABI version: 0.0." % path
    )
    assert_still_works(universal, build)


# --- module definitions --------------------------------------------------------

def test_init_returns_null(universal, build):
    path = build("versions.c", "nulldef.hpy0.so", ["NAME=nulldef", "MAJOR=0", "MINOR=0", "NULL_DEF"])
    with raises(SystemError, path, "HPyInit_nulldef returned NULL"):
        load(universal, "nulldef", path)
    assert_still_works(universal, build)


BAD_DEFS = [
    (1, SystemError, "HPy does not permit HPyModuleDef.size < 0"),
    (2, SystemError, "Module state is not supported yet in HPy"),
    (3, SystemError, "Invalid HPyDef kind 99 in HPyModuleDef.defines"),
    (4, ValueError, "Unsupported HPyMeth signature"),
    (5, SystemError, "Unsupported slot in HPyModuleDef.defines"),
    (6, SystemError, "HPyModuleDef defines a HPy_mod_create slot and some other slots or methods"),
    (7, SystemError, "Multiple definitions of the HPy_mod_create slot"),
    (8, SystemError, "HPyDef_METH in HPyModuleDef.defines has a NULL name"),
    (9, SystemError, "HPyDef_METH 'g' in HPyModuleDef.defines has a NULL cpy_trampoline"),
]


@pytest.mark.parametrize("case, exc, message", BAD_DEFS,
                         ids=["negative_size", "state_size", "bad_kind", "bad_signature",
                              "type_slot", "create_and_method", "two_creates", "null_name",
                              "null_trampoline"])
def test_malformed_module_def(universal, build, case, exc, message):
    path = build("moddef.c", "moddef.hpy0.so", ["CASE=%d" % case], hpy=True)
    with raises(exc, message):
        load(universal, "moddef", path)
    assert_still_works(universal, build)


# --- modes ---------------------------------------------------------------------

@pytest.mark.parametrize("mode", [3, 99, 12345])
def test_bad_mode_value(universal, build, mode):
    path = build("moddef.c", "moddef.hpy0.so", ["CASE=0"], hpy=True)
    with raises(ValueError, "invalid HPy mode: %d" % mode):
        load(universal, "moddef", path, mode=mode)
    assert_still_works(universal, build)


def test_mode_constants(universal):
    assert (universal.MODE_UNIVERSAL, universal.MODE_DEBUG, universal.MODE_TRACE) == (0, 1, 2)


@pytest.mark.parametrize("value", ["fast", "moddef:fast", "moddef:"])
def test_bad_mode_in_environment(universal, build, value):
    path = build("moddef.c", "moddef.hpy0.so", ["CASE=0"], hpy=True)
    spec = spec_for("moddef", path)
    with raises(ValueError, "invalid HPy mode: %s" % value):
        universal._load_bootstrap("moddef", "moddef", None, path, None, spec, {"HPY": value})
    assert_still_works(universal, build)


def test_load_bootstrap_sets_module_attributes(universal, build):
    path = build("moddef.c", "moddef.hpy0.so", ["CASE=0"], hpy=True)
    spec = spec_for("pkg.moddef", path)
    loader = object()
    module = universal._load_bootstrap("moddef", "pkg.moddef", "pkg", path, loader, spec, {})
    assert module.__name__ == "pkg.moddef"
    assert module.__file__ == path
    assert module.__package__ == "pkg"
    assert module.__loader__ is loader
    assert module.__spec__ is spec


def test_load_bootstrap_other_module_mode_is_ignored(universal, build):
    path = build("moddef.c", "moddef.hpy0.so", ["CASE=0"], hpy=True)
    spec = spec_for("moddef", path)
    module = universal._load_bootstrap("moddef", "moddef", None, path, None, spec,
                                       {"HPY": "other:trace"})
    assert module.__doc__ == "a good module"
