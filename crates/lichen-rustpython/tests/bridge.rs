//! The bridge (crates/lichen-bridge) in an interpreter made the way the
//! binary makes it: CPython's own C extensions from the embedded CPython's
//! lib-dynload (audioop, xxlimited, _testmultiphase), which RustPython
//! lacks, imported through the finder. Needs the machine's libpython3.11
//! (`scripts/ensure-tools.sh libpython3.11`).

mod common;

/// Runs `source` after putting the embedded CPython's lib-dynload on
/// `sys.path` and returns `result` as text.
fn run(source: &str) -> String {
    common::run(
        format!(
            "import _lichen_bridge, os, sys\n\
             library, version, home = _lichen_bridge.embedded()\n\
             sys.path.append(os.path.join(home, 'lib', 'python3.11', 'lib-dynload'))\n{source}"
        ),
        true,
    )
}

#[test]
fn a_cpython_extension_imports_and_runs() {
    let out = run("import audioop\n\
                   result = (audioop.max(b'\\x01\\x00\\x05\\x00\\xfd\\xff', 2), audioop.__name__, _lichen_bridge.is_proxy(audioop))\n");
    assert_eq!(out, "(5, 'audioop', True)");
}

#[test]
fn objects_of_a_cpython_type_are_proxies_of_their_class() {
    let out = run("import xxlimited\n\
                   o = xxlimited.Xxo()\n\
                   o.attr = [1, 2]\n\
                   result = (type(o) is xxlimited.Xxo, isinstance(o, xxlimited.Xxo), o.attr, o.demo(o) is o)\n");
    assert_eq!(out, "(True, True, [1, 2], True)");
}

#[test]
fn a_cpython_exception_class_is_mirrored() {
    let out = run("import xxlimited\n\
                   try:\n    raise xxlimited.Error('boom')\n\
                   except Exception as e:\n    result = (type(e).__name__, type(e).__module__, str(e))\n");
    assert_eq!(out, "('Error', 'xxlimited', 'boom')");
}

#[test]
fn a_multi_phase_module_imported_again_is_a_new_module() {
    let out = run("import _testmultiphase as first\n\
                   del sys.modules['_testmultiphase']\n\
                   import _testmultiphase as second\n\
                   result = (first is second, first.Example is second.Example)\n");
    assert_eq!(out, "(False, False)");
}
