//! Lichen's CPython host: the [`lichen_core::Host`] implementation over
//! CPython's C API, module and type creation from HPy definitions, and the
//! `lichen._lichen` extension module that serves as `hpy.universal`.
#![allow(non_snake_case, clippy::missing_safety_doc)]

mod context;
mod debug_module;
mod host;
mod loader;
mod module;
mod typeobj;
mod trace_module;
mod version;

pub use host::CPython;

use pyo3::prelude::*;

#[pymodule]
fn _lichen(m: &Bound<'_, PyModule>) -> PyResult<()> {
    loader::register(m)
}
