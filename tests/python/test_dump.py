"""``_HPy_Dump``: the C-API function behind it changed name in CPython 3.15
(``_PyObject_Dump`` became ``PyObject_Dump``; see
crates/lichen-cpython/src/version.rs). It writes CPython's description of
the object to the process's standard error."""
import lichen.universal

from conftest import spec_for


def test_dump_describes_the_object(build, capfd):
    path = build("dump.c", "dump.hpy0.so", hpy=True)
    module = lichen.universal.load("dump", path, spec_for("dump", path))
    capfd.readouterr()
    assert module.dump("hello lichen") is None
    err = capfd.readouterr().err
    assert "object type name: str" in err, err
    assert "object repr     : 'hello lichen'" in err, err
