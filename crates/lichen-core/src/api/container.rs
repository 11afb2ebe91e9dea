//! Context functions: container.

use crate::prelude::*;

pub unsafe extern "C" fn List_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "List_Check")
}

pub unsafe extern "C" fn List_New<H: Host>(ctx: *mut HPyContext, _len: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "List_New")
}

pub unsafe extern "C" fn List_Append<H: Host>(ctx: *mut HPyContext, _h_list: HPy, _h_item: HPy) -> c_int {
    unsupported::<H, _>(ctx, "List_Append")
}

pub unsafe extern "C" fn Dict_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Dict_Check")
}

pub unsafe extern "C" fn Dict_New<H: Host>(ctx: *mut HPyContext) -> HPy {
    unsupported::<H, _>(ctx, "Dict_New")
}

pub unsafe extern "C" fn Dict_Keys<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Dict_Keys")
}

pub unsafe extern "C" fn Dict_Copy<H: Host>(ctx: *mut HPyContext, _h: HPy) -> HPy {
    unsupported::<H, _>(ctx, "Dict_Copy")
}

pub unsafe extern "C" fn Tuple_Check<H: Host>(ctx: *mut HPyContext, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Tuple_Check")
}

pub unsafe extern "C" fn Tuple_FromArray<H: Host>(ctx: *mut HPyContext, _items: *const HPy, _n: HPy_ssize_t) -> HPy {
    unsupported::<H, _>(ctx, "Tuple_FromArray")
}

pub unsafe extern "C" fn ListBuilder_New<H: Host>(ctx: *mut HPyContext, _size: HPy_ssize_t) -> HPyListBuilder {
    unsupported::<H, _>(ctx, "ListBuilder_New")
}

pub unsafe extern "C" fn ListBuilder_Set<H: Host>(ctx: *mut HPyContext, _builder: HPyListBuilder, _index: HPy_ssize_t, _h_item: HPy) -> () {
    unsupported::<H, _>(ctx, "ListBuilder_Set")
}

pub unsafe extern "C" fn ListBuilder_Build<H: Host>(ctx: *mut HPyContext, _builder: HPyListBuilder) -> HPy {
    unsupported::<H, _>(ctx, "ListBuilder_Build")
}

pub unsafe extern "C" fn ListBuilder_Cancel<H: Host>(ctx: *mut HPyContext, _builder: HPyListBuilder) -> () {
    unsupported::<H, _>(ctx, "ListBuilder_Cancel")
}

pub unsafe extern "C" fn TupleBuilder_New<H: Host>(ctx: *mut HPyContext, _size: HPy_ssize_t) -> HPyTupleBuilder {
    unsupported::<H, _>(ctx, "TupleBuilder_New")
}

pub unsafe extern "C" fn TupleBuilder_Set<H: Host>(ctx: *mut HPyContext, _builder: HPyTupleBuilder, _index: HPy_ssize_t, _h_item: HPy) -> () {
    unsupported::<H, _>(ctx, "TupleBuilder_Set")
}

pub unsafe extern "C" fn TupleBuilder_Build<H: Host>(ctx: *mut HPyContext, _builder: HPyTupleBuilder) -> HPy {
    unsupported::<H, _>(ctx, "TupleBuilder_Build")
}

pub unsafe extern "C" fn TupleBuilder_Cancel<H: Host>(ctx: *mut HPyContext, _builder: HPyTupleBuilder) -> () {
    unsupported::<H, _>(ctx, "TupleBuilder_Cancel")
}

pub unsafe extern "C" fn Tracker_New<H: Host>(ctx: *mut HPyContext, _size: HPy_ssize_t) -> HPyTracker {
    unsupported::<H, _>(ctx, "Tracker_New")
}

pub unsafe extern "C" fn Tracker_Add<H: Host>(ctx: *mut HPyContext, _ht: HPyTracker, _h: HPy) -> c_int {
    unsupported::<H, _>(ctx, "Tracker_Add")
}

pub unsafe extern "C" fn Tracker_ForgetAll<H: Host>(ctx: *mut HPyContext, _ht: HPyTracker) -> () {
    unsupported::<H, _>(ctx, "Tracker_ForgetAll")
}

pub unsafe extern "C" fn Tracker_Close<H: Host>(ctx: *mut HPyContext, _ht: HPyTracker) -> () {
    unsupported::<H, _>(ctx, "Tracker_Close")
}
