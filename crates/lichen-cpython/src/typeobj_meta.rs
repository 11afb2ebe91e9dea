//! Heap types with a custom metaclass on CPython 3.9-3.11, which lack
//! `PyType_FromMetaclass`: the type is first built with
//! `PyType_FromSpecWithBases`, then its heap-type body is moved into an
//! object allocated by the metaclass, and `PyType_Ready` rebuilds the rest.
//! Compiled only for those versions: `version.rs` declares this module.

use crate::typeobj::raise;
use core::mem::size_of;
use lichen_core::host::ExcKind;
use pyo3::ffi;
use std::ptr::null_mut;

/// How many entries the spec's `Py_tp_members` array has.
unsafe fn member_count(spec: &ffi::PyType_Spec) -> isize {
    // SAFETY: the caller passes the `PyType_Spec` Lichen built: its `slots`
    // array ends with a zero slot, and a `Py_tp_members` entry points to a
    // `PyMemberDef` array ended by a NULL name.
    unsafe {
        let mut n = 0;
        let mut s = spec.slots;
        while (*s).slot != 0 {
            if (*s).slot == ffi::Py_tp_members {
                let mut m = (*s).pfunc as *const ffi::PyMemberDef;
                n = 0;
                while !(*m).name.is_null() {
                    n += 1;
                    m = m.add(1);
                }
            }
            s = s.add(1);
        }
        n
    }
}

/// A type of metaclass `meta` equivalent to `temp`; NULL with an error set.
///
/// On success `temp` must be kept alive for good (the caller leaks its
/// reference): the new type shares its members array and name buffer.
pub unsafe fn retype(
    temp: *mut ffi::PyTypeObject,
    meta: *mut ffi::PyTypeObject,
    spec: &ffi::PyType_Spec,
) -> *mut ffi::PyObject {
    // SAFETY: the caller holds the GIL and passes `temp`, a ready heap type
    // built from `spec`, and `meta`, a live type: `alloc` makes a zeroed type
    // object of `meta` at least as large as a `PyHeapTypeObject` (plus the
    // members), into which everything after the object header of `temp` is
    // copied (the two do not overlap), with new references for what the copy
    // shares; `temp`'s doc is NUL-terminated, and `set_module` gets the ready
    // type and `spec`.
    unsafe {
        if (*meta).tp_new.map(|f| f as usize) != ffi::PyType_Type.tp_new.map(|f| f as usize) {
            raise(ExcKind::TypeError, "Metaclasses with custom tp_new are not supported.");
            return null_mut();
        }
        let Some(alloc) = (*meta).tp_alloc else {
            raise(ExcKind::TypeError, "metaclass has no tp_alloc");
            return null_mut();
        };
        let result = alloc(meta, member_count(spec));
        if result.is_null() {
            return null_mut();
        }
        let temp_ht = temp as *mut ffi::PyHeapTypeObject;
        let ht = result as *mut ffi::PyHeapTypeObject;
        let tp = result as *mut ffi::PyTypeObject;
        // The object header (and anything a debug build keeps before it) stays
        // the new object's own; everything after the PyVarObject is copied.
        let skip = size_of::<ffi::PyVarObject>();
        core::ptr::copy_nonoverlapping(
            (temp_ht as *const u8).add(skip),
            (ht as *mut u8).add(skip),
            size_of::<ffi::PyHeapTypeObject>() - skip,
        );
        // The copy holds its own references to what the temporary type owns.
        ffi::Py_XINCREF((*ht).ht_name);
        ffi::Py_XINCREF((*ht).ht_qualname);
        ffi::Py_XINCREF((*ht).ht_slots);
        ffi::Py_XINCREF((*ht).ht_module);
        ffi::Py_XINCREF((*tp).tp_base.cast());
        (*tp).tp_as_async = &mut (*ht).as_async;
        (*tp).tp_as_number = &mut (*ht).as_number;
        (*tp).tp_as_sequence = &mut (*ht).as_sequence;
        (*tp).tp_as_mapping = &mut (*ht).as_mapping;
        (*tp).tp_as_buffer = &mut (*ht).as_buffer;
        (*tp).tp_flags = spec.flags as _;
        // GC support the temporary type inherited from a GC base stays: its
        // tp_traverse, tp_clear and tp_free were copied, and PyType_Ready only
        // infers the flag for a type without them.
        (*tp).tp_flags |= ffi::Py_TPFLAGS_HEAPTYPE | ((*temp).tp_flags & ffi::Py_TPFLAGS_HAVE_GC);
        (*tp).tp_dict = null_mut();
        (*tp).tp_bases = null_mut();
        (*tp).tp_mro = null_mut();
        (*tp).tp_cache = null_mut();
        (*tp).tp_subclasses = null_mut();
        (*tp).tp_weaklist = null_mut();
        (*tp).tp_version_tag = 0;
        (*ht).ht_cached_keys = null_mut();
        if !(*temp).tp_doc.is_null() {
            // The type frees its doc when it dies: give it its own copy.
            let len = libc_strlen((*temp).tp_doc) + 1;
            let doc = ffi::PyObject_Malloc(len) as *mut core::ffi::c_char;
            if doc.is_null() {
                ffi::Py_DECREF(result);
                ffi::PyErr_NoMemory();
                return null_mut();
            }
            core::ptr::copy_nonoverlapping((*temp).tp_doc, doc, len);
            (*tp).tp_doc = doc;
        }
        if ffi::PyType_Ready(tp) < 0 {
            ffi::Py_DECREF(result);
            return null_mut();
        }
        if set_module(tp, spec) < 0 {
            ffi::Py_DECREF(result);
            return null_mut();
        }
        result
    }
}

unsafe fn libc_strlen(s: *const core::ffi::c_char) -> usize {
    // SAFETY: the caller passes `s`, a type's `tp_doc`, checked not to be NULL
    // and NUL-terminated as CPython requires.
    unsafe {
        core::ffi::CStr::from_ptr(s).to_bytes().len()
    }
}

/// `__module__` from the dotted spec name, as `PyType_FromSpec` sets it.
unsafe fn set_module(tp: *mut ffi::PyTypeObject, spec: &ffi::PyType_Spec) -> i32 {
    // SAFETY: the caller holds the GIL and passes a ready type (its `tp_dict`
    // set) and its spec, whose `name` is NUL-terminated; `dot` is within it.
    unsafe {
        let name = core::ffi::CStr::from_ptr(spec.name).to_bytes();
        let Some(dot) = name.iter().rposition(|&b| b == b'.') else { return 0 };
        let modname = ffi::PyUnicode_FromStringAndSize(spec.name, dot as isize);
        if modname.is_null() {
            return -1;
        }
        let r = ffi::PyDict_SetItemString((*tp).tp_dict, c"__module__".as_ptr(), modname);
        ffi::Py_DECREF(modname);
        r
    }
}
