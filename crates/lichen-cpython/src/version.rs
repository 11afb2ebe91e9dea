//! Everything in the CPython host that depends on the CPython version
//! (3.9 to 3.15), in one place.
//!
//! A build is for one interpreter (pyo3's build script emits a `Py_3_N` cfg
//! for every minor version up to the target's), so a difference is chosen
//! at compile time. The host's other modules call the functions below and
//! contain no version test.
//!
//! Chosen here:
//! - heap types with a metaclass: `PyType_FromMetaclass` from 3.12; before,
//!   `PyType_FromSpecWithBases` and a copy into an object of the metaclass
//!   (`typeobj_meta.rs`, compiled only for 3.9-3.11);
//! - `HPy_Dump`: `_PyObject_Dump` until 3.14; 3.15 made it public as
//!   `PyObject_Dump`, and the old name is only a macro there, not a symbol.
//!
//! Differences that need no code here, because pyo3-ffi declares each
//! version's C API or the host reads the value at run time:
//! - reference counts: immortal objects (3.12; the 3.14 layout of the
//!   check) are handled by pyo3-ffi's `Py_INCREF`/`Py_DECREF`, which follow
//!   each version's header. The host never reads a reference count.
//! - object layouts: `PyTupleObject` has `ob_hash` before `ob_item` from
//!   3.14 (pyo3-ffi's struct, used by the trampolines' argument tuples and
//!   the tuple builder); `PyLongObject` changed in 3.12, which is why the
//!   offset of a pure type's struct after a builtin base is the base's
//!   `tp_basicsize` (+ `tp_itemsize`) read at run time (`hpytype::head_size`).
//! - recognising Lichen's types (`hpytype.rs`): `tp_vectorcall`, never
//!   inherited nor set by CPython on a heap type, and `tp_methods` mean the
//!   same from 3.9 to 3.15; no `tp_flags` bit is used, since versions claim
//!   new ones.
//! - functions that CPython deprecated but still exports on 3.15
//!   (`PyErr_Fetch`/`PyErr_Restore`, `PyDict_GetItemString`,
//!   `PyEval_GetBuiltins`) are used on every version, since their
//!   replacements (`PyErr_GetRaisedException`, `PyDict_GetItemStringRef`,
//!   `PyEval_GetFrameBuiltins`) are missing from the older ones.
//! - vectorcall: `PyVectorcall_Call`, `tp_vectorcall_offset`,
//!   `Py_TPFLAGS_HAVE_VECTORCALL` and `PY_VECTORCALL_ARGUMENTS_OFFSET` are
//!   the same from 3.9 (only the limited API's view changed, in 3.12).

use pyo3::ffi;

#[cfg(not(Py_3_12))]
#[path = "typeobj_meta.rs"]
mod typeobj_meta;

extern "C" {
    /// Prints `op` to stderr for debugging; copes with NULL. pyo3-ffi does
    /// not declare it.
    #[cfg_attr(Py_3_15, link_name = "PyObject_Dump")]
    #[cfg_attr(not(Py_3_15), link_name = "_PyObject_Dump")]
    pub fn object_dump(op: *mut ffi::PyObject);
}

/// A new heap type from `spec`, with `bases` (NULL: default) and `meta`
/// (NULL: `type`); NULL with an error set.
///
/// # Safety
/// The GIL is held; `spec` and what it points to outlive the type (its
/// arrays are leaked by the caller), `bases` is NULL or a tuple, `meta` NULL
/// or a type.
#[cfg(Py_3_12)]
pub unsafe fn type_from_metaclass(
    spec: &mut ffi::PyType_Spec,
    bases: *mut ffi::PyObject,
    meta: *mut ffi::PyTypeObject,
) -> *mut ffi::PyObject {
    // SAFETY: this function's contract is what PyType_FromMetaclass needs:
    // the GIL is held, `spec` and its arrays outlive the type, `bases` is
    // NULL or a tuple and `meta` NULL or a type (CPython checks the
    // metaclass's suitability itself and raises).
    unsafe { ffi::PyType_FromMetaclass(meta, core::ptr::null_mut(), spec, bases) }
}

/// A new heap type from `spec`, with `bases` (NULL: default) and `meta`
/// (NULL: `type`); NULL with an error set.
///
/// # Safety
/// As for the 3.12 version.
#[cfg(not(Py_3_12))]
pub unsafe fn type_from_metaclass(
    spec: &mut ffi::PyType_Spec,
    bases: *mut ffi::PyObject,
    meta: *mut ffi::PyTypeObject,
) -> *mut ffi::PyObject {
    // SAFETY: the 3.12 version's contract, which this one has: the GIL is
    // held and `spec` with its arrays outlives the type, so
    // PyType_FromSpecWithBases may keep pointers into it; `bases` is NULL or
    // a tuple. `retype` gets the ready heap type just built from `spec` and
    // `meta`, a live type (not NULL, checked); on success `tp` is leaked
    // (kept alive for good), as `retype` requires.
    unsafe {
        let tp = ffi::PyType_FromSpecWithBases(spec, bases);
        if tp.is_null() || meta.is_null() {
            return tp;
        }
        let result = typeobj_meta::retype(tp.cast(), meta, spec);
        if result.is_null() {
            ffi::Py_DECREF(tp);
        }
        // Otherwise the temporary type is leaked on purpose: the new one
        // shares its members array and name buffer.
        result
    }
}
