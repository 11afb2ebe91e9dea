//! The context functions whose debug wrapper is not the generated default:
//! handle lifetime (Close), arrays and out-parameters holding handles, raw
//! data tied to a handle's life, trackers and builders, and the fatal checks
//! HPy's debug mode makes on type arguments.

use super::context::{close_handle, enter, info as debug_info, CtxInfo, DebugInfo};
use super::builders::{BuilderMisuse, Closed};
use super::rawdata::RawData;
use core::ffi::{c_char, c_int, c_void, CStr};
use lichen_abi::*;

/// Replaces the generated defaults in `ctx` by the wrappers of this module.
pub(crate) fn install(ctx: &mut HPyContext) {
    ctx.ctx_Close = Close;
    ctx.ctx_Dup = Dup;
    ctx.ctx_Tuple_FromArray = Tuple_FromArray;
    ctx.ctx_Type_GenericNew = Type_GenericNew;
    ctx.ctx_Call = Call;
    ctx.ctx_CallMethod = CallMethod;
    ctx.ctx_Type_FromSpec = Type_FromSpec;
    ctx.ctx_ContextVar_Get = ContextVar_Get;
    ctx.ctx_Unicode_AsUTF8AndSize = Unicode_AsUTF8AndSize;
    ctx.ctx_Bytes_AsString = Bytes_AsString;
    ctx.ctx_Bytes_AS_STRING = Bytes_AS_STRING;
    ctx.ctx_Type_GetName = Type_GetName;
    ctx.ctx_TypeCheck = TypeCheck;
    ctx.ctx_Type_IsSubtype = Type_IsSubtype;
    ctx.ctx_Unicode_Substring = Unicode_Substring;
    ctx.ctx_AsStruct_Object = AsStruct_Object;
    ctx.ctx_AsStruct_Legacy = AsStruct_Legacy;
    ctx.ctx_AsStruct_Type = AsStruct_Type;
    ctx.ctx_AsStruct_Long = AsStruct_Long;
    ctx.ctx_AsStruct_Float = AsStruct_Float;
    ctx.ctx_AsStruct_Unicode = AsStruct_Unicode;
    ctx.ctx_AsStruct_Tuple = AsStruct_Tuple;
    ctx.ctx_AsStruct_List = AsStruct_List;
    ctx.ctx_Tracker_New = Tracker_New;
    ctx.ctx_Tracker_Add = Tracker_Add;
    ctx.ctx_Tracker_ForgetAll = Tracker_ForgetAll;
    ctx.ctx_Tracker_Close = Tracker_Close;
    ctx.ctx_ListBuilder_New = ListBuilder_New;
    ctx.ctx_ListBuilder_Set = ListBuilder_Set;
    ctx.ctx_ListBuilder_Build = ListBuilder_Build;
    ctx.ctx_ListBuilder_Cancel = ListBuilder_Cancel;
    ctx.ctx_TupleBuilder_New = TupleBuilder_New;
    ctx.ctx_TupleBuilder_Set = TupleBuilder_Set;
    ctx.ctx_TupleBuilder_Build = TupleBuilder_Build;
    ctx.ctx_TupleBuilder_Cancel = TupleBuilder_Cancel;
    ctx.ctx_CallRealFunctionFromTrampoline = super::trampoline::CallRealFunctionFromTrampoline;
    // No error channel: behind the fatal-error barrier instead (see there).
    super::context::install_fatal_overrides(ctx);
    ctx.ctx_Field_Store = Field_Store;
    ctx.ctx_Field_Load = Field_Load;
    ctx.ctx_Global_Store = Global_Store;
    ctx.ctx_Global_Load = Global_Load;
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Close(dctx: *mut HPyContext, h: HPy) {
    let c = enter!(dctx, "Close");
    // Closing may run a finalizer that calls back into the extension.
    c.call_universal(|| close_handle(c.info(), h, "Close"))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
/// `Dup`, the most frequent call, under one lock of the table: the
/// universal `Dup` only takes a reference and cannot call back into the
/// extension, so it may run while the table is locked.
unsafe extern "C" fn Dup(dctx: *mut HPyContext, h: HPy) -> HPy {
    let c = enter!(dctx, "Dup");
    let info = c.info();
    let stack = info.stack();
    let u = info.uctx();
    let mut t = info.table();
    let uh = match t.unwrap(h) {
        Ok(uh) => uh,
        Err(m) => {
            drop(t);
            let Ok(stale) = info.misuse(h, m, "Dup") else { return HPy::NULL };
            return info.open(c.call_universal(|| ((*u).ctx_Dup)(u, stale)));
        }
    };
    let dup = c.call_universal(|| ((*u).ctx_Dup)(u, uh));
    t.open(dup, super::handles::Kind::Owned, stack)
}
}

/// The universal handles behind `n` debug handles at `items`.
unsafe fn unwrap_array(info: &DebugInfo, items: *const HPy, n: usize, func: &str) -> Result<Vec<HPy>, ()> {
    // SAFETY: the caller passes `items` pointing to `n` handles (HPy's contract
    // for the argument arrays of Call, Tuple_FromArray, ...); NULL or 0 reads
    // nothing.
    unsafe {
        if n == 0 || items.is_null() {
            return Ok(Vec::new());
        }
        core::slice::from_raw_parts(items, n).iter().map(|&h| info.unwrap(h, func)).collect()
    }
}

fn len(n: HPy_ssize_t) -> usize {
    usize::try_from(n).unwrap_or(0)
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Tuple_FromArray(dctx: *mut HPyContext, items: *const HPy, n: HPy_ssize_t) -> HPy {
    let c = enter!(dctx, "Tuple_FromArray");
    let info = c.info();
    let Ok(uitems) = unwrap_array(info, items, len(n), "Tuple_FromArray") else { return HPy::NULL };
    let u = info.uctx();
    info.open(c.call_universal(|| ((*u).ctx_Tuple_FromArray)(u, uitems.as_ptr(), n)))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Type_GenericNew(
    dctx: *mut HPyContext,
    ty: HPy,
    args: *const HPy,
    nargs: HPy_ssize_t,
    kw: HPy,
) -> HPy {
    let c = enter!(dctx, "Type_GenericNew");
    let info = c.info();
    let f = "Type_GenericNew";
    let (Ok(uty), Ok(ukw), Ok(uargs)) = (info.unwrap(ty, f), info.unwrap(kw, f), unwrap_array(info, args, len(nargs), f))
    else {
        return HPy::NULL;
    };
    let u = info.uctx();
    info.open(c.call_universal(|| ((*u).ctx_Type_GenericNew)(u, uty, uargs.as_ptr(), nargs, ukw)))
}
}

/// How many keyword names `kwnames` (universal, maybe NULL) holds, after
/// HPy's check that it is a tuple.
unsafe fn kwnames_len(info: &DebugInfo, ukw: HPy, func: &str) -> Result<usize, ()> {
    // SAFETY: `info.uctx()` is the live universal context of the debug context
    // in use, and `ukw` a universal handle unwrapped from the extension's live
    // `kwnames`.
    unsafe {
        if ukw.is_null() {
            return Ok(0);
        }
        let u = info.uctx();
        if ((*u).ctx_Tuple_Check)(u, ukw) == 0 {
            info.fatal(&format!("HPy_{func} arg 'kwnames' must be a tuple object or HPy_NULL"));
            return Err(());
        }
        let n = ((*u).ctx_Length)(u, ukw);
        usize::try_from(n).map_err(|_| ())
    }
}

unsafe fn call_like(
    dctx: *mut HPyContext,
    func: &'static str,
    target: HPy,
    args: *const HPy,
    nargs: usize,
    kwnames: HPy,
    call: unsafe extern "C" fn(*mut HPyContext, HPy, *const HPy, usize, HPy) -> HPy,
) -> HPy {
    // SAFETY: HPy's contract for HPy_Call / HPy_CallMethod: `dctx` is the
    // extension's debug context (`enter!` checks it), `args` holds `nargs`
    // handles followed by one per name of `kwnames`, which `unwrap_array`
    // reads; `call` is the universal context's function, called with universal
    // handles.
    unsafe {
        let c = enter!(dctx, func);
        let info = c.info();
        let (Ok(ut), Ok(ukw)) = (info.unwrap(target, func), info.unwrap(kwnames, func)) else { return HPy::NULL };
        let Ok(nkw) = kwnames_len(info, ukw, func) else { return HPy::NULL };
        let Ok(uargs) = unwrap_array(info, args, nargs + nkw, func) else { return HPy::NULL };
        let u = info.uctx();
        info.open(c.call_universal(|| call(u, ut, uargs.as_ptr(), nargs, ukw)))
    }
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Call(dctx: *mut HPyContext, callable: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
    let u = debug_info(dctx).uctx();
    call_like(dctx, "Call", callable, args, nargs, kwnames, (*u).ctx_Call)
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn CallMethod(dctx: *mut HPyContext, name: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
    let u = debug_info(dctx).uctx();
    call_like(dctx, "CallMethod", name, args, nargs, kwnames, (*u).ctx_CallMethod)
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Type_FromSpec(dctx: *mut HPyContext, spec: *mut HPyType_Spec, params: *mut HPyType_SpecParam) -> HPy {
    let c = enter!(dctx, "Type_FromSpec");
    let info = c.info();
    let u = info.uctx();
    if params.is_null() {
        return info.open(c.call_universal(|| ((*u).ctx_Type_FromSpec)(u, spec, params)));
    }
    // The params hold debug handles: pass a universal copy, terminator included.
    let mut uparams = Vec::new();
    let mut p = params;
    loop {
        let Ok(object) = info.unwrap((*p).object, "Type_FromSpec") else { return HPy::NULL };
        uparams.push(HPyType_SpecParam { kind: (*p).kind, object });
        if (*p).kind.0 == 0 {
            break;
        }
        p = p.add(1);
    }
    info.open(c.call_universal(|| ((*u).ctx_Type_FromSpec)(u, spec, uparams.as_mut_ptr())))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn ContextVar_Get(dctx: *mut HPyContext, var: HPy, default: HPy, result: *mut HPy) -> i32 {
    let c = enter!(dctx, "ContextVar_Get");
    let info = c.info();
    let (Ok(uvar), Ok(udef)) = (info.unwrap(var, "ContextVar_Get"), info.unwrap(default, "ContextVar_Get")) else {
        return -1;
    };
    let u = info.uctx();
    let mut ures = HPy::NULL;
    let r = c.call_universal(|| ((*u).ctx_ContextVar_Get)(u, uvar, udef, &mut ures));
    if !result.is_null() {
        *result = if r < 0 { HPy::NULL } else { info.open(ures) };
    }
    r
}
}

/// Gives the extension a read-only copy of `len` bytes at `ptr`, valid as
/// long as the debug handle `dh` is open.
unsafe fn protect_for(info: &DebugInfo, dh: HPy, ptr: *const c_char, len: usize, func: &'static str) -> *const c_char {
    // SAFETY: the caller passes `ptr` NULL (returned as is) or pointing to
    // `len` readable bytes (a bytes' or str's buffer, the NUL included), copied
    // before `dh` can be closed.
    unsafe {
        if ptr.is_null() {
            return ptr;
        }
        let data = RawData::copy_from(core::slice::from_raw_parts(ptr.cast::<u8>(), len), func);
        info.table().attach_raw(dh, data).cast()
    }
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Unicode_AsUTF8AndSize(dctx: *mut HPyContext, h: HPy, size: *mut HPy_ssize_t) -> *const c_char {
    let c = enter!(dctx, "Unicode_AsUTF8AndSize");
    let info = c.info();
    let Ok(uh) = info.unwrap(h, "Unicode_AsUTF8AndSize") else { return core::ptr::null() };
    let u = info.uctx();
    let mut n: HPy_ssize_t = 0;
    let p = c.call_universal(|| ((*u).ctx_Unicode_AsUTF8AndSize)(u, uh, &mut n));
    if p.is_null() {
        return p;
    }
    if !size.is_null() {
        *size = n;
    }
    protect_for(info, h, p, len(n) + 1, "Unicode_AsUTF8AndSize")
}
}

unsafe fn bytes_data(
    dctx: *mut HPyContext,
    h: HPy,
    func: &'static str,
    get: unsafe extern "C" fn(*mut HPyContext, HPy) -> *const c_char,
    size: unsafe extern "C" fn(*mut HPyContext, HPy) -> HPy_ssize_t,
) -> *const c_char {
    // SAFETY: `dctx` is the extension's debug context (`enter!` checks it);
    // `get` and `size` are the universal context's bytes functions, given the
    // universal handle behind the extension's `h`; a non-NULL `p` points to
    // that object's `size` bytes and a NUL, which `protect_for` copies.
    unsafe {
        let c = enter!(dctx, func);
        let info = c.info();
        let Ok(uh) = info.unwrap(h, func) else { return core::ptr::null() };
        let u = info.uctx();
        let p = c.call_universal(|| get(u, uh));
        if p.is_null() {
            return p;
        }
        // The terminating NUL byte is part of what the extension may read.
        let n = size(u, uh);
        protect_for(info, h, p, len(n) + 1, func)
    }
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Bytes_AsString(dctx: *mut HPyContext, h: HPy) -> *const c_char {
    let u = debug_info(dctx).uctx();
    bytes_data(dctx, h, "Bytes_AsString", (*u).ctx_Bytes_AsString, (*u).ctx_Bytes_Size)
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Bytes_AS_STRING(dctx: *mut HPyContext, h: HPy) -> *const c_char {
    let u = debug_info(dctx).uctx();
    bytes_data(dctx, h, "Bytes_AS_STRING", (*u).ctx_Bytes_AS_STRING, (*u).ctx_Bytes_GET_SIZE)
}
}

/// HPy's debug mode makes passing a non-type where a type is required a
/// fatal error: the non-debug functions cannot report it. `Err` when the
/// call must fail (aborting is off and a SystemError is set).
unsafe fn require(info: &DebugInfo, uh: HPy, ty: HPy, message: &str) -> Result<(), ()> {
    // SAFETY: `info.uctx()` is the live universal context; `uh` and `ty` are
    // universal handles (the unwrapped argument and a context constant).
    unsafe {
        let u = info.uctx();
        if ((*u).ctx_TypeCheck)(u, uh, ty) == 0 {
            info.fatal(message);
            return Err(());
        }
        Ok(())
    }
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Type_GetName(dctx: *mut HPyContext, ty: HPy) -> *const c_char {
    let c = enter!(dctx, "Type_GetName");
    let info = c.info();
    let Ok(uty) = info.unwrap(ty, "Type_GetName") else { return core::ptr::null() };
    let u = info.uctx();
    let Ok(()) = require(info, uty, (*u).h_TypeType, "HPyType_GetName arg must be a type") else { return core::ptr::null() };
    let name = c.call_universal(|| ((*u).ctx_Type_GetName)(u, uty));
    if name.is_null() {
        return name;
    }
    protect_for(info, ty, name, CStr::from_ptr(name).to_bytes().len() + 1, "Type_GetName")
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn TypeCheck(dctx: *mut HPyContext, obj: HPy, ty: HPy) -> c_int {
    let c = enter!(dctx, "TypeCheck");
    let info = c.info();
    let (Ok(uobj), Ok(uty)) = (info.unwrap(obj, "TypeCheck"), info.unwrap(ty, "TypeCheck")) else { return 0 };
    let u = info.uctx();
    let Ok(()) = require(info, uty, (*u).h_TypeType, "HPy_TypeCheck arg 2 must be a type") else { return 0 };
    c.call_universal(|| ((*u).ctx_TypeCheck)(u, uobj, uty))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Type_IsSubtype(dctx: *mut HPyContext, sub: HPy, ty: HPy) -> c_int {
    let c = enter!(dctx, "Type_IsSubtype");
    let info = c.info();
    let u = info.uctx();
    let Ok(usub) = info.unwrap(sub, "Type_IsSubtype") else { return 0 };
    let Ok(()) = require(info, usub, (*u).h_TypeType, "HPyType_IsSubtype arg 1 must be a type") else { return 0 };
    let Ok(uty) = info.unwrap(ty, "Type_IsSubtype") else { return 0 };
    let Ok(()) = require(info, uty, (*u).h_TypeType, "HPyType_IsSubtype arg 2 must be a type") else { return 0 };
    c.call_universal(|| ((*u).ctx_Type_IsSubtype)(u, usub, uty))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Unicode_Substring(dctx: *mut HPyContext, s: HPy, start: HPy_ssize_t, end: HPy_ssize_t) -> HPy {
    let c = enter!(dctx, "Unicode_Substring");
    let info = c.info();
    let Ok(us) = info.unwrap(s, "Unicode_Substring") else { return HPy::NULL };
    let u = info.uctx();
    let Ok(()) = require(info, us, (*u).h_UnicodeType, "HPyUnicode_Substring arg 1 must be a Unicode object") else { return HPy::NULL };
    info.open(c.call_universal(|| ((*u).ctx_Unicode_Substring)(u, us, start, end)))
}
}

fn shape_name(shape: HPyType_BuiltinShape) -> &'static str {
    match shape.0 {
        -1 => "HPyType_BuiltinShape_Legacy",
        0 => "HPyType_BuiltinShape_Object",
        1 => "HPyType_BuiltinShape_Type",
        2 => "HPyType_BuiltinShape_Long",
        3 => "HPyType_BuiltinShape_Float",
        4 => "HPyType_BuiltinShape_Unicode",
        5 => "HPyType_BuiltinShape_Tuple",
        6 => "HPyType_BuiltinShape_List",
        _ => "<unknown shape>",
    }
}

/// `AsStruct_<shape>`: the object's type must have that builtin shape.
unsafe fn as_struct(
    dctx: *mut HPyContext,
    h: HPy,
    shape: HPyType_BuiltinShape,
    func: &'static str,
    get: unsafe extern "C" fn(*mut HPyContext, HPy) -> *mut c_void,
) -> *mut c_void {
    // SAFETY: `dctx` is the extension's debug context (`enter!` checks it);
    // `Type`, `Type_GetBuiltinShape` and `Close` of its live universal context
    // get the universal handle behind the extension's `h` and the new type
    // handle, closed right after; `get` is the universal `AsStruct_` function
    // for `shape`, called only once the shape is checked.
    unsafe {
        let c: &CtxInfo = enter!(dctx, func);
        let info = c.info();
        let Ok(uh) = info.unwrap(h, func) else { return core::ptr::null_mut() };
        let u = info.uctx();
        let ty = ((*u).ctx_Type)(u, uh);
        let actual = ((*u).ctx_Type_GetBuiltinShape)(u, ty);
        ((*u).ctx_Close)(u, ty);
        if actual != shape {
            let short = &shape_name(shape)["HPyType_BuiltinShape_".len()..];
            info.fatal(&format!(
                "Invalid usage of _HPy_AsStruct_{short}. Expected shape {} but got {}",
                shape_name(shape),
                shape_name(actual)
            ));
            return core::ptr::null_mut();
        }
        c.call_universal(|| get(u, uh))
    }
}

macro_rules! as_struct_wrappers {
    ($($name:ident $field:ident $shape:expr;)*) => {$(
        // SAFETY (the raise): `dctx` is the context the extension called with.
        crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
        unsafe extern "C" fn $name(dctx: *mut HPyContext, h: HPy) -> *mut c_void {
            let u = debug_info(dctx).uctx();
            as_struct(dctx, h, HPyType_BuiltinShape($shape), stringify!($name), (*u).$field)
        }
        }
    )*};
}

as_struct_wrappers! {
    AsStruct_Legacy ctx_AsStruct_Legacy -1;
    AsStruct_Object ctx_AsStruct_Object 0;
    AsStruct_Type ctx_AsStruct_Type 1;
    AsStruct_Long ctx_AsStruct_Long 2;
    AsStruct_Float ctx_AsStruct_Float 3;
    AsStruct_Unicode ctx_AsStruct_Unicode 4;
    AsStruct_Tuple ctx_AsStruct_Tuple 5;
    AsStruct_List ctx_AsStruct_List 6;
}

// Trackers hold debug handles and close them through the debug Close, so
// the table sees every close. They are the debug context's own, never the
// universal context's.

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Tracker_New(dctx: *mut HPyContext, size: HPy_ssize_t) -> HPyTracker {
    let c = enter!(dctx, "Tracker_New");
    if size < 0 {
        // As the universal context: the size is checked even though the
        // debug tracker grows as needed.
        let u = c.info().uctx();
        ((*u).ctx_Err_SetString)(u, (*u).h_ValueError, c"HPyTracker_New: negative size".as_ptr());
        return HPyTracker::NULL;
    }
    let v: Box<Vec<HPy>> = Box::new(Vec::with_capacity(len(size).min(1 << 16)));
    let addr = Box::into_raw(v) as usize;
    c.info().trackers.lock().unwrap_or_else(|e| e.into_inner()).insert(addr);
    HPyTracker { _i: addr as isize }
}
}

/// The tracker behind `ht`, reporting a tracker that is not (or no longer) one.
unsafe fn tracker<'a>(info: &DebugInfo, ht: HPyTracker, func: &str) -> Option<&'a mut Vec<HPy>> {
    // SAFETY: `ht._i` is in `info.trackers`, the addresses of the live boxed
    // vectors that `Tracker_New` leaked and only `Tracker_Close` frees; the
    // extension uses a tracker from one thread at a time (HPy's rule), so the
    // `&mut` is not aliased.
    unsafe {
        let known = info.trackers.lock().unwrap_or_else(|e| e.into_inner()).contains(&(ht._i as usize));
        if !known {
            // The universal context treats closing or emptying a closed tracker
            // as harmless and adding to one as an error; the debug mode raises
            // for all three, unless an exception is already pending.
            info.note_report(&format!("Invalid usage of already closed tracker (in ctx_{func})"));
            info.set_error_once(&format!("ctx_{func}: the tracker is closed or invalid (already closed, or never created)"));
            return None;
        }
        // SAFETY: `ht` is known (checked above), so it is a live leaked box
        // from Tracker_New, which only Close frees; HPy's rule that a tracker
        // is used from one thread at a time keeps the `&mut` unaliased.
        Some(&mut *(ht._i as *mut Vec<HPy>))
    }
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Tracker_Add(dctx: *mut HPyContext, ht: HPyTracker, h: HPy) -> c_int {
    let c = enter!(dctx, "Tracker_Add");
    let info = c.info();
    if info.unwrap(h, "Tracker_Add").is_err() {
        return -1;
    }
    let Some(v) = tracker(info, ht, "Tracker_Add") else { return -1 };
    v.push(h);
    0
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Tracker_ForgetAll(dctx: *mut HPyContext, ht: HPyTracker) {
    let c = enter!(dctx, "Tracker_ForgetAll");
    if let Some(v) = tracker(c.info(), ht, "Tracker_ForgetAll") {
        v.clear();
    }
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Tracker_Close(dctx: *mut HPyContext, ht: HPyTracker) {
    let c = enter!(dctx, "Tracker_Close");
    let info = c.info();
    if tracker(info, ht, "Tracker_Close").is_none() {
        return;
    }
    info.trackers.lock().unwrap_or_else(|e| e.into_inner()).remove(&(ht._i as usize));
    // SAFETY: it was a live tracker box and has just left the set.
    let v = Box::from_raw(ht._i as *mut Vec<HPy>);
    for h in v.iter() {
        c.call_universal(|| close_handle(info, *h, "Tracker_Close"));
    }
}
}

/// The universal builder behind `db`; `None` after reporting a consumed or
/// unknown builder.
fn builder(info: &DebugInfo, db: isize, index: HPy_ssize_t, func: &str) -> Option<isize> {
    if db == 0 {
        return Some(0);
    }
    let r = info.builders.lock().unwrap_or_else(|e| e.into_inner()).unwrap_for_set(db, index);
    match r {
        Ok(ub) => Some(ub),
        Err(BuilderMisuse::Consumed) | Err(BuilderMisuse::Unknown) => {
            info.invalid_builder(func);
            None
        }
    }
}

/// Marks `db` consumed, or reports it; the universal builder to consume.
fn consume(info: &DebugInfo, db: isize, func: &str) -> Option<Closed> {
    if db == 0 {
        return Some(Closed { ub: 0, size: 0, bad_index: None });
    }
    let r = info.builders.lock().unwrap_or_else(|e| e.into_inner()).close(db);
    match r {
        Ok(closed) => Some(closed),
        Err(_) => {
            info.invalid_builder(func);
            None
        }
    }
}

/// `Build` of a builder that was given an index out of range.
#[cold]
fn bad_index(info: &DebugInfo, api: &str, index: isize, size: isize) {
    info.set_error(&format!("{api}_Set: index {index} out of range for a builder of size {size}"));
}

/// After a hook reported a consumed builder, `Build` fails with MemoryError
/// as in HPy; without a hook the report already set a SystemError.
unsafe fn no_memory_unless_raised(u: *mut HPyContext) {
    // SAFETY: the caller passes `u`, the live universal context of the debug
    // context in use.
    unsafe {
        if ((*u).ctx_Err_Occurred)(u) == 0 {
            ((*u).ctx_Err_NoMemory)(u);
        }
    }
}

/// The four overrides of one builder kind (`HPyListBuilder` or
/// `HPyTupleBuilder`, whose one field is `$f`), written once: the debug
/// builder table stands between the extension and the universal builder.
macro_rules! builder_overrides {
    ($ty:ident . $f:ident, $api:literal,
     $new:ident $ctx_new:ident, $set:ident $ctx_set:ident, $build:ident $ctx_build:ident, $cancel:ident $ctx_cancel:ident) => {
        // SAFETY (the raise): `dctx` is the debug context the extension
        // called `$new` with, and a builder is used with the GIL held:
        // `raise_in_debug`'s two conditions.
        crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
        unsafe extern "C" fn $new(dctx: *mut HPyContext, size: HPy_ssize_t) -> $ty {
            let c = enter!(dctx, stringify!($new));
            let info = c.info();
            let u = info.uctx();
            let ub = c.call_universal(|| ((*u).$ctx_new)(u, size));
            $ty { $f: info.builders.lock().unwrap_or_else(|e| e.into_inner()).open(ub.$f, size) }
        }
        }

        // SAFETY (the raise): `dctx` is the debug context the extension
        // called `$set` with, under the GIL, as `raise_in_debug` requires.
        crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
        unsafe extern "C" fn $set(dctx: *mut HPyContext, b: $ty, index: HPy_ssize_t, item: HPy) {
            let c = enter!(dctx, stringify!($set));
            let info = c.info();
            let Some(ub) = builder(info, b.$f, index, stringify!($set)) else { return };
            let Ok(uitem) = info.unwrap(item, stringify!($set)) else { return };
            let u = info.uctx();
            c.call_universal(|| ((*u).$ctx_set)(u, $ty { $f: ub }, index, uitem))
        }
        }

        // SAFETY (the raise): `dctx` is the debug context the extension
        // called `$build` with, under the GIL, as `raise_in_debug` requires.
        crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
        unsafe extern "C" fn $build(dctx: *mut HPyContext, b: $ty) -> HPy {
            let c = enter!(dctx, stringify!($build));
            let info = c.info();
            let u = info.uctx();
            let Some(closed) = consume(info, b.$f, stringify!($build)) else {
                no_memory_unless_raised(u);
                return HPy::NULL;
            };
            let ub = $ty { $f: closed.ub };
            if let Some(index) = closed.bad_index {
                c.call_universal(|| ((*u).$ctx_cancel)(u, ub));
                bad_index(info, $api, index, closed.size);
                return HPy::NULL;
            }
            info.open(c.call_universal(|| ((*u).$ctx_build)(u, ub)))
        }
        }

        // SAFETY (the raise): `dctx` is the debug context the extension
        // called `$cancel` with, under the GIL, as `raise_in_debug` requires.
        crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
        unsafe extern "C" fn $cancel(dctx: *mut HPyContext, b: $ty) {
            let c = enter!(dctx, stringify!($cancel));
            let info = c.info();
            let u = info.uctx();
            if let Some(closed) = consume(info, b.$f, stringify!($cancel)) {
                c.call_universal(|| ((*u).$ctx_cancel)(u, $ty { $f: closed.ub }))
            }
        }
        }
    };
}

builder_overrides!(HPyListBuilder._lst, "HPyListBuilder",
    ListBuilder_New ctx_ListBuilder_New, ListBuilder_Set ctx_ListBuilder_Set,
    ListBuilder_Build ctx_ListBuilder_Build, ListBuilder_Cancel ctx_ListBuilder_Cancel);
builder_overrides!(HPyTupleBuilder._tup, "HPyTupleBuilder",
    TupleBuilder_New ctx_TupleBuilder_New, TupleBuilder_Set ctx_TupleBuilder_Set,
    TupleBuilder_Build ctx_TupleBuilder_Build, TupleBuilder_Cancel ctx_TupleBuilder_Cancel);

// Fields and globals hold universal references (the VM traverses them), so
// their values pass through; what the debug mode adds is refusing, with a
// SystemError, to load an empty one or to store through a NULL pointer,
// which the universal context would turn into a NULL dereference.

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Field_Store(dctx: *mut HPyContext, target: HPy, field: *mut HPyField, h: HPy) {
    let c = enter!(dctx, "Field_Store");
    let info = c.info();
    let (Ok(ut), Ok(uh)) = (info.unwrap(target, "Field_Store"), info.unwrap(h, "Field_Store")) else { return };
    if field.is_null() {
        info.set_error_once("ctx_Field_Store: the HPyField pointer is NULL");
        return;
    }
    let u = info.uctx();
    c.call_universal(|| ((*u).ctx_Field_Store)(u, ut, field, uh))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Field_Load(dctx: *mut HPyContext, source: HPy, field: HPyField) -> HPy {
    let c = enter!(dctx, "Field_Load");
    let info = c.info();
    let Ok(us) = info.unwrap(source, "Field_Load") else { return HPy::NULL };
    if field._i == 0 {
        info.set_error("ctx_Field_Load: the HPyField is empty (HPyField_NULL), there is nothing to load");
        return HPy::NULL;
    }
    let u = info.uctx();
    info.open(c.call_universal(|| ((*u).ctx_Field_Load)(u, us, field)))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Global_Store(dctx: *mut HPyContext, global: *mut HPyGlobal, h: HPy) {
    let c = enter!(dctx, "Global_Store");
    let info = c.info();
    let Ok(uh) = info.unwrap(h, "Global_Store") else { return };
    if global.is_null() {
        info.set_error_once("ctx_Global_Store: the HPyGlobal pointer is NULL");
        return;
    }
    let u = info.uctx();
    c.call_universal(|| ((*u).ctx_Global_Store)(u, global, uh))
}
}

// SAFETY (the raise): `dctx` is the context the extension called with.
crate::guarded_entry! { debug_context |msg| unsafe { crate::debug::context::raise_in_debug(dctx, msg) };
unsafe extern "C" fn Global_Load(dctx: *mut HPyContext, global: HPyGlobal) -> HPy {
    let c = enter!(dctx, "Global_Load");
    let info = c.info();
    if global._i == 0 {
        info.set_error("ctx_Global_Load: the HPyGlobal is empty (never stored, or the module is not initialized)");
        return HPy::NULL;
    }
    let u = info.uctx();
    info.open(c.call_universal(|| ((*u).ctx_Global_Load)(u, global)))
}
}
