//! CPython operations behind the error context functions.

#[allow(unused_imports)]
use super::*;
use lichen_core::host::{ErrorHost, ExcKind};
use std::ffi::CString;

/// The CPython exception class for a core error kind.
pub fn exc_class(kind: ExcKind) -> *mut ffi::PyObject {
    // SAFETY: reading the address of the interpreter's exception classes.
    unsafe {
        match kind {
            ExcKind::SystemError => ffi::PyExc_SystemError,
            ExcKind::TypeError => ffi::PyExc_TypeError,
            ExcKind::ValueError => ffi::PyExc_ValueError,
            ExcKind::ImportError => ffi::PyExc_ImportError,
            ExcKind::RuntimeError => ffi::PyExc_RuntimeError,
            ExcKind::NotImplementedError => ffi::PyExc_NotImplementedError,
            ExcKind::MemoryError => ffi::PyExc_MemoryError,
            ExcKind::OverflowError => ffi::PyExc_OverflowError,
            ExcKind::IndexError => ffi::PyExc_IndexError,
            ExcKind::KeyError => ffi::PyExc_KeyError,
            ExcKind::AttributeError => ffi::PyExc_AttributeError,
        }
    }
}

impl ErrorHost for CPython {
    fn raise(kind: ExcKind, message: &str) {
        let msg = CString::new(message.replace('\0', "\\0")).expect("no NUL left");
        // SAFETY: the GIL is held whenever the core calls into the host.
        unsafe { ffi::PyErr_SetString(exc_class(kind), msg.as_ptr()) }
    }
}
