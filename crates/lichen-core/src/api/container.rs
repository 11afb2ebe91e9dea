//! Context functions: containers (list, dict, tuple), list and tuple
//! builders, trackers.
//!
//! A builder is the host's (`crate::host::BuilderHost`), a tracker the
//! address of the core's boxed `crate::tracker::Tracker`. As in HPy, the
//! universal mode does not recognise a builder used after `Build` or a
//! tracker used after `Close`; the debug mode does.

use crate::builder::{empty_slot_message, is_live, BuilderKind, NEGATIVE_SIZE};
use crate::prelude::*;
use crate::tracker::Tracker;

/// Raises `SystemError` for a NULL handle where an object is required.
#[cold]
fn null_handle<H: Host, R: ErrorValue>(vm: H::Vm<'_>, api: &str) -> R {
    H::raise(vm, ExcKind::SystemError, &format!("HPy_NULL passed to {api}"));
    R::error_value()
}

fn close_all<H: Host>(vm: H::Vm<'_>, handles: Vec<HPy>) {
    for h in handles {
        H::close(vm, h);
    }
}

pub unsafe fn List_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::list_check(vm, h)) as c_int
}

pub unsafe fn List_New<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, len: HPy_ssize_t) -> HPy {
    if len < 0 {
        H::raise(vm, ExcKind::SystemError, "Negative size passed to HPyList_New");
        return HPy::NULL;
    }
    H::list_new(vm, len)
}

pub unsafe fn List_Append<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h_list: HPy, h_item: HPy) -> c_int {
    if h_list.is_null() || h_item.is_null() {
        return null_handle::<H, _>(vm, "HPyList_Append");
    }
    H::list_append(vm, h_list, h_item)
}

pub unsafe fn Dict_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::is_kind(vm, h, ObjectKind::Dict)) as c_int
}

pub unsafe fn Dict_New<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext) -> HPy {
    H::dict_new(vm)
}

/// Whether `h` is a dict, raising `SystemError` as CPython's dict functions
/// do for a bad argument.
fn check_dict<H: Host>(vm: H::Vm<'_>, h: HPy, api: &str) -> bool {
    if h.is_null() {
        return null_handle::<H, bool>(vm, api);
    }
    if !H::is_kind(vm, h, ObjectKind::Dict) {
        H::raise(vm, ExcKind::SystemError, &format!("{api}: expected a dict object"));
        return false;
    }
    true
}

pub unsafe fn Dict_Keys<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    if !check_dict::<H>(vm, h, "HPyDict_Keys") {
        return HPy::NULL;
    }
    H::dict_keys(vm, h)
}

pub unsafe fn Dict_Copy<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> HPy {
    if !check_dict::<H>(vm, h, "HPyDict_Copy") {
        return HPy::NULL;
    }
    H::dict_copy(vm, h)
}

pub unsafe fn Tuple_Check<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::is_kind(vm, h, ObjectKind::Tuple)) as c_int
}

pub unsafe fn Tuple_FromArray<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, items: *const HPy, n: HPy_ssize_t) -> HPy {
    if n < 0 {
        H::raise(vm, ExcKind::SystemError, "Negative size passed to HPyTuple_FromArray");
        return HPy::NULL;
    }
    if n == 0 {
        return H::tuple_from_array(vm, &[]);
    }
    if items.is_null() {
        return null_handle::<H, _>(vm, "HPyTuple_FromArray");
    }
    // SAFETY: the ABI requires `items` to point to `n` handles.
    let items = unsafe { core::slice::from_raw_parts(items, n as usize) };
    if let Some(index) = items.iter().position(|h| h.is_null()) {
        H::raise(vm, ExcKind::SystemError, &format!("HPyTuple_FromArray: item {index} is HPy_NULL"));
        return HPy::NULL;
    }
    H::tuple_from_array(vm, items)
}

// Builders ---------------------------------------------------------------

/// A new builder: the host's value, or one of the failure values that
/// `Build` reports.
#[inline]
fn builder_new<H: Host>(vm: H::Vm<'_>, kind: BuilderKind, size: HPy_ssize_t) -> isize {
    match usize::try_from(size) {
        Ok(size) => H::builder_new(vm, kind, size),
        Err(_) => NEGATIVE_SIZE,
    }
}

/// A failed builder ignores items: `Build` reports its failure.
#[inline]
fn builder_set<H: Host>(vm: H::Vm<'_>, kind: BuilderKind, b: isize, index: HPy_ssize_t, item: HPy) {
    if is_live(b) {
        // SAFETY: a live builder value came from `H::builder_new`; using
        // one after Build/Cancel is the extension's error (debug mode
        // reports it), as in HPy.
        unsafe { H::builder_set(vm, kind, b, index, item) }
    }
}

#[inline]
fn builder_build<H: Host>(vm: H::Vm<'_>, kind: BuilderKind, b: isize) -> HPy {
    if !is_live(b) {
        return failed_builder::<H>(vm, kind, b);
    }
    // SAFETY: a live builder value (checked above) came from
    // `H::builder_new` for this builder type, and is dead once built:
    // `builder_build`'s contract. Building one twice is the extension's
    // error (debug mode reports it), as in HPy.
    match unsafe { H::builder_build(vm, kind, b) } {
        Ok(h) => h,
        Err(index) => empty_slot_error::<H>(vm, kind, index),
    }
}

/// `Build` of a builder with an empty slot; out of line, so that the
/// usual path keeps no stack frame for the message.
#[cold]
#[inline(never)]
fn empty_slot_error<H: Host>(vm: H::Vm<'_>, kind: BuilderKind, index: usize) -> HPy {
    builder_error::<H>(vm, empty_slot_message(kind, index))
}

/// `Build` of a builder whose `New` failed.
#[cold]
fn failed_builder<H: Host>(vm: H::Vm<'_>, kind: BuilderKind, b: isize) -> HPy {
    if b == NEGATIVE_SIZE {
        return builder_error::<H>(vm, format!("{}_New: negative size", kind.api_name()));
    }
    H::err_no_memory(vm);
    HPy::NULL
}

#[cold]
fn builder_error<H: Host>(vm: H::Vm<'_>, message: String) -> HPy {
    H::raise(vm, ExcKind::SystemError, &message);
    HPy::NULL
}

/// Ends a builder without building; HPy reports nothing here, since a
/// builder is usually cancelled while another error is being handled.
#[inline]
fn builder_cancel<H: Host>(vm: H::Vm<'_>, kind: BuilderKind, b: isize) {
    if is_live(b) {
        // SAFETY: a live builder value (checked above) came from
        // `H::builder_new` for this builder type, as `builder_cancel`
        // requires; using it after Build/Cancel is the extension's error
        // (debug mode reports it), as in HPy.
        unsafe { H::builder_cancel(vm, kind, b) }
    }
}

/// The four context functions of one builder type (`New`, `Set`, `Build`,
/// `Cancel`), which differ only in the builder's C type, its field and its
/// `BuilderKind`.
macro_rules! builder_functions {
    ($new:ident, $set:ident, $build:ident, $cancel:ident: $ty:ident { $field:ident }, $kind:ident) => {
        pub unsafe fn $new<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, size: HPy_ssize_t) -> $ty {
            $ty { $field: builder_new::<H>(vm, BuilderKind::$kind, size) }
        }

        pub unsafe fn $set<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, builder: $ty, index: HPy_ssize_t, h_item: HPy) {
            builder_set::<H>(vm, BuilderKind::$kind, builder.$field, index, h_item)
        }

        pub unsafe fn $build<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, builder: $ty) -> HPy {
            builder_build::<H>(vm, BuilderKind::$kind, builder.$field)
        }

        pub unsafe fn $cancel<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, builder: $ty) {
            builder_cancel::<H>(vm, BuilderKind::$kind, builder.$field)
        }
    };
}

builder_functions!(ListBuilder_New, ListBuilder_Set, ListBuilder_Build, ListBuilder_Cancel: HPyListBuilder { _lst }, List);
builder_functions!(TupleBuilder_New, TupleBuilder_Set, TupleBuilder_Build, TupleBuilder_Cancel: HPyTupleBuilder { _tup }, Tuple);

// Trackers ---------------------------------------------------------------

/// The boxed tracker behind `ht`.
///
/// # Safety
/// `ht` is a live tracker from `Tracker_New` (not NULL, not closed): using
/// one after `Close` is the extension's error, reported by debug mode only,
/// as in HPy.
unsafe fn tracker<'a>(ht: HPyTracker) -> &'a mut Tracker {
    // SAFETY: `ht` is a live tracker from `Tracker_New` (this function's
    // contract), the address of a leaked `Box<Tracker>` not yet closed, which
    // the running context function alone uses.
    unsafe { &mut *(ht._i as *mut Tracker) }
}

pub unsafe fn Tracker_New<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, size: HPy_ssize_t) -> HPyTracker {
    let Ok(size) = usize::try_from(size) else {
        H::raise(vm, ExcKind::ValueError, "HPyTracker_New: negative size");
        return HPyTracker::NULL;
    };
    match Tracker::new(size) {
        Ok(tracker) => HPyTracker { _i: Box::into_raw(Box::new(tracker)) as isize },
        Err(_) => {
            H::err_no_memory(vm);
            HPyTracker::NULL
        }
    }
}

pub unsafe fn Tracker_Add<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, ht: HPyTracker, h: HPy) -> c_int {
    if ht._i == 0 {
        H::raise(vm, ExcKind::SystemError, "HPyTracker_Add: the tracker is NULL");
        return -1;
    }
    // SAFETY: not NULL, so (see `tracker`) a live tracker.
    match unsafe { tracker(ht) }.add(h) {
        Ok(()) => 0,
        Err(_) => {
            H::err_no_memory(vm);
            -1
        }
    }
}

pub unsafe fn Tracker_ForgetAll<H: Host>(_vm: H::Vm<'_>, _ctx: *mut HPyContext, ht: HPyTracker) {
    if ht._i != 0 {
        // SAFETY: not NULL, so (see `tracker`) a live tracker.
        unsafe { tracker(ht) }.forget_all();
    }
}

pub unsafe fn Tracker_Close<H: Host>(vm: H::Vm<'_>, _ctx: *mut HPyContext, ht: HPyTracker) {
    if ht._i == 0 {
        return;
    }
    // SAFETY: not NULL, so (see `tracker`) a live box, which ends here.
    let tracker = unsafe { Box::from_raw(ht._i as *mut Tracker) };
    close_all::<H>(vm, tracker.into_handles());
}
