//! Lichen's bridge: CPython C-API extensions imported on RustPython
//! through an embedded CPython 3.11.
//!
//! - [`runtime`]: finding `libpython3.11`, starting it once, the GIL;
//! - [`ffi`]: the C API, resolved with `dlsym` (nothing links libpython);
//! - [`convert`]: values by value, containers copied (into RustPython, only
//!   those CPython does not hold elsewhere), the rest proxies;
//! - [`rpside`]: CPython objects on RustPython (`CObject` proxies);
//! - [`buffer`]: a CPython object's buffer lent to RustPython;
//! - [`cside`]: RustPython objects in CPython (`RObject` proxies);
//! - [`errors`]: exceptions both ways; [`identity`]: one proxy per object;
//! - [`writeback`]: a call's mutable arguments updated from their copies;
//! - [`module`]: the `_lichen_bridge` module, the finder and `load`.
//!
//! See the crate's README for the design and its limits.
#![deny(unsafe_op_in_unsafe_fn)]

mod buffer;
mod convert;
mod cside;
mod errors;
mod ffi;
mod identity;
mod module;
mod rpside;
mod runtime;
mod writeback;

pub use module::{install, source_module, INSTALL_FINDER_SOURCE};

/// The definition of the `_lichen_bridge` native module, for
/// `InterpreterBuilder::add_native_modules`.
pub fn module_def(ctx: &rustpython_vm::Context) -> &'static rustpython_vm::builtins::PyModuleDef {
    module::_lichen_bridge::module_def(ctx)
}
