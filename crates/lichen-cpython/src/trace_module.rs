//! `hpy.universal._trace`: reads and steers the trace-mode context.

use crate::context;
use crate::host::new_ref;
use lichen_core::trace::{info, trace_function_args, Hook, TraceInfo, FREQUENCY_HZ};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

fn trace_info(py: Python<'_>) -> &'static TraceInfo {
    // SAFETY: `context::CONTEXTS.trace()` is made by `trace_context` and never freed.
    unsafe { info(context::CONTEXTS.trace(py)) }
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "_trace")?;
    m.gil_used(true)?; // as lichen._lichen (lib.rs)
    m.add_function(wrap_pyfunction!(get_call_counts, &m)?)?;
    m.add_function(wrap_pyfunction!(get_durations, &m)?)?;
    m.add_function(wrap_pyfunction!(set_trace_functions, &m)?)?;
    m.add_function(wrap_pyfunction!(get_frequency, &m)?)?;
    parent.add_submodule(&m)
}

fn to_dict<'py>(py: Python<'py>, items: Vec<(String, u64)>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, value) in items {
        d.set_item(name, value)?;
    }
    Ok(d)
}

/// How many times each context function was called in trace mode.
#[pyfunction]
fn get_call_counts(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    to_dict(py, trace_info(py).call_counts())
}

/// Nanoseconds spent in each context function in trace mode.
#[pyfunction]
fn get_durations(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    to_dict(py, trace_info(py).durations_ns())
}

/// Resolution of the clock behind `get_durations`, in Hertz.
#[pyfunction]
fn get_frequency() -> u64 {
    FREQUENCY_HZ
}

fn hook<'py>(arg: Option<Bound<'py, PyAny>>) -> PyResult<Hook<Bound<'py, PyAny>>> {
    match arg {
        None => Ok(Hook::Keep),
        Some(a) if a.is_none() => Ok(Hook::Clear),
        Some(a) if a.is_callable() => Ok(Hook::Set(a)),
        Some(_) => Err(PyTypeError::new_err("Expected a callable object or None")),
    }
}

fn apply(h: Hook<Bound<'_, PyAny>>, set: impl Fn(lichen_abi::HPy)) {
    match h {
        Hook::Keep => {}
        Hook::Clear => set(lichen_abi::HPy::NULL),
        // SAFETY: `f` is a live object, and a bound reference proves the GIL
        // is held (`f.py()`); the new reference becomes the trace info's
        // handle.
        Hook::Set(f) => set(unsafe { new_ref(f.py(), f.as_ptr()) }),
    }
}

/// Set the functions to call when a context function is entered/exited:
/// a callable sets, None clears, an omitted argument leaves it unchanged.
#[pyfunction]
#[pyo3(signature = (*args, **kwargs))]
fn set_trace_functions(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let positional: Vec<Bound<'_, PyAny>> = args.iter().collect();
    let mut keywords = Vec::new();
    for (key, value) in kwargs.into_iter().flat_map(|kw| kw.iter()) {
        keywords.push((key.extract::<String>()?, value));
    }
    let [on_enter, on_exit] = trace_function_args(positional, keywords).map_err(PyTypeError::new_err)?;
    let (on_enter, on_exit) = (hook(on_enter)?, hook(on_exit)?);
    let info = trace_info(args.py());
    apply(on_enter, |h| info.set_on_enter(h));
    apply(on_exit, |h| info.set_on_exit(h));
    Ok(())
}
