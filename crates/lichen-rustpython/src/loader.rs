//! Importing universal extensions: the `_lichen` native module, whose
//! `load(name, path, spec[, mode])` loads one extension file, and the finder
//! on `sys.meta_path` that looks for `name.hpy0.so` / `name.hpy.so` on the
//! module search path. Without an explicit mode, the `HPY` environment
//! variable picks it, as for HPy's stub loaders on CPython (`HPY=debug`,
//! `HPY=trace`, `HPY=mod:debug,other:trace`).

use crate::{context, module};
use lichen_core::loader::{load_extension, LoadError, LoadErrorKind, Mode};
use rustpython_vm::builtins::PyBaseExceptionRef;
use rustpython_vm::{PyObject, PyResult, VirtualMachine};
use std::path::Path;

/// The Python side of the import hook, after the bridge's `find_file_spec`,
/// `install_finder` and `ExtensionLoader`. It is run once at start-up (see [`install`]); it
/// places the finder before the path finder, so that an extension file
/// wins over the `.py` stub `hpy.devel` writes next to it.
pub const FINDER_SOURCE: &str = r#"
import sys as _sys
import _lichen

class LichenFinder:
    """Finds HPy universal extensions (name.hpy0.so, name.hpy.so)."""

    suffixes = ('.hpy0.so', '.hpy.so')

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        import os

        def loader_in(directory, short):
            for suffix in cls.suffixes:
                candidate = os.path.join(directory, short + suffix)
                if os.path.isfile(candidate):
                    return LichenLoader(fullname, os.path.abspath(candidate))
            return None
        return find_file_spec(fullname, path, loader_in)

class LichenLoader(ExtensionLoader):
    def create_module(self, spec):
        return _lichen.load(spec.name, self.path, spec)

def install():
    # A spec for `name.hpy0.so` made by importlib.util.spec_from_file_location
    # (what HPy's test support passes to hpy.universal.load) needs a loader
    # for the suffix: CPython lists ExtensionFileLoader for `.so`, RustPython
    # has no extension suffixes at all and would give no spec.
    install_finder(LichenFinder, LichenLoader, LichenFinder.suffixes, '_lichen_original')
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

/// The mode an extension is loaded in: `mode` (a `MODE_*` value) when given
/// and not negative, else what the `HPY` environment variable asks for `name`.
pub fn mode_for(vm: &VirtualMachine, name: &str, mode: Option<i32>) -> PyResult<Mode> {
    if let Some(m) = mode.filter(|&m| m >= 0) {
        return Mode::from_i32(m).ok_or_else(|| vm.new_value_error(format!("invalid HPy mode: {m}")));
    }
    match std::env::var("HPY") {
        Ok(value) => Mode::from_env_value(name, &value).map_err(|m| vm.new_value_error(m)),
        Err(std::env::VarError::NotPresent) => Ok(Mode::Universal),
        Err(std::env::VarError::NotUnicode(_)) => Err(vm.new_value_error("invalid HPy mode: HPY is not UTF-8")),
    }
}

/// Loads the universal extension at `path` as module `name` in `mode` and
/// returns the new module (or what its `HPy_mod_create` slot made).
pub fn load(vm: &VirtualMachine, name: &str, path: &Path, spec: &PyObject, mode: Mode) -> PyResult {
    let ctx = context::CONTEXTS.for_mode(vm, mode);
    // SAFETY: the universal context lives for the rest of the process.
    let ext = unsafe { load_extension(name, path, ctx) }.map_err(|e| load_error(vm, e))?;
    // SAFETY: `ext.def` is what the extension, loaded with `ctx`, returned.
    unsafe { module::create_module(vm, name, ext.def, spec, ctx) }
}

#[rustpython_vm::pymodule]
mod _lichen {
    use lichen_core::loader::Mode;
    use rustpython_vm::builtins::PyStrRef;
    use rustpython_vm::function::OptionalArg;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    /// Loads the universal extension at `path` as module `name`, in `mode`
    /// (a `MODE_*` value) or, without one, in the mode `HPY` asks for.
    #[pyfunction]
    fn load(name: PyStrRef, path: PyStrRef, spec: PyObjectRef, mode: OptionalArg<i32>, vm: &VirtualMachine) -> PyResult {
        let (Some(name), Some(path)) = (name.to_str(), path.to_str()) else {
            return Err(vm.new_value_error("lichen: module name and path must be valid UTF-8"));
        };
        let explicit = mode.into_option();
        let mode = super::mode_for(vm, name, explicit)?;
        if explicit.is_none() && std::env::var_os("HPY_LOG").is_some() {
            // As HPy's stub loaders do for an import that HPY may steer.
            let line = lichen_core::loader::log_line(name, mode);
            let stdout = vm.sys_module.get_attr("stdout", vm)?;
            vm.call_method(&stdout, "write", (line,))?;
        }
        super::load(vm, name, std::path::Path::new(path), &spec, mode)
    }

    /// `(name, value)` of the `MODE_*` constants of `hpy.universal`.
    #[pyfunction]
    fn modes(vm: &VirtualMachine) -> PyObjectRef {
        let items = Mode::ALL.iter().map(|&(name, m)| vm.new_tuple((name, m as i32)).into()).collect();
        vm.ctx.new_list(items).into()
    }

    /// `x + x`: the work of the benchmarks' extension function
    /// `rphost.twice` (one `HPy_Add`), as a builtin written in Rust, so that
    /// `make bench` can compare the cost of calling each.
    #[pyfunction]
    fn twice(x: PyObjectRef, vm: &VirtualMachine) -> PyResult {
        vm._add(&x, &x)
    }

    /// `(version, git revision)` of the HPy ABI this runtime implements.
    #[pyfunction]
    fn get_version() -> (&'static str, &'static str) {
        (lichen_abi::HPY_VERSION, lichen_abi::HPY_GIT_REVISION)
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
    let source = [lichen_bridge::INSTALL_FINDER_SOURCE, FINDER_SOURCE].concat();
    let module = lichen_bridge::source_module(vm, "_lichen_finder", &source, "<lichen finder>")?;
    vm.call_method(&module, "install", ()).map(drop)
}

/// The definitions of Lichen's native modules (`_lichen`, and the
/// `_lichen_debug` / `_lichen_trace` behind `hpy.universal._debug` /
/// `_trace`), for `InterpreterBuilder::add_native_modules`.
pub fn module_defs(ctx: &rustpython_vm::Context) -> [&'static rustpython_vm::builtins::PyModuleDef; 3] {
    [
        _lichen::module_def(ctx),
        crate::debug_module::_lichen_debug::module_def(ctx),
        crate::trace_module::_lichen_trace::module_def(ctx),
    ]
}
