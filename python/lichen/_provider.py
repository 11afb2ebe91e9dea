"""Serving ``hpy.universal`` from Lichen.

``install()`` puts a finder in front of ``sys.meta_path`` that answers the
import of ``hpy.universal`` with ``lichen.universal``; everything else in the
``hpy`` package (``hpy.devel``, ``hpy.debug``) stays HPy's own. A ``.pth``
file calls it at interpreter start-up once ``python -m lichen provide`` has
been run (on PyPy, Lichen's wheel installs it).

On PyPy, HPy's own distribution cannot be installed and PyPy bundles an
older ``hpy`` package; Lichen's wheel carries HPy 0.9.0's Python surface
(``lichen/_hpy/hpy``: ``hpy.devel``, ``hpy.debug``, ``hpy.trace``, from
HPy's sdist), and the finder answers ``import hpy`` with it.
"""

import importlib.abc
import importlib.util
import os
import sys
import sysconfig

PTH_NAME = "lichen-hpy-universal.pth"
PTH_LINE = "import lichen._provider as p; p.install()\n"
TARGET = "hpy.universal"
SURFACE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_hpy", "hpy")


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        import lichen.universal

        return lichen.universal

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == "hpy" and os.path.isdir(SURFACE):
            return importlib.util.spec_from_file_location(
                "hpy", os.path.join(SURFACE, "__init__.py"), submodule_search_locations=[SURFACE]
            )
        if fullname != TARGET:
            return None
        import lichen.universal

        return importlib.util.spec_from_loader(
            fullname, _Loader(), origin=lichen.universal.__file__
        )


def install():
    """Make ``import hpy.universal`` give ``lichen.universal`` in this process."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    if sys.implementation.name == "pypy":
        from lichen._pypy import importer

        importer.install()
    if TARGET in sys.modules and not _is_lichen(sys.modules[TARGET]):
        raise ImportError(
            "hpy.universal was imported before Lichen could provide it; "
            "call lichen._provider.install() earlier"
        )


def _is_lichen(module):
    return getattr(module, "__name__", "") == "lichen.universal"


def pth_path():
    return os.path.join(sysconfig.get_paths()["purelib"], PTH_NAME)


def enable():
    path = pth_path()
    with open(path, "w") as f:
        f.write(PTH_LINE)
    return path


def disable():
    path = pth_path()
    if os.path.exists(path):
        os.remove(path)
        return path
    return None


def is_enabled():
    return os.path.exists(pth_path())


__all__ = ["install", "enable", "disable", "is_enabled"]
