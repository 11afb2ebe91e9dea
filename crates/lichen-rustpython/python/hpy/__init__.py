"""The `hpy` package as Lichen provides it on RustPython, frozen into
`lichen-rustpython`: `hpy.universal` is Lichen's runtime; `hpy.debug`,
`hpy.debug.leakdetector`, `hpy.debug.pytest` and `hpy.trace` are HPy 0.9.0's
own pure-Python modules, unchanged, over `hpy.universal._debug` and
`_trace`. (On CPython and PyPy these come from HPy's own package, with
`hpy.universal` served by Lichen.)

When HPy's own distribution (`pip install hpy==0.9.0`, whose `hpy` is a
namespace package) is on `sys.path` too, its directories join this
package's path, so that its pure-Python parts that Lichen does not provide
(`hpy.devel`, which builds extensions) import from it.
The frozen modules still win, since the frozen
importer comes before the path finder: HPy's `hpy.universal` is a CPython
extension RustPython cannot load."""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
