//! The `_lichen_bridge` native module and the RustPython side's Python
//! code (`python/rpside.py`, run as module `_lichen_bridge_rp`): the
//! finder and loader of CPython extensions on `sys.path`, and `load`,
//! which imports one into the embedded CPython.

use crate::convert::{to_c, to_rp};
use crate::runtime::{runtime_for, Gil, Owned};
use crate::{cside, errors};
use rustpython_vm::builtins::{PyBaseExceptionRef, PyStrRef};
use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

const RPSIDE_SOURCE: &str =
    concat!(include_str!("../python/values.py"), include_str!("../python/finder.py"), include_str!("../python/rpside.py"));
const RPSIDE_MODULE: &str = "_lichen_bridge_rp";

/// `find_file_spec`, which looks for an extension file on the search path,
/// `install_finder(finder, loader, suffixes, marker)`, which puts a finder
/// on `sys.meta_path` and its loader among importlib's file loaders, and
/// `ExtensionLoader`, the base of such loaders: the Python source of a
/// module that installs a finder of extension files starts with them.
pub const INSTALL_FINDER_SOURCE: &str = include_str!("../python/finder.py");

/// The module `_lichen_bridge_rp`, compiled and run on first use.
pub fn rp_helper(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
    source_module(vm, RPSIDE_MODULE, RPSIDE_SOURCE, "<lichen bridge>")
}

/// The module `name` of `sys.modules`, made on first use by running
/// `source` (named `filename` in tracebacks).
pub fn source_module(vm: &VirtualMachine, name: &str, source: &str, filename: &str) -> PyResult<PyObjectRef> {
    let sys_modules = vm.sys_module.get_attr("modules", vm)?;
    if let Ok(m) = sys_modules.get_item(name, vm) {
        return Ok(m);
    }
    let code = vm
        .compile(source, rustpython_vm::compiler::Mode::Exec, filename.to_owned())
        .map_err(|e| vm.new_syntax_error(&e, Some(source)))?;
    let module = vm.new_module(name, vm.ctx.new_dict(), None);
    let scope = rustpython_vm::scope::Scope::with_builtins(None, module.dict(), vm);
    vm.run_code_obj(code, scope)?;
    sys_modules.set_item(name, module.clone().into(), vm)?;
    Ok(module.into())
}

/// Installs the finder of CPython extensions (idempotent).
pub fn install(vm: &VirtualMachine) -> PyResult<()> {
    let helper = rp_helper(vm)?;
    vm.call_method(&helper, "install", ()).map(drop)
}

/// An ImportError about the extension at `path`.
fn import_error(vm: &VirtualMachine, name: &str, path: &str, reason: &str) -> PyBaseExceptionRef {
    let e = vm.new_import_error(format!("{path}: {reason}"), vm.ctx.new_str(name));
    let _ = e.as_object().set_attr("path", vm.ctx.new_str(path), vm);
    e
}

/// The enclosing packages of `name` that RustPython has imported, as
/// `(name, module)` pairs, outermost first.
fn parents(vm: &VirtualMachine, name: &str) -> PyResult<PyObjectRef> {
    let sys_modules = vm.sys_module.get_attr("modules", vm)?;
    let mut pairs = Vec::new();
    let mut end = 0;
    while let Some(dot) = name[end..].find('.') {
        end += dot;
        let parent = &name[..end];
        if let Ok(m) = sys_modules.get_item(parent, vm) {
            pairs.push(vm.new_tuple((parent, m)).into());
        }
        end += 1;
    }
    Ok(vm.ctx.new_list(pairs).into())
}

/// Imports the CPython extension at `path` as module `name` into the
/// embedded CPython (started if needed) and returns its proxy.
pub fn load(vm: &VirtualMachine, name: &str, path: &str) -> PyResult {
    let rt = runtime_for(vm).map_err(|reason| import_error(vm, name, path, &reason))?;
    let args = vm.new_tuple((name, path, parents(vm, name)?));
    let _gil = Gil::enter(vm);
    let c_args = Owned(to_c(vm, args.as_object())?);
    // SAFETY: GIL held; the helper's `load` called with a tuple.
    let module = unsafe { (rt.api.PyObject_Call)(cside::helper(c"load"), c_args.0, std::ptr::null_mut()) };
    match Owned::new(module) {
        Some(m) => to_rp(vm, m.0),
        None => {
            let cause = errors::fetch(vm);
            let reason = describe(vm, &cause);
            let e = import_error(vm, name, path, &reason);
            e.set___cause__(Some(cause));
            Err(e)
        }
    }
}

/// The embedded CPython's module `name`, imported there (its proxy).
pub fn import_cpython(vm: &VirtualMachine, name: &str) -> PyResult {
    let rt = runtime_for(vm).map_err(|reason| vm.new_import_error(reason, vm.ctx.new_str(name)))?;
    let cname = std::ffi::CString::new(name).map_err(|_| vm.new_value_error("module name with a NUL"))?;
    let _gil = Gil::enter(vm);
    // SAFETY: GIL held.
    match Owned::new(unsafe { (rt.api.PyImport_ImportModule)(cname.as_ptr()) }) {
        Some(m) => to_rp(vm, m.0),
        None => Err(errors::fetch(vm)),
    }
}

/// `Type: message` of an exception.
fn describe(vm: &VirtualMachine, e: &PyBaseExceptionRef) -> String {
    let msg = e.as_object().str(vm).map(|s| s.to_string()).unwrap_or_default();
    format!("{}: {msg}", e.class().name())
}

#[rustpython_vm::pymodule]
pub mod _lichen_bridge {
    use crate::rpside::CObject;
    use rustpython_vm::builtins::{PyStrRef, PyTupleRef, PyTypeRef};
    use rustpython_vm::class::{PyClassImpl, StaticType};
    use rustpython_vm::{PyObjectRef, PyRef, PyResult, VirtualMachine};

    #[pyattr]
    #[allow(non_snake_case)]
    fn CObject(vm: &VirtualMachine) -> PyTypeRef {
        let _ = vm;
        CObject::make_static_type();
        CObject::static_type().to_owned()
    }

    /// Imports the CPython extension at `path` as module `name`.
    #[pyfunction]
    fn load(name: PyStrRef, path: PyStrRef, vm: &VirtualMachine) -> PyResult {
        super::load(vm, &name.to_string_lossy(), &path.to_string_lossy())
    }

    /// The target's method `name` called with `args` (proxy classes'
    /// special methods).
    #[pyfunction]
    fn invoke(zelf: PyRef<CObject>, name: PyStrRef, args: PyTupleRef, vm: &VirtualMachine) -> PyResult {
        crate::rpside::invoke(zelf, name, args, vm)
    }

    /// `(library path, version, home)` of the embedded CPython, started if
    /// needed; ImportError saying why when it cannot be.
    #[pyfunction]
    fn embedded(vm: &VirtualMachine) -> PyResult<(String, String, String)> {
        let rt = crate::runtime::runtime_for(vm).map_err(|e| vm.new_import_error(e, vm.ctx.new_str("_lichen_bridge")))?;
        let home = rt.home.as_ref().map(|h| h.display().to_string()).unwrap_or_default();
        Ok((rt.library.display().to_string(), rt.version.clone(), home))
    }

    /// The embedded CPython's module `name` (imported there).
    #[pyfunction]
    fn import_cpython(name: PyStrRef, vm: &VirtualMachine) -> PyResult {
        super::import_cpython(vm, &name.to_string_lossy())
    }

    /// Calls the CPython type the proxy class `cls` stands for.
    #[pyfunction]
    fn call_class(cls: PyTypeRef, args: PyTupleRef, kwargs: rustpython_vm::builtins::PyDictRef, vm: &VirtualMachine) -> PyResult {
        crate::rpside::call_class(cls, args, kwargs, vm)
    }

    /// An instance of the CPython type a class made in RustPython from a
    /// proxy class derives from, seen through a proxy of that class.
    #[pyfunction]
    fn new_instance(cls: PyTypeRef, args: PyTupleRef, kwargs: rustpython_vm::builtins::PyDictRef, vm: &VirtualMachine) -> PyResult {
        crate::rpside::new_instance(cls, args, kwargs, vm)
    }

    /// The target type's `__init__` run on the target.
    #[pyfunction]
    fn init(zelf: PyRef<CObject>, args: PyTupleRef, kwargs: rustpython_vm::builtins::PyDictRef, vm: &VirtualMachine) -> PyResult {
        crate::rpside::init(zelf, args, kwargs, vm)
    }

    /// TypeError unless the CPython type `cls` derives from may be
    /// subclassed (`Py_TPFLAGS_BASETYPE`).
    #[pyfunction]
    fn check_base(cls: PyTypeRef, vm: &VirtualMachine) -> PyResult<()> {
        crate::rpside::check_base(&cls, vm)
    }

    /// Whether `cls` is the proxy class of a CPython type.
    #[pyfunction]
    fn is_proxy_class(cls: PyTypeRef) -> bool {
        crate::rpside::is_proxy_class(&cls)
    }

    /// An attribute of the CPython type the proxy class `cls` stands for.
    #[pyfunction]
    fn class_getattr(cls: PyTypeRef, name: PyStrRef, vm: &VirtualMachine) -> PyResult {
        crate::rpside::class_getattr(cls, name, vm)
    }

    /// Whether `obj` is a proxy of a CPython object.
    #[pyfunction]
    fn is_proxy(obj: PyObjectRef) -> bool {
        obj.downcastable::<CObject>()
    }

    /// Installs the finder of CPython extensions (idempotent).
    #[pyfunction]
    fn install(vm: &VirtualMachine) -> PyResult<()> {
        super::install(vm)
    }
}

#[allow(unused_imports)]
use PyStrRef as _;
