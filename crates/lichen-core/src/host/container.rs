//! Host operations behind the container context functions (list, dict,
//! tuple) and behind list and tuple builders. Trackers are the core's own
//! (see `crate::tracker`).

use super::ObjectHost;
use crate::builder::{Builder, BuilderKind};
use core::ffi::c_int;
use lichen_abi::*;

/// VM operations for the container area of the ABI.
pub trait ContainerHost: super::HostVm {
    /// Whether `h` is a list (or of a subtype); never fails.
    fn list_check(vm: Self::Vm<'_>, h: HPy) -> bool;
    /// A list of `len` (>= 0) items, all `None`.
    fn list_new(vm: Self::Vm<'_>, len: HPy_ssize_t) -> HPy;
    /// Appends to a list; -1 with an exception when `list` is not one.
    fn list_append(vm: Self::Vm<'_>, list: HPy, item: HPy) -> c_int;
    /// A list holding new references to `items`, none of which is NULL.
    fn list_from_array(vm: Self::Vm<'_>, items: &[HPy]) -> HPy;
    /// A tuple holding new references to `items`, none of which is NULL.
    fn tuple_from_array(vm: Self::Vm<'_>, items: &[HPy]) -> HPy;

    fn dict_new(vm: Self::Vm<'_>) -> HPy;
    /// The keys of a dict (never NULL, checked to be a dict by the core) as
    /// a list, ignoring any `keys()` override of a subclass.
    fn dict_keys(vm: Self::Vm<'_>, dict: HPy) -> HPy;
    /// A shallow copy of a dict (checked by the core), as a plain dict.
    fn dict_copy(vm: Self::Vm<'_>, dict: HPy) -> HPy;
}

/// List and tuple builders. A builder value is a nonzero `isize` that the
/// host makes up and the core only passes back (never 0 or -1, the core's
/// failure values, see `crate::builder`).
///
/// The default keeps the items in a boxed host-neutral [`Builder`] and makes
/// the list or tuple at `Build`; a host that can fill its own list or tuple
/// in place (as CPython can) overrides all four methods together.
pub trait BuilderHost: ObjectHost + ContainerHost {
    /// A builder with `size` empty slots; `NO_MEMORY` (0) when memory ran
    /// out, with no exception set.
    fn builder_new(_vm: Self::Vm<'_>, _kind: BuilderKind, size: usize) -> isize {
        match Builder::new(size) {
            Some(builder) => Box::into_raw(Box::new(builder)) as isize,
            None => crate::builder::NO_MEMORY,
        }
    }

    /// Stores a new reference to `item` (which may be NULL: the slot is
    /// then empty) in slot `index`, releasing what the slot held. An index
    /// out of range is ignored (HPy leaves it undefined; debug mode reports
    /// it).
    ///
    /// # Safety
    /// `b` is a live builder of `kind` made by `builder_new`.
    unsafe fn builder_set(vm: Self::Vm<'_>, _kind: BuilderKind, b: isize, index: HPy_ssize_t, item: HPy) {
        // SAFETY: `b` is a live builder made by `builder_new` (this
        // function's contract), which is a leaked `Box<Builder>`, so it may
        // be borrowed mutably for the call (the extension uses a builder
        // from one thread at a time).
        let builder = unsafe { &mut *(b as *mut Builder) };
        let owned = if item.is_null() { item } else { Self::dup(vm, item) };
        let given_back = builder.set(index, owned);
        if !given_back.is_null() {
            Self::close(vm, given_back);
        }
    }

    /// Ends the builder: the list or tuple (or NULL with an exception when
    /// the host could not make it), or `Err(index)` of the first slot that
    /// holds no item, with no exception set.
    ///
    /// # Safety
    /// As for `builder_set`; `b` is dead afterwards.
    unsafe fn builder_build(vm: Self::Vm<'_>, kind: BuilderKind, b: isize) -> Result<HPy, usize> {
        // SAFETY: `b` is a live builder made by `builder_new`, a leaked
        // `Box<Builder>`, and dead afterwards (this function's contract), so
        // the box is taken back exactly once.
        let builder = unsafe { Box::from_raw(b as *mut Builder) };
        let empty = builder.first_empty();
        let items = builder.into_items();
        let result = match (empty, kind) {
            (Some(index), _) => Err(index),
            (None, BuilderKind::List) => Ok(Self::list_from_array(vm, &items)),
            (None, BuilderKind::Tuple) => Ok(Self::tuple_from_array(vm, &items)),
        };
        for h in items.into_iter().filter(|h| !h.is_null()) {
            Self::close(vm, h);
        }
        result
    }

    /// Ends the builder without building, releasing its items.
    ///
    /// # Safety
    /// As for `builder_build`.
    unsafe fn builder_cancel(vm: Self::Vm<'_>, _kind: BuilderKind, b: isize) {
        // SAFETY: as `builder_build`'s contract, this function's: `b` is a
        // live leaked `Box<Builder>` from `builder_new`, dead afterwards, so
        // the box is taken back exactly once.
        let builder = unsafe { Box::from_raw(b as *mut Builder) };
        for h in builder.into_items().into_iter().filter(|h| !h.is_null()) {
            Self::close(vm, h);
        }
    }
}
