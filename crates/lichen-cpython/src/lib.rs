//! Lichen's CPython host: the [`lichen_core::Host`] implementation over
//! CPython's C API, module and type creation from HPy definitions, and the
//! `lichen._lichen` extension module that serves as `hpy.universal`.
#![allow(non_snake_case, clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]

mod context;
mod debug_module;
mod host;
mod hpytype;
mod loader;
mod module;
mod typeobj;
mod trace_module;
mod version;

pub use host::CPython;

use pyo3::prelude::*;

/// `gil_used = true`: the host relies on the GIL (see "Free-threaded CPython"
/// in docs/architecture.md), so a free-threaded CPython re-enables the GIL
/// when it imports Lichen, rather than run it without. PyO3 0.28+ declares
/// modules GIL-free unless told otherwise; on GIL builds this changes nothing.
#[pymodule(gil_used = true)]
fn _lichen(m: &Bound<'_, PyModule>) -> PyResult<()> {
    loader::register(m)
}
