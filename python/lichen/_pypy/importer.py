"""Loading ``name.hpy0.so`` through importlib on PyPy.

``importlib.util.spec_from_file_location`` picks a file's loader by its
suffix, and PyPy lists only ``.pypy39-pp73-...so`` as an extension suffix:
a spec for ``name.hpy0.so`` (what HPy's test support passes to
``hpy.universal.load``, and what tools build to import a file) would be
None. Lichen's loader joins importlib's list of file loaders for the HPy
suffixes.
"""

import importlib._bootstrap_external as _external

SUFFIXES = [".hpy0.so", ".hpy.so"]


class LichenLoader(object):
    """Loads a universal HPy extension through Lichen; ``name`` and ``path``
    as on importlib's file loaders."""

    def __init__(self, name, path):
        self.name = name
        self.path = path

    def get_filename(self, fullname=None):
        return self.path

    def create_module(self, spec):
        from lichen.universal import load

        return load(spec.name, self.path, spec)

    def exec_module(self, module):
        pass


def _with_lichen(original):
    def _get_supported_file_loaders():
        return [(LichenLoader, list(SUFFIXES))] + original()

    _get_supported_file_loaders._lichen_original = original
    return _get_supported_file_loaders


def install():
    if not hasattr(_external._get_supported_file_loaders, "_lichen_original"):
        _external._get_supported_file_loaders = _with_lichen(_external._get_supported_file_loaders)
