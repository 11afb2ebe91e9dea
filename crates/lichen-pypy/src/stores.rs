//! Field stores that Python applies after the call that made them.
//!
//! An `HPyField_Store` of an object that needs a holder (see
//! `host::object::store_field`) puts the object in its owner's
//! `_lichen_refs` under the field's new key and takes out the old key's.
//! Only Python can do that, and a callback for every store costs more than
//! the rest of an object-building slot. So a store is recorded here, with
//! holds on the owner and the object (which keep both alive meanwhile),
//! and Python applies the records in order when the entry that made them
//! returns (or earlier: before a store that must be done at once, and
//! whenever it wants a field's object that is not in `_lichen_refs` yet,
//! which it then finds here: see [`value_of`]). A store made at once (a
//! call into Python: handles loaded from the field need the old object
//! first) names its new key in the field before the call, so that two
//! threads never replace one old key, and is found here while the call
//! runs ([`fly`]), by another thread loading the field meanwhile.

use crate::lock::Locked;
use crate::table;
use lichen_abi::HPy;
use std::sync::atomic::{AtomicIsize, Ordering};

/// One store, as Python reads it (`struct lichen_store`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Store {
    /// A hold on the owner.
    pub owner: isize,
    /// The field's new key (0: the field now holds no object by key).
    pub key: i64,
    /// A hold on the object stored under `key` (0 if `key` is 0).
    pub value: isize,
    /// The key the owner lets go of (0: none).
    pub old_key: i64,
}

struct Stores {
    /// Recorded, not yet taken by Python.
    pending: Vec<Store>,
    /// Taken by Python, being applied (one application at a time: Python
    /// serializes them).
    applying: Vec<Store>,
    /// Made at once by a call into Python under way (see [`fly`]): the
    /// field names the new key already, so that another thread loading it
    /// meanwhile finds the object here.
    in_flight: Vec<Store>,
}

static STORES: Locked<Stores> =
    Locked::new(Stores { pending: Vec::new(), applying: Vec::new(), in_flight: Vec::new() });

/// How many stores wait for Python (a hint Python reads after calls;
/// changed only under the extension lock).
pub static PENDING: AtomicIsize = AtomicIsize::new(0);

/// Records a store; the record holds `owner` and `value` (new handles).
pub fn defer(owner: HPy, key: u64, value: HPy, old_key: u64) {
    let owner = table::dup(owner);
    let value = if key != 0 { table::dup(value) } else { HPy::NULL };
    let store = Store { owner: owner._i, key: key as i64, value: value._i, old_key: old_key as i64 };
    let n = STORES.with(|s| {
        s.pending.push(store);
        s.pending.len()
    });
    PENDING.store(n as isize, Ordering::Relaxed);
}

/// Hands the pending stores to Python, in the order they were made (valid
/// until [`end`]). Nothing while an application is under way (Python code
/// run in the middle of one, such as a finalizer, leaves the newer stores
/// to the next).
pub fn begin() -> (*const Store, usize) {
    STORES.with(|s| {
        if !s.applying.is_empty() {
            return (core::ptr::null(), 0);
        }
        core::mem::swap(&mut s.pending, &mut s.applying);
        PENDING.store(0, Ordering::Relaxed);
        (s.applying.as_ptr(), s.applying.len())
    })
}

/// Python has applied what [`begin`] gave it: the records' holds go.
pub fn end() {
    // closing a hold uses the table only, never these records
    STORES.with(|s| {
        for store in s.applying.drain(..) {
            table::close(HPy { _i: store.owner });
            table::close(HPy { _i: store.value });
        }
    });
}

/// A new handle for the object stored under `key` by a store Python has
/// not applied yet (NULL: none).
pub fn value_of(key: u64) -> HPy {
    let key = key as i64;
    let found = STORES.with(|s| {
        let mut all = s.pending.iter().chain(&s.applying).chain(&s.in_flight);
        all.find(|st| st.key == key).map(|st| HPy { _i: st.value })
    });
    found.map_or(HPy::NULL, table::dup)
}

/// Records a store Python is about to make at once (`key` not 0), until
/// [`land`]: the record holds `value` (a new handle).
pub fn fly(key: u64, value: HPy) {
    let store = Store { owner: 0, key: key as i64, value: table::dup(value)._i, old_key: 0 };
    STORES.with(|s| s.in_flight.push(store));
}

/// The store [`fly`] recorded under `key` is made (or failed): its record
/// and hold go.
pub fn land(key: u64) {
    let key = key as i64;
    let landed = STORES.with(|s| {
        let at = s.in_flight.iter().position(|st| st.key == key)?;
        Some(s.in_flight.swap_remove(at))
    });
    if let Some(store) = landed {
        table::close(HPy { _i: store.value });
    }
}
