//! The import machinery of lichen-rustpython, in an interpreter made the
//! way the binary makes it (without needing a compiled extension).

mod common;

/// Runs `source` with Lichen's finder installed and returns `result`, a
/// global the source sets, as text.
fn run(source: &str) -> String {
    common::run(source.to_owned(), false)
}

#[test]
fn the_finder_comes_before_the_path_finder() {
    let out = run("import sys\n\
                   names = [getattr(f, '__name__', '') for f in sys.meta_path]\n\
                   result = names.index('LichenFinder') < names.index('PathFinder')\n");
    assert_eq!(out, "True");
}

#[test]
fn a_missing_extension_is_not_found() {
    let out = run("try:\n    import no_such_hpy_extension\n    result = 'imported'\n\
                   except ModuleNotFoundError as e:\n    result = e.name\n");
    assert_eq!(out, "no_such_hpy_extension");
}

#[test]
fn loading_a_file_that_is_no_library_raises_import_error() {
    let out = run("import _lichen, tempfile, os\n\
                   d = tempfile.mkdtemp()\n\
                   p = os.path.join(d, 'fake.hpy0.so')\n\
                   open(p, 'w').write('not a library')\n\
                   try:\n    _lichen.load('fake', p, None)\n    result = 'loaded'\n\
                   except ImportError as e:\n    result = type(e).__name__ + ': ' + str('fake.hpy0.so' in str(e))\n");
    assert_eq!(out, "ImportError: True");
}

#[test]
fn the_finder_finds_extension_files_on_sys_path() {
    let out = run("import sys, tempfile, os, importlib.util\n\
                   d = tempfile.mkdtemp()\n\
                   open(os.path.join(d, 'found.hpy0.so'), 'w').close()\n\
                   sys.path.insert(0, d)\n\
                   spec = importlib.util.find_spec('found')\n\
                   result = (type(spec.loader).__name__, os.path.basename(spec.origin))\n");
    assert_eq!(out, "('LichenLoader', 'found.hpy0.so')");
}

#[test]
fn an_unknown_mode_raises_value_error() {
    let out = run("import _lichen\n\
                   try:\n    _lichen.load('fake', '/nonexistent/fake.hpy0.so', None, 7)\n    result = 'loaded'\n\
                   except ValueError as e:\n    result = str(e)\n");
    assert_eq!(out, "invalid HPy mode: 7");
}

#[test]
fn the_debug_and_trace_modules_answer_before_any_extension_is_loaded() {
    let out = run("import _lichen_debug, _lichen_trace\n\
                   g = _lichen_debug.new_generation()\n\
                   counts = _lichen_trace.get_call_counts()\n\
                   result = (_lichen_debug.get_open_handles(g), len(counts) > 170, counts['ctx_Add'])\n");
    assert_eq!(out, "([], True, 0)");
}
