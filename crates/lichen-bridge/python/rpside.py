# The bridge's Python code on RustPython (module _lichen_bridge_rp): the
# proxy class factories and the import hook for CPython extensions.
import sys as _sys
import _lichen_bridge as _b

# The file names CPython 3.11 imports as extension modules, in its order.
SUFFIXES = ('.cpython-311-x86_64-linux-gnu.so', '.abi3.so', '.so')


def _method(name):
    def method(self, *args):
        return _b.invoke(self, name, args)
    method.__name__ = name
    return method


class CClassMeta(type):
    """The metaclass of proxy classes: a proxy class stands for its CPython
    type, so calling it makes a CPython instance (its proxy) and its
    missing attributes are the CPython type's."""

    def __call__(cls, *args, **kwargs):
        if _b.is_proxy_class(cls):
            return _b.call_class(cls, args, kwargs)
        # A class made in RustPython from a proxy class: an instance of the
        # CPython type, seen through a proxy of this class, then its
        # __init__, as type.__call__ does.
        obj = _b.new_instance(cls, args, kwargs)
        if isinstance(obj, cls):
            type(obj).__init__(obj, *args, **kwargs)
        return obj

    def __getattr__(cls, name):
        return _b.class_getattr(cls, name)


def _init(self, *args, **kwargs):
    _b.init(self, args, kwargs)


def _init_subclass(cls, **kwargs):
    # CPython refuses a subclass of a type without Py_TPFLAGS_BASETYPE.
    _b.check_base(cls)


def make_class(name, module, qualname, doc, bases, specials, hashable, buffer_base=None):
    """The proxy class for instances of one CPython type; it is also what
    that type crosses into RustPython as. `buffer_base`: the base giving
    the buffer slot, for a type that exports buffers."""
    if buffer_base is not None and not any(issubclass(b, buffer_base) for b in bases):
        bases = tuple(bases) + (buffer_base,)
    ns = {'__slots__': (), '__module__': module, '__qualname__': qualname, '__doc__': doc, '__init__': _init,
          '__init_subclass__': classmethod(_init_subclass)}
    for special in specials:
        ns[special] = _method(special)
    if not hashable:
        ns['__hash__'] = None
    try:
        return CClassMeta(name, bases or (_b.CObject,), ns)
    except TypeError:
        return CClassMeta(name, (buffer_base or _b.CObject,), ns)


def make_exception_class(name, module, qualname, bases):
    """A RustPython exception class standing for a CPython one."""
    return exception_class(name, module, qualname, bases, '__lichen_peer__')


_listings = {}


def _so_files(directory):
    """The names of the .so files in `directory`, cached by its mtime."""
    import os
    try:
        mtime = os.stat(directory).st_mtime_ns
    except OSError:
        return frozenset()
    cached = _listings.get(directory)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        names = frozenset(n for n in os.listdir(directory) if n.endswith('.so'))
    except OSError:
        names = frozenset()
    _listings[directory] = (mtime, names)
    return names


def _other_version(names, short):
    """A CPython extension `short` built for another CPython, if any."""
    prefix = short + '.cpython-'
    for n in sorted(names):
        if n.startswith(prefix) and not n.startswith(prefix + '311-'):
            return n
    return None


class BridgeLoader(ExtensionLoader):
    """Loads a CPython extension into the embedded CPython."""

    def create_module(self, spec):
        return _b.load(spec.name, self.path)


class WrongVersionLoader(BridgeLoader):
    """An extension built for another CPython: an ImportError saying so."""

    def create_module(self, spec):
        tag = self.path.rsplit('.cpython-', 1)[1].split('-')[0]
        raise ImportError(
            f'{self.path}: built for CPython {tag[0]}.{tag[1:]} (cpython-{tag}); '
            'the bridge embeds CPython 3.11 (cpython-311)', name=self.name, path=self.path)


class BridgeFinder:
    """Finds CPython extensions (name.cpython-311-*.so, name.abi3.so, name.so)."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        import os

        def loader_in(directory, short):
            names = _so_files(directory)
            if not names:
                return None
            for suffix in SUFFIXES:
                if short + suffix in names:
                    return BridgeLoader(fullname, os.path.abspath(os.path.join(directory, short + suffix)))
            other = _other_version(names, short)
            if other is not None:
                return WrongVersionLoader(fullname, os.path.abspath(os.path.join(directory, other)))
            return None
        return find_file_spec(fullname, path, loader_in)


# Standard modules RustPython lacks that are imported from the embedded
# CPython instead: tracemalloc then traces what C extensions allocate
# (their objects live in CPython). LICHEN_BRIDGE_STDLIB=a,b adds others.
def _cpython_stdlib():
    import os
    extra = os.environ.get('LICHEN_BRIDGE_STDLIB', '')
    return {'tracemalloc'} | {n.strip() for n in extra.split(',') if n.strip()}


class CPythonStdlibLoader:
    def __init__(self, name):
        self.name = name

    def create_module(self, spec):
        return _b.import_cpython(spec.name)

    def exec_module(self, module):
        pass


class CPythonStdlibFinder:
    """Last on sys.meta_path: the standard modules RustPython lacks that
    the embedded CPython has (only those named by _cpython_stdlib)."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if path is not None or fullname not in _cpython_stdlib():
            return None
        try:
            _b.embedded()
        except ImportError:
            return None
        from importlib.machinery import ModuleSpec
        return ModuleSpec(fullname, CPythonStdlibLoader(fullname), origin='embedded CPython')


def install():
    """Puts BridgeFinder on sys.meta_path, after Lichen's HPy finder and
    before the path finder, and CPythonStdlibFinder last (idempotent)."""
    if install_finder(BridgeFinder, BridgeLoader, SUFFIXES, '_lichen_bridge_original'):
        _sys.meta_path.append(CPythonStdlibFinder)
