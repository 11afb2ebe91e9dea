//! CPython operations behind the container context functions.

use super::*;
use core::ffi::c_int;
use lichen_abi::HPy_ssize_t;
use lichen_core::builder::{BuilderKind, NO_MEMORY};
use lichen_core::host::{BuilderHost, ContainerHost};

/// A new list or tuple of `len` NULL slots, or NULL with an exception set.
///
#[inline]
fn new_empty(_py: Python<'_>, kind: BuilderKind, len: ffi::Py_ssize_t) -> *mut ffi::PyObject {
    // SAFETY: `_py` proves the GIL is held, all PyList_New and PyTuple_New
    // need; a negative `len` makes them raise.
    unsafe {
        match kind {
            BuilderKind::List => ffi::PyList_New(len),
            BuilderKind::Tuple => ffi::PyTuple_New(len),
        }
    }
}

/// A new list or tuple of `len` items (none when `len` is negative: CPython
/// raises), slot `i` holding a new reference to `item(i)`. CPython leaves
/// the slots of a new list or tuple NULL, which Python code must never
/// see, so every one is set before the object is handed out.
///
/// # Safety
/// `item` returns live objects.
unsafe fn new_filled(py: Python<'_>, kind: BuilderKind, len: ffi::Py_ssize_t, item: impl Fn(ffi::Py_ssize_t) -> *mut ffi::PyObject) -> HPy {
    // SAFETY: `py` proves the GIL is held and `item` returns live objects
    // (this function's contract), each given a new
    // reference; `i` stays below the length the list or tuple was made
    // with, and each slot of the new, unshared object takes over that
    // reference.
    unsafe {
        let seq = new_empty(py, kind, len);
        if !seq.is_null() {
            for i in 0..len {
                let obj = h2py(new_ref(py, item(i)));
                match kind {
                    BuilderKind::List => ffi::PyList_SET_ITEM(seq, i, obj),
                    BuilderKind::Tuple => ffi::PyTuple_SET_ITEM(seq, i, obj),
                }
            }
        }
        py2h(seq)
    }
}

impl ContainerHost for CPython {
    #[inline]
    fn list_check(_py: Python<'_>, h: HPy) -> bool {
        // SAFETY: `_py` proves the GIL is held; the core passes a live, non-NULL handle.
        unsafe { ffi::PyList_Check(h2py(h)) != 0 }
    }

    fn list_new(py: Python<'_>, len: HPy_ssize_t) -> HPy {
        // HPy has no way to fill the slots but `HPy_SetItem`, so they start
        // as None.
        // SAFETY: None lives forever.
        unsafe { new_filled(py, BuilderKind::List, len, |_| ffi::Py_None()) }
    }

    #[inline]
    fn list_append(_py: Python<'_>, list: HPy, item: HPy) -> c_int {
        // SAFETY: `_py` proves the GIL is held; both handles are live and not NULL;
        // PyList_Append raises SystemError for a non-list.
        unsafe { ffi::PyList_Append(h2py(list), h2py(item)) }
    }

    fn list_from_array(py: Python<'_>, items: &[HPy]) -> HPy {
        // SAFETY: the items are live handles.
        unsafe { new_filled(py, BuilderKind::List, items.len() as ffi::Py_ssize_t, |i| h2py(items[i as usize])) }
    }

    fn tuple_from_array(py: Python<'_>, items: &[HPy]) -> HPy {
        // SAFETY: the items are live handles, so `item` returns live
        // objects: `new_filled`'s contract.
        unsafe { new_filled(py, BuilderKind::Tuple, items.len() as ffi::Py_ssize_t, |i| h2py(items[i as usize])) }
    }

    #[inline]
    fn dict_new(_py: Python<'_>) -> HPy {
        // SAFETY: `_py` proves the GIL is held.
        unsafe { py2h(ffi::PyDict_New()) }
    }

    #[inline]
    fn dict_keys(_py: Python<'_>, dict: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the core checked that `dict` is a dict.
        unsafe { py2h(ffi::PyDict_Keys(h2py(dict))) }
    }

    #[inline]
    fn dict_copy(_py: Python<'_>, dict: HPy) -> HPy {
        // SAFETY: `_py` proves the GIL is held; the core checked that `dict` is a dict,
        // which PyDict_Copy reads.
        unsafe { py2h(ffi::PyDict_Copy(h2py(dict))) }
    }
}

/// A builder is the list or tuple being filled, owned by the builder: its
/// slots start NULL (CPython allows that while an object is being built;
/// list and tuple deallocation skip NULL slots), `Set` stores into them and
/// `Build` hands the object out once no slot is NULL.
impl BuilderHost for CPython {
    #[inline]
    fn builder_new(py: Python<'_>, kind: BuilderKind, size: usize) -> isize {
        let Ok(size) = ffi::Py_ssize_t::try_from(size) else { return NO_MEMORY };
        let obj = new_empty(py, kind, size);
        if obj.is_null() {
            // `New` never raises: `Build` reports the MemoryError.
            // SAFETY: `py` proves the GIL is held.
            unsafe { ffi::PyErr_Clear() };
            return NO_MEMORY;
        }
        obj as isize
    }

    #[inline]
    unsafe fn builder_set(py: Python<'_>, kind: BuilderKind, b: isize, index: HPy_ssize_t, item: HPy) {
        // SAFETY: `b` is the live list or tuple of `kind` from
        // `builder_new`, owned by the builder (`builder_set`'s contract):
        // `item_slots`'s contract.
        let (items, len) = unsafe { item_slots(py, kind, b as *mut ffi::PyObject) };
        // A negative index becomes a huge one: out of range as well.
        let i = index as usize;
        if i >= len {
            return;
        }
        let new = h2py(item);
        // SAFETY: `py` proves the GIL is held; slot `i` is in range; `new`
        // is NULL or a live object the
        // caller lends us; the slot's old item (NULL or owned by the
        // builder) is dropped last, since that may run arbitrary code.
        unsafe {
            ffi::Py_XINCREF(new);
            let old = core::mem::replace(&mut *items.add(i), new);
            ffi::Py_XDECREF(old);
        }
    }

    #[inline]
    unsafe fn builder_build(py: Python<'_>, kind: BuilderKind, b: isize) -> Result<HPy, usize> {
        let obj = b as *mut ffi::PyObject;
        // SAFETY: `b` is the live list or tuple of `kind` from
        // `builder_new`, owned by the builder (`builder_build`'s contract),
        // `item_slots`'s contract, and `drop_unfinished`'s; the slots read
        // are in range (`i` < `len`).
        unsafe {
            let (items, len) = item_slots(py, kind, obj);
            for i in 0..len {
                if (*items.add(i)).is_null() {
                    return Err(drop_unfinished(py, obj, i));
                }
            }
        }
        // The builder's reference becomes the result's.
        Ok(py2h(obj))
    }

    unsafe fn builder_cancel(_py: Python<'_>, _kind: BuilderKind, b: isize) {
        // SAFETY: `b` is a live builder from `builder_new`, dead afterwards
        // (`builder_cancel`'s contract): the list or tuple whose one
        // reference the builder owns, dropped here once; `_py` proves the GIL is held.
        unsafe { ffi::Py_DECREF(b as *mut ffi::PyObject) }
    }
}

/// Drops a builder's list or tuple whose slot `index` is empty; returns
/// `index`. Out of line: `Build` rarely fails.
///
/// # Safety
/// `obj` is the builder's own reference.
#[cold]
#[inline(never)]
unsafe fn drop_unfinished(_py: Python<'_>, obj: *mut ffi::PyObject, index: usize) -> usize {
    // SAFETY: `obj` is the builder's own reference (this function's
    // contract), dropped here once; `_py` proves the GIL is held.
    unsafe { ffi::Py_DECREF(obj) };
    index
}

/// Where the item slots of a list or tuple start, and how many there are
/// (NULL slots included).
///
/// # Safety
/// `obj` is a live list (for `List`) or tuple (for `Tuple`) that nothing
/// else uses meanwhile.
#[inline]
unsafe fn item_slots(_py: Python<'_>, kind: BuilderKind, obj: *mut ffi::PyObject) -> (*mut *mut ffi::PyObject, usize) {
    // SAFETY: `obj` is a live list (for `List`) or tuple (for `Tuple`),
    // unshared (this function's contract), and `_py` proves the GIL is
    // held, so it may be
    // read as that layout; lists and tuples hold Py_SIZE item slots, at
    // `ob_item` (a pointer for lists, NULL when empty; inline for tuples).
    unsafe {
        let items = match kind {
            BuilderKind::List => (*(obj as *mut ffi::PyListObject)).ob_item,
            BuilderKind::Tuple => (*(obj as *mut ffi::PyTupleObject)).ob_item.as_mut_ptr(),
        };
        (items, ffi::Py_SIZE(obj) as usize)
    }
}
