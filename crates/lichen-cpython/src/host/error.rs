//! CPython operations behind the error context functions.

use super::*;
use core::ffi::{c_char, c_int};
use lichen_abi::HPy_ssize_t;
use lichen_core::host::{ErrorHost, ExcKind};
use core::ptr::null_mut;
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
    fn raise(_py: Python<'_>, kind: ExcKind, message: &str) {
        let msg = CString::new(message.replace('\0', "\\0")).expect("no NUL left");
        // SAFETY: `_py` proves the GIL is held whenever the core calls into the host.
        unsafe { ffi::PyErr_SetString(exc_class(kind), msg.as_ptr()) }
    }

    #[inline]
    unsafe fn err_set_string(_py: Python<'_>, ty: HPy, utf8_message: *const c_char) {
        // SAFETY: `_py` proves the GIL is held; the message is NUL-terminated UTF-8.
        unsafe { ffi::PyErr_SetString(h2py(ty), utf8_message) }
    }

    #[inline]
    fn err_set_object(_py: Python<'_>, ty: HPy, value: HPy) {
        // SAFETY: `_py` proves the GIL is held; CPython checks that `ty` is an exception class.
        unsafe { ffi::PyErr_SetObject(h2py(ty), h2py(value)) }
    }

    unsafe fn err_set_from_errno(_py: Python<'_>, ty: HPy, filename: *const c_char) {
        // SAFETY: `_py` proves the GIL is held; CPython saves errno before decoding the
        // file name.
        unsafe { ffi::PyErr_SetFromErrnoWithFilename(h2py(ty), filename) };
    }

    fn err_set_from_errno_objects(_py: Python<'_>, ty: HPy, filename1: HPy, filename2: HPy) {
        // SAFETY: `_py` proves the GIL is held; the file names are NULL or live handles.
        unsafe { ffi::PyErr_SetFromErrnoWithFilenameObjects(h2py(ty), h2py(filename1), h2py(filename2)) };
    }

    fn err_no_memory(_py: Python<'_>) {
        // SAFETY: `_py` proves the GIL is held.
        unsafe { ffi::PyErr_NoMemory() };
    }

    #[inline]
    fn err_occurred(_py: Python<'_>) -> bool {
        // SAFETY: `_py` proves the GIL is held.
        unsafe { !ffi::PyErr_Occurred().is_null() }
    }

    #[inline]
    fn err_exception_matches(_py: Python<'_>, exc: HPy) -> bool {
        // SAFETY: `_py` proves the GIL is held; `exc` is a live handle.
        unsafe { ffi::PyErr_ExceptionMatches(h2py(exc)) != 0 }
    }

    #[inline]
    fn err_clear(_py: Python<'_>) {
        // SAFETY: `_py` proves the GIL is held.
        unsafe { ffi::PyErr_Clear() }
    }

    unsafe fn new_exception(_py: Python<'_>, utf8_name: *const c_char, utf8_doc: *const c_char, base: HPy, dict: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the strings are NUL-terminated or NULL (doc).
        unsafe { py2h(ffi::PyErr_NewExceptionWithDoc(utf8_name, utf8_doc, h2py(base), h2py(dict))) }
    }

    unsafe fn warn(_py: Python<'_>, category: HPy, utf8_message: *const c_char, stack_level: HPy_ssize_t) -> c_int {
        // SAFETY: `_py` proves the GIL is held; the message is NUL-terminated.
        unsafe { ffi::PyErr_WarnEx(h2py(category), utf8_message, stack_level) }
    }

    fn write_unraisable(_py: Python<'_>, obj: HPy) {
        // SAFETY: `_py` proves the GIL is held; `obj` is NULL or a live handle.
        unsafe { ffi::PyErr_WriteUnraisable(h2py(obj)) }
    }

    #[allow(deprecated)] // PyErr_Fetch/Restore: the one pair on 3.9-3.15 (see version.rs)
    fn note_pending_error(py: Python<'_>, note: &str) {
        let (mut ty, mut value, mut tb) = (null_mut(), null_mut(), null_mut());
        // SAFETY: `py` proves the GIL is held; the fetched references are given back by
        // PyErr_Restore, so the pending exception is the same afterwards.
        unsafe {
            ffi::PyErr_Fetch(&mut ty, &mut value, &mut tb);
            if ty.is_null() {
                return;
            }
            ffi::PyErr_NormalizeException(&mut ty, &mut value, &mut tb);
            if !value.is_null() {
                append_note(py, value, note);
            }
            ffi::PyErr_Restore(ty, value, tb);
        }
    }
}

/// `exc.__notes__.append(note)` (creating the list) unless the note is in it
/// already; a failure on the way is dropped, since the note is only a hint.
///
/// # Safety
/// No exception is pending and `exc` is a live object.
unsafe fn append_note(_py: Python<'_>, exc: *mut ffi::PyObject, note: &str) {
    let Ok(text) = CString::new(note.replace('\0', " ")) else { return };
    // SAFETY: `_py` proves the GIL is held (every call below needs it); this
    // function's contract: no exception is pending (so a NULL result means this call
    // failed, and its error is cleared) and `exc` is a live object to get
    // and set `__notes__` on; `note` and `notes` are checked not NULL before
    // use, and every new reference is released.
    unsafe {
        let note = ffi::PyUnicode_FromString(text.as_ptr());
        if note.is_null() {
            ffi::PyErr_Clear();
            return;
        }
        let mut notes = ffi::PyObject_GetAttrString(exc, c"__notes__".as_ptr());
        if notes.is_null() {
            ffi::PyErr_Clear();
            notes = ffi::PyList_New(0);
            if notes.is_null() || ffi::PyObject_SetAttrString(exc, c"__notes__".as_ptr(), notes) < 0 {
                ffi::Py_XDECREF(notes);
                ffi::Py_DECREF(note);
                ffi::PyErr_Clear();
                return;
            }
        }
        let fresh = ffi::PyList_Check(notes) != 0 && ffi::PySequence_Contains(notes, note) == 0;
        if fresh && ffi::PyList_Append(notes, note) < 0 {
            ffi::PyErr_Clear();
        }
        ffi::PyErr_Clear();
        ffi::Py_DECREF(notes);
        ffi::Py_DECREF(note);
    }
}
