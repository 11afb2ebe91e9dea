# The bridge's Python code inside the embedded CPython 3.11. `_rt` (the
# bridge's native functions) and `RObject` (the native base of proxies for
# RustPython objects) are put into this namespace before it runs.
import sys
import importlib.abc
import importlib.machinery
import importlib.util

# Import-system bookkeeping that CPython's import machinery sets on a
# module it loaded: kept off proxy modules (the RustPython module keeps its
# own).
_IMPORT_NAMES = frozenset(('__spec__', '__loader__', '__package__', '__file__', '__cached__', '__path__'))


def _method(name):
    def method(self, *args):
        return _rt.invoke(self, name, args)
    method.__name__ = name
    return method


def _call(self, *args, **kwargs):
    return _rt.call(self, args, kwargs)


def _module_setattr(self, name, value):
    if name not in _IMPORT_NAMES:
        RObject.__setattr__(self, name, value)


def _module_getattribute(self, name):
    # CPython's importlib appends to and pops from a parent package's
    # `__spec__._uninitialized_submodules`, which would be a fresh copy of
    # RustPython's list each time: a RustPython package has no spec here.
    if name == '__spec__':
        return None
    return RObject.__getattribute__(self, name)


class RClassMeta(type):
    """The metaclass of proxy classes: a proxy class stands for its
    RustPython class, so calling it makes a RustPython instance (its
    proxy) and its missing attributes are the RustPython class's."""

    def __call__(cls, *args, **kwargs):
        return _rt.call_class(cls, args, kwargs)

    def __getattr__(cls, name):
        return _rt.class_getattr(cls, name)


def make_class(name, module, qualname, doc, bases, specials, callable_, hashable, is_module, buffer=False,
               tuple_like=False, fields=None):
    """The proxy class for instances of one RustPython type; it is also
    what that type crosses into CPython as. `buffer`: the type exports
    buffers (its proxies then do, through RBufferObject). `tuple_like`: a
    subclass of tuple (see _tuple_class), with a namedtuple's `fields`."""
    if tuple_like:
        return _tuple_class(name, module, qualname, doc, bases, fields)
    if buffer and not any(issubclass(b, RBufferObject) for b in bases):
        bases = tuple(bases) + (RBufferObject,)
    ns = {'__slots__': (), '__module__': module, '__qualname__': qualname, '__doc__': doc}
    for special in specials:
        ns[special] = _method(special)
    if callable_:
        ns['__call__'] = _call
    if not hashable:
        ns['__hash__'] = None
    if is_module:
        ns['__setattr__'] = _module_setattr
        ns['__getattribute__'] = _module_getattribute
    try:
        return RClassMeta(name, bases or (RObject,), ns)
    except TypeError:
        return RClassMeta(name, (RBufferObject if buffer else RObject,), ns)


def _tuple_getattr(self, name):
    try:
        origin = object.__getattribute__(self, '__dict__')['__lichen_origin__']
    except (AttributeError, KeyError):
        raise AttributeError(name) from None
    return getattr(origin, name)


def _tuple_repr(self):
    origin = self.__dict__.get('__lichen_origin__')
    return tuple.__repr__(self) if origin is None else repr(origin)


def _tuple_class(name, module, qualname, doc, bases, fields):
    """The class standing in CPython for a RustPython subclass of tuple (a
    namedtuple): its instances are real tuples of the items, converted, as
    C reads them (PyTuple_Check, PyTuple_GET_ITEM), each holding its
    RustPython original in __lichen_origin__ for the rest (methods, other
    attributes) and to cross back as. A namedtuple's fields read its items,
    as on CPython: the same objects each time, which the tuple keeps alive
    (C code may hold a pointer into a field's bytes)."""
    import operator
    ns = {'__module__': module, '__qualname__': qualname, '__doc__': doc,
          '__getattr__': _tuple_getattr, '__repr__': _tuple_repr}
    for i, field in enumerate(fields or ()):
        ns[field] = property(operator.itemgetter(i))
    bases = tuple(b for b in bases if issubclass(b, tuple)) or (tuple,)
    return RClassMeta(name, bases, ns)


def make_exception_class(name, module, qualname, bases):
    """A CPython exception class standing for a RustPython one."""
    return exception_class(name, module, qualname, bases, '__lichen_origin__')


def format_tb(tb):
    import traceback
    return ''.join(traceback.format_tb(tb))


# Packages whose Python code runs on RustPython: their modules, imported
# from C code, are RustPython's (proxies), never loaded a second time here.
_rp_packages = set()


class _RustPythonLoader(importlib.abc.Loader):
    def create_module(self, spec):
        return _rt.import_rp(spec.name)

    def exec_module(self, module):
        pass


class RustPythonFinder(importlib.abc.MetaPathFinder):
    """First on sys.meta_path: modules of the bridged packages."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname.partition('.')[0] in _rp_packages:
            return importlib.machinery.ModuleSpec(fullname, _RustPythonLoader())
        return None


class RustPythonFallbackFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: what CPython cannot find, RustPython may."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if _rt.find_rp(fullname):
            return importlib.machinery.ModuleSpec(fullname, _RustPythonLoader())
        return None


sys.meta_path.insert(0, RustPythonFinder)
sys.meta_path.append(RustPythonFallbackFinder)


def load(name, path, parents):
    """Loads the extension at `path` as module `name`. `parents` maps the
    names of its enclosing packages to their RustPython modules."""
    for parent_name, parent in parents:
        _rp_packages.add(parent_name.partition('.')[0])
        if parent_name not in sys.modules:
            sys.modules[parent_name] = parent
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
