//! Host operations behind the container context functions (list, dict,
//! tuple). Builders and trackers are the core's own (see
//! `crate::builder`, `crate::tracker`); they only need `list_from_array`
//! and `tuple_from_array` from the VM.

use core::ffi::c_int;
use lichen_abi::*;

/// VM operations for the container area of the ABI.
pub trait ContainerHost {
    /// Whether `h` is a list (or of a subtype); never fails.
    fn list_check(h: HPy) -> bool;
    /// A list of `len` (>= 0) items, all `None`.
    fn list_new(len: HPy_ssize_t) -> HPy;
    /// Appends to a list; -1 with an exception when `list` is not one.
    fn list_append(list: HPy, item: HPy) -> c_int;
    /// A list holding new references to `items`, none of which is NULL.
    fn list_from_array(items: &[HPy]) -> HPy;
    /// A tuple holding new references to `items`, none of which is NULL.
    fn tuple_from_array(items: &[HPy]) -> HPy;

    fn dict_new() -> HPy;
    /// The keys of a dict (never NULL, checked to be a dict by the core) as
    /// a list, ignoring any `keys()` override of a subclass.
    fn dict_keys(dict: HPy) -> HPy;
    /// A shallow copy of a dict (checked by the core), as a plain dict.
    fn dict_copy(dict: HPy) -> HPy;
}
