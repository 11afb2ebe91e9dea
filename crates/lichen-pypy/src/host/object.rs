//! PyPy operations behind the object context functions.

use super::error::fail;
use super::*;
use crate::callbacks::py;
use crate::capsule;
use core::ffi::{c_char, c_int, c_void};
use lichen_abi::*;
use lichen_core::host::{CapsuleField, Conversion, ExcKind, ObjectHost, ObjectKind};

crate::codes! {
    /// What `check` asks PyPy (the `what` argument of the callback).
    pub enum Check { Callable = 0, Tuple = 1, Dict = 2, List = 3, Bytes = 4, Unicode = 5, Number = 6 }
}

/// Whether `h` is of the kind `what`: natively for what native code knows
/// (ints, floats, bools and None are none of the kinds but numbers, and
/// the slot remembers the answers for an object of an exact built-in type).
pub fn check(h: HPy, what: Check) -> bool {
    match known(h) {
        Known::Other => match table::kinds(h) {
            Some(kinds) => kinds & (1 << what as u32) != 0,
            None => ask_kinds(h, what),
        },
        Known::None => false,
        Known::Int(_) | Known::Float(_) | Known::Bool(_) => matches!(what, Check::Number),
    }
}

/// The answer of a yes-or-no callback whose failure (-1, an exception
/// pending) reads as "no" (see `error::keep_pending`).
fn answer(r: c_int) -> bool {
    if r < 0 {
        super::error::keep_pending();
    }
    r == 1
}

/// What the `check` callback answers: bit 0 the answer, bit 1 set when
/// bits 8-15 hold every answer (an exact built-in type), bits 16 and up
/// the number of items it handed over plus one (a short tuple or list).
const CHECK_ALL: c_int = 2;

fn ask_kinds(h: HPy, what: Check) -> bool {
    let mut items = [0isize; table::ITEMS_MAX];
    let mut learnt = [0isize; 2 * table::ITEMS_MAX + 1];
    let r = py!(check(h._i, what as c_int, items.as_mut_ptr(), learnt.as_mut_ptr()));
    if r < 0 {
        super::error::keep_pending();
        return false;
    }
    if r & CHECK_ALL != 0 {
        table::set_kinds(h, (r >> 8) as u8);
    }
    let n = (r >> 16) as usize;
    if n > 0 {
        keep_items(h, &items[..n - 1], &learnt);
    }
    r & 1 != 0
}

/// `HPy_Length` from Python; a short tuple's or list's items come along
/// (see `table::set_items`); the last word of `learnt` says a list. Out of
/// line: its arrays made the frame of every known length's call.
#[inline(never)]
fn length_from_python(h: HPy) -> HPy_ssize_t {
    let mut items = [0isize; table::ITEMS_MAX];
    let mut learnt = [0isize; 2 * table::ITEMS_MAX + 1];
    let cap = items.len() as isize;
    let n = py!(length(h._i, items.as_mut_ptr(), cap, learnt.as_mut_ptr()));
    if n > 0 && n <= cap && items[0] != 0 {
        keep_items(h, &items[..n as usize], &learnt);
    }
    n
}

/// Keeps the items Python handed over (see `table::set_items`): what
/// Python said of each (class, struct) goes with its handle; an instance
/// of a class made from a spec comes as a fresh slot that learns it here,
/// an exact float as `table::TAG_FLOAT` with its value's bits where the
/// struct would be (its slot made here, as `HPyFloat_FromDouble` makes one).
fn keep_items(h: HPy, items: &[isize], learnt: &[isize]) {
    let got: Box<[HPy]> = items
        .iter()
        .enumerate()
        .map(|(k, &b)| {
            if b == table::TAG_FLOAT {
                return table::new_float(f64::from_bits(learnt[2 * k + 1] as u64));
            }
            let (class, data) = (learnt[2 * k] as usize, learnt[2 * k + 1] as *mut c_void);
            let item = table::receive_known(b, data, class);
            if b & table::TAG_FRESH == 0 {
                table::learn(item, class, data);
            }
            item
        })
        .collect();
    table::set_items(h, got, learnt[2 * table::ITEMS_MAX] != 0);
}

/// Python's int hash of a small int: itself, but -1 (C's error value) is -2.
fn int_hash(v: i64) -> HPy_hash_t {
    if v == -1 {
        -2
    } else {
        v as HPy_hash_t
    }
}

/// Compares two numbers natively when that gives Python's answer exactly:
/// ints, and floats with ints that a double holds exactly.
fn compare_known(v: HPy, w: HPy, op: HPy_RichCmpOp) -> Option<bool> {
    use core::cmp::Ordering;
    const EXACT: i64 = 1 << 53;
    let as_f64 = |k: Known| match k {
        Known::Float(f) => Some(f),
        Known::Int(i) if (-EXACT..=EXACT).contains(&i) => Some(i as f64),
        _ => None,
    };
    let ord = match (known(v), known(w)) {
        (Known::Int(a), Known::Int(b)) => Some(a.cmp(&b)),
        (a, b) => as_f64(a)?.partial_cmp(&as_f64(b)?),
    };
    Some(match (op, ord) {
        (HPy_RichCmpOp::EQ, o) => o == Some(Ordering::Equal),
        (HPy_RichCmpOp::NE, o) => o != Some(Ordering::Equal),
        (_, None) => false, // NaN: every ordering is false
        (HPy_RichCmpOp::LT, Some(o)) => o == Ordering::Less,
        (HPy_RichCmpOp::LE, Some(o)) => o != Ordering::Greater,
        (HPy_RichCmpOp::GT, Some(o)) => o == Ordering::Greater,
        (HPy_RichCmpOp::GE, Some(o)) => o != Ordering::Less,
        _ => return None,
    })
}

impl ObjectHost for PyPy {
    #[inline]
    fn dup(_held: LockHeld<'_>, h: HPy) -> HPy {
        table::dup(h)
    }

    #[inline]
    fn close(_held: LockHeld<'_>, h: HPy) {
        table::close(h)
    }

    fn is(_held: LockHeld<'_>, a: HPy, b: HPy) -> bool {
        if a == b {
            return true;
        }
        // Python turns these into the one handle of each, and ints into
        // handles that hold them; floats are compared by value in PyPy.
        if is_canonical(a) || is_canonical(b) {
            return false;
        }
        match (known(a), known(b)) {
            (Known::Int(_), _) | (_, Known::Int(_)) => false,
            (Known::Float(x), Known::Float(y)) => x.to_bits() == y.to_bits(),
            _ => answer(py!(same_object(a._i, b._i))),
        }
    }

    fn is_kind(_held: LockHeld<'_>, h: HPy, kind: ObjectKind) -> bool {
        check(
            h,
            match kind {
                ObjectKind::Callable => Check::Callable,
                ObjectKind::Tuple => Check::Tuple,
                ObjectKind::Dict => Check::Dict,
            },
        )
    }

    fn type_of(_held: LockHeld<'_>, h: HPy) -> HPy {
        match known(h) {
            Known::Int(_) => LONG_TYPE,
            Known::Float(_) => FLOAT_TYPE,
            Known::Bool(_) => constant("BoolType"),
            _ => super::h(py!(type_of(h._i))),
        }
    }

    fn type_check(_held: LockHeld<'_>, obj: HPy, ty: HPy) -> bool {
        // int's and float's MROs are (int, object) and (float, object).
        match known(obj) {
            Known::Int(_) => ty == LONG_TYPE || ty == OBJECT_TYPE,
            Known::Float(_) => ty == FLOAT_TYPE || ty == OBJECT_TYPE,
            _ => match table::spec_type_check(obj, ty) {
                Some(r) => r,
                None => {
                    // Python says what it knows of both, so that the next
                    // check of either is answered here
                    let mut learnt = [0isize; 3];
                    let r = answer(py!(type_check(obj._i, ty._i, learnt.as_mut_ptr())));
                    table::learn(obj, learnt[0] as usize, learnt[1] as *mut c_void);
                    table::learn_type(ty, learnt[2] as usize);
                    r
                }
            },
        }
    }

    fn is_true(_held: LockHeld<'_>, h: HPy) -> c_int {
        match known(h) {
            Known::Int(v) => (v != 0) as c_int,
            Known::Float(v) => (v != 0.0) as c_int,
            Known::Bool(v) => v as c_int,
            Known::None => 0,
            Known::Other => py!(is_true(h._i)),
        }
    }

    fn convert(_held: LockHeld<'_>, h: HPy, conversion: Conversion) -> HPy {
        super::h(py!(convert(h._i, conversion as c_int)))
    }

    fn rich_compare(_held: LockHeld<'_>, v: HPy, w: HPy, op: HPy_RichCmpOp) -> HPy {
        match compare_known(v, w, op) {
            Some(r) => bool_handle(r),
            None => super::h(py!(rich_compare(v._i, w._i, op.0))),
        }
    }

    fn rich_compare_bool(_held: LockHeld<'_>, v: HPy, w: HPy, op: HPy_RichCmpOp) -> c_int {
        // As PyObject_RichCompareBool: identity implies equality.
        if v == w && matches!(op, HPy_RichCmpOp::EQ | HPy_RichCmpOp::NE) {
            return (op == HPy_RichCmpOp::EQ) as c_int;
        }
        match compare_known(v, w, op) {
            Some(r) => r as c_int,
            None => py!(rich_compare_bool(v._i, w._i, op.0)),
        }
    }

    fn hash(_held: LockHeld<'_>, h: HPy) -> HPy_hash_t {
        match known(h) {
            Known::Int(v) => int_hash(v),
            Known::Bool(v) => v as HPy_hash_t,
            _ => py!(hash(h._i)),
        }
    }

    fn length(_held: LockHeld<'_>, h: HPy) -> HPy_ssize_t {
        match table::items_len(h) {
            Some(n) => n as HPy_ssize_t,
            None => length_from_python(h),
        }
    }

    unsafe fn key_from_utf8(_held: LockHeld<'_>, utf8: *const c_char) -> HPy {
        // SAFETY: the core passes the NUL-terminated string of an `_s`
        // context function (HPy's precondition).
        let bytes = unsafe { core::ffi::CStr::from_ptr(utf8) }.to_bytes();
        if let Some(h) = keys::known(bytes) {
            return h;
        }
        let h = super::h(py!(str_from_utf8(utf8)));
        if !h.is_null() {
            keys::keep(bytes, h);
        }
        h
    }

    fn get_attr(_held: LockHeld<'_>, obj: HPy, name: HPy) -> HPy {
        super::h(py!(get_attr(obj._i, name._i)))
    }

    fn set_attr(_held: LockHeld<'_>, obj: HPy, name: HPy, value: HPy) -> c_int {
        py!(set_attr(obj._i, name._i, value._i))
    }

    fn item_at(_held: LockHeld<'_>, obj: HPy, idx: HPy_ssize_t) -> Option<HPy> {
        // `HPy_GetItem_i` of a kept tuple's or list's item: no int handle
        // made for the generic path's key
        table::item(obj, idx as i64)
    }

    fn get_item(_held: LockHeld<'_>, obj: HPy, key: HPy) -> HPy {
        if let Some(item) = table::int_of(key).and_then(|i| table::item(obj, i)) {
            return item;
        }
        // Python says what it knows of the item (see `table::learn`)
        let mut learnt = [0isize; 2];
        let item = super::h(py!(get_item(obj._i, key._i, learnt.as_mut_ptr())));
        table::learn(item, learnt[0] as usize, learnt[1] as *mut c_void);
        item
    }

    fn set_item(_held: LockHeld<'_>, obj: HPy, key: HPy, value: HPy) -> c_int {
        py!(set_item(obj._i, key._i, value._i))
    }

    fn del_item(_held: LockHeld<'_>, obj: HPy, key: HPy) -> c_int {
        py!(del_item(obj._i, key._i))
    }

    fn contains(_held: LockHeld<'_>, container: HPy, key: HPy) -> c_int {
        py!(contains(container._i, key._i))
    }

    fn call_tuple_dict(_held: LockHeld<'_>, callable: HPy, args: HPy, kw: HPy) -> HPy {
        super::h(py!(call_tuple_dict(callable._i, args._i, kw._i)))
    }

    unsafe fn vectorcall(_held: LockHeld<'_>, callable: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        super::h(py!(vectorcall(callable._i, args.cast(), nargs as isize, kwnames._i)))
    }

    unsafe fn vectorcall_method(_held: LockHeld<'_>, name: HPy, args: *const HPy, nargs: usize, kwnames: HPy) -> HPy {
        super::h(py!(vectorcall_method(name._i, args.cast(), nargs as isize, kwnames._i)))
    }

    fn dump(_held: LockHeld<'_>, h: HPy) {
        py!(dump(h._i))
    }

    unsafe fn fatal_error(message: *const c_char) -> ! {
        let text = if message.is_null() {
            "<NULL>".into()
        } else {
            // SAFETY: the ABI requires a NUL-terminated message.
            unsafe { core::ffi::CStr::from_ptr(message) }.to_string_lossy()
        };
        eprintln!("Fatal Python error: {text}");
        std::process::abort()
    }

    fn field_store(_held: LockHeld<'_>, owner: HPy, field: &mut HPyField, h: HPy) {
        store_field(owner, field, h)
    }

    fn field_load(_held: LockHeld<'_>, owner: HPy, field: HPyField) -> HPy {
        load_field(owner, field)
    }

    fn global_store(held: LockHeld<'_>, global: &mut HPyGlobal, h: HPy) {
        let new = PyPy::dup(held, h);
        let old = core::mem::replace(global, HPyGlobal { _i: new._i });
        PyPy::close(held, HPy { _i: old._i });
    }

    fn global_load(held: LockHeld<'_>, global: HPyGlobal) -> HPy {
        PyPy::dup(held, HPy { _i: global._i })
    }

    fn leave(_held: LockHeld<'_>) -> HPyThreadState {
        // other threads' Python code runs meanwhile
        table::new_generation();
        crate::lock::leave();
        // never NULL, which would mean failure; nothing else to keep
        HPyThreadState { _i: 1 }
    }

    fn reenter(_state: HPyThreadState) {
        crate::lock::reenter()
    }

    fn import_module(_held: LockHeld<'_>, name: HPy) -> HPy {
        super::h(py!(import_module(name._i)))
    }

    unsafe fn compile(_held: LockHeld<'_>, source: *const c_char, filename: *const c_char, kind: HPy_SourceKind) -> HPy {
        super::h(py!(compile(source, filename, kind.0)))
    }

    fn eval_code(_held: LockHeld<'_>, code: HPy, globals: HPy, locals: HPy) -> HPy {
        super::h(py!(eval_code(code._i, globals._i, locals._i)))
    }

    unsafe fn context_var_new(_held: LockHeld<'_>, name: *const c_char, default: HPy) -> HPy {
        super::h(py!(context_var_new(name, default._i)))
    }

    fn context_var_get(_held: LockHeld<'_>, var: HPy, default: HPy, result: &mut HPy) -> c_int {
        let mut bits = 0isize;
        let r = py!(context_var_get(var._i, default._i, &raw mut bits));
        *result = super::h(bits);
        r
    }

    fn context_var_set(_held: LockHeld<'_>, var: HPy, value: HPy) -> HPy {
        super::h(py!(context_var_set(var._i, value._i)))
    }

    unsafe fn capsule_new(_held: LockHeld<'_>, pointer: *mut c_void, name: *const c_char, destructor: Option<&HPyCapsule_Destructor>) -> HPy {
        // SAFETY: `name` is NULL or NUL-terminated and lives as long as the
        // capsule (`ObjectHost`'s contract for the pointers of
        // `capsule_new`), which is `capsule::new`'s `# Safety`.
        unsafe { capsule::new(pointer, name, destructor) }
    }

    unsafe fn capsule_get(_held: LockHeld<'_>, capsule: HPy, field: CapsuleField, name: *const c_char) -> *mut c_void {
        // SAFETY: `name` is NULL or NUL-terminated for the call
        // (`ObjectHost`'s contract for C strings), `capsule::get`'s `# Safety`.
        unsafe { capsule::get(capsule, field, name) }
    }

    unsafe fn capsule_set(_held: LockHeld<'_>, capsule: HPy, field: CapsuleField, value: *mut c_void) -> c_int {
        // SAFETY: a name set through `capsule_set` outlives the capsule
        // (`ObjectHost`'s contract), `capsule::set`'s `# Safety`.
        unsafe { capsule::set(capsule, field, value) }
    }

    fn capsule_set_destructor(_held: LockHeld<'_>, capsule: HPy, destructor: Option<&HPyCapsule_Destructor>) -> c_int {
        capsule::set_destructor(capsule, destructor)
    }

    unsafe fn capsule_is_valid(_held: LockHeld<'_>, capsule: HPy, name: *const c_char) -> c_int {
        // SAFETY: `name` is NULL or NUL-terminated for the call
        // (`ObjectHost`'s contract for C strings), `capsule::is_valid`'s
        // `# Safety`.
        unsafe { capsule::is_valid(capsule, name) }
    }

    fn slice_unpack(_held: LockHeld<'_>, slice: HPy, start: &mut HPy_ssize_t, stop: &mut HPy_ssize_t, step: &mut HPy_ssize_t) -> c_int {
        let mut bounds = [0isize; 3];
        let r = py!(slice_unpack(slice._i, bounds.as_mut_ptr()));
        [*start, *stop, *step] = bounds;
        r
    }

    unsafe fn from_pyobject(_held: LockHeld<'_>, _obj: *mut cpy_PyObject) -> HPy {
        fail(ExcKind::SystemError, NO_C_API, HPy::NULL)
    }

    fn as_pyobject(_held: LockHeld<'_>, _h: HPy) -> *mut cpy_PyObject {
        fail(ExcKind::SystemError, NO_C_API, core::ptr::null_mut())
    }
}

/// `HPyField_Store`. A field must not keep its object alive from native
/// code (PyPy's GC would never see a cycle through fields): the owner
/// holds the object, in its `_lichen_refs` under a key the field
/// holds (`..111`, see `table`), so the object lives exactly as long as
/// the owner and the field still name it. Each store takes a new key (a
/// key names one object for good, which lets the table remember that
/// object's struct). NULL, small ints and constants, which need no holder
/// and take part in no cycle, the field holds as they are.
pub fn store_field(owner: HPy, field: &mut HPyField, h: HPy) {
    let old_key = table::field_key(field._i).unwrap_or(0);
    let key = if table::needs_owner(h) { table::new_field_key() } else { 0 };
    let new = if key != 0 {
        table::remember_field(key, h);
        HPyField { _i: table::field_bits(key) }
    } else {
        HPyField { _i: table::dup(h)._i }
    };
    // The field names its new object before Python is called (`store_now`
    // lets go of the extension lock): another thread storing into it
    // meanwhile replaces the new key, never the old one a second time.
    *field = new;
    if key == 0 && old_key == 0 {
        return;
    }
    // handles loaded from the field still stand for its old object:
    // Python gives it to them before the owner lets it go
    let loaded = if old_key != 0 { table::loaded_slots(old_key) } else { Vec::new() };
    if loaded.is_empty() && table::data_of(owner).0 == table::DataKind::Payload {
        // the usual case: Python applies it after the call (see `stores`)
        crate::stores::defer(owner, key, h, old_key);
    } else {
        // On failure the exception is pending (HPyField_Store reports
        // none) and the field keeps its new bits: another thread may have
        // replaced them already, so putting the old ones back could undo
        // that store.
        store_now(owner, key, h, old_key, &loaded);
    }
}

/// A store Python makes at once (handles loaded from the field need its old
/// object; an owner whose struct is not known may not be able to hold).
/// On failure the exception is pending.
fn store_now(owner: HPy, key: u64, h: HPy, old_key: u64, loaded: &[isize]) {
    let value = if key != 0 { h._i } else { 0 };
    let (at, n) = (loaded.as_ptr(), loaded.len() as isize);
    if key != 0 {
        // the field names `key` already: a load on another thread while
        // Python runs finds the object there
        crate::stores::fly(key, h);
    }
    let made = py!(field_store(owner._i, key as isize, value, old_key as isize, at, n)) >= 0;
    if key != 0 {
        crate::stores::land(key);
    }
    if made {
        table::settle_loaded(loaded);
    }
}

/// `HPyField_Load`: what the field holds as it is, or a handle that finds
/// the object through a hold on its owner (no call into PyPy).
pub fn load_field(owner: HPy, field: HPyField) -> HPy {
    match table::field_key(field._i) {
        Some(key) => table::new_loaded_field(owner, key),
        None => table::dup(HPy { _i: field._i }),
    }
}

const NO_C_API: &str = "HPy_FromPyObject and HPy_AsPyObject need CPython's C API, which \
    Lichen's PyPy host does not use (it runs without cpyext): this is a hybrid-ABI \
    operation; use the universal ABI only";

/// The strs made from C strings (`HPyUnicode_FromString` and the `_s`
/// context functions' attribute names and dict keys), by their bytes: the
/// names an extension uses are few, and each is made by a call into PyPy
/// once. A str's identity is no part of the API (CPython interns some
/// strs, not others). The table holds each str's handle for good; at most
/// [`MAX`] strs of at most [`LEN_MAX`] bytes.
mod keys {
    use crate::keyed::KeyHasher;
    use crate::lock::Locked;
    use crate::table;
    use lichen_abi::HPy;
    use std::collections::HashMap;
    use std::hash::BuildHasherDefault;

    type Keys = HashMap<Box<[u8]>, HPy, BuildHasherDefault<KeyHasher>>;

    static KEYS: Locked<Option<Keys>> = Locked::new(None);
    const MAX: usize = 4096;
    const LEN_MAX: usize = 64;

    /// A new handle for the str of `bytes`, if one was kept.
    pub(super) fn known(bytes: &[u8]) -> Option<HPy> {
        if bytes.len() > LEN_MAX {
            return None;
        }
        let h = KEYS.with(|keys| keys.as_ref()?.get(bytes).copied())?;
        Some(table::dup(h))
    }

    /// Keeps `h`, the str just made of `bytes`, for the next time.
    pub(super) fn keep(bytes: &[u8], h: HPy) {
        if bytes.len() > LEN_MAX {
            return;
        }
        let kept = KEYS.with(|keys| {
            let keys = keys.get_or_insert_with(Keys::default);
            // another thread may have kept one while PyPy made this
            if keys.len() >= MAX || keys.contains_key(bytes) {
                return false;
            }
            keys.insert(bytes.into(), h);
            true
        });
        if kept {
            table::dup(h); // the table's own hold
        }
    }
}
