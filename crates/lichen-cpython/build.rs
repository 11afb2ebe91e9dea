//! Emits pyo3's `Py_3_*` cfgs for the interpreter being built for, so that
//! version-dependent parts of the CPython C API can be selected at compile
//! time (a build is for one interpreter version anyway).
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
