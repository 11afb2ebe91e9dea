//! PyPy operations behind the container context functions. Builders keep
//! their items natively (the core's default) and make the list or tuple in
//! one call into PyPy.

use super::object::{check, Check};
use super::*;
use crate::callbacks::py;
use core::ffi::c_int;
use lichen_abi::*;
use lichen_core::host::{BuilderHost, ContainerHost};

crate::codes! {
    /// What `sequence_from_array` makes (its `kind`).
    pub enum Sequence { List = 0, Tuple = 1 }
}

fn from_array(kind: Sequence, items: &[HPy]) -> HPy {
    h(py!(sequence_from_array(kind as c_int, items.as_ptr().cast(), items.len() as isize)))
}

impl ContainerHost for PyPy {
    fn list_check(_held: LockHeld<'_>, h: HPy) -> bool {
        check(h, Check::List)
    }

    fn list_new(_held: LockHeld<'_>, len: HPy_ssize_t) -> HPy {
        h(py!(list_new(len)))
    }

    fn list_append(_held: LockHeld<'_>, list: HPy, item: HPy) -> c_int {
        py!(list_append(list._i, item._i))
    }

    fn list_from_array(_held: LockHeld<'_>, items: &[HPy]) -> HPy {
        from_array(Sequence::List, items)
    }

    fn tuple_from_array(_held: LockHeld<'_>, items: &[HPy]) -> HPy {
        let tuple = from_array(Sequence::Tuple, items);
        if !tuple.is_null() && items.len() <= crate::table::ITEMS_MAX {
            // a tuple's items never change: `HPy_Length` and `HPy_GetItem`
            // of it, or of a field it is stored in, need no call into PyPy
            let held = items.iter().map(|&item| crate::table::dup(item)).collect();
            crate::table::set_items(tuple, held, false);
        }
        tuple
    }

    fn dict_new(_held: LockHeld<'_>) -> HPy {
        h(py!(dict_new()))
    }

    fn dict_keys(_held: LockHeld<'_>, dict: HPy) -> HPy {
        h(py!(dict_keys(dict._i)))
    }

    fn dict_copy(_held: LockHeld<'_>, dict: HPy) -> HPy {
        h(py!(dict_copy(dict._i)))
    }
}

impl BuilderHost for PyPy {}
