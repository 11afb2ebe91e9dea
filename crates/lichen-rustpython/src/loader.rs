//! Importing universal extensions: the `_lichen` native module, whose
//! `load(name, path, spec)` loads one extension file, and the finder on
//! `sys.meta_path` that looks for `name.hpy0.so` / `name.hpy.so` on the
//! module search path.

use crate::{context, module};
use lichen_core::loader::{load_extension, LoadError, LoadErrorKind};
use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::{PyObject, PyResult, VirtualMachine};
use std::path::Path;

/// The Python side of the import hook. It is run once at start-up (see
/// [`install`]); it places the finder before the path finder, so that an
/// extension file wins over the `.py` stub `hpy.devel` writes next to it.
pub const FINDER_SOURCE: &str = r#"
import sys as _sys
import _lichen

class LichenFinder:
    """Finds HPy universal extensions (name.hpy0.so, name.hpy.so)."""

    suffixes = ('.hpy0.so', '.hpy.so')

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        import os
        from importlib.machinery import ModuleSpec
        short = fullname.rpartition('.')[2]
        for entry in (_sys.path if path is None else path):
            if not isinstance(entry, str):
                continue
            for suffix in cls.suffixes:
                candidate = os.path.join(entry or '.', short + suffix)
                if os.path.isfile(candidate):
                    origin = os.path.abspath(candidate)
                    spec = ModuleSpec(fullname, LichenLoader(origin), origin=origin)
                    spec.has_location = True
                    return spec
        return None

class LichenLoader:
    def __init__(self, path):
        self.path = path

    def create_module(self, spec):
        return _lichen.load(spec.name, self.path, spec)

    def exec_module(self, module):
        pass

def install():
    from importlib.machinery import PathFinder
    if any(f is LichenFinder for f in _sys.meta_path):
        return
    try:
        at = _sys.meta_path.index(PathFinder)
    except ValueError:
        at = len(_sys.meta_path)
    _sys.meta_path.insert(at, LichenFinder)
"#;

/// The Python exception for a load failure.
fn load_error(vm: &VirtualMachine, e: LoadError) -> PyBaseExceptionRef {
    match e.kind {
        LoadErrorKind::NotALibrary | LoadErrorKind::MissingSymbol => {
            vm.new_import_error(e.message, vm.ctx.new_str("lichen"))
        }
        LoadErrorKind::AbiMismatch => vm.new_runtime_error(e.message),
        LoadErrorKind::BadDefinition => vm.new_system_error(e.message),
    }
}

/// Loads the universal extension at `path` as module `name` and returns the
/// new module (or what its `HPy_mod_create` slot made).
pub fn load(vm: &VirtualMachine, name: &str, path: &Path, spec: &PyObject) -> PyResult {
    let ctx = context::universal();
    // SAFETY: the universal context lives for the rest of the process.
    let ext = unsafe { load_extension(name, path, ctx) }.map_err(|e| load_error(vm, e))?;
    // SAFETY: `ext.def` is what the extension, loaded with `ctx`, returned.
    unsafe { module::create_module(vm, name, ext.def, spec, ctx) }
}

#[rustpython_vm::pymodule]
mod _lichen {
    use rustpython_vm::builtins::PyStrRef;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    /// Loads the universal extension at `path` as module `name`.
    #[pyfunction]
    fn load(name: PyStrRef, path: PyStrRef, spec: PyObjectRef, vm: &VirtualMachine) -> PyResult {
        let (Some(name), Some(path)) = (name.to_str(), path.to_str()) else {
            return Err(vm.new_value_error("lichen: module name and path must be valid UTF-8"));
        };
        super::load(vm, name, std::path::Path::new(path), &spec)
    }

    /// Puts the extension finder on `sys.meta_path` (idempotent).
    #[pyfunction]
    fn install(vm: &VirtualMachine) -> PyResult<()> {
        super::install(vm)
    }
}

/// Compiles and runs the finder source as module `_lichen_finder` and
/// installs its finder.
pub fn install(vm: &VirtualMachine) -> PyResult<()> {
    let sys_modules = vm.sys_module.get_attr("modules", vm)?;
    if let Ok(m) = sys_modules.get_item("_lichen_finder", vm) {
        return vm.call_method(&m, "install", ()).map(drop);
    }
    let code = vm
        .compile(FINDER_SOURCE, rustpython_vm::compiler::Mode::Exec, "<lichen finder>".to_owned())
        .map_err(|e| vm.new_syntax_error(&e, Some(FINDER_SOURCE)))?;
    let module = vm.new_module("_lichen_finder", vm.ctx.new_dict(), None);
    let scope = rustpython_vm::scope::Scope::with_builtins(None, module.dict(), vm);
    vm.run_code_obj(code, scope)?;
    sys_modules.set_item("_lichen_finder", module.clone().into(), vm)?;
    vm.call_method(module.as_ref(), "install", ()).map(drop)
}

/// The definition of the `_lichen` native module, for
/// `InterpreterBuilder::add_native_module`.
pub fn module_def(ctx: &rustpython_vm::Context) -> &'static rustpython_vm::builtins::PyModuleDef {
    _lichen::module_def(ctx)
}
