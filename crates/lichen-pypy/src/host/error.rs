//! The pending exception: kept natively, per thread, and turned into a PyPy
//! exception object only when it reaches Python (or a context function
//! needs the object). `HPyErr_SetString` and the errors the core raises cost
//! no call into PyPy; an extension that sets and clears errors on its fast
//! path (a failed conversion it handles itself) never pays for one.

use super::*;
use crate::callbacks::py;
use core::cell::RefCell;
use core::ffi::{c_char, c_int, CStr};
use lichen_abi::*;
use lichen_core::host::{ErrorHost, ExcKind, ObjectHost};
use std::ffi::CString;

/// An exception set but not yet made into an object. Handles are owned.
pub enum Pending {
    /// `ty(message)`.
    Message { ty: HPy, message: CString },
    /// `ty` raised with `value` (NULL: none), as `raise ty(value)` would.
    Value { ty: HPy, value: HPy },
    /// An exception object.
    Raised(HPy),
    /// What a callback raised: Python keeps the exception, per thread (see
    /// `on_callback_error` in python/lichen/_pypy/errors.py), so that
    /// recording it makes no call a stack at its limit could not make.
    RaisedInPython,
}

impl Pending {
    fn release(self) {
        match self {
            Pending::Message { ty, .. } => PyPy::close(ty),
            Pending::Value { ty, value } => {
                PyPy::close(ty);
                PyPy::close(value);
            }
            Pending::Raised(e) => PyPy::close(e),
            Pending::RaisedInPython => {}
        }
    }
}

thread_local! {
    static PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
    /// The pending exception was set by an implementation that then
    /// returned a result anyway (a SystemError for Python, with it as the
    /// cause).
    static STRAY: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    /// The message of the last error `take` handed to Python, kept until the
    /// next one so that Python can read it.
    static LAST_MESSAGE: RefCell<CString> = RefCell::new(CString::default());
}

/// Makes `p` the pending exception, releasing the one it replaces.
pub fn set(p: Pending) {
    if let Some(old) = PENDING.with(|c| c.borrow_mut().replace(p)) {
        old.release();
    }
}

/// Takes the pending exception, and whether it is stray (see [`mark_stray`]).
pub fn take() -> Option<Pending> {
    PENDING.with(|c| c.borrow_mut().take())
}

/// Takes whether the pending exception came with a result (and forgets it).
pub fn take_stray() -> bool {
    STRAY.replace(false)
}

/// Records that an implementation returned a result with the pending
/// exception set: the call fails with it as the cause of a SystemError.
pub fn mark_stray() {
    STRAY.set(true)
}

#[inline]
pub fn occurred() -> bool {
    PENDING.with(|c| c.borrow().is_some())
}

/// Keeps `message` for Python to read; its address and length.
pub fn keep_message(message: CString) -> (*const c_char, usize) {
    LAST_MESSAGE.with(|m| {
        let mut m = m.borrow_mut();
        *m = message;
        (m.as_ptr(), m.as_bytes().len())
    })
}

/// The exception class the core names, as a context constant.
pub fn exc_class(kind: ExcKind) -> HPy {
    constant(match kind {
        ExcKind::SystemError => "SystemError",
        ExcKind::TypeError => "TypeError",
        ExcKind::ValueError => "ValueError",
        ExcKind::ImportError => "ImportError",
        ExcKind::RuntimeError => "RuntimeError",
        ExcKind::NotImplementedError => "NotImplementedError",
        ExcKind::MemoryError => "MemoryError",
        ExcKind::OverflowError => "OverflowError",
        ExcKind::IndexError => "IndexError",
        ExcKind::KeyError => "KeyError",
        ExcKind::AttributeError => "AttributeError",
    })
}

/// A `CString` of `message`, with any NUL cut off.
fn c_message(message: &str) -> CString {
    let bytes = message.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).unwrap_or_default()
}

/// Raises `kind(message)` and returns `value`, for one-line failures.
pub fn fail<T>(kind: ExcKind, message: &str, value: T) -> T {
    PyPy::raise(kind, message);
    value
}

impl ErrorHost for PyPy {
    fn raise(kind: ExcKind, message: &str) {
        set(Pending::Message { ty: exc_class(kind), message: c_message(message) });
    }

    unsafe fn err_set_string(ty: HPy, utf8_message: *const c_char) {
        let message = if utf8_message.is_null() {
            CString::default()
        } else {
            // SAFETY: the ABI requires a NUL-terminated message.
            unsafe { CStr::from_ptr(utf8_message) }.to_owned()
        };
        set(Pending::Message { ty: PyPy::dup(ty), message });
    }

    fn err_set_object(ty: HPy, value: HPy) {
        set(Pending::Value { ty: PyPy::dup(ty), value: PyPy::dup(value) });
    }

    unsafe fn err_set_from_errno(ty: HPy, filename: *const c_char) {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        py!(err_from_errno(ty._i, errno, filename, 0, 0));
    }

    fn err_set_from_errno_objects(ty: HPy, filename1: HPy, filename2: HPy) {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        py!(err_from_errno(ty._i, errno, core::ptr::null(), filename1._i, filename2._i));
    }

    fn err_no_memory() {
        set(Pending::Value { ty: constant("MemoryError"), value: HPy::NULL });
    }

    fn err_occurred() -> bool {
        occurred()
    }

    fn err_exception_matches(exc: HPy) -> bool {
        let given = PENDING.with(|c| match &*c.borrow() {
            None => None,
            Some(Pending::Message { ty, .. } | Pending::Value { ty, .. }) => Some(PyPy::dup(*ty)),
            Some(Pending::Raised(e)) => Some(PyPy::dup(*e)),
            Some(Pending::RaisedInPython) => Some(HPy::NULL),
        });
        let Some(given) = given else { return false };
        // NULL `given`: the exception Python keeps
        let matches = (!given.is_null() && given == exc) || py!(exception_matches(given._i, exc._i)) == 1;
        PyPy::close(given);
        matches
    }

    fn err_clear() {
        STRAY.set(false);
        if let Some(p) = take() {
            p.release();
        }
    }

    unsafe fn new_exception(utf8_name: *const c_char, utf8_doc: *const c_char, base: HPy, dict: HPy) -> HPy {
        h(py!(new_exception(utf8_name, utf8_doc, base._i, dict._i)))
    }

    unsafe fn warn(category: HPy, utf8_message: *const c_char, stack_level: HPy_ssize_t) -> c_int {
        py!(warn(category._i, utf8_message, stack_level))
    }

    fn write_unraisable(obj: HPy) {
        py!(write_unraisable(obj._i))
    }

    fn note_pending_error(note: &str) {
        if occurred() {
            let note = c_message(note);
            py!(note_error(note.as_ptr()))
        }
    }
}
