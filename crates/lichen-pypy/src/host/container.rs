//! PyPy operations behind the container context functions. Builders keep
//! their items natively (the core's default) and make the list or tuple in
//! one call into PyPy.

use super::object::{check, Check};
use super::*;
use crate::callbacks::py;
use core::ffi::c_int;
use lichen_abi::*;
use crate::lock::Locked;
use lichen_core::builder::BuilderKind;
use lichen_core::host::{BuilderHost, ContainerHost, ObjectHost};

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

/// Builders' item arrays kept for the next builder, so that building a
/// small tuple or list allocates nothing for its builder. At most
/// [`POOL_MAX`] are kept, none with room for more than [`ITEMS_KEPT`]. A
/// builder value is one word, so a builder is a boxed `Vec`, and the pool
/// keeps the boxes too.
#[allow(clippy::vec_box)]
static POOL: Locked<Vec<Box<Vec<HPy>>>> = Locked::new(Vec::new());
const POOL_MAX: usize = 32;
const ITEMS_KEPT: usize = 64;

/// The builder value `b` names (see `BuilderHost::builder_new` below).
///
/// # Safety
/// `b` is a live builder made by `builder_new`, which the extension uses
/// from one thread at a time.
unsafe fn items_of<'b>(b: isize) -> &'b mut Vec<HPy> {
    // SAFETY: a live builder is a leaked `Box<Vec<HPy>>` (the contract).
    unsafe { &mut *(b as *mut Vec<HPy>) }
}

/// Takes back the box of builder `b`, now dead.
///
/// # Safety
/// As for [`items_of`]; `b` is not used again.
#[allow(clippy::box_collection)] // a builder value is one word: see `POOL`
unsafe fn end_builder(b: isize) -> Box<Vec<HPy>> {
    // SAFETY: a live builder is a leaked `Box<Vec<HPy>>`, taken back once
    // (the contract).
    unsafe { Box::from_raw(b as *mut Vec<HPy>) }
}

#[allow(clippy::box_collection)] // see `POOL`
fn recycle(mut items: Box<Vec<HPy>>) {
    if items.capacity() <= ITEMS_KEPT {
        items.clear();
        POOL.with(|pool| {
            if pool.len() < POOL_MAX {
                pool.push(items);
            }
        });
    }
}

fn close_all(vm: LockHeld<'_>, items: &[HPy]) {
    for &h in items.iter().filter(|h| !h.is_null()) {
        PyPy::close(vm, h);
    }
}

/// Builders are the core's (items held natively until `Build`), with their
/// arrays reused, and a built tuple's slot keeps the builder's holds on the
/// items (see `table::set_items`) instead of taking holds of its own.
impl BuilderHost for PyPy {
    fn builder_new(_vm: LockHeld<'_>, _kind: BuilderKind, size: usize) -> isize {
        let mut items = POOL.with(|pool| pool.pop()).unwrap_or_default();
        if items.try_reserve_exact(size).is_err() {
            return lichen_core::builder::NO_MEMORY;
        }
        items.resize(size, HPy::NULL);
        Box::into_raw(items) as isize
    }

    unsafe fn builder_set(vm: LockHeld<'_>, _kind: BuilderKind, b: isize, index: HPy_ssize_t, item: HPy) {
        // SAFETY: `b` is a live builder (this function's contract).
        let items = unsafe { items_of(b) };
        let owned = if item.is_null() { item } else { PyPy::dup(vm, item) };
        let given_back = match usize::try_from(index).ok().and_then(|i| items.get_mut(i)) {
            Some(slot) => core::mem::replace(slot, owned),
            None => owned,
        };
        if !given_back.is_null() {
            PyPy::close(vm, given_back);
        }
    }

    unsafe fn builder_build(vm: LockHeld<'_>, kind: BuilderKind, b: isize) -> Result<HPy, usize> {
        // SAFETY: `b` is a live builder, dead afterwards (the contract).
        let items = unsafe { end_builder(b) };
        let result = match (items.iter().position(|h| h.is_null()), kind) {
            (Some(index), _) => {
                close_all(vm, &items);
                Err(index)
            }
            (None, BuilderKind::Tuple) => Ok(tuple_taking(vm, &items)),
            (None, BuilderKind::List) => {
                let list = Self::list_from_array(vm, &items);
                close_all(vm, &items);
                Ok(list)
            }
        };
        recycle(items);
        result
    }

    unsafe fn builder_cancel(vm: LockHeld<'_>, _kind: BuilderKind, b: isize) {
        // SAFETY: `b` is a live builder, dead afterwards (the contract).
        let items = unsafe { end_builder(b) };
        close_all(vm, &items);
        recycle(items);
    }
}

/// A tuple of `items`, whose holds it takes over: its slot keeps them (a
/// tuple short enough, see `table::set_items`), or they are closed.
fn tuple_taking(vm: LockHeld<'_>, items: &[HPy]) -> HPy {
    let tuple = from_array(Sequence::Tuple, items);
    if !tuple.is_null() && items.len() <= crate::table::ITEMS_MAX {
        crate::table::set_items(tuple, items.into(), false);
    } else {
        close_all(vm, items);
    }
    tuple
}
