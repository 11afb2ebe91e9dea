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
//!   returned, when another thread may already have run: a result slot only
//!   the result holds goes into Python's reserve with its object
//!   ([`give_to_python`]), where no other thread can take it.
//!
//! Small ints (|v| < 2**60) are held in the handle itself and floats in the
//! slot's record, so that making, reading and comparing them never calls
//! into PyPy; Python turns them into objects only when it sees them. So is
//! the object an `HPyField_Load` returns: the slot records the owner and
//! the field's key ([`new_loaded_field`]). Their slots are taken from the
//! clean free slots (no stale entry), so that Python finds their entry
//! empty. Closed, a loaded field's slot (or a loaded tuple's item's) stays
//! in a small cache for the next load of the same key ([`KEPT`]).
//!
//! Bits: `..000` a slot (index = bits >> 3; 0 is `HPy_NULL`), `..001` a small
//! int (value = bits >> 3, arithmetic), `..010` a fresh slot from Python,
//! `..100` a slot Python lends for one call (see `entry`). Slots 1..=N are
//! the context's constants, in ABI order, never counted or freed. An
//! `HPyField` holds NULL, a small int, a constant, or `..111`: the key
//! under which its owner holds the object (see `host::object`, fields).

use crate::lock;
use core::cell::{RefCell, UnsafeCell};
use core::ffi::{c_char, c_void};
use lichen_abi::HPy;
use crate::keyed::{Keyed, Loaded};
use std::sync::atomic::{AtomicIsize, AtomicU64, AtomicU8, Ordering};

const TAG_MASK: isize = 7;
const TAG_INT: isize = 1;
/// A slot Python filled for the native code it passes it to.
pub const TAG_FRESH: isize = 2;
/// A slot Python lends for one call and keeps (not closed by the entry).
pub const TAG_LENT: isize = 4;
/// A receiver's slot Python filled from its reserve for one call: the
/// entry makes it live, and after the call gives it back (see
/// [`give_back`]) instead of freeing it, unless the extension kept it.
pub const TAG_RECEIVER: isize = TAG_FRESH | TAG_LENT;
/// A result whose hold goes to Python, which closes it once it has read
/// the object (see [`give_to_python`]); only ever a result's tag.
pub const TAG_HELD: isize = TAG_LENT;
/// An `HPyField` naming its object by key (never a handle's tag).
pub const TAG_FIELD: isize = 7;
/// A float that crosses as a value, never a handle's tag: an item of
/// `check`'s or `length`'s hand-over whose bits are exactly this, its value
/// beside it (see `host::object`); a result that is a float only the result
/// held (see [`give_to_python`]), its slot Python's again and its value
/// waiting in [`float_values`].
pub const TAG_FLOAT: isize = 3;
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
    /// Python's list entry is empty: native code took the slot from the
    /// clean list and Python has not looked its object up since (a loaded
    /// field, an item of a loaded tuple, a float). Freed, it is clean
    /// again: no sweep needed.
    entry_empty: bool,
    /// A receiver the extension kept past its call, whose lender has not
    /// yet read its byte in [`BACK`]: freed meanwhile, the slot waits
    /// (in no free list) until the lender has (see [`lender_done`]).
    lender_waits: bool,
    /// A loaded field: the owner's handle this slot holds (0: none), whose
    /// object holds the slot's object under `key`; Python fills the entry
    /// from there when it first needs the object.
    owner: isize,
    key: u64,
    /// The `TypeInfo` of the object's class, when that class is exactly one
    /// made from a spec; [`NO_SPEC_CLASS`] when no class in its MRO is; 0:
    /// not known, or neither.
    class: usize,
    /// The `TypeInfo` of the object, when it is itself a class made from a
    /// spec (0: not known, or not such a class).
    type_info: usize,
    kind: DataKind,
    /// The native storage (`kind`), or the bits of a float.
    data: usize,
    /// Copies of the object's text handed to the extension (UTF-8 of a str,
    /// contents of a bytes), valid while the slot is in use.
    attached: Option<Box<[u8]>>,
    /// `attached` is a str's UTF-8 (else a bytes' contents).
    attached_str: bool,
    /// Handles of the items of a tuple or a list, held while the slot is
    /// in use, so that reading them needs no call into PyPy.
    items: Option<Box<[HPy]>>,
    /// The answers of `check` for the object (bit `Check as u8`), when its
    /// type is an exact built-in one: bit 7 says they are known.
    kinds: u8,
    /// For a list's items: the [`GENERATION`] they were read in (they are
    /// stale once Python code, which may change the list, may have run).
    /// 0: a tuple's, never stale.
    items_gen: u64,
    /// The cache key under which the loaded-slot cache holds the slot (a
    /// hold of its own, see [`keep`]); 0: not held there.
    kept_key: u64,
}

impl Slot {
    const fn new(state: State) -> Slot {
        Slot {
            refs: 0,
            state,
            float: false,
            entry_empty: false,
            lender_waits: false,
            owner: 0,
            key: 0,
            class: 0,
            type_info: 0,
            kind: DataKind::Unknown,
            data: 0,
            attached: None,
            attached_str: false,
            items: None,
            kinds: 0,
            items_gen: 0,
            kept_key: 0,
        }
    }
}

struct Table {
    slots: Vec<Slot>,
    /// Free slots whose list entry still holds an old object.
    stale: Vec<u32>,
    /// Free slots whose list entry is empty.
    clean: Vec<u32>,
    constants: u32,
    /// The next field key (keys are never reused, so a key names one
    /// stored object for as long as any field holds it).
    next_key: u64,
    /// The slots of loaded fields, by key, not yet settled: when a store
    /// replaces a key, Python gives them the object first (see
    /// [`loaded_slots`]).
    loaded: Loaded,
    /// What is known of the object stored under a field key, so that
    /// loading a field does not ask Python again.
    field_data: Keyed<Known>,
    /// What is known of the items of a tuple stored under a field key
    /// (a key names one object for good, and a tuple's items never
    /// change), so that `HPy_Length` and `HPy_GetItem` of a loaded tuple
    /// need no call into PyPy. Plain knowledge, no holds: the items live
    /// as long as the tuple, which its owner holds for as long as the key
    /// is loaded from it (see [`item_of_loaded`]).
    field_items: Keyed<Box<[Known]>>,
    /// Loaded slots kept for the next load of the same field or item (see
    /// [`kept_get`]), each held once by this cache; `(cache key, slot)`,
    /// cache key 0: empty.
    kept: Vec<(u64, u32)>,
    /// The cache keys last loaded at each cache position, with the
    /// [`GENERATION`] of their first load (shifted left; bit 0: loaded
    /// again in it), holding nothing: see [`seen_before`].
    seen: Vec<(u64, u64)>,
    /// Keys kept because the running call loaded them a third time: let go
    /// of when it ends ([`call_ended`]).
    kept_for_call: Vec<u64>,
    /// The receiver the entry running now kept past its call (see
    /// [`give_back`]); [`NO_SLOT`]: none.
    kept_receiver: u32,
}

const NO_SLOT: u32 = u32::MAX;

/// The struct and the class (see `Slot::class`) of an object, as far as
/// known (0: not).
#[derive(Clone, Copy, Default)]
pub struct Known {
    pub data: usize,
    pub class: usize,
}

/// The table, used only by the thread that holds the extension lock.
struct Shared(UnsafeCell<Table>);
// SAFETY: every access goes through `with`, which requires the extension
// lock (see `lock`), so one thread at a time uses the table.
unsafe impl Sync for Shared {}

static TABLE: Shared = Shared(UnsafeCell::new(Table {
    slots: Vec::new(),
    stale: Vec::new(),
    clean: Vec::new(),
    constants: 0,
    next_key: 1,
    loaded: Loaded::new(),
    field_data: Keyed::new(),
    field_items: Keyed::new(),
    kept: Vec::new(),
    seen: Vec::new(),
    kept_for_call: Vec::new(),
    kept_receiver: NO_SLOT,
}));

/// How many free slots hold a stale entry (Python reads it to know when to
/// sweep; a hint, exactness is not needed).
pub static STALE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
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

/// `STALE` changes only under the extension lock: a plain read and write,
/// not an atomic read-modify-write (which costs as much as the rest of a
/// release).
fn stale_add(n: isize) {
    STALE.store(STALE.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

fn stale_dec() {
    stale_add(-1);
}

/// Makes a free or reserved slot live. Such a slot holds no attached text
/// and no items (`release` and `give_to_python` took them), so its plain
/// fields are set one by one: no drop of the old record, which a call into
/// an extension would pay for its receiver and every argument.
#[inline]
fn make_live(t: &mut Table, i: u32, kind: DataKind, data: usize) {
    make_live_of(t, i, kind, data, 0);
}

/// [`make_live`] with the object's class known (see `Slot::class`).
#[inline]
fn make_live_of(t: &mut Table, i: u32, kind: DataKind, data: usize, class: usize) {
    let s = &mut t.slots[i as usize];
    debug_assert!(s.state != State::Live && s.attached.is_none() && s.items.is_none());
    s.refs = 1;
    s.state = State::Live;
    s.float = false;
    s.entry_empty = false;
    s.owner = 0;
    s.key = 0;
    s.class = class;
    s.type_info = 0;
    s.kind = kind;
    s.data = data;
    s.kinds = 0;
    s.items_gen = 0;
    debug_assert!(s.kept_key == 0, "a slot the cache holds was free");
}

/// A new live slot for an object Python is about to store in its list
/// (`class`: see `Slot::class`, checked).
pub fn new_object(data: *mut c_void, kind: DataKind, class: usize) -> u32 {
    let class = checked_type(class);
    with(|t| {
        let i = pop_free(t, false);
        make_live_of(t, i, kind, data as usize, class);
        i
    })
}

/// The class of an object whose MRO has no class made from a spec (a
/// `TypeInfo` address is never 1).
pub const NO_SPEC_CLASS: usize = 1;

/// `info` if it is a type made from a spec (or [`NO_SPEC_CLASS`]), else 0
/// (Python passes what a class says of itself, which Python code could
/// have changed).
fn checked_type(info: usize) -> usize {
    if info == NO_SPEC_CLASS || (info != 0 && crate::typedef::is_type_info(info)) {
        info
    } else {
        0
    }
}

/// `HPy_TypeCheck(obj, ty)` from what the table knows: both classes made
/// from specs, the object's exactly of its class. None: not known.
#[inline]
pub fn spec_type_check(obj: HPy, ty: HPy) -> Option<bool> {
    let (o, c) = (slot_of(obj)?, slot_of(ty)?);
    with(|t| {
        let live = |i: u32| t.slots.get(i as usize).filter(|s| s.state == State::Live);
        let class = live(o)?.class;
        let info = live(c)?.type_info;
        match (class, info) {
            (0, _) | (_, 0) => None,
            (NO_SPEC_CLASS, _) => Some(false),
            _ => crate::typedef::is_ancestor(class, info),
        }
    })
}

/// Records what Python said of the object of `h`: its class (see
/// `Slot::class`; 0: nothing known) and its struct (NULL: none known).
pub fn learn(h: HPy, class: usize, data: *mut c_void) {
    let class = checked_type(class);
    if class == 0 && data.is_null() {
        return;
    }
    with(|t| {
        if let Some(s) = live_mut(t, h) {
            if class != 0 {
                s.class = class;
            }
            if !data.is_null() && s.kind == DataKind::Unknown {
                s.kind = DataKind::Payload;
                s.data = data as usize;
            }
        }
    })
}

/// Records that the object of `ty` is the class made from a spec whose
/// `TypeInfo` is `info` (0: nothing known).
pub fn learn_type(ty: HPy, info: usize) {
    // a class without spec ancestors may still be one of a spec class's:
    // here it says nothing
    let info = match checked_type(info) {
        NO_SPEC_CLASS => 0,
        i => i,
    };
    if info != 0 {
        with(|t| {
            if let Some(s) = live_mut(t, ty) {
                s.type_info = info;
            }
        })
    }
}

/// The `TypeInfo` of the class made from a spec that `ty` names, when
/// known (0: not known, or no such class).
pub fn type_info_of(ty: HPy) -> usize {
    let Some(i) = slot_of(ty) else { return 0 };
    with(|t| t.slots.get(i as usize).filter(|s| s.state == State::Live).map_or(0, |s| s.type_info))
}

/// The record of the live, counted slot of `h`.
fn live_mut(t: &mut Table, h: HPy) -> Option<&mut Slot> {
    let i = slot_of(h)?;
    if is_constant(t, i) {
        return None;
    }
    t.slots.get_mut(i as usize).filter(|s| s.state == State::Live && !s.float)
}

/// How many slots the table has.
pub fn size() -> usize {
    with(|t| t.slots.len())
}

/// Moves up to `out.len()` free slots into Python's reserve; how many.
pub fn reserve(out: &mut [isize]) -> usize {
    with(|t| {
        for o in out.iter_mut() {
            let i = pop_free(t, false);
            // a free slot holds no owner, key, float, text or items (see
            // `release`); `receive` makes it live, setting the rest
            t.slots[i as usize].state = State::Reserved;
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
    receive_known(bits, data, 0)
}

/// [`receive`] of a receiver whose class Python told (`class`: see
/// `Slot::class`, checked): type checks on it then need no call into PyPy.
#[inline]
pub fn receive_known(bits: isize, data: *mut c_void, class: usize) -> HPy {
    if bits & TAG_FRESH == 0 {
        return HPy { _i: bits & !TAG_LENT };
    }
    let h = HPy { _i: bits & !TAG_MASK };
    let class = if class == 0 { 0 } else { checked_type(class) };
    if let Some(i) = slot_of(h) {
        // a receiver's (TAG_RECEIVER) has no byte of its own: see KINDS
        let told = if bits & TAG_MASK == TAG_FRESH { told_kinds(i) } else { 0 };
        with(|t| {
            let owned = match t.slots.get(i as usize) {
                Some(s) if s.state == State::Reserved => s.owner != 0,
                _ => return,
            };
            if owned {
                let_go_of_owner(t, i);
            }
            let kind = if data.is_null() { DataKind::Unknown } else { DataKind::Payload };
            make_live_of(t, i, kind, data as usize, class);
            if told & KINDS_KNOWN != 0 {
                let s = &mut t.slots[i as usize];
                s.kinds = told;
                s.class = NO_SPEC_CLASS; // an exact built-in type
            }
        })
    }
    h
}

/// What Python told of the object it put in slot `i` to pass it fresh
/// (see [`KINDS`]).
#[inline]
fn told_kinds(i: u32) -> u8 {
    kinds_told().get(i as usize).map_or(0, |k| k.load(Ordering::Relaxed))
}

/// A new key for an object a field is to hold.
pub fn new_field_key() -> u64 {
    with(|t| {
        let k = t.next_key;
        t.next_key += 1;
        k
    })
}

/// The key an `HPyField`'s bits name, if they name one.
#[inline(always)]
pub fn field_key(bits: isize) -> Option<u64> {
    (bits & TAG_MASK == TAG_FIELD).then_some((bits >> SHIFT) as u64)
}

/// The `HPyField` bits naming `key`.
#[inline(always)]
pub fn field_bits(key: u64) -> isize {
    ((key as isize) << SHIFT) | TAG_FIELD
}

/// Remembers what is known of the object of `h`, now stored under `key`.
pub fn remember_field(key: u64, h: HPy) {
    let Some(i) = slot_of(h) else { return };
    with(|t| {
        let Some(s) = t.slots.get(i as usize).filter(|s| s.state == State::Live) else { return };
        let known = known_of(s);
        // a tuple's items (a list's may change): what a load of the
        // field hands out by item
        let items = s.items.as_deref().filter(|_| s.items_gen == 0).map(|items| known_items(&t.slots, items));
        if known.data != 0 || known.class != 0 {
            t.field_data.insert(key, known);
        }
        if let Some(items) = items {
            t.field_items.insert(key, items);
        }
    })
}

/// What a slot knows of its object's struct and class.
fn known_of(s: &Slot) -> Known {
    Known { data: if s.kind == DataKind::Payload { s.data } else { 0 }, class: s.class }
}

/// A handle for the object its owner holds under `key` (`HPyField_Load`),
/// made without PyPy: the slot holds `owner` (a hold of its own), which
/// keeps the object alive; Python finds the entry empty and looks
/// the object up the first time it needs it. The struct comes along if a
/// store or an earlier load learnt it.
pub fn new_loaded_field(owner: HPy, key: u64) -> HPy {
    slot_handle(with(|t| {
        if let Some(i) = kept_get(t, key) {
            t.slots[i as usize].refs += 1;
            return i;
        }
        new_loaded_slot(t, owner, key)
    }))
}

/// A new slot for the object `owner` holds under `key` (see
/// [`new_loaded_field`]; out of line for the same reason as
/// [`new_loaded_item`]).
#[inline(never)]
fn new_loaded_slot(t: &mut Table, owner: HPy, key: u64) -> u32 {
    dup_in(t, owner);
    let i = pop_free(t, true);
    let known = t.field_data.get(key).copied().unwrap_or_default();
    let kind = if known.data != 0 { DataKind::Payload } else { DataKind::Unknown };
    make_live(t, i, kind, known.data);
    let s = &mut t.slots[i as usize];
    s.entry_empty = true;
    s.owner = owner._i;
    s.key = key;
    s.class = known.class;
    t.loaded.push(key, i);
    keep(t, key, i);
    i
}

/// Loaded slots the extension closed stay alive in a small cache (`kept`)
/// for the next load of the same field or tuple item: loading one again
/// then only counts (a solver's sweep loads the same fields of the same
/// objects every time), where a new slot would be set up, registered under
/// its key, and released with its hold on its owner (two handles may so
/// name one slot, as `HPy_Dup`'s do: a result Python reads after the lock
/// is let go of keeps its own hold until then, see [`give_to_python`]).
/// A kept slot keeps its object and its owner alive until a newer one
/// takes its entry, a store replaces its key ([`loaded_slots`]) or Python
/// sweeps ([`sweep_begin`], before every `gc.collect()`): at most
/// [`KEPT`] slots (and what they hold) live on that way. Only a key that a
/// later call loads again is kept: code that makes objects and reads each
/// one's fields in the next call or two (building expressions) would
/// otherwise keep the objects of its last hundred lines alive, and PyPy's
/// minor collections would copy them all to the old generation.
pub const KEPT: usize = 1 << KEPT_BITS;
const KEPT_BITS: u32 = 11;

/// The cache entry for `ck` (field keys are consecutive: a multiplicative
/// hash spreads them and the item keys built from them).
#[inline(always)]
fn kept_at(ck: u64) -> usize {
    (ck.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - KEPT_BITS)) as usize
}

/// The kept slot for cache key `ck` (a field key, or [`item_cache_key`]).
/// Valid as it is: the cache's hold keeps the slot live, a key names one
/// object for good, and a tuple's items never change.
#[inline]
fn kept_get(t: &Table, ck: u64) -> Option<u32> {
    kept_where(t, ck).map(|at| t.kept[at].1)
}

/// The first of the two entries of cache key `ck`'s pair, in `kept` and
/// in `seen` (see [`kept_where`]).
#[inline(always)]
fn pair_at(ck: u64) -> usize {
    kept_at(ck) & !1
}

/// Puts `entry` first in `pair` (its two entries), the first moving
/// second; the entry pushed out.
#[inline]
fn push_into<E: Copy>(pair: &mut [E], entry: E) -> E {
    let out = pair[1];
    pair[1] = pair[0];
    pair[0] = entry;
    out
}

/// The entry holding `ck`, if any: a key sits in one of the two entries of
/// its pair (two keys of one pair, both loaded every sweep, would push
/// each other out every time were there one entry a key).
#[inline]
fn kept_where(t: &Table, ck: u64) -> Option<usize> {
    let pair = pair_at(ck);
    match t.kept.get(pair..pair + 2)? {
        [a, _] if a.0 == ck => Some(pair),
        [_, b] if b.0 == ck => Some(pair + 1),
        _ => None,
    }
}

/// Keeps slot `i` for cache key `ck`, if `ck` was loaded before, in the
/// first entry of its pair; the first entry's slot moves to the second,
/// whose slot the cache lets go of.
fn keep(t: &mut Table, ck: u64, i: u32) {
    if t.kept.is_empty() {
        t.kept = vec![(0, 0); KEPT];
        t.seen = vec![(0, 0); KEPT];
    }
    match seen_before(t, ck) {
        Seen::No => return,
        // a call's loop over more keys than the cache holds keeps pushing
        // its keys out: at most as many as it holds
        Seen::ThisCall if t.kept_for_call.len() < KEPT => t.kept_for_call.push(ck),
        Seen::ThisCall => return,
        Seen::Earlier => {}
    }
    let s = &mut t.slots[i as usize];
    s.refs += 1;
    s.kept_key = ck;
    let pair = pair_at(ck);
    let (old, j) = push_into(&mut t.kept[pair..pair + 2], (ck, i));
    if old != 0 {
        let_go_of_kept(t, j);
    }
}

/// The cache lets go of its hold on slot `i` (its entry already emptied).
fn let_go_of_kept(t: &mut Table, i: u32) {
    t.slots[i as usize].kept_key = 0;
    drop_hold(t, slot_handle(i)._i);
}

/// Whether a key is worth keeping (see [`seen_before`]).
enum Seen {
    No,
    /// Loaded by an earlier call: kept.
    Earlier,
    /// Loaded twice before by the running call: kept until it ends.
    ThisCall,
}

/// Whether `ck` is worth keeping: loaded before by an earlier call, or
/// twice before by this one, a loop in C reading it over and over (an
/// operator slot reads an operand's field to classify it and again to use
/// it, and the operand dies soon after). Remembered, like kept keys, in
/// the two entries of its pair.
fn seen_before(t: &mut Table, ck: u64) -> Seen {
    let gen = GENERATION.load(Ordering::Relaxed) << 1;
    let pair = pair_at(ck);
    let seen = &mut t.seen[pair..pair + 2];
    match seen.iter().position(|&(k, _)| k == ck) {
        Some(at) if seen[at].1 == gen => {
            seen[at].1 |= 1; // the second load of this call
            Seen::No
        }
        Some(at) if seen[at].1 == gen | 1 => Seen::ThisCall,
        Some(_) => Seen::Earlier,
        None => {
            push_into(seen, (ck, gen));
            Seen::No
        }
    }
}

/// An extension call ends: Python code runs next (see [`new_generation`]),
/// and what the cache kept only for the call's own loops goes (kept, an
/// object read three times by one call would outlive it by a hundred
/// calls, and be copied to PyPy's old generation).
#[inline]
pub fn call_ended() {
    new_generation();
    with(|t| {
        if !t.kept_for_call.is_empty() {
            let_go_of_kept_for_call(t);
        }
    })
}

#[cold]
fn let_go_of_kept_for_call(t: &mut Table) {
    while let Some(ck) = t.kept_for_call.pop() {
        unkeep(t, ck);
    }
}

/// Lets go of the slot kept for `ck`, if any.
fn unkeep(t: &mut Table, ck: u64) {
    if let Some(at) = kept_where(t, ck) {
        let (_, i) = core::mem::take(&mut t.kept[at]);
        let_go_of_kept(t, i);
    }
}

/// Lets go of every kept slot.
fn unkeep_all(t: &mut Table) {
    for at in 0..t.kept.len() {
        let (ck, i) = core::mem::take(&mut t.kept[at]);
        if ck != 0 {
            let_go_of_kept(t, i);
        }
    }
}

/// The items kept per tuple (the longer tuples' later items are not).
const KEPT_ITEMS: usize = 64;

/// The cache key of item `i` of the tuple under field key `key` (`None`:
/// not kept): [`ITEM_KEY`] marks it, so it never equals a field key.
#[inline]
fn item_cache_key(key: u64, i: usize) -> Option<u64> {
    (i < KEPT_ITEMS && key < 1 << 50).then_some(ITEM_KEY | key << 6 | i as u64)
}

/// The slots standing for the object under `key` (see [`new_loaded_field`]):
/// before the key's object goes from its owner, Python stores it in their
/// entries, and then [`settle_loaded`] makes them ordinary slots.
pub fn loaded_slots(key: u64) -> Vec<isize> {
    with(|t| {
        // what only the cache holds needs no object: let it go (the items
        // first: they hold the tuple's slot)
        let items = t.field_items.get(key).map_or(0, |known| known.len());
        for i in 0..items.min(KEPT_ITEMS) {
            if let Some(ck) = item_cache_key(key, i) {
                unkeep(t, ck);
            }
        }
        unkeep(t, key);
        t.loaded.get(key).map_or_else(Vec::new, |v| v.as_slice().iter().map(|&i| i as isize).collect())
    })
}

/// The slots [`loaded_slots`] gave now hold their object in Python's list:
/// they let go of their owners.
pub fn settle_loaded(slots: &[isize]) {
    with(|t| {
        for &i in slots {
            if let Some(s) = t.slots.get_mut(i as usize) {
                s.entry_empty = false;
            }
            let_go_of_owner(t, i as u32);
        }
    })
}

/// A loaded field's slot `i` lets go of its owner (see
/// [`new_loaded_field`]): its object is in Python's list, or it is about
/// to be made anew.
fn let_go_of_owner(t: &mut Table, i: u32) {
    let Some(s) = t.slots.get_mut(i as usize) else { return };
    let (owner, key) = (core::mem::take(&mut s.owner), core::mem::take(&mut s.key));
    if owner != 0 {
        forget_loaded(t, i, key);
        drop_hold(t, owner);
    }
}

/// Slot `i` no longer stands for the object under `key`.
#[inline]
fn forget_loaded(t: &mut Table, i: u32, key: u64) {
    t.loaded.remove(key, i);
}

/// The owner and key of a loaded field's slot ((0, 0) for any other),
/// for Python, which is about to fill the slot's entry with the object it
/// finds there.
pub fn loaded_field(h: HPy) -> (isize, u64) {
    let Some(i) = slot_of(h) else { return (0, 0) };
    with(|t| match t.slots.get_mut(i as usize) {
        Some(s) if s.state != State::Free => {
            s.entry_empty = false;
            (s.owner, s.key)
        }
        _ => (0, 0),
    })
}

/// A handle for a float, made without PyPy (a clean slot: Python finds its
/// entry empty and asks for the value).
pub fn new_float(v: f64) -> HPy {
    slot_handle(with(|t| {
        let i = pop_free(t, true);
        make_live(t, i, DataKind::None, v.to_bits() as usize);
        let s = &mut t.slots[i as usize];
        s.float = true;
        s.entry_empty = true;
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
        Some(s) if s.float && s.state != State::Free => {
            s.float = false;
            s.entry_empty = false;
            s.kind = DataKind::None;
            f64::from_bits(s.data as u64)
        }
        _ => f64::NAN,
    })
}

/// Whether `h` is a slot other than a constant's: what a field holds by
/// key, through its owner (NULL, small ints and constants it holds as they
/// are: they need no release and take part in no cycle).
#[inline]
pub fn needs_owner(h: HPy) -> bool {
    slot_of(h).is_some_and(|i| with(|t| !is_constant(t, i)))
}

#[inline]
pub fn dup(h: HPy) -> HPy {
    if slot_of(h).is_some() {
        with(|t| dup_in(t, h));
    }
    h
}

/// [`dup`] for code that holds the table already.
fn dup_in(t: &mut Table, h: HPy) {
    if let Some(i) = slot_of(h).filter(|&i| !is_constant(t, i)) {
        if let Some(s) = t.slots.get_mut(i as usize) {
            s.refs += 1;
        }
    }
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

/// The longest tuple or list whose items Python hands over with its length.
pub const ITEMS_MAX: usize = 16;

/// Counts the times Python code may have run since native code read a
/// list's items (see `Slot::items_gen`): a callback not marked pure, the
/// end of an extension call, `HPy_LeavePythonExecution`; changed only by
/// the extension lock's holder.
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// Python code may run next: the lists' items read so far are stale.
#[inline]
pub fn new_generation() {
    GENERATION.store(GENERATION.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// Keeps `items`, the handles of the items of the tuple (or, `list`, the
/// list) of `h`, with its slot, in place of stale ones (or closes them, if
/// the slot cannot keep them).
pub fn set_items(h: HPy, items: Box<[HPy]>, list: bool) {
    let gen = if list { GENERATION.load(Ordering::Relaxed) } else { 0 };
    let rejected = with(|t| {
        if !list {
            remember_items(t, h, &items);
        }
        match live_mut(t, h) {
            Some(s) if current_items(s).is_none() => {
                s.items_gen = gen;
                s.items.replace(items)
            }
            _ => Some(items),
        }
    });
    for item in rejected.into_iter().flatten() {
        close(item);
    }
}

/// The items a slot keeps, unless they are a list's, read before Python
/// code may have run (see [`GENERATION`]).
#[inline]
fn current_items(s: &Slot) -> Option<&[HPy]> {
    let items = s.items.as_deref()?;
    (s.items_gen == 0 || s.items_gen == GENERATION.load(Ordering::Relaxed)).then_some(items)
}

/// `Slot::kinds`: the answers are known (also in [`KINDS`]).
pub const KINDS_KNOWN: u8 = 0x80;

/// The answers of `check` remembered for the object of `h`.
#[inline]
pub fn kinds(h: HPy) -> Option<u8> {
    slot_of(h)?;
    with(|t| live_mut(t, h).map(|s| s.kinds).filter(|k| k & KINDS_KNOWN != 0))
}

/// Remembers the answers of `check` for the object of `h` (an exact
/// built-in type's: they never change).
pub fn set_kinds(h: HPy, kinds: u8) {
    with(|t| {
        if let Some(s) = live_mut(t, h) {
            s.kinds = kinds | KINDS_KNOWN;
        }
    })
}

/// The length of a tuple or list whose items the slot of `h` keeps.
#[inline]
pub fn items_len(h: HPy) -> Option<usize> {
    slot_of(h)?;
    with(|t| match current_items(live_mut(t, h)?) {
        Some(items) => Some(items.len()),
        None => loaded_items(t, h).map(|known| known.len()),
    })
}

/// A new handle for item `i` of a tuple or list whose items the slot of
/// `h` keeps (`None`: not kept, or out of range).
#[inline]
pub fn item(h: HPy, i: i64) -> Option<HPy> {
    slot_of(h)?;
    let i = usize::try_from(i).ok()?;
    with(|t| match current_items(live_mut(t, h)?).map(|items| items.get(i).copied()) {
        Some(kept) => {
            let item = kept?;
            dup_in(t, item);
            Some(item)
        }
        None => item_of_loaded(t, h, i),
    })
}

/// Marks the key of an item slot (see [`item_of_loaded`]): field keys
/// count up from 1 and never reach it.
pub const ITEM_KEY: u64 = 1 << 62;

/// The field key the slot of `h` was loaded from, if it is a loaded
/// field's slot still standing for that key's object.
fn loaded_key_of(t: &Table, h: HPy) -> Option<u64> {
    let s = t.slots.get(slot_of(h)? as usize)?;
    (s.state == State::Live && s.owner != 0 && s.key != 0 && s.key & ITEM_KEY == 0).then_some(s.key)
}

/// What is remembered of the items of the tuple a loaded field's slot
/// stands for.
fn loaded_items(t: &mut Table, h: HPy) -> Option<&[Known]> {
    let key = loaded_key_of(t, h)?;
    t.field_items.get(key).map(|k| &**k)
}

/// Remembers what is known of `items`, the items of the tuple of `h`, if
/// `h` is a loaded field's slot (see `Table::field_items`).
fn remember_items(t: &mut Table, h: HPy, items: &[HPy]) {
    let Some(key) = loaded_key_of(t, h) else { return };
    let known = known_items(&t.slots, items);
    t.field_items.insert(key, known);
}

/// What the slots of `items` know of their objects.
fn known_items(slots: &[Slot], items: &[HPy]) -> Box<[Known]> {
    items
        .iter()
        .map(|&item| match slot_of(item).and_then(|j| slots.get(j as usize)) {
            Some(s) if s.state == State::Live && !s.float => known_of(s),
            _ => Known::default(),
        })
        .collect()
}

/// A handle for item `i` of the tuple a loaded field's slot `h` stands for,
/// from what is remembered of its items, made without PyPy: the new slot
/// holds `h` (so the tuple, and so the item, stays alive), and Python
/// finds its entry empty and takes the item from `h`'s object the first
/// time it needs it (see `loaded_field`). The item's struct and class come
/// along. `None`: nothing remembered, or out of range.
fn item_of_loaded(t: &mut Table, h: HPy, i: usize) -> Option<HPy> {
    let key = loaded_key_of(t, h)?;
    let ck = item_cache_key(key, i);
    if let Some(j) = ck.and_then(|ck| kept_get(t, ck)) {
        t.slots[j as usize].refs += 1;
        return Some(slot_handle(j));
    }
    new_loaded_item(t, h, key, i, ck)
}

/// A new slot for item `i` of the tuple of `h` (a loaded field's slot,
/// loaded from `key`). Out of line: its frame cost every cache hit (a
/// solver's every load) a fifth of its instructions.
#[inline(never)]
fn new_loaded_item(t: &mut Table, h: HPy, key: u64, i: usize, ck: Option<u64>) -> Option<HPy> {
    let known = *t.field_items.get(key)?.get(i)?;
    dup_in(t, h);
    let j = pop_free(t, true);
    let kind = if known.data != 0 { DataKind::Payload } else { DataKind::Unknown };
    make_live(t, j, kind, known.data);
    let s = &mut t.slots[j as usize];
    s.entry_empty = true;
    s.owner = h._i;
    s.key = ITEM_KEY | i as u64;
    s.class = known.class;
    if let Some(ck) = ck {
        keep(t, ck, j);
    }
    Some(slot_handle(j))
}

/// Lets go of the owner a reserve slot Python emptied still held (a loaded
/// field's result, see [`give_to_python`]).
pub fn reserve_emptied(slots: &[isize]) {
    with(|t| {
        for &i in slots {
            if t.slots.get(i as usize).is_some_and(|s| s.state == State::Reserved) {
                let_go_of_owner(t, i as u32);
            }
        }
    })
}

/// Takes back reserve slots whose entries Python emptied, as free slots:
/// results' slots join Python's reserve, so without this the reserve would
/// grow with every result made natively (a float, a loaded field), and the
/// table with it (see `handles._trim_reserve`).
pub fn unreserve(slots: &[isize]) {
    with(|t| {
        for &i in slots {
            let Ok(i) = u32::try_from(i) else { continue };
            if is_constant(t, i) || t.slots.get(i as usize).is_none_or(|s| s.state != State::Reserved) {
                continue;
            }
            let_go_of_owner(t, i);
            t.slots[i as usize] = Slot::new(State::Free);
            t.clean.push(i); // its entry is empty
        }
    })
}

/// Closes the handle `owner`, held by a slot of the table.
fn drop_hold(t: &mut Table, owner: isize) {
    let Some(o) = slot_of(HPy { _i: owner }) else { return };
    if is_constant(t, o) {
        return;
    }
    if let Some(s) = t.slots.get_mut(o as usize).filter(|s| s.state == State::Live && s.refs > 0) {
        s.refs -= 1;
        if s.refs == 0 {
            release(t, o);
        }
    }
}

/// Puts free slot `i` where the next reserve refill finds it.
fn free_list(t: &mut Table, i: u32, never_seen: bool) {
    if never_seen {
        t.clean.push(i); // Python never stored anything for it
    } else {
        t.stale.push(i);
        stale_add(1);
    }
}

/// Frees slot `i`, and the owner a loaded field's slot held (and so on,
/// should that be the last hold of another loaded field).
fn release(t: &mut Table, mut i: u32) {
    loop {
        let s = &mut t.slots[i as usize];
        let (never_seen, waits) = (s.entry_empty, s.lender_waits);
        let (owner, key) = (core::mem::take(&mut s.owner), core::mem::take(&mut s.key));
        let items = s.items.take();
        // Only what a free or reserved slot is read for is reset: every
        // way back to use rewrites the rest (`make_live`).
        s.attached = None;
        s.float = false;
        s.state = State::Free;
        if owner != 0 {
            forget_loaded(t, i, key);
        }
        for item in items.into_iter().flatten() {
            drop_hold(t, item._i);
        }
        if !waits {
            free_list(t, i, never_seen);
        }
        let Some(o) = slot_of(HPy { _i: owner }) else { return };
        if is_constant(t, o) {
            return;
        }
        match t.slots.get_mut(o as usize) {
            Some(s) if s.state == State::Live && s.refs > 0 => {
                s.refs -= 1;
                if s.refs > 0 {
                    return;
                }
                i = o;
            }
            _ => return,
        }
    }
}

/// Hands the result of an entry to Python, which reads it after the entry
/// returned (possibly after other threads ran). A result whose slot only it
/// holds goes into Python's reserve, with its object (or float) still in
/// it: no other thread can take it, and Python reuses it for its next
/// handle. The result's bits, tagged fresh in that case (Python then knows
/// the slot is its own again).
#[inline]
pub fn give_to_python(result: HPy) -> isize {
    let Some(i) = slot_of(result) else { return result._i };
    with(|t| {
        if is_constant(t, i) {
            return result._i;
        }
        // Python reads the result after the entry returned, when another
        // thread may have run: a hold the cache has on it could be let go
        // of meanwhile (a store, a sweep), freeing the slot under Python.
        // The cache gives it up, so that a result only the result holds
        // goes to Python's reserve as always.
        let ck = t.slots.get(i as usize).map_or(0, |s| s.kept_key);
        if ck != 0 {
            unkeep(t, ck);
        }
        let own_receiver = t.kept_receiver == i;
        match t.slots.get_mut(i as usize) {
            // a receiver another call kept, whose lender has not looked
            // yet: no one may lend its slot before, so Python gets a hold
            Some(s) if s.lender_waits && !own_receiver => result._i | TAG_HELD,
            Some(s) if s.state == State::Live && s.refs == 1 && s.float && (i as usize) < BACK_CAP => {
                // Python reads the value where it waits, with no call back
                // into native code; the slot is an empty reserved one
                float_values()[i as usize].store(s.data as u64, Ordering::Relaxed);
                *s = Slot { entry_empty: true, ..Slot::new(State::Reserved) };
                result._i | TAG_FLOAT
            }
            Some(s) if s.state == State::Live && s.refs == 1 => {
                // a loaded field keeps its owner until Python reuses the slot
                let (float, data, owner, key) = (s.float, s.data, s.owner, s.key);
                let items = s.items.take();
                *s = Slot { float, data, owner, key, ..Slot::new(State::Reserved) };
                for item in items.into_iter().flatten() {
                    drop_hold(t, item._i);
                }
                result._i | TAG_FRESH
            }
            // others hold it too (a loaded tuple's kept items, a store
            // record), and may let go before Python reads it: Python gets
            // the result's hold, and closes it once it has the object
            Some(s) if s.state == State::Live && s.refs > 1 => result._i | TAG_HELD,
            _ => result._i,
        }
    })
}

/// How many slots have a byte in [`BACK`]; Python lends the receivers of
/// slots above as plain fresh ones.
pub const BACK_CAP: usize = 1 << 22;

/// A byte per slot below [`BACK_CAP`], through which an entry tells the
/// Python code that lent the slot as a receiver how the call ended with
/// it: [`GAVE_BACK`] (that code puts the slot back in its reserve),
/// [`RECEIVER_KEPT`] (the extension kept the receiver; that code then
/// calls `lender_done`), 0: neither (the receiver is the call's result).
/// Python reads and clears it holding the GIL (see `handles.take_back`),
/// in steps another thread may run between; but only the lender touches
/// the byte until it has read it: the slot is the lender's (given back,
/// or the result) or waits for it ([`Slot::lender_waits`]), so no other
/// thread can lend the slot meanwhile. Allocated zeroed, so the pages of
/// slots never lent are never touched.
static BACK: std::sync::OnceLock<Box<[AtomicU8]>> = std::sync::OnceLock::new();

/// A byte per slot below [`BACK_CAP`], written by Python each time it
/// fills a reserve slot to pass it fresh (`handles.new_h`, `fresh`), read
/// here when the slot arrives: the answers of `check` with [`KINDS_KNOWN`]
/// when the object's type is an exact built-in one (its kind checks and
/// type checks against classes made from specs then need no call into
/// PyPy), else 0. A receiver's slot (`TAG_RECEIVER`) is lent without a
/// write, and its byte not read. Written and read by the thread passing
/// the handle; allocated zeroed.
static KINDS: std::sync::OnceLock<Box<[AtomicU8]>> = std::sync::OnceLock::new();

/// The bytes of [`KINDS`], for Python.
pub fn kinds_told_ptr() -> *mut u8 {
    kinds_told().as_ptr() as *mut u8
}

fn kinds_told() -> &'static [AtomicU8] {
    // SAFETY: `AtomicU8` has the size, alignment and bit validity of `u8`
    // (its documented layout).
    KINDS.get_or_init(|| unsafe { zeroed_by_slot::<u8, AtomicU8>() })
}

/// [`BACK`]: the slot is the lender's again.
pub const GAVE_BACK: u8 = 1;
/// [`BACK`]: the extension kept the receiver; its slot waits for the lender.
pub const RECEIVER_KEPT: u8 = 2;

/// The value of a float result per slot below [`BACK_CAP`] (see
/// [`TAG_FLOAT`]): written by the entry that gives the slot to Python,
/// read by that Python code (the slot is its own until it reuses it).
/// Allocated zeroed, so the pages of slots never used are never touched.
static FLOAT_VALUES: std::sync::OnceLock<Box<[AtomicU64]>> = std::sync::OnceLock::new();

/// The words of [`FLOAT_VALUES`], for Python (doubles' bits).
pub fn float_values_ptr() -> *mut u64 {
    float_values().as_ptr() as *mut u64
}

fn float_values() -> &'static [AtomicU64] {
    // SAFETY: `AtomicU64` has the size, alignment and bit validity of `u64`
    // (its documented layout).
    FLOAT_VALUES.get_or_init(|| unsafe { zeroed_by_slot::<u64, AtomicU64>() })
}

/// `BACK_CAP` zeroed atomics, one per slot, allocated zeroed (calloc: the
/// pages of slots never used are never touched).
///
/// # Safety
/// `A` must have the size, alignment and bit validity of `T`.
unsafe fn zeroed_by_slot<T: Clone + Default, A>() -> Box<[A]> {
    let plain = vec![T::default(); BACK_CAP].into_boxed_slice();
    // SAFETY: `A` has the layout and bit validity of `T` (this function's
    // `# Safety`), so the allocation is one of `BACK_CAP` values of `A`,
    // owned by the new box alone.
    unsafe { Box::from_raw(Box::into_raw(plain) as *mut [A]) }
}

/// The bytes of [`BACK`], for Python.
pub fn back_flags() -> *mut u8 {
    back().as_ptr() as *mut u8
}

fn back() -> &'static [AtomicU8] {
    // SAFETY: `AtomicU8` has the size, alignment and bit validity of `u8`
    // (its documented layout).
    BACK.get_or_init(|| unsafe { zeroed_by_slot::<u8, AtomicU8>() })
}

/// Ends a call's use of the receiver's slot Python lent (`TAG_RECEIVER`):
/// a slot only the call held goes back to Python's reserve with its object
/// still in it (the lender's next handle reuses it, still in the cache;
/// the freed slots of a reserve refill are a cold new one per call), one
/// the extension kept is closed as any other handle, and waits for its
/// lender (see [`BACK`]) unless it is the call's result (see
/// [`give_to_python`]); [`settle_receiver`] tells the lender which.
pub fn give_back(h: HPy) {
    let Some(i) = slot_of(h).filter(|&i| (i as usize) < BACK_CAP) else { return close(h) };
    let gave = with(|t| {
        let gave = take_back_slot(t, i);
        if !gave && !is_constant(t, i) {
            if let Some(s) = t.slots.get_mut(i as usize) {
                s.lender_waits = true;
                // one receiver an entry: its end tells the lender
                debug_assert!(t.kept_receiver == NO_SLOT, "two receivers kept in one entry");
                t.kept_receiver = i;
            }
        }
        gave
    });
    if gave {
        back()[i as usize].store(GAVE_BACK, Ordering::Release);
    } else {
        close(h);
    }
}

/// Ends an entry that lent a receiver: tells the lender if the extension
/// kept it past the call (it was not the call's result).
#[inline]
pub fn settle_receiver() {
    let kept = with(|t| {
        let i = core::mem::replace(&mut t.kept_receiver, NO_SLOT);
        t.slots.get(i as usize).is_some_and(|s| s.lender_waits).then_some(i)
    });
    if let Some(i) = kept {
        back()[i as usize].store(RECEIVER_KEPT, Ordering::Release);
    }
}

/// The lender of receiver slot `i`, which the extension kept, has read its
/// byte in [`BACK`]: the slot, if freed meanwhile, is free for anyone.
pub fn lender_done(i: u32) {
    with(|t| {
        let Some(s) = t.slots.get_mut(i as usize).filter(|s| s.lender_waits) else { return };
        s.lender_waits = false;
        if s.state == State::Free {
            let never_seen = s.entry_empty;
            free_list(t, i, never_seen);
        }
    })
}

/// Makes slot `i` reserved again if only the call ending holds it.
fn take_back_slot(t: &mut Table, i: u32) -> bool {
    if is_constant(t, i) {
        return false;
    }
    let Some(s) = t.slots.get_mut(i as usize) else { return false };
    if s.state != State::Live || s.refs != 1 || s.owner != 0 || s.float {
        return false;
    }
    s.refs = 0;
    s.state = State::Reserved;
    if s.attached.is_some() || s.items.is_some() {
        let_go_of_extras(t, i);
    }
    true
}

/// Lets go of the text and items a slot held for its last object.
#[cold]
fn let_go_of_extras(t: &mut Table, i: u32) {
    let s = &mut t.slots[i as usize];
    s.attached = None;
    if let Some(items) = s.items.take() {
        for item in items {
            drop_hold(t, item._i);
        }
    }
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

/// Remembers what [`data_of`] should answer for a slot, and the class of
/// its object (see `Slot::class`).
pub fn set_data(h: HPy, kind: DataKind, data: *mut c_void, class: usize) {
    let class = checked_type(class);
    if let Some(i) = slot_of(h) {
        with(|t| {
            if is_constant(t, i) {
                return;
            }
            if let Some(s) = t.slots.get_mut(i as usize) {
                if s.state == State::Live && !s.float {
                    s.kind = kind;
                    s.data = data as usize;
                    if class != 0 {
                        s.class = class;
                    }
                    let (key, class) = (s.key, s.class);
                    if key != 0 && kind == DataKind::Payload {
                        t.field_data.insert(key, Known { data: data as usize, class });
                    }
                }
            }
        })
    }
}

/// Keeps a NUL-terminated copy of `bytes` (`is_str`: a str's UTF-8, else
/// a bytes' contents) with the slot of `h` until the slot is given up, and
/// returns it. A slot keeps the first copy of its kind: a pointer the
/// extension has is valid for as long as its handle.
pub fn attach(h: HPy, bytes: &[u8], is_str: bool) -> *const c_char {
    if let Some((kept, _)) = attached(h, is_str) {
        return kept;
    }
    let mut copy = Vec::with_capacity(bytes.len() + 1);
    copy.extend_from_slice(bytes);
    copy.push(0);
    let copy = copy.into_boxed_slice();
    let ptr = copy.as_ptr().cast();
    match slot_of(h) {
        Some(i) => with(|t| {
            let constant = is_constant(t, i);
            match t.slots.get_mut(i as usize) {
                Some(s) if !constant && s.refs > 0 && s.attached.is_none() => {
                    s.attached = Some(copy);
                    s.attached_str = is_str;
                }
                _ => keep_forever(copy),
            }
        }),
        None => keep_forever(copy),
    }
    ptr
}

/// The copy of its text the slot of `h` keeps (see [`attach`]), if of the
/// kind asked, and its length.
pub fn attached(h: HPy, is_str: bool) -> Option<(*const c_char, usize)> {
    slot_of(h)?;
    with(|t| {
        let s = live_mut(t, h)?;
        let text = s.attached.as_deref().filter(|_| s.attached_str == is_str)?;
        Some((text.as_ptr().cast(), text.len() - 1))
    })
}

/// Copies for objects that live forever (the constants) or have no slot.
fn keep_forever(copy: Box<[u8]>) {
    Box::leak(copy);
}

/// Hands the stale free slots to Python for clearing: their indices (valid
/// until [`sweep_end`]) and how many. 0 while a sweep of this thread is
/// under way (a finalizer's Python code sweeping in it).
pub fn sweep_begin() -> (*const isize, usize) {
    if SWEEPING.with(|s| !s.borrow().is_empty()) {
        return (core::ptr::null(), 0);
    }
    let stale = with(|t| {
        unkeep_all(t);
        stale_add(-(t.stale.len() as isize));
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
        - crate::host::types::pooled()
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
        // the table is the process's: other tests may have left stale slots
        sweep_begin();
        sweep_end();
        let live = in_use();
        let a = slot_handle(new_object(core::ptr::null_mut(), DataKind::None, 0));
        dup(a);
        close(a);
        assert_eq!(in_use(), live + 1, "still one reference");
        close(a);
        assert_eq!(in_use(), live);
        let b = slot_handle(new_object(core::ptr::null_mut(), DataKind::None, 0));
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
    fn a_loaded_field_holds_its_owner() {
        let _held = lock::enter();
        init(4);
        let live = in_use();
        let owner = slot_handle(new_object(core::ptr::null_mut(), DataKind::None, 0));
        let key = new_field_key();
        assert_eq!(field_key(field_bits(key)), Some(key));
        assert_eq!(field_key(owner._i), None);
        close(new_loaded_field(owner, key));
        assert_eq!(in_use(), live + 1, "a key loaded once is not kept");
        close(new_loaded_field(owner, key));
        assert_eq!(in_use(), live + 1, "nor one loaded twice by one call");
        let third = new_loaded_field(owner, key);
        close(third);
        assert_eq!(in_use(), live + 2, "the third load by one call is kept");
        assert_eq!(new_loaded_field(owner, key), third, "and loaded from the cache");
        close(third);
        call_ended();
        assert_eq!(in_use(), live + 1, "until the call ends");
        let loaded = new_loaded_field(owner, key);
        close(loaded);
        assert_eq!(in_use(), live + 2, "loaded by the next call: kept");
        call_ended();
        assert_eq!(new_loaded_field(owner, key), loaded, "for later calls too");
        assert_eq!(loaded_field(loaded), (owner._i, key));
        close(owner);
        assert_eq!(in_use(), live + 2, "the loaded field keeps its owner");
        close(loaded);
        assert_eq!(in_use(), live + 2, "the cache keeps it");
        assert_eq!(new_loaded_field(slot_handle(1), key), loaded, "loaded again: the kept slot");
        close(loaded);
        sweep_begin();
        sweep_end();
        assert_eq!(in_use(), live, "a sweep lets go of both");
        assert_eq!(loaded_field(loaded), (0, 0));
    }

    #[test]
    fn two_keys_of_one_pair_are_both_kept() {
        let _held = lock::enter();
        init(4);
        let owner = slot_handle(new_object(core::ptr::null_mut(), DataKind::None, 0));
        let a = new_field_key();
        let pair = pair_at(a);
        let mut b = new_field_key();
        while pair_at(b) != pair {
            b = new_field_key();
        }
        close(new_loaded_field(owner, a));
        close(new_loaded_field(owner, b));
        new_generation();
        let (la, lb) = (new_loaded_field(owner, a), new_loaded_field(owner, b));
        close(la);
        close(lb);
        assert_eq!(new_loaded_field(owner, a), la);
        assert_eq!(new_loaded_field(owner, b), lb);
        close(la);
        close(lb);
        close(owner);
        sweep_begin();
        sweep_end();
    }

    #[test]
    fn a_store_lets_go_of_what_only_the_cache_holds() {
        let _held = lock::enter();
        init(4);
        sweep_begin();
        sweep_end();
        let live = in_use();
        let owner = slot_handle(new_object(core::ptr::null_mut(), DataKind::None, 0));
        let (a, b) = (new_field_key(), new_field_key());
        close(new_loaded_field(owner, a));
        new_generation();
        let kept = new_loaded_field(owner, a);
        close(kept);
        let held = new_loaded_field(owner, b);
        close(owner);
        assert_eq!(in_use(), live + 3);
        assert!(loaded_slots(a).is_empty(), "only the cache held it: no object needed");
        assert_eq!(loaded_slots(b), vec![held._i >> 3], "the extension holds it");
        settle_loaded(&[held._i >> 3]);
        assert_eq!(in_use(), live + 1, "the owner is let go of by both");
        close(held);
        sweep_begin();
        sweep_end();
        assert_eq!(in_use(), live);
    }

    /// Two slots from the reserve, and how many slots are in use (the
    /// caller holds the lock).
    fn two_reserved() -> ([isize; 2], usize) {
        init(4);
        let mut out = [0isize; 2];
        assert_eq!(reserve(&mut out), 2);
        (out, in_use())
    }

    #[test]
    fn receivers_slots_are_given_back_unless_kept() {
        let _held = lock::enter();
        let (out, live) = two_reserved();
        let taken = |i: isize| back()[i as usize].swap(0, Ordering::Relaxed);
        // only the call held it: reserved again, its byte set
        let h = receive_known((out[0] << 3) | TAG_RECEIVER, 0x1000 as *mut c_void, 0);
        assert_eq!(in_use(), live + 1);
        give_back(h);
        assert_eq!(in_use(), live);
        assert_eq!(taken(out[0]), 1);
        let h = receive_known((out[0] << 3) | TAG_RECEIVER, core::ptr::null_mut(), 0);
        assert_eq!(data_of(h).0, DataKind::Unknown, "received anew, it knows nothing of before");
        // the extension kept it: closed, still live, its byte says so
        dup(h);
        give_back(h);
        settle_receiver();
        assert_eq!(in_use(), live + 1);
        assert_eq!(taken(out[0]), RECEIVER_KEPT);
        // freed before its lender looked, it goes to no one; then it does
        close(h);
        assert_eq!(in_use(), live);
        assert!(!refill_gives(out[0]), "a slot its lender may still look at was handed out");
        lender_done(out[0] as u32);
        assert!(refill_gives(out[0]));
    }

    /// Whether reserve refills hand out slot `i` before the free slots run
    /// out (those taken stay reserved: the test owns them).
    fn refill_gives(i: isize) -> bool {
        let mut one = [0isize; 1];
        while with(|t| !(t.clean.is_empty() && t.stale.is_empty())) {
            reserve(&mut one);
            if one[0] == i {
                return true;
            }
        }
        false
    }

    #[test]
    fn a_kept_receiver_that_is_the_result_goes_to_its_lender() {
        let _held = lock::enter();
        let (out, live) = two_reserved();
        let h = receive_known((out[0] << 3) | TAG_RECEIVER, 0x1000 as *mut c_void, 0);
        dup(h); // `return HPy_Dup(ctx, self)`
        give_back(h);
        assert_eq!(give_to_python(h), h._i | TAG_FRESH);
        settle_receiver();
        assert_eq!(back()[out[0] as usize].load(Ordering::Relaxed), 0);
        assert_eq!(in_use(), live);
    }

    #[test]
    fn a_kept_receiver_another_call_returns_waits_for_its_lender() {
        let _held = lock::enter();
        let (out, live) = two_reserved();
        let h = receive_known((out[0] << 3) | TAG_RECEIVER, 0x1000 as *mut c_void, 0);
        dup(h);
        give_back(h);
        settle_receiver();
        // another call returns the kept handle before the lender looked:
        // Python gets a hold, not the slot
        assert_eq!(give_to_python(h), h._i | TAG_HELD);
        close(h);
        assert_eq!(in_use(), live);
        assert!(!refill_gives(out[0]));
        assert_eq!(back()[out[0] as usize].swap(0, Ordering::Relaxed), RECEIVER_KEPT);
        lender_done(out[0] as u32);
        assert!(refill_gives(out[0]));
    }

    #[test]
    fn fresh_slots_come_alive_when_received() {
        let _held = lock::enter();
        let (out, live) = two_reserved();
        let h = receive((out[0] << 3) | TAG_FRESH, 0x1000 as *mut c_void);
        assert_eq!(in_use(), live + 1);
        assert_eq!(data_of(h), (DataKind::Payload, 0x1000 as *mut c_void));
        close(h);
        assert_eq!(receive((out[1] << 3) | TAG_LENT, core::ptr::null_mut()), slot_handle(out[1] as u32));
        assert_eq!(in_use(), live);
    }

    #[test]
    fn a_float_result_leaves_its_value_and_its_slot_to_python() {
        let _held = lock::enter();
        let (_, live) = two_reserved();
        let h = new_float(-2.5);
        let i = slot_of(h).unwrap() as usize;
        assert_eq!(give_to_python(h), h._i | TAG_FLOAT);
        assert_eq!(in_use(), live, "the slot is Python's again");
        assert_eq!(f64::from_bits(float_values()[i].load(Ordering::Relaxed)), -2.5);
        assert_eq!(float_of(h), None, "an ordinary reserved slot now");
        // a float others hold too stays theirs: Python gets the result's hold
        let h = new_float(0.5);
        dup(h);
        assert_eq!(give_to_python(h), h._i | TAG_HELD);
        close(h);
        close(h);
        assert_eq!(in_use(), live);
    }
}
