//! Which proxy stands for which object, so that an object crossing twice
//! gives the same proxy (`is` holds on both sides).
//!
//! - CPython object → its RustPython proxy (a `CObject`): a weak reference
//!   to the proxy, keyed by the CPython object's address, which the proxy
//!   keeps alive (so the address is not reused while the entry exists).
//!   The proxy's drop removes the entry if it still names a dead proxy.
//! - RustPython object → its CPython proxy (an `RObject`): the proxy's
//!   address, keyed by the RustPython object's address (kept alive by the
//!   proxy); removed when the proxy is deallocated. Read and written with
//!   the GIL held, so a proxy found here is not being deallocated.
//!
//! The mutexes only guard the maps themselves; no Python code runs while
//! one is held.

use rustpython_vm::builtins::{PyTypeRef, PyWeak};
use rustpython_vm::{PyObjectRef, PyRef};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

type Map<K, V> = LazyLock<Mutex<HashMap<K, V>>>;

static C_TO_RP: Map<usize, PyRef<PyWeak>> = LazyLock::new(Default::default);
static RP_TO_C: Map<usize, usize> = LazyLock::new(Default::default);
/// Proxy classes on RustPython's side and the CPython types they stand for.
pub static RP_PROXY_CLASSES: ClassPairs = ClassPairs::new();
/// Proxy classes on CPython's side and the RustPython types they stand for.
pub static C_PROXY_CLASSES: ClassPairs = ClassPairs::new();
/// Exception classes mirrored on the other side.
pub static EXCEPTION_CLASSES: ClassPairs = ClassPairs::new();

/// Pairs of a CPython class (by address) and a RustPython class that stand
/// for each other, found from either side. Both are kept for the process:
/// the RustPython class by the map, the CPython one by the pair's proxy.
pub struct ClassPairs {
    maps: LazyLock<Mutex<PairMaps>>,
}

#[derive(Default)]
struct PairMaps {
    rp_of_c: HashMap<usize, PyTypeRef>,
    c_of_rp: HashMap<usize, usize>,
}

impl ClassPairs {
    const fn new() -> Self {
        ClassPairs { maps: LazyLock::new(Default::default) }
    }

    /// The RustPython class paired with the CPython class at `c_class`.
    pub fn rp_of(&self, c_class: usize) -> Option<PyTypeRef> {
        lock(&self.maps).rp_of_c.get(&c_class).cloned()
    }

    /// The CPython class paired with the RustPython class at `rp_class`.
    pub fn c_of(&self, rp_class: usize) -> Option<usize> {
        lock(&self.maps).c_of_rp.get(&rp_class).copied()
    }

    /// Pairs the CPython class at `c_class` with `rp_class`.
    pub fn remember(&self, c_class: usize, rp_class: PyTypeRef) {
        let mut maps = lock(&self.maps);
        maps.c_of_rp.insert(&*rp_class as *const _ as usize, c_class);
        maps.rp_of_c.insert(c_class, rp_class);
    }
}

fn lock<T>(m: &LazyLock<Mutex<T>>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves maps that are still
    // consistent (single inserts and removes): keep using them.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The live RustPython proxy of the CPython object at `addr`.
pub fn cobject(addr: usize) -> Option<PyObjectRef> {
    lock(&C_TO_RP).get(&addr).and_then(|w| w.upgrade())
}

pub fn remember_cobject(addr: usize, weak: PyRef<PyWeak>) {
    lock(&C_TO_RP).insert(addr, weak);
}

/// Called as a proxy of the CPython object at `addr` is dropped: removes
/// the entry unless a newer proxy replaced it.
pub fn forget_cobject(addr: usize) {
    let mut map = lock(&C_TO_RP);
    if map.get(&addr).is_some_and(|w| w.upgrade().is_none()) {
        map.remove(&addr);
    }
}

/// The CPython proxy of the RustPython object at `addr` (borrowed).
pub fn robject(addr: usize) -> Option<usize> {
    lock(&RP_TO_C).get(&addr).copied()
}

pub fn remember_robject(addr: usize, proxy: usize) {
    lock(&RP_TO_C).insert(addr, proxy);
}

/// Called as the CPython proxy `proxy` of the object at `addr` is freed.
pub fn forget_robject(addr: usize, proxy: crate::ffi::Obj) {
    let mut map = lock(&RP_TO_C);
    if map.get(&addr) == Some(&(proxy as usize)) {
        map.remove(&addr);
    }
}
