//! `CPython` implements the core's `Host` trait. A handle is the address of
//! the `PyObject` it owns a reference to, so conversions are free.

mod container;
pub mod error;
mod number;
mod object;
mod text;
mod types;

use lichen_abi::{HPy, HPyField, HPyGlobal};
use lichen_core::host::HostVm;
use lichen_core::Host;
use pyo3::{ffi, Python};

/// The CPython VM, as a Lichen host. All of its operations run with the GIL
/// held: extensions are only ever called by CPython with the GIL, and each
/// operation takes PyO3's `Python<'py>` token, the proof of it
/// ([`HostVm`]).
pub struct CPython;

impl HostVm for CPython {
    /// Zero-sized: passing it costs nothing.
    type Vm<'py> = Python<'py>;

    #[inline(always)]
    unsafe fn enter<R>(f: impl for<'py> FnOnce(Python<'py>) -> R) -> R {
        // SAFETY: `enter`'s contract: the thread holds the GIL, what
        // `assume_attached` assumes; the token's lifetime is bounded by the
        // call of `f` (higher-ranked), so it outlives neither.
        f(unsafe { Python::assume_attached() })
    }
}

/// The object a handle stands for (NULL for `HPy_NULL`). Borrowed.
#[inline(always)]
pub fn h2py(h: HPy) -> *mut ffi::PyObject {
    h._i as *mut ffi::PyObject
}

/// A handle for `obj`, taking over the reference the caller owns.
#[inline(always)]
pub fn py2h(obj: *mut ffi::PyObject) -> HPy {
    HPy { _i: obj as isize }
}

/// The object a field or a global stands for: like a handle, its `_i` is
/// the address of the object it owns a reference to (0 for none).
#[inline(always)]
pub fn stored(i: isize) -> *mut ffi::PyObject {
    i as *mut ffi::PyObject
}

/// Makes `slot` (a field's or a global's `_i`) own a new reference to the
/// object of `h` (or nothing for `HPy_NULL`) and releases the reference it
/// owned. The new reference is in place before the old one is released, as
/// releasing may run arbitrary code that reads the slot.
///
/// # Safety
/// `slot` holds 0 or an owned reference; `h` is NULL or a live handle.
pub unsafe fn replace_stored(_py: Python<'_>, slot: &mut isize, h: HPy) {
    let old = stored(*slot);
    // SAFETY: `_py` proves the GIL is held; the caller's contract: `h`'s
    // object is live, and `old` is a reference `slot` owned, given up here.
    unsafe {
        let obj = h2py(h);
        ffi::Py_XINCREF(obj);
        *slot = obj as isize;
        ffi::Py_XDECREF(old);
    }
}

/// The new object `f` makes of the object of `h` (NULL with an exception
/// set on failure): the shape of CPython's one-object functions behind
/// several host methods, picked per operation.
///
/// For functions that accept any live object, or the kind of object the
/// caller made sure `h` stands for.
#[inline]
pub fn call_unary(_py: Python<'_>, f: unsafe extern "C" fn(*mut ffi::PyObject) -> *mut ffi::PyObject, h: HPy) -> HPy {
    // SAFETY: `_py` proves the GIL is held; `h` is a live handle and `f` accepts its object: `call_unary` is only used with
    // functions that take any live object, or the kind the caller checked
    // `h` to be.
    unsafe { py2h(f(h2py(h))) }
}

/// Host methods that are one call of a CPython function, written as
/// `fn name(py, args) -> Result = PyFunction;`: the method takes the token
/// first. A handle argument (`h`) is passed as the object it stands for; a
/// value argument (`v: T`) as it is. A result of type `HPy` is the new
/// reference CPython returns (NULL with an exception set on failure), any
/// other result CPython's as it is.
///
/// Only for functions whose soundness needs no more than what every host
/// method has: the token (the GIL is held), and each handle live or NULL where the
/// CPython function accepts NULL. The functions listed check their
/// arguments' types themselves, raising TypeError.
macro_rules! c_api_calls {
    () => {};
    ($(#[$doc:meta])* fn $name:ident(py, $v:ident: $t:ty) -> HPy = $ffi:ident; $($rest:tt)*) => {
        $(#[$doc])*
        #[inline]
        fn $name(_py: Python<'_>, $v: $t) -> HPy {
            // SAFETY: `_py` proves the GIL is held; the argument is a plain
            // value.
            unsafe { py2h(ffi::$ffi($v)) }
        }
        c_api_calls!($($rest)*);
    };
    ($(#[$doc:meta])* fn $name:ident(py, $($h:ident),+) -> HPy = $ffi:ident; $($rest:tt)*) => {
        $(#[$doc])*
        #[inline]
        fn $name(_py: Python<'_>, $($h: HPy),+) -> HPy {
            // SAFETY: `_py` proves the GIL is held; each handle is live, or
            // NULL only where `$ffi` accepts NULL, and `$ffi` checks its
            // arguments' types itself: the conditions for being listed in
            // `c_api_calls!`. The result is CPython's new reference, which
            // the handle takes over.
            unsafe { py2h(ffi::$ffi($(h2py($h)),+)) }
        }
        c_api_calls!($($rest)*);
    };
    ($(#[$doc:meta])* fn $name:ident(py, $($h:ident),+) -> $ret:ty = $ffi:ident; $($rest:tt)*) => {
        $(#[$doc])*
        #[inline]
        fn $name(_py: Python<'_>, $($h: HPy),+) -> $ret {
            // SAFETY: `_py` proves the GIL is held; each handle is live, or
            // NULL only where `$ffi` accepts NULL, and `$ffi` checks its
            // arguments' types itself: the conditions for being listed in
            // `c_api_calls!`.
            unsafe { ffi::$ffi($(h2py($h)),+) }
        }
        c_api_calls!($($rest)*);
    };
}
pub(crate) use c_api_calls;

/// A new handle to a borrowed object.
///
/// # Safety
/// `obj` is NULL or a live object.
#[inline(always)]
pub unsafe fn new_ref(_py: Python<'_>, obj: *mut ffi::PyObject) -> HPy {
    // SAFETY: `_py` proves the GIL is held; the caller passes `obj` NULL or a
    // live (borrowed) object, which `Py_XINCREF` accepts; the new reference
    // becomes the handle's.
    unsafe {
        ffi::Py_XINCREF(obj);
        py2h(obj)
    }
}

impl Host for CPython {
    const NAME: &'static str = "CPython";
    const CALL_REAL_FUNCTION: lichen_core::host::CallRealFunction =
        lichen_core::api::CallRealFunctionFromTrampoline::<CPython>;

    fn handle_constant(py: Python<'_>, name: &str) -> HPy {
        // The constants are immortal or kept alive by the interpreter, and
        // the context never closes them: the handle owns no reference.
        py2h(constant(py, name))
    }
}

fn constant(py: Python<'_>, name: &str) -> *mut ffi::PyObject {
    // SAFETY: `py` proves the GIL is held: `Py_None()` and the like read
    // CPython's singletons, `&raw mut` takes the address of the static type
    // objects without making a reference, and `PyEval_GetBuiltins` needs the
    // GIL and a running interpreter, which an attached thread has.
    unsafe {
        use ffi::*;
        let obj: *mut PyObject = match name {
            "None" => Py_None(),
            "True" => Py_True(),
            "False" => Py_False(),
            "NotImplemented" => Py_NotImplemented(),
            "Ellipsis" => Py_Ellipsis(),
            "BaseObjectType" => &raw mut PyBaseObject_Type as *mut PyObject,
            "TypeType" => &raw mut PyType_Type as *mut PyObject,
            "BoolType" => &raw mut PyBool_Type as *mut PyObject,
            "LongType" => &raw mut PyLong_Type as *mut PyObject,
            "FloatType" => &raw mut PyFloat_Type as *mut PyObject,
            "UnicodeType" => &raw mut PyUnicode_Type as *mut PyObject,
            "TupleType" => &raw mut PyTuple_Type as *mut PyObject,
            "ListType" => &raw mut PyList_Type as *mut PyObject,
            "ComplexType" => &raw mut PyComplex_Type as *mut PyObject,
            "BytesType" => &raw mut PyBytes_Type as *mut PyObject,
            "MemoryViewType" => &raw mut PyMemoryView_Type as *mut PyObject,
            "CapsuleType" => &raw mut PyCapsule_Type as *mut PyObject,
            "SliceType" => &raw mut PySlice_Type as *mut PyObject,
            "Builtins" => PyEval_GetBuiltins(),
            _ => core::ptr::null_mut(),
        };
        if obj.is_null() {
            exc_object(py, name)
        } else {
            obj
        }
    }
}

/// Exceptions and warnings are looked up in `builtins` by name, which keeps
/// this table free of 70 per-version `PyExc_*` statics.
fn exc_object(_py: Python<'_>, name: &str) -> *mut ffi::PyObject {
    // SAFETY: `_py` proves the GIL is held: `PyEval_GetBuiltins` returns the builtins dict (borrowed), and
    // `PyDict_GetItemString` reads it with a NUL-terminated key (a CString,
    // alive for the call).
    unsafe {
        let builtins = ffi::PyEval_GetBuiltins();
        let key = std::ffi::CString::new(name).unwrap();
        let obj = ffi::PyDict_GetItemString(builtins, key.as_ptr());
        if obj.is_null() {
            panic!("lichen: the ABI declaration names a constant '{name}' that CPython lacks");
        }
        obj
    }
}

/// How a panic caught in one of the host's own `extern "C"` entries is
/// reported (see `lichen_core::guard`): a pending `SystemError`. Only
/// those entries' barriers call it.
pub(crate) fn raise_system_error(msg: &str) {
    // SAFETY: the host's entries (slots, getsets, deallocators, GC
    // visitors) are called by CPython with the GIL held, `enter`'s
    // precondition, and their barrier reports on the same thread.
    unsafe { CPython::enter(|py| <CPython as lichen_core::host::ErrorHost>::raise(py, lichen_core::host::ExcKind::SystemError, msg)) }
}

/// The same for a deallocator, which must return with no exception pending:
/// the `SystemError` goes to `sys.unraisablehook`, as CPython does with
/// errors in `__del__`.
pub(crate) fn report_unraisable(msg: &str) {
    raise_system_error(msg);
    // SAFETY: the GIL is held by the deallocator's caller; an exception is
    // pending (just set).
    unsafe { ffi::PyErr_WriteUnraisable(core::ptr::null_mut()) }
}
