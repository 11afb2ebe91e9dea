//! Context functions: containers (list, dict, tuple), list and tuple
//! builders, trackers.
//!
//! Builders and trackers are the core's own objects (`crate::builder`,
//! `crate::tracker`): the extension holds an id into a table, so a builder
//! used after `Build` or a tracker used after `Close` is recognised instead
//! of touching freed memory.

use crate::builder::{Builder, BuilderKind, Outcome, BUILDERS};
use crate::prelude::*;
use crate::tracker::{Tracker, TRACKERS};

/// Raises `SystemError` for a NULL handle where an object is required.
#[cold]
fn null_handle<H: Host, R: ErrorValue>(api: &str) -> R {
    H::raise(ExcKind::SystemError, &format!("HPy_NULL passed to {api}"));
    R::error_value()
}

fn close_all<H: Host>(handles: Vec<HPy>) {
    for h in handles {
        H::close(h);
    }
}

pub unsafe extern "C" fn List_Check<H: Host>(_ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::list_check(h)) as c_int
}

pub unsafe extern "C" fn List_New<H: Host>(_ctx: *mut HPyContext, len: HPy_ssize_t) -> HPy {
    if len < 0 {
        H::raise(ExcKind::SystemError, "Negative size passed to HPyList_New");
        return HPy::NULL;
    }
    H::list_new(len)
}

pub unsafe extern "C" fn List_Append<H: Host>(_ctx: *mut HPyContext, h_list: HPy, h_item: HPy) -> c_int {
    if h_list.is_null() || h_item.is_null() {
        return null_handle::<H, _>("HPyList_Append");
    }
    H::list_append(h_list, h_item)
}

pub unsafe extern "C" fn Dict_Check<H: Host>(_ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::is_kind(h, ObjectKind::Dict)) as c_int
}

pub unsafe extern "C" fn Dict_New<H: Host>(_ctx: *mut HPyContext) -> HPy {
    H::dict_new()
}

/// Whether `h` is a dict, raising `SystemError` as CPython's dict functions
/// do for a bad argument.
fn check_dict<H: Host>(h: HPy, api: &str) -> bool {
    if h.is_null() {
        return null_handle::<H, bool>(api);
    }
    if !H::is_kind(h, ObjectKind::Dict) {
        H::raise(ExcKind::SystemError, &format!("{api}: expected a dict object"));
        return false;
    }
    true
}

pub unsafe extern "C" fn Dict_Keys<H: Host>(_ctx: *mut HPyContext, h: HPy) -> HPy {
    if !check_dict::<H>(h, "HPyDict_Keys") {
        return HPy::NULL;
    }
    H::dict_keys(h)
}

pub unsafe extern "C" fn Dict_Copy<H: Host>(_ctx: *mut HPyContext, h: HPy) -> HPy {
    if !check_dict::<H>(h, "HPyDict_Copy") {
        return HPy::NULL;
    }
    H::dict_copy(h)
}

pub unsafe extern "C" fn Tuple_Check<H: Host>(_ctx: *mut HPyContext, h: HPy) -> c_int {
    (!h.is_null() && H::is_kind(h, ObjectKind::Tuple)) as c_int
}

pub unsafe extern "C" fn Tuple_FromArray<H: Host>(_ctx: *mut HPyContext, items: *const HPy, n: HPy_ssize_t) -> HPy {
    if n < 0 {
        H::raise(ExcKind::SystemError, "Negative size passed to HPyTuple_FromArray");
        return HPy::NULL;
    }
    if n == 0 {
        return H::tuple_from_array(&[]);
    }
    if items.is_null() {
        return null_handle::<H, _>("HPyTuple_FromArray");
    }
    // SAFETY: the ABI requires `items` to point to `n` handles.
    let items = unsafe { core::slice::from_raw_parts(items, n as usize) };
    if let Some(index) = items.iter().position(|h| h.is_null()) {
        H::raise(ExcKind::SystemError, &format!("HPyTuple_FromArray: item {index} is HPy_NULL"));
        return HPy::NULL;
    }
    H::tuple_from_array(items)
}

// Builders ---------------------------------------------------------------

/// A new builder's id; 0 (the NULL builder) when memory ran out, which
/// `Build` reports as `MemoryError`, as HPy does.
fn builder_new(kind: BuilderKind, size: HPy_ssize_t) -> isize {
    match Builder::new(kind, size) {
        Some(builder) => BUILDERS.insert(builder).unwrap_or(0),
        None => 0,
    }
}

/// Stores a new handle to `item` in the builder `id`. A NULL builder (whose
/// `New` failed) ignores items; so does a stale one, which has nobody left
/// to report to.
fn builder_set<H: Host>(kind: BuilderKind, id: isize, index: HPy_ssize_t, item: HPy) {
    let owned = H::dup(item);
    let rejected = BUILDERS.with(id, |b| if b.kind() == kind { b.set(index, owned) } else { owned });
    // Closing may run arbitrary code, so never under the table's lock.
    H::close(rejected.unwrap_or(owned));
}

fn builder_build<H: Host>(kind: BuilderKind, id: isize) -> HPy {
    if id == 0 {
        H::err_no_memory();
        return HPy::NULL;
    }
    let Some(builder) = take_builder(kind, id) else {
        let api = kind.api_name();
        H::raise(ExcKind::SystemError, &format!("{api}_Build: the builder was already built or cancelled"));
        return HPy::NULL;
    };
    match builder.finish() {
        Outcome::Items(items) => {
            let result = match kind {
                BuilderKind::List => H::list_from_array(&items),
                BuilderKind::Tuple => H::tuple_from_array(&items),
            };
            close_all::<H>(items);
            result
        }
        Outcome::Failed(fault, owned) => {
            close_all::<H>(owned);
            H::raise(ExcKind::SystemError, &fault.message(kind));
            HPy::NULL
        }
    }
}

/// Ends a builder without building; HPy reports nothing here, since a
/// builder is usually cancelled while another error is being handled.
fn builder_cancel<H: Host>(kind: BuilderKind, id: isize) {
    if let Some(builder) = take_builder(kind, id) {
        close_all::<H>(builder.into_owned());
    }
}

/// Removes the builder `id` if it is a live builder of `kind`.
fn take_builder(kind: BuilderKind, id: isize) -> Option<Builder> {
    let matches = BUILDERS.with(id, |b| b.kind() == kind)?;
    if matches {
        BUILDERS.remove(id)
    } else {
        None
    }
}

pub unsafe extern "C" fn ListBuilder_New<H: Host>(_ctx: *mut HPyContext, size: HPy_ssize_t) -> HPyListBuilder {
    HPyListBuilder { _lst: builder_new(BuilderKind::List, size) }
}

pub unsafe extern "C" fn ListBuilder_Set<H: Host>(_ctx: *mut HPyContext, builder: HPyListBuilder, index: HPy_ssize_t, h_item: HPy) {
    builder_set::<H>(BuilderKind::List, builder._lst, index, h_item)
}

pub unsafe extern "C" fn ListBuilder_Build<H: Host>(_ctx: *mut HPyContext, builder: HPyListBuilder) -> HPy {
    builder_build::<H>(BuilderKind::List, builder._lst)
}

pub unsafe extern "C" fn ListBuilder_Cancel<H: Host>(_ctx: *mut HPyContext, builder: HPyListBuilder) {
    builder_cancel::<H>(BuilderKind::List, builder._lst)
}

pub unsafe extern "C" fn TupleBuilder_New<H: Host>(_ctx: *mut HPyContext, size: HPy_ssize_t) -> HPyTupleBuilder {
    HPyTupleBuilder { _tup: builder_new(BuilderKind::Tuple, size) }
}

pub unsafe extern "C" fn TupleBuilder_Set<H: Host>(_ctx: *mut HPyContext, builder: HPyTupleBuilder, index: HPy_ssize_t, h_item: HPy) {
    builder_set::<H>(BuilderKind::Tuple, builder._tup, index, h_item)
}

pub unsafe extern "C" fn TupleBuilder_Build<H: Host>(_ctx: *mut HPyContext, builder: HPyTupleBuilder) -> HPy {
    builder_build::<H>(BuilderKind::Tuple, builder._tup)
}

pub unsafe extern "C" fn TupleBuilder_Cancel<H: Host>(_ctx: *mut HPyContext, builder: HPyTupleBuilder) {
    builder_cancel::<H>(BuilderKind::Tuple, builder._tup)
}

// Trackers ---------------------------------------------------------------

pub unsafe extern "C" fn Tracker_New<H: Host>(_ctx: *mut HPyContext, size: HPy_ssize_t) -> HPyTracker {
    let Ok(size) = usize::try_from(size) else {
        H::raise(ExcKind::ValueError, "HPyTracker_New: negative size");
        return HPyTracker::NULL;
    };
    let Ok(tracker) = Tracker::new(size) else {
        H::err_no_memory();
        return HPyTracker::NULL;
    };
    match TRACKERS.insert(tracker) {
        Ok(id) => HPyTracker { _i: id },
        Err(_) => {
            H::err_no_memory();
            HPyTracker::NULL
        }
    }
}

pub unsafe extern "C" fn Tracker_Add<H: Host>(_ctx: *mut HPyContext, ht: HPyTracker, h: HPy) -> c_int {
    match TRACKERS.with(ht._i, |t| t.add(h)) {
        Some(Ok(())) => 0,
        Some(Err(_)) => {
            H::err_no_memory();
            -1
        }
        None => {
            H::raise(ExcKind::SystemError, "HPyTracker_Add: the tracker is closed or invalid");
            -1
        }
    }
}

pub unsafe extern "C" fn Tracker_ForgetAll<H: Host>(_ctx: *mut HPyContext, ht: HPyTracker) {
    // A closed tracker tracks nothing, so there is nothing to forget.
    TRACKERS.with(ht._i, |t| t.forget_all());
}

pub unsafe extern "C" fn Tracker_Close<H: Host>(_ctx: *mut HPyContext, ht: HPyTracker) {
    // Closing twice is harmless: the second call finds no tracker.
    if let Some(tracker) = TRACKERS.remove(ht._i) {
        close_all::<H>(tracker.into_handles());
    }
}
