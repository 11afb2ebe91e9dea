//! CPython operations behind the container context functions.

use super::*;
use core::ffi::c_int;
use lichen_abi::HPy_ssize_t;
use lichen_core::host::ContainerHost;

impl ContainerHost for CPython {
    #[inline]
    fn list_check(h: HPy) -> bool {
        // SAFETY: the GIL is held; the core passes a live, non-NULL handle.
        unsafe { ffi::PyList_Check(h2py(h)) != 0 }
    }

    fn list_new(len: HPy_ssize_t) -> HPy {
        // SAFETY: the GIL is held. PyList_New leaves the slots NULL, which
        // Python code must never see; HPy has no way to fill them but
        // `HPy_SetItem`, so they start as None instead.
        unsafe {
            let list = ffi::PyList_New(len);
            if !list.is_null() {
                for i in 0..len {
                    ffi::PyList_SET_ITEM(list, i, h2py(new_ref(ffi::Py_None())));
                }
            }
            py2h(list)
        }
    }

    #[inline]
    fn list_append(list: HPy, item: HPy) -> c_int {
        // SAFETY: the GIL is held; both handles are live and not NULL;
        // PyList_Append raises SystemError for a non-list.
        unsafe { ffi::PyList_Append(h2py(list), h2py(item)) }
    }

    fn list_from_array(items: &[HPy]) -> HPy {
        // SAFETY: the GIL is held; every slot of the new list gets a new
        // reference to a live object before the list is handed out.
        unsafe {
            let list = ffi::PyList_New(items.len() as ffi::Py_ssize_t);
            if !list.is_null() {
                for (i, &item) in items.iter().enumerate() {
                    ffi::PyList_SET_ITEM(list, i as ffi::Py_ssize_t, h2py(new_ref(h2py(item))));
                }
            }
            py2h(list)
        }
    }

    fn tuple_from_array(items: &[HPy]) -> HPy {
        // SAFETY: as for `list_from_array`.
        unsafe {
            let tuple = ffi::PyTuple_New(items.len() as ffi::Py_ssize_t);
            if !tuple.is_null() {
                for (i, &item) in items.iter().enumerate() {
                    ffi::PyTuple_SET_ITEM(tuple, i as ffi::Py_ssize_t, h2py(new_ref(h2py(item))));
                }
            }
            py2h(tuple)
        }
    }

    #[inline]
    fn dict_new() -> HPy {
        // SAFETY: the GIL is held.
        unsafe { py2h(ffi::PyDict_New()) }
    }

    #[inline]
    fn dict_keys(dict: HPy) -> HPy {
        // SAFETY: the GIL is held; the core checked that `dict` is a dict.
        unsafe { py2h(ffi::PyDict_Keys(h2py(dict))) }
    }

    #[inline]
    fn dict_copy(dict: HPy) -> HPy {
        // SAFETY: as for `dict_keys`.
        unsafe { py2h(ffi::PyDict_Copy(h2py(dict))) }
    }
}
