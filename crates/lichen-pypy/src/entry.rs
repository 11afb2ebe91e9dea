//! The entries Python calls (`lichen_pypy.h`). Each takes the extension lock
//! for its duration and turns a panic into a pending `SystemError`, so that
//! a bug in Lichen raises in Python instead of ending the process.

use crate::callbacks::{self, Callbacks, CALLBACK_COUNT};
use crate::context;
use crate::host::error::{self, Pending};
use crate::host::PyPy;
use crate::lock::{self, LockHeld};
use crate::stores;
use crate::table::{self, DataKind};
use crate::typedef::{self, ModuleDef, TypeInfo};
use core::ffi::{c_char, c_int, c_void, CStr};
use lichen_abi::*;
use lichen_core::debug::DebugInfo;
use lichen_core::host::{ErrorHost, ExcKind, ObjectHost};
use lichen_core::loader::{load_extension, LoadErrorKind, Mode};
use lichen_core::retval::ErrorValue;
use lichen_core::spec::module_spec;
use lichen_core::trace::TraceInfo;
use std::collections::HashMap;
use std::ffi::CString;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, OnceLock};

/// Runs `f` under the extension lock; a panic becomes a pending
/// SystemError naming `what`, and the error value.
#[inline]
fn guarded<R: ErrorValue>(what: &str, f: impl FnOnce() -> R) -> R {
    guarded_with(what, |_| f())
}

/// As [`guarded`], giving `f` the token of the entry's hold on the lock.
#[inline]
fn guarded_with<R: ErrorValue>(what: &str, f: impl FnOnce(LockHeld<'_>) -> R) -> R {
    let held = lock::enter();
    match catch_unwind(AssertUnwindSafe(|| f(held.token()))) {
        Ok(r) => r,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            PyPy::raise(held.token(), ExcKind::SystemError, &format!("internal error in Lichen ({what}): {detail}"));
            R::error_value()
        }
    }
}

/// The handle native code holds for bits Python passed (see
/// `table::receive`); under the extension lock.
fn hh(bits: isize) -> HPy {
    table::receive(bits, core::ptr::null_mut())
}

// ---------------------------------------------------------------------------
// Start-up

fn interned(cache: &'static OnceLock<Vec<CString>>, make: impl FnOnce() -> Vec<String>) -> &'static [CString] {
    cache.get_or_init(|| make().into_iter().map(|s| CString::new(s).unwrap_or_default()).collect())
}

#[no_mangle]
pub extern "C" fn lichen_handle_count() -> c_int {
    HANDLE_NAMES.len() as c_int
}

/// The name of constant `index` (0-based, ABI order), or NULL.
#[no_mangle]
pub extern "C" fn lichen_handle_name(index: c_int) -> *const c_char {
    static NAMES: OnceLock<Vec<CString>> = OnceLock::new();
    let names = interned(&NAMES, || HANDLE_NAMES.iter().map(|s| s.to_string()).collect());
    usize::try_from(index).ok().and_then(|i| names.get(i)).map_or(core::ptr::null(), |s| s.as_ptr())
}

fn pairs(items: impl IntoIterator<Item = (String, i32)>) -> String {
    items.into_iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(" ")
}

fn ordered<T: core::fmt::Debug>(all: &[T]) -> String {
    pairs(all.iter().enumerate().map(|(i, v)| (format!("{v:?}"), i as i32)))
}

/// The C enums of the ABI, by trying the values they may have.
fn c_enum_values(name: impl Fn(i32) -> Option<&'static str>, range: core::ops::RangeInclusive<i32>) -> String {
    pairs(range.filter_map(|v| name(v).map(|n| (n.to_string(), v))))
}

fn enum_text(name: &str) -> Option<String> {
    use lichen_core::host::{BinaryOp, Codec, Conversion, UnaryOp};
    let codes = |names: &[(&str, i32)]| pairs(names.iter().map(|&(n, v)| (n.to_string(), v)));
    Some(match name {
        "BinaryOp" => ordered(&BinaryOp::ALL),
        "UnaryOp" => ordered(&UnaryOp::ALL),
        "Conversion" => ordered(&Conversion::ALL),
        "Codec" => ordered(&Codec::ALL),
        "Check" => codes(crate::host::object::Check::NAMES),
        "Signed" => codes(crate::host::number::Signed::NAMES),
        "Unsigned" => codes(crate::host::number::Unsigned::NAMES),
        "Sequence" => codes(crate::host::container::Sequence::NAMES),
        "DataKind" => codes(DataKind::NAMES),
        "Mode" => pairs(Mode::ALL.iter().map(|&(n, m)| (n.to_string(), m as i32))),
        "Signature" => c_enum_values(|v| HPyFunc_Signature(v).name(), 0..=100),
        "MemberType" => c_enum_values(|v| HPyMember_FieldType(v).name(), 0..=100),
        "Shape" => c_enum_values(|v| HPyType_BuiltinShape(v).name(), -2..=20),
        "SourceKind" => c_enum_values(|v| HPy_SourceKind(v).name(), 0..=10),
        _ => return None,
    })
}

/// `"Name=value Name=value ..."` for an enum Python shares with this host
/// (the ABI's and the host's own), or NULL for an unknown name.
#[no_mangle]
pub unsafe extern "C" fn lichen_enum(name: *const c_char) -> *const c_char {
    static TEXTS: Mutex<Vec<CString>> = Mutex::new(Vec::new());
    if name.is_null() {
        return core::ptr::null();
    }
    // SAFETY: Python passes a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
    let Some(text) = enum_text(&name) else { return core::ptr::null() };
    let text = CString::new(text).unwrap_or_default();
    let ptr = text.as_ptr();
    TEXTS.lock().unwrap_or_else(|e| e.into_inner()).push(text);
    ptr
}

/// `"c_name signature method..."` for an `HPySlot_Slot` value (the slot's C
/// name, its `HPyFunc_Signature`, the special methods it stands for), or
/// NULL for an unknown slot.
#[no_mangle]
pub extern "C" fn lichen_slot_info(slot: c_int) -> *const c_char {
    static INFO: Mutex<Option<HashMap<c_int, CString>>> = Mutex::new(None);
    let s = HPySlot_Slot(slot);
    let (Some(name), Some(sig)) = (s.name(), s.signature()) else { return core::ptr::null() };
    let mut cache = INFO.lock().unwrap_or_else(|e| e.into_inner());
    let text = cache.get_or_insert_with(HashMap::new).entry(slot).or_insert_with(|| {
        let mut words = vec![name.to_string(), sig.0.to_string()];
        words.extend(s.special_methods().iter().map(|m| m.to_string()));
        CString::new(words.join(" ")).unwrap_or_default()
    });
    text.as_ptr()
}

/// Installs the callbacks (a `struct` of `ncallbacks` function pointers in
/// the order of callbacks.def) and the constants' slots. 0, or -1 when the
/// table does not match this library or one is installed already.
#[no_mangle]
pub unsafe extern "C" fn lichen_init(callbacks: *const c_void, ncallbacks: isize) -> c_int {
    if callbacks.is_null() || ncallbacks != CALLBACK_COUNT as isize {
        return -1;
    }
    // SAFETY: the cffi module passes its table, of CALLBACK_COUNT pointers
    // in the order of callbacks.def, which `Callbacks` has too.
    let table = unsafe { *callbacks.cast::<Callbacks>() };
    if !callbacks::install(table) {
        return -1;
    }
    let _held = lock::enter();
    table::init(HANDLE_NAMES.len() as u32);
    0
}

/// The context for a mode (`Mode` values), NULL for an unknown one.
#[no_mangle]
pub extern "C" fn lichen_context(mode: c_int) -> *mut c_void {
    match Mode::from_i32(mode) {
        Some(m) => guarded_with("lichen_context", |vm| context::CONTEXTS.for_mode(vm, m).cast()),
        None => core::ptr::null_mut(),
    }
}

/// How many free slots hold stale entries (Python reads it to know when to
/// sweep them).
#[no_mangle]
pub extern "C" fn lichen_stale_hint() -> *mut isize {
    table::STALE.as_ptr()
}

// ---------------------------------------------------------------------------
// The object table

#[no_mangle]
pub extern "C" fn lichen_new_slot() -> isize {
    guarded("lichen_new_slot", || table::new_object(core::ptr::null_mut(), DataKind::Unknown, 0) as isize)
}

/// The length of the tuple or list of `h`, its items handed over to the
/// slot (see `table::set_items`): a handle Python keeps for many calls (a
/// call's keyword names) then has them known natively; -1 with the error
/// pending when PyPy could not tell.
#[no_mangle]
pub extern "C" fn lichen_learn_items(h: isize) -> isize {
    guarded_with("lichen_learn_items", |vm| PyPy::length(vm, hh(h)))
}

/// A new slot for an object whose native storage Python knows (`kind` a
/// `DataKind`).
#[no_mangle]
pub extern "C" fn lichen_new_slot_data(data: *mut c_void, kind: c_int, class: isize) -> isize {
    let kind = DataKind::NAMES.iter().find(|&&(_, v)| v == kind).map_or(DataKind::Unknown, |&(n, _)| match n {
        "None" => DataKind::None,
        "Payload" => DataKind::Payload,
        "Capsule" => DataKind::Capsule,
        _ => DataKind::Unknown,
    });
    guarded("lichen_new_slot_data", || table::new_object(data, kind, class as usize) as isize)
}

/// A second handle for `h` (borrowed).
#[no_mangle]
pub extern "C" fn lichen_dup(h: isize) -> isize {
    guarded("lichen_dup", || table::dup(hh(h))._i)
}

#[no_mangle]
pub extern "C" fn lichen_close(h: isize) {
    guarded("lichen_close", || table::close(hh(h)))
}

/// The value of a float slot Python is about to store (see
/// `table::take_float`).
#[no_mangle]
pub extern "C" fn lichen_take_float(h: isize) -> f64 {
    guarded("lichen_take_float", || table::take_float(hh(h)))
}

/// A handle for a float Python passes: its value is native at once, so
/// that `HPyFloat_AsDouble` on it calls no one (the entry stays empty, as
/// for floats native code makes).
#[no_mangle]
pub extern "C" fn lichen_new_float(v: f64) -> isize {
    guarded("lichen_new_float", || table::new_float(v)._i)
}

/// Called by a callback marked `pure` (callbacks.def) before it runs the
/// user's code (a `__len__`, a `__getitem__`, a key's `__eq__`).
#[no_mangle]
pub extern "C" fn lichen_lists_may_change() {
    guarded("lichen_lists_may_change", table::new_generation)
}

/// Moves up to `n` free slots into Python's reserve (their indices in
/// `out`); how many.
#[no_mangle]
pub unsafe extern "C" fn lichen_reserve(out: *mut isize, n: isize) -> isize {
    guarded("lichen_reserve", || {
        if out.is_null() || n <= 0 {
            return 0;
        }
        // SAFETY: `out` is not NULL, and Python passes room for `n` entries
        // (a cffi buffer it made for them).
        let out = unsafe { core::slice::from_raw_parts_mut(out, n as usize) };
        table::reserve(out) as isize
    })
}

/// The bytes through which Python learns which receivers' slots came back
/// (see `table::give_back`), and how many slots have one.
#[no_mangle]
pub extern "C" fn lichen_back_flags() -> *mut u8 {
    table::back_flags()
}

/// A byte per slot below `lichen_back_cap()`, in which Python tells what
/// it put in a slot it passes fresh (see `table::KINDS`).
#[no_mangle]
pub extern "C" fn lichen_kinds_told() -> *mut u8 {
    table::kinds_told_ptr()
}

#[no_mangle]
pub extern "C" fn lichen_back_cap() -> isize {
    table::BACK_CAP as isize
}

/// The caller that lent receiver slot `slot` read that the extension kept
/// it (`table::RECEIVER_KEPT`): the slot need not wait for it any more.
#[no_mangle]
pub extern "C" fn lichen_lender_done(slot: isize) {
    guarded("lichen_lender_done", || {
        if let Ok(i) = u32::try_from(slot) {
            table::lender_done(i)
        }
    })
}

/// Where Python reads the value of a float result (see `table::TAG_FLOAT`),
/// by slot below `lichen_back_cap()`.
#[no_mangle]
pub extern "C" fn lichen_float_values() -> *mut f64 {
    table::float_values_ptr().cast()
}

/// Where Python reads how many field stores wait for it (see `stores`).
#[no_mangle]
pub extern "C" fn lichen_stores_hint() -> *mut isize {
    stores::PENDING.as_ptr()
}

/// The field stores for Python to apply, in order (see `stores::begin`).
#[no_mangle]
pub unsafe extern "C" fn lichen_stores_begin(out: *mut *const stores::Store) -> isize {
    guarded("lichen_stores_begin", || {
        let (at, n) = stores::begin();
        // SAFETY: Python passes room for one pointer.
        unsafe { out.write(at) };
        n as isize
    })
}

/// Python applied the stores `lichen_stores_begin` gave it.
#[no_mangle]
pub extern "C" fn lichen_stores_end() {
    guarded("lichen_stores_end", stores::end)
}

/// A new handle for the object a store not applied yet put under `key`
/// (0: none).
#[no_mangle]
pub extern "C" fn lichen_store_value(key: i64) -> isize {
    guarded("lichen_store_value", || stores::value_of(key as u64)._i)
}

/// How many slots the table has (every slot index Python gets is below).
#[no_mangle]
pub extern "C" fn lichen_table_size() -> isize {
    guarded("lichen_table_size", || table::size() as isize)
}

/// The stale free slots, for Python to clear (see `table::sweep_begin`).
#[no_mangle]
pub unsafe extern "C" fn lichen_sweep_begin(slots: *mut *const isize) -> isize {
    guarded("lichen_sweep_begin", || {
        let (ptr, n) = table::sweep_begin();
        if !slots.is_null() {
            // SAFETY: Python passes a pointer to a writable `intptr_t *`.
            unsafe { *slots = ptr };
        }
        n as isize
    })
}

#[no_mangle]
pub extern "C" fn lichen_sweep_end() {
    guarded("lichen_sweep_end", table::sweep_end)
}

/// How many slots are in use (for tests and the soak test).
#[no_mangle]
pub extern "C" fn lichen_slots_in_use() -> isize {
    guarded("lichen_slots_in_use", || table::in_use() as isize)
}

// ---------------------------------------------------------------------------
// Native storage

/// Records, for the type `type_id` Python just made, its nearest base made
/// from a spec, every type made from a spec in its MRO (`n` type ids), and
/// whether it has no instance layout of its own (`transparent`).
#[no_mangle]
pub unsafe extern "C" fn lichen_type_lineage(type_id: isize, base_type_id: isize, ancestors: *const isize, n: isize, transparent: c_int) {
    // SAFETY: Python passes an array of `n` type ids.
    let ancestors = unsafe { handles(ancestors, n) };
    guarded("lichen_type_lineage", || {
        if type_id != 0 {
            // SAFETY: Python passes the `type_id`s of lichen_type_def, right
            // after making the class.
            unsafe { typedef::set_lineage(type_id as *mut TypeInfo, base_type_id as *const TypeInfo, ancestors, transparent != 0) }
        }
    })
}

/// Releases the fields and runs the destroy functions of a dying object's
/// struct.
#[no_mangle]
pub unsafe extern "C" fn lichen_destroy_payload(type_id: isize, payload: *mut c_void) {
    guarded("lichen_destroy_payload", || {
        if type_id != 0 && !payload.is_null() {
            // SAFETY: Python passes the object's type's `type_id` and its
            // struct, once, from its finalizer.
            unsafe { typedef::destroy_payload(&*(type_id as *const TypeInfo), payload) }
        }
    })
}

/// Runs the destroy functions of the `n` classes `type_ids` on a dying
/// object's struct (its MRO's classes made from specs, most derived first).
#[no_mangle]
pub unsafe extern "C" fn lichen_destroy_along(type_ids: *const isize, n: isize, payload: *mut c_void) {
    // SAFETY: Python passes an array of `n` type ids.
    let type_ids = unsafe { handles(type_ids, n) };
    guarded("lichen_destroy_along", || {
        if !payload.is_null() {
            // SAFETY: Python passes the object's struct, once, from its
            // finalizer, with the classes of its MRO.
            unsafe { typedef::destroy_along(type_ids, payload) }
        }
    })
}

/// Runs a dying capsule's destructor and frees its state.
#[no_mangle]
pub unsafe extern "C" fn lichen_capsule_free(data: *mut c_void) {
    guarded("lichen_capsule_free", || {
        if !data.is_null() {
            // SAFETY: Python passes a capsule's data once, from its finalizer.
            unsafe { crate::capsule::free(data) }
        }
    })
}

/// What an `HPyField` holds: its bits as they are, 0 for an empty one;
/// Python finds an object held by key (`..111`) in its owner's
/// `_lichen_refs`, and anything else is a handle of its own.
#[no_mangle]
pub unsafe extern "C" fn lichen_field_read(field: *mut c_void) -> isize {
    guarded("lichen_field_read", || {
        // SAFETY: Python passes the address of a member of type OBJECT
        // inside a live object's struct.
        let f = unsafe { field.cast::<HPyField>().read_unaligned() };
        if table::field_key(f._i).is_some() {
            f._i
        } else {
            table::dup(hh(f._i))._i
        }
    })
}

/// `HPyField_Store(owner, field, value)` for a member of type OBJECT: the
/// handles are taken over (`value` 0 empties the field).
#[no_mangle]
pub unsafe extern "C" fn lichen_field_write(owner: isize, field: *mut c_void, value: isize) {
    guarded("lichen_field_write", || {
        // SAFETY: Python passes the address of an OBJECT member inside the
        // live struct of `owner` (a word at a C struct's alignment for an
        // `HPyField`); only this thread, holding the extension lock, uses it.
        let field = unsafe { &mut *field.cast::<HPyField>() };
        let (o, v) = (hh(owner), hh(value));
        crate::host::object::store_field(o, field, v);
        close_received([owner, value], [o, v]);
    })
}

/// The key of the object a loaded field's slot stands for (0: not one).
#[no_mangle]
pub extern "C" fn lichen_loaded_key(h: isize) -> i64 {
    guarded("lichen_loaded_key", || table::loaded_field(hh(h)).1 as i64)
}

/// A new handle for the owner a loaded field's slot holds (0: not one, or
/// no longer: the slot was given its object), which Python closes after
/// it looked the object up there (see `table::new_loaded_field`): the
/// slot's own hold may go meanwhile, when another thread's store settles
/// the slot, and with it the owner's slot.
#[no_mangle]
pub extern "C" fn lichen_loaded_owner(h: isize) -> isize {
    guarded("lichen_loaded_owner", || table::dup(HPy { _i: table::loaded_field(hh(h)).0 })._i)
}

/// Python emptied the entries of these reserve slots (see `sweep`): holds
/// they kept go.
#[no_mangle]
pub unsafe extern "C" fn lichen_reserve_emptied(slots: *const isize, n: isize) {
    // SAFETY: Python passes an array of `n` slot numbers.
    let slots = unsafe { handles(slots, n) };
    guarded("lichen_reserve_emptied", || table::reserve_emptied(slots))
}

/// Python emptied the entries of these reserve slots and gives them back
/// (see `table::unreserve`).
#[no_mangle]
pub unsafe extern "C" fn lichen_unreserve(slots: *const isize, n: isize) {
    // SAFETY: Python passes an array of `n` slot numbers (`handles` reads
    // none for NULL or `n` <= 0).
    let slots = unsafe { handles(slots, n) };
    guarded("lichen_unreserve", || table::unreserve(slots))
}

// ---------------------------------------------------------------------------
// Errors

#[repr(C)]
pub struct ErrorOut {
    kind: c_int,
    stray: c_int,
    ty: isize,
    value: isize,
    message: *const c_char,
    message_len: isize,
}

/// Moves the pending exception of this thread to `out` (see lichen_pypy.h).
#[no_mangle]
pub unsafe extern "C" fn lichen_err_take(out: *mut ErrorOut) -> c_int {
    guarded("lichen_err_take", || {
        let taken = error::take();
        // SAFETY: Python passes a writable `struct lichen_error`.
        let out = unsafe { &mut *out };
        let stray = error::take_stray() as c_int;
        *out = ErrorOut { kind: 0, stray, ty: 0, value: 0, message: core::ptr::null(), message_len: 0 };
        match taken {
            None => {}
            Some(Pending::Message { ty, message }) => {
                let (ptr, len) = error::keep_message(message);
                *out = ErrorOut { kind: 1, ty: ty._i, message: ptr, message_len: len as isize, ..*out };
            }
            Some(Pending::Value { ty, value }) => *out = ErrorOut { kind: 2, ty: ty._i, value: value._i, ..*out },
            Some(Pending::Raised(e)) => *out = ErrorOut { kind: 3, value: e._i, ..*out },
            Some(Pending::RaisedInPython) => *out = ErrorOut { kind: 4, ..*out },
        }
        out.kind
    })
}

/// Makes the exception object `exc` (taken over) pending.
#[no_mangle]
pub extern "C" fn lichen_err_set(exc: isize) {
    guarded("lichen_err_set", || error::set(Pending::Raised(hh(exc))))
}

/// Records that a callback raised; Python keeps the exception.
#[no_mangle]
pub extern "C" fn lichen_err_raised_in_python() {
    guarded("lichen_err_raised_in_python", || error::set(Pending::RaisedInPython))
}

#[no_mangle]
pub extern "C" fn lichen_err_occurred() -> c_int {
    guarded("lichen_err_occurred", || error::occurred() as c_int)
}

/// Keeps a copy of `size` bytes with the slot of `h` (see `table::attach`;
/// `is_str`: a str's UTF-8, else a bytes' contents).
#[no_mangle]
pub unsafe extern "C" fn lichen_attach_bytes(h: isize, data: *const c_char, size: isize, is_str: c_int) -> *const c_char {
    guarded("lichen_attach_bytes", || {
        let bytes = if data.is_null() || size <= 0 {
            &[][..]
        } else {
            // SAFETY: Python passes `size` readable bytes.
            unsafe { core::slice::from_raw_parts(data.cast::<u8>(), size as usize) }
        };
        table::attach(hh(h), bytes, is_str != 0)
    })
}

/// A copy of a C string kept for the rest of the process, the same copy for
/// the same text (type names, which the ABI hands out for as long as their
/// type lives).
#[no_mangle]
pub unsafe extern "C" fn lichen_keep_cstring(data: *const c_char) -> *const c_char {
    static KEPT: Mutex<Option<HashMap<Vec<u8>, CString>>> = Mutex::new(None);
    if data.is_null() {
        return core::ptr::null();
    }
    // SAFETY: Python passes a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(data) };
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let map = kept.get_or_insert_with(HashMap::new);
    map.entry(text.to_bytes().to_vec()).or_insert_with(|| text.to_owned()).as_ptr()
}

// ---------------------------------------------------------------------------
// Loading

/// Module definitions handed to Python; kept, as their extensions are.
struct Kept(Vec<typedef::ModuleDefParts>);
// SAFETY: the definitions are only read (by Python, once); the pointers in
// them point into the kept arrays and the extensions' static data.
unsafe impl Send for Kept {}
static MODULE_DEFS: Mutex<Kept> = Mutex::new(Kept(Vec::new()));

fn load_error_kind(kind: LoadErrorKind) -> ExcKind {
    match kind {
        LoadErrorKind::NotALibrary | LoadErrorKind::MissingSymbol => ExcKind::ImportError,
        LoadErrorKind::AbiMismatch => ExcKind::RuntimeError,
        LoadErrorKind::BadDefinition => ExcKind::SystemError,
    }
}

/// Loads the extension `name` from `path` in `mode` and describes its
/// module definition in `out`. 0, or -1 with the error pending.
#[no_mangle]
pub unsafe extern "C" fn lichen_load(name: *const c_char, path: *const c_char, mode: c_int, out: *mut ModuleDef) -> c_int {
    guarded_with("lichen_load", |vm| {
        let Some(mode) = Mode::from_i32(mode) else {
            return error::fail(ExcKind::ValueError, &format!("invalid HPy mode: {mode}"), -1);
        };
        // SAFETY: Python passes NUL-terminated name and path.
        let (name_c, path_c) = unsafe { (CStr::from_ptr(name), CStr::from_ptr(path)) };
        let full = name_c.to_string_lossy();
        let path = std::path::PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path_c.to_bytes()));
        let ctx = context::CONTEXTS.for_mode(vm, mode);
        // SAFETY: the context lives for the rest of the process.
        let ext = match unsafe { load_extension(&full, &path, ctx) } {
            Ok(ext) => ext,
            Err(e) => return error::fail(load_error_kind(e.kind), &e.message, -1),
        };
        // SAFETY: the definition came from the extension's init function.
        let spec = match unsafe { module_spec(ext.def) } {
            Ok(spec) => spec,
            Err(e) => return error::fail(e.kind, &e.message, -1),
        };
        if !spec.legacy_methods.is_null() {
            return error::fail(ExcKind::SystemError, LEGACY_METHODS, -1);
        }
        // The name the module functions' qualified names use.
        let kept_name = CString::new(full.as_bytes()).unwrap_or_default();
        let parts = typedef::module_def(&spec, kept_name.as_ptr(), ctx);
        // SAFETY: Python passes a writable `struct lichen_module_def`; the
        // arrays it points into are kept in MODULE_DEFS.
        unsafe { out.write(core::ptr::read(&parts.def)) };
        let mut defs = MODULE_DEFS.lock().unwrap_or_else(|e| e.into_inner());
        defs.0.push(parts);
        core::mem::forget(kept_name);
        0
    })
}

const LEGACY_METHODS: &str = "HPyModuleDef.legacy_methods holds CPython C-API methods, which \
    Lichen's PyPy host cannot call (it runs without cpyext): build the extension for the \
    universal ABI only";

// ---------------------------------------------------------------------------
// Calls into extensions
//
// Every entry below calls one implementation. Handle arguments arrive as
// Python made them (fresh from its reserve, lent, or live: see `table`)
// and are received under the lock; the receiver's struct, when Python knows
// it, comes along (`self_data`), so that `HPy_AsStruct` on it calls no one.
// After the call the entry closes what it received (not the lent ones) and
// hands a handle result to Python (`table::give_to_python`).

/// Receives the handle arguments `bits` (the first with `first_data`),
/// calls `impl_` (an implementation of signature `sig`, of an extension
/// loaded with `ctx`) through `call`, closes the arguments and hands the
/// result to `finish`, all under one hold of the extension lock.
///
/// # Safety
/// `ctx` must be a context of this host and `impl_` an implementation of
/// signature `sig` whose C type is `F`; `call` must call it at most once.
#[inline]
#[allow(clippy::too_many_arguments)] // one per part of a call; a struct would be rebuilt per call
unsafe fn call<F: Copy, R, T: ErrorValue, const N: usize>(
    name: &str,
    ctx: *mut c_void,
    impl_: *mut c_void,
    sig: HPyFunc_Signature,
    bits: [isize; N],
    first: (Data, usize),
    call: impl FnOnce(*mut HPyContext, F, [HPy; N]) -> R,
    finish: impl FnOnce(R) -> T,
) -> T {
    const { assert!(core::mem::size_of::<F>() == core::mem::size_of::<*mut c_void>()) };
    guarded(name, || {
        let handles = receive_all(bits, first);
        // SAFETY: `impl_` is an implementation of signature `sig` whose C
        // type is `F` and `ctx` a context of this host (this function's
        // `# Safety`), so transmuting it to `F` (a function pointer of the
        // size of `*mut c_void`, checked above) and calling it through
        // `call_under` with that context is a call of its own type.
        let r = unsafe {
            let imp: lichen_core::call::Impl = core::mem::transmute(impl_);
            lichen_core::call::call_under(ctx.cast(), sig, imp, |c, f| call(c, core::mem::transmute_copy::<_, F>(&f), handles))
        };
        close_received(bits, handles);
        // Python code runs next, and may change lists whose items the
        // extension read (entries that run no extension code, such as the
        // table's, leave them current)
        table::call_ended();
        let out = finish(r);
        if N > 0 && bits[0] & table::TAG_RECEIVER == table::TAG_RECEIVER {
            table::settle_receiver();
        }
        out
    })
}

fn receive_all<const N: usize>(bits: [isize; N], (data, class): (Data, usize)) -> [HPy; N] {
    let mut k = 0;
    bits.map(|b| {
        k += 1;
        if k == 1 { table::receive_known(b, data as *mut c_void, class) } else { table::receive(b, core::ptr::null_mut()) }
    })
}

fn close_received<const N: usize>(bits: [isize; N], handles: [HPy; N]) {
    for (b, h) in bits.into_iter().zip(handles) {
        end_use(b, h);
    }
}

/// Ends the call's use of an argument: closes what Python passed fresh,
/// gives receivers back (`table::give_back`), leaves lent ones alone.
#[inline]
fn end_use(bits: isize, h: HPy) {
    match bits & table::TAG_RECEIVER {
        0 | table::TAG_FRESH => table::close(h),
        table::TAG_RECEIVER => table::give_back(h),
        _ => {}
    }
}

/// A handle result for Python (see `table::give_to_python`). A result that
/// came with an exception set is dropped, and the call fails (see
/// `error::mark_stray`).
fn give_up(result: HPy) -> isize {
    if !result.is_null() && error::occurred() {
        table::close(result);
        error::mark_stray();
        return 0;
    }
    table::give_to_python(result)
}

/// A status or value result: as for [`give_up`], one that is not the error
/// value but came with an exception set fails the call.
fn status<R: ErrorValue>(r: R) -> R {
    if !r.may_be_error() && error::occurred() {
        error::mark_stray();
        return R::error_value();
    }
    r
}

fn nothing(_: ()) {}

/// The handle array of a call.
///
/// # Safety
/// `args` must hold `n` handles (or be NULL with `n` 0).
unsafe fn handles<'a>(args: *const isize, n: isize) -> &'a [isize] {
    if args.is_null() || n <= 0 {
        &[]
    } else {
        // SAFETY: `args` is not NULL and `n` > 0 here, and a non-NULL
        // `args` holds `n` handles (this function's `# Safety`).
        unsafe { core::slice::from_raw_parts(args, n as usize) }
    }
}

/// Receives an array of argument bits into `out` (as long as `bits`).
fn receive_array(bits: &[isize], out: &mut [HPy]) {
    for (o, &b) in out.iter_mut().zip(bits) {
        *o = table::receive(b, core::ptr::null_mut());
    }
}

fn close_array(bits: &[isize], hs: &[HPy]) {
    for (&b, &h) in bits.iter().zip(hs) {
        end_use(b, h);
    }
}

/// A receiver's struct as Python passes it: its address (0: none known).
/// Python keeps each instance's as an int, which costs PyPy's GC less than
/// a cdata pointer per instance.
type Data = usize;

/// Feeds every signature of the declaration with an entry (see
/// [`lichen_call`]) to `$callback` (`signature_entry` for the entries,
/// `entry_prototype` for the header's lines):
/// `$callback! { SIGNATURE ctx lower [param kind ...] result [extra] }`.
macro_rules! signature_entries {
    (@ $callback:ident $extra:tt ; $($name:ident = $n:literal, $lower:ident, $ctx:ident ($($p:ident : $k:tt),*) -> $r:tt, $block:tt;)*) => {$(
        signature_entries! { @if $callback $name $ctx $lower [$($p $k)*] $r $extra [$($k)*] }
    )*};
    // The rule: `ctx`, and no `objs` among the kinds (the last part, consumed
    // one kind at a time).
    (@if $callback:ident $name:ident noctx $lower:ident $params:tt $r:tt $extra:tt $kinds:tt) => {};
    (@if $callback:ident $name:ident ctx $lower:ident $params:tt $r:tt $extra:tt [objs $($k:tt)*]) => {};
    (@if $callback:ident $name:ident ctx $lower:ident $params:tt $r:tt $extra:tt [$k0:tt $($k:tt)*]) => {
        signature_entries! { @if $callback $name ctx $lower $params $r $extra [$($k)*] }
    };
    (@if $callback:ident $name:ident ctx $lower:ident $params:tt $r:tt $extra:tt []) => {
        $callback! { $name ctx $lower $params $r $extra }
    };
    ($callback:ident ; $($sigs:tt)*) => { signature_entries! { @ $callback [] ; $($sigs)* } };
    ($callback:ident, $extra:ident ; $($sigs:tt)*) => { signature_entries! { @ $callback [$extra] ; $($sigs)* } };
}

/// One entry: splits the parameters into handles and plain values
/// (`@split`), then defines the function `$lower`, exported as
/// `lichen_call_$lower`.
macro_rules! signature_entry {
    ($sig:ident ctx $lower:ident [$($all:tt)*] $r:tt []) => {
        signature_entry! { @split $sig $lower [$($all)*] $r [] [] [$($all)*] }
    };
    (@split $sig:ident $lower:ident $all:tt $r:tt [$($h:ident)*] [$($pl:ident $pk:tt)*] [$p:ident obj $($rest:tt)*]) => {
        signature_entry! { @split $sig $lower $all $r [$($h)* $p] [$($pl $pk)*] [$($rest)*] }
    };
    (@split $sig:ident $lower:ident $all:tt $r:tt [$($h:ident)*] [$($pl:ident $pk:tt)*] [$p:ident $k:tt $($rest:tt)*]) => {
        signature_entry! { @split $sig $lower $all $r [$($h)*] [$($pl $pk)* $p $k] [$($rest)*] }
    };
    (@split $sig:ident $lower:ident [$($p:ident $k:tt)*] $r:tt [$($h:ident)*] [$($pl:ident $pk:tt)*] []) => {
        #[doc = concat!("`lichen_call_", stringify!($lower), "`: calls an implementation of `HPyFunc_", stringify!($sig), "`.")]
        ///
        /// # Safety
        /// `ctx` and `impl_` must be the context and implementation of one
        /// definition of this signature, the handles ones Python made.
        #[export_name = concat!("lichen_call_", stringify!($lower))]
        pub unsafe extern "C" fn $lower(ctx: *mut c_void, impl_: *mut c_void $(, $h: isize)*, self_data: Data, self_class: usize $(, $pl: plain_ty!($pk))*) -> entry_result!($r) {
            // SAFETY: Python passes the context and implementation of one
            // definition, whose signature is `$sig` (so its C type is
            // `func_types::$lower`), and handles it made.
            unsafe {
                call(concat!("lichen_call_", stringify!($lower)), ctx, impl_, HPyFunc_Signature::$sig, [$($h),*], (self_data, self_class),
                    |c, f: func_types::$lower, received: [HPy; count!($($h)*)]| {
                        let [$($h),*] = received;
                        f(c $(, $p)*)
                    },
                    entry_finish!($r))
            }
        }
    };
}

macro_rules! count {
    () => { 0 };
    ($x:ident $($rest:ident)*) => { 1 + count!($($rest)*) };
}

/// The Rust type of a plain parameter of an entry.
macro_rules! plain_ty {
    (buf) => { *mut HPy_buffer };
    ([$t:ty]) => { $t };
}

/// What an entry returns for an implementation's result: a handle's bits,
/// the value itself, nothing.
macro_rules! entry_result {
    (obj) => { isize };
    (none) => { () };
    ([$t:ty]) => { $t };
}

macro_rules! entry_finish {
    (obj) => { give_up };
    (none) => { nothing };
    ([$t:ty]) => { status };
}

/// The per-signature entries, one for every signature of
/// `lichen_abi::hpyfunc_signatures!` whose shape an entry can take: the
/// implementation takes the context (`ctx`) and its parameters are handles
/// (`obj`), plain values (`[T]`) or a buffer (`buf`), no handle array
/// (`objs`). The signatures with an array (`VARARGS`, `KEYWORDS`,
/// `INITPROC`, `NEWFUNC`, `VECTORCALLFUNC`) have the hand-written entries
/// below; the `noctx` ones (`DESTROYFUNC`, `TRAVERSEPROC`,
/// `CAPSULE_DESTRUCTOR`), which Python does not call, have none. The entry of the signature
/// `lower` (the declaration's lower-case name) is the function
/// `lichen_call::lower`, exported as `lichen_call_lower`
/// (`lichen_call_reprfunc`, `lichen_call_ssizeobjargproc`, ...). Everything
/// about an entry (its handle and plain parameters, their types, its
/// result) comes from the signature's line in the declaration (see
/// `signature_entry!`), and so does its prototype in `lichen_pypy.h` (the
/// generated section, checked by the test `header_matches_declaration`).
///
/// An entry takes the context and implementation, the signature's handle
/// arguments (`obj`) in order, the receiver's struct and class id (see
/// `lichen_pypy.h`), then its plain arguments (`[T]`, `buf`) in order, and
/// calls the implementation with them in the signature's order (so
/// `lichen_call_ssizeobjargproc` takes the value handle before the index).
/// Its result: a handle given to Python (`give_up`), a status or value
/// (`status`), or nothing.
pub mod lichen_call {
    use super::*;

    lichen_abi::hpyfunc_signatures!(signature_entries, signature_entry);
}

/// Implementations taking an argument array (`VARARGS`, `KEYWORDS`,
/// `NEWFUNC`, `INITPROC`): the receiver (or type) and `kw` (a kwnames tuple
/// or a dict, or 0) as for the others, the array received into a buffer.
///
/// # Safety
/// As for [`call`]; `args` must hold `n` handles Python made for the call.
#[allow(clippy::too_many_arguments)] // as for `call`
unsafe fn call_array<F: Copy, T: ErrorValue>(
    name: &str,
    ctx: *mut c_void,
    impl_: *mut c_void,
    sig: HPyFunc_Signature,
    (first, first_data, first_class, kw): (isize, Data, usize, isize),
    args: *const isize,
    n: isize,
    call: impl FnOnce(*mut HPyContext, F, HPy, *const HPy, HPy) -> T,
) -> T {
    // SAFETY: `args` holds `n` handles Python made for the call (this
    // function's `# Safety`, which is `handles`').
    let bits = unsafe { handles(args, n) };
    // SAFETY: `ctx`, `impl_` and `sig` are as `call` requires (this
    // function's `# Safety`); `call` gets the received array, as long as
    // `bits`, alive until it returns.
    unsafe {
        self::call(name, ctx, impl_, sig, [first, kw], (first_data, first_class), |c, f: F, [h, k]: [HPy; 2]| {
            let mut small = [HPy::NULL; 8];
            let mut large = Vec::new();
            let received: &mut [HPy] = if bits.len() <= small.len() {
                &mut small[..bits.len()]
            } else {
                large.resize(bits.len(), HPy::NULL);
                &mut large
            };
            receive_array(bits, received);
            let r = call(c, f, h, received.as_ptr(), k);
            close_array(bits, received);
            r
        }, |r| r)
    }
}

/// Up to four positional arguments, passed as parameters rather than in an
/// array Python would have to allocate: `n` of `a`, `b`, `c`, `d` are used.
/// `sig` is VARARGS or KEYWORDS (then with no keywords).
#[no_mangle]
pub unsafe extern "C" fn lichen_call_few(ctx: *mut c_void, impl_: *mut c_void, sig: c_int, self_: isize, self_data: Data, self_class: usize, n: isize, a: isize, b: isize, c: isize, d: isize) -> isize {
    let n = n.clamp(0, 4);
    let all = [a, b, c, d];
    let args = &all[..n as usize];
    let r = if HPyFunc_Signature(sig) == HPyFunc_Signature::KEYWORDS {
        // SAFETY: Python passes a KEYWORDS implementation and `n` handles.
        unsafe {
            call_array("lichen_call_few", ctx, impl_, HPyFunc_Signature::KEYWORDS, (self_, self_data, self_class, 0), args.as_ptr(), n,
                |c, f: func_types::keywords, s, p, k| f(c, s, p, n as usize, k))
        }
    } else {
        // SAFETY: Python passes a VARARGS implementation and `n` handles.
        unsafe {
            call_array("lichen_call_few", ctx, impl_, HPyFunc_Signature::VARARGS, (self_, self_data, self_class, 0), args.as_ptr(), n,
                |c, f: func_types::varargs, s, p, _| f(c, s, p, n))
        }
    };
    guarded("lichen_call_few", || give_up(r))
}

#[no_mangle]
pub unsafe extern "C" fn lichen_call_varargs(ctx: *mut c_void, impl_: *mut c_void, self_: isize, self_data: Data, self_class: usize, args: *const isize, nargs: isize) -> isize {
    // SAFETY: Python passes a VARARGS implementation and `nargs` handles.
    let r = unsafe {
        call_array("lichen_call_varargs", ctx, impl_, HPyFunc_Signature::VARARGS, (self_, self_data, self_class, 0), args, nargs,
            |c, f: func_types::varargs, s, a, _| f(c, s, a, nargs))
    };
    guarded("lichen_call_varargs", || give_up(r))
}

/// `kwnames` is a tuple of the `nkw` keyword names whose values follow the
/// `nargs` positional arguments in `args`.
#[no_mangle]
pub unsafe extern "C" fn lichen_call_keywords(ctx: *mut c_void, impl_: *mut c_void, self_: isize, self_data: Data, self_class: usize, args: *const isize, nargs: isize, kwnames: isize, nkw: isize) -> isize {
    // SAFETY: Python passes a KEYWORDS implementation and nargs + nkw handles.
    let r = unsafe {
        call_array("lichen_call_keywords", ctx, impl_, HPyFunc_Signature::KEYWORDS, (self_, self_data, self_class, kwnames), args, nargs + nkw,
            |c, f: func_types::keywords, s, a, k| f(c, s, a, nargs as usize, k))
    };
    guarded("lichen_call_keywords", || give_up(r))
}

/// `lichen_call_keywords` with up to four handles (the `nargs` positional
/// arguments, then the `nkw` keyword values) passed as parameters rather
/// than in an array Python would have to allocate (see `lichen_call_few`).
#[no_mangle]
pub unsafe extern "C" fn lichen_call_keywords_few(ctx: *mut c_void, impl_: *mut c_void, self_: isize, self_data: Data, self_class: usize, nargs: isize, kwnames: isize, nkw: isize, a: isize, b: isize, c: isize, d: isize) -> isize {
    let all = [a, b, c, d];
    let nargs = nargs.clamp(0, 4);
    let nkw = nkw.clamp(0, 4 - nargs);
    // SAFETY: Python passes a KEYWORDS implementation and `nargs + nkw` of
    // the handles (clamped to the four there are).
    unsafe { lichen_call_keywords(ctx, impl_, self_, self_data, self_class, all.as_ptr(), nargs, kwnames, nkw) }
}

#[no_mangle]
pub unsafe extern "C" fn lichen_call_newfunc(ctx: *mut c_void, impl_: *mut c_void, ty: isize, type_info: usize, args: *const isize, nargs: isize, kw: isize) -> isize {
    // SAFETY: Python passes a NEWFUNC implementation and `nargs` handles.
    let r = unsafe {
        call_array("lichen_call_newfunc", ctx, impl_, HPyFunc_Signature::NEWFUNC, (ty, 0, 0, kw), args, nargs,
            |c, f: func_types::newfunc, t, a, k| {
                // the class, when made from a spec, is known: the HPy_New
                // of this tp_new then calls no one (see host::types)
                table::learn_type(t, type_info);
                f(c, t, a, nargs, k)
            })
    };
    guarded("lichen_call_newfunc", || give_up(r))
}

/// `lichen_call_newfunc` without keywords and with up to four positional
/// arguments, passed as parameters (see `lichen_call_few`).
#[no_mangle]
pub unsafe extern "C" fn lichen_call_newfunc_few(ctx: *mut c_void, impl_: *mut c_void, ty: isize, type_info: usize, n: isize, a: isize, b: isize, c: isize, d: isize) -> isize {
    let all = [a, b, c, d];
    // SAFETY: Python passes a NEWFUNC implementation and `n` of the handles
    // (clamped to the four there are).
    unsafe { lichen_call_newfunc(ctx, impl_, ty, type_info, all.as_ptr(), n.clamp(0, 4), 0) }
}

/// `lichen_call_initproc` without keywords and with up to four positional
/// arguments, passed as parameters (see `lichen_call_few`).
#[no_mangle]
pub unsafe extern "C" fn lichen_call_initproc_few(ctx: *mut c_void, impl_: *mut c_void, self_: isize, self_data: Data, self_class: usize, n: isize, a: isize, b: isize, c: isize, d: isize) -> c_int {
    let all = [a, b, c, d];
    // SAFETY: Python passes an INITPROC implementation and `n` of the
    // handles (clamped to the four there are).
    unsafe { lichen_call_initproc(ctx, impl_, self_, self_data, self_class, all.as_ptr(), n.clamp(0, 4), 0) }
}

#[no_mangle]
pub unsafe extern "C" fn lichen_call_initproc(ctx: *mut c_void, impl_: *mut c_void, self_: isize, self_data: Data, self_class: usize, args: *const isize, nargs: isize, kw: isize) -> c_int {
    // SAFETY: Python passes an INITPROC implementation and `nargs` handles.
    let r = unsafe {
        call_array("lichen_call_initproc", ctx, impl_, HPyFunc_Signature::INITPROC, (self_, self_data, self_class, kw), args, nargs,
            |c, f: func_types::initproc, s, a, k| f(c, s, a, nargs, k))
    };
    guarded("lichen_call_initproc", || status(r))
}

// ---------------------------------------------------------------------------
// What hpy.universal reports and reads

/// `"version git-revision"` of the HPy ABI this runtime implements.
#[no_mangle]
pub extern "C" fn lichen_hpy_version() -> *const c_char {
    static TEXT: OnceLock<CString> = OnceLock::new();
    TEXT.get_or_init(|| CString::new(format!("{HPY_VERSION} {HPY_GIT_REVISION}")).unwrap_or_default()).as_ptr()
}

/// The mode the `HPY` environment variable's `value` asks for `module`, or
/// -1 with a ValueError pending.
#[no_mangle]
pub unsafe extern "C" fn lichen_mode_from_env(module: *const c_char, value: *const c_char) -> c_int {
    guarded("lichen_mode_from_env", || {
        // SAFETY: Python passes NUL-terminated strings.
        let (module, value) = unsafe { (CStr::from_ptr(module).to_string_lossy(), CStr::from_ptr(value).to_string_lossy()) };
        match Mode::from_env_value(&module, &value) {
            Ok(m) => m as c_int,
            Err(message) => error::fail(ExcKind::ValueError, &message, -1),
        }
    })
}

/// The line printed for an import when `HPY_LOG` is set; valid until the
/// thread's next call.
#[no_mangle]
pub unsafe extern "C" fn lichen_log_line(name: *const c_char, mode: c_int) -> *const c_char {
    thread_local! {
        static LINE: core::cell::RefCell<CString> = core::cell::RefCell::new(CString::default());
    }
    // SAFETY: Python passes a NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
    let line = lichen_core::loader::log_line(&name, Mode::from_i32(mode).unwrap_or(Mode::Universal));
    LINE.with(|l| {
        *l.borrow_mut() = CString::new(line).unwrap_or_default();
        l.borrow().as_ptr()
    })
}

// ---------------------------------------------------------------------------
// hpy.universal._trace and ._debug: what they read and steer, for the
// Python modules of lichen._pypy (the texts and rules are the core's).

/// Replaces hook `which` of the trace or debug info: `setters[0]` for 0,
/// `setters[1]` for anything else, with `func` (bits of a handle, taken
/// over; 0 clears the hook).
fn set_hook<I: 'static>(entry: &str, info: fn(LockHeld<'_>) -> &'static I, setters: [fn(&I, HPy); 2], which: c_int, func: isize) {
    guarded_with(entry, |vm| setters[usize::from(which != 0)](info(vm), hh(func)))
}

fn trace_info(vm: LockHeld<'_>) -> &'static TraceInfo {
    // SAFETY: the trace context is made by `trace_context` and never freed.
    unsafe { lichen_core::trace::info(context::CONTEXTS.trace(vm)) }
}

fn debug_info(vm: LockHeld<'_>) -> &'static DebugInfo {
    // SAFETY: the debug context is made by `debug_context` and never freed.
    unsafe { lichen_core::debug::info(context::CONTEXTS.debug(vm)) }
}

/// Text handed to Python, valid until the thread's next such call.
fn thread_text(text: String) -> *const c_char {
    thread_local! {
        static TEXT: core::cell::RefCell<CString> = core::cell::RefCell::new(CString::default());
    }
    TEXT.with(|t| {
        *t.borrow_mut() = CString::new(text.replace('\0', "?")).unwrap_or_default();
        t.borrow().as_ptr()
    })
}

/// How many functions `lichen_trace_read` reports.
#[no_mangle]
pub extern "C" fn lichen_trace_count() -> c_int {
    guarded_with("lichen_trace_count", |vm| trace_info(vm).call_counts().len() as c_int)
}

/// The name of traced function `i` (`ctx_Add`, ...), as the counts name it.
#[no_mangle]
pub extern "C" fn lichen_trace_name(i: c_int) -> *const c_char {
    guarded_with("lichen_trace_name", |vm| {
        let counts = trace_info(vm).call_counts();
        match usize::try_from(i).ok().and_then(|i| counts.into_iter().nth(i)) {
            Some((name, _)) => thread_text(name),
            None => core::ptr::null(),
        }
    })
}

/// Fills `counts` and `durations` (nanoseconds), `n` entries each.
#[no_mangle]
pub unsafe extern "C" fn lichen_trace_read(counts: *mut u64, durations: *mut u64, n: c_int) {
    guarded_with("lichen_trace_read", |vm| {
        let info = trace_info(vm);
        let pairs = info.call_counts().into_iter().zip(info.durations_ns());
        for (i, ((_, c), (_, d))) in pairs.take(n.max(0) as usize).enumerate() {
            // SAFETY: Python passes arrays of `n` entries.
            unsafe {
                *counts.add(i) = c;
                *durations.add(i) = d;
            }
        }
    })
}

/// Which of `npositional` positional arguments and the keywords named in
/// `keywords` (space-separated) are `on_enter` and `on_exit`: their
/// positions in that order of arguments, -1 for omitted; -1 returned with
/// a TypeError pending for a bad call.
#[no_mangle]
pub unsafe extern "C" fn lichen_trace_args(npositional: c_int, keywords: *const c_char, out: *mut c_int) -> c_int {
    guarded("lichen_trace_args", || {
        // SAFETY: Python passes a NUL-terminated string.
        let names = unsafe { CStr::from_ptr(keywords) }.to_string_lossy().into_owned();
        let positional: Vec<c_int> = (0..npositional).collect();
        let kw: Vec<(String, c_int)> =
            names.split_whitespace().enumerate().map(|(i, k)| (k.to_string(), npositional + i as c_int)).collect();
        match lichen_core::trace::trace_function_args(positional, kw) {
            Ok([enter, exit]) => {
                // SAFETY: Python passes two writable ints.
                unsafe {
                    *out = enter.unwrap_or(-1);
                    *out.add(1) = exit.unwrap_or(-1);
                }
                0
            }
            Err(message) => error::fail(ExcKind::TypeError, &message, -1),
        }
    })
}

/// Replaces a trace hook (0 on entry, 1 on exit) by `func` (taken over;
/// 0 clears it).
#[no_mangle]
pub extern "C" fn lichen_trace_set_hook(which: c_int, func: isize) {
    set_hook("lichen_trace_set_hook", trace_info, [TraceInfo::set_on_enter, TraceInfo::set_on_exit], which, func)
}

#[no_mangle]
pub extern "C" fn lichen_trace_frequency() -> u64 {
    lichen_core::trace::FREQUENCY_HZ
}

#[no_mangle]
pub extern "C" fn lichen_debug_new_generation() -> u64 {
    guarded_with("lichen_debug_new_generation", |vm| debug_info(vm).new_generation())
}

/// The debug handles open (`closed` 0) or in the closed queue (1) of
/// generations >= `generation`: how many, the first `cap` written to `out`.
#[no_mangle]
pub unsafe extern "C" fn lichen_debug_handles(closed: c_int, generation: i64, out: *mut isize, cap: isize) -> isize {
    guarded_with("lichen_debug_handles", |vm| {
        let g = lichen_core::debug::view::generation_arg(generation);
        let handles = if closed != 0 { debug_info(vm).closed_handles(g) } else { debug_info(vm).open_handles(g) };
        for (i, h) in handles.iter().take(cap.max(0) as usize).enumerate() {
            // SAFETY: Python passes room for `cap` entries.
            unsafe { *out.add(i) = h.handle };
        }
        handles.len() as isize
    })
}

/// A debug handle's state: -1 forgotten, 0 open, 1 closed; its raw data's
/// size (-1 for none) in `raw_size`.
#[no_mangle]
pub unsafe extern "C" fn lichen_debug_handle_state(handle: isize, raw_size: *mut isize) -> c_int {
    guarded_with("lichen_debug_handle_state", |vm| {
        let state = debug_info(vm).table().info(handle);
        // SAFETY: Python passes a writable intptr_t.
        unsafe { *raw_size = lichen_core::debug::view::raw_data_size(state.as_ref()) };
        match state {
            None => -1,
            Some(s) => s.closed as c_int,
        }
    })
}

/// A new universal handle for the object of an open debug handle (0 for a
/// closed or forgotten one).
#[no_mangle]
pub extern "C" fn lichen_debug_handle_obj(handle: isize) -> isize {
    guarded_with("lichen_debug_handle_obj", |vm| match debug_info(vm).table().info(handle) {
        Some(s) if !s.closed => table::dup(s.uh)._i,
        _ => 0,
    })
}

/// The repr of a `DebugHandle` (the core's text); `obj_repr` is the repr of
/// the object of an open handle.
#[no_mangle]
pub unsafe extern "C" fn lichen_debug_handle_repr(handle: isize, obj_repr: *const c_char) -> *const c_char {
    guarded_with("lichen_debug_handle_repr", |vm| {
        let state = debug_info(vm).table().info(handle);
        let shown = if obj_repr.is_null() {
            String::new()
        } else {
            // SAFETY: Python passes a NUL-terminated string.
            unsafe { CStr::from_ptr(obj_repr) }.to_string_lossy().into_owned()
        };
        let text = lichen_core::debug::view::handle_repr::<()>(handle, state, |_| Ok(shown)).unwrap_or_default();
        thread_text(text)
    })
}

#[no_mangle]
pub extern "C" fn lichen_debug_force_close(handle: isize) {
    guarded_with("lichen_debug_force_close", |vm| debug_info(vm).force_close(HPy { _i: handle }))
}

/// The size limits of the debug table (`which`: 0 the closed-handles queue,
/// 1 the protected raw data); `set` < 0 only reads. The value before.
#[no_mangle]
pub extern "C" fn lichen_debug_limit(which: c_int, set: isize) -> isize {
    guarded_with("lichen_debug_limit", |vm| {
        let mut table = debug_info(vm).table();
        let old = if which == 0 { table.queue_max_size() } else { table.protected_raw_data_max_size() };
        if set >= 0 {
            if which == 0 {
                table.set_queue_max_size(set as usize)
            } else {
                table.set_protected_raw_data_max_size(set as usize)
            }
        }
        old as isize
    })
}

/// Replaces a debug hook (0 `on_invalid_handle`, 1
/// `on_invalid_builder_handle`) by `func` (taken over; 0 removes it).
#[no_mangle]
pub extern "C" fn lichen_debug_set_hook(which: c_int, func: isize) {
    set_hook(
        "lichen_debug_set_hook",
        debug_info,
        [DebugInfo::set_on_invalid_handle, DebugInfo::set_on_invalid_builder_handle],
        which,
        func,
    )
}

/// `set_handle_stack_trace_limit`: `limit` < 0 for None.
#[no_mangle]
pub extern "C" fn lichen_debug_set_stack_limit(limit: i64) {
    guarded_with("lichen_debug_set_stack_limit", |vm| {
        let n = (limit >= 0).then_some(limit);
        debug_info(vm).set_handle_stack_trace_limit(lichen_core::debug::view::stack_limit_arg(n))
    })
}

/// The latest misuse report (forgotten once read), or NULL.
#[no_mangle]
pub extern "C" fn lichen_debug_take_last_report() -> *const c_char {
    guarded_with("lichen_debug_take_last_report", |vm| match debug_info(vm).take_last_report() {
        Some(text) => thread_text(text),
        None => core::ptr::null(),
    })
}

#[no_mangle]
pub extern "C" fn lichen_debug_set_raw_data_fault_report(enabled: c_int) -> c_int {
    guarded("lichen_debug_set_raw_data_fault_report", || lichen_core::debug::set_raw_data_fault_report(enabled != 0) as c_int)
}

/// Sets whether misuse aborts (`abort` < 0 only reads); the value before.
#[no_mangle]
pub extern "C" fn lichen_debug_abort_on_misuse(abort: c_int) -> c_int {
    guarded_with("lichen_debug_abort_on_misuse", |vm| {
        if abort < 0 {
            debug_info(vm).aborts_on_misuse() as c_int
        } else {
            debug_info(vm).set_abort_on_misuse(abort != 0) as c_int
        }
    })
}

/// Panics inside an entry, for the test that a panic in Lichen becomes a
/// SystemError and the process lives on (tests/pypy). -1, with the error
/// pending.
#[no_mangle]
pub extern "C" fn lichen_selftest_panic() -> c_int {
    guarded("lichen_selftest_panic", || -> c_int { panic!("the self-test panic") })
}

/// `lichen_pypy.h`'s per-signature entries, rendered from the declaration
/// by the same rule as the entries themselves (`signature_entries!`).
#[cfg(test)]
mod header {
    use super::*;

    /// The C spelling of an entry's parameter or result type.
    trait CName {
        const C: &'static str;
    }
    impl CName for isize {
        const C: &'static str = "intptr_t";
    }
    impl CName for c_int {
        const C: &'static str = "int";
    }
    impl CName for HPy_RichCmpOp {
        const C: &'static str = "int";
    }
    impl CName for *mut c_void {
        const C: &'static str = "void *";
    }
    impl CName for *mut core::ffi::c_char {
        const C: &'static str = "char *";
    }

    macro_rules! c_name {
        (obj) => { "lh" };
        (none) => { "void" };
        (buf) => { "struct lichen_buffer *" };
        ([$t:ty]) => { <$t as CName>::C };
    }

    /// Pushes an entry's prototype, as the header writes it, onto `$out`.
    macro_rules! entry_prototype {
        ($sig:ident ctx $lower:ident [$($p:ident $k:tt)*] $r:tt [$out:ident]) => {{
            let mut handles = String::new();
            let mut plain = String::new();
            $(
                // a parameter named `self_` in the declaration is `self` in C
                let name = stringify!($p).trim_end_matches('_');
                if stringify!($k) == "obj" {
                    handles += &format!(", lh {name}");
                } else {
                    let ty = c_name!($k);
                    let sep = if ty.ends_with('*') { "" } else { " " };
                    plain += &format!(", {ty}{sep}{name}");
                }
            )*
            $out.push(format!(
                "{} lichen_call_{}(void *ctx, void *impl{handles}, uintptr_t self_data, uintptr_t self_class{plain});",
                c_name!($r), stringify!($lower)
            ));
        }};
    }

    const BEGIN: &str = "/* BEGIN GENERATED";
    const END: &str = "/* END GENERATED */";

    fn rendered() -> String {
        let mut out: Vec<String> = Vec::new();
        lichen_abi::hpyfunc_signatures!(signature_entries, entry_prototype, out);
        out.join("\n") + "\n"
    }

    /// The generated section of `lichen_pypy.h` (between the BEGIN line and
    /// `END`) is what the declaration gives. `LICHEN_BLESS=1 cargo test -p
    /// lichen-pypy header` rewrites it.
    #[test]
    fn header_matches_declaration() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/lichen_pypy.h");
        let text = std::fs::read_to_string(path).unwrap();
        let begin = text.find(BEGIN).expect("lichen_pypy.h: no BEGIN GENERATED line");
        let body = begin + text[begin..].find("*/\n").expect("lichen_pypy.h: BEGIN GENERATED comment unclosed") + 3;
        let end = body + text[body..].find(END).expect("lichen_pypy.h: no END GENERATED line");
        let want = rendered();
        if text[body..end] == want {
            return;
        }
        if std::env::var_os("LICHEN_BLESS").is_some() {
            std::fs::write(path, format!("{}{want}{}", &text[..body], &text[end..])).unwrap();
            return;
        }
        panic!(
            "lichen_pypy.h's generated entries differ from lichen_abi::hpyfunc_signatures!; \
             regenerate them with `LICHEN_BLESS=1 cargo test -p lichen-pypy header`.\nexpected:\n{want}\nfound:\n{}",
            &text[body..end]
        );
    }
}
