"""The `hpy` package as Lichen provides it on RustPython, frozen into
`lichen-rustpython`: `hpy.universal` is Lichen's runtime and `hpy.debug` the
leak detection on top of its debug mode. (On CPython these come from HPy's
own package, with `hpy.universal` served by Lichen.)

When HPy's own distribution (`pip install hpy==0.9.0`, whose `hpy` is a
namespace package) is on `sys.path` too, its directories join this
package's path, so that its pure-Python parts that Lichen does not provide
(`hpy.devel`, which builds extensions, and `hpy.trace`) import from it.
The frozen `hpy.universal` and `hpy.debug` still win, since the frozen
importer comes before the path finder: HPy's `hpy.universal` is a CPython
extension RustPython cannot load."""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
