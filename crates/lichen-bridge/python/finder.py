# Run on RustPython ahead of the code of each module that puts a finder of
# extension files on sys.meta_path: Lichen's finder of HPy extensions
# (lichen-rustpython's loader.rs) and the bridge's finder of CPython
# extensions (rpside.py).


class ExtensionLoader:
    # `name` and `path` as on importlib's file loaders (CPython's
    # ExtensionFileLoader), which code and HPy's tests read from
    # `module.__loader__`. A subclass's `create_module` loads the file;
    # nothing is left to do then.
    def __init__(self, name, path):
        self.name = name
        self.path = path

    def get_filename(self, fullname=None):
        return self.path

    def exec_module(self, module):
        pass


def find_file_spec(fullname, path, loader_in):
    """The spec of module `fullname` with the loader `loader_in(directory,
    short)` gives for the first entry of the search path (`path`, or
    sys.path when None) where it gives one; `short` is the last part of the
    module's name."""
    import sys
    from importlib.machinery import ModuleSpec
    short = fullname.rpartition('.')[2]
    for entry in (sys.path if path is None else path):
        if not isinstance(entry, str):
            continue
        loader = loader_in(entry or '.', short)
        if loader is not None:
            spec = ModuleSpec(fullname, loader, origin=loader.path)
            spec.has_location = True
            return spec
    return None


def install_finder(finder, loader, suffixes, marker):
    """Puts `finder` on sys.meta_path, before the path finder, and `loader`
    for `suffixes` among importlib's file loaders (from which
    importlib.util.spec_from_file_location picks a file's loader by its
    suffix), each once: `marker` names the attribute that marks the loader
    list as extended. Returns whether `finder` was not there yet."""
    import sys
    from importlib.machinery import PathFinder
    import importlib._bootstrap_external as external
    original = external._get_supported_file_loaders
    if not hasattr(original, marker):
        def _get_supported_file_loaders():
            return [(loader, list(suffixes))] + original()
        setattr(_get_supported_file_loaders, marker, original)
        external._get_supported_file_loaders = _get_supported_file_loaders
    if any(f is finder for f in sys.meta_path):
        return False
    try:
        at = sys.meta_path.index(PathFinder)
    except ValueError:
        at = len(sys.meta_path)
    sys.meta_path.insert(at, finder)
    return True
