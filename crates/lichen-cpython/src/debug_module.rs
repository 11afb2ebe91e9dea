//! `hpy.universal._debug`: reads and steers the debug-mode context, with the
//! interface of HPy 0.9.0's `_debug` module (what `hpy.debug` and HPy's tests
//! call).

use crate::context;
use crate::host::{h2py, new_ref};
use lichen_abi::HPy;
use lichen_core::debug::{info, view, DebugInfo, HandleInfo};
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// The debug context's state. Every function and member of the module,
/// those declared in the core too, is given `py` by PyO3 and passes it here.
fn debug_info(py: Python<'_>) -> &'static DebugInfo {
    // SAFETY: `context::CONTEXTS.debug()` is made by `debug_context` and never freed.
    unsafe { info(context::CONTEXTS.debug(py)) }
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "_debug")?;
    m.gil_used(true)?; // as lichen._lichen (lib.rs)
    m.add("__doc__", "HPy debug mode")?;
    m.add_class::<DebugHandle>()?;
    m.add_function(wrap_pyfunction!(get_open_handles, &m)?)?;
    m.add_function(wrap_pyfunction!(get_closed_handles, &m)?)?;
    m.add_function(wrap_pyfunction!(set_on_invalid_handle, &m)?)?;
    m.add_function(wrap_pyfunction!(set_on_invalid_builder_handle, &m)?)?;
    add_plain_functions(&m)?;
    parent.add_submodule(&m)
}

/// The application-level view of one debug handle. Several objects may view
/// the same handle; they compare equal (same `id`, the handle's address).
#[pyclass(name = "DebugHandle", module = "hpy.debug._debug", frozen)]
struct DebugHandle {
    handle: isize,
}

/// The state of the debug handle and, when it is open, a reference of our
/// own to its object, taken under the table's lock (see
/// `DebugInfo::state_and_object`): another thread's `HPy_Close` cannot free
/// it before it is used.
fn owned_object(py: Python<'_>, handle: isize) -> (Option<HandleInfo>, Option<Bound<'_, PyAny>>) {
    let (state, obj) = debug_info(py).state_and_object(handle);
    // SAFETY: `obj` is NULL or a new universal handle, i.e. a new reference
    // to a live object, which the Bound takes over.
    let obj = unsafe { Bound::from_owned_ptr_or_opt(py, h2py(obj)) };
    (state, obj)
}

// `DebugHandle`'s pyo3 methods: these, then the members declared in the
// core.
lichen_core::debug_handle_members! {
token = Python<'_>; getter = #[getter]; method = ;
#[pymethods]
impl DebugHandle {
    /// The object which the handle points to.
    #[getter]
    fn obj(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match owned_object(py, self.handle).1 {
            Some(obj) => Ok(obj.unbind()),
            None => Err(PyValueError::new_err("the handle is closed: the object it pointed to may be gone")),
        }
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<DebugHandle>() else {
            return Ok(py.NotImplemented());
        };
        let same = other.get().handle == self.handle;
        Ok(match op {
            CompareOp::Eq => same.into_pyobject(py)?.to_owned().into_any().unbind(),
            CompareOp::Ne => (!same).into_pyobject(py)?.to_owned().into_any().unbind(),
            _ => py.NotImplemented(),
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let (state, obj) = owned_object(py, self.handle);
        view::handle_repr(self.handle, state, |_| match obj {
            Some(obj) => Ok(obj.repr()?.to_string()),
            None => unreachable!("an open handle comes with its object"),
        })
    }
}
}

fn handle_list<'py>(py: Python<'py>, handles: Vec<HandleInfo>) -> PyResult<Bound<'py, PyList>> {
    let items: Vec<DebugHandle> = handles.into_iter().map(|h| DebugHandle { handle: h.handle }).collect();
    PyList::new(py, items)
}

fn generation(arg: &Bound<'_, PyAny>) -> PyResult<u64> {
    Ok(view::generation_arg(arg.extract()?))
}

/// Return a list containing all the open handles whose generation is >= of
/// the given arg.
#[pyfunction]
fn get_open_handles<'py>(gen: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
    let g = generation(gen)?;
    handle_list(gen.py(), debug_info(gen.py()).open_handles(g))
}

/// Return a list of all the closed handle in the cache.
#[pyfunction]
#[pyo3(signature = (*args))]
fn get_closed_handles<'py>(args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyList>> {
    let g = match args.len() {
        0 => 0,
        1 => generation(&args.get_item(0)?)?,
        _ => return Err(PyTypeError::new_err("get_closed_handles expects no arguments or exactly one argument")),
    };
    handle_list(args.py(), debug_info(args.py()).closed_handles(g))
}

/// `None` → NULL, a callable → a new universal handle to it.
fn hook(arg: &Bound<'_, PyAny>) -> PyResult<HPy> {
    if arg.is_none() {
        Ok(HPy::NULL)
    } else if arg.is_callable() {
        // SAFETY: `arg` is a live object, and a bound reference proves the
        // GIL is held (`arg.py()`); the new reference becomes the debug
        // info's.
        Ok(unsafe { new_ref(arg.py(), arg.as_ptr()) })
    } else {
        Err(PyTypeError::new_err("Expected a callable object"))
    }
}

/// Set the function to call when we detect the usage of an invalid handle.
#[pyfunction]
fn set_on_invalid_handle(func: &Bound<'_, PyAny>) -> PyResult<()> {
    debug_info(func.py()).set_on_invalid_handle(hook(func)?);
    Ok(())
}

/// Set the function to call when we detect the usage of an invalid builder
/// handle.
#[pyfunction]
fn set_on_invalid_builder_handle(func: &Bound<'_, PyAny>) -> PyResult<()> {
    debug_info(func.py()).set_on_invalid_builder_handle(hook(func)?);
    Ok(())
}

/// Adds the functions declared in the core to the module.
macro_rules! add_functions {
    ($($name:ident),*) => {
        fn add_plain_functions(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $(m.add_function(wrap_pyfunction!($name, m)?)?;)*
            Ok(())
        }
    };
}

lichen_core::debug_module_functions!(function = #[pyfunction]; token = Python<'_>; names => add_functions);
