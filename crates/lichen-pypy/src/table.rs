//! What a handle's bits mean on PyPy: the object table and the values held
//! in the handle itself.
//!
//! PyPy's objects live in PyPy's moving heap, out of reach of native code, so
//! a handle names a *slot*: an index into a Python list (`objs` in
//! `python/lichen/_pypy/handles.py`) that holds the object, paired with a
//! native record here (a reference count, and what native storage the
//! object has). `HPy_Dup` and `HPy_Close` only count.
//!
//! Keeping a call cheap drives the rest:
//! - Python makes handles without calling in: it takes slots from a
//!   *reserve* it refills in batches ([`reserve`]), stores the object, and
//!   passes the slot *fresh* (tag `..010`); the first native code to receive
//!   it makes it live ([`receive`]).
//! - A slot whose count drops to 0 is free at once, without telling Python:
//!   its list entry still holds the old object (*stale*) until the slot is
//!   used again, which for a recently freed one (the free list is LIFO) is
//!   soon. Python sweeps stale entries when they pile up and before a
//!   collection ([`sweep_begin`]/[`sweep_end`]), so they delay an object's
//!   death but never keep it alive indefinitely.
//! - A result an entry hands to Python is read by Python after the entry
//!   returned, when another thread may already have run: it stays live until
//!   the same thread's next entry ([`hold_result`]).
//!
//! Small ints (|v| < 2**60) are held in the handle itself and floats in the
//! slot's record, so that making, reading and comparing them never calls
//! into PyPy; Python turns them into objects only when it sees them. Their
//! slots are taken from the clean free slots (no stale entry), so that
//! Python finds their entry empty.
//!
//! Bits: `..000` a slot (index = bits >> 3; 0 is `HPy_NULL`), `..001` a small
//! int (value = bits >> 3, arithmetic), `..010` a fresh slot from Python,
//! `..100` a slot Python lends for one call (see `entry`). Slots 1..=N are
//! the context's constants, in ABI order, never counted or freed.

use crate::lock;
use core::cell::{Cell, RefCell, UnsafeCell};
use core::ffi::{c_char, c_void};
use lichen_abi::HPy;
use std::sync::atomic::{AtomicIsize, Ordering};

const TAG_MASK: isize = 7;
const TAG_INT: isize = 1;
/// A slot Python filled for the native code it passes it to.
pub const TAG_FRESH: isize = 2;
/// A slot Python lends for one call and keeps (not closed by the entry).
pub const TAG_LENT: isize = 4;
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
    /// In Python's reserve: Python may fill it and pass it fresh.
    Reserved,
    /// In use: the count is above 0.
    Live,
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
    const fn new(state: State) -> Slot {
        Slot { refs: 0, state, float: false, field: false, kind: DataKind::Unknown, data: 0, attached: None }
    }
}

struct Table {
    slots: Vec<Slot>,
    /// Free slots whose list entry still holds an old object.
    stale: Vec<u32>,
    /// Free slots whose list entry is empty.
    clean: Vec<u32>,
    constants: u32,
}

/// The table, used only by the thread that holds the extension lock.
struct Shared(UnsafeCell<Table>);
// SAFETY: every access goes through `with`, which requires the extension
// lock (see `lock`), so one thread at a time uses the table.
unsafe impl Sync for Shared {}

static TABLE: Shared =
    Shared(UnsafeCell::new(Table { slots: Vec::new(), stale: Vec::new(), clean: Vec::new(), constants: 0 }));

/// How many free slots hold a stale entry (Python reads it to know when to
/// sweep; a hint, exactness is not needed).
pub static STALE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// The result this thread's last entry handed to Python (0 for none).
    static HELD_RESULT: Cell<isize> = const { Cell::new(0) };
    /// The stale slots this thread is sweeping.
    static SWEEPING: RefCell<Vec<isize>> = const { RefCell::new(Vec::new()) };
}

#[inline]
fn with<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    debug_assert!(lock::is_locked(), "the object table used without the extension lock");
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
            t.slots.resize_with(count as usize + 1, || Slot { refs: 1, ..Slot::new(State::Live) });
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

fn pop_free(t: &mut Table, clean_only: bool) -> u32 {
    let popped = if clean_only { t.clean.pop() } else { t.stale.pop().inspect(|_| stale_dec()).or_else(|| t.clean.pop()) };
    popped.unwrap_or_else(|| {
        t.slots.push(Slot::new(State::Free));
        (t.slots.len() - 1) as u32
    })
}

fn stale_dec() {
    STALE.fetch_sub(1, Ordering::Relaxed);
}

fn make_live(t: &mut Table, i: u32, kind: DataKind, data: usize) {
    t.slots[i as usize] = Slot { refs: 1, kind, data, ..Slot::new(State::Live) };
}

/// A new live slot for an object Python is about to store in its list.
pub fn new_object(data: *mut c_void, kind: DataKind) -> u32 {
    with(|t| {
        let i = pop_free(t, false);
        make_live(t, i, kind, data as usize);
        i
    })
}

/// Moves up to `out.len()` free slots into Python's reserve; how many.
pub fn reserve(out: &mut [isize]) -> usize {
    with(|t| {
        for o in out.iter_mut() {
            let i = pop_free(t, false);
            t.slots[i as usize] = Slot::new(State::Reserved);
            *o = i as isize;
        }
        out.len()
    })
}

/// The handle native code holds for bits Python passed: a fresh slot from
/// Python's reserve becomes live (its struct `data`, when Python knows it);
/// anything else is taken as it is, the lent mark removed.
#[inline]
pub fn receive(bits: isize, data: *mut c_void) -> HPy {
    if bits & TAG_FRESH == 0 {
        return HPy { _i: bits & !TAG_LENT };
    }
    let h = HPy { _i: bits & !TAG_MASK };
    if let Some(i) = slot_of(h) {
        with(|t| {
            if t.slots.get(i as usize).is_some_and(|s| s.state == State::Reserved) {
                let kind = if data.is_null() { DataKind::Unknown } else { DataKind::Payload };
                make_live(t, i, kind, data as usize);
            }
        })
    }
    h
}

/// A new slot for a field reference Python is about to store.
pub fn new_field_ref() -> u32 {
    with(|t| {
        let i = pop_free(t, false);
        make_live(t, i, DataKind::Unknown, 0);
        t.slots[i as usize].field = true;
        i
    })
}

/// A handle for a float, made without PyPy (a clean slot: Python finds its
/// entry empty and asks for the value).
pub fn new_float(v: f64) -> HPy {
    slot_handle(with(|t| {
        let i = pop_free(t, true);
        make_live(t, i, DataKind::None, v.to_bits() as usize);
        t.slots[i as usize].float = true;
        i
    }))
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
/// holds no such float).
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
            if s.refs == 0 || s.state != State::Live {
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
    let never_seen = s.float;
    *s = Slot::new(State::Free);
    if never_seen {
        t.clean.push(i); // Python never stored anything for it
    } else {
        t.stale.push(i);
        STALE.fetch_add(1, Ordering::Relaxed);
    }
}

/// Keeps the result an entry hands to Python live until this thread's next
/// entry (Python reads it after the entry returned, possibly after other
/// threads ran), and gives up the one kept before.
#[inline]
pub fn hold_result(result: HPy) {
    let previous = HELD_RESULT.replace(result._i);
    close(HPy { _i: previous });
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

/// Hands the stale free slots to Python for clearing, and gives up this
/// thread's held result first (a sweep ends what Python does with it):
/// their indices (valid until [`sweep_end`]) and how many. 0 while a sweep
/// of this thread is under way (a finalizer's Python code sweeping in it).
pub fn sweep_begin() -> (*const isize, usize) {
    if SWEEPING.with(|s| !s.borrow().is_empty()) {
        return (core::ptr::null(), 0);
    }
    hold_result(HPy::NULL);
    let stale = with(|t| {
        STALE.fetch_sub(t.stale.len() as isize, Ordering::Relaxed);
        core::mem::take(&mut t.stale)
    });
    SWEEPING.with(|s| {
        let mut s = s.borrow_mut();
        s.extend(stale.iter().map(|&i| i as isize));
        (s.as_ptr(), s.len())
    })
}

/// Python has cleared the entries [`sweep_begin`] gave it: they are clean.
pub fn sweep_end() {
    let swept = SWEEPING.with(|s| core::mem::take(&mut *s.borrow_mut()));
    with(|t| t.clean.extend(swept.iter().map(|&i| i as u32)));
}

/// How many slots are live, constants included (for tests and the soak).
pub fn in_use() -> usize {
    with(|t| t.slots.iter().filter(|s| s.state == State::Live).count())
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
    fn slots_are_counted_reused_and_swept() {
        let _held = lock::enter();
        init(4);
        let live = in_use();
        let a = slot_handle(new_object(core::ptr::null_mut(), DataKind::None));
        dup(a);
        close(a);
        assert_eq!(in_use(), live + 1, "still one reference");
        close(a);
        assert_eq!(in_use(), live);
        let b = slot_handle(new_object(core::ptr::null_mut(), DataKind::None));
        assert_eq!(b, a, "a freed slot is reused first");
        let f = new_float(2.5);
        assert_ne!(f, a);
        assert_eq!(float_of(f), Some(2.5));
        close(b);
        close(f);
        assert_eq!(in_use(), live);
        let (p, n) = sweep_begin();
        assert_eq!(n, 1, "only the object's slot holds a stale entry");
        // SAFETY: sweep_begin returned n valid entries.
        assert_eq!(unsafe { *p }, a._i >> 3);
        sweep_end();
        let (_, n) = sweep_begin();
        assert_eq!(n, 0);
        sweep_end();
    }

    #[test]
    fn fresh_slots_come_alive_when_received() {
        let _held = lock::enter();
        init(4);
        let mut out = [0isize; 2];
        assert_eq!(reserve(&mut out), 2);
        let live = in_use();
        let h = receive((out[0] << 3) | TAG_FRESH, 0x1000 as *mut c_void);
        assert_eq!(in_use(), live + 1);
        assert_eq!(data_of(h), (DataKind::Payload, 0x1000 as *mut c_void));
        close(h);
        assert_eq!(receive((out[1] << 3) | TAG_LENT, core::ptr::null_mut()), slot_handle(out[1] as u32));
        assert_eq!(in_use(), live);
    }
}
