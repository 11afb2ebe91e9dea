//! What a handle's bits mean on PyPy: the object table and the values held
//! in the handle itself.
//!
//! PyPy's objects live in PyPy's moving heap, out of reach of native code, so
//! a handle names a *slot*: an index into a Python list (`objs` in
//! `python/lichen/_pypy/runtime.py`) that holds the object, paired with a
//! native record here (a reference count, and what native storage the
//! object has). `HPy_Dup` and `HPy_Close` only count: a slot whose count
//! drops to 0 is *pending* until Python code of the same thread has cleared
//! its list entry ([`drain_begin`]/[`drain_end`]); only then can the slot be
//! reused. So the object a handle names stays in the list until this thread
//! next runs Python code, and no other thread can clear it first: a result
//! read right after its handle was given up is still there.
//!
//! Small ints (|v| < 2**60) are held in the handle itself and floats in the
//! slot's record, so that making, reading and comparing them never calls
//! into PyPy; Python turns them into objects only when it sees them.
//!
//! Bits: `..000` a slot (index = bits >> 3; 0 is `HPy_NULL`), `..001` a small
//! int (value = bits >> 3, arithmetic). Slots 1..=N are the context's
//! constants, in ABI order, never counted or freed.

use crate::lock;
use core::cell::{RefCell, UnsafeCell};
use core::ffi::{c_char, c_void};
use lichen_abi::HPy;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Mutex;

const TAG_MASK: isize = 7;
const TAG_INT: isize = 1;
const SHIFT: u32 = 3;
/// The range of ints held in a handle.
pub const IMM_MIN: i64 = -(1 << 60);
pub const IMM_MAX: i64 = (1 << 60) - 1;

crate::codes! {
    /// What native storage a slot's object has, as far as known: not asked
    /// yet, none, the struct of an instance of a type made from a spec, or
    /// a capsule's `CapsuleData`.
    pub enum DataKind { Unknown = 0, None = 1, Payload = 2, Capsule = 3 }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    /// In use: the count is above 0.
    Live,
    /// Count 0; Python's list entry not yet cleared.
    Pending,
}

struct Slot {
    refs: u32,
    state: State,
    /// A float made natively and not yet turned into an object by Python:
    /// `data` holds its bits and Python's list entry is empty.
    float: bool,
    /// A field reference: Python's list entry names the object through its
    /// owner (see `host::object`, fields), which alone holds it.
    field: bool,
    kind: DataKind,
    /// The native storage (`kind`), or the bits of a float.
    data: usize,
    /// Copies of the object's text handed to the extension (UTF-8 of a str,
    /// contents of a bytes), valid while the slot is in use.
    attached: Option<Box<[u8]>>,
}

impl Slot {
    const FREE: Slot =
        Slot { refs: 0, state: State::Free, float: false, field: false, kind: DataKind::Unknown, data: 0, attached: None };
}

struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    constants: u32,
}

/// The table, used only by the thread that holds the extension lock.
struct Shared(UnsafeCell<Table>);
// SAFETY: every access goes through `with`, which requires the extension
// lock (see `lock`), so one thread at a time uses the table.
unsafe impl Sync for Shared {}

static TABLE: Shared = Shared(UnsafeCell::new(Table { slots: Vec::new(), free: Vec::new(), constants: 0 }));

/// Slots given up by threads that ended before draining them.
static ORPHANS: Mutex<Vec<isize>> = Mutex::new(Vec::new());

/// How many slots are pending in all threads (a hint Python reads to decide
/// whether to drain; exactness is not needed).
pub static DRAIN_HINT: AtomicIsize = AtomicIsize::new(0);

struct ThreadSlots {
    pending: Vec<isize>,
    clearing: Vec<isize>,
}

impl Drop for ThreadSlots {
    fn drop(&mut self) {
        let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
        orphans.append(&mut self.pending);
        orphans.append(&mut self.clearing);
    }
}

thread_local! {
    static THREAD: RefCell<ThreadSlots> = const { RefCell::new(ThreadSlots { pending: Vec::new(), clearing: Vec::new() }) };
}

#[inline]
fn with<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    debug_assert!(lock::is_held(), "the object table used without the extension lock");
    // SAFETY: the extension lock is held (every caller runs inside an entry
    // from Python or an extension call made under one), and `f` never calls
    // into Python or back into `with`, so this is the only reference.
    f(unsafe { &mut *TABLE.0.get() })
}

/// Sets up the constant slots `1..=count`; called once, at start-up.
pub fn init(count: u32) {
    with(|t| {
        if t.constants == 0 {
            t.constants = count;
            t.slots.resize_with(count as usize + 1, || Slot { refs: 1, state: State::Live, ..Slot::FREE });
        }
    })
}

/// The handle of slot `index`.
#[inline(always)]
pub const fn slot_handle(index: u32) -> HPy {
    HPy { _i: (index as isize) << SHIFT }
}

/// The slot a handle names, if it names one.
#[inline(always)]
pub fn slot_of(h: HPy) -> Option<u32> {
    (h._i & TAG_MASK == 0 && h._i > 0).then_some((h._i >> SHIFT) as u32)
}

/// The int a handle holds, if it holds one.
#[inline(always)]
pub fn int_of(h: HPy) -> Option<i64> {
    (h._i & TAG_MASK == TAG_INT).then_some((h._i >> SHIFT) as i64)
}

/// A handle holding `v`, if it fits.
#[inline(always)]
pub fn from_int(v: i64) -> Option<HPy> {
    (IMM_MIN..=IMM_MAX).contains(&v).then_some(HPy { _i: ((v as isize) << SHIFT) | TAG_INT })
}

/// Whether `index` is one of the constants.
#[inline(always)]
fn is_constant(t: &Table, index: u32) -> bool {
    index <= t.constants
}

fn take_slot(t: &mut Table, float: bool, kind: DataKind, data: usize) -> u32 {
    let slot = Slot { refs: 1, state: State::Live, float, field: false, kind, data, attached: None };
    match t.free.pop() {
        Some(i) => {
            t.slots[i as usize] = slot;
            i
        }
        None => {
            t.slots.push(slot);
            (t.slots.len() - 1) as u32
        }
    }
}

/// A new slot for an object Python is about to store in its list.
pub fn new_object(data: *mut c_void, kind: DataKind) -> u32 {
    with(|t| take_slot(t, false, kind, data as usize))
}

/// A new slot for a field reference Python is about to store.
pub fn new_field_ref() -> u32 {
    with(|t| {
        let i = take_slot(t, false, DataKind::Unknown, 0);
        t.slots[i as usize].field = true;
        i
    })
}

/// Whether `h` is a field reference (see [`new_field_ref`]).
#[inline]
pub fn is_field_ref(h: HPy) -> bool {
    slot_of(h).is_some_and(|i| with(|t| t.slots.get(i as usize).is_some_and(|s| s.field && s.state == State::Live)))
}

/// Whether more than one handle holds the slot of `h`.
#[inline]
pub fn is_shared(h: HPy) -> bool {
    slot_of(h).is_some_and(|i| with(|t| !is_constant(t, i) && t.slots.get(i as usize).is_some_and(|s| s.refs > 1)))
}

/// Whether `h` is a slot holding an object Python made (not a constant,
/// not a float native code holds): one that may refer to other objects.
#[inline]
pub fn is_object(h: HPy) -> bool {
    slot_of(h).is_some_and(|i| {
        with(|t| !is_constant(t, i) && t.slots.get(i as usize).is_some_and(|s| s.state == State::Live && !s.float))
    })
}

/// A handle for a float, made without PyPy.
pub fn new_float(v: f64) -> HPy {
    slot_handle(with(|t| take_slot(t, true, DataKind::None, v.to_bits() as usize)))
}

/// The value of a handle made by [`new_float`] that Python has not turned
/// into an object yet.
#[inline]
pub fn float_of(h: HPy) -> Option<f64> {
    let i = slot_of(h)?;
    with(|t| match t.slots.get(i as usize) {
        Some(s) if s.float && s.state == State::Live => Some(f64::from_bits(s.data as u64)),
        _ => None,
    })
}

/// Python is storing the object of a float slot in its list: from now on
/// the slot is an ordinary one. The float's value (NaN for a slot that
/// holds no such float). A result handle is given up before Python reads
/// it, so this also serves pending slots.
pub fn take_float(h: HPy) -> f64 {
    let Some(i) = slot_of(h) else { return f64::NAN };
    with(|t| match t.slots.get_mut(i as usize) {
        Some(s) if s.float => {
            s.float = false;
            s.kind = DataKind::None;
            f64::from_bits(s.data as u64)
        }
        _ => f64::NAN,
    })
}

#[inline]
pub fn dup(h: HPy) -> HPy {
    if let Some(i) = slot_of(h) {
        with(|t| {
            if !is_constant(t, i) {
                if let Some(s) = t.slots.get_mut(i as usize) {
                    s.refs += 1;
                }
            }
        })
    }
    h
}

#[inline]
pub fn close(h: HPy) {
    if let Some(i) = slot_of(h) {
        with(|t| {
            if is_constant(t, i) {
                return;
            }
            let Some(s) = t.slots.get_mut(i as usize) else { return };
            if s.refs == 0 {
                return; // closed twice: HPy leaves it undefined; ignore
            }
            s.refs -= 1;
            if s.refs == 0 {
                release(t, i);
            }
        })
    }
}

fn release(t: &mut Table, i: u32) {
    let s = &mut t.slots[i as usize];
    s.attached = None;
    // Pending even for a float Python never saw: a result is given up
    // before Python reads it, and must stay readable until it drains.
    s.state = State::Pending;
    THREAD.with(|th| th.borrow_mut().pending.push(i as isize));
    DRAIN_HINT.fetch_add(1, Ordering::Relaxed);
}

/// The native storage of a slot's object, as far as known.
#[inline]
pub fn data_of(h: HPy) -> (DataKind, *mut c_void) {
    match slot_of(h) {
        Some(i) => with(|t| match t.slots.get(i as usize) {
            Some(s) if s.state == State::Live && !s.float => (s.kind, s.data as *mut c_void),
            _ => (DataKind::None, core::ptr::null_mut()),
        }),
        None => (DataKind::None, core::ptr::null_mut()),
    }
}

/// Remembers what [`data_of`] should answer for a slot.
pub fn set_data(h: HPy, kind: DataKind, data: *mut c_void) {
    if let Some(i) = slot_of(h) {
        with(|t| {
            if is_constant(t, i) {
                return;
            }
            if let Some(s) = t.slots.get_mut(i as usize) {
                if s.state == State::Live && !s.float {
                    s.kind = kind;
                    s.data = data as usize;
                }
            }
        })
    }
}

/// Keeps a NUL-terminated copy of `bytes` with the slot of `h` until the
/// slot is given up, and returns it.
pub fn attach(h: HPy, bytes: &[u8]) -> *const c_char {
    let mut copy = Vec::with_capacity(bytes.len() + 1);
    copy.extend_from_slice(bytes);
    copy.push(0);
    let copy = copy.into_boxed_slice();
    let ptr = copy.as_ptr().cast();
    match slot_of(h) {
        Some(i) => with(|t| {
            let constant = is_constant(t, i);
            match t.slots.get_mut(i as usize) {
                Some(s) if !constant && s.refs > 0 => s.attached = Some(copy),
                _ => keep_forever(copy),
            }
        }),
        None => keep_forever(copy),
    }
    ptr
}

/// Copies for objects that live forever (the constants) or have no slot.
fn keep_forever(copy: Box<[u8]>) {
    Box::leak(copy);
}

/// Hands this thread's pending slots to Python for clearing: their indices
/// (valid until [`drain_end`]) and how many there are. 0 while a drain of
/// this thread is under way (a finalizer's Python code draining inside it).
pub fn drain_begin() -> (*const isize, usize) {
    THREAD.with(|th| {
        let mut th = th.borrow_mut();
        if !th.clearing.is_empty() {
            return (core::ptr::null(), 0);
        }
        let ThreadSlots { pending, clearing } = &mut *th;
        core::mem::swap(pending, clearing);
        if let Ok(mut orphans) = ORPHANS.try_lock() {
            clearing.append(&mut orphans);
        }
        DRAIN_HINT.fetch_sub(clearing.len() as isize, Ordering::Relaxed);
        (clearing.as_ptr(), clearing.len())
    })
}

/// Python has cleared the entries of the slots [`drain_begin`] gave it: they
/// are free.
pub fn drain_end() {
    let cleared = THREAD.with(|th| core::mem::take(&mut th.borrow_mut().clearing));
    with(|t| {
        for &i in &cleared {
            t.slots[i as usize] = Slot::FREE;
            t.free.push(i as u32);
        }
    });
}

/// How many slots are in use, constants included (for tests and the soak).
pub fn in_use() -> usize {
    with(|t| t.slots.len() - t.free.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_in_handles() {
        assert_eq!(int_of(from_int(5).unwrap()), Some(5));
        assert_eq!(int_of(from_int(-7).unwrap()), Some(-7));
        assert_eq!(int_of(from_int(IMM_MIN).unwrap()), Some(IMM_MIN));
        assert_eq!(int_of(from_int(IMM_MAX).unwrap()), Some(IMM_MAX));
        assert!(from_int(IMM_MAX + 1).is_none());
        assert!(from_int(IMM_MIN - 1).is_none());
        assert_eq!(slot_of(from_int(3).unwrap()), None);
        assert_eq!(slot_of(HPy::NULL), None);
        assert_eq!(slot_of(slot_handle(9)), Some(9));
    }

    #[test]
    fn slots_are_counted_and_drained() {
        let _held = lock::enter();
        init(4);
        let a = slot_handle(new_object(core::ptr::null_mut(), DataKind::None));
        dup(a);
        close(a);
        let (_, n) = drain_begin();
        assert_eq!(n, 0, "still one reference");
        drain_end();
        close(a);
        let (p, n) = drain_begin();
        assert_eq!(n, 1);
        // SAFETY: drain_begin returned n valid entries.
        assert_eq!(unsafe { *p }, a._i >> 3);
        let reused_before_end = slot_handle(new_object(core::ptr::null_mut(), DataKind::None));
        assert_ne!(reused_before_end, a, "a pending slot is not reused");
        drain_end();
        let reused = slot_handle(new_object(core::ptr::null_mut(), DataKind::None));
        assert_eq!(reused, a, "a drained slot is");
        let f = new_float(2.5);
        assert_eq!(float_of(f), Some(2.5));
        close(f);
        assert_eq!(float_of(f), None);
        assert_eq!(take_float(f), 2.5, "a given-up result stays readable");
        close(reused);
        close(reused_before_end);
        let (_, n) = drain_begin();
        assert_eq!(n, 3);
        drain_end();
    }
}
