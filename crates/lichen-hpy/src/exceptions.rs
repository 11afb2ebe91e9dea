//! The built-in exception classes of the HPy context, as Rust types:
//! `Err(PyValueError::new_err("bad value"))`.

use crate::err::{ExcType, PyExceptionType};

macro_rules! builtin_exceptions {
    ($($rust:ident = $field:ident),* $(,)?) => {$(
        #[doc = concat!("Python's `", stringify!($rust), "`.")]
        pub struct $rust;
        impl PyExceptionType for $rust {
            fn type_object() -> ExcType {
                ExcType::Builtin(|ctx| ctx.$field)
            }
        }
        impl $rust {
            /// `Err(Self::new_err(msg))` raises this exception with `msg`.
            pub fn new_err(msg: impl Into<std::borrow::Cow<'static, str>>) -> crate::PyErr {
                <Self as PyExceptionType>::new_err(msg)
            }
        }
    )*};
}

builtin_exceptions! {
    PyBaseException = h_BaseException, PyException = h_Exception,
    PyStopIteration = h_StopIteration, PyArithmeticError = h_ArithmeticError,
    PyLookupError = h_LookupError, PyAssertionError = h_AssertionError,
    PyAttributeError = h_AttributeError, PyBufferError = h_BufferError,
    PyEOFError = h_EOFError, PyFloatingPointError = h_FloatingPointError,
    PyOSError = h_OSError, PyImportError = h_ImportError, PyIndexError = h_IndexError,
    PyKeyError = h_KeyError, PyMemoryError = h_MemoryError, PyNameError = h_NameError,
    PyOverflowError = h_OverflowError, PyRuntimeError = h_RuntimeError,
    PyRecursionError = h_RecursionError, PyNotImplementedError = h_NotImplementedError,
    PySystemError = h_SystemError, PyTypeError = h_TypeError,
    PyUnicodeError = h_UnicodeError, PyValueError = h_ValueError,
    PyZeroDivisionError = h_ZeroDivisionError, PyWarning = h_Warning,
    PyUserWarning = h_UserWarning, PyDeprecationWarning = h_DeprecationWarning,
    PyRuntimeWarning = h_RuntimeWarning,
}
