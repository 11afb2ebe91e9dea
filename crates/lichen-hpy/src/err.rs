//! Errors: `PyResult<T>` and the exceptions it raises.
//!
//! HPy 0.9 cannot fetch a raised exception (there is only `HPyErr_Occurred`,
//! `ExceptionMatches` and `Clear`), so an error is either one to raise (a type
//! and a message) or one already set in the interpreter, which propagates
//! as it is.

use crate::global::Global;
use crate::object::{c_string, call};
use crate::python::Python;
use lichen_abi::{HPyContext, HPy};
use std::borrow::Cow;

pub type PyResult<T> = Result<T, PyErr>;

/// An exception class: one of the context's built-in exceptions or a custom
/// one the module created (`create_exception!`).
#[derive(Clone, Copy)]
pub enum ExcType {
    Builtin(fn(&HPyContext) -> HPy),
    Custom(&'static Global),
}

/// A Python exception, to raise or already raised.
pub struct PyErr {
    state: State,
}

enum State {
    /// Already set in the interpreter (a context function failed).
    Set,
    /// To raise: `ty(msg)`.
    New { ty: ExcType, msg: Cow<'static, str> },
}

impl PyErr {
    /// `ty(msg)`, raised when the error reaches Python.
    pub fn new(ty: ExcType, msg: impl Into<Cow<'static, str>>) -> PyErr {
        PyErr { state: State::New { ty, msg: msg.into() } }
    }

    /// The exception a failed context function left set in the
    /// interpreter; a failure that set none becomes a SystemError.
    pub(crate) fn fetch(py: Python<'_>) -> PyErr {
        if py.err_occurred() {
            PyErr { state: State::Set }
        } else {
            crate::exceptions::PySystemError::new_err("an HPy call failed without setting an exception")
        }
    }

    /// Whether the error is (or, once raised, will be) an instance of
    /// `ty`, a built-in or custom exception class such as
    /// `PyKeyError::type_object()`.
    pub fn matches(&self, py: Python<'_>, ty: ExcType) -> bool {
        match &self.state {
            State::Set => {
                let h = ty.load(py);
                // SAFETY: `h` is a live handle of the call.
                let r = unsafe { call!(py, ctx_Err_ExceptionMatches(h.raw())) } != 0;
                r
            }
            State::New { ty: mine, .. } => {
                let (a, b) = (mine.load(py), ty.load(py));
                // SAFETY: live handles of the call.
                unsafe { call!(py, ctx_Type_IsSubtype(a.raw(), b.raw())) != 0 }
            }
        }
    }

    /// Drops the error, clearing it from the interpreter if it was set
    /// there: the way to handle a failure and go on.
    pub fn clear(self, py: Python<'_>) {
        if let State::Set = self.state {
            // SAFETY: the context is valid for the call.
            unsafe { call!(py, ctx_Err_Clear()) }
        }
    }

    /// Raises the error in the interpreter (so that the caller returns the
    /// error value of its signature).
    pub(crate) fn restore(self, py: Python<'_>) {
        let State::New { ty, msg } = self.state else { return };
        let ty = ty.load(py);
        let msg = c_string(&msg).unwrap_or_else(|_| c_string("(message with a NUL byte)").unwrap());
        // SAFETY: live type handle, NUL-terminated message.
        unsafe { call!(py, ctx_Err_SetString(ty.raw(), msg.as_ptr())) }
    }
}

impl ExcType {
    /// A new reference to the class.
    pub fn load<'py>(self, py: Python<'py>) -> crate::Obj<'py> {
        match self {
            ExcType::Builtin(pick) => py.constant(pick),
            ExcType::Custom(global) => global.load(py),
        }
    }
}

impl core::fmt::Debug for PyErr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.state {
            State::Set => f.write_str("PyErr(set in the interpreter)"),
            State::New { msg, .. } => write!(f, "PyErr({msg:?})"),
        }
    }
}

/// Exception classes usable in `Result`s: `PyTypeError::new_err("...")`.
pub trait PyExceptionType {
    fn type_object() -> ExcType;

    fn new_err(msg: impl Into<Cow<'static, str>>) -> PyErr {
        PyErr::new(Self::type_object(), msg)
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a payload that is no string)".to_string()
    }
}
