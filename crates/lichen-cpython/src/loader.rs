//! The Python-level loader: `load`, `_load_bootstrap`, `get_version` and the
//! `MODE_*` constants, with the interface of `hpy.universal` 0.9.0.

use crate::{context, module};
use lichen_core::loader::{load_extension, LoadError, LoadErrorKind, Mode};
use pyo3::exceptions::{PyImportError, PyRuntimeError, PySystemError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::PathBuf;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(_load_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(get_version, m)?)?;
    for (name, mode) in Mode::ALL {
        m.add(name, mode as i32)?;
    }
    crate::trace_module::register(m)?;
    crate::debug_module::register(m)
}

fn load_error(e: LoadError) -> PyErr {
    match e.kind {
        LoadErrorKind::NotALibrary | LoadErrorKind::MissingSymbol => PyImportError::new_err(e.message),
        LoadErrorKind::AbiMismatch => PyRuntimeError::new_err(e.message),
        LoadErrorKind::BadDefinition => PySystemError::new_err(e.message),
    }
}

fn do_load(py: Python<'_>, name: &str, path: PathBuf, spec: &Bound<'_, PyAny>, mode: Mode) -> PyResult<Py<PyAny>> {
    let ctx = context::CONTEXTS.for_mode(py, mode);
    // SAFETY: the context lives for the whole process; `py`: the GIL is held.
    let ext = unsafe { load_extension(name, &path, ctx) }.map_err(load_error)?;
    // SAFETY: `ext.def` came from the extension's init function; `spec` is a live object.
    let module = unsafe { module::create_module(ext.def, spec.as_ptr()) };
    // SAFETY: `module` is a new reference or NULL with an error set.
    unsafe { Bound::from_owned_ptr_or_err(py, module) }.map(Bound::unbind)
}

fn mode_of(debug: bool, mode: i32) -> PyResult<Mode> {
    if mode > 0 {
        Mode::from_i32(mode).ok_or_else(|| PyValueError::new_err(format!("invalid HPy mode: {mode}")))
    } else if debug {
        Ok(Mode::Debug)
    } else {
        Ok(Mode::Universal)
    }
}

/// Load a universal HPy extension (`.hpy0.so`) from `path` as module `name`.
#[pyfunction]
#[pyo3(signature = (name, path, spec, debug = false, mode = -1))]
fn load(py: Python<'_>, name: &str, path: PathBuf, spec: &Bound<'_, PyAny>, debug: bool, mode: i32) -> PyResult<Py<PyAny>> {
    do_load(py, name, path, spec, mode_of(debug, mode)?)
}

/// `env[key]` if present, for dicts and other mappings alike.
fn env_get<'py>(env: &Bound<'py, PyAny>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(dict) = env.cast::<PyDict>() {
        return dict.get_item(key);
    }
    match env.get_item(key) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(env.py()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Used by the stub loaders that `hpy.devel` writes: honours the `HPY` and
/// `HPY_LOG` environment variables and sets the module's attributes.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn _load_bootstrap(
    py: Python<'_>,
    name: &str,
    ext_name: &Bound<'_, PyAny>,
    package: &Bound<'_, PyAny>,
    file: &Bound<'_, PyAny>,
    loader: &Bound<'_, PyAny>,
    spec: &Bound<'_, PyAny>,
    env: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let mode = match env_get(env, "HPY")? {
        None => Mode::Universal,
        Some(v) => {
            let v: String = v.extract()?;
            Mode::from_env_value(name, &v).map_err(PyValueError::new_err)?
        }
    };
    if env_get(env, "HPY_LOG")?.is_some() {
        let msg = lichen_core::loader::log_line(name, mode);
        py.import("sys")?.getattr("stdout")?.call_method1("write", (msg,))?;
    }
    let path: PathBuf = file.extract()?;
    let m = do_load(py, name, path, spec, mode)?;
    let m = m.bind(py);
    m.setattr("__file__", file)?;
    m.setattr("__loader__", loader)?;
    m.setattr("__name__", ext_name)?;
    m.setattr("__package__", package)?;
    spec.setattr("origin", file)?;
    m.setattr("__spec__", spec)?;
    Ok(m.clone().unbind())
}

/// `(version, git revision)` of the HPy ABI this runtime implements.
#[pyfunction]
fn get_version(py: Python<'_>) -> (Bound<'_, PyString>, Bound<'_, PyString>) {
    (
        PyString::new(py, lichen_abi::HPY_VERSION),
        PyString::new(py, lichen_abi::HPY_GIT_REVISION),
    )
}
